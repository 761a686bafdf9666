package facts

// NameOrHost is the name a fleet knows the machine by: Name, or the host name in reports
// written before --machine-name existed.
func (m Machine) NameOrHost() string {
	if m.Name != "" {
		return m.Name
	}
	return m.Hostname
}
