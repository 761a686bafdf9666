package netprobe

import (
	"time"

	"github.com/cmpreflight/cmpreflight/facts"
)

// Phases of one request, as the report's timings name them.
const (
	PhaseDNS       = "dns"
	PhaseConnect   = "connect"
	PhaseProxy     = "proxy"
	PhaseTLS       = "tls"
	PhaseFirstByte = "firstByte"
)

// trace is the one place a request's phases are timed (blackbox_exporter adapts net/http's
// httptrace to the same end; the product writes its requests itself, so the hop marks its
// phases here). Each phase is measured from begin to the returned end, recorded in the
// request's timings and handed to the run's observer, when there is one.
type trace struct {
	tm      facts.Timings
	observe func(phase string, took time.Duration)
}

// begin starts timing phase; calling the returned function ends it.
func (t *trace) begin(phase string) (end func()) {
	start := time.Now()
	return func() { t.record(phase, time.Since(start)) }
}

// record sets the duration of a phase timed elsewhere (a resolution run aside).
func (t *trace) record(phase string, took time.Duration) {
	ms := took.Milliseconds()
	switch phase {
	case PhaseDNS:
		t.tm.DNS = ms
	case PhaseConnect:
		t.tm.Connect = ms
	case PhaseProxy:
		t.tm.Proxy = ms
	case PhaseTLS:
		t.tm.TLS = ms
	case PhaseFirstByte:
		t.tm.FirstByte = ms
	}
	if t.observe != nil {
		t.observe(phase, took)
	}
}
