//go:build !windows

package trust

import "github.com/cmpreflight/cmpreflight/checks"

// ReadTLSConfig reports that there is no Windows TLS configuration to read here.
func ReadTLSConfig() *checks.TLSConfigFacts { return notWindows() }
