package catalog

import (
	"os"
	"slices"
	"strings"
	"testing"
)

func TestProofValidation(t *testing.T) {
	const head = "entries:\n"
	ok := []string{
		`  - {name: "http://crl.test/", proof: {crl: "http://crl.test/root.crl", root: Test Root}}`,
		`  - {name: "http://ocsp.test/", proof: {ocsp: "http://ocsp.test/", root: Test Root, serial: "0a:ff"}}`,
		`  - {name: crl.test, ports: [80], proof: {crl: "http://crl.test/x.crl", ca: microsoft-root-2011}}`,
		`  - {name: "https://crl.test/", ports: [443, 80], proof: {crl: "http://crl.test/x.crl", root: R}}`,
		`  - {name: "http://ctl.test/", proof: {cert: "http://ctl.test/en/AB.crt", root: R}}`,
	}
	for _, in := range ok {
		c, err := ParseCatalog("user.yaml", []byte(head+in+"\n"), true)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if c.Entries[0].Proof == nil {
			t.Errorf("%s: proof not decoded", in)
		}
	}
	bad := map[string]string{
		`  - {name: "https://crl.test/", proof: {crl: "http://crl.test/x.crl", root: R}}`:                           "only an entry checked on port 80",
		`  - {name: "*.crl.test", ports: [80], probes: [a.crl.test], proof: {crl: "http://a.crl.test/x", root: R}}`: "wildcard",
		`  - {name: "http://crl.test/", proof: {root: R}}`:                                                          "exactly one of crl, ocsp and cert",
		`  - {name: "http://crl.test/", proof: {crl: "http://crl.test/x", ocsp: "http://crl.test/", root: R}}`:      "exactly one of crl, ocsp and cert",
		`  - {name: "http://crl.test/", proof: {crl: "http://crl.test/x"}}`:                                         "exactly one of root",
		`  - {name: "http://crl.test/", proof: {crl: "http://crl.test/x", root: R, ca: microsoft-root-2011}}`:       "exactly one of root",
		`  - {name: "http://crl.test/", proof: {crl: "https://crl.test/x", root: R}}`:                               "want an http:// URL",
		`  - {name: "http://crl.test/", proof: {crl: "http://other.test/x", root: R}}`:                              "is not the entry's host",
		`  - {name: "http://crl.test/", proof: {crl: "http://crl.test:8080/x", root: R}}`:                           "port 80",
		`  - {name: "http://crl.test/pkiops/", proof: {crl: "http://crl.test/pki/x.crl", root: R}}`:                 "not under the entry's path",
		`  - {name: "http://crl.test/", proof: {ocsp: "http://crl.test/", root: R}}`:                                "serial",
		`  - {name: "http://crl.test/", proof: {ocsp: "http://crl.test/", root: R, serial: xyz}}`:                   "serial",
		`  - {name: "http://crl.test/", proof: {crl: "http://crl.test/x", root: R, serial: "01"}}`:                  "serial belongs to an ocsp proof",
		`  - {name: "http://crl.test/", proof: {crl: "http://crl.test/x", ca: nobody}}`:                             `no embedded certificate "nobody"`,
		`  - {name: "http://crl.test/", proof: {crl: "http://crl.test/x", rooot: R}}`:                               `unknown key "rooot"`,
	}
	for in, want := range bad {
		_, err := ParseCatalog("user.yaml", []byte(head+in+"\n"), true)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "user.yaml:2") {
			t.Errorf("%s\n  error = %v\n  want user.yaml:2 and %q", in, err, want)
		}
	}
}

func TestEmbeddedCAsLoad(t *testing.T) {
	cas, err := ProofCAs()
	if err != nil {
		t.Fatal(err)
	}
	if len(cas) == 0 {
		t.Fatal("no embedded CA")
	}
	for _, c := range cas {
		if c.Cert == nil || !c.Cert.IsCA || c.Source == "" || !strings.HasPrefix(c.Source, "http") {
			t.Errorf("%s: %+v", c.Name, c)
		}
	}
}

// tableRows reads the rows of a markdown table between two HTML comment markers.
func tableRows(t *testing.T, doc, marker string) [][]string {
	t.Helper()
	_, rest, ok := strings.Cut(doc, "<!-- "+marker+":begin -->")
	body, _, ok2 := strings.Cut(rest, "<!-- "+marker+":end -->")
	if !ok || !ok2 {
		t.Fatalf("docs/design.md has no %s table", marker)
	}
	var rows [][]string
	for i, line := range strings.Split(strings.TrimSpace(body), "\n") {
		if i < 2 { // header and rule
			continue
		}
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		for j := range cells {
			cells[j] = strings.Trim(strings.TrimSpace(cells[j]), "`")
		}
		rows = append(rows, cells)
	}
	return rows
}

// TestPort80ProofTable holds every embedded profile to the table of port-80 proofs in
// docs/design.md: each port-80 entry has a row naming its profile, the row says exactly what
// the catalog's proof says, an entry of the certificate revocation group has a signed proof
// or is listed as having none, and the table has no row the catalog lacks.
func TestPort80ProofTable(t *testing.T) {
	raw, err := os.ReadFile("../docs/design.md")
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		profiles              []string
		proof, object, signer string
		seen                  map[string]bool
	}
	rows := map[string]*row{}
	for _, c := range tableRows(t, string(raw), "port80-proofs") {
		if len(c) != 5 {
			t.Fatalf("row %v: want 5 cells", c)
		}
		if _, dup := rows[c[1]]; dup {
			t.Errorf("row %s twice", c[1])
		}
		r := &row{proof: c[2], object: c[3], signer: c[4], seen: map[string]bool{}}
		for _, p := range strings.Split(c[0], ",") {
			r.profiles = append(r.profiles, strings.TrimSpace(p))
		}
		rows[c[1]] = r
	}
	for _, name := range Profiles() {
		c, err := LoadProfile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range c.Entries {
			if !slices.Contains(e.Ports, 80) {
				continue
			}
			where := name + ":" + e.Name
			r := rows[e.Name]
			if r == nil || !slices.Contains(r.profiles, name) {
				t.Errorf("%s (line %d) is checked on port 80 and has no row in the design table of port-80 proofs", where, e.Line)
				continue
			}
			r.seen[name] = true
			switch {
			case e.Proof != nil:
				want := "signed-" + e.Proof.Kind()
				signer := "root " + e.Proof.Root
				if e.Proof.CA != "" {
					signer = "ca " + e.Proof.CA
				}
				if r.proof != want || r.object != e.Proof.Target() || r.signer != signer {
					t.Errorf("%s: table says %s %s %s; catalog says %s %s %s", where, r.proof, r.object, r.signer, want, e.Proof.Target(), signer)
				}
			case e.Kind == KindWildcard && len(e.Probes) == 0:
				if r.proof != "not probed" {
					t.Errorf("%s: a wildcard without probe hosts is %q in the table, want \"not probed\"", where, r.proof)
				}
			case e.Group == "certificate revocation":
				if r.proof != "none" {
					t.Errorf("%s: a revocation entry without a catalog proof must be listed as \"none\", not %q", where, r.proof)
				}
			default:
				if r.proof != "https-match, https-upgrade" && r.proof != "none" {
					t.Errorf("%s: table says %q without a catalog proof", where, r.proof)
				}
			}
		}
	}
	for name, r := range rows {
		for _, p := range r.profiles {
			if !r.seen[p] {
				t.Errorf("table row %s names profile %s, which has no such port-80 entry", name, p)
			}
		}
	}
	cas, err := ProofCAs()
	if err != nil {
		t.Fatal(err)
	}
	caRows := tableRows(t, string(raw), "proof-cas")
	if len(caRows) != len(cas) {
		t.Errorf("design table lists %d embedded CAs, certs.yaml %d", len(caRows), len(cas))
	}
	for _, c := range caRows {
		ca, err := ProofCA(c[0])
		if err != nil {
			t.Errorf("design table: %v", err)
			continue
		}
		if len(c) != 4 || c[2] != ca.Source || c[3] != ca.SHA256 {
			t.Errorf("design table row %v; certs.yaml says %s %s", c, ca.Source, ca.SHA256)
		}
	}
}
