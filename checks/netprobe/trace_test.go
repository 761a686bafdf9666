package netprobe

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/cmpreflight/cmpreflight/internal/lab"
)

// Every request's phases go through the trace: the observer hears them in order, each as
// long as the lab made it at least, and the check's timings are what it heard (the first
// request's; a redirect's second request adds its own phases).
func TestTracePhases(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	h := newHostileLab(t)
	defer h.close(ignore)
	const delay = 60 * time.Millisecond
	h.dns.Delay(delay)
	w := h.web("traced.lab.test", lab.ConnServe, &lab.Route{Status: 200, Delay: delay})
	w.SetTLSDelay(delay)
	moved := h.web("moved.lab.test", lab.ConnServe, &lab.Route{Status: 302, Location: fmt.Sprintf("https://traced.lab.test:%d/", w.TLSPort), Delay: delay})

	type heard struct {
		url, phase string
		took       time.Duration
	}
	var mu sync.Mutex
	var got []heard
	env := h.env(nil)
	env.OnPhase = func(check, url, phase string, took time.Duration) {
		mu.Lock()
		got = append(got, heard{url, phase, took})
		mu.Unlock()
	}
	phases := func(from int) []string {
		var out []string
		for _, g := range got[from:] {
			out = append(out, g.phase)
		}
		return out
	}

	for _, tc := range []struct {
		scheme string
		port   int
		want   []string
	}{
		{"https", w.TLSPort, []string{PhaseDNS, PhaseConnect, PhaseTLS, PhaseFirstByte}},
		{"http", w.HTTPPort, []string{PhaseDNS, PhaseConnect, PhaseFirstByte}},
	} {
		got = nil
		c := run(t, env, target(tc.scheme, "traced.lab.test", tc.port, "/", false), "pass", "", "")
		if p := phases(0); !slices.Equal(p, tc.want) {
			t.Fatalf("%s: phases %v, want %v", tc.scheme, p, tc.want)
		}
		ms := map[string]int64{}
		for _, g := range got {
			ms[g.phase] = g.took.Milliseconds()
			if g.phase != PhaseConnect && g.took < delay {
				t.Errorf("%s %s took %v, under the lab's %v", tc.scheme, g.phase, g.took, delay)
			}
		}
		tm := c.Timings
		if tm.DNS != ms[PhaseDNS] || tm.Connect != ms[PhaseConnect] || tm.TLS != ms[PhaseTLS] || tm.FirstByte != ms[PhaseFirstByte] {
			t.Errorf("%s: timings %+v, heard %v", tc.scheme, tm, ms)
		}
	}

	// A redirect: the second request is traced too, under its own URL, and the check keeps
	// the first request's timings.
	got = nil
	c := run(t, env, target("https", "moved.lab.test", moved.TLSPort, "/", true), "pass", "", "")
	want := []string{PhaseDNS, PhaseConnect, PhaseTLS, PhaseFirstByte, PhaseDNS, PhaseConnect, PhaseTLS, PhaseFirstByte}
	if p := phases(0); !slices.Equal(p, want) {
		t.Fatalf("redirect: phases %v, want %v", p, want)
	}
	if got[0].url == got[4].url {
		t.Errorf("both requests traced under %s", got[0].url)
	}
	if c.Timings.FirstByte != got[3].took.Milliseconds() {
		t.Errorf("the check's first byte %d ms is not its first request's %v", c.Timings.FirstByte, got[3].took)
	}
}
