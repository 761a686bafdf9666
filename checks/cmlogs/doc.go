// Package cmlogs reads the service connection point's CMTrace logs and reports the known
// failure signatures found in them, with counts, times and remediation.
//
// Readings this package relies on (docs/design.md, "The role's logs"):
//
//   - Time zones. Both formats write local time followed by the Windows time-zone bias in
//     minutes: client `time="08:51:08.954-570"`, server `<07-15-2023 09:12:45.332+240>`.
//     Windows defines UTC = local time + bias, so `-570` is UTC+9:30 and `+240` is UTC-4
//     (EDT). Every time this package returns is UTC.
//   - Records. A client record starts with `<![LOG[` and ends with its `]LOG]!><time=...>`
//     trailer; a server record is every line up to and including the line that ends with its
//     `$$<component><date time><thread=...>` trailer. Text spanning several lines is one record.
//     The `~~` before a server trailer is dropped.
//   - Corrupt lines are lines that belong to no record: control characters (zero-filled
//     blocks left by a crash), a trailer whose date, time or fields cannot be read (with the
//     lines of its record), an unterminated client record, and lines with no trailer left at
//     the end of a file. They are counted per file and skipped.
//   - Size. Records are streamed; at most Parser.MaxRecordBytes of text is kept per record
//     (the rest is counted as truncated), and the end of an over-long line is kept so its
//     time stamp is still read.
//   - Last successful sync. A record of Dmpdownloader.log (not of type warning or error) that
//     matches one of the `syncMarkers` of signatures.yaml (e.g. "Successfully downloaded
//     ConfigMgr.Update.Manifest.cab", "Download ... completed successfully", "Synchronization
//     completed") and none of its `syncFailWords` marks a successful sync. When the latest one is
//     older than SyncCycle (24 h, the online cycle) as of the injected clock, it is the warning
//     `sync.stale`; a Dmpdownloader.log without one gives `sync.never`.
//   - A log and its rotated copies (`X.lo_`, `X-YYYYMMDD-HHMMSS.log`) in one directory make
//     one log: findings count across them and name the current `.log`.
package cmlogs
