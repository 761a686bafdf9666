package site

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

// A provider that gives no answer is named by the one network-error classifier, with where to
// look: a closed port, a listener that never answers, one that cuts the connection.
func TestFetchInventoryNetworkFailures(t *testing.T) {
	listen := func(t *testing.T, serve func(net.Conn)) string {
		t.Helper()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go serve(c)
			}
		}()
		return ln.Addr().String()
	}
	closed := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		return addr
	}()
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) }) // runs before the listeners close: the mute conns end first
	mute := listen(t, func(c net.Conn) {
		defer c.Close()
		<-stop
	})
	cut := listen(t, func(c net.Conn) { c.Close() })
	cases := []struct{ name, addr, want string }{
		{"nothing listens", closed, "refused: nothing listens"},
		{"never answers", mute, "timeout: no answer in time"},
		{"cuts the connection", cut, "closed: the connection was cut"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			client := NewClient(ClientOptions{Timeout: 400 * time.Millisecond})
			defer client.CloseIdleConnections()
			_, err := FetchInventory(context.Background(), "https://"+c.addr+"/AdminService", client, Auth{User: `CONTOSO\svc-cmread`, Password: secret})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("the password leaked: %v", err)
			}
		})
	}
}
