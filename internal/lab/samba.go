//go:build linux

package lab

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Samba is a throwaway smbd on 127.0.0.1 whose ADMIN$ share only Admin may open, as only a
// local administrator opens a Windows server's ADMIN$; Other is a valid user who may not.
type Samba struct {
	Port            int
	Admin, Other    string
	Password        string
	Workgroup, Conf string
}

func runCmd(t testing.TB, stdin string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

func uniqueName(t testing.TB, prefix string) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return prefix + hex.EncodeToString(b)
}

// StartSamba creates two uniquely named Unix users (removed in Cleanup), runs smbd in the
// foreground on a free loopback port with every state directory under the test's temp dir,
// and stops it (and any helper it started) by PID in Cleanup. It skips when smbd or root is
// missing, except under CI=true where it fails.
func StartSamba(t testing.TB) *Samba {
	t.Helper()
	for _, bin := range []string{"smbd", "smbpasswd", "useradd", "userdel"} {
		if _, err := exec.LookPath(bin); err != nil {
			skipOrFail(t, bin+" is not installed (scripts/install-test-deps.sh installs it)")
		}
	}
	if os.Geteuid() != 0 {
		skipOrFail(t, "the Samba lab needs root (smbd, useradd)")
	}
	lab := &Samba{Password: "Lab-" + uniqueName(t, "pw") + "!", Workgroup: "LAB"}
	dir := t.TempDir()
	// smbd enters the share as the user: the path must be traversable.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, sub := range []string{"private", "lock", "state", "cache", "pid", "ncalrpc", "admin", "binddns"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(dir, "admin"), 0o777); err != nil {
		t.Fatal(err)
	}

	lab.Admin, lab.Other = uniqueName(t, "cmpa"), uniqueName(t, "cmpo")
	for _, u := range []string{lab.Admin, lab.Other} {
		runCmd(t, "", "useradd", "-M", "-s", "/usr/sbin/nologin", u)
		t.Cleanup(func() {
			if out, err := exec.Command("userdel", u).CombinedOutput(); err != nil {
				t.Errorf("userdel %s: %v %s", u, err, out)
			}
		})
	}

	lab.Conf = filepath.Join(dir, "smb.conf")
	writeConf := func(port int) {
		conf := fmt.Sprintf(`[global]
	workgroup = %[3]s
	netbios name = SCPHOST
	server role = standalone server
	smb ports = %[2]d
	interfaces = 127.0.0.1
	bind interfaces only = yes
	disable netbios = yes
	server min protocol = SMB2_02
	map to guest = Never
	private dir = %[1]s/private
	lock directory = %[1]s/lock
	state directory = %[1]s/state
	cache directory = %[1]s/cache
	pid directory = %[1]s/pid
	ncalrpc dir = %[1]s/ncalrpc
	binddns dir = %[1]s/binddns
	passdb backend = tdbsam:%[1]s/private/passdb.tdb
	load printers = no
	printcap name = /dev/null
	disable spoolss = yes
	log level = 1

[ADMIN$]
	path = %[1]s/admin
	valid users = %[4]s
	read only = no
	browseable = no
`, dir, port, lab.Workgroup, lab.Admin)
		if err := os.WriteFile(lab.Conf, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeConf(445) // smbpasswd only needs the paths
	for _, u := range []string{lab.Admin, lab.Other} {
		runCmd(t, lab.Password+"\n"+lab.Password+"\n", "smbpasswd", "-c", lab.Conf, "-s", "-a", u)
	}

	var lastOut string
	for attempt := 0; attempt < 3; attempt++ {
		lab.Port = FreePort(t)
		writeConf(lab.Port)
		out := &lockedBuffer{}
		cmd := exec.Command("smbd", "-F", "--no-process-group", "--debug-stdout", "-s", lab.Conf)
		cmd.Stdout, cmd.Stderr = out, out
		// Its own process group lets Cleanup stop smbd's children (and any samba-dcerpcd it
		// starts) by the group id.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		stop := func() {
			pgid := cmd.Process.Pid
			_ = syscall.Kill(-pgid, syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(3 * time.Second):
				_ = syscall.Kill(-pgid, syscall.SIGKILL)
				<-exited
			}
			_ = syscall.Kill(-pgid, syscall.SIGKILL) // children that outlived smbd
			killByConf(lab.Conf)
		}
		if waitListening(lab.Port, exited, 10*time.Second) {
			t.Cleanup(stop)
			return lab
		}
		stop()
		lastOut = out.String()
	}
	t.Fatalf("smbd did not listen:\n%s", lastOut)
	return nil
}

// killByConf stops processes started with this lab's config file (samba-dcerpcd may detach
// from smbd's group); each is ended by its PID.
func killByConf(conf string) {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(cmdline, []byte(conf)) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

func waitListening(port int, exited <-chan error, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 200*time.Millisecond)
		if err == nil {
			_ = c.Close()
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}
