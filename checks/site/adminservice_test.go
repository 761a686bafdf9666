package site

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/cmpreflight/cmpreflight/internal/redact"
)

// ntlmStandIn is an AdminService stand-in that serves the fixtures of one inventory
// directory with OData paging and requires NTLM on every connection, checking the
// structure of the three messages (the password itself is checked by the Samba test).
type ntlmStandIn struct {
	t          *testing.T
	dir        string
	pageSize   int
	wantUser   string
	wantDomain string

	mu         sync.Mutex
	authed     map[string]bool // connection (remote address) -> authenticated
	challenged map[string]bool
	handshakes int
	queries    []string
	rejects    int
}

func newStandIn(t *testing.T, dir, user, domain string, pageSize int) (*ntlmStandIn, *httptest.Server) {
	s := &ntlmStandIn{t: t, dir: dir, pageSize: pageSize, wantUser: user, wantDomain: domain,
		authed: map[string]bool{}, challenged: map[string]bool{}}
	srv := httptest.NewUnstartedServer(s)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshakes refused on purpose
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return s, srv
}

func (s *ntlmStandIn) deny(w http.ResponseWriter, challenge []byte) {
	if challenge == nil {
		w.Header().Add("WWW-Authenticate", "Negotiate")
		w.Header().Add("WWW-Authenticate", "NTLM")
	} else {
		w.Header().Set("WWW-Authenticate", "NTLM "+base64.StdEncoding.EncodeToString(challenge))
	}
	w.WriteHeader(http.StatusUnauthorized)
}

func (s *ntlmStandIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	conn := r.RemoteAddr
	s.mu.Lock()
	authed := s.authed[conn]
	s.mu.Unlock()
	if !authed {
		if !s.authenticate(w, r, conn) {
			return
		}
	}
	if user, _, ok := r.BasicAuth(); ok {
		s.t.Errorf("Basic credentials for %q sent to the AdminService", user)
	}
	s.serve(w, r)
}

// authenticate runs one step of the exchange; it returns true when the request may be served.
func (s *ntlmStandIn) authenticate(w http.ResponseWriter, r *http.Request, conn string) bool {
	h := r.Header.Get("Authorization")
	scheme, tok, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "NTLM") && !strings.EqualFold(scheme, "Negotiate") {
		s.mu.Lock()
		s.rejects++
		s.mu.Unlock()
		s.deny(w, nil)
		return false
	}
	msg, err := base64.StdEncoding.DecodeString(tok)
	if err != nil || len(msg) < 12 || !bytes.Equal(msg[:8], []byte("NTLMSSP\x00")) {
		s.t.Errorf("Authorization %q is not an NTLMSSP message", h)
		s.deny(w, nil)
		return false
	}
	switch typ := binary.LittleEndian.Uint32(msg[8:12]); typ {
	case 1:
		if len(msg) < 32 {
			s.t.Errorf("NEGOTIATE message too short: %d bytes", len(msg))
		}
		flags := binary.LittleEndian.Uint32(msg[12:16])
		if flags&0x00000200 == 0 || flags&0x00000001 == 0 {
			s.t.Errorf("NEGOTIATE flags %#x lack NTLM or UNICODE", flags)
		}
		s.mu.Lock()
		s.challenged[conn] = true
		s.mu.Unlock()
		s.deny(w, challengeMessage())
		return false
	case 3:
		s.mu.Lock()
		challenged := s.challenged[conn]
		s.mu.Unlock()
		if !challenged {
			s.t.Errorf("AUTHENTICATE before a CHALLENGE on %s", conn)
			s.deny(w, nil)
			return false
		}
		nt, err1 := field(msg, 20, false)
		domain, err2 := field(msg, 28, true)
		user, err3 := field(msg, 36, true)
		if err1 != nil || err2 != nil || err3 != nil {
			s.t.Errorf("AUTHENTICATE fields: %v %v %v", err1, err2, err3)
			s.deny(w, nil)
			return false
		}
		// An NTLMv2 response is a 16-byte proof and a blob of at least 28 bytes.
		if len(nt) < 44 || !strings.EqualFold(user, s.wantUser) || !strings.EqualFold(domain, s.wantDomain) {
			s.deny(w, nil)
			return false
		}
		s.mu.Lock()
		s.authed[conn] = true
		s.handshakes++
		s.mu.Unlock()
		return true
	default:
		s.t.Errorf("unexpected NTLM message type %d", typ)
		s.deny(w, nil)
		return false
	}
}

// field reads a security buffer (len, maxlen, offset) at off of an NTLM message.
func field(msg []byte, off int, unicode bool) (string, error) {
	if len(msg) < off+8 {
		return "", fmt.Errorf("message too short for the field at %d", off)
	}
	l := int(binary.LittleEndian.Uint16(msg[off:]))
	start := int(binary.LittleEndian.Uint32(msg[off+4:]))
	if start+l > len(msg) {
		return "", fmt.Errorf("field at %d overruns the message", off)
	}
	b := msg[start : start+l]
	if !unicode {
		return string(b), nil
	}
	if l%2 != 0 {
		return "", fmt.Errorf("odd UTF-16 length at %d", off)
	}
	u := make([]uint16, l/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u)), nil
}

func utf16Bytes(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

// challengeMessage builds a CHALLENGE (type 2) with a target name and target info.
func challengeMessage() []byte {
	target := utf16Bytes("LAB")
	var info []byte
	info = binary.LittleEndian.AppendUint16(info, 2) // MsvAvNbDomainName
	info = binary.LittleEndian.AppendUint16(info, uint16(len(target)))
	info = append(info, target...)
	info = binary.LittleEndian.AppendUint16(info, 1) // MsvAvNbComputerName
	comp := utf16Bytes("PROVIDER")
	info = binary.LittleEndian.AppendUint16(info, uint16(len(comp)))
	info = append(info, comp...)
	info = append(info, 0, 0, 0, 0) // MsvAvEOL
	const header = 56
	flags := uint32(0x00000001 | 0x00000004 | 0x00000200 | 0x00008000 | 0x00010000 | 0x00080000 | 0x00800000 | 0x20000000 | 0x80000000)
	m := []byte("NTLMSSP\x00")
	m = binary.LittleEndian.AppendUint32(m, 2)
	m = binary.LittleEndian.AppendUint16(m, uint16(len(target)))
	m = binary.LittleEndian.AppendUint16(m, uint16(len(target)))
	m = binary.LittleEndian.AppendUint32(m, header)
	m = binary.LittleEndian.AppendUint32(m, flags)
	m = append(m, 1, 2, 3, 4, 5, 6, 7, 8) // server challenge
	m = append(m, make([]byte, 8)...)     // reserved
	m = binary.LittleEndian.AppendUint16(m, uint16(len(info)))
	m = binary.LittleEndian.AppendUint16(m, uint16(len(info)))
	m = binary.LittleEndian.AppendUint32(m, uint32(header+len(target)))
	m = append(m, 10, 0, 0x61, 0x4a, 0, 0, 0, 15) // version
	m = append(m, target...)
	return append(m, info...)
}

func (s *ntlmStandIn) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.queries = append(s.queries, r.URL.Path+"?"+r.URL.RawQuery)
	s.mu.Unlock()
	class := strings.TrimPrefix(r.URL.Path, "/AdminService/wmi/")
	if class == r.URL.Path || strings.Contains(class, "/") {
		http.NotFound(w, r)
		return
	}
	// The AdminService wants $top/$skip literally.
	if strings.Contains(r.URL.RawQuery, "%24") {
		http.Error(w, "percent-encoded $", http.StatusBadRequest)
		return
	}
	q := r.URL.Query()
	top, err1 := strconv.Atoi(q.Get("$top"))
	skip, err2 := strconv.Atoi(q.Get("$skip"))
	if err1 != nil || err2 != nil || top <= 0 || skip < 0 {
		http.Error(w, "want $top and $skip", http.StatusBadRequest)
		return
	}
	more := false
	if top > s.pageSize { // a server may cap the page and point to the next one
		top, more = s.pageSize, true
	}
	data, err := os.ReadFile(filepath.Join(s.dir, class+".json"))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	var items []json.RawMessage
	switch class {
	case ClassSite:
		var v []Site
		_ = DecodeClass(data, &v)
		items = marshalAll(v)
	case ClassResources:
		var v []SystemResource
		_ = DecodeClass(data, &v)
		items = marshalAll(v)
	case ClassSysResUse:
		var v []SysResUse
		_ = DecodeClass(data, &v)
		items = marshalAll(v)
	}
	end := min(skip+top, len(items))
	page := []json.RawMessage{}
	if skip < len(items) {
		page = items[skip:end]
	}
	body := map[string]any{"@odata.context": "https://provider/AdminService/wmi/$metadata#" + class, "value": page}
	if more && end < len(items) {
		body["@odata.nextLink"] = fmt.Sprintf("https://provider/AdminService/wmi/%s?$top=%d&$skip=%d", class, top, end)
	}
	w.Header().Set("Content-Type", "application/json; odata.metadata=minimal")
	_ = json.NewEncoder(w).Encode(body)
}

func marshalAll[T any](v []T) []json.RawMessage {
	var out []json.RawMessage
	for _, x := range v {
		b, _ := json.Marshal(x)
		out = append(out, b)
	}
	return out
}

func trustServer(srv *httptest.Server) *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return pool
}

const secret = "S3cr3t-Pa55word!"

func TestFetchInventoryNTLMPaging(t *testing.T) {
	// A page size of 2 makes every class of cas-child span several pages.
	s, srv := newStandIn(t, "testdata/cas-child", "svc-cmread", "CONTOSO", 2)
	client := NewClient(ClientOptions{RootCAs: trustServer(srv), Timeout: 10 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// Ask for 2 per page so paging happens with the real $top too.
	inv, err := fetchWithPageSize(ctx, srv.URL+"/AdminService/", client, Auth{User: `CONTOSO\svc-cmread`, Password: secret})
	if err != nil {
		t.Fatal(err)
	}
	want, err := LoadInventory("testdata/cas-child")
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Sites) != len(want.Sites) || len(inv.Resources) != len(want.Resources) || len(inv.RoleUses) != len(want.RoleUses) {
		t.Fatalf("got %d/%d/%d items, want %d/%d/%d", len(inv.Sites), len(inv.Resources), len(inv.RoleUses),
			len(want.Sites), len(want.Resources), len(want.RoleUses))
	}
	if inv.Source != "adminservice" || inv.Insecure {
		t.Errorf("source=%q insecure=%v", inv.Source, inv.Insecure)
	}
	f, _ := Analyze(inv, Options{SCPServer: "PRI01.contoso.com"})
	if f.TopLevel || !f.HasCAS || f.Source != "adminservice" {
		t.Errorf("facts from the AdminService: %+v", f)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.handshakes == 0 || s.rejects == 0 {
		t.Errorf("handshakes=%d anonymous rejects=%d; want NTLM to have been required", s.handshakes, s.rejects)
	}
	sawSkip := false
	for _, q := range s.queries {
		if !strings.Contains(q, "$top=") || !strings.Contains(q, "$skip=") {
			t.Errorf("query %q lacks literal $top/$skip", q)
		}
		if strings.Contains(q, "$skip=2") {
			sawSkip = true
		}
	}
	if !sawSkip {
		t.Errorf("no second page requested: %v", s.queries)
	}
}

// fetchWithPageSize asks for pages of 2 so that every class spans several pages.
func fetchWithPageSize(ctx context.Context, base string, c *http.Client, a Auth) (*Inventory, error) {
	inv, err := fetchInventory(ctx, base, c, a, 2)
	return inv, redact.Error(err, a.Password)
}

func TestFetchInventoryFollowsCappedPages(t *testing.T) {
	// The server caps pages at 3 and points to the next one; FetchInventory asks for 500.
	s, srv := newStandIn(t, "testdata/cas-child", "svc-cmread", "", 3)
	client := NewClient(ClientOptions{RootCAs: trustServer(srv)})
	inv, err := FetchInventory(context.Background(), srv.URL+"/AdminService", client, Auth{User: "svc-cmread", Password: secret})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Resources) != 7 {
		t.Errorf("resources = %d, want 7 over three capped pages", len(inv.Resources))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queries) != 2+3+1 {
		t.Errorf("queries = %v", s.queries)
	}
}

func TestFetchInventoryFailures(t *testing.T) {
	_, srv := newStandIn(t, "testdata/standalone", "svc-cmread", "CONTOSO", 500)
	trusted := NewClient(ClientOptions{RootCAs: trustServer(srv), Timeout: 10 * time.Second})
	ctx := context.Background()

	cases := []struct {
		name   string
		base   string
		client *http.Client
		auth   Auth
		want   string
	}{
		{"wrong user", srv.URL + "/AdminService", trusted, Auth{User: `CONTOSO\someone`, Password: secret}, "401"},
		{"untrusted certificate", srv.URL + "/AdminService", NewClient(ClientOptions{}), Auth{User: `CONTOSO\svc-cmread`, Password: secret}, "--ca-file"},
		{"credentials in the URL", strings.Replace(srv.URL, "https://", "https://u:"+secret+"@", 1) + "/AdminService", trusted, Auth{User: `CONTOSO\svc-cmread`}, "must not carry credentials"},
		{"not a URL", "provider/AdminService", trusted, Auth{User: "u", Password: secret}, "want https://PROVIDER/AdminService"},
		{"password without user", srv.URL + "/AdminService", trusted, Auth{Password: secret}, "without a user"},
		{"wrong path", srv.URL + "/Nope", trusted, Auth{User: `CONTOSO\svc-cmread`, Password: secret}, "404"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := FetchInventory(ctx, c.base, c.client, c.auth)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("the password leaked into the error: %v", err)
			}
		})
	}
}

func TestFetchInventoryInsecureIsRecorded(t *testing.T) {
	_, srv := newStandIn(t, "testdata/proxy-creds", "svc-cmread", "CONTOSO", 500)
	inv, err := FetchInventory(context.Background(), srv.URL+"/AdminService/wmi/", NewClient(ClientOptions{Insecure: true}),
		Auth{User: `CONTOSO\svc-cmread`, Password: secret})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := Analyze(inv, Options{SCPServer: "SCP02.contoso.com"})
	if !inv.Insecure || !f.Insecure {
		t.Errorf("insecure not recorded: inventory %v facts %v", inv.Insecure, f.Insecure)
	}
	if f.ConfiguredProxy == nil || ConfiguredProxyURL(f.ConfiguredProxy) != "http://proxy.contoso.com:8080" {
		t.Errorf("proxy = %+v", f.ConfiguredProxy)
	}
}

func TestFetchInventoryNeedsAUserOffWindows(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the current identity is used on Windows")
	}
	_, srv := newStandIn(t, "testdata/standalone", "x", "", 500)
	_, err := FetchInventory(context.Background(), srv.URL+"/AdminService", NewClient(ClientOptions{RootCAs: trustServer(srv)}), Auth{})
	if err == nil || !strings.Contains(err.Error(), "only available on Windows") {
		t.Fatalf("err = %v", err)
	}
}

func TestPickAuthScheme(t *testing.T) {
	h := http.Header{}
	h.Add("WWW-Authenticate", "NTLM")
	h.Add("WWW-Authenticate", "Negotiate")
	if s, tok := pickAuthScheme(h); s != "Negotiate" || tok != nil {
		t.Errorf("%q %v", s, tok)
	}
	h = http.Header{"Www-Authenticate": {"Basic realm=x, NTLM " + base64.StdEncoding.EncodeToString([]byte("abc"))}}
	if s, tok := pickAuthScheme(h); s != "NTLM" || string(tok) != "abc" {
		t.Errorf("%q %q", s, tok)
	}
	if s, _ := pickAuthScheme(http.Header{"Www-Authenticate": {"Basic realm=x"}}); s != "" {
		t.Errorf("basic only: %q", s)
	}
}
