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
	"time"

	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/cmpreflight/cmpreflight/facts"
)

// krbAuth speaks Kerberos inside Negotiate (SPNEGO) from the user's credential cache or a
// keytab, the way a Linux jump host reaches a Kerberos proxy.
type krbAuth struct {
	cl        *client.Client
	spn       string
	principal string
	realm     string
	sent      bool
}

// newKerberosAuth loads the Kerberos configuration (KRB5_CONFIG or /etc/krb5.conf) and the
// client's credentials: a keytab when KRB5_CLIENT_KTNAME names one (its first principal logs
// in), else the credential cache (KRB5CCNAME or /tmp/krb5cc_UID). No network traffic happens
// for a cache; a keytab logs in to the KDC at once.
func newKerberosAuth(spn string) (authenticator, *authFailure) {
	cfgPath := "/etc/krb5.conf"
	if v := os.Getenv("KRB5_CONFIG"); v != "" {
		cfgPath = strings.Split(v, ":")[0]
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return nil, kerberosCause(ReasonKerberosConfig, spn, "", cfgPath+": "+firstLine(err.Error()))
	}
	a := &krbAuth{spn: spn}
	if kt := os.Getenv("KRB5_CLIENT_KTNAME"); kt != "" {
		path := strings.TrimPrefix(kt, "FILE:")
		k, err := keytab.Load(path)
		if err != nil {
			return nil, kerberosCause(ReasonKerberosNoTicket, spn, cfg.LibDefaults.DefaultRealm, "keytab "+path+": "+firstLine(err.Error()))
		}
		if len(k.Entries) == 0 {
			return nil, kerberosCause(ReasonKerberosNoTicket, spn, cfg.LibDefaults.DefaultRealm, "keytab "+path+" holds no key")
		}
		e := k.Entries[0].Principal
		a.principal, a.realm = strings.Join(e.Components, "/"), e.Realm
		a.cl = client.NewWithKeytab(a.principal, a.realm, k, cfg, client.DisablePAFXFAST(true))
		if err := a.cl.Login(); err != nil {
			return nil, classifyKerberos(err, spn, a.realm)
		}
		a.principal += "@" + a.realm
		return a, nil
	}
	path := os.Getenv("KRB5CCNAME")
	if path == "" {
		path = filepath.Join(os.TempDir(), "krb5cc_"+strconv.Itoa(os.Getuid()))
	}
	if i := strings.Index(path, ":"); i > 0 && !strings.HasPrefix(path, "FILE:") {
		return nil, kerberosCause(ReasonKerberosNoTicket, spn, cfg.LibDefaults.DefaultRealm,
			"the credential cache "+path+" is not a file cache; this build reads FILE: caches only (export KRB5CCNAME=FILE:/path after kinit -c)")
	}
	path = strings.TrimPrefix(path, "FILE:")
	cc, err := credentials.LoadCCache(path)
	if err != nil {
		what := "the credential cache " + path + " could not be read: " + firstLine(err.Error())
		if errors.Is(err, fs.ErrNotExist) {
			what = "no credential cache at " + path
		}
		return nil, kerberosCause(ReasonKerberosNoTicket, spn, cfg.LibDefaults.DefaultRealm, what)
	}
	a.realm = cc.DefaultPrincipal.Realm
	a.principal = strings.Join(cc.DefaultPrincipal.PrincipalName.NameString, "/") + "@" + a.realm
	if tgt, ok := cc.GetEntry(tgtName(a.realm)); !ok {
		return nil, kerberosCause(ReasonKerberosNoTicket, spn, a.realm, "the cache "+path+" of "+a.principal+" holds no ticket-granting ticket")
	} else if !tgt.EndTime.IsZero() && time.Now().After(tgt.EndTime) {
		return nil, kerberosCause(ReasonKerberosNoTicket, spn, a.realm, "the ticket-granting ticket of "+a.principal+" in "+path+" expired at "+tgt.EndTime.UTC().Format(time.RFC3339))
	}
	a.cl, err = client.NewFromCCache(cc, cfg, client.DisablePAFXFAST(true))
	if err != nil {
		return nil, kerberosCause(ReasonKerberosNoTicket, spn, a.realm, firstLine(err.Error()))
	}
	return a, nil
}

func (k *krbAuth) scheme() string { return AuthNegotiate }

// next asks the KDC for a ticket to the proxy's SPN and wraps it in SPNEGO. A second
// challenge after a ticket was sent means the proxy could not accept it.
func (k *krbAuth) next(challenge []byte) (string, error) {
	if k.sent {
		return "", kerberosCause(ReasonKerberosRejected, k.spn, k.realm, "")
	}
	tkt, key, err := k.cl.GetServiceTicket(k.spn)
	if err != nil {
		return "", classifyKerberos(err, k.spn, k.realm)
	}
	init, err := spnego.NewNegTokenInitKRB5(k.cl, tkt, key)
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
