//go:build !windows

package proxyconf

import "github.com/cmpreflight/cmpreflight/checks"

// ReadWinHTTP reads the machine's WinHTTP proxy setting; off Windows it returns ErrNotWindows.
func ReadWinHTTP() (*checks.WinHTTPSetting, error) {
	return nil, ErrNotWindows
}
