package policies

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
)

// RunTests runs the Rego unit tests (rules named test_*, usually in *_test.rego) of the
// built-in policies and of the given files or directories with OPA's tester, and writes one
// PASS/FAIL/ERROR/SKIP line per test and the totals to w. A module that does not parse or
// compile is an *Error naming file:line:col; failing tests are counted, not errors.
func RunTests(ctx context.Context, paths []string, w io.Writer) (passed, failed int, err error) {
	srcs, err := builtinSources(true)
	if err != nil {
		return 0, 0, err
	}
	user, err := userSources(paths, true)
	if err != nil {
		return 0, 0, err
	}
	mods, err := parseAll(srcs, user)
	if err != nil {
		return 0, 0, err
	}
	ch, err := tester.NewRunner().
		SetModules(mods).
		SetStore(inmem.New()).
		SetTimeout(30*time.Second).
		RunTests(ctx, nil)
	if err != nil {
		return 0, 0, fromOPA(err)
	}
	var results []*tester.Result
	for r := range ch {
		results = append(results, r)
	}
	if ctx.Err() != nil {
		return 0, 0, ctx.Err()
	}
	sort.Slice(results, func(i, j int) bool {
		a, b := results[i], results[j]
		if a.Package != b.Package {
			return a.Package < b.Package
		}
		return a.Name < b.Name
	})
	skipped := 0
	for _, r := range results {
		where := ""
		if r.Location != nil {
			where = fmt.Sprintf("%s:%d", r.Location.File, r.Location.Row)
		}
		name := strings.TrimPrefix(r.Package, "data.") + "." + r.Name
		switch {
		case r.Error != nil:
			failed++
			fmt.Fprintf(w, "ERROR %s (%s): %v\n", name, where, r.Error)
		case r.Fail:
			failed++
			fmt.Fprintf(w, "FAIL  %s (%s)\n", name, where)
		case r.Skip:
			skipped++
			fmt.Fprintf(w, "SKIP  %s (%s)\n", name, where)
		default:
			passed++
			fmt.Fprintf(w, "PASS  %s (%s)\n", name, r.Duration.Round(time.Microsecond))
		}
	}
	fmt.Fprintf(w, "%s\n", "--------------------------------------------------------------------------------")
	fmt.Fprintf(w, "PASS: %d/%d", passed, len(results))
	if failed > 0 {
		fmt.Fprintf(w, "  FAIL: %d/%d", failed, len(results))
	}
	if skipped > 0 {
		fmt.Fprintf(w, "  SKIP: %d", skipped)
	}
	fmt.Fprintln(w)
	return passed, failed, nil
}
