package netprobe

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"github.com/cmpreflight/cmpreflight/checks/origin"
	"io"
	"net/http"
	"regexp"
	"strings"

	"github.com/cmpreflight/cmpreflight/facts"
)

// Limits on what a probe reads from a peer, so a hostile endpoint cannot hold memory.
const (
	maxHeaderBytes = 64 << 10
	maxBodyPeek    = 16 << 10
	maxRedirects   = 10
	maxInterim     = 5 // 1xx answers skipped before the final one
)

// failStatuses are the answers ConfigMgr's own endpoint checker treats as failures
// (docs/design.md, "What passes"); any other answer means the endpoint is reachable.
var failStatuses = map[int]bool{407: true, 408: true, 426: true, 451: true, 502: true, 511: true, 598: true, 599: true}

// ProbeError is a failure at one stage of a check.
type ProbeError struct {
	Stage  string
	Reason string
	Detail string
	// Warn: not a failure but no pass either (who answered cannot be verified).
	Warn bool
	// unproven: a warn about who wrote the first plain-HTTP answer that a proof anchored in
	// verified TLS may still turn into a pass.
	unproven bool
}

func (e *ProbeError) Error() string { return e.Stage + "/" + e.Reason + ": " + e.Detail }

// capReader lets a bounded number of bytes through; past the cap it fails, so an endless
// header block or body ends as an error instead of filling memory.
type capReader struct {
	r    io.Reader
	left int64
	read int64
}

var errCapExceeded = errors.New("peer sent more than the probe reads")

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, errCapExceeded
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	c.read += int64(n)
	return n, err
}

// readResponse reads a response head (and peeks at most maxBodyPeek of the body when
// peekBody), bounded in bytes.
func readResponse(br *bufio.Reader, cr *capReader, req *http.Request, peekBody bool) (*http.Response, []byte, error) {
	var peek int64
	if peekBody {
		peek = maxBodyPeek
	}
	return readResponseN(br, cr, req, peek)
}

// readResponseN is readResponse peeking at most peek bytes of the body (0: none).
func readResponseN(br *bufio.Reader, cr *capReader, req *http.Request, peek int64) (*http.Response, []byte, error) {
	cr.left = maxHeaderBytes
	resp, err := http.ReadResponse(br, req)
	// An interim answer (100 Continue, 103 Early Hints) is not the answer: the one after it
	// decides. Nothing here asks to switch protocols, so a 101 is a bad answer.
	for skipped := 0; err == nil && resp.StatusCode/100 == 1; skipped++ {
		if resp.StatusCode == http.StatusSwitchingProtocols || skipped == maxInterim {
			return nil, nil, fmt.Errorf("unexpected interim answer %s", resp.Status)
		}
		resp, err = http.ReadResponse(br, req)
	}
	if err != nil {
		return nil, nil, err
	}
	var body []byte
	// A refused CONNECT carries the proxy's page: peek at it too (who refused, and why).
	refusedConnect := req != nil && req.Method == http.MethodConnect && resp.StatusCode/100 != 2
	if refusedConnect && peek == 0 {
		peek = maxBodyPeek
	}
	if peek > 0 && resp.Body != nil {
		cr.left = peek
		body, _ = io.ReadAll(io.LimitReader(resp.Body, peek))
		body = decoded(resp.Header, body)
	}
	return resp, body, nil
}

// decoded is a peeked body as text: a page sent gzip-compressed although the probe never
// asked for it (no Accept-Encoding) is inflated, at most maxBodyPeek bytes of it, so that
// its title and markers are read. A body that does not inflate stays as it came.
func decoded(h http.Header, body []byte) []byte {
	if !strings.EqualFold(strings.TrimSpace(h.Get("Content-Encoding")), "gzip") || len(body) == 0 {
		return body
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return body
	}
	text, _ := io.ReadAll(io.LimitReader(zr, maxBodyPeek))
	if len(text) == 0 {
		return body
	}
	return text
}

// drain reads what is left of a small body so the connection can carry the next request
// (the NTLM exchange needs one kept-alive connection).
func drain(cr *capReader, resp *http.Response) {
	if resp.Body == nil {
		return
	}
	cr.left = maxBodyPeek
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxBodyPeek))
	resp.Body.Close()
}

var blockWords = regexp.MustCompile(`(?i)\b(block(ed)?|denied|forbidden|not allowed|prohibited|access restricted|filtered|policy violation)\b`)

// blockPage tells whether an answer is a block page dressed as a success: an HTML title in
// the words filters use. A Via stamp does not clear it: a URL rewriter (squidGuard without
// "302:") has the proxy fetch the block page and relay it, stamped, for the blocked URL.
func blockPage(h http.Header, body []byte) bool {
	if !strings.Contains(strings.ToLower(h.Get("Content-Type")), "html") {
		return false
	}
	return blockWords.MatchString(origin.Title(body))
}

// proxyMade tells whether a response was written by the proxy itself (an error or block
// page) rather than relayed from the origin.
func proxyMade(h http.Header) bool {
	if h.Get("X-Squid-Error") != "" {
		return true
	}
	if ps := strings.ToLower(h.Get("Proxy-Status")); strings.Contains(ps, "error=") {
		return true
	}
	server := strings.ToLower(h.Get("Server"))
	if h.Get("Via") == "" && (strings.HasPrefix(server, "tinyproxy") || strings.HasPrefix(server, "squid")) {
		return true
	}
	return false
}

// interestingHeaders keeps the headers that explain a proxy's decision.
func interestingHeaders(h http.Header) map[string]string {
	out := map[string]string{}
	for k, v := range h {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-squid") || strings.HasPrefix(lk, "x-") && strings.Contains(lk, "error") ||
			lk == "proxy-status" || lk == "server" || lk == "via" || lk == "proxy-authenticate" ||
			lk == "x-cache" || lk == "www-authenticate" || lk == "location" || lk == "content-type" {
			s := strings.Join(v, ", ")
			if len(s) > 300 {
				s = s[:300]
			}
			out[k] = s
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// statusLine renders "HTTP/1.1 403 Forbidden".
func statusLine(resp *http.Response) string {
	return fmt.Sprintf("%s %s", resp.Proto, resp.Status)
}

// httpFailure decides whether an answer counts as reached (nil) or as a failure.
func httpFailure(resp *http.Response) *ProbeError {
	if failStatuses[resp.StatusCode] {
		return &ProbeError{Stage: facts.StageHTTP, Reason: fmt.Sprintf("status-%d", resp.StatusCode),
			Detail: "the endpoint answered " + statusLine(resp) + ", which ConfigMgr's endpoint check counts as a failure"}
	}
	return nil
}

// classifyReadErr names a failure while waiting for or reading an answer.
func classifyReadErr(ctx context.Context, stage string, err error) *ProbeError {
	if errors.Is(err, errCapExceeded) {
		return &ProbeError{Stage: stage, Reason: "too-large", Detail: fmt.Sprintf("the answer's header block exceeded %d bytes", maxHeaderBytes)}
	}
	ce := classifyNetErr(ctx, err)
	reason := ce.Reason
	if reason == "error" {
		reason = "bad-response"
	}
	return &ProbeError{Stage: stage, Reason: reason, Detail: ce.Detail}
}
