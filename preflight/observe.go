package preflight

import (
	"fmt"
	"io"

	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/cmlog"
	"github.com/cmpreflight/cmpreflight/internal/progress"
)

func newProgress(w io.Writer, total int, quiet bool) *progress.Reporter {
	mode := progress.Auto
	if quiet {
		mode = progress.Quiet
	}
	return progress.New(w, total, mode)
}

// runLog writes the tool's own log in the CMTrace format ConfigMgr admins read: one line per
// check outcome and per policy decision. A nil logger (no --log-file) writes nothing.
type runLog struct {
	l    *cmlog.Logger
	path string
}

func openLog(path string) (*runLog, error) {
	if path == "" {
		return &runLog{}, nil
	}
	l, err := cmlog.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--log-file: %v", err)
	}
	return &runLog{l: l, path: path}, nil
}

// Close closes the log and returns the first write error (a full disk), naming the file.
func (r *runLog) Close() error {
	if r.l == nil {
		return nil
	}
	if err := r.l.Close(); err != nil {
		return fmt.Errorf("--log-file %s: %v", r.path, err)
	}
	return nil
}

func (r *runLog) check(c facts.Check) {
	if r.l == nil {
		return
	}
	msg := fmt.Sprintf("%s %s via %s in %d ms", c.ID, c.Status, c.Route, c.Timings.Total)
	if c.Status != facts.StatusPass {
		msg = fmt.Sprintf("%s %s at %s (%s) via %s: %s", c.ID, c.Status, c.Stage, c.Reason, c.Route, c.Message)
	}
	switch {
	case c.Status == facts.StatusPass:
		r.l.Info("check", msg)
	case c.Required:
		r.l.Error("check", msg)
	default:
		r.l.Warn("check", msg)
	}
}

func (r *runLog) verdict(v *facts.Verdict) {
	if r.l == nil {
		return
	}
	for _, d := range v.Deny {
		r.l.Error("policy", "deny "+d.Rule+": "+d.Message)
	}
	for _, w := range v.Warn {
		r.l.Warn("policy", "warn "+w.Rule+": "+w.Message)
	}
	for _, w := range v.Waived {
		r.l.Info("policy", "waived "+w.Rule+": "+w.Message)
	}
	r.l.Info("policy", fmt.Sprintf("verdict: compliant=%v, %d deny, %d warn, %d waived", v.Compliant, len(v.Deny), len(v.Warn), len(v.Waived)))
}
