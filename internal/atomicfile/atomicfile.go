// Package atomicfile replaces files so that a reader sees either the old
// content or the new one, never a mix, and so that a failure at any step
// leaves the old file as it was.
//
// A write goes through a temporary file in the target's directory (a
// rename is only atomic within one file system): create, write, chmod
// (and chown), fsync, close, rename over the target, fsync the directory
// so the rename itself survives a crash. The two halves are separate
// (Stage, then Staged.Commit) so that a caller replacing several files can
// prepare all of them — where disk-full and read-only errors happen —
// before replacing any.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// FS is the set of file-system operations a write performs. It exists so
// that tests can make any single step fail (ENOSPC, EROFS, a failed
// rename) and check what is left on disk; OS is the real one.
type FS interface {
	// CreateTemp creates a new file in dir as os.CreateTemp does.
	CreateTemp(dir, pattern string) (File, error)
	// Rename renames oldpath to newpath as os.Rename does.
	Rename(oldpath, newpath string) error
	// Remove removes a file or an empty directory as os.Remove does.
	Remove(name string) error
	// SyncDir fsyncs the directory dir, making renames and removals in
	// it durable.
	SyncDir(dir string) error
}

// File is an open temporary file, the part of *os.File a write uses.
type File interface {
	io.Writer
	// Name is the file's path, as passed to Rename.
	Name() string
	// Chmod sets the file's permission bits.
	Chmod(mode os.FileMode) error
	// Chown sets the file's owner and group.
	Chown(uid, gid int) error
	// Sync flushes the file's content to stable storage.
	Sync() error
	// Close closes the file.
	Close() error
}

// OS is the real file system.
type OS struct{}

// CreateTemp implements FS.
func (OS) CreateTemp(dir, pattern string) (File, error) { return os.CreateTemp(dir, pattern) }

// Rename implements FS.
func (OS) Rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }

// Remove implements FS.
func (OS) Remove(name string) error { return os.Remove(name) }

// SyncDir implements FS.
func (OS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Owner is a file's numeric owner and group.
type Owner struct {
	UID, GID int
}

// Options say how the new file is created.
type Options struct {
	// Mode is the new file's permission bits.
	Mode os.FileMode
	// Owner, when not nil, is given to the new file before it replaces
	// the old one (needs root unless it is the caller's own).
	Owner *Owner
}

// Staged is a temporary file holding the complete new content, synced to
// disk, waiting to replace its target. Exactly one of Commit or Abort
// must be called.
type Staged struct {
	fs     FS
	path   string
	tmp    string
	closed bool
}

// Path is the file the staged content will replace.
func (s *Staged) Path() string { return s.path }

// Temp is the temporary file holding the staged content.
func (s *Staged) Temp() string { return s.tmp }

// leftover removes the temporary file after err and, if that fails too
// (a file system gone read-only), says in the error that it is left.
func leftover(fsys FS, tmp string, err error) error {
	if rerr := fsys.Remove(tmp); rerr != nil {
		return fmt.Errorf("%w (temporary file %s left behind: %v)", err, tmp, rerr)
	}
	return err
}

// Stage writes data to a temporary file beside path with the given
// options and syncs it, without touching path. On error nothing is left
// behind.
func Stage(fsys FS, path string, data []byte, opt Options) (*Staged, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := fsys.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return nil, fmt.Errorf("creating temporary file for %s: %w", path, err)
	}
	tmp := f.Name()
	fail := func(step string, err error) (*Staged, error) {
		_ = f.Close()
		return nil, leftover(fsys, tmp, fmt.Errorf("%s temporary file for %s: %w", step, path, err))
	}
	if _, err := f.Write(data); err != nil {
		return fail("writing", err)
	}
	if err := f.Chmod(opt.Mode.Perm()); err != nil {
		return fail("setting mode of", err)
	}
	if opt.Owner != nil {
		if err := f.Chown(opt.Owner.UID, opt.Owner.GID); err != nil {
			return fail("setting owner of", err)
		}
	}
	if err := f.Sync(); err != nil {
		return fail("syncing", err)
	}
	if err := f.Close(); err != nil {
		return nil, leftover(fsys, tmp, fmt.Errorf("closing temporary file for %s: %w", path, err))
	}
	return &Staged{fs: fsys, path: path, tmp: tmp}, nil
}

// ErrRenamed marks a Commit error that happened after the rename: the
// target already holds the new content, only its durability (the
// directory sync) is in doubt.
var ErrRenamed = errors.New("file replaced but its directory could not be synced")

// Commit renames the staged file over its target and syncs the
// directory. If the rename fails the target is untouched and the
// temporary file is removed; if only the directory sync fails the error
// wraps ErrRenamed.
func (s *Staged) Commit() error {
	if s.closed {
		return fmt.Errorf("replacing %s: already committed or aborted", s.path)
	}
	s.closed = true
	if err := s.fs.Rename(s.tmp, s.path); err != nil {
		return leftover(s.fs, s.tmp, fmt.Errorf("replacing %s: %w", s.path, err))
	}
	if err := s.fs.SyncDir(filepath.Dir(s.path)); err != nil {
		return fmt.Errorf("replacing %s: %w: %w", s.path, ErrRenamed, err)
	}
	return nil
}

// Abort removes the staged temporary file; the target was never touched.
// Calling it after Commit does nothing.
func (s *Staged) Abort() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if err := s.fs.Remove(s.tmp); err != nil {
		return fmt.Errorf("removing temporary file for %s: %w", s.path, err)
	}
	return nil
}

// Write replaces path with data in one step: a reader (an exporter that
// polls for a dump, a daemon reading its state file) never sees half a
// file, and on any error the old file is untouched and no temporary file
// is left.
func Write(path string, data []byte, mode os.FileMode) error {
	s, err := Stage(OS{}, path, data, Options{Mode: mode})
	if err != nil {
		return err
	}
	return s.Commit()
}
