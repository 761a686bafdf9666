//go:build !windows

package probers

const sspiAvailable = false

func newSSPIAuth(string) (authenticator, error) { return nil, errNoSSPI }
