//go:build !windows

package netprobe

import (
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/cmpreflight/cmpreflight/facts"
)

// krbAuth speaks Kerberos inside Negotiate (SPNEGO) from the user's credential cache or a
// keytab, the way a Linux jump host reaches a Kerberos proxy. Each connection sends a fresh
// AP-REQ built from the run's one service ticket.
type krbAuth struct {
	*krbTicket
	spn  string
	sent bool
}

// krbTicket is what one run needs for one SPN: the client, its principal and the service
// ticket, got once (a dead KDC then costs its timeout once, not once per check).
type krbTicket struct {
	once      sync.Once
	cl        *client.Client
	principal string
	realm     string
	tkt       messages.Ticket
	key       types.EncryptionKey
	fail      *authFailure
}

var (
	krbTicketsMu sync.Mutex
	krbTickets   = map[string]*krbTicket{}
)

// newKerberosAuth gets (once per run, credential source and SPN) a service ticket for spn
// from the configuration (KRB5_CONFIG or /etc/krb5.conf) and the client's credentials: a
// keytab when KRB5_CLIENT_KTNAME names one (its first principal logs in), else the credential
// cache (KRB5CCNAME or /tmp/krb5cc_UID).
func newKerberosAuth(spn string) (authenticator, *authFailure) {
	key := strings.Join([]string{os.Getenv("KRB5_CONFIG"), os.Getenv("KRB5_CLIENT_KTNAME"), os.Getenv("KRB5CCNAME"), spn}, "\x00")
	krbTicketsMu.Lock()
	t := krbTickets[key]
	if t == nil {
		t = &krbTicket{}
		krbTickets[key] = t
	}
	krbTicketsMu.Unlock()
	t.once.Do(func() { t.fail = t.get(spn) })
	if t.fail != nil {
		return nil, t.fail
	}
	return &krbAuth{krbTicket: t, spn: spn}, nil
}

func (k *krbTicket) get(spn string) *authFailure {
	cfgPath := "/etc/krb5.conf"
	if v := os.Getenv("KRB5_CONFIG"); v != "" {
		cfgPath = strings.Split(v, ":")[0]
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return kerberosCause(ReasonKerberosConfig, spn, "", cfgPath+": "+firstLine(err.Error()))
	}
	if kt := os.Getenv("KRB5_CLIENT_KTNAME"); kt != "" {
		path := strings.TrimPrefix(kt, "FILE:")
		kt, err := keytab.Load(path)
		if err != nil {
			return kerberosCause(ReasonKerberosNoTicket, spn, cfg.LibDefaults.DefaultRealm, "keytab "+path+": "+firstLine(err.Error()))
		}
		if len(kt.Entries) == 0 {
			return kerberosCause(ReasonKerberosNoTicket, spn, cfg.LibDefaults.DefaultRealm, "keytab "+path+" holds no key")
		}
		e := kt.Entries[0].Principal
		name := strings.Join(e.Components, "/")
		k.realm, k.principal = e.Realm, name+"@"+e.Realm
		k.cl = client.NewWithKeytab(name, k.realm, kt, cfg, client.DisablePAFXFAST(true))
		if err := k.cl.Login(); err != nil {
			return classifyKerberos(err, spn, k.realm)
		}
	} else {
		path := os.Getenv("KRB5CCNAME")
		if path == "" {
			path = filepath.Join(os.TempDir(), "krb5cc_"+strconv.Itoa(os.Getuid()))
		}
		if i := strings.Index(path, ":"); i > 0 && !strings.HasPrefix(path, "FILE:") {
			return kerberosCause(ReasonKerberosNoTicket, spn, cfg.LibDefaults.DefaultRealm,
				"the credential cache "+path+" is not a file cache; this build reads FILE: caches only (export KRB5CCNAME=FILE:/path after kinit -c)")
		}
		path = strings.TrimPrefix(path, "FILE:")
		cc, err := credentials.LoadCCache(path)
		if err != nil {
			what := "the credential cache " + path + " could not be read: " + firstLine(err.Error())
			if errors.Is(err, fs.ErrNotExist) {
				what = "no credential cache at " + path
			}
			return kerberosCause(ReasonKerberosNoTicket, spn, cfg.LibDefaults.DefaultRealm, what)
		}
		k.realm = cc.DefaultPrincipal.Realm
		k.principal = strings.Join(cc.DefaultPrincipal.PrincipalName.NameString, "/") + "@" + k.realm
		if tgt, ok := cc.GetEntry(tgtName(k.realm)); !ok {
			return kerberosCause(ReasonKerberosNoTicket, spn, k.realm, "the cache "+path+" of "+k.principal+" holds no ticket-granting ticket")
		} else if !tgt.EndTime.IsZero() && time.Now().After(tgt.EndTime) {
			return kerberosCause(ReasonKerberosNoTicket, spn, k.realm, "the ticket-granting ticket of "+k.principal+" in "+path+" expired at "+tgt.EndTime.UTC().Format(time.RFC3339))
		}
		if k.cl, err = client.NewFromCCache(cc, cfg, client.DisablePAFXFAST(true)); err != nil {
			return kerberosCause(ReasonKerberosNoTicket, spn, k.realm, firstLine(err.Error()))
		}
	}
	if k.tkt, k.key, err = k.cl.GetServiceTicket(spn); err != nil {
		return classifyKerberos(err, spn, k.realm)
	}
	return nil
}

func (k *krbAuth) scheme() string { return AuthNegotiate }

// next wraps a fresh AP-REQ for the proxy's ticket in SPNEGO. A second challenge after it was
// sent means the proxy could not accept the ticket.
func (k *krbAuth) next(challenge []byte) (string, error) {
	if k.sent {
		return "", kerberosCause(ReasonKerberosRejected, k.spn, k.realm, "")
	}
	init, err := spnego.NewNegTokenInitKRB5(k.cl, k.tkt, k.key)
	if err != nil {
		return "", kerberosCause(ReasonKerberosConfig, k.spn, k.realm, firstLine(err.Error()))
	}
	tok := spnego.SPNEGOToken{Init: true, NegTokenInit: init}
	b, err := tok.Marshal()
	if err != nil {
		return "", kerberosCause(ReasonKerberosConfig, k.spn, k.realm, firstLine(err.Error()))
	}
	k.sent = true
	return "Negotiate " + base64.StdEncoding.EncodeToString(b), nil
}

func (k *krbAuth) result() *facts.ProxyAuthResult {
	r := &facts.ProxyAuthResult{Package: PackageKerberos, Principal: k.principal, SPN: k.spn}
	if k.sent {
		r.Legs = 1
	}
	return r
}

// classifyKerberos names a gokrb5 error. Its errors carry the KDC's error code by name in
// their text (gokrb5 wraps them without Unwrap), so the names are matched there.
func classifyKerberos(err error, spn, realm string) *authFailure {
	s := err.Error()
	switch {
	case strings.Contains(s, "KDC_ERR_S_PRINCIPAL_UNKNOWN"):
		return kerberosCause(ReasonKerberosNoSPN, spn, realm, "")
	case strings.Contains(s, "KDC_ERR_C_PRINCIPAL_UNKNOWN"):
		return kerberosCause(ReasonKerberosClientUnknown, spn, realm, "")
	case strings.Contains(s, "KRB_AP_ERR_SKEW"):
		return kerberosCause(ReasonKerberosClockSkew, spn, realm, "")
	case strings.Contains(s, "Networking_Error") || strings.Contains(s, "no KDCs defined") || strings.Contains(s, "error resolving KDC"):
		return kerberosCause(ReasonKerberosKDCDown, spn, realm, lastPart(s))
	case strings.Contains(s, "KDC_ERR_PREAUTH_FAILED") || strings.Contains(s, "KRB_AP_ERR_TKT_EXPIRED") ||
		strings.Contains(s, "no user credentials") || strings.Contains(s, "TGT"):
		return kerberosCause(ReasonKerberosNoTicket, spn, realm, lastPart(s))
	}
	return &authFailure{Reason: ReasonKerberosConfig, Detail: "Kerberos failed for " + spn + ": " + lastPart(s)}
}

func tgtName(realm string) types.PrincipalName {
	return types.PrincipalName{NameType: nametype.KRB_NT_SRV_INST, NameString: []string{"krbtgt", realm}}
}

// lastPart keeps the innermost message of gokrb5's "a < b < c" error chains, on one line.
func lastPart(s string) string {
	if i := strings.LastIndex(s, " < "); i >= 0 {
		s = s[i+3:]
	}
	if i := strings.Index(s, "dial "); i >= 0 {
		s = s[i:]
	}
	return firstLine(s)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}
