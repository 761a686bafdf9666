package origin

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"sync"
)

// Reasons a judgement gives.
const (
	ReasonBlockPage     = "block-page"
	ReasonBlockRedirect = "block-redirect"
	ReasonDNS           = "dns"
	ReasonUpstream      = "upstream"
	ReasonUnverified    = "unverified-origin"
)

// Verdict is who answered, with the evidence.
type Verdict struct {
	// Origin: positive evidence that the origin wrote the answer.
	Origin bool `json:"origin"`
	// Means is what a proxy or filter's own answer says: block, dns or upstream ("" when
	// the origin answered or nobody can tell).
	Means  string `json:"means,omitempty"`
	Reason string `json:"reason,omitempty"`
	// By names the evidence: signature, canary-invalid, canary-unlisted, proxy-identity,
	// same-page, redirect-carries-target, relayed (Via), no-canary. A plain-HTTP pass carries
	// one of the proofs instead (https-match, https-upgrade, signed-crl, signed-ocsp: see
	// Proven); an unproven answer https-mismatch or no-proof.
	By      string `json:"by"`
	Product string `json:"product,omitempty"`
	Source  string `json:"source,omitempty"`
	Detail  string `json:"detail,omitempty"`
	// LookAt tells a user what to compare when the evidence is ambiguous.
	LookAt string `json:"lookAt,omitempty"`
	Page   *Page  `json:"page,omitempty"`
}

// Learnt is what one route's proxy answered to the canary requests.
type Learnt struct {
	// Invalid is the answer for a name that cannot exist (RFC 6761 .invalid): the proxy's
	// own name-resolution failure page, whatever product wrote it.
	Invalid *Page `json:"invalid,omitempty"`
	// Unlisted is the answer for a name on no list; it counts as the proxy's own page
	// (an allowlist's refusal) only when it is not a plain success.
	Unlisted        *Page  `json:"unlisted,omitempty"`
	UnlistedRefused bool   `json:"unlistedRefused,omitempty"`
	InvalidURL      string `json:"invalidUrl,omitempty"`
	UnlistedURL     string `json:"unlistedUrl,omitempty"`
	// Server is the proxy's own Server header, as its canary pages show it.
	Server string `json:"server,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Fetcher sends one request for target through a route and returns the answer the proxy
// gave (for CONNECT, the answer to CONNECT itself).
type Fetcher func(target *url.URL) (Answer, error)

// Canaries learns each route's canary answers once per run.
type Canaries struct {
	// Unlisted is the name on no list; default example.com (RFC 2606, exists, on no list).
	Unlisted string
	mu       sync.Mutex
	routes   map[string]*routeLearn
	nonce    string
}

type routeLearn struct {
	once sync.Once
	l    *Learnt
}

// CanaryURLs are the canary targets for a scheme.
func (c *Canaries) CanaryURLs(scheme string) (invalid, unlisted *url.URL) {
	c.mu.Lock()
	if c.nonce == "" {
		b := make([]byte, 4)
		rand.Read(b)
		c.nonce = hex.EncodeToString(b)
	}
	nonce := c.nonce
	c.mu.Unlock()
	name := c.Unlisted
	if name == "" {
		name = "example.com"
	}
	return &url.URL{Scheme: scheme, Host: "cmpreflight-canary-" + nonce + ".invalid", Path: "/"},
		&url.URL{Scheme: scheme, Host: name, Path: "/"}
}

// Learn returns route's canary answers, fetching them on first use; concurrent callers of
// one route wait for the same learning.
func (c *Canaries) Learn(route, scheme string, fetch Fetcher) *Learnt {
	c.mu.Lock()
	if c.routes == nil {
		c.routes = map[string]*routeLearn{}
	}
	key := route + " " + scheme
	rl := c.routes[key]
	if rl == nil {
		rl = &routeLearn{}
		c.routes[key] = rl
	}
	c.mu.Unlock()
	rl.once.Do(func() {
		inv, unl := c.CanaryURLs(scheme)
		l := &Learnt{InvalidURL: inv.String(), UnlistedURL: unl.String()}
		// Both canaries at once: the first checks of a route wait for them.
		type got struct {
			a   Answer
			err error
		}
		invC, unlC := make(chan got, 1), make(chan got, 1)
		go func() { a, err := fetch(inv); invC <- got{a, err} }()
		go func() { a, err := fetch(unl); unlC <- got{a, err} }()
		gi, gu := <-invC, <-unlC
		var errs []string
		if gi.err == nil {
			p := Fingerprint(gi.a)
			l.Invalid = &p
			l.Server = gi.a.Header.Get("Server")
		} else {
			errs = append(errs, inv.Host+": "+gi.err.Error())
		}
		if gu.err == nil {
			p := Fingerprint(gu.a)
			l.Unlisted = &p
			l.UnlistedRefused = gu.a.StatusCode >= 400 || Match(gu.a) != nil || (l.Invalid != nil && p.Same(*l.Invalid))
			if l.Server == "" && l.UnlistedRefused {
				l.Server = gu.a.Header.Get("Server")
			}
		} else {
			errs = append(errs, unl.Host+": "+gu.err.Error())
		}
		l.Error = strings.Join(errs, "; ")
		rl.l = l
	})
	return rl.l
}

// Judge decides who wrote a, an answer that came back over a route through a proxy (learnt
// holds that proxy's canary answers; nil when none could be learnt) or direct (proxied
// false). It never returns Origin without positive evidence.
func Judge(a Answer, proxied bool, learnt *Learnt) Verdict {
	page := Fingerprint(a)
	v := Verdict{Page: &page}
	sig := Match(a)
	if sig != nil && sig.Means == MeansBlock {
		return signatureVerdict(v, sig, a)
	}
	if proxied && learnt != nil {
		refusedLikeUnlisted := learnt.Unlisted != nil && learnt.UnlistedRefused && page.Same(*learnt.Unlisted)
		switch {
		case refusedLikeUnlisted:
			// An allow list refuses every name it does not list, .invalid included: what
			// the proxy did first is refuse.
			v.Means, v.Reason, v.By = MeansBlock, ReasonBlockPage, "canary-unlisted"
			v.Detail = fmt.Sprintf("the proxy answered %s with the page it serves for a name on no list (%s): it refuses the name", a.Target.Host, learnt.UnlistedURL)
			return v
		case learnt.Invalid != nil && page.Same(*learnt.Invalid):
			v.Means, v.Reason, v.By = MeansDNS, ReasonDNS, "canary-invalid"
			v.Detail = fmt.Sprintf("the proxy answered %s exactly as it answers a name that cannot exist (%s): it could not resolve the name", a.Target.Host, learnt.InvalidURL)
			return v
		}
	}
	if sig != nil {
		return signatureVerdict(v, sig, a)
	}
	if loc := a.Header.Get("Location"); loc != "" && a.StatusCode/100 == 3 && a.Target != nil {
		if lu, err := a.Target.Parse(loc); err == nil && CarriesTarget(lu, a.Target) {
			v.Means, v.Reason, v.By = MeansBlock, ReasonBlockRedirect, "redirect-carries-target"
			v.Detail = fmt.Sprintf("%s redirects to %s, which carries the asked address: a block or portal redirect", a.Target.Host, lu.Host)
			return v
		}
	}
	if !proxied {
		// Direct: the address our own resolver gave answered, and nothing in the answer
		// names an intermediary.
		v.Origin, v.By = true, "direct"
		return v
	}
	if learnt != nil {
		// A relay keeps the origin's Server header: the proxy's own name on a redirect or
		// an error is the proxy's page, Via or not (squid stamps Via on its own redirects).
		if learnt.Server != "" && a.Header.Get("Server") == learnt.Server && a.StatusCode >= 300 {
			v.Means, v.By = MeansBlock, "proxy-identity"
			if a.StatusCode >= 500 {
				v.Means = MeansUpstream
			}
			v.Reason = reasonFor(v.Means, a)
			v.Detail = fmt.Sprintf("the answer (%s) carries the proxy's own Server header %q, seen on its canary pages, ", a.Status, learnt.Server)
			return v
		}
	}
	if a.Header.Get("Via") != "" {
		v.Origin, v.By = true, "relayed"
		return v
	}
	// Only the proxy's own pages (the .invalid answer, an allow list's refusal) give
	// something to differ from: a relayed success of the unlisted name alone does not.
	ownKnown := learnt != nil && (learnt.Invalid != nil || learnt.Unlisted != nil && learnt.UnlistedRefused)
	if !ownKnown {
		v.Reason, v.By = ReasonUnverified, "no-canary"
		v.Detail = "the proxy relayed an answer with no Via stamp and its own pages could not be learnt (canary requests failed"
		if learnt != nil && learnt.Error != "" {
			v.Detail += ": " + learnt.Error
		}
		v.Detail += ")"
		v.LookAt = "open the URL through the proxy in a browser and compare with the proxy's block page"
		return v
	}
	if a.StatusCode >= 400 {
		// An error status relayed with no stamp: the origin's own 4xx, or a filter's page
		// that no canary showed. Nothing tells them apart.
		v.Reason, v.By = ReasonUnverified, "error-unstamped"
		v.Detail = fmt.Sprintf("the proxy returned %s with no Via stamp; it differs from the proxy's canary pages, but nothing proves the origin wrote it", a.Status)
		v.LookAt = "compare the page (title, server) with the proxy's block page and with the endpoint's answer from an unfiltered network"
		return v
	}
	if inv := learnt.Invalid; inv != nil && page.Headers == inv.Headers && page.Server == inv.Server &&
		(learnt.Unlisted == nil || learnt.UnlistedRefused || learnt.Unlisted.Headers != page.Headers) {
		// Another page, but written by the same program as the proxy's own pages (same
		// header names, same server name, none of the origin's): a page of the proxy that
		// no canary showed, or an origin that happens to answer like it.
		v.Reason, v.By = ReasonUnverified, "proxy-headers"
		v.Detail = fmt.Sprintf("the answer (%s, title %q) has exactly the headers of the proxy's own pages (%s) and none an origin added", a.Status, page.Title, page.Headers)
		v.LookAt = "the page itself: if it is the proxy's or the company's block page, the endpoint is blocked"
		return v
	}
	v.Origin, v.By = true, "differs-from-canaries"
	return v
}

func reasonFor(means string, a Answer) string {
	switch means {
	case MeansDNS:
		return ReasonDNS
	case MeansUpstream:
		return ReasonUpstream
	}
	if a.StatusCode/100 == 3 {
		return ReasonBlockRedirect
	}
	return ReasonBlockPage
}

func signatureVerdict(v Verdict, s *Signature, a Answer) Verdict {
	v.Means, v.By, v.Product, v.Source = s.Means, "signature", s.Product, s.Source
	v.Reason = reasonFor(s.Means, a)
	v.Detail = fmt.Sprintf("the answer (%s) matches %s's own %s page", a.Status, s.Product, s.Means)
	return v
}
