package netprobe

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/cmpreflight/cmpreflight/catalog"
	"github.com/cmpreflight/cmpreflight/checks/origin"
	"github.com/cmpreflight/cmpreflight/checks/revocation"
	"github.com/cmpreflight/cmpreflight/facts"
)

// chainStore holds the chains verified in this run that name a CRL or OCSP URL, one per
// distinct set of URLs and issuer, so that a port-80 check of a revocation host can ask what
// a verified chain names there. pending counts the HTTPS checks still to finish: a check
// with a catalog proof waits for them (or for a chain naming its host) before it falls back
// to the catalog's object.
type chainStore struct {
	mu      sync.Mutex
	seen    map[string]bool
	chains  [][]*x509.Certificate
	pending int
	changed chan struct{}
}

func newChainStore(pending int) *chainStore {
	return &chainStore{seen: map[string]bool{}, pending: pending, changed: make(chan struct{})}
}

// add keeps the verified chains that name a revocation URL.
func (s *chainStore) add(chains [][]*x509.Certificate) {
	if s == nil {
		return
	}
	for _, ch := range chains {
		var k strings.Builder
		for _, c := range ch {
			for _, u := range c.CRLDistributionPoints {
				k.WriteString(u + " ")
			}
			for _, u := range c.OCSPServer {
				k.WriteString(u + " ")
			}
			k.Write(c.RawIssuer)
		}
		key := k.String()
		s.mu.Lock()
		if !s.seen[key] {
			s.seen[key] = true
			s.chains = append(s.chains, ch)
			close(s.changed)
			s.changed = make(chan struct{})
		}
		s.mu.Unlock()
	}
}

// httpsDone counts one HTTPS check finished.
func (s *chainStore) httpsDone() {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.pending--
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

// snapshot returns the chains so far, whether every HTTPS check has finished, and the channel
// closed at the next change.
func (s *chainStore) snapshot() ([][]*x509.Certificate, bool, chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]*x509.Certificate(nil), s.chains...), s.pending <= 0, s.changed
}

// names tells whether a chain names a revocation URL on target's host and port, under its
// path.
func names(chains [][]*x509.Certificate, target *url.URL) bool {
	host, port := target.Hostname(), revocation.PortOf(target)
	for _, ch := range chains {
		for _, c := range ch {
			for _, s := range append(append([]string(nil), c.CRLDistributionPoints...), c.OCSPServer...) {
				if u, err := url.Parse(s); err == nil && u.Scheme == "http" && strings.EqualFold(u.Hostname(), host) && revocation.PortOf(u) == port && revocation.Under(u, target) {
					return true
				}
			}
		}
	}
	return false
}

// planRevocation is the signed object a port-80 check of t asks for instead of GET /: what a
// chain verified in this run names on t's host, else the catalog's proof. nil when neither
// gives one (the check is proven over HTTPS instead). A target with a catalog proof waits
// until a chain names its host or every HTTPS check of the run has finished, so the answer
// does not depend on which check ran first.
func (env *Env) planRevocation(ctx context.Context, t catalog.Target, u *url.URL) *revocation.Request {
	var expected []*x509.Certificate
	if env.Trust.ExpectedList != nil {
		expected = env.Trust.ExpectedList()
	}
	// A catalog object whose signer the run does not hold (another --expected-roots) proves
	// nothing: only a chain could, and waiting for one that may never come would only delay
	// the check's other proof.
	spec := t.Proof
	if spec != nil {
		if _, err := revocation.FromSpec(spec, expected); err != nil {
			spec = nil
		}
	}
	// A certificate download (ctldl's thumbprint URL) is never named by a chain's CDP or AIA:
	// waiting for the chains would only delay it behind every HTTPS check.
	wait := spec != nil && spec.Cert == ""
	var chains [][]*x509.Certificate
	if s := env.chains; s != nil {
		for {
			got, all, changed := s.snapshot()
			chains = got
			if all || !wait || names(got, u) {
				break
			}
			select {
			case <-changed:
			case <-ctx.Done():
				return nil
			}
		}
	}
	if spec == nil && !names(chains, u) {
		return nil
	}
	req, err := revocation.Plan(u, chains, spec, expected)
	if err != nil {
		return nil
	}
	return req
}

// proveSigned verifies the signed answer of a revocation host.
func (pr *prober) proveSigned(c *facts.Check, u *url.URL, prev *ProbeError) *ProbeError {
	a, req := pr.first, pr.rev
	if a == nil {
		return pr.noProof(c, u, origin.ByNoProof, "no answer was read", prev)
	}
	body, truncated := a.Body, false
	if req.MaxBody > 0 && int64(len(body)) > req.MaxBody {
		body, truncated = body[:req.MaxBody], true
	}
	proof, err := revocation.Verify(req, revocation.Answer{Status: a.StatusCode, Header: a.Header, Body: body, Truncated: truncated}, time.Now())
	if err != nil {
		var re *revocation.Error
		detail := err.Error()
		if errors.As(err, &re) {
			detail = re.Detail
		}
		return pr.noProof(c, u, origin.ByNoProof, "asked "+req.Method+" "+req.URL.String()+" for "+signedWhat(req)+": "+detail, prev)
	}
	pr.proven(c, proof.By, proof.Detail)
	return nil
}

// peekSize is how much of an answer's body a request reads: a signed revocation object whole
// (up to its cap, one byte more to see it was cut), any other answer's first maxBodyPeek bytes.
func (pr *prober) peekSize(req *http.Request, peek bool) int64 {
	switch {
	case !peek:
		return 0
	case pr.rev != nil && req.URL == pr.rev.URL && pr.rev.MaxBody > 0:
		return pr.rev.MaxBody + 1
	}
	return maxBodyPeek
}

// signedWhat names what a revocation request asks for, for messages.
func signedWhat(req *revocation.Request) string {
	switch req.Kind {
	case revocation.KindCert:
		return "the certificate of " + req.Issuer.Subject.CommonName
	case revocation.KindOCSP:
		return "an OCSP answer signed by " + req.Issuer.Subject.CommonName
	}
	return "a CRL signed by " + req.Issuer.Subject.CommonName
}
