package lab

import (
	"os"
	"syscall"
)

// daemonSysProcAttr puts each lab daemon in its own PID and mount namespaces: it becomes the
// namespace's init, so killing it makes the kernel kill and reap all its helpers (PID 1 on
// these machines reaps orphans slowly), and bind mounts made by its start script (resolv.conf,
// /etc/hosts, /run/samba) stay private to it. Pdeathsig stops it if the test binary dies.
func daemonSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNS,
		Pdeathsig:  syscall.SIGKILL,
		Setpgid:    true,
	}
}

func labPlatformOK() bool { return os.Geteuid() == 0 }
