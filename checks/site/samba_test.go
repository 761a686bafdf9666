//go:build linux

package site

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// syncBuffer collects a daemon's output for failure messages.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// sambaLab is a throwaway smbd on 127.0.0.1 whose ADMIN$ only Admin may open.
type sambaLab struct {
	Port            int
	Admin, Other    string
	Password        string
	Workgroup, Conf string
}

func run(t *testing.T, stdin string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

func uniqueName(t *testing.T, prefix string) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return prefix + hex.EncodeToString(b)
}

func startSamba(t *testing.T) *sambaLab {
	t.Helper()
	if os.Geteuid() != 0 {
		needLab(t, "smbd and useradd need root")
	}
	for _, bin := range []string{"smbd", "smbpasswd", "useradd", "userdel"} {
		if _, err := exec.LookPath(bin); err != nil {
			needLab(t, bin+" not installed")
		}
	}
	lab := &sambaLab{Password: "Lab-" + uniqueName(t, "pw") + "!", Workgroup: "LAB"}
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
		run(t, "", "useradd", "-M", "-s", "/usr/sbin/nologin", u)
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
		run(t, lab.Password+"\n"+lab.Password+"\n", "smbpasswd", "-c", lab.Conf, "-s", "-a", u)
	}

	var lastOut string
	for attempt := 0; attempt < 3; attempt++ {
		lab.Port = freePort(t)
		writeConf(lab.Port)
		out := &syncBuffer{}
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

func TestCheckRightsAgainstSamba(t *testing.T) {
	lab := startSamba(t)
	rpc := rpcStandIn(t)
	closed := freePort(t)

	cases := []struct {
		name       string
		o          RightsOptions
		share      string
		p445, p135 string
	}{
		{"installation account is an admin", RightsOptions{Account: lab.Admin, Password: lab.Password}, ShareOK, PortOpen, PortOpen},
		{"DOMAIN\\user form", RightsOptions{Account: lab.Workgroup + `\` + lab.Admin, Password: lab.Password}, ShareOK, PortOpen, PortOpen},
		{"valid account, not an admin", RightsOptions{Account: lab.Other, Password: lab.Password}, ShareAccessDenied, PortOpen, PortOpen},
		{"wrong password", RightsOptions{Account: lab.Admin, Password: lab.Password + "x"}, ShareLogonFailure, PortOpen, PortOpen},
		{"unknown account", RightsOptions{Account: "nobody-" + lab.Admin, Password: lab.Password}, ShareLogonFailure, PortOpen, PortOpen},
		{"closed SMB port", RightsOptions{Account: lab.Admin, Password: lab.Password, SMBPort: closed, RPCPort: closed}, ShareUnreachable, PortClosed, PortClosed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := c.o
			o.Host = "127.0.0.1"
			if o.SMBPort == 0 {
				o.SMBPort = lab.Port
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
