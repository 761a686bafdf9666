// Package reports renders a facts document (with its verdict) as JSON, HTML, JUnit, SARIF,
// Markdown or a terminal table; every format is a pure function of the document.
package reports

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cmpreflight/cmpreflight/checks"
)

// renderer writes one format.
type renderer func(w io.Writer, doc *checks.Document) error

// formats maps a format name to its renderer; the order of Formats() is the documented one.
var formats = map[string]renderer{
	"json":     renderJSON,
	"html":     renderHTML,
	"junit":    renderJUnit,
	"sarif":    renderSARIF,
	"markdown": renderMarkdown,
	"text":     renderText,
}

// Formats lists the report formats in the order the documentation gives them.
func Formats() []string {
	return []string{"json", "html", "junit", "sarif", "markdown", "text"}
}

func unknownFormat(format string) error {
	return fmt.Errorf("unknown report format %q (formats: %s)", format, strings.Join(Formats(), ", "))
}

// Render writes doc in format to w.
func Render(w io.Writer, format string, doc *checks.Document) error {
	r, ok := formats[format]
	if !ok {
		return unknownFormat(format)
	}
	if doc == nil {
		return errors.New("render: no document")
	}
	return r(w, doc)
}

// WriteFile renders doc into path atomically: the report is written to a temporary file in
// the same directory and renamed over path, so a reader never sees half a report, even when
// the run is interrupted while writing.
func WriteFile(path, format string, doc *checks.Document) (err error) {
	if _, ok := formats[format]; !ok {
		return unknownFormat(format)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s report %s: %w", format, path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriter(tmp)
	if err = Render(bw, format, doc); err != nil {
		return fmt.Errorf("write %s report %s: %w", format, path, err)
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("write %s report %s: %w", format, path, err)
	}
	// CreateTemp makes the file 0600; a report is meant to be read by others.
	if err = tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("write %s report %s: %w", format, path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("write %s report %s: %w", format, path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("write %s report %s: %w", format, path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
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
func ReadJSON(path string) (*checks.Document, error) {
	data, err := os.ReadFile(path)
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
	case *probe.SchemaVersion != checks.SchemaVersion:
		return nil, fmt.Errorf("read report %s: schemaVersion %d, this build reads %d", path, *probe.SchemaVersion, checks.SchemaVersion)
	}
	var doc checks.Document
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("read report %s: %w", path, err)
	}
	return &doc, nil
}

// renderJSON writes the document as indented JSON, streaming the checks one by one: the whole
// text of a 20,000-check report held in memory at once would double the run's peak.
func renderJSON(w io.Writer, doc *checks.Document) error {
	head := *doc
	head.Checks = []checks.Check{}
	b, err := json.MarshalIndent(&head, "", "  ")
	if err != nil {
		return err
	}
	// The top-level "checks" member is the only one at two spaces of indentation; network
	// strings inside it are escaped, so the marker cannot occur elsewhere.
	const marker = "\n  \"checks\": []"
	i := bytes.Index(b, []byte(marker))
	if i < 0 {
		return errors.New("json report: checks member not found")
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(b[:i+len(marker)-1])
	for n := range doc.Checks {
		c, err := json.MarshalIndent(&doc.Checks[n], "    ", "  ")
		if err != nil {
			return err
		}
		if n > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n    ")
		bw.Write(c)
	}
	if len(doc.Checks) > 0 {
		bw.WriteString("\n  ")
	}
	bw.Write(b[i+len(marker)-1:])
	bw.WriteByte('\n')
	return bw.Flush()
}
