// Package yamlerr corrects the line numbers of YAML syntax errors: yaml.v3 reports its
// parser's errors (not its scanner's) with a zero-based line, one line before the line the
// user must edit.
package yamlerr

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
)

// parserProblems are the problems yaml.v3's parser (not its scanner) reports; their line is
// zero-based.
var parserProblems = []string{
	"did not find expected ',' or ']'", "did not find expected ',' or '}'", "did not find expected '-' indicator",
	"did not find expected <document start>", "did not find expected <stream-start>", "did not find expected key",
	"did not find expected node content", "found duplicate %TAG directive", "found duplicate %YAML directive",
	"found incompatible YAML document", "found undefined tag handle",
}

var lineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Fix returns err with the line a parser error names made one-based; any other error is
// returned as is.
func Fix(err error) error {
	if err == nil {
		return nil
	}
	m := lineRE.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	for _, p := range parserProblems {
		if strings.HasPrefix(m[2], p) {
			n, _ := strconv.Atoi(m[1])
			return errors.New("yaml: line " + strconv.Itoa(n+1) + ": " + m[2])
		}
	}
	return err
}

// Line is the one-based line a YAML syntax error names (corrected as Fix does), or 0.
func Line(err error) int {
	m := lineRE.FindStringSubmatch(Fix(err).Error())
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}
