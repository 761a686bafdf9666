package policies

import (
	"errors"
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// ErrInvalid is matched (errors.Is) by every *Error: a policy, data or waivers input the run
// cannot use. The CLI maps it to exit code 2.
var ErrInvalid = errors.New("invalid policy input")

// Problem is one located error. Kind is "policy", "data" or "waivers".
type Problem struct {
	Kind    string
	File    string
	Line    int
	Col     int
	Code    string // OPA error code (rego_parse_error, eval_conflict_error, ...), or ""
	Message string
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.Kind)
	if p.File != "" || p.Line > 0 {
		b.WriteByte(' ')
		b.WriteString(p.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
			if p.Col > 0 {
				fmt.Fprintf(&b, ":%d", p.Col)
			}
		}
	}
	b.WriteString(": ")
	if p.Code != "" {
		b.WriteString(p.Code)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Error reports why policies could not be loaded or evaluated, each problem with its
// file:line:col, e.g. "policy dir/x.rego:3:5: rego_parse_error: unexpected ...".
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Is makes errors.Is(err, ErrInvalid) true for every *Error.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

func newError(kind, file string, line int, format string, args ...any) *Error {
	return &Error{Problems: []Problem{{Kind: kind, File: file, Line: line, Message: fmt.Sprintf(format, args...)}}}
}

// fromOPA converts OPA parse, compile and evaluation errors into an *Error with locations.
func fromOPA(err error) error {
	if err == nil {
		return nil
	}
	var out Error
	add := func(code, msg string, loc *ast.Location) {
		p := Problem{Kind: "policy", Code: code, Message: msg}
		if loc != nil {
			p.File, p.Line, p.Col = loc.File, loc.Row, loc.Col
		}
		out.Problems = append(out.Problems, p)
	}
	var astErrs ast.Errors
	var astErr *ast.Error
	var tdErr *topdown.Error
	switch {
	case errors.As(err, &astErrs):
		for _, e := range astErrs {
			add(e.Code, e.Message, e.Location)
		}
	case errors.As(err, &astErr):
		add(astErr.Code, astErr.Message, astErr.Location)
	case errors.As(err, &tdErr):
		add(tdErr.Code, tdErr.Message, tdErr.Location)
	default:
		// rego wraps several errors in a slice type of its own; fall back to its text.
		var multi rego.Errors
		if errors.As(err, &multi) {
			for _, e := range multi {
				var one *Error
				if errors.As(fromOPA(e), &one) {
					out.Problems = append(out.Problems, one.Problems...)
				}
			}
		}
		if len(out.Problems) == 0 {
			add("", err.Error(), nil)
		}
	}
	return &out
}
