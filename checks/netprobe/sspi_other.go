//go:build !windows

package netprobe

const sspiAvailable = false

func newSSPIAuth(string) (authenticator, error) { return nil, errNoSSPI }
