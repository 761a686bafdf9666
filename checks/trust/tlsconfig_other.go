//go:build !windows

package trust

import "github.com/cmpreflight/cmpreflight/facts"

// ReadTLSConfig reports that there is no Windows TLS configuration to read here.
func ReadTLSConfig() *facts.TLSConfigFacts { return notWindows() }
