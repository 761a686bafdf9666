package trust

import (
	"crypto/x509"
	"sync"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// lazyRoots is a root store indexed by subject whose certificates are parsed the first time
// a chain could end at them. Parsing a system store of about 150 roots costs tens of
// milliseconds of CPU at start-up, when the first handshakes need it; a chain needs one or
// two of them.
type lazyRoots struct {
	all       []*lazyRoot
	bySubject map[string][]*lazyRoot
	parseAll  func() []*x509.Certificate
}

type lazyRoot struct {
	der  []byte
	once sync.Once
	cert *x509.Certificate // nil when the encoding does not parse
}

func (r *lazyRoot) get() *x509.Certificate {
	r.once.Do(func() {
		if c, err := x509.ParseCertificate(r.der); err == nil {
			r.cert = c
		}
	})
	return r.cert
}

// newLazyRoots indexes the DER encodings (duplicates are the caller's to drop). A root whose
// subject cannot be read without a full parse is parsed at once and indexed by its parsed
// subject, or left out when it does not parse at all (as x509.CertPool.AppendCertsFromPEM
// does).
func newLazyRoots(ders [][]byte) *lazyRoots {
	l := &lazyRoots{bySubject: map[string][]*lazyRoot{}}
	for _, der := range ders {
		r := &lazyRoot{der: der}
		subject, ok := rawSubject(der)
		if !ok {
			c := r.get()
			if c == nil {
				continue
			}
			subject = c.RawSubject
		}
		l.all = append(l.all, r)
		l.bySubject[string(subject)] = append(l.bySubject[string(subject)], r)
	}
	l.parseAll = sync.OnceValue(func() []*x509.Certificate {
		var out []*x509.Certificate
		for _, r := range l.all {
			if c := r.get(); c != nil {
				out = append(out, c)
			}
		}
		return out
	})
	return l
}

// poolFor returns a pool holding, of these roots, every one a chain built from certs could
// end at, plus extra. x509.Certificate.Verify looks a root up only by the issuer name of a
// certificate in the chain (the leaf or one of the intermediates, all from certs) and
// checks whether the leaf itself is a root: the roots whose subject is the issuer or the
// subject of one of certs are therefore all it can use, and verifying against this pool
// gives what verifying against the whole store gives.
func (l *lazyRoots) poolFor(certs []*x509.Certificate, extra []*x509.Certificate) *x509.CertPool {
	pool := poolOf(extra)
	for _, c := range certs {
		for _, name := range [][]byte{c.RawIssuer, c.RawSubject} {
			for _, r := range l.bySubject[string(name)] {
				if rc := r.get(); rc != nil {
					pool.AddCert(rc)
				}
			}
		}
	}
	return pool
}

// rawSubject reads the subject of a DER certificate (its full encoding, as
// x509.Certificate.RawSubject holds it) without parsing the rest.
func rawSubject(der []byte) ([]byte, bool) {
	input := cryptobyte.String(der)
	var cert, tbs cryptobyte.String
	if !input.ReadASN1(&cert, cbasn1.SEQUENCE) || !cert.ReadASN1(&tbs, cbasn1.SEQUENCE) {
		return nil, false
	}
	var subject cryptobyte.String
	ok := tbs.SkipOptionalASN1(cbasn1.Tag(0).Constructed().ContextSpecific()) && // version
		tbs.SkipASN1(cbasn1.INTEGER) && // serial number
		tbs.SkipASN1(cbasn1.SEQUENCE) && // signature algorithm
		tbs.SkipASN1(cbasn1.SEQUENCE) && // issuer
		tbs.SkipASN1(cbasn1.SEQUENCE) && // validity
		tbs.ReadASN1Element(&subject, cbasn1.SEQUENCE)
	return subject, ok
}
