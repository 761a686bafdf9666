// Package outfile writes the tool's outputs (reports, fleet views) so that a reader never
// sees half of one and nothing but a regular file is ever replaced: a plain file is written
// to a temporary file and renamed over the destination; a device, a FIFO or standard output
// is written straight through.
package outfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// StdoutName is the path that means standard output.
const StdoutName = "-"

// ErrAborted is returned by a write that Abort stopped.
var ErrAborted = errors.New("stopped: the run was ended at once (second interrupt)")

// pending holds the temporary files being written, so that Abort can remove them when the
// process must end at once.
var pending = struct {
	sync.Mutex
	names   map[string]bool
	aborted bool
}{names: map[string]bool{}}

// Abort removes every temporary file still being written and makes every later Write fail:
// the process is about to exit, and no half report may stay behind. A rename that already
// happened stays: that report is whole.
func Abort() {
	pending.Lock()
	defer pending.Unlock()
	pending.aborted = true
	for n := range pending.names {
		os.Remove(n)
		delete(pending.names, n)
	}
}

// destination is what a path names when the output is written.
type destination int

const (
	toStdout  destination = iota // "-" or the same file as this process's standard output
	toStderr                     // the same file as standard error (/dev/stderr)
	toReplace                    // a regular file or nothing yet: temporary file and rename
	toThrough                    // a character device or a FIFO: written in place
)

// classify says how path is written, and the path to write (a link to a regular file is
// followed, so the link stays and its target is replaced). Refused: folders, block devices,
// sockets, links that lead nowhere, and a missing parent folder.
func classify(path string) (destination, string, error) {
	if path == StdoutName {
		return toStdout, path, nil
	}
	st, statErr := os.Stat(path) // follows links
	if statErr == nil {
		if sameFile(st, os.Stdout) {
			return toStdout, path, nil
		}
		if sameFile(st, os.Stderr) {
			return toStderr, path, nil
		}
	}
	lst, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return toReplace, path, checkFolder(path)
	} else if err != nil {
		return 0, path, plain(err)
	}
	if lst.Mode()&fs.ModeSymlink != 0 {
		if statErr != nil {
			return 0, path, fmt.Errorf("is a link to something that does not exist (%v): name a file, not a dangling link", plain(statErr))
		}
		if st.Mode().IsRegular() {
			target, err := filepath.EvalSymlinks(path)
			if err != nil {
				return 0, path, plain(err)
			}
			return toReplace, target, nil
		}
		lst = st // a link to a device or a FIFO: judged as what it leads to
	}
	m := lst.Mode()
	switch {
	case m.IsRegular():
		return toReplace, path, nil
	case m.IsDir():
		return 0, path, errors.New("is a folder: name a file in it")
	case m&fs.ModeCharDevice != 0, m&fs.ModeNamedPipe != 0:
		return toThrough, path, nil
	case m&fs.ModeDevice != 0:
		return 0, path, errors.New("is a block device (a disk): a report is never written to one")
	case m&fs.ModeSocket != 0:
		return 0, path, errors.New("is a socket: name a file, a FIFO or - for standard output")
	default:
		return 0, path, fmt.Errorf("is not a regular file (%v): name a file, a FIFO or - for standard output", m.Type())
	}
}

func sameFile(st fs.FileInfo, f *os.File) bool {
	fst, err := f.Stat()
	if err != nil || !identityComparable(st, fst) {
		return false
	}
	return os.SameFile(st, fst)
}

func checkFolder(path string) error {
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return fmt.Errorf("the folder %s does not exist", dir)
	}
	return nil
}

// Check finds, before a run, what would stop an output from being written: a missing
// folder, a folder where a file is wanted, a disk device, a folder this process cannot
// write in. A FIFO is accepted here; it needs its reader only when the output is written.
func Check(path string) error {
	d, target, err := classify(path)
	if err != nil && strings.HasPrefix(err.Error(), "is ") {
		return fmt.Errorf("%s %w", path, err)
	}
	if err != nil || d != toReplace {
		return err
	}
	dir := filepath.Dir(target)
	f, err := os.CreateTemp(dir, ".cmpreflight-write-test-*")
	if err != nil {
		return fmt.Errorf("cannot write in the folder %s: %v", dir, plain(err))
	}
	f.Close()
	return os.Remove(f.Name())
}

// IsStdout reports whether path names this process's standard output ("-" or a link to it).
func IsStdout(path string) bool {
	d, _, err := classify(path)
	return err == nil && d == toStdout
}

// StdoutKept reports whether standard output is kept somewhere (a file or a pipe) rather than
// shown or dropped (a terminal, /dev/null): only then do two outputs on it spoil each other.
func StdoutKept() bool {
	st, err := os.Stdout.Stat()
	return err == nil && st.Mode()&fs.ModeCharDevice == 0
}

// Write renders an output into path: "-" (or /dev/stdout) is standard output; a regular file
// or a path that does not exist yet is written to a temporary file in the same folder, which
// is renamed over it once whole (the temporary name never ends in the report's extension, so
// a collector picking up *.json never reads half a file); a character device or a FIFO is
// written straight through, never replaced. The error does not repeat the path.
func Write(path string, render func(io.Writer) error) error {
	d, target, err := classify(path)
	if err != nil {
		return err
	}
	switch d {
	case toStdout:
		return writeTo(os.Stdout, render)
	case toStderr:
		return writeTo(os.Stderr, render)
	case toThrough:
		f, err := openThrough(target)
		if err != nil {
			return err
		}
		werr := writeTo(f, render)
		cerr := f.Close()
		if werr != nil {
			return werr
		}
		return plain(cerr)
	}
	return replace(target, render)
}

func writeTo(w io.Writer, render func(io.Writer) error) error {
	bw := bufio.NewWriter(w)
	if err := render(bw); err != nil {
		return plain(err)
	}
	return plain(bw.Flush())
}

// replace writes a temporary file beside path and renames it over path.
func replace(path string, render func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("the folder %s no longer exists", filepath.Clean(dir))
		}
		return plain(err)
	}
	pending.Lock()
	if pending.aborted {
		pending.Unlock()
		tmp.Close()
		os.Remove(tmp.Name())
		return ErrAborted
	}
	pending.names[tmp.Name()] = true
	pending.Unlock()
	defer func() {
		pending.Lock()
		delete(pending.names, tmp.Name())
		pending.Unlock()
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = writeTo(tmp, render); err != nil {
		return err
	}
	// CreateTemp makes the file 0600; a report is meant to be read by others.
	if err = tmp.Chmod(0o644); err != nil {
		return plain(err)
	}
	if err = tmp.Sync(); err != nil {
		return plain(err)
	}
	if err = tmp.Close(); err != nil {
		return plain(err)
	}
	pending.Lock()
	defer pending.Unlock()
	if pending.aborted {
		return ErrAborted
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("the folder %s no longer exists", filepath.Clean(dir))
		}
		return plain(err)
	}
	return nil
}

// plain drops the path and operation Go puts around a system error ("write /x/.r.json.tmp-1:
// no space left on device"): the caller names the output, and a temporary name means
// nothing to the user.
func plain(err error) error {
	for {
		var pe *fs.PathError
		var le *os.LinkError
		var se *os.SyscallError
		switch {
		case errors.As(err, &pe):
			err = pe.Err
		case errors.As(err, &le):
			err = le.Err
		case errors.As(err, &se):
			err = se.Err
		default:
			if errno, ok := err.(syscall.Errno); ok && errno == syscall.ENOSPC {
				return errors.New("the disk is full (no space left on device)")
			}
			return err
		}
	}
}

// OpenAppend opens a log for appending, creating it when missing. A FIFO nobody reads is an
// error at once, not a wait; a folder, a disk device or a socket is refused. Appending never
// replaces anything, so a link or a device is written through.
func OpenAppend(path string) (*os.File, error) {
	d, target, err := classify(path)
	if err != nil {
		return nil, err
	}
	switch {
	case path == StdoutName:
		return nil, errors.New("- (standard output) is for reports; give the log a file")
	case d != toReplace:
		return openThrough(target)
	}
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, plain(err)
	}
	return f, nil
}

// StillThere reports whether path still names the regular file f was opened as: a log whose
// folder was removed during the run (or that was moved or replaced) is written into a file
// nobody can read any more, and every write to it succeeds. Devices and FIFOs always are.
func StillThere(path string, f *os.File) error {
	fst, err := f.Stat()
	if err != nil || !fst.Mode().IsRegular() {
		return nil
	}
	st, err := os.Stat(path)
	if err != nil || !os.SameFile(st, fst) {
		return errors.New("the file was removed or replaced during the run (was its folder deleted?): what was logged to it is lost")
	}
	return nil
}
