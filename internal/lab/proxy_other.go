//go:build !linux

package lab

import "syscall"

func daemonSysProcAttr() *syscall.SysProcAttr { return nil }

func labPlatformOK() bool { return false }
