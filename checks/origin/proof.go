package origin

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"net"
	"net/url"
	"strings"
)

// The proofs a plain-HTTP pass rests on (Verdict.By). Nothing else grants a port-80 pass:
// product signatures, canaries and the cross-host comparison only name who answered.
const (
	// ByHTTPSMatch: the same request over HTTPS to that host, inside a chain verified to the
	// expected roots, got an equal answer (Shape.Differences is empty).
	ByHTTPSMatch = "https-match"
	// ByHTTPSUpgrade: the answer redirects to https:// with the same host, path and query,
	// and that host's chain verified in the same run.
	ByHTTPSUpgrade = "https-upgrade"
	// BySignedCRL and BySignedOCSP: a revocation answer whose signature verifies against
	// the issuing CA certificate (checks/revocation).
	BySignedCRL  = "signed-crl"
	BySignedOCSP = "signed-ocsp"
	// BySignedCert: the expected signer's own certificate, byte for byte, at the URL that
	// names its thumbprint (a host that serves no CRL or OCSP).
	BySignedCert = "signed-cert"
	// ByHTTPSMismatch: the HTTPS answer was there and differed (a warn).
	ByHTTPSMismatch = "https-mismatch"
	// ByNoProof: no verified HTTPS answer of the host was available to compare with (a warn).
	ByNoProof = "no-proof"
)

// Proven tells whether by names one of the proofs a plain-HTTP pass needs.
func Proven(by string) bool {
	switch by {
	case ByHTTPSMatch, ByHTTPSUpgrade, BySignedCRL, BySignedOCSP, BySignedCert:
		return true
	}
	return false
}

// Shape is what an answer shows of its writer, compared between the plain-HTTP answer and
// the HTTPS one. Two answers of one origin agree on all of it whatever the scheme; a filter
// that did not copy the origin's answer differs on at least one field:
//   - the status and, for a redirect, the target with the scheme (and default port) left out:
//     an origin that redirects sends both schemes to the same place, a block or portal
//     redirect goes to the filter's host;
//   - the media type: a block page is HTML where the origin answers text, XML or a binary;
//   - the server's product name (the Server header up to its version): the origin's edge
//     software names itself on both ports, a filter's web server names itself;
//   - for an answer with a body, the page itself: its title, and its text with the host, the
//     schemes and every number taken out (dates, request ids), or else the same ETag.
type Shape struct {
	Status    int
	Location  string // redirect target without its scheme: //host/path?query
	MediaType string
	Server    string
	Title     string
	ETag      string
	Digest    string
	Bytes     int
}

// ShapeOf computes an answer's Shape; a relative Location is resolved against the target.
func ShapeOf(a Answer) Shape {
	s := Shape{Status: a.StatusCode, Bytes: len(a.Body), Title: Title(a.Body)}
	if a.Header != nil {
		if mt, _, err := mime.ParseMediaType(a.Header.Get("Content-Type")); err == nil {
			s.MediaType = strings.ToLower(mt)
		} else {
			s.MediaType = strings.ToLower(strings.TrimSpace(a.Header.Get("Content-Type")))
		}
		s.Server = serverProduct(a.Header.Get("Server"))
		s.ETag = strings.TrimPrefix(strings.TrimSpace(a.Header.Get("ETag")), "W/")
		if loc := a.Header.Get("Location"); loc != "" && a.StatusCode/100 == 3 {
			s.Location = schemeless(a.Target, loc)
		}
	}
	if s.Status/100 != 3 && len(a.Body) > 0 {
		body := strings.ToLower(string(a.Body))
		if a.Target != nil {
			host := strings.ToLower(a.Target.Hostname())
			for _, x := range []string{"https://" + host, "http://" + host, host} {
				body = strings.ReplaceAll(body, x, "")
			}
		}
		sum := sha256.Sum256([]byte(volatile.ReplaceAllString(body, "")))
		s.Digest = hex.EncodeToString(sum[:8])
	}
	if a.Target != nil {
		s.Title = strings.ReplaceAll(s.Title, a.Target.Hostname(), "")
	}
	return s
}

// serverProduct is a Server header's product name, lower case, without version or comment:
// "nginx/1.22.1 (Debian)" is "nginx". The version may differ between two machines of one
// origin; the product does not.
func serverProduct(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "/ "); i >= 0 {
		s = s[:i]
	}
	return strings.ToLower(s)
}

// schemeless resolves loc against base and drops its scheme and default port.
func schemeless(base *url.URL, loc string) string {
	u, err := url.Parse(strings.TrimSpace(loc))
	if err != nil {
		return "?" + loc
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	host := strings.ToLower(u.Hostname())
	if p := u.Port(); p != "" && !(p == "80" && u.Scheme == "http") && !(p == "443" && u.Scheme == "https") {
		host = net.JoinHostPort(host, p)
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	out := "//" + host + path
	if u.RawQuery != "" {
		out += "?" + u.RawQuery
	}
	return out
}

// Differences lists, in words, what differs between the plain answer s and the HTTPS answer
// t; empty when they agree on everything Shape compares.
func (s Shape) Differences(t Shape) []string {
	var d []string
	if s.Status != t.Status {
		d = append(d, fmt.Sprintf("status %d vs %d", s.Status, t.Status))
	}
	if s.Location != t.Location {
		d = append(d, fmt.Sprintf("redirect target %q vs %q", s.Location, t.Location))
	}
	if s.MediaType != t.MediaType {
		d = append(d, fmt.Sprintf("media type %q vs %q", s.MediaType, t.MediaType))
	}
	if s.Server != t.Server {
		d = append(d, fmt.Sprintf("server %q vs %q", s.Server, t.Server))
	}
	if s.Status/100 != 3 && s.Status == t.Status {
		if s.Title != t.Title {
			d = append(d, fmt.Sprintf("title %q vs %q", s.Title, t.Title))
		}
		sameETag := s.ETag != "" && s.ETag == t.ETag
		if s.Digest != t.Digest && !sameETag {
			d = append(d, fmt.Sprintf("body (%d vs %d bytes, other content)", s.Bytes, t.Bytes))
		}
	}
	return d
}

// String renders a shape the way a message names an answer: "302 to
// https://download.microsoft.com/…", "200 text/html 'Contoso …'".
func (s Shape) String() string {
	out := fmt.Sprint(s.Status)
	if s.Location != "" {
		return out + " to " + s.Location
	}
	if s.MediaType != "" {
		out += " " + s.MediaType
	}
	if s.Title != "" {
		out += fmt.Sprintf(" %q", s.Title)
	}
	if s.Server != "" {
		out += " from " + s.Server
	}
	return out
}

// IsUpgrade tells whether a redirect from target to loc is an upgrade to HTTPS: the same host,
// path and query, scheme https, default port.
func IsUpgrade(target *url.URL, status int, loc string) bool {
	if target == nil || status/100 != 3 || loc == "" {
		return false
	}
	u, err := target.Parse(strings.TrimSpace(loc))
	if err != nil || u.Scheme != "https" {
		return false
	}
	if p := u.Port(); p != "" && p != "443" {
		return false
	}
	samePath := u.EscapedPath() == target.EscapedPath() || (u.EscapedPath() == "/" && target.EscapedPath() == "") || (u.EscapedPath() == "" && target.EscapedPath() == "/")
	return strings.EqualFold(u.Hostname(), target.Hostname()) && samePath && u.RawQuery == target.RawQuery
}
