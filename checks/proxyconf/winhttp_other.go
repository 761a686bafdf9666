//go:build !windows

package proxyconf

import "github.com/cmpreflight/cmpreflight/facts"

// ReadWinHTTP reads the machine's WinHTTP proxy setting; off Windows it returns ErrNotWindows.
func ReadWinHTTP() (*facts.WinHTTPSetting, error) {
	return nil, ErrNotWindows
}
