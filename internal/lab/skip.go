package lab

import (
	"os"
	"testing"
)

// skipOrFail skips a test whose real peer cannot run here, except under CI=true, where a
// missing peer is a failure: CI installs every peer the tests need.
func skipOrFail(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(why)
	}
	t.Skip(why)
}
