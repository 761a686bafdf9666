package netprobe

import (
	"context"
	"fmt"
	"testing"

	"go.uber.org/goleak"

	"github.com/cmpreflight/cmpreflight/checks/origin"
	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/lab"
)

// A verified chain names a CRL on the revocation host, but on another port than the check's:
// the genuine CRL there says nothing of port 80, where a filter answers. The port-80 check
// must not pass on the other port's answer (and the check of that other port must not pass
// on port 80's).
func TestRevocationProofOnAnotherPortProvesNothing(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	h := newHostileLab(t)
	ip, err := lab.AllocIP(80)
	if err != nil {
		t.Fatal(err)
	}
	// The genuine CRL server, on a port of its own.
	crl, err := lab.StartWeb(ip, -1, 0, h.ca, lab.ConnServe)
	if err != nil {
		t.Fatal(err)
	}
	h.closers = append(h.closers, crl.Close)
	// A filter's page on port 80 of the same address.
	filter, err := lab.StartWeb(ip, -1, 80, h.ca, lab.ConnServe)
	if err != nil {
		t.Fatal(err)
	}
	h.closers = append(h.closers, filter.Close)
	h.dns.A("crl.lab.test", ip)
	h.ca.Publish([]string{fmt.Sprintf("http://crl.lab.test:%d/lab.crl", crl.HTTPPort)}, nil)
	filter.Handle("", lab.Route{Status: 200, Body: "<title>Zugriff verweigert</title>Seite gesperrt", Headers: map[string]string{"Content-Type": "text/html"}})
	h.web("site.lab.test", lab.ConnServe, &lab.Route{Status: 200, Body: "site"})
	jobs := []Job{
		{Target: target("https", "site.lab.test", 443, "/", false)},
		{Target: target("http", "crl.lab.test", 80, "/", false)},
	}
	// Concurrency 1: the HTTPS check has verified its chain when the port-80 check plans.
	out := (&Runner{Env: h.env(nil), Concurrency: 1}).Run(context.Background(), jobs)
	c := out[1]
	if c.Status == facts.StatusPass {
		by := ""
		if c.Evidence.Origin != nil {
			by = c.Evidence.Origin.By + ": " + c.Evidence.Origin.Detail
		}
		t.Errorf("%s passed (%s) while port 80 served a filter's page", c.ID, by)
	}
	if c.Status == facts.StatusWarn && c.Reason != origin.ReasonUnverified {
		t.Errorf("%s: %s (%s): %s", c.ID, c.Status, c.Reason, c.Message)
	}
	t.Logf("%s: %s %s %s: %s", c.ID, c.Status, c.Stage, c.Reason, c.Message)
	h.close(ignore)
}
