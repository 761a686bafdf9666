package lab

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// Netns is a network namespace a test creates (ip netns add) with its loopback up, deleted in
// t.Cleanup. Listeners made inside Do belong to it; commands made by Command run in it.
type Netns struct {
	Name string
	fd   *os.File
}

// NewNetns creates a network namespace named prefix plus a random suffix.
func NewNetns(t testing.TB, prefix string) *Netns {
	t.Helper()
	if !labPlatformOK() {
		skipOrFail(t, "network namespaces need root on Linux")
	}
	name := fmt.Sprintf("%s%08x", prefix, rand.Uint32())
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		skipOrFail(t, fmt.Sprintf("ip netns add: %v: %s", err, out))
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	if out, err := exec.Command("ip", "-n", name, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("lo up in %s: %v: %s", name, err, out)
	}
	f, err := os.Open("/run/netns/" + name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return &Netns{Name: name, fd: f}
}

// Do runs fn on a thread switched into the namespace: the sockets fn opens live there (and
// keep serving from any thread afterwards). A thread that cannot switch back is not reused.
func (n *Netns) Do(fn func() error) error {
	runtime.LockOSThread()
	self, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer self.Close()
	if err := unix.Setns(int(n.fd.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("setns %s: %w", n.Name, err)
	}
	ferr := fn()
	if err := unix.Setns(int(self.Fd()), unix.CLONE_NEWNET); err != nil {
		// Leave the thread locked: it exits with the goroutine, never serving another.
		return fmt.Errorf("setns back: %w", err)
	}
	runtime.UnlockOSThread()
	return ferr
}

// Command is name with args run inside the namespace.
func (n *Netns) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", n.Name, name}, args...)...)
}
