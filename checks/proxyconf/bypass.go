package proxyconf

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// normHost lower-cases a host and strips IPv6 brackets and a trailing dot.
func normHost(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	return strings.TrimSuffix(h, ".")
}

// splitEntryPort separates an optional `:port` from a bypass entry (IPv6 literals only with
// brackets).
func splitEntryPort(e string) (host string, port int) {
	if strings.HasPrefix(e, "[") {
		if h, p, err := net.SplitHostPort(e); err == nil {
			n, _ := strconv.Atoi(p)
			return h, n
		}
		return e, 0
	}
	if i := strings.LastIndexByte(e, ':'); i >= 0 && strings.Count(e, ":") == 1 {
		if n, err := strconv.Atoi(e[i+1:]); err == nil && n > 0 && n < 65536 {
			return e[:i], n
		}
	}
	return e, 0
}

// matchWinHTTP reports whether a WinHTTP bypass entry covers host:port. Entries are
// `<local>` (names without a dot), or a pattern where `*` matches any run of characters
// (`*.contoso.com` matches subdomains only, `10.*` an address range), with an optional
// `scheme://` prefix and `:port` suffix; without `*` the host must match exactly.
func matchWinHTTP(entry, host string, port int) bool {
	e := strings.ToLower(strings.TrimSpace(entry))
	if e == "" {
		return false
	}
	if e == "<local>" {
		return isLocalName(host)
	}
	if i := strings.Index(e, "://"); i >= 0 {
		e = e[i+3:]
	}
	e, p := splitEntryPort(e)
	if p != 0 && p != port {
		return false
	}
	return glob(normHost(e), normHost(host))
}

// matchNoProxy reports whether a --no-proxy entry covers host:port. It takes the NO_PROXY
// forms (`*` for everything, `.x` for subdomains of x, `x` for x and its subdomains, an IP
// address or CIDR block, an optional `:port`) and the WinHTTP ones (`<local>`, patterns with
// `*`), so an administrator can paste either list.
func matchNoProxy(entry, host string, port int) bool {
	e := strings.ToLower(strings.TrimSpace(entry))
	h := normHost(host)
	switch {
	case e == "":
		return false
	case e == "*":
		return true
	case e == "<local>":
		return isLocalName(host)
	}
	if pfx, err := netip.ParsePrefix(e); err == nil {
		a, err := netip.ParseAddr(h)
		return err == nil && pfx.Contains(a.Unmap())
	}
	e, p := splitEntryPort(e)
	if p != 0 && p != port {
		return false
	}
	e = normHost(e)
	if strings.Contains(e, "*") {
		return glob(e, h)
	}
	if strings.HasPrefix(e, ".") {
		return strings.HasSuffix(h, e)
	}
	return h == e || strings.HasSuffix(h, "."+e)
}

// isLocalName is WinHTTP's `<local>`: a host name without a dot (not an IP literal).
func isLocalName(host string) bool {
	h := normHost(host)
	if _, err := netip.ParseAddr(h); err == nil {
		return false
	}
	return h != "" && !strings.Contains(h, ".")
}

// glob matches s against a pattern where `*` is any run of characters (none included).
func glob(pattern, s string) bool {
	// Iterative match with backtracking to the last star: linear in practice, no recursion.
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && pattern[p] == s[i]:
			p++
			i++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
