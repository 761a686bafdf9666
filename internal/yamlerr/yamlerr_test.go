package yamlerr

import (
	"testing"

	"gopkg.in/yaml.v3"
)

// Each document's error must name the line the user has to edit.
func TestLineIsTheLineToEdit(t *testing.T) {
	for doc, want := range map[string]int{
		"timeout: 5s\nproxy: [unclosed\n":  2, // parser error: yaml.v3 says line 1
		"a: 1\nb: 2\nproxy: {unclosed\n":   3, // parser error: yaml.v3 says line 2
		"timeout: 5s\nproxy: \"unclosed\n": 2, // scanner error: already right
		"timeout: 5s\n  bad: indent\n":     2, // scanner error
		"a: 1\n\n\nb: [1, 2\nc: 3\n":       4,
	} {
		var n yaml.Node
		err := yaml.Unmarshal([]byte(doc), &n)
		if err == nil {
			t.Fatalf("%q parsed", doc)
		}
		if got := Line(err); got != want {
			t.Errorf("%q: line %d (%v), want %d", doc, got, Fix(err), want)
		}
	}
}
