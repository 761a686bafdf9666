package checks

import "time"

// LogFinding is one signature found in the role's logs.
type LogFinding struct {
	Signature   string    `json:"signature"`
	Severity    string    `json:"severity"` // error, warning, info
	Title       string    `json:"title"`
	File        string    `json:"file"`
	Count       int       `json:"count"`
	FirstSeen   time.Time `json:"firstSeen"`
	LastSeen    time.Time `json:"lastSeen"`
	Example     string    `json:"example"`
	Remediation string    `json:"remediation"`
	Reference   string    `json:"reference,omitempty"` // KB or doc
}
