package netprobe

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/cmpreflight/cmpreflight/facts"
)

// Trust holds the two sets of roots a presented chain is verified against.
type Trust struct {
	// Machine is what this machine trusts: system roots plus --ca-file.
	Machine *x509.CertPool
	// Expected are the roots genuine endpoints chain to; nil skips the interception check.
	Expected *x509.CertPool
	// ExpectedFromFlag says Expected came from --expected-roots (not the bundled public roots).
	ExpectedFromFlag bool
	// LoadMachine and LoadExpected, when set, supply Machine and Expected on first use and
	// wait for a load already under way: reading and parsing the system store and the public
	// roots takes tens of milliseconds, which would otherwise sit in front of the first
	// probe instead of overlapping its DNS and connect.
	LoadMachine, LoadExpected func() *x509.CertPool
	// ExpectedList, when set, lists the expected roots (a catalog proof names its signer
	// among them by common name).
	ExpectedList func() []*x509.Certificate
	// MachineFor, when set, is what a handshake's chain is verified against instead of the
	// whole machine pool: a pool holding every machine root that chain could end at, so
	// that verifying against it gives what verifying against MachinePool gives.
	MachineFor func(chain []*x509.Certificate) *x509.CertPool
}

// MachinePool is the machine's trust, loading it if it is loaded lazily.
func (t *Trust) MachinePool() *x509.CertPool {
	if t.LoadMachine != nil {
		return t.LoadMachine()
	}
	return t.Machine
}

// machinePoolFor is the pool chain is verified against on this machine.
func (t *Trust) machinePoolFor(chain []*x509.Certificate) *x509.CertPool {
	if t.MachineFor != nil {
		return t.MachineFor(chain)
	}
	return t.MachinePool()
}

// ExpectedPool is the expected roots, loading them if they are loaded lazily.
func (t *Trust) ExpectedPool() *x509.CertPool {
	if t.LoadExpected != nil {
		return t.LoadExpected()
	}
	return t.Expected
}

// TLSError carries the classified reason of a failed handshake or verification.
type TLSError struct {
	Stage  string // tls or tls-intercepted
	Reason string // timeout, reset, handshake, untrusted, expired, hostname, tls-version, re-signed
	Detail string
}

func (e *TLSError) Error() string { return e.Reason + ": " + e.Detail }

// kb4561945Suites are the ECDHE suites KB4561945 asks for that a Go client can negotiate.
var kb4561945Suites = map[uint16]bool{
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: true,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: true,
}

// Handshake runs TLS over conn with SNI, records what the server presented and verifies the
// chain against the machine's trust and the expected roots.
func Handshake(ctx context.Context, conn net.Conn, sni string, trust Trust) (*tls.Conn, *facts.TLSEvidence, error) {
	return handshake(ctx, conn, sni, trust, nil)
}

// handshake is Handshake; when verified is set it receives the chains verified to the
// machine's trust (a revocation proof asks what they name).
func handshake(ctx context.Context, conn net.Conn, sni string, trust Trust, verified *[][]*x509.Certificate) (*tls.Conn, *facts.TLSEvidence, error) {
	ev := &facts.TLSEvidence{SNI: sni}
	cfg := &tls.Config{
		ServerName: sni,
		// Verification is done below so that an untrusted chain is still recorded.
		InsecureSkipVerify: true,
		// Accept old versions in the handshake so that a server offering only them is
		// reported as such rather than as a bare handshake failure.
		MinVersion: tls.VersionTLS10,
		NextProtos: []string{"http/1.1"},
		// The key exchanges the role's own client (SChannel) offers. Go's default adds the
		// post-quantum X25519MLKEM768 share: a ClientHello over 1.2 KB larger, which some
		// middleboxes mishandle where the real client would pass, and a sixth of a check's
		// CPU at thousands of endpoints.
		CurvePreferences: []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384},
	}
	if net.ParseIP(sni) != nil {
		cfg.ServerName = ""
	}
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		ce := classifyNetErr(ctx, err)
		reason := ce.Reason
		if reason == "error" {
			reason = "handshake"
			var ae tls.AlertError
			if errors.As(err, &ae) && strings.Contains(err.Error(), "protocol version") {
				reason = "tls-version"
			}
			if strings.Contains(err.Error(), "first record does not look like a TLS handshake") || strings.Contains(err.Error(), "oversized record") {
				reason = "not-tls"
			}
		}
		detail := err.Error()
		if reason == ce.Reason {
			// A network failure during the handshake: said in words, not Go's text.
			detail = ce.Detail
		}
		ev.Error = detail
		return nil, ev, &TLSError{Stage: facts.StageTLS, Reason: reason, Detail: detail}
	}
	st := tc.ConnectionState()
	ev.Version = tls.VersionName(st.Version)
	ev.CipherSuite = tls.CipherSuiteName(st.CipherSuite)
	ev.ALPN = st.NegotiatedProtocol
	if st.Version == tls.VersionTLS12 {
		ok := kb4561945Suites[st.CipherSuite]
		ev.ECDHESuites = &ok
	}
	for _, c := range st.PeerCertificates {
		ev.Chain = append(ev.Chain, certInfo(c))
	}
	if len(st.PeerCertificates) == 0 {
		tc.Close()
		return nil, ev, &TLSError{Stage: facts.StageTLS, Reason: "handshake", Detail: "server presented no certificate"}
	}
	now := time.Now()
	machineChains, machineErr := verifyChain(st.PeerCertificates, sni, trust.machinePoolFor(st.PeerCertificates), now)
	ev.Verified = machineErr == nil
	if machineErr != nil {
		ev.VerifyError = machineErr.Error()
	}
	if expected := trust.ExpectedPool(); expected != nil {
		// The chain the machine verified usually ends at an expected root already: then the
		// answer is known without a second full verification (its signature checks are a
		// third of a check's CPU at thousands of endpoints).
		ok := machineErr == nil && endsIn(machineChains, expected, now)
		if !ok {
			_, expErr := verifyChain(st.PeerCertificates, sni, expected, now)
			ok = expErr == nil
		}
		ev.ExpectedRootsVerified = &ok
		if machineErr == nil && !ok {
			// Trusted here but not chaining to any root a genuine endpoint uses: a
			// middlebox re-signed it with a CA this machine was told to trust.
			ev.Intercepted = true
			ev.InterceptingCA = topIssuer(machineChains)
			tc.Close()
			return nil, ev, &TLSError{Stage: facts.StageTLSIntercepted, Reason: "re-signed",
				Detail: fmt.Sprintf("certificate for %s issued by %q, %s; TLS inspection re-signs this traffic", sni, ev.InterceptingCA, trust.expectedWhat())}
		}
		if machineErr != nil && ok {
			tc.Close()
			return nil, ev, &TLSError{Stage: facts.StageTLS, Reason: "untrusted",
				Detail: fmt.Sprintf("the chain is genuine (root %q) but this machine does not trust that root: %v", rootOf(st.PeerCertificates), machineErr)}
		}
	}
	if machineErr != nil {
		tc.Close()
		return nil, ev, &TLSError{Stage: facts.StageTLS, Reason: verifyReason(machineErr), Detail: machineErr.Error()}
	}
	if st.Version < tls.VersionTLS12 {
		tc.Close()
		return nil, ev, &TLSError{Stage: facts.StageTLS, Reason: "tls-version",
			Detail: fmt.Sprintf("negotiated %s; the role needs TLS 1.2 or later (KB4561945)", ev.Version)}
	}
	if verified != nil {
		*verified = machineChains
	}
	return tc, ev, nil
}

func verifyChain(certs []*x509.Certificate, name string, roots *x509.CertPool, now time.Time) ([][]*x509.Certificate, error) {
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	opts := x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now, DNSName: name}
	if net.ParseIP(name) != nil {
		opts.DNSName = name
	}
	return certs[0].Verify(opts)
}

// endsIn reports whether one of the verified chains ends at a certificate that pool trusts
// (a root in the pool is accepted as is, without a signature check).
func endsIn(chains [][]*x509.Certificate, pool *x509.CertPool, now time.Time) bool {
	for _, ch := range chains {
		top := ch[len(ch)-1]
		if _, err := top.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err == nil {
			return true
		}
	}
	return false
}

func verifyReason(err error) string {
	var ua x509.UnknownAuthorityError
	var ci x509.CertificateInvalidError
	var he x509.HostnameError
	switch {
	case errors.As(err, &ua):
		return "untrusted"
	case errors.As(err, &he):
		return "hostname"
	case errors.As(err, &ci) && ci.Reason == x509.Expired:
		return "expired"
	case errors.As(err, &ci):
		return "invalid-certificate"
	}
	return "untrusted"
}

func topIssuer(chains [][]*x509.Certificate) string {
	if len(chains) == 0 || len(chains[0]) == 0 {
		return ""
	}
	c := chains[0]
	return c[len(c)-1].Subject.String()
}

func rootOf(certs []*x509.Certificate) string {
	return certs[len(certs)-1].Issuer.String()
}

func certInfo(c *x509.Certificate) facts.CertInfo {
	sum := sha256.Sum256(c.Raw)
	return facts.CertInfo{
		Subject:   c.Subject.String(),
		Issuer:    c.Issuer.String(),
		NotBefore: c.NotBefore.UTC(),
		NotAfter:  c.NotAfter.UTC(),
		SHA256:    hex.EncodeToString(sum[:]),
		DNSNames:  c.DNSNames,
		IsCA:      c.IsCA,
	}
}

// expectedWhat names the roots a genuine chain must end at, as the user gave them.
func (t Trust) expectedWhat() string {
	if t.ExpectedFromFlag {
		return "not one of the expected roots (--expected-roots)"
	}
	return "not a public root"
}
