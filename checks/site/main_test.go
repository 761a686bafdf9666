package site

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine behind (an SMB session or an
// HTTP connection not closed).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
