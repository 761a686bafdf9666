//go:build windows

package site

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// nativeRights asks Windows, as the identity the process runs as.
type nativeRights struct{}

// win32Err carries the Win32 code of an error for the portable classifier.
type win32Err struct {
	err  error
	code uint32
}

func (e win32Err) Error() string     { return e.err.Error() }
func (e win32Err) Unwrap() error     { return e.err }
func (e win32Err) Win32Code() uint32 { return e.code }

// StatAdminShare opens \\host\ADMIN$ through the redirector: run as SYSTEM this is the
// site server's computer account, exactly what site component manager uses.
func (nativeRights) StatAdminShare(ctx context.Context, host string) error {
	done := make(chan error, 1)
	go func() {
		_, err := os.Stat(`\\` + host + `\ADMIN$`)
		done <- err
	}()
	select {
	case err := <-done:
		var errno syscall.Errno
		if errors.As(err, &errno) {
			return win32Err{err: err, code: uint32(errno)}
		}
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

var (
	modNetapi32                 = windows.NewLazySystemDLL("netapi32.dll")
	procNetLocalGroupGetMembers = modNetapi32.NewProc("NetLocalGroupGetMembers")
)

const (
	maxPreferredLength = 0xFFFFFFFF
	errorMoreData      = 234
)

// localGroupMembersInfo3 is LOCALGROUP_MEMBERS_INFO_3.
type localGroupMembersInfo3 struct {
	DomainAndName *uint16
}

// LocalAdministrators lists the direct members of this machine's Administrators group
// (found by its well-known SID, so a localized name works) as DOMAIN\name.
func (nativeRights) LocalAdministrators() ([]string, error) {
	sid, err := windows.CreateWellKnownSid(windows.WinBuiltinAdministratorsSid)
	if err != nil {
		return nil, fmt.Errorf("Administrators SID: %w", err)
	}
	group, _, _, err := sid.LookupAccount("")
	if err != nil {
		return nil, fmt.Errorf("Administrators group name: %w", err)
	}
	groupPtr, err := windows.UTF16PtrFromString(group)
	if err != nil {
		return nil, err
	}
	if err := procNetLocalGroupGetMembers.Find(); err != nil {
		return nil, err
	}
	var members []string
	var resume uintptr
	for {
		var buf *byte
		var read, total uint32
		rc, _, _ := procNetLocalGroupGetMembers.Call(0, uintptr(unsafe.Pointer(groupPtr)), 3,
			uintptr(unsafe.Pointer(&buf)), maxPreferredLength,
			uintptr(unsafe.Pointer(&read)), uintptr(unsafe.Pointer(&total)), uintptr(unsafe.Pointer(&resume)))
		if rc != 0 && rc != errorMoreData {
			if buf != nil {
				_ = windows.NetApiBufferFree(buf)
			}
			return nil, fmt.Errorf("NetLocalGroupGetMembers(%s): %w", group, syscall.Errno(rc))
		}
		if buf != nil {
			entries := unsafe.Slice((*localGroupMembersInfo3)(unsafe.Pointer(buf)), read)
			for _, e := range entries {
				members = append(members, windows.UTF16PtrToString(e.DomainAndName))
			}
			_ = windows.NetApiBufferFree(buf)
		}
		if rc != errorMoreData {
			return members, nil
		}
	}
}
