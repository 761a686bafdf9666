package lab

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	ntlmssp "github.com/Azure/go-ntlmssp"
)

// proxyLab is a lab web endpoint reachable under a few names, and a CA for it.
type proxyLab struct {
	ca    *CA
	web   *Web
	hosts map[string]string
}

func newProxyLab(t *testing.T, names ...string) *proxyLab {
	t.Helper()
	ca, err := NewCA("cmpreflight lab root " + t.Name())
	if err != nil {
		t.Fatal(err)
	}
	ip, err := AllocIP()
	if err != nil {
		t.Fatal(err)
	}
	web, err := StartWeb(ip, 0, 0, ca, ConnServe)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(web.Close)
	web.Handle("", Route{Status: 200, Body: "lab says hello\n"})
	hosts := map[string]string{}
	for _, n := range names {
		hosts[n] = ip
	}
	return &proxyLab{ca: ca, web: web, hosts: hosts}
}

func (l *proxyLab) httpsURL(name string) string {
	return fmt.Sprintf("https://%s:%d/", name, l.web.TLSPort)
}

func (l *proxyLab) httpURL(name string) string {
	return fmt.Sprintf("http://%s:%d/", name, l.web.HTTPPort)
}

// client returns an HTTP client through proxyURL that trusts only roots, resolving nothing
// itself (the proxy resolves every name).
func client(t *testing.T, proxyURL string, roots *CA) *http.Client {
	t.Helper()
	u, err := url.Parse(proxyURL)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{
		Proxy:               http.ProxyURL(u),
		TLSClientConfig:     &tls.Config{RootCAs: roots.Pool()},
		TLSHandshakeTimeout: 10 * time.Second,
		DisableKeepAlives:   true,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 15 * time.Second}
}

func withUser(proxyURL, user, pass string) string {
	u, _ := url.Parse(proxyURL)
	u.User = url.UserPassword(user, pass)
	return u.String()
}

// rawConnect sends one CONNECT to the proxy and returns its answer (the body read), so tests
// see the status and headers that http.Transport hides on a failed CONNECT.
func rawConnect(t *testing.T, proxyAddr, target string, header http.Header) (*http.Response, string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", proxyAddr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	req := &http.Request{Method: http.MethodConnect, URL: &url.URL{Opaque: target}, Host: target, Header: header}
	if req.Header == nil {
		req.Header = http.Header{}
	}
	if err := req.Write(c); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), req)
	if err != nil {
		t.Fatalf("CONNECT %s via %s: %v", target, proxyAddr, err)
	}
	body := ""
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		body = string(b)
	}
	resp.Body.Close()
	return resp, body
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp, string(b)
}

func TestSquidNoAuthConnectAndGet(t *testing.T) {
	t.Parallel()
	l := newProxyLab(t, "api.lab.test")
	p := StartSquid(t, SquidOptions{Hosts: l.hosts})
	c := client(t, p.URL, l.ca)
	resp, body := get(t, c, l.httpsURL("api.lab.test"))
	if resp.StatusCode != 200 || body != "lab says hello\n" || resp.TLS == nil {
		t.Fatalf("CONNECT+TLS: %d %q", resp.StatusCode, body)
	}
	if got := resp.TLS.PeerCertificates[0].Issuer.CommonName; got != l.ca.Name {
		t.Fatalf("without bumping the lab CA should sign the leaf, got %q", got)
	}
	resp, body = get(t, c, l.httpURL("api.lab.test"))
	if resp.StatusCode != 200 || body != "lab says hello\n" {
		t.Fatalf("GET via proxy: %d %q", resp.StatusCode, body)
	}
	log, err := os.ReadFile(p.LogPath)
	if err != nil || !strings.Contains(string(log), "CONNECT api.lab.test:") {
		t.Fatalf("access log lacks the CONNECT: %v %q", err, log)
	}
}

func TestSquidBasicAuth(t *testing.T) {
	t.Parallel()
	l := newProxyLab(t, "api.lab.test", "blocked.akamaiedge.net")
	p := StartSquid(t, SquidOptions{Auth: SquidBasic, Users: map[string]string{"alice": "S3cret-pa55", "bob": "other"},
		Hosts: l.hosts, Deny: []string{".akamaiedge.net"}})
	target := fmt.Sprintf("api.lab.test:%d", l.web.TLSPort)
	check407 := func(h http.Header, what string) {
		resp, _ := rawConnect(t, p.Addr, target, h)
		if resp.StatusCode != 407 || !strings.HasPrefix(resp.Header.Get("Proxy-Authenticate"), "Basic realm=") {
			t.Fatalf("%s: want 407 with Basic, got %d %v", what, resp.StatusCode, resp.Header)
		}
	}
	check407(nil, "no credentials")
	bad := http.Header{"Proxy-Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("alice:wrong"))}}
	check407(bad, "wrong password")
	good := http.Header{"Proxy-Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("alice:S3cret-pa55"))}}
	if resp, _ := rawConnect(t, p.Addr, target, good); resp.StatusCode != 200 {
		t.Fatalf("right password: %d", resp.StatusCode)
	}
	c := client(t, withUser(p.URL, "bob", "other"), l.ca)
	if resp, body := get(t, c, l.httpsURL("api.lab.test")); resp.StatusCode != 200 || body != "lab says hello\n" {
		t.Fatalf("Transport with Basic: %d %q", resp.StatusCode, body)
	}
	// Denied after authentication: 403 with squid's error header, for CONNECT and GET.
	resp, _ := rawConnect(t, p.Addr, fmt.Sprintf("blocked.akamaiedge.net:%d", l.web.TLSPort), good)
	if resp.StatusCode != 403 || !strings.HasPrefix(resp.Header.Get("X-Squid-Error"), "ERR_ACCESS_DENIED") {
		t.Fatalf("deny ACL on CONNECT: %d %v", resp.StatusCode, resp.Header)
	}
	resp, _ = get(t, c, l.httpURL("blocked.akamaiedge.net"))
	if resp.StatusCode != 403 || !strings.HasPrefix(resp.Header.Get("X-Squid-Error"), "ERR_ACCESS_DENIED") {
		t.Fatalf("deny ACL on GET: %d %v", resp.StatusCode, resp.Header)
	}
	// Wrong password with a denied name still asks for authentication first.
	resp, _ = rawConnect(t, p.Addr, fmt.Sprintf("blocked.akamaiedge.net:%d", l.web.TLSPort), bad)
	if resp.StatusCode != 407 {
		t.Fatalf("wrong password on a denied name: %d", resp.StatusCode)
	}
}

func TestSquidUnknownNameFailsFast(t *testing.T) {
	t.Parallel()
	l := newProxyLab(t, "api.lab.test")
	p := StartSquid(t, SquidOptions{Hosts: l.hosts})
	start := time.Now()
	resp, _ := rawConnect(t, p.Addr, "nowhere.lab.test:443", nil)
	if resp.StatusCode < 500 || time.Since(start) > 3*time.Second {
		t.Fatalf("CONNECT to an unknown name: %d after %v", resp.StatusCode, time.Since(start))
	}
	t.Logf("CONNECT unknown name: %s (%s) in %v", resp.Status, resp.Header.Get("X-Squid-Error"), time.Since(start).Round(time.Millisecond))
	start = time.Now()
	r2, _ := get(t, client(t, p.URL, l.ca), "http://nowhere2.lab.test/")
	if r2.StatusCode < 500 || time.Since(start) > 3*time.Second {
		t.Fatalf("GET an unknown name: %d after %v", r2.StatusCode, time.Since(start))
	}
	t.Logf("GET unknown name: %s (%s) in %v", r2.Status, r2.Header.Get("X-Squid-Error"), time.Since(start).Round(time.Millisecond))
	// A name added to the proxy's resolver while it runs is reachable.
	if p.DNS == nil {
		t.Skip("no lab resolver (port 53 busy)")
	}
	p.DNS.A("late.lab.test", l.web.IP)
	if resp, _ := rawConnect(t, p.Addr, fmt.Sprintf("late.lab.test:%d", l.web.TLSPort), nil); resp.StatusCode != 200 {
		t.Fatalf("name added to Proxy.DNS: %d", resp.StatusCode)
	}
}

func TestSquidSSLBump(t *testing.T) {
	t.Parallel()
	l := newProxyLab(t, "api.lab.test")
	inspect, err := NewCA("cmpreflight lab inspection CA")
	if err != nil {
		t.Fatal(err)
	}
	p := StartSquid(t, SquidOptions{Hosts: l.hosts, Bump: inspect, UpstreamCA: l.ca.PEM()})
	c := client(t, p.URL, inspect)
	resp, body := get(t, c, l.httpsURL("api.lab.test"))
	if resp.StatusCode != 200 || body != "lab says hello\n" {
		t.Fatalf("through the bumping proxy: %d %q", resp.StatusCode, body)
	}
	leaf := resp.TLS.PeerCertificates[0]
	if leaf.Issuer.CommonName != inspect.Name {
		t.Fatalf("leaf issued by %q, want the inspection CA", leaf.Issuer.CommonName)
	}
	if err := leaf.VerifyHostname("api.lab.test"); err != nil {
		t.Fatal(err)
	}
	// A client that trusts only the real lab CA sees an unknown authority.
	if _, err := client(t, p.URL, l.ca).Get(l.httpsURL("api.lab.test")); err == nil || !strings.Contains(err.Error(), "unknown authority") {
		t.Fatalf("want an unknown-authority error, got %v", err)
	}
}

func TestSquidIdleTimeout(t *testing.T) {
	t.Parallel()
	l := newProxyLab(t, "api.lab.test")
	p := StartSquid(t, SquidOptions{Hosts: l.hosts, IdleTimeout: time.Second})
	c, err := net.DialTimeout("tcp", p.Addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "CONNECT api.lab.test:%d HTTP/1.1\r\nHost: api.lab.test:%d\r\n\r\n", l.web.TLSPort, l.web.TLSPort)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("CONNECT: %v %v", resp, err)
	}
	start := time.Now()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = br.ReadByte()
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("idle tunnel: want closed by squid after ~1s, got err=%v after %v", err, time.Since(start))
	}
	t.Logf("idle tunnel closed by squid after %v (%v)", time.Since(start).Round(10*time.Millisecond), err)
}

func TestSquidConnectDelay(t *testing.T) {
	t.Parallel()
	l := newProxyLab(t, "api.lab.test")
	p := StartSquid(t, SquidOptions{Hosts: l.hosts, CONNECTDelay: 700 * time.Millisecond})
	for i := 0; i < 2; i++ { // twice: the helper's answer must not be cached
		start := time.Now()
		resp, _ := rawConnect(t, p.Addr, fmt.Sprintf("api.lab.test:%d", l.web.TLSPort), nil)
		d := time.Since(start)
		if resp.StatusCode != 200 || d < 600*time.Millisecond || d > 5*time.Second {
			t.Fatalf("delayed CONNECT %d: %d after %v", i, resp.StatusCode, d)
		}
	}
}

func TestTinyproxyBasic(t *testing.T) {
	t.Parallel()
	l := newProxyLab(t, "api.lab.test")
	p := StartTinyproxy(t, TinyproxyOptions{User: "carol", Password: "tiny-Pa55", Hosts: l.hosts})
	c := client(t, withUser(p.URL, "carol", "tiny-Pa55"), l.ca)
	if resp, body := get(t, c, l.httpsURL("api.lab.test")); resp.StatusCode != 200 || body != "lab says hello\n" {
		t.Fatalf("CONNECT with Basic: %d %q", resp.StatusCode, body)
	}
	if resp, body := get(t, c, l.httpURL("api.lab.test")); resp.StatusCode != 200 || body != "lab says hello\n" {
		t.Fatalf("GET with Basic: %d %q", resp.StatusCode, body)
	}
	bad := http.Header{"Proxy-Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("carol:wrong"))}}
	resp, _ := rawConnect(t, p.Addr, fmt.Sprintf("api.lab.test:%d", l.web.TLSPort), bad)
	if resp.StatusCode != 401 {
		t.Fatalf("wrong password: want tinyproxy's 401 quirk, got %d %v", resp.StatusCode, resp.Header)
	}
	t.Logf("tinyproxy wrong password: %s, WWW-Authenticate=%q Proxy-Authenticate=%q", resp.Status,
		resp.Header.Get("WWW-Authenticate"), resp.Header.Get("Proxy-Authenticate"))
	start := time.Now()
	resp, _ = rawConnect(t, p.Addr, "nowhere.lab.test:443", http.Header{"Proxy-Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("carol:tiny-Pa55"))}})
	if resp.StatusCode < 400 || time.Since(start) > 3*time.Second {
		t.Fatalf("unknown name: %d after %v", resp.StatusCode, time.Since(start))
	}
	t.Logf("tinyproxy unknown name: %s in %v", resp.Status, time.Since(start).Round(time.Millisecond))
}

func TestHostileProxies(t *testing.T) {
	t.Parallel()
	l := newProxyLab(t, "api.lab.test")
	target := fmt.Sprintf("api.lab.test:%d", l.web.TLSPort)

	t.Run("never-answer", func(t *testing.T) {
		p := StartHostileProxy(t, HostileNeverAnswer)
		c, err := net.Dial("tcp", p.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target)
		c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		if n, err := c.Read(make([]byte, 1)); n != 0 || !isTimeout(err) {
			t.Fatalf("want silence, got %d bytes, %v", n, err)
		}
	})
	t.Run("garbage", func(t *testing.T) {
		p := StartHostileProxy(t, HostileGarbage)
		_, err := client(t, p.URL, l.ca).Get(l.httpsURL("api.lab.test"))
		if err == nil {
			t.Fatal("garbage proxy answer accepted")
		}
		t.Logf("client error: %v", err)
	})
	t.Run("close-mid-tunnel", func(t *testing.T) {
		p := StartHostileProxy(t, HostileCloseMidTunnel)
		resp, _ := rawConnect(t, p.Addr, target, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("CONNECT: %d", resp.StatusCode)
		}
		_, err := client(t, p.URL, l.ca).Get(l.httpsURL("api.lab.test"))
		if err == nil {
			t.Fatal("TLS through a closed tunnel succeeded")
		}
		t.Logf("client error: %v", err)
	})
	t.Run("407-basic", func(t *testing.T) {
		p := StartHostileProxy(t, Hostile407Basic)
		resp, _ := rawConnect(t, p.Addr, target, nil)
		if resp.StatusCode != 407 || !strings.HasPrefix(resp.Header.Get("Proxy-Authenticate"), "Basic") {
			t.Fatalf("%d %v", resp.StatusCode, resp.Header)
		}
	})
	t.Run("407-ntlm-negotiate", func(t *testing.T) {
		p := StartHostileProxy(t, Hostile407NTLM)
		resp, _ := rawConnect(t, p.Addr, target, http.Header{"Proxy-Authorization": {"NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAGFKAAAADw=="}})
		got := strings.Join(resp.Header.Values("Proxy-Authenticate"), ",")
		if resp.StatusCode != 407 || got != "Negotiate,NTLM" {
			t.Fatalf("%d %q", resp.StatusCode, got)
		}
	})
	t.Run("block-page", func(t *testing.T) {
		p := StartHostileProxy(t, HostileBlockPage)
		resp, body := get(t, client(t, p.URL, l.ca), l.httpURL("api.lab.test"))
		if resp.StatusCode != 200 || !strings.Contains(body, "<title>"+BlockPageTitle+"</title>") {
			t.Fatalf("GET: %d %q", resp.StatusCode, body)
		}
		resp, _ = rawConnect(t, p.Addr, target, nil)
		if resp.StatusCode != 403 || !strings.HasPrefix(resp.Header.Get("X-Squid-Error"), "ERR_ACCESS_DENIED") {
			t.Fatalf("CONNECT: %d %v", resp.StatusCode, resp.Header)
		}
	})
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// ntlmConnect runs the three NTLM messages on one connection and returns the final answer to
// CONNECT target.
func ntlmConnect(t *testing.T, proxyAddr, target, user, pass string) *http.Response {
	t.Helper()
	c, err := net.DialTimeout("tcp", proxyAddr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(15 * time.Second))
	br := bufio.NewReader(c)
	send := func(token []byte) *http.Response {
		req := &http.Request{Method: http.MethodConnect, URL: &url.URL{Opaque: target}, Host: target,
			Header: http.Header{"Proxy-Authorization": {"NTLM " + base64.StdEncoding.EncodeToString(token)}}}
		if err := req.Write(c); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return resp
	}
	neg, err := ntlmssp.NewNegotiateMessage(NTLMDomain, "")
	if err != nil {
		t.Fatal(err)
	}
	resp := send(neg)
	ch := ""
	for _, v := range resp.Header.Values("Proxy-Authenticate") {
		if strings.HasPrefix(v, "NTLM ") {
			ch = strings.TrimPrefix(v, "NTLM ")
		}
	}
	if resp.StatusCode != 407 || ch == "" {
		t.Fatalf("NTLM negotiate: want 407 with a challenge, got %d %v", resp.StatusCode, resp.Header)
	}
	chal, err := base64.StdEncoding.DecodeString(ch)
	if err != nil {
		t.Fatal(err)
	}
	var auth []byte
	if pass == "" { // ntlm_fake_auth: its challenge is malformed, answer with a bare type 3
		auth = bareNTLMAuthenticate(user)
	} else if auth, err = ntlmssp.ProcessChallenge(chal, user, pass, false); err != nil {
		t.Fatalf("go-ntlmssp rejects the challenge % x: %v", chal, err)
	}
	return send(auth)
}

// bareNTLMAuthenticate builds an NTLM type 3 message carrying only a user name (Unicode) and
// empty responses: enough for ntlm_fake_auth, which accepts any credentials.
func bareNTLMAuthenticate(user string) []byte {
	name := make([]byte, 0, 2*len(user))
	for _, r := range user {
		name = append(name, byte(r), byte(r>>8))
	}
	msg := make([]byte, 64, 64+len(name))
	copy(msg, "NTLMSSP\x00")
	binary.LittleEndian.PutUint32(msg[8:], 3)
	field := func(at int, length, offset int) {
		binary.LittleEndian.PutUint16(msg[at:], uint16(length))
		binary.LittleEndian.PutUint16(msg[at+2:], uint16(length))
		binary.LittleEndian.PutUint32(msg[at+4:], uint32(offset))
	}
	for _, at := range []int{12, 20, 28, 44, 52} { // LM, NT, domain, workstation, session key
		field(at, 0, 64)
	}
	field(36, len(name), 64) // user
	binary.LittleEndian.PutUint32(msg[60:], 0xa2088201)
	return append(msg, name...)
}

func TestSquidNTLMFake(t *testing.T) {
	t.Parallel()
	l := newProxyLab(t, "api.lab.test")
	p := StartSquid(t, SquidOptions{Auth: SquidNTLMFake, Users: map[string]string{"dave": "pw"}, Hosts: l.hosts})
	target := fmt.Sprintf("api.lab.test:%d", l.web.TLSPort)
	resp, _ := rawConnect(t, p.Addr, target, nil)
	if got := strings.Join(resp.Header.Values("Proxy-Authenticate"), ","); resp.StatusCode != 407 || !strings.HasPrefix(got, "NTLM,Basic realm=") {
		t.Fatalf("want 407 offering NTLM then Basic, got %d %q", resp.StatusCode, got)
	}
	if r := ntlmConnect(t, p.Addr, target, "anyone", ""); r.StatusCode != 200 {
		t.Fatalf("ntlm_fake_auth: %d", r.StatusCode)
	}
}

func TestSquidNTLMWinbind(t *testing.T) {
	t.Parallel()
	l := newProxyLab(t, "api.lab.test")
	start := time.Now()
	p := StartSquid(t, SquidOptions{Auth: SquidNTLM, Users: map[string]string{"labntlm1": "Ntlm-Pa55"}, Hosts: l.hosts})
	t.Logf("squid with winbindd ready in %v", time.Since(start).Round(time.Millisecond))
	target := fmt.Sprintf("api.lab.test:%d", l.web.TLSPort)
	if r := ntlmConnect(t, p.Addr, target, "labntlm1", "Ntlm-Pa55"); r.StatusCode != 200 {
		t.Fatalf("right password: %d", r.StatusCode)
	}
	if r := ntlmConnect(t, p.Addr, target, NTLMDomain+`\labntlm1`, "Ntlm-Pa55"); r.StatusCode != 200 {
		t.Fatalf("right password with the domain: %d", r.StatusCode)
	}
	if r := ntlmConnect(t, p.Addr, target, "labntlm1", "wrong"); r.StatusCode != 407 {
		t.Fatalf("wrong password: want 407, got %d", r.StatusCode)
	}
	if r := ntlmConnect(t, p.Addr, target, "nobody-here", "Ntlm-Pa55"); r.StatusCode != 407 {
		t.Fatalf("unknown user: want 407, got %d", r.StatusCode)
	}
}
