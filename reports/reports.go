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
	// CI annotations (annotations.go): GitHub Actions workflow commands and Azure Pipelines
	// logging commands, one per finding.
	"github":       renderGitHub,
	"azure-devops": renderAzureDevOps,
}

// Formats lists the report formats in the order the documentation gives them.
func Formats() []string {
	return []string{"json", "html", "junit", "sarif", "markdown", "text", "prom", "github", "azure-devops"}
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

// ErrFleetDocument marks a JSON file that is the output of report merge (a fleet document),
// not one machine's report.
var ErrFleetDocument = errors.New("a fleet document (the output of report merge), not a machine report")

// ReadJSON loads a saved JSON report (report convert, report evaluate, --previous). A report
// of another schemaVersion is refused with both versions named: this build reads only its
// own (an older report's facts are gathered again with this version, a newer one is read
// by the version that wrote it).
func ReadJSON(path string) (*facts.Document, error) {
	data, err := inputfile.ReadMax(path, inputfile.MaxReportBytes)
	if err != nil {
		return nil, fmt.Errorf("read report: %w", err)
	}
	return DecodeJSON(path, data)
}

// DecodeJSON is ReadJSON on the bytes of path, already read.
func DecodeJSON(path string, data []byte) (*facts.Document, error) {
	var probe struct {
		SchemaVersion *int   `json:"schemaVersion"`
		Kind          string `json:"kind"`
		Tool          struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"tool"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("read report %s: not JSON: %w", path, err)
	}
	switch {
	case probe.Kind == "cmpreflight-fleet":
		return nil, fmt.Errorf("read report %s: %w", path, ErrFleetDocument)
	case probe.SchemaVersion == nil || probe.Kind != "":
		return nil, fmt.Errorf("read report %s: no schemaVersion: not a cmpreflight JSON report", path)
	case *probe.SchemaVersion < facts.SchemaVersion:
		return nil, fmt.Errorf("read report %s: schemaVersion %d (written by cmpreflight %s) is older than this build reads (%d): run the checks again with this version",
			path, *probe.SchemaVersion, nonEmpty(probe.Tool.Version, "?"), facts.SchemaVersion)
	case *probe.SchemaVersion > facts.SchemaVersion:
		return nil, fmt.Errorf("read report %s: schemaVersion %d (written by cmpreflight %s) is newer than this build reads (%d): use that version or a later one",
			path, *probe.SchemaVersion, nonEmpty(probe.Tool.Version, "?"), facts.SchemaVersion)
	case probe.Tool.Name != "cmpreflight":
		return nil, fmt.Errorf("read report %s: tool.name is %q: not a cmpreflight JSON report", path, probe.Tool.Name)
	}
	var doc facts.Document
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("read report %s: %w", path, err)
	}
	return &doc, nil
}
