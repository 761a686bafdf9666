//go:build !windows

package proxyconf

// SystemWinINET returns the reader of this machine's WinINET settings; off Windows it
// answers ErrNotWindows.
func SystemWinINET() WinINETReader { return noWinINET{} }

type noWinINET struct{}

func (noWinINET) LocalSystemWinINET() (*WinINETSetting, error) { return nil, ErrNotWindows }
