package site

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	ntlmssp "github.com/Azure/go-ntlmssp"

	"github.com/cmpreflight/cmpreflight/internal/neterr"
	"github.com/cmpreflight/cmpreflight/internal/redact"
)

// PageSize is the $top of each AdminService request.
const PageSize = 500

// maxPages bounds paging against a server that never returns a short page.
const maxPages = 10000

// Auth is how the AdminService is authenticated: NTLM with User (DOMAIN\user or
// user@domain) and Password, or, with no User, the current Windows identity through SSPI.
type Auth struct {
	User     string
	Password string
}

// ClientOptions build the HTTP client for the AdminService. The provider's certificate is
// trusted only through RootCAs, or not verified at all with Insecure (which the facts record).
type ClientOptions struct {
	RootCAs  *x509.CertPool
	Insecure bool
	Timeout  time.Duration
}

// NewClient returns an HTTP client for the AdminService that never uses an environment
// proxy (the provider is on the internal network).
func NewClient(o ClientOptions) *http.Client {
	tr := &http.Transport{
		Proxy:               nil,
		TLSClientConfig:     &tls.Config{RootCAs: o.RootCAs, InsecureSkipVerify: o.Insecure, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout: 15 * time.Second,
		MaxIdleConnsPerHost: 2,
		// NTLM authenticates a connection: HTTP/2 would break it.
		ForceAttemptHTTP2: false,
		TLSNextProto:      map[string]func(string, *tls.Conn) http.RoundTripper{},
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	return &http.Client{Transport: tr, Timeout: timeout}
}

// FetchInventory reads SMS_Site, SMS_SystemResourceList and SMS_SCI_SysResUse from the
// AdminService at base (https://PROVIDER/AdminService), page by page. client may be nil (then
// NewClient with the system roots is used).
func FetchInventory(ctx context.Context, base string, client *http.Client, auth Auth) (*Inventory, error) {
	inv, err := fetchInventory(ctx, base, client, auth, PageSize)
	if err != nil {
		return nil, redact.Error(err, auth.Password)
	}
	return inv, nil
}

func fetchInventory(ctx context.Context, base string, client *http.Client, auth Auth, pageSize int) (*Inventory, error) {
	root, err := wmiRoot(base)
	if err != nil {
		return nil, err
	}
	if client == nil {
		client = NewClient(ClientOptions{})
	}
	c := *client
	inner := c.Transport
	if inner == nil {
		inner = http.DefaultTransport
	}
	inv := &Inventory{Source: "adminservice", Insecure: insecureTransport(inner)}
	if auth.User == "" {
		if auth.Password != "" {
			return nil, errors.New("AdminService: a password was given without a user")
		}
		rt, err := currentIdentityTransport(inner)
		if err != nil {
			return nil, err
		}
		c.Transport = rt
	} else {
		c.Transport = ntlmssp.Negotiator{RoundTripper: inner}
	}
	fetch := func(class string, into any) error {
		return fetchClass(ctx, &c, root, class, auth, pageSize, into)
	}
	if err := fetch(ClassSite, &inv.Sites); err != nil {
		return nil, err
	}
	if err := fetch(ClassResources, &inv.Resources); err != nil {
		return nil, err
	}
	if err := fetch(ClassSysResUse, &inv.RoleUses); err != nil {
		return nil, err
	}
	// As for an export: every hierarchy has sites, resources and role uses; an empty answer
	// is a provider that could not read them, never "no SCP yet".
	if class := inv.emptyClass(); class != "" {
		return nil, fmt.Errorf("AdminService %s: no %s objects in the answer", root+class, class)
	}
	return inv, nil
}

// wmiRoot normalizes https://PROVIDER/AdminService[/][wmi[/]] to .../AdminService/wmi/.
func wmiRoot(base string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(base))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("AdminService URL %q: want https://PROVIDER/AdminService", base)
	}
	if u.User != nil {
		return "", fmt.Errorf("AdminService URL must not carry credentials (use the user option and the password variable)")
	}
	u.RawQuery, u.Fragment = "", ""
	p := strings.TrimSuffix(u.Path, "/")
	if !strings.HasSuffix(strings.ToLower(p), "/wmi") {
		p += "/wmi"
	}
	u.Path, u.RawPath = p+"/", ""
	return u.String(), nil
}

func insecureTransport(rt http.RoundTripper) bool {
	if t, ok := rt.(*http.Transport); ok && t.TLSClientConfig != nil {
		return t.TLSClientConfig.InsecureSkipVerify
	}
	return false
}

type odataPage struct {
	Value    json.RawMessage `json:"value"`
	NextLink string          `json:"@odata.nextLink"`
}

func fetchClass(ctx context.Context, c *http.Client, root, class string, auth Auth, pageSize int, into any) error {
	var all []json.RawMessage
	for page, skip := 0, 0; ; page++ {
		if page >= maxPages {
			return fmt.Errorf("AdminService %s: more than %d pages", class, maxPages)
		}
		// The query is written by hand: the AdminService wants $top/$skip with a literal $.
		u := fmt.Sprintf("%s%s?$top=%d&$skip=%d", root, class, pageSize, skip)
		items, more, err := getPage(ctx, c, u, class, auth)
		if err != nil {
			return err
		}
		all = append(all, items...)
		// A short page ends the class, unless the server capped it and says there is more.
		if len(items) == 0 || (len(items) < pageSize && !more) {
			break
		}
		skip += len(items)
	}
	arr, err := json.Marshal(all)
	if err != nil {
		return err
	}
	if all == nil {
		arr = []byte("[]")
	}
	if err := DecodeClass(arr, into); err != nil {
		return fmt.Errorf("AdminService %s: %w", class, err)
	}
	return nil
}

func getPage(ctx context.Context, c *http.Client, u, class string, auth Auth) (items []json.RawMessage, more bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, false, fmt.Errorf("AdminService %s: %w", class, err)
	}
	req.Header.Set("Accept", "application/json")
	if auth.User != "" {
		// The Negotiator turns these into NTLM messages and never sends them as Basic.
		req.SetBasicAuth(auth.User, auth.Password)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, false, fmt.Errorf("AdminService %s: %w", class, describeTransportError(ctx, err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxExportBytes))
	if err != nil {
		return nil, false, fmt.Errorf("AdminService %s: reading the answer: %w", class, describeTransportError(ctx, err))
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		who := "the current Windows identity"
		if auth.User != "" {
			who = auth.User
		}
		offered := strings.Join(resp.Header.Values("WWW-Authenticate"), ", ")
		if len(offered) > 200 {
			offered = offered[:200] + "..."
		}
		return nil, false, fmt.Errorf("AdminService %s: 401 Unauthorized: %s was not accepted (server offers %q)", class, who, offered)
	case resp.StatusCode == http.StatusForbidden:
		return nil, false, fmt.Errorf("AdminService %s: 403 Forbidden: the account needs a ConfigMgr security role that can read the class", class)
	case resp.StatusCode != http.StatusOK:
		return nil, false, fmt.Errorf("AdminService %s: HTTP %s: %s", class, resp.Status, snippet(body))
	}
	var p odataPage
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, false, fmt.Errorf("AdminService %s: not OData JSON: %w", class, locate(body, err))
	}
	if len(p.Value) == 0 || string(p.Value) == "null" {
		return nil, false, nil
	}
	if err := json.Unmarshal(p.Value, &items); err != nil {
		return nil, false, fmt.Errorf("AdminService %s: \"value\" is not an array", class)
	}
	return items, p.NextLink != "", nil
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

func describeTLSError(err error) error {
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	switch {
	case errors.As(err, &ua):
		return fmt.Errorf("%w (the provider's certificate is not trusted: pass its CA with --ca-file, or --adminservice-insecure)", err)
	case errors.As(err, &hn):
		return fmt.Errorf("%w (use the provider's name as the certificate shows it)", err)
	}
	return err
}

// describeTransportError says why the SMS Provider gave no answer, with the one network-error
// classifier, and where to look: certificate problems first, then the network reason.
func describeTransportError(ctx context.Context, err error) error {
	if d := describeTLSError(err); d != err {
		return d
	}
	switch neterr.Reason(ctx, err) {
	case neterr.Timeout:
		return fmt.Errorf("%w (timeout: no answer in time; is the SMS Provider's HTTPS port open from this machine?)", err)
	case neterr.Refused:
		return fmt.Errorf("%w (refused: nothing listens on that port; check the provider's name and port, and that IIS runs there)", err)
	case neterr.Reset, neterr.Closed:
		return fmt.Errorf("%w (closed: the connection was cut; a firewall or TLS inspection between this machine and the provider?)", err)
	case neterr.Unreachable:
		return fmt.Errorf("%w (unreachable: this machine has no route to the provider)", err)
	}
	return err
}

// pickAuthScheme chooses Negotiate over NTLM among a 401's WWW-Authenticate values and
// returns the token that came with it (nil on the first round).
func pickAuthScheme(h http.Header) (scheme string, token []byte) {
	for _, want := range []string{"Negotiate", "NTLM"} {
		for _, v := range h.Values("WWW-Authenticate") {
			for _, part := range strings.Split(v, ",") {
				name, tok, _ := strings.Cut(strings.TrimSpace(part), " ")
				if !strings.EqualFold(name, want) {
					continue
				}
				if tok = strings.TrimSpace(tok); tok != "" {
					b, err := base64.StdEncoding.DecodeString(tok)
					if err == nil {
						token = b
					}
				}
				return want, token
			}
		}
	}
	return "", nil
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
}
