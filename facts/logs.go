package facts

import "time"

// LogFinding is one signature found in the role's logs.
type LogFinding struct {
	Signature string `json:"signature"`
	Severity  string `json:"severity"` // error, warning, info
	Title     string `json:"title"`
	// File is the log the finding is about: the current .log of a log and its rotated
	// copies (.lo_), which are counted together.
	File      string    `json:"file"`
	Count     int       `json:"count"`
	FirstSeen time.Time `json:"firstSeen"` // UTC
	LastSeen  time.Time `json:"lastSeen"`  // UTC
	// Example is the text of the most recent matching record, on one line.
	Example     string `json:"example"`
	Remediation string `json:"remediation"`
	Reference   string `json:"reference,omitempty"` // KB or doc
	// Sources lists the files (the log and its rotated copies) where the signature was seen.
	Sources []string `json:"sources,omitempty"`
}
