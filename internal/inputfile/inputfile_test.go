package inputfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSizeCap(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big")
	os.WriteFile(p, make([]byte, 2<<20), 0o644)
	if _, err := ReadMax(p, 1<<20); err == nil || !strings.Contains(err.Error(), "larger than 1 MB") {
		t.Errorf("err %v", err)
	}
}
