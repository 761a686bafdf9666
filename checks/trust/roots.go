package trust

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"sync"

	"golang.org/x/crypto/x509roots/fallback/bundle"

	"github.com/cmpreflight/cmpreflight/facts"
)

// Store is a machine's trusted root store.
type Store interface {
	Roots() ([]*x509.Certificate, error)
}

// NamedStore is a Store that can say what it read (a path list, a Windows store name).
type NamedStore interface {
	Store
	Name() string
}

// RequiredRoot is one root the role needs (or once needed).
type RequiredRoot struct {
	Name     string // subject common name
	SHA256   string // fingerprint of the reference certificate, lower-case hex
	Required bool   // false: history only, its absence is no finding
	KB       string // the facts sheet key that names it
	Cert     *x509.Certificate
}

// The roots of docs/design.md, "Roots". DigiCert Global Root G2 and the two Microsoft 2017
// roots are read from golang.org/x/crypto/x509roots/fallback/bundle (the Mozilla set); DigiCert
// Global Root CA and Baltimore CyberTrust Root are no longer in that bundle, so their public
// certificates are embedded below. Their fingerprints match the Mozilla/Debian ca-certificates
// files DigiCert_Global_Root_CA.crt and Baltimore_CyberTrust_Root.crt (ca-certificates
// 20230311) and the values DigiCert publishes on its root certificates page.
var requiredRootSpecs = []struct {
	name, sha256, kb string
	required         bool
	pem              string
}{
	{"DigiCert Global Root G2", "cb3ccbb76031e5e0138f8dd39a23f9de47ffc35e43c1144cea27d46a5ab1cb5f", "G2", true, ""},
	{"DigiCert Global Root CA", "4348a0e9444c78cb265e058d5e8944b4d84f9662bd26db257f8934a443c70161", "G2", true, digiCertGlobalRootCA},
	{"Microsoft RSA Root Certificate Authority 2017", "c741f70f4b2a8d88bf2e71c14122ef53ef10eba0cfa5e64cfa20f418853073e0", "G2", true, ""},
	{"Microsoft ECC Root Certificate Authority 2017", "358df39d764af9e1b766e9c972df352ee15cfac227af6ad1d70e8e4a6edcba02", "G2", true, ""},
	{"Baltimore CyberTrust Root", "16af57a9f676b0ab126095aa5ebadef22ab31119d644ac95cd4b93dbf3f26aeb", "KB3187516", false, baltimoreCyberTrustRoot},
}

var (
	rootsOnce sync.Once
	roots     []RequiredRoot
)

// RequiredRoots returns the roots to look for, each with its reference certificate (Cert is
// nil only if neither the bundle nor the embedded PEM yields a certificate with the expected
// fingerprint; the fingerprint alone is then compared).
func RequiredRoots() []RequiredRoot {
	rootsOnce.Do(func() {
		fromBundle := map[string]*x509.Certificate{}
		for r := range bundle.Roots() {
			sum := sha256.Sum256(r.Certificate)
			fp := hex.EncodeToString(sum[:])
			for _, s := range requiredRootSpecs {
				if s.sha256 == fp {
					if c, err := x509.ParseCertificate(r.Certificate); err == nil {
						fromBundle[s.sha256] = c
					}
				}
			}
		}
		for _, s := range requiredRootSpecs {
			rr := RequiredRoot{Name: s.name, SHA256: s.sha256, Required: s.required, KB: s.kb}
			rr.Cert = fromBundle[s.sha256]
			if rr.Cert == nil && s.pem != "" {
				if b, _ := pem.Decode([]byte(s.pem)); b != nil {
					if c, err := x509.ParseCertificate(b.Bytes); err == nil && fingerprint(c) == s.sha256 {
						rr.Cert = c
					}
				}
			}
			roots = append(roots, rr)
		}
	})
	return roots
}

// CheckRoots looks for every required root in the store. A root is present when the store
// holds a certificate with its fingerprint, or with the same subject and public key (a
// re-issued root).
func CheckRoots(s Store) []facts.RootPresence {
	return checkRoots(s, RequiredRoots())
}

func checkRoots(s Store, want []RequiredRoot) []facts.RootPresence {
	have, err := s.Roots()
	storeName := "machine"
	if n, ok := s.(NamedStore); ok {
		storeName = n.Name()
	}
	out := make([]facts.RootPresence, 0, len(want))
	for _, r := range want {
		p := facts.RootPresence{Name: r.Name, SHA256: r.SHA256, Required: r.Required, KB: r.KB, Store: storeName}
		if err != nil {
			p.Error = err.Error()
		}
		for _, c := range have {
			if sameRoot(r, c) {
				p.Present = true
				if fp := fingerprint(c); fp != r.SHA256 {
					p.StoreSHA256 = fp
				}
				break
			}
		}
		out = append(out, p)
	}
	return out
}

func sameRoot(r RequiredRoot, c *x509.Certificate) bool {
	if fingerprint(c) == r.SHA256 {
		return true
	}
	if r.Cert == nil {
		return false
	}
	if !bytes.Equal(r.Cert.RawSubjectPublicKeyInfo, c.RawSubjectPublicKeyInfo) {
		return false
	}
	return bytes.Equal(r.Cert.RawSubject, c.RawSubject) || r.Cert.Subject.String() == c.Subject.String()
}

func fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

// ParsePEMCerts returns every certificate of a PEM bundle; blocks that are not certificates
// or do not parse are skipped (a system bundle may carry odd entries).
func ParsePEMCerts(data []byte) []*x509.Certificate {
	var out []*x509.Certificate
	for b, rest := pem.Decode(data); b != nil; b, rest = pem.Decode(rest) {
		if b.Type != "CERTIFICATE" {
			continue
		}
		if c, err := x509.ParseCertificate(b.Bytes); err == nil {
			out = append(out, c)
		}
	}
	return out
}

// StaticStore is a fixed set of certificates (tests, or a store read elsewhere).
type StaticStore struct {
	Label string
	Certs []*x509.Certificate
	Err   error
}

// Roots returns the certificates.
func (s StaticStore) Roots() ([]*x509.Certificate, error) { return s.Certs, s.Err }

// Name returns the label.
func (s StaticStore) Name() string { return s.Label }

// digiCertGlobalRootCA is the public certificate of DigiCert Global Root CA (2006-2031).
const digiCertGlobalRootCA = `
-----BEGIN CERTIFICATE-----
MIIDrzCCApegAwIBAgIQCDvgVpBCRrGhdWrJWZHHSjANBgkqhkiG9w0BAQUFADBh
MQswCQYDVQQGEwJVUzEVMBMGA1UEChMMRGlnaUNlcnQgSW5jMRkwFwYDVQQLExB3
d3cuZGlnaWNlcnQuY29tMSAwHgYDVQQDExdEaWdpQ2VydCBHbG9iYWwgUm9vdCBD
QTAeFw0wNjExMTAwMDAwMDBaFw0zMTExMTAwMDAwMDBaMGExCzAJBgNVBAYTAlVT
MRUwEwYDVQQKEwxEaWdpQ2VydCBJbmMxGTAXBgNVBAsTEHd3dy5kaWdpY2VydC5j
b20xIDAeBgNVBAMTF0RpZ2lDZXJ0IEdsb2JhbCBSb290IENBMIIBIjANBgkqhkiG
9w0BAQEFAAOCAQ8AMIIBCgKCAQEA4jvhEXLeqKTTo1eqUKKPC3eQyaKl7hLOllsB
CSDMAZOnTjC3U/dDxGkAV53ijSLdhwZAAIEJzs4bg7/fzTtxRuLWZscFs3YnFo97
nh6Vfe63SKMI2tavegw5BmV/Sl0fvBf4q77uKNd0f3p4mVmFaG5cIzJLv07A6Fpt
43C/dxC//AH2hdmoRBBYMql1GNXRor5H4idq9Joz+EkIYIvUX7Q6hL+hqkpMfT7P
T19sdl6gSzeRntwi5m3OFBqOasv+zbMUZBfHWymeMr/y7vrTC0LUq7dBMtoM1O/4
gdW7jVg/tRvoSSiicNoxBN33shbyTApOB6jtSj1etX+jkMOvJwIDAQABo2MwYTAO
BgNVHQ8BAf8EBAMCAYYwDwYDVR0TAQH/BAUwAwEB/zAdBgNVHQ4EFgQUA95QNVbR
TLtm8KPiGxvDl7I90VUwHwYDVR0jBBgwFoAUA95QNVbRTLtm8KPiGxvDl7I90VUw
DQYJKoZIhvcNAQEFBQADggEBAMucN6pIExIK+t1EnE9SsPTfrgT1eXkIoyQY/Esr
hMAtudXH/vTBH1jLuG2cenTnmCmrEbXjcKChzUyImZOMkXDiqw8cvpOp/2PV5Adg
06O/nVsJ8dWO41P0jmP6P6fbtGbfYmbW0W5BjfIttep3Sp+dWOIrWcBAI+0tKIJF
PnlUkiaY4IBIqDfv8NZ5YBberOgOzW6sRBc4L0na4UU+Krk2U886UAb3LujEV0ls
YSEY1QSteDwsOoBrp+uvFRTp2InBuThs4pFsiv9kuXclVzDAGySj4dzp30d8tbQk
CAUw7C29C79Fv1C5qfPrmAESrciIxpg0X40KPMbp1ZWVbd4=
-----END CERTIFICATE-----
`

// baltimoreCyberTrustRoot is the public certificate of Baltimore CyberTrust Root (2000-2025).
const baltimoreCyberTrustRoot = `
-----BEGIN CERTIFICATE-----
MIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ
RTESMBAGA1UEChMJQmFsdGltb3JlMRMwEQYDVQQLEwpDeWJlclRydXN0MSIwIAYD
VQQDExlCYWx0aW1vcmUgQ3liZXJUcnVzdCBSb290MB4XDTAwMDUxMjE4NDYwMFoX
DTI1MDUxMjIzNTkwMFowWjELMAkGA1UEBhMCSUUxEjAQBgNVBAoTCUJhbHRpbW9y
ZTETMBEGA1UECxMKQ3liZXJUcnVzdDEiMCAGA1UEAxMZQmFsdGltb3JlIEN5YmVy
VHJ1c3QgUm9vdDCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBAKMEuyKr
mD1X6CZymrV51Cni4eiVgLGw41uOKymaZN+hXe2wCQVt2yguzmKiYv60iNoS6zjr
IZ3AQSsBUnuId9Mcj8e6uYi1agnnc+gRQKfRzMpijS3ljwumUNKoUMMo6vWrJYeK
mpYcqWe4PwzV9/lSEy/CG9VwcPCPwBLKBsua4dnKM3p31vjsufFoREJIE9LAwqSu
XmD+tqYF/LTdB1kC1FkYmGP1pWPgkAx9XbIGevOF6uvUA65ehD5f/xXtabz5OTZy
dc93Uk3zyZAsuT3lySNTPx8kmCFcB5kpvcY67Oduhjprl3RjM71oGDHweI12v/ye
jl0qhqdNkNwnGjkCAwEAAaNFMEMwHQYDVR0OBBYEFOWdWTCCR1jMrPoIVDaGezq1
BE3wMBIGA1UdEwEB/wQIMAYBAf8CAQMwDgYDVR0PAQH/BAQDAgEGMA0GCSqGSIb3
DQEBBQUAA4IBAQCFDF2O5G9RaEIFoN27TyclhAO992T9Ldcw46QQF+vaKSm2eT92
9hkTI7gQCvlYpNRhcL0EYWoSihfVCr3FvDB81ukMJY2GQE/szKN+OMY3EU/t3Wgx
jkzSswF07r51XgdIGn9w/xZchMB5hbgF/X++ZRGjD8ACtPhSNzkE1akxehi/oCr0
Epn3o0WC4zxe9Z2etciefC7IpJ5OCBRLbf1wbWsaY71k5h+3zvDyny67G7fyUIhz
ksLi4xaNmjICq44Y3ekQEe5+NauQrz4wlHrQMz2nZQ/1/I6eYs9HRCwBXbsdtTLS
R9I4LtD+gdwyah617jzV/OeBHRnDJELqYzmp
-----END CERTIFICATE-----
`
