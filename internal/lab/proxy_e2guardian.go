package lab

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// E2guardianBin is the Debian e2guardian binary, configured from a copy of e2guardianConf.
var (
	E2guardianBin   = "/usr/sbin/e2guardian"
	e2guardianConf  = "/etc/e2guardian"
	e2guardianLangs = "/usr/share/e2guardian/languages"
)

// E2guardianOptions shapes one e2guardian instance.
type E2guardianOptions struct {
	Hosts map[string]string
	// Block lists the banned sites (lists/bannedsitelist).
	Block []string
	// Template, when set, replaces the block page: a company's own page (e.g. a copied
	// shipped template translated, with its own title). Its -URL- and -REASONGIVEN-
	// placeholders are filled in by e2guardian. Language is the shipped language whose
	// messages file goes with it (default ukenglish).
	Template string
	Language string
}

// E2guardianTemplate reads a shipped template of a language (for a test to copy and change).
func E2guardianTemplate(t testing.TB, language string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(e2guardianLangs, language, "template.html"))
	if err != nil {
		skipOrFail(t, "e2guardian templates: "+err.Error())
	}
	return string(b)
}

// StartE2guardian runs e2guardian in the foreground on its own loopback address with a copy
// of the Debian configuration, and kills it in t.Cleanup (it ignores SIGTERM for minutes).
func StartE2guardian(t testing.TB, o E2guardianOptions) *Proxy {
	t.Helper()
	needDaemon(t, E2guardianBin)
	dir := daemonDir(t, "cmpreflight-e2guardian-", "")
	p := &Proxy{dir: dir, LogPath: filepath.Join(dir, "access.log")}
	ip, port, ns := newNSDaemon(t, p, dir, o.Hosts)

	conf := filepath.Join(dir, "conf")
	if out, err := exec.Command("cp", "-r", e2guardianConf, conf).CombinedOutput(); err != nil {
		t.Fatalf("copy %s: %v: %s", e2guardianConf, err, out)
	}
	// Every path of the copy points into it.
	filepath.Walk(conf, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || !strings.HasSuffix(path, ".conf") && !strings.HasSuffix(path, ".story") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err == nil {
			os.WriteFile(path, []byte(strings.ReplaceAll(string(b), e2guardianConf, conf)), info.Mode())
		}
		return nil
	})
	lang := o.Language
	if lang == "" {
		lang = "ukenglish"
	}
	langDir := e2guardianLangs
	if o.Template != "" {
		langDir = filepath.Join(dir, "languages")
		if err := os.MkdirAll(langDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("cp", "-r", filepath.Join(e2guardianLangs, lang), filepath.Join(langDir, lang)).CombinedOutput(); err != nil {
			t.Fatalf("copy the %s templates: %v: %s", lang, err, out)
		}
		writeFile(t, filepath.Join(langDir, lang, "template.html"), []byte(o.Template), 0o644, "")
	}
	mainConf := filepath.Join(conf, "e2guardian.conf")
	b, err := os.ReadFile(mainConf)
	if err != nil {
		t.Fatal(err)
	}
	set := func(s, key, value string) string {
		// Only a setting in force is replaced; commented examples stay comments.
		re := regexp.MustCompile(`(?m)^` + key + `\s*=.*$`)
		if re.MatchString(s) {
			return re.ReplaceAllLiteralString(s, key+" = "+value)
		}
		return s + "\n" + key + " = " + value + "\n"
	}
	s := string(b)
	s = set(s, "filterip", ip)
	s = set(s, "filterports", itoa(port))
	s = set(s, "nodaemon", "on")
	s = set(s, "languagedir", "'"+langDir+"'")
	s = set(s, "language", "'"+lang+"'")
	s = set(s, "loglocation", "'"+p.LogPath+"'")
	s = set(s, "pidfilename", "'"+filepath.Join(dir, "e2guardian.pid")+"'")
	s = set(s, "checkip", ip)
	// The shipped transparent-HTTPS port (8443) is fixed: two instances at once (tests run in
	// parallel) would fight over it. The lab only uses the explicit proxy port.
	s = regexp.MustCompile(`(?m)^transparenthttpsport\s*=`).ReplaceAllLiteralString(s, "#transparenthttpsport =")
	writeFile(t, mainConf, []byte(s), 0o644, "")
	writeFile(t, filepath.Join(conf, "lists", "bannedsitelist"), []byte(strings.Join(o.Block, "\n")+"\n"), 0o644, "")
	exec.Command("chmod", "-R", "a+rX", dir).Run()
	exec.Command("chown", "e2guardian", dir).Run()

	cmd := ns.command(dir, E2guardianBin+" -N -c "+mainConf)
	runDaemon(t, "e2guardian", p, cmd, func() string {
		return "access.log:\n" + tail(p.LogPath, 30) + "\nstderr:\n" + p.stderr.String()
	})
	return p
}
