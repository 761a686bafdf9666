package facts

import "github.com/cmpreflight/cmpreflight/checks/origin"

// OriginEvidence is the judgement of who wrote an answer (origin.Judge), with the proxy's
// canary pages it was compared with.
type OriginEvidence struct {
	origin.Verdict
	Canaries *origin.Learnt `json:"canaries,omitempty"`
}
