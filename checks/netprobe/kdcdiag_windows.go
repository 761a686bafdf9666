//go:build windows

package netprobe

import (
	"bufio"
	"net"
	"os"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Some Kerberos providers (Wine's among them; Windows for a few KDC errors) answer only
// SEC_E_INTERNAL_ERROR whatever went wrong. diagnoseKerberos narrows it down with what can be
// proven from here: whether any KDC of the domain accepts a connection on port 88.

var (
	netapi32             = windows.NewLazySystemDLL("netapi32.dll")
	procDsGetDcNameW     = netapi32.NewProc("DsGetDcNameW")
	procNetApiBufferFree = netapi32.NewProc("NetApiBufferFree")
)

const (
	dsKDCRequired    = 0x00000400
	dsReturnDNSName  = 0x40000000
	kdcProbeTimeout  = 2 * time.Second
	maxKDCsToProbeAt = 4
)

// domainControllerInfo is DOMAIN_CONTROLLER_INFOW.
type domainControllerInfo struct {
	name, address      *uint16
	addressType        uint32
	guid               windows.GUID
	domainName, forest *uint16
	flags              uint32
	dcSite, clientSite *uint16
}

// kdcAddresses lists host:port of the KDCs this machine would use: the domain's KDC as the
// locator finds it (DsGetDcName), else the kdc lines of the default realm in the krb5.conf
// named by KRB5_CONFIG (MIT Kerberos for Windows, and Wine, whose provider is MIT's).
func kdcAddresses() (addrs []string, realm string) {
	var info *domainControllerInfo
	if procDsGetDcNameW.Find() == nil {
		r, _, _ := procDsGetDcNameW.Call(0, 0, 0, 0, dsKDCRequired|dsReturnDNSName, uintptr(unsafe.Pointer(&info)))
		if r == 0 && info != nil {
			defer procNetApiBufferFree.Call(uintptr(unsafe.Pointer(info)))
			host := strings.TrimPrefix(windows.UTF16PtrToString(info.name), `\\`)
			realm = strings.ToUpper(windows.UTF16PtrToString(info.domainName))
			if host != "" {
				return []string{net.JoinHostPort(host, "88")}, realm
			}
		}
	}
	path := os.Getenv("KRB5_CONFIG")
	if path == "" {
		return nil, ""
	}
	return krb5ConfKDCs(strings.Split(path, string(os.PathListSeparator))[0])
}

// krb5ConfKDCs reads default_realm and that realm's kdc entries from a krb5.conf.
func krb5ConfKDCs(path string) ([]string, string) {
	f, err := os.Open(path)
	if err != nil {
		return nil, ""
	}
	defer f.Close()
	var realm, section, inRealm string
	kdcs := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		switch {
		case l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, ";"):
		case strings.HasPrefix(l, "["):
			section, inRealm = strings.Trim(l, "[] "), ""
		case section == "realms" && strings.HasSuffix(l, "{"):
			inRealm = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(strings.TrimSuffix(l, "{")), "="))
		case l == "}":
			inRealm = ""
		default:
			k, v, ok := strings.Cut(l, "=")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			switch {
			case !ok:
			case section == "libdefaults" && k == "default_realm":
				realm = v
			case inRealm != "" && k == "kdc":
				if _, _, err := net.SplitHostPort(v); err != nil {
					v = net.JoinHostPort(v, "88")
				}
				kdcs[inRealm] = append(kdcs[inRealm], v)
			}
		}
	}
	return kdcs[realm], realm
}

// diagnoseKerberos turns an unspecific Kerberos status into a named cause: no KDC answers
// (proven by connecting), or a KDC answers and the ticket was still refused.
func diagnoseKerberos(status, spn string) *authFailure {
	addrs, realm := kdcAddresses()
	if len(addrs) > maxKDCsToProbeAt {
		addrs = addrs[:maxKDCsToProbeAt]
	}
	if len(addrs) == 0 {
		return &authFailure{Reason: ReasonKerberosTicketRefused, Detail: "Kerberos could not get a ticket for " + spn + " (" + status + "), and no domain controller or KDC was found to ask why." +
			" Next: check the machine's domain membership (nltest /dsgetdc:DOMAIN), then setspn -Q " + spn}
	}
	var answered string
	for _, a := range addrs {
		c, err := net.DialTimeout("tcp", a, kdcProbeTimeout)
		if err == nil {
			c.Close()
			answered = a
			break
		}
	}
	if answered == "" {
		return kerberosCause(ReasonKerberosKDCDown, spn, realm, status+"; no answer on TCP from "+strings.Join(addrs, ", "))
	}
	return kerberosCause(ReasonKerberosTicketRefused, spn, realm, status+"; the KDC "+answered+" answers")
}
