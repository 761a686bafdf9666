//go:build !windows

package checks

const sspiAvailable = false

func newSSPIAuth(string) (authenticator, error) { return nil, errNoSSPI }
