// Package confstore is the one place that writes keepalived.conf file
// sets to disk: it detects files changed on disk since they were read,
// replaces several files as one step (all staged and synced before any is
// renamed, the replaced ones restored if a later step fails), keeps a
// bounded history of previous contents for rollback, and appends an
// audit record per attempt. It knows nothing about keepalived syntax:
// callers hand it paths and bytes.
//
// State directory layout (default DefaultDir, mode 0700):
//
//	lock               flock(2) taken by every writer (daemon, alivectl)
//	rev-NNNNNNNN.json  one revision: who, when, why, contents before/after (0600)
//	audit.log          JSON lines, one AuditRecord per commit attempt (0600)
package confstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// DefaultDir is where the history and audit log live unless configured.
const DefaultDir = "/var/lib/alived/history"

// DefaultKeep is how many revisions the history keeps unless configured.
const DefaultKeep = 50

// DefaultFileMode is the mode of a newly created config file unless the
// commit says otherwise.
const DefaultFileMode os.FileMode = 0o644

// Options configure a Store.
type Options struct {
	// Dir is the state directory; DefaultDir when empty.
	Dir string
	// Keep is how many revisions to keep; DefaultKeep when 0.
	Keep int
}

// Store writes config file sets with conflict detection, history and
// audit. A Store is safe for concurrent use; writers in other processes
// using the same directory are serialised by a file lock.
type Store struct {
	dir  string
	keep int
	fs   fileSystem
	// root says whether replaced files get their previous owner back
	// (chown needs root).
	root bool
	// sem serialises this process's writers; the flock serialises
	// processes. A channel, not a mutex, so waiting honours ctx.
	sem chan struct{}
}

// Open prepares the state directory (creating it 0700) and returns the
// store.
func Open(opt Options) (*Store, error) {
	if opt.Dir == "" {
		opt.Dir = DefaultDir
	}
	if opt.Keep == 0 {
		opt.Keep = DefaultKeep
	}
	if opt.Keep < 1 {
		return nil, fmt.Errorf("config store: keep %d revisions: must be at least 1", opt.Keep)
	}
	dir, err := filepath.Abs(opt.Dir)
	if err != nil {
		return nil, fmt.Errorf("config store: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("config store: creating %s: %w", dir, err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("config store: %w", err)
	}
	return &Store{dir: dir, keep: opt.Keep, fs: osFS{}, root: os.Geteuid() == 0, sem: make(chan struct{}, 1)}, nil
}

// Dir returns the state directory.
func (s *Store) Dir() string { return s.dir }

// CommitRequest is one write of a file set.
type CommitRequest struct {
	// Base holds the fingerprint, as read, of every file the edit was
	// computed from, changed or not. A changed file missing from Base
	// counts as read absent (a new file), so an existing file is never
	// overwritten unseen. If any differs from the disk, nothing is
	// written.
	Base map[string]Fingerprint
	// Changes maps absolute paths to their new content; a nil value
	// deletes the file (an empty, non-nil slice writes an empty file).
	// A symbolic link is followed when its file is replaced (the link
	// stays a link) and removed itself when the file is deleted.
	// Missing directories are created (0755).
	Changes map[string][]byte
	// Author is who asks for the change (required: the audit log names
	// them).
	Author string
	// Message describes the change.
	Message string
	// NewFileMode is the mode of files created by this commit;
	// DefaultFileMode when 0. Replaced files keep their mode, and their
	// owner when the store runs as root.
	NewFileMode os.FileMode
}

// Commit writes req.Changes if no file in req.Base changed on disk since
// it was read, records the previous contents as a new revision, and
// appends an audit record (also for a conflict or a failure). ctx bounds
// the wait for the lock that serialises writers; once the lock is held,
// the commit runs to the end.
//
// Errors: *ConflictError when a file changed on disk (nothing written);
// *WriteError when writing failed (it says whether the old files are
// intact; they are unless restoring failed too). When no file's content
// would change, Commit writes nothing and returns a zero Revision and no
// error. A non-zero Revision with an error means the files were written
// but a later bookkeeping step (audit, pruning) failed.
func (s *Store) Commit(ctx context.Context, req CommitRequest) (Revision, error) {
	if req.Author == "" {
		return Revision{}, errors.New("commit: no author (the audit log must say who changed the config)")
	}
	base := make(map[string]Fingerprint, len(req.Base))
	for p, f := range req.Base {
		c, err := cleanPath(p)
		if err != nil {
			return Revision{}, fmt.Errorf("commit: %w", err)
		}
		base[c] = f
	}
	changes := make(map[string][]byte, len(req.Changes))
	for p, d := range req.Changes {
		c, err := cleanPath(p)
		if err != nil {
			return Revision{}, fmt.Errorf("commit: %w", err)
		}
		if _, ok := base[c]; !ok {
			// Not read, so the caller believes it absent: a file that
			// exists is a conflict, never overwritten unseen.
			base[c] = Fingerprint{Absent: true}
		}
		changes[c] = d
	}
	mode := req.NewFileMode
	if mode == 0 {
		mode = DefaultFileMode
	}

	unlock, err := s.lock(ctx)
	if err != nil {
		return Revision{}, err
	}
	defer unlock()

	cur, err := readFiles(s.fs, sortedKeys(base))
	if err != nil {
		return Revision{}, fmt.Errorf("commit: %w", err)
	}
	var conflicts []Conflict
	for _, p := range sortedKeys(base) {
		if now := cur[p].Fingerprint; now != base[p] {
			conflicts = append(conflicts, Conflict{Path: p, Base: base[p], Current: now})
		}
	}
	if len(conflicts) > 0 {
		cerr := &ConflictError{Conflicts: conflicts}
		aerr := s.audit(AuditRecord{Author: req.Author, Message: req.Message, Files: cerr.Paths(), Result: ResultConflict, Error: cerr.Error()})
		return Revision{}, errors.Join(cerr, aerr)
	}

	var fc []FileChange
	for _, p := range sortedKeys(changes) {
		before, after := cur[p].Data, changes[p]
		if (before == nil) == (after == nil) && bytes.Equal(before, after) {
			continue
		}
		fc = append(fc, FileChange{Path: p, Before: before, After: after})
	}
	if len(fc) == 0 {
		return Revision{}, nil
	}
	nums, err := s.revNumbers()
	if err != nil {
		return Revision{}, fmt.Errorf("commit: %w", err)
	}
	next := 1
	if len(nums) > 0 {
		next = nums[len(nums)-1] + 1
	}
	rev := Revision{RevisionInfo: RevisionInfo{Number: next, Time: time.Now().UTC(), Author: req.Author, Message: req.Message}, Changes: fc}
	for _, c := range fc {
		rev.Files = append(rev.Files, c.Path)
	}
	auditRec := AuditRecord{Author: req.Author, Message: req.Message, Files: rev.Files, Diff: string(rev.Diff())}

	plan, err := s.prepare(fc, mode)
	if err == nil {
		// The previous contents are on disk before any file is replaced,
		// so that even a crash mid-write leaves them recoverable.
		if rerr := s.writeRecord(record{RevisionInfo: rev.RevisionInfo, Changes: toStored(fc), Dirs: plan.dirs}); rerr != nil {
			err = plan.fail(&WriteError{Path: s.revPath(next), Err: rerr})
		}
	}
	if err == nil {
		if werr := s.replace(plan); werr != nil {
			if !werr.Intact() {
				werr.Revision = next
			} else {
				// Nothing changed: the revision never happened.
				if rerr := s.fs.Remove(s.revPath(next)); rerr != nil {
					werr.Leftovers = append(werr.Leftovers, s.revPath(next))
				}
			}
			err = werr
		}
	}
	if err != nil {
		auditRec.Result, auditRec.Error = ResultFailed, err.Error()
		var we *WriteError
		if errors.As(err, &we) && !we.Intact() {
			auditRec.Revision = next
		}
		return Revision{}, errors.Join(err, s.audit(auditRec))
	}

	s.removeCreatedDirs(fc)
	auditRec.Revision, auditRec.Result = next, ResultOK
	var after []error
	if err := s.prune(); err != nil {
		after = append(after, err)
	}
	if err := s.audit(auditRec); err != nil {
		after = append(after, err)
	}
	if err := errors.Join(after...); err != nil {
		return rev, fmt.Errorf("files written as revision %d, but: %w", next, err)
	}
	return rev, nil
}

// lock takes the in-process semaphore and then the state directory's
// file lock, waiting until ctx ends.
func (s *Store) lock(ctx context.Context) (func(), error) {
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for the config store lock: %w", ctx.Err())
	}
	release := func() { <-s.sem }
	f, err := os.OpenFile(filepath.Join(s.dir, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		release()
		return nil, fmt.Errorf("config store lock: %w", err)
	}
	// flock(2) has no timeout; poll a non-blocking attempt so a waiting
	// writer gives up with its context.
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			_ = f.Close()
			release()
			return nil, fmt.Errorf("config store lock: %w", err)
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			_ = f.Close()
			release()
			return nil, fmt.Errorf("waiting for the config store lock (held by another writer): %w", ctx.Err())
		}
	}
	return func() {
		_ = unix.Flock(int(f.Fd()), unix.LOCK_UN)
		_ = f.Close()
		release()
	}, nil
}
