package site

import (
	"bytes"
	"encoding/json"
	"net"
	"testing"

	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/lab"
)

func freePort(t *testing.T) int { return lab.FreePort(t) }

// rpcStandIn is a listener in place of the RPC endpoint mapper.
func rpcStandIn(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

// assertNoSecret checks the password appears in no field of the facts nor of the checks
// made from them.
func assertNoSecret(t *testing.T, r *facts.RightsFacts, password string) {
	t.Helper()
	b, err := json.Marshal(struct {
		R *facts.RightsFacts
		C []facts.Check
	}{r, RightsChecks(r)})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(password)) {
		t.Fatalf("the password appears in the result: %s", b)
	}
}
