package preflight

import (
	"context"
	"fmt"
	"time"

	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/policies"
)

// JudgeOptions are the policy inputs of `report evaluate`: the same flags as run's, so the
// same policies judge saved facts exactly as they would have judged the run that gathered
// them (the built-in policies always take part; --disable-rule turns single rules off).
type JudgeOptions struct {
	PolicyPaths  []string
	DataFiles    []string
	Waivers      []string
	DisableRules []string
	FailOn       string
	// Version is the tool's version; Now the clock for waivers and the evaluation's time.
	Version string
	Now     time.Time
}

// Validate checks the flags that are not files (the files are read by LoadJudge).
func (o *JudgeOptions) Validate() error {
	if o.FailOn != "deny" && o.FailOn != "warn" {
		return fmt.Errorf("--fail-on %q: want deny or warn", o.FailOn)
	}
	if len(o.Waivers) > 1 {
		return fmt.Errorf("--waivers: give one file")
	}
	return nil
}

// LoadJudge compiles the policies, data and waivers once for every document to judge. Errors
// name the file and line (exit 2).
func LoadJudge(ctx context.Context, o *JudgeOptions) (*policies.Engine, error) {
	return policies.Load(ctx, policies.Options{
		Paths: o.PolicyPaths, DataFiles: o.DataFiles, Disabled: o.DisableRules, WaiversFile: first(o.Waivers), Now: o.Now,
	})
}

// Judge evaluates a saved facts document again: no probe runs, the verdict is replaced and
// the evaluation record says who judged it and when (source is the file it came from). The
// policy input is the same as the run's (the previous verdict and its record are left out),
// under the same guards: a signal or the memory limit stops the evaluation and marks the
// document interrupted with a verdict that says so.
func Judge(ctx context.Context, engine *policies.Engine, o *JudgeOptions, doc *facts.Document, source string) error {
	if err := evaluate(ctx, engine, doc); err != nil {
		return fmt.Errorf("%s: %w", source, err)
	}
	doc.Evaluation = evaluation("report evaluate", o.Version, o.Now, engine, o.PolicyPaths, o.DataFiles, o.Waivers, o.DisableRules, o.FailOn)
	doc.Evaluation.Source = source
	return nil
}

// evaluation is the record of one judgement.
func evaluation(command, version string, at time.Time, engine *policies.Engine, policyPaths, data, waivers, disabled []string, failOn string) *facts.Evaluation {
	return &facts.Evaluation{
		EvaluatedAt: at.UTC(), Command: command, Tool: facts.Tool{Name: "cmpreflight", Version: version},
		Policies: policyPaths, PolicyDigest: engine.Digest(), DataFiles: data, Waivers: first(waivers),
		DisabledRules: disabled, FailOn: failOn,
	}
}
