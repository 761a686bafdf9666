//go:build !windows

package site

import "context"

// nativeRights answers nothing outside Windows: go-smb2 cannot use the current identity.
type nativeRights struct{}

func (nativeRights) StatAdminShare(context.Context, string) error { return errNotWindows }

func (nativeRights) LocalAdministrators() ([]string, error) { return nil, errNotWindows }
