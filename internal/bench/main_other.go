//go:build !linux

// Command bench runs only on Linux: the lab binds loopback ports as root and runs curl in a
// private mount namespace.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "the benchmark runs on Linux only (make bench)")
	os.Exit(2)
}
