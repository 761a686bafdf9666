package site

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	smb2 "github.com/hirochachacha/go-smb2"

	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/neterr"
	"github.com/cmpreflight/cmpreflight/internal/redact"
)

// Port outcomes.
const (
	PortOpen    = "open"
	PortClosed  = "closed"
	PortTimeout = "timeout"
	PortError   = "error"
	PortDNS     = "dns" // the name did not resolve
	Skipped     = "skipped"
)

// Admin share outcomes.
const (
	ShareOK           = "ok"
	ShareLogonFailure = "logon-failure"
	ShareAccessDenied = "access-denied"
	ShareUnreachable  = "unreachable"
	ShareError        = "error"
)

// Local Administrators outcomes.
const (
	AdminMember    = "member"
	AdminNotMember = "not-member"
	AdminError     = "error"
)

// RightsOptions say which host to check from the site server and with which account.
type RightsOptions struct {
	// Host is the SCP server. Empty: only the local Administrators check runs.
	Host    string
	SMBPort int // default 445
	RPCPort int // default 135
	// Account is the site system installation account: DOMAIN\user, user@domain or user.
	// Empty: the share is opened as the current identity (Windows only).
	Account  string
	Password string
	Timeout  time.Duration // per step, default 5s
	// SiteServer is the site server; when it is Host (or Local is set) the role is local and
	// the checks are skipped.
	SiteServer string
	Local      bool
	// Resolve, when set, turns Host into addresses (the run's --dns-server); nil uses the
	// operating system's resolver. A name that does not resolve fails every port check with
	// reason "dns" instead of asking a resolver the user did not choose.
	Resolve func(ctx context.Context, host string) ([]string, error)
	// SiteServerAccount (DOMAIN\SITESERVER$) is looked for in this machine's local
	// Administrators group when the tool runs on the SCP host (Windows only).
	SiteServerAccount string

	// dialHost is Host resolved (an address when Resolve is set).
	dialHost string
	// host answers the Windows-only questions; nil means this machine's operating system.
	host hostRights
}

// hostRights is what the operating system answers about shares and groups as the current
// identity.
type hostRights interface {
	StatAdminShare(ctx context.Context, host string) error
	LocalAdministrators() ([]string, error)
}

// errNotWindows is what the portable build answers to Windows-only questions.
var errNotWindows = errors.New("only available on Windows")

// CheckRights probes TCP 445 and 135 on the SCP host, then opens its ADMIN$ share with the
// installation account (SMB2/3, NTLM) or, without an account on Windows, as the current
// identity. The password never appears in the result.
func CheckRights(ctx context.Context, o RightsOptions) *facts.RightsFacts {
	if o.SMBPort == 0 {
		o.SMBPort = 445
	}
	if o.RPCPort == 0 {
		o.RPCPort = 135
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.host == nil {
		o.host = nativeRights{}
	}
	r := &facts.RightsFacts{
		Host: o.Host, SMBPort: o.SMBPort, RPCPort: o.RPCPort, Account: o.Account,
		Port445: Skipped, Port135: Skipped, AdminShare: Skipped,
	}
	defer func() {
		r.Detail = redact.String(r.Detail, o.Password)
		r.SkipReason = redact.String(r.SkipReason, o.Password)
	}()

	if o.SiteServerAccount != "" {
		checkLocalAdmins(r, o)
	}

	if o.Host == "" {
		if r.LocalAdmins == "" {
			r.SkipReason = "no SCP host given"
		}
		return r
	}
	if o.Local || (o.SiteServer != "" && SameServer(o.Host, o.SiteServer)) {
		r.SkipReason = fmt.Sprintf("the role is local to the site server %s: no remote rights are needed", o.Host)
		return r
	}

	dialHost := o.Host
	if o.Resolve != nil && net.ParseIP(o.Host) == nil {
		addrs, err := o.Resolve(ctx, o.Host)
		if err != nil || len(addrs) == 0 {
			if err == nil {
				err = errors.New("no address")
			}
			r.Port445, r.Port135, r.AdminShare = PortDNS, PortDNS, ShareUnreachable
			r.Detail = fmt.Sprintf("%s did not resolve: %v", o.Host, err)
			return r
		}
		dialHost = addrs[0]
	}
	o.dialHost = dialHost
	var smbErr error
	r.Port445, smbErr = probePort(ctx, dialHost, o.SMBPort, o.Timeout)
	r.Port135, _ = probePort(ctx, dialHost, o.RPCPort, o.Timeout)

	if o.Account == "" {
		r.Method = "os"
		if o.SMBPort != 445 {
			r.AdminShare = Skipped
			r.SkipReason = "no installation account given, and the operating system only opens shares on port 445"
			return r
		}
		sctx, cancel := context.WithTimeout(ctx, o.Timeout)
		defer cancel()
		err := o.host.StatAdminShare(sctx, o.Host)
		if errors.Is(err, errNotWindows) {
			r.AdminShare = Skipped
			r.SkipReason = "no installation account given: opening ADMIN$ as the current identity needs Windows"
			return r
		}
		r.AdminShare, r.Detail = shareOutcome(err)
		return r
	}

	r.Method = "smb2"
	if r.Port445 != PortOpen {
		r.AdminShare = ShareUnreachable
		r.Detail = fmt.Sprintf("TCP %d is %s", o.SMBPort, r.Port445)
		if smbErr != nil {
			r.Detail += ": " + smbErr.Error()
		}
		return r
	}
	err := mountAdminShare(ctx, o)
	r.AdminShare, r.Detail = shareOutcome(err)
	return r
}

// checkLocalAdmins reads the local Administrators group (Windows) and whether the site
// server's computer account is in it.
func checkLocalAdmins(r *facts.RightsFacts, o RightsOptions) {
	r.SiteServerAccount = o.SiteServerAccount
	members, err := o.host.LocalAdministrators()
	switch {
	case errors.Is(err, errNotWindows):
		r.LocalAdmins = Skipped
	case err != nil:
		r.LocalAdmins = AdminError
		r.Detail = joinDetail(r.Detail, "local Administrators: "+err.Error())
	default:
		r.AdminMembers = members
		r.LocalAdmins = AdminNotMember
		if IsMemberOf(members, o.SiteServerAccount) {
			r.LocalAdmins = AdminMember
		}
	}
}

func probePort(ctx context.Context, host string, port int, timeout time.Duration) (string, error) {
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err == nil {
		_ = c.Close()
		return PortOpen, nil
	}
	return portOutcome(err), err
}

// portOutcome names a failed port probe with the one network-error classifier: a name that
// does not resolve is dns, a refusal or reset (or any failed dial) means closed.
func portOutcome(err error) string {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && !dnsErr.IsTimeout {
		return PortDNS
	}
	switch neterr.Reason(context.Background(), err) {
	case neterr.Timeout:
		return PortTimeout
	case neterr.Refused, neterr.Reset:
		return PortClosed
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" {
		return PortClosed
	}
	return PortError
}

// SplitAccount splits DOMAIN\user; user@domain and a bare user keep an empty domain (NTLM
// carries the UPN in the user field).
func SplitAccount(account string) (domain, user string) {
	if d, u, ok := strings.Cut(account, `\`); ok {
		return d, u
	}
	return "", account
}

func mountAdminShare(ctx context.Context, o RightsOptions) error {
	ctx, cancel := context.WithTimeout(ctx, 3*o.Timeout)
	defer cancel()
	d := net.Dialer{Timeout: o.Timeout}
	dialHost := o.dialHost
	if dialHost == "" {
		dialHost = o.Host
	}
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(dialHost, strconv.Itoa(o.SMBPort)))
	if err != nil {
		return err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	domain, user := SplitAccount(o.Account)
	dialer := &smb2.Dialer{Initiator: &smb2.NTLMInitiator{User: user, Password: o.Password, Domain: domain}}
	sess, err := dialer.DialContext(ctx, conn)
	if err != nil {
		return err
	}
	defer func() { _ = sess.Logoff() }()
	share, err := sess.WithContext(ctx).Mount(`\\` + o.Host + `\ADMIN$`)
	if err != nil {
		return err
	}
	_ = share.Umount()
	return nil
}

// NTSTATUS codes of the outcomes (MS-ERREF).
const (
	ntStatusAccessDenied        = 0xC0000022
	ntStatusNetworkAccessDenied = 0xC00000CA
	ntStatusBadNetworkName      = 0xC00000CC
	ntStatusLogonFailure        = 0xC000006D
	ntStatusWrongPassword       = 0xC000006A
	ntStatusNoSuchUser          = 0xC0000064
	ntStatusAccountRestriction  = 0xC000006E
	ntStatusPasswordExpired     = 0xC0000071
	ntStatusAccountDisabled     = 0xC0000072
	ntStatusAccountLockedOut    = 0xC0000234
	ntStatusLogonTypeNotGranted = 0xC000015B
)

// NTStatusOutcome maps an SMB NTSTATUS to an admin share outcome and a hint.
func NTStatusOutcome(code uint32) (string, string) {
	switch code {
	case ntStatusLogonFailure, ntStatusWrongPassword, ntStatusNoSuchUser:
		return ShareLogonFailure, "the account or its password was refused"
	case ntStatusPasswordExpired:
		return ShareLogonFailure, "the account's password has expired"
	case ntStatusAccountDisabled:
		return ShareLogonFailure, "the account is disabled"
	case ntStatusAccountLockedOut:
		return ShareLogonFailure, "the account is locked out"
	case ntStatusAccountRestriction:
		return ShareLogonFailure, "an account restriction prevents the logon"
	case ntStatusLogonTypeNotGranted:
		return ShareLogonFailure, `the account lacks "Access this computer from the network" on the host`
	case ntStatusAccessDenied, ntStatusNetworkAccessDenied:
		return ShareAccessDenied, "the account is not a local administrator of the host"
	case ntStatusBadNetworkName:
		return ShareUnreachable, "the host has no ADMIN$ share (administrative shares disabled?)"
	}
	return ShareError, ""
}

// Win32 error codes of the outcomes when the operating system opens the share.
const (
	winErrorAccessDenied       = 5
	winErrorBadNetpath         = 53
	winErrorNetworkAccessDeny  = 65
	winErrorBadNetName         = 67
	winErrorConnectionRefused  = 1225
	winErrorNetworkUnreachable = 1231
	winErrorHostUnreachable    = 1232
	winErrorLogonFailure       = 1326
	winErrorAccountRestriction = 1327
	winErrorPasswordExpired    = 1330
	winErrorAccountDisabled    = 1331
	winErrorLogonTypeNotGrant  = 1385
	winErrorAccountLockedOut   = 1909
	winErrorSemTimeout         = 121
)

// WindowsErrorOutcome maps a Win32 error from opening \\host\ADMIN$ to an outcome and a hint.
func WindowsErrorOutcome(code uint32) (string, string) {
	switch code {
	case winErrorAccessDenied, winErrorNetworkAccessDeny:
		return ShareAccessDenied, "the current identity (as SYSTEM: the site server's computer account) is not a local administrator of the host"
	case winErrorLogonFailure:
		return ShareLogonFailure, "the current identity was refused"
	case winErrorAccountRestriction, winErrorPasswordExpired, winErrorAccountDisabled, winErrorAccountLockedOut:
		return ShareLogonFailure, "the account cannot log on"
	case winErrorLogonTypeNotGrant:
		return ShareLogonFailure, `the identity lacks "Access this computer from the network" on the host`
	case winErrorBadNetpath, winErrorConnectionRefused, winErrorNetworkUnreachable, winErrorHostUnreachable, winErrorSemTimeout:
		return ShareUnreachable, "the host does not answer SMB"
	case winErrorBadNetName:
		return ShareUnreachable, "the host has no ADMIN$ share (administrative shares disabled?)"
	}
	return ShareError, ""
}

// winError is the Win32 code an os error carries (set by the Windows build).
type winError interface{ Win32Code() uint32 }

// shareOutcome classifies an error from opening the share.
func shareOutcome(err error) (string, string) {
	if err == nil {
		return ShareOK, ""
	}
	var re *smb2.ResponseError
	if errors.As(err, &re) {
		out, hint := NTStatusOutcome(re.Code)
		return out, joinDetail(hint, err.Error())
	}
	var we winError
	if errors.As(err, &we) {
		out, hint := WindowsErrorOutcome(we.Win32Code())
		return out, joinDetail(hint, err.Error())
	}
	// go-smb2 turns STATUS_ACCESS_DENIED into os.ErrPermission.
	if errors.Is(err, os.ErrPermission) {
		out, hint := NTStatusOutcome(ntStatusAccessDenied)
		return out, joinDetail(hint, err.Error())
	}
	var te *smb2.TransportError
	var ne net.Error
	var ce *smb2.ContextError
	if errors.As(err, &te) || errors.As(err, &ne) || errors.As(err, &ce) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return ShareUnreachable, err.Error()
	}
	return ShareError, err.Error()
}

// IsMemberOf tells whether account (DOMAIN\name, domain.fqdn\name, name@domain or name) is
// among members as NetLocalGroupGetMembers lists them (DOMAIN\name). Only direct members are
// seen: membership through a nested group is not resolved.
func IsMemberOf(members []string, account string) bool {
	ad, an := accountParts(account)
	if an == "" {
		return false
	}
	for _, m := range members {
		md, mn := accountParts(m)
		if !strings.EqualFold(mn, an) {
			continue
		}
		if ad == "" || md == "" || strings.EqualFold(md, ad) {
			return true
		}
		// contoso.com\X against CONTOSO\X: the NetBIOS name is usually the first label.
		if fa, _, _ := strings.Cut(ad, "."); strings.EqualFold(fa, md) {
			return true
		}
		if fm, _, _ := strings.Cut(md, "."); strings.EqualFold(fm, ad) {
			return true
		}
	}
	return false
}

func accountParts(s string) (domain, name string) {
	s = strings.TrimSpace(s)
	if d, n, ok := strings.Cut(s, `\`); ok {
		return d, n
	}
	if n, d, ok := strings.Cut(s, "@"); ok {
		return d, n
	}
	return "", s
}

// RightsChecks presents the rights facts as site checks.
func RightsChecks(r *facts.RightsFacts) []facts.Check {
	if r == nil {
		return nil
	}
	var out []facts.Check
	portCheck := func(name string, port int, state string) {
		st := facts.StatusFail
		msg := fmt.Sprintf("TCP %d on %s is %s", port, r.Host, state)
		switch state {
		case PortOpen:
			st = facts.StatusPass
		case Skipped:
			st, msg = facts.StatusSkip, r.SkipReason
		}
		c := facts.Check{ID: "site/" + name, Kind: "site", Host: r.Host, Port: port, Status: st, Message: msg}
		if st == facts.StatusFail {
			// Every failed check says how: closed, timeout, dns or error.
			c.Reason = state
			if r.Detail != "" && (state == PortDNS || state == PortError) {
				c.Message += " (" + r.Detail + ")"
			}
		}
		out = append(out, c)
	}
	if r.Host != "" {
		portCheck("smb-port", r.SMBPort, r.Port445)
		portCheck("rpc-port", r.RPCPort, r.Port135)
		st, msg := facts.StatusFail, ""
		who := r.Account
		if who == "" {
			who = "the current identity"
		}
		switch r.AdminShare {
		case ShareOK:
			st, msg = facts.StatusPass, fmt.Sprintf("%s opened \\\\%s\\ADMIN$: it is a local administrator there", who, r.Host)
		case Skipped:
			st, msg = facts.StatusSkip, r.SkipReason
		default:
			msg = fmt.Sprintf("%s could not open \\\\%s\\ADMIN$: %s", who, r.Host, r.AdminShare)
			if r.Detail != "" {
				msg += " (" + r.Detail + ")"
			}
		}
		out = append(out, facts.Check{ID: "site/admin-share", Kind: "site", Host: r.Host, Port: r.SMBPort,
			Status: st, Reason: r.AdminShare, Message: msg,
			Evidence: facts.Evidence{Site: map[string]any{"account": r.Account, "method": r.Method}}})
	}
	if r.LocalAdmins != "" {
		st, msg := facts.StatusFail, ""
		switch r.LocalAdmins {
		case AdminMember:
			st, msg = facts.StatusPass, r.SiteServerAccount+" is a member of the local Administrators group"
		case Skipped:
			st, msg = facts.StatusSkip, "the local Administrators group can only be read on Windows"
		case AdminNotMember:
			msg = r.SiteServerAccount + " is not a direct member of the local Administrators group (membership through a nested group is not resolved)"
		default:
			msg = "could not list the local Administrators group"
		}
		out = append(out, facts.Check{ID: "site/local-admin", Kind: "site", Status: st, Reason: r.LocalAdmins, Message: msg,
			Evidence: facts.Evidence{Site: map[string]any{"members": r.AdminMembers}}})
	}
	return out
}

func joinDetail(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + ": " + b
}
