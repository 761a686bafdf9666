// Package netprobe reaches one target the way the role will: DNS, TCP, the proxy's CONNECT and
// authentication, TLS, the HTTP answer and the idle tunnel, each in a file of its own, and the
// runner that schedules them; every probe fills in one check of the facts document. Phase
// timings are taken in one place, the trace (trace.go), which also tells Env.OnPhase.
package netprobe
