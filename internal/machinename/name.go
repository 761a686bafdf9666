// Package machinename decides the name a run records for this machine: --machine-name, else
// the host name (fully qualified on Windows), so that reports from a fleet merge by machine.
package machinename

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Source tells this machine's own name. The system's source is per OS: the host name on
// Linux and macOS, the DNS fully qualified name on Windows (namer_windows.go).
type Source interface {
	MachineName() (string, error)
}

// System is the operating system's source.
var System Source = systemSource{}

// MaxLen bounds a machine name: a DNS name is at most 253 characters; a little room is left
// for names that are not DNS names (an asset tag, a label with spaces).
const MaxLen = 255

// Resolve returns flagValue when it is set (validated), else what src says, lowercased.
func Resolve(flagValue string, src Source) (string, error) {
	if flagValue != "" {
		if err := Validate(flagValue); err != nil {
			return "", fmt.Errorf("--machine-name %q: %v", flagValue, err)
		}
		return flagValue, nil
	}
	n, err := src.MachineName()
	if err != nil {
		return "", fmt.Errorf("this machine's name could not be read (%v); pass --machine-name", err)
	}
	n = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(n), "."))
	if err := Validate(n); err != nil {
		return "", fmt.Errorf("this machine's name %q is unusable (%v); pass --machine-name", n, err)
	}
	return n, nil
}

// Validate refuses names that would not survive every report format: empty, too long, not
// UTF-8, control characters, or blank at either end.
func Validate(n string) error {
	switch {
	case n == "":
		return fmt.Errorf("empty")
	case len(n) > MaxLen:
		return fmt.Errorf("longer than %d bytes", MaxLen)
	case !utf8.ValidString(n):
		return fmt.Errorf("not valid UTF-8")
	case strings.TrimSpace(n) != n:
		return fmt.Errorf("leading or trailing blanks")
	}
	for _, r := range n {
		if unicode.IsControl(r) {
			return fmt.Errorf("control character %U", r)
		}
	}
	return nil
}
