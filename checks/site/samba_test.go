//go:build linux

package site

import (
	"context"
	"testing"
	"time"

	"github.com/cmpreflight/cmpreflight/internal/lab"
)

func TestCheckRightsAgainstSamba(t *testing.T) {
	smb := lab.StartSamba(t)
	rpc := rpcStandIn(t)
	closed := freePort(t)

	cases := []struct {
		name       string
		o          RightsOptions
		share      string
		p445, p135 string
	}{
		{"installation account is an admin", RightsOptions{Account: smb.Admin, Password: smb.Password}, ShareOK, PortOpen, PortOpen},
		{"DOMAIN\\user form", RightsOptions{Account: smb.Workgroup + `\` + smb.Admin, Password: smb.Password}, ShareOK, PortOpen, PortOpen},
		{"valid account, not an admin", RightsOptions{Account: smb.Other, Password: smb.Password}, ShareAccessDenied, PortOpen, PortOpen},
		{"wrong password", RightsOptions{Account: smb.Admin, Password: smb.Password + "x"}, ShareLogonFailure, PortOpen, PortOpen},
		{"unknown account", RightsOptions{Account: "nobody-" + smb.Admin, Password: smb.Password}, ShareLogonFailure, PortOpen, PortOpen},
		{"closed SMB port", RightsOptions{Account: smb.Admin, Password: smb.Password, SMBPort: closed, RPCPort: closed}, ShareUnreachable, PortClosed, PortClosed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := c.o
			o.Host = "127.0.0.1"
			if o.SMBPort == 0 {
				o.SMBPort = smb.Port
			}
			if o.RPCPort == 0 {
				o.RPCPort = rpc
			}
			o.Timeout = 5 * time.Second
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			r := CheckRights(ctx, o)
			if r.AdminShare != c.share || r.Port445 != c.p445 || r.Port135 != c.p135 {
				t.Errorf("share=%s 445=%s 135=%s (%s); want %s %s %s", r.AdminShare, r.Port445, r.Port135, r.Detail, c.share, c.p445, c.p135)
			}
			if r.Method != "smb2" || r.Account != o.Account || r.SMBPort != o.SMBPort {
				t.Errorf("method=%q account=%q port=%d", r.Method, r.Account, r.SMBPort)
			}
			assertNoSecret(t, r, o.Password)
		})
	}
}
