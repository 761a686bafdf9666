// Package deps pins the modules the product uses so that every package can be developed
// against the same go.mod; nothing imports it.
package deps

import (
	_ "github.com/Azure/go-ntlmssp"
	_ "github.com/alexbrainman/sspi"
	_ "github.com/chromedp/chromedp"
	_ "github.com/hirochachacha/go-smb2"
	_ "github.com/miekg/dns"
	_ "github.com/open-policy-agent/opa/v1/rego"
	_ "github.com/open-policy-agent/opa/v1/tester"
	_ "github.com/santhosh-tekuri/jsonschema/v6"
	_ "github.com/spf13/pflag"
	_ "go.uber.org/goleak"
	_ "golang.org/x/crypto/x509roots/fallback/bundle"
	_ "golang.org/x/net/http/httpproxy"
	_ "golang.org/x/term"
	_ "gopkg.in/yaml.v3"
)
