package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var (
	ntlmAuthBin = "/usr/bin/ntlm_auth"
	winbinddBin = "/usr/sbin/winbindd"
)

// NTLMDomain is the domain of the lab's NTLM accounts (SquidOptions{Auth: "ntlm"}): a
// standalone Samba whose workgroup and NetBIOS name are both this, so a client may send this
// domain or none.
const NTLMDomain = "CMPLAB"

var ntlmUserName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,30}$`)

// winbindLab is a standalone Samba winbindd for one squid, holding Users in its own passdb.
// It lives in the squid's private mount namespace: /run/samba (where ntlm_auth always looks
// for winbindd) and /etc/passwd and /etc/group (Samba accounts need Unix users; these exist only
// inside the namespace) are bind-mounted from the test's directory.
// The privileged pipe the helper needs lives under the state directory, in a directory made
// beforehand as root:proxy 0750.
type winbindLab struct {
	dir   string // <proxy dir>/samba
	conf  string
	users []string
	// sso is an existing Unix user (the identity a Wine client runs as) whose password
	// winbindd caches, so that NTLM as "the current identity" works in the namespace.
	sso string
}

func newWinbindLab(t testing.TB, proxyDir string, users map[string]string, sso string) *winbindLab {
	t.Helper()
	if len(users) == 0 {
		t.Fatal("StartSquid: NTLM auth needs Users")
	}
	w := &winbindLab{dir: filepath.Join(proxyDir, "samba"), sso: sso}
	if sso != "" && users[sso] == "" {
		t.Fatalf("StartSquid: SingleSignOn user %q needs a password in Users", sso)
	}
	for _, d := range []string{"", "private", "lock", "state", "cache", "pid", "ncalrpc", "run", "pw", "etc-up", "etc-work"} {
		if err := os.MkdirAll(filepath.Join(w.dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(filepath.Join(w.dir, "pw"), 0o700)
	priv := filepath.Join(w.dir, "state", "winbindd_privileged") // where winbindd puts its privileged pipe
	if err := os.Mkdir(priv, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := chownName(priv, "proxy"); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(priv, 0, -1); err != nil { // root:proxy, as winbindd insists
		t.Fatal(err)
	}
	passwd, err := os.ReadFile("/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	group, err := os.ReadFile("/etc/group")
	if err != nil {
		t.Fatal(err)
	}
	for u := range users {
		w.users = append(w.users, u)
	}
	sort.Strings(w.users)
	pw, gr := string(passwd), string(group)
	for i, u := range w.users {
		if !ntlmUserName.MatchString(u) {
			t.Fatalf("StartSquid: NTLM user %q: use lower-case letters, digits, - and _", u)
		}
		if u == sso {
			if !strings.Contains("\n"+pw, "\n"+u+":") {
				t.Fatalf("StartSquid: SingleSignOn user %q is not a user of this machine", u)
			}
		} else if strings.Contains("\n"+pw, "\n"+u+":") {
			t.Fatalf("StartSquid: NTLM user %q already exists on this machine; pick a lab-only name", u)
		}
		// pdbedit -t reads the password twice from stdin; the file never leaves the test dir.
		writeFile(t, filepath.Join(w.dir, "pw", u), []byte(users[u]+"\n"+users[u]+"\n"), 0o600, "")
		if u == sso {
			continue
		}
		id := 47000 + i
		pw += fmt.Sprintf("%s:x:%d:%d:cmpreflight lab:/nonexistent:/usr/sbin/nologin\n", u, id, id)
		gr += fmt.Sprintf("%s:x:%d:\n", u, id)
	}
	writeFile(t, filepath.Join(w.dir, "etc-up", "passwd"), []byte(pw), 0o644, "")
	writeFile(t, filepath.Join(w.dir, "etc-up", "group"), []byte(gr), 0o644, "")

	s := func(d string) string { return filepath.Join(w.dir, d) }
	conf := strings.Join([]string{
		"[global]",
		"workgroup = " + NTLMDomain,
		"netbios name = " + NTLMDomain,
		"server role = standalone server",
		"security = user",
		"passdb backend = tdbsam:" + s("private/passdb.tdb"),
		"private dir = " + s("private"),
		"lock directory = " + s("lock"),
		"state directory = " + s("state"),
		"cache directory = " + s("cache"),
		"pid directory = " + s("pid"),
		"ncalrpc dir = " + s("ncalrpc"),
		"log file = " + s("log.%m"),
		"disable netbios = yes",
		"load printers = no",
		"interfaces = 127.0.0.1",
		"bind interfaces only = yes",
		"",
	}, "\n")
	w.conf = s("smb.conf")
	writeFile(t, w.conf, []byte(conf), 0o644, "")
	return w
}

// script is the start script of the namespace's first process: it makes the mounts, adds the
// accounts, starts winbindd, waits until it answers, then replaces itself with execCmd.
func (w *winbindLab) script(execCmd string) string {
	s := func(d string) string { return filepath.Join(w.dir, d) }
	lines := []string{
		"set -e",
		"mount --make-rprivate /",
		"mkdir -p /run/samba",
		"mount --bind " + s("run") + " /run/samba",
		// An overlay over /etc, not file bind mounts: useradd/userdel elsewhere (the Samba
		// lab) replace /etc/passwd by rename, which would uncover a bind-mounted file.
		"mount -t overlay overlay -o lowerdir=/etc,upperdir=" + s("etc-up") + ",workdir=" + s("etc-work") + " /etc",
	}
	for _, u := range w.users {
		lines = append(lines, "pdbedit -s "+w.conf+" -a -u "+u+" -t < "+s("pw/"+u)+" > /dev/null")
	}
	lines = append(lines,
		"winbindd -F --no-process-group --debug-stdout -d 1 -s "+w.conf+" > "+s("winbindd.out")+" 2>&1 &",
		"i=0; until wbinfo -p > /dev/null 2>&1; do i=$((i+1)); [ $i -lt 200 ] || { echo winbindd did not answer >&2; exit 1; }; sleep 0.05; done",
	)
	if w.sso != "" {
		// wbinfo takes the password only in its argument; it is a lab-only password, read
		// from the test's private file by the shell so the Go side never puts it in argv.
		lines = append(lines, `wbinfo --ccache-save="`+NTLMDomain+`\\`+w.sso+`%$(head -n1 `+s("pw/"+w.sso)+`)" > `+s("ccache-save.out")+` 2>&1`)
	}
	lines = append(lines, "exec "+execCmd)
	return strings.Join(lines, "\n")
}

func (w *winbindLab) helperCommand() string {
	return ntlmAuthBin + " --helper-protocol=squid-2.5-ntlmssp --configfile=" + w.conf
}

func (w *winbindLab) logs() string {
	out := tail(filepath.Join(w.dir, "winbindd.out"), 20)
	logs, _ := filepath.Glob(filepath.Join(w.dir, "log.*"))
	for _, l := range logs {
		out += "\n" + filepath.Base(l) + ":\n" + tail(l, 20)
	}
	return out
}
