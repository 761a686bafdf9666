//go:build race

package policies

func init() { raceEnabled = true }
