package policies

import (
	"context"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"
)

func BenchmarkZZConvert(b *testing.B) {
	doc := bigDoc(20000)
	for b.Loop() {
		inputValue(doc)
	}
}

func BenchmarkZZEval(b *testing.B) {
	e, _ := Load(context.Background(), Options{})
	in, _ := inputValue(bigDoc(20000))
	for b.Loop() {
		e.query.Eval(context.Background(), rego.EvalParsedInput(in))
	}
}
