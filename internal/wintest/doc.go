// Package wintest gives Windows tests (run under Wine by `make test-windows`) registry and
// certificate-store fixtures that put the machine back as it was when the test ends.
package wintest
