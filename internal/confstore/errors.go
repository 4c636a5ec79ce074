package confstore

import (
	"fmt"
	"strings"
)

// Conflict is one file that changed on disk after it was read.
type Conflict struct {
	// Path is the file.
	Path string
	// Base is the fingerprint the caller read.
	Base Fingerprint
	// Current is the fingerprint on disk at commit time.
	Current Fingerprint
}

// ConflictError is returned by Commit when a file changed on disk since
// it was read: nothing was written, and the caller should read again and
// redo its edit.
type ConflictError struct {
	// Conflicts lists the changed files, sorted by path.
	Conflicts []Conflict
}

// Error names the files.
func (e *ConflictError) Error() string {
	var b strings.Builder
	b.WriteString("config changed on disk since it was read, nothing written:")
	for _, c := range e.Conflicts {
		fmt.Fprintf(&b, " %s (read: %s, now: %s);", c.Path, c.Base, c.Current)
	}
	return strings.TrimSuffix(b.String(), ";")
}

// Paths returns the conflicting files.
func (e *ConflictError) Paths() []string {
	out := make([]string, len(e.Conflicts))
	for i, c := range e.Conflicts {
		out[i] = c.Path
	}
	return out
}

// WriteError is returned by Commit when writing the files failed. It says
// what failed and what state the files are in: Intact reports whether
// every file holds its old content again.
type WriteError struct {
	// Path is the file whose step failed.
	Path string
	// Err is the failure.
	Err error
	// Restored lists files that had already been replaced and were put
	// back.
	Restored []string
	// NotRestored lists files that could not be put back: they hold the
	// new content (or are deleted, or newly created). Their previous
	// content is in history revision Revision.
	NotRestored []string
	// Revision is the history revision holding the previous contents,
	// kept when NotRestored is not empty.
	Revision int
	// Leftovers are temporary files, new directories or a history record
	// of this failed write that could not be removed (the file system
	// refused that too). No config file refers to them; a history record
	// left here describes a write that did not happen.
	Leftovers []string
}

// Intact reports whether every file holds its old content.
func (e *WriteError) Intact() bool { return len(e.NotRestored) == 0 }

// Error says what failed and whether the old files are intact.
func (e *WriteError) Error() string {
	msg := fmt.Sprintf("writing %s: %v; ", e.Path, e.Err)
	switch {
	case !e.Intact():
		msg += fmt.Sprintf("could not restore %s, which now hold the new content (previous content in history revision %d)",
			strings.Join(e.NotRestored, ", "), e.Revision)
		if len(e.Restored) > 0 {
			msg += "; restored " + strings.Join(e.Restored, ", ")
		}
	case len(e.Restored) > 0:
		msg += "restored " + strings.Join(e.Restored, ", ") + ": the old files are intact"
	default:
		msg += "no file was changed: the old files are intact"
	}
	if len(e.Leftovers) > 0 {
		msg += "; could not remove " + strings.Join(e.Leftovers, ", ")
	}
	return msg
}

// Unwrap returns the failure.
func (e *WriteError) Unwrap() error { return e.Err }
