package diagnosis

import (
	"strings"

	"github.com/cmpreflight/cmpreflight/facts"
)

// explain names what a group of checks shares in words and the first thing to do about it.
// An empty action lets the caller fall back to the findings' own remediation.
func explain(g *Cause) (problem, action string) {
	r := g.Reason
	switch g.Stage {
	case facts.StageDNS:
		return explainDNS(g)
	case facts.StageConnect:
		switch {
		case unreachable(r):
			return "this machine has no route to these addresses (" + r + ")",
				"check this machine's network (address, gateway, routes); if the role must go through a proxy, pass --proxy"
		case r == "refused":
			return "the hosts answered but refused the connection on this port (a firewall rejects it, or nothing listens)",
				"ask the network team to open these ports (cmpreflight endpoints --format firewall), or pass --proxy"
		case r == "timeout":
			return "nothing answered the TCP connection in time: a firewall drops it",
				"ask the network team to open these ports (cmpreflight endpoints --format firewall), or pass --proxy if the role uses one"
		}
		return "the TCP connection failed (" + r + ")", ""
	case facts.StageProxyConnect:
		switch {
		case r == "proxy-closed" || r == "proxy-reset" || r == "proxy-silent":
			how := map[string]string{"proxy-closed": "closed it", "proxy-reset": "reset it", "proxy-silent": "never answered"}[r]
			return proxyName(g) + " accepted the connection and the request, then " + how + " without an answer (" + r + ")",
				"look in the proxy's log for these requests: a rule or filter that drops them without a word, or a destination the proxy cannot reach; allow these hosts there or fix the proxy's outbound access"
		case proxyUnreachable(r):
			return proxyName(g) + " does not accept connections from this machine (" + r + ")",
				"check the proxy's address and port (--proxy, or the WinHTTP/ConfigMgr setting) and that it runs"
		}
		return proxyName(g) + " accepted the connection but did not answer as an HTTP proxy does (" + r + ")",
			"check that the address is an HTTP proxy (not a TLS or SOCKS port) and that it is healthy"
	case facts.StageProxyAuth:
		if a, ok := integratedAuthActions[r]; ok {
			return proxyName(g) + " wants integrated authentication, and " + a[0] + " (" + r + ")", a[1]
		}
		return proxyName(g) + " wants authentication that was not given or not accepted (" + r + ")",
			"pass --proxy-user with CMPREFLIGHT_PROXY_PASSWORD or --proxy-password-file, or check --proxy-auth"
	case facts.StageProxyDenied:
		return proxyName(g) + " refuses these destinations (" + r + ")",
			"ask the proxy team to allow these hosts (cmpreflight endpoints --format firewall lists them)"
	case facts.StageProxyUpstream:
		if r == "tunnel-closed" || r == "tunnel-reset" || r == "tunnel-silent" {
			how := map[string]string{"tunnel-closed": "closed the tunnel", "tunnel-reset": "reset the tunnel", "tunnel-silent": "let nothing come back through the tunnel"}[r]
			return proxyName(g) + " answered 200 to CONNECT, then " + how + " before the destination sent a byte (" + r + "): a filter on the proxy drops TLS to these names, or the proxy could not reach them and hid it behind its 200",
				"look in the proxy's log for CONNECT to these hosts: allow them in its TLS, SNI or category filtering, and check its outbound access to them on 443"
		}
		return proxyName(g) + " accepted the request but could not reach the destination (" + r + ")",
			"ask the proxy team to check the proxy's own DNS and outbound access to these hosts"
	case facts.StageTLSIntercepted:
		return "TLS to these hosts is inspected: the certificate is re-signed by another CA",
			"exempt these hosts from TLS inspection on the proxy or firewall"
	case facts.StageTLS:
		switch r {
		case "untrusted":
			return "the server's certificate does not chain to a root this machine trusts",
				"install the missing root (DigiCert Global Root G2, Microsoft RSA/ECC 2017) in the machine's store"
		case "tls-version":
			return "no common TLS version: TLS 1.2 is not enabled for .NET and Schannel",
				"enable TLS 1.2 for .NET (SchUseStrongCrypto) and Schannel, then run again"
		}
		return "the TLS handshake failed (" + r + ")", ""
	case facts.StageHTTP:
		if r == "block-page" {
			return "a filter answered with a block page instead of the origin",
				"ask the team that runs the filter to allow these hosts"
		}
		return "the answer was not the origin's (" + r + ")", ""
	}
	if r == "interrupted" {
		return "the run was interrupted or hit --run-timeout before these checks finished",
			"run again and let it finish, or raise --run-timeout"
	}
	return "", ""
}

// explainDNS explains a resolution failure, naming the server asked when the report has it.
func explainDNS(g *Cause) (problem, action string) {
	server := orThe(g.DNSServer, "DNS server")
	if g.DNSServer != "" {
		server = "the DNS server " + g.DNSServer
	}
	fix := "check this machine's network and its route to " + strings.TrimPrefix(server, "the ") + ", or pass --dns-server with a server this machine reaches"
	switch r := g.Reason; {
	case unreachable(r):
		return server + " is not reachable from this machine: the network is unreachable", fix
	case r == "timeout":
		return server + " did not answer in time", fix
	case r == "refused":
		return server + " refused the queries: nothing listens there, or it does not serve this machine",
			"check that " + strings.TrimPrefix(server, "the ") + " runs and serves this machine, or pass --dns-server with one that does"
	case r == "nxdomain":
		return "these names do not exist for " + server + " (an internal zone hides them, or a typo in an --endpoints file)",
			"ask the DNS team to forward these names to public DNS, or check the names"
	case r == "servfail":
		return server + " failed to resolve these names (SERVFAIL): its forwarders do not answer", "ask the DNS team to check the forwarders of " + server
	case r == "no-address":
		return "these names have no address record", "check the names, or the DNS filtering that strips their addresses"
	}
	return server + " gave no usable answer (" + g.Reason + ")", fix
}

// proxyUnreachable says the connection to the proxy itself failed (the reasons of a dial,
// and of the proxy's name not resolving).
func proxyUnreachable(reason string) bool {
	switch reason {
	case "refused", "timeout", "unreachable", "reset", "no-address":
		return true
	}
	return strings.HasPrefix(reason, "dns-") || unreachable(reason)
}

func unreachable(reason string) bool {
	return strings.Contains(reason, "unreachable") || reason == "no-route"
}

func proxyName(g *Cause) string {
	if g.Proxy == "" {
		return "the proxy"
	}
	return "the proxy " + g.Proxy
}

func orThe(s, what string) string {
	if s == "" {
		return "the " + what
	}
	return s
}

// integratedAuthActions explains the named Kerberos and SSPI causes of checks/netprobe:
// what went wrong, then the first thing to do.
var integratedAuthActions = map[string][2]string{
	"kerberos-no-spn":             {"the KDC knows no service principal for the proxy", "register HTTP/<proxy host> on the proxy's service account (setspn -S), check with setspn -Q"},
	"kerberos-no-ticket":          {"this identity has no Kerberos ticket", "on Windows check the computer account's tickets (klist -li 0x3e7) and its domain; on Linux run kinit or set KRB5CCNAME / KRB5_CLIENT_KTNAME"},
	"kerberos-kdc-unreachable":    {"no domain controller (KDC) answered", "open TCP and UDP port 88 to a domain controller (nltest /dsgetdc:DOMAIN)"},
	"kerberos-clock-skew":         {"this machine's clock is too far from the KDC's", "synchronise the clock with the domain (w32tm /resync)"},
	"kerberos-client-unknown":     {"the KDC does not know this machine's account", "check the domain membership (Test-ComputerSecureChannel)"},
	"kerberos-rejected":           {"the proxy could not accept the Kerberos ticket", "the SPN is on an account whose key the proxy lacks: setspn -Q and setspn -X, then refresh the proxy's keytab"},
	"kerberos-required":           {"the proxy accepts only Kerberos while this run could offer only NTLM", "fix the Kerberos cause the checks name, then run with --proxy-auth kerberos"},
	"kerberos-ticket-refused":     {"a KDC answers but no ticket came back", "check the SPN (setspn -Q HTTP/<proxy host>), the clock, and the computer account"},
	"kerberos-mutual-auth-failed": {"the proxy did not prove it holds the SPN's key", "check for a duplicate SPN (setspn -X) and the proxy's keytab"},
	"kerberos-config":             {"the Kerberos configuration could not be used", "check KRB5_CONFIG or /etc/krb5.conf"},
	"ntlm-refused":                {"NTLM is refused by policy", "make Kerberos work for the proxy, or add the proxy to the NTLM exceptions"},
	"no-security-package":         {"no security package could authenticate as this identity", "run as the account the role uses (SYSTEM) on a domain-joined machine"},
}
