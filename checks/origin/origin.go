// Package origin judges who wrote an HTTP answer: the origin server, or a proxy or filter
// on the way (its block, error or redirect page).
package origin

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// Answer is one HTTP answer as a probe read it (the body is the bounded peek).
type Answer struct {
	Target     *url.URL // what was asked
	StatusCode int
	Status     string // status line without the protocol: "403 Request blocked by Privoxy"
	Header     http.Header
	Body       []byte
}

// Page is the shape of an answer, what two answers are compared on: the status, the
// server's name, the media type, the title and a digest of the body with every mention of
// the asked URL and host taken out (a block page names what it blocked).
type Page struct {
	Status      int    `json:"status"`
	Server      string `json:"server,omitempty"`
	ContentType string `json:"contentType,omitempty"`
	Title       string `json:"title,omitempty"`
	Bytes       int    `json:"bytes"`
	Digest      string `json:"digest,omitempty"`
	// NamesTarget: the body mentions the asked host, as block pages do.
	NamesTarget bool `json:"namesTarget,omitempty"`
	// Headers are the answer's header names, sorted: which program wrote an answer shows
	// in the headers it sends, whatever the page says.
	Headers string `json:"headers,omitempty"`
}

var titleRe = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)

// Title is the page's <title>, spaces collapsed, at most 200 bytes.
func Title(body []byte) string {
	m := titleRe.FindSubmatch(body)
	if m == nil {
		return ""
	}
	t := strings.Join(strings.Fields(string(m[1])), " ")
	if len(t) > 200 {
		t = t[:200]
	}
	return t
}

// volatile matches what changes between two renderings of one page: numbers (times,
// request ids, ports, addresses).
var volatile = regexp.MustCompile(`[0-9]+`)

// Fingerprint computes an answer's Page.
func Fingerprint(a Answer) Page {
	p := Page{Status: a.StatusCode, Bytes: len(a.Body), Title: Title(a.Body)}
	if a.Header != nil {
		p.Server = a.Header.Get("Server")
		ct := a.Header.Get("Content-Type")
		if i := strings.IndexByte(ct, ';'); i >= 0 {
			ct = ct[:i]
		}
		p.ContentType = strings.ToLower(strings.TrimSpace(ct))
		names := make([]string, 0, len(a.Header))
		for k := range a.Header {
			names = append(names, strings.ToLower(k))
		}
		sort.Strings(names)
		p.Headers = strings.Join(names, ",")
	}
	body := strings.ToLower(string(a.Body))
	if a.Target != nil {
		host := strings.ToLower(a.Target.Hostname())
		if host != "" && strings.Contains(body, host) {
			p.NamesTarget = true
		}
		for _, s := range []string{strings.ToLower(a.Target.String()), url.QueryEscape(strings.ToLower(a.Target.String())), host} {
			if s != "" {
				body = strings.ReplaceAll(body, s, "")
			}
		}
		p.Title = strings.ReplaceAll(p.Title, a.Target.Hostname(), "")
	}
	if len(a.Body) > 0 {
		sum := sha256.Sum256([]byte(volatile.ReplaceAllString(body, "")))
		p.Digest = hex.EncodeToString(sum[:8])
	}
	return p
}

// Same tells whether two pages are one page: same status, server and media type, and the
// same body (digest) or, for bodies cut at the peek limit, the same non-empty title.
func (p Page) Same(q Page) bool {
	if p.Status != q.Status || p.Server != q.Server || p.ContentType != q.ContentType {
		return false
	}
	if p.Digest != "" && p.Digest == q.Digest {
		return true
	}
	return p.Title != "" && p.Title == q.Title && p.Bytes > 0 && q.Bytes > 0
}

// registrable approximates a host's registrable domain: its last two labels, or three when
// the second-level label is a short public suffix part (co.uk, com.au).
func registrable(host string) string {
	labels := strings.Split(strings.TrimSuffix(strings.ToLower(host), "."), ".")
	if len(labels) <= 2 {
		return strings.Join(labels, ".")
	}
	n := 2
	if sl := labels[len(labels)-2]; len(sl) <= 3 && len(labels[len(labels)-1]) == 2 {
		n = 3
	}
	return strings.Join(labels[len(labels)-n:], ".")
}

// SameSite tells whether two hosts share a registrable domain.
func SameSite(a, b string) bool { return registrable(a) == registrable(b) }

// CarriesTarget tells whether a redirect location carries the asked URL or host in its
// query or path: what a block or portal redirector does so that its page can name what
// was blocked (squidGuard's %u, the commercial gateways' url= parameters).
func CarriesTarget(loc *url.URL, target *url.URL) bool {
	if loc == nil || target == nil {
		return false
	}
	host := strings.ToLower(target.Hostname())
	if host == "" || strings.EqualFold(loc.Hostname(), host) {
		return false
	}
	raw := strings.ToLower(loc.RawQuery + " " + loc.Path + " " + loc.Fragment)
	if un, err := url.QueryUnescape(raw); err == nil {
		raw = un
	}
	return strings.Contains(raw, host)
}
