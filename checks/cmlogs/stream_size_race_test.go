//go:build race

package cmlogs

// streamBytes is smaller under the race detector, which slows parsing about sevenfold; the
// memory bound checked is the same.
const streamBytes = 64 << 20
