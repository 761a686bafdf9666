package facts

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// WriteJSON writes the document as indented JSON, streaming the checks one by one: the whole
// text of a 20,000-check report held in memory at once would double the run's peak.
func WriteJSON(w io.Writer, doc *Document) error {
	head := *doc
	head.Checks = []Check{}
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
