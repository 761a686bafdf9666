package policies

import (
	"encoding/json"
	"regexp"
	"strconv"

	"github.com/open-policy-agent/opa/v1/util"
	"gopkg.in/yaml.v3"

	"github.com/cmpreflight/cmpreflight/internal/inputfile"
	"github.com/cmpreflight/cmpreflight/internal/yamlerr"
)

var yamlLine = regexp.MustCompile(`line (\d+)`)

// yamlProblem locates a yaml.v3 error ("yaml: line 3: ...") in file.
func yamlProblem(kind, file string, err error) *Error {
	err = yamlerr.Fix(err)
	line := 0
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
	}
	return newError(kind, file, line, "%v", err)
}

// loadData reads the --data files (JSON or YAML; JSON is read as YAML, which it is) and
// returns the store root {"extra": ...}. Several files must each hold an object; their keys
// are merged and a key defined twice is an error.
func loadData(files []string) (map[string]any, error) {
	root := map[string]any{}
	if len(files) == 0 {
		return root, nil
	}
	var merged any
	owner := map[string]string{}
	for _, f := range files {
		raw, err := inputfile.Read(f)
		if err != nil {
			return nil, newError("data", f, 0, "%v", unwrapPathError(err))
		}
		var v any
		if err := yaml.Unmarshal(raw, &v); err != nil {
			return nil, yamlProblem("data", f, err)
		}
		// Normalise through JSON so the store holds the JSON types OPA expects.
		j, err := json.Marshal(v)
		if err != nil {
			return nil, newError("data", f, 0, "cannot be represented as JSON: %v", err)
		}
		var norm any
		if err := util.UnmarshalJSON(j, &norm); err != nil {
			return nil, newError("data", f, 0, "%v", err)
		}
		if len(files) == 1 {
			merged = norm
			break
		}
		obj, ok := norm.(map[string]any)
		if !ok {
			return nil, newError("data", f, 1, "with several --data files each must hold an object (its keys are merged under data.extra)")
		}
		if merged == nil {
			merged = map[string]any{}
		}
		m := merged.(map[string]any)
		for k, val := range obj {
			if prev, dup := owner[k]; dup {
				return nil, newError("data", f, 0, "key %q is also defined in %s", k, prev)
			}
			owner[k] = f
			m[k] = val
		}
	}
	root["extra"] = merged
	return root, nil
}
