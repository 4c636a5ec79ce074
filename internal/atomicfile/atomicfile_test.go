package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestWriteReplacesAndSetsMode(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := Write(p, []byte("one\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, []byte("two\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil || string(b) != "two\n" {
		t.Fatalf("content %q, %v", b, err)
	}
	fi, _ := os.Stat(p)
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", fi.Mode().Perm())
	}
	assertOnly(t, dir, "f")
}

// failFS fails the operation named fail with err.
type failFS struct {
	OS
	fail string
	err  error
}

type failFile struct {
	*os.File
	fs *failFS
}

func (f *failFS) hit(op string) error {
	if f.fail == op {
		return f.err
	}
	return nil
}

func (f *failFS) CreateTemp(dir, pattern string) (File, error) {
	if err := f.hit("create"); err != nil {
		return nil, err
	}
	fl, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return failFile{fl, f}, nil
}

func (f *failFS) Rename(a, b string) error {
	if err := f.hit("rename"); err != nil {
		return err
	}
	return os.Rename(a, b)
}

func (f *failFS) SyncDir(d string) error {
	if err := f.hit("syncdir"); err != nil {
		return err
	}
	return OS{}.SyncDir(d)
}

func (f failFile) Write(b []byte) (int, error) {
	if err := f.fs.hit("write"); err != nil {
		return 0, err
	}
	return f.File.Write(b)
}

func (f failFile) Sync() error {
	if err := f.fs.hit("sync"); err != nil {
		return err
	}
	return f.File.Sync()
}

func (f failFile) Chmod(m os.FileMode) error {
	if err := f.fs.hit("chmod"); err != nil {
		return err
	}
	return f.File.Chmod(m)
}

func (f failFile) Close() error {
	if err := f.fs.hit("close"); err != nil {
		_ = f.File.Close()
		return err
	}
	return f.File.Close()
}

// TestFailureLeavesOldFile fails each step before the rename and checks
// that the old file is untouched and no temporary file is left.
func TestFailureLeavesOldFile(t *testing.T) {
	for _, op := range []string{"create", "write", "chmod", "sync", "close", "rename"} {
		for _, errno := range []error{syscall.ENOSPC, syscall.EROFS} {
			dir := t.TempDir()
			p := filepath.Join(dir, "f")
			if err := os.WriteFile(p, []byte("old\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			fsys := &failFS{fail: op, err: errno}
			s, err := Stage(fsys, p, []byte("new\n"), Options{Mode: 0o644})
			if err == nil {
				err = s.Commit()
			}
			if !errors.Is(err, errno) {
				t.Errorf("%s %v: error %v does not wrap the cause", op, errno, err)
			}
			if errors.Is(err, ErrRenamed) {
				t.Errorf("%s: error claims the file was replaced: %v", op, err)
			}
			if b, _ := os.ReadFile(p); string(b) != "old\n" {
				t.Errorf("%s %v: file now %q", op, errno, b)
			}
			assertOnly(t, dir, "f")
		}
	}
}

func TestDirSyncFailureSaysRenamed(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	s, err := Stage(&failFS{fail: "syncdir", err: syscall.EIO}, p, []byte("new\n"), Options{Mode: 0o644})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(); !errors.Is(err, ErrRenamed) || !errors.Is(err, syscall.EIO) {
		t.Errorf("error %v, want ErrRenamed wrapping EIO", err)
	}
}

func TestAbortRemovesTemp(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	s, err := Stage(OS{}, p, []byte("x"), Options{Mode: 0o644})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Abort(); err != nil {
		t.Fatal(err)
	}
	assertOnly(t, dir)
	if err := s.Commit(); err == nil {
		t.Error("commit after abort succeeded")
	}
}

func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if len(got) != len(names) {
		t.Fatalf("%s holds %v, want %v", dir, got, names)
	}
	for i := range got {
		if got[i] != names[i] {
			t.Fatalf("%s holds %v, want %v", dir, got, names)
		}
	}
}
