package lab

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// SquidGuardBin is the Debian squidguard binary, a squid URL rewriter.
var SquidGuardBin = "/usr/bin/squidGuard"

// SquidGuardOptions shapes squid with squidGuard.
type SquidGuardOptions struct {
	Hosts map[string]string
	// Block lists the domains of squidGuard's "blocked" destination.
	Block []string
	// RedirectTo is the block page URL, with squidGuard's substitutions (%a client address,
	// %t target group, %u the blocked URL...).
	RedirectTo string
	// Rewrite makes squidGuard rewrite the URL instead of redirecting (a redirect rule
	// without the "302:" prefix): squid fetches the block page itself and relays it, with
	// its Via stamp, as the answer for the blocked URL.
	Rewrite bool
}

// StartSquidGuard runs squid with squidGuard as its url_rewrite_program: requests for a
// blocked domain are answered "302 Found" to RedirectTo.
func StartSquidGuard(t testing.TB, o SquidGuardOptions) *Proxy {
	t.Helper()
	needDaemon(t, SquidGuardBin)
	dir := daemonDir(t, "cmpreflight-squidguard-", "proxy")
	t.Cleanup(func() { os.RemoveAll(dir) })
	db := filepath.Join(dir, "db")
	for _, d := range []string{db, filepath.Join(db, "blocked"), filepath.Join(dir, "log")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(db, "blocked", "domains"), []byte(strings.Join(o.Block, "\n")+"\n"), 0o644, "proxy")
	conf := filepath.Join(dir, "squidGuard.conf")
	var c strings.Builder
	fmt.Fprintf(&c, "dbhome %s\nlogdir %s\n\n", db, filepath.Join(dir, "log"))
	fmt.Fprintf(&c, "dest blocked {\n\tdomainlist blocked/domains\n}\n\n")
	redirect := "302:" + o.RedirectTo
	if o.Rewrite {
		redirect = o.RedirectTo
	}
	fmt.Fprintf(&c, "acl {\n\tdefault {\n\t\tpass !blocked all\n\t\tredirect %s\n\t}\n}\n", redirect)
	writeFile(t, conf, []byte(c.String()), 0o644, "proxy")
	if out, err := exec.Command("chown", "-R", "proxy:proxy", dir).CombinedOutput(); err != nil {
		t.Fatalf("chown: %v: %s", err, out)
	}
	// The database is built as the user squid runs its helpers as.
	if out, err := exec.Command("/bin/su", "-s", "/bin/sh", "proxy", "-c", SquidGuardBin+" -c "+conf+" -C all").CombinedOutput(); err != nil {
		t.Fatalf("squidGuard -C all: %v: %s", err, out)
	}
	return StartSquid(t, SquidOptions{Hosts: o.Hosts, URLRewrite: SquidGuardBin + " -c " + conf})
}
