//go:build !race

package cmlogs

// streamBytes is how much the bounded-memory test parses.
const streamBytes = 200 << 20
