package lab

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The Kerberos lab on its own, checked with curl (MIT GSSAPI), not with the product: a
// machine ticket passes the Negotiate squid, no authentication gets 407, and squid logs the principal.
func TestSquidNegotiateKerberos(t *testing.T) {
	t.Parallel()
	needDaemon(t, "/usr/bin/curl")
	l := newProxyLab(t, "api.lab.test")
	start := time.Now()
	k := StartKDC(t, "LAB.TEST")
	kt := k.AddPrincipal(t, "SCP01$")
	cc := k.Kinit(t, "SCP01$", kt)
	p := StartSquid(t, SquidOptions{Negotiate: &NegotiateOptions{KDC: k, SPN: "HTTP/proxy.lab.test"}, Hosts: l.hosts})
	t.Logf("realm, ticket and squid ready in %v", time.Since(start).Round(time.Millisecond))
	port := strings.Split(p.Addr, ":")[1]
	curl := func(ccache string, auth ...string) string {
		args := append([]string{"-s", "-o", "/dev/null", "-w", "%{http_connect}", "--max-time", "10",
			"--resolve", "proxy.lab.test:" + port + ":" + strings.Split(p.Addr, ":")[0],
			"--proxy", "http://proxy.lab.test:" + port}, auth...)
		cmd := exec.Command("curl", append(args, "-k", fmt.Sprintf("https://api.lab.test:%d/", l.web.TLSPort))...)
		cmd.Env = []string{"PATH=/usr/bin:/bin", "KRB5_CONFIG=" + k.Conf, "KRB5CCNAME=FILE:" + ccache}
		out, _ := cmd.Output()
		return string(out)
	}
	if got := curl(cc, "--proxy-negotiate", "-U", ":"); got != "200" {
		t.Errorf("with the machine ticket: CONNECT %q, want 200", got)
	}
	if got := curl(cc); got != "407" {
		t.Errorf("without authentication: CONNECT %q, want 407", got)
	}
	log, _ := os.ReadFile(p.LogPath)
	if !strings.Contains(string(log), "SCP01$@LAB.TEST") {
		t.Errorf("squid's log does not name SCP01$@LAB.TEST:\n%s", log)
	}
}
