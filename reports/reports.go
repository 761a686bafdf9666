// Package reports renders a facts document (with its verdict) as JSON, HTML, JUnit, SARIF,
// Markdown or a terminal table; every format is a pure function of the document.
package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/inputfile"
	"github.com/cmpreflight/cmpreflight/internal/outfile"
)

// renderer writes one format.
type renderer func(w io.Writer, doc *facts.Document) error

// formats maps a format name to its renderer; the order of Formats() is the documented one.
var formats = map[string]renderer{
	"json":     facts.WriteJSON,
	"html":     renderHTML,
	"junit":    renderJUnit,
	"sarif":    renderSARIF,
	"markdown": renderMarkdown,
	"text":     renderText,
	"prom":     renderProm,
}

// Formats lists the report formats in the order the documentation gives them.
func Formats() []string {
	return []string{"json", "html", "junit", "sarif", "markdown", "text", "prom"}
}

func unknownFormat(format string) error {
	return fmt.Errorf("unknown report format %q (formats: %s)", format, strings.Join(Formats(), ", "))
}

// Render writes doc in format to w.
func Render(w io.Writer, format string, doc *facts.Document) error {
	r, ok := formats[format]
	if !ok {
		return unknownFormat(format)
	}
	if doc == nil {
		return errors.New("render: no document")
	}
	return r(w, doc)
}

// WriteFile renders doc into path (see writeAtomic).
func WriteFile(path, format string, doc *facts.Document) error {
	if _, ok := formats[format]; !ok {
		return unknownFormat(format)
	}
	return writeAtomic(path, format, func(w io.Writer) error { return Render(w, format, doc) })
}

// writeAtomic writes a report so that a reader never sees half of it and nothing but a
// regular file is replaced (outfile.Write): a plain file through a temporary file and a
// rename, a device or FIFO in place, "-" to standard output.
func writeAtomic(path, format string, render func(io.Writer) error) error {
	if err := outfile.Write(path, render); err != nil {
		return fmt.Errorf("write %s report %s: %w", format, path, err)
	}
	return nil
}

// ParseOutputSpec splits the value of --output FORMAT=PATH.
func ParseOutputSpec(s string) (format, path string, err error) {
	f, p, ok := strings.Cut(s, "=")
	f = strings.ToLower(strings.TrimSpace(f))
	if !ok || f == "" || p == "" {
		return "", "", fmt.Errorf("--output %q: want FORMAT=PATH with FORMAT one of %s", s, strings.Join(Formats(), ", "))
	}
	if !slices.Contains(Formats(), f) {
		return "", "", fmt.Errorf("--output %q: unknown format %q (formats: %s)", s, f, strings.Join(Formats(), ", "))
	}
	return f, p, nil
}

// ReadJSON loads a saved JSON report for `report convert`.
func ReadJSON(path string) (*facts.Document, error) {
	data, err := inputfile.ReadMax(path, inputfile.MaxReportBytes)
	if err != nil {
		return nil, fmt.Errorf("read report: %w", err)
	}
	var probe struct {
		SchemaVersion *int `json:"schemaVersion"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("read report %s: not JSON: %w", path, err)
	}
	switch {
	case probe.SchemaVersion == nil:
		return nil, fmt.Errorf("read report %s: no schemaVersion: not a cmpreflight JSON report", path)
	case *probe.SchemaVersion != facts.SchemaVersion:
		return nil, fmt.Errorf("read report %s: schemaVersion %d, this build reads %d", path, *probe.SchemaVersion, facts.SchemaVersion)
	}
	var doc facts.Document
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("read report %s: %w", path, err)
	}
	return &doc, nil
}
