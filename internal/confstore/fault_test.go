package confstore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/alived/alived/internal/atomicfile"
)

// faultFS performs real operations but fails the mutating one numbered
// failAt (counting from 0) with err — only that one, or, when sticky,
// every one from it on (a file system gone read-only). It logs every
// mutating operation, so a dry run lists the steps to fail.
type faultFS struct {
	osFS
	failAt int
	sticky bool
	err    error
	n      int
	log    []string
}

func (f *faultFS) step(op, path string) error {
	i := f.n
	f.n++
	f.log = append(f.log, fmt.Sprintf("%s %s", op, path))
	if i == f.failAt || (f.sticky && f.failAt >= 0 && i > f.failAt) {
		return &os.PathError{Op: op, Path: path, Err: f.err}
	}
	return nil
}

type faultFile struct {
	*os.File
	fs *faultFS
}

func (f *faultFS) CreateTemp(dir, pattern string) (atomicfile.File, error) {
	if err := f.step("create", dir); err != nil {
		return nil, err
	}
	fl, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return faultFile{fl, f}, nil
}

func (f *faultFS) Rename(a, b string) error {
	if err := f.step("rename", b); err != nil {
		return err
	}
	return os.Rename(a, b)
}

func (f *faultFS) Remove(name string) error {
	if err := f.step("remove", name); err != nil {
		return err
	}
	return os.Remove(name)
}

func (f *faultFS) SyncDir(dir string) error {
	if err := f.step("syncdir", dir); err != nil {
		return err
	}
	return f.osFS.SyncDir(dir)
}

func (f *faultFS) Mkdir(name string, perm os.FileMode) error {
	if err := f.step("mkdir", name); err != nil {
		return err
	}
	return os.Mkdir(name, perm)
}

func (f *faultFS) AppendFile(name string, data []byte, perm os.FileMode) error {
	if err := f.step("append", name); err != nil {
		return err
	}
	return f.osFS.AppendFile(name, data, perm)
}

func (f faultFile) Write(b []byte) (int, error) {
	if err := f.fs.step("write", f.Name()); err != nil {
		return 0, err
	}
	return f.File.Write(b)
}

func (f faultFile) Chmod(m os.FileMode) error {
	if err := f.fs.step("chmod", f.Name()); err != nil {
		return err
	}
	return f.File.Chmod(m)
}

func (f faultFile) Chown(uid, gid int) error {
	if err := f.fs.step("chown", f.Name()); err != nil {
		return err
	}
	return f.File.Chown(uid, gid)
}

func (f faultFile) Sync() error {
	if err := f.fs.step("sync", f.Name()); err != nil {
		return err
	}
	return f.File.Sync()
}

func (f faultFile) Close() error {
	if err := f.fs.step("close", f.Name()); err != nil {
		_ = f.File.Close()
		return err
	}
	return f.File.Close()
}

// faultEdit is a commit that replaces two files, deletes one and creates
// one in a directory that does not exist yet.
var faultEdit = map[string]*string{
	"keepalived.conf":    str("global_defs {\n  router_id changed\n}\ninclude vs/*.conf\n"),
	"old.conf":           nil,
	"vs/a.conf":          str("virtual_server 10.0.0.1 80 {\n  lb_algo wrr\n}\n"),
	"vs/new/deep/b.conf": str("virtual_server 10.0.0.2 80 {\n}\n"),
}

func faultRun(t *testing.T, fsys *faultFS) (*fixture, map[string]string, Revision, error) {
	t.Helper()
	f := newFixture(t, initial)
	before := f.contents(t)
	snap := f.read(t, "keepalived.conf", "old.conf", "vs/a.conf", "vs/new/deep/b.conf")
	f.store.fs = fsys
	rev, err := f.commit(t, snap, faultEdit)
	f.store.fs = osFS{}
	return f, before, rev, err
}

// TestInjectedFailuresLoseNothing fails every file operation of a commit
// in turn, once and from then on, with ENOSPC, EROFS and EIO, and checks
// that the error tells the truth: when it says the old files are intact
// they are byte for byte (no temporary file or new directory left, no
// revision recorded); when it names files it could not restore, exactly
// those hold the new content; when the files were written, they all are.
func TestInjectedFailuresLoseNothing(t *testing.T) {
	dry := &faultFS{failAt: -1}
	_, _, _, err := faultRun(t, dry)
	if err != nil {
		t.Fatal(err)
	}
	steps := dry.log
	t.Logf("steps:\n%s", strings.Join(steps, "\n"))
	if len(steps) < 20 {
		t.Fatalf("only %d steps: %v", len(steps), steps)
	}
	var written, intact, partial int
	for i := range steps {
		for _, sticky := range []bool{false, true} {
			for _, errno := range []error{syscall.ENOSPC, syscall.EROFS, syscall.EIO} {
				name := fmt.Sprintf("step %d (%s) %v sticky=%v", i, steps[i], errno, sticky)
				fsys := &faultFS{failAt: i, sticky: sticky, err: errno}
				f, before, rev, err := faultRun(t, fsys)
				got := f.contents(t)
				if err == nil && rev.Number == 0 {
					t.Fatalf("%s: no error and no revision", name)
				}
				if err != nil && !errors.Is(err, errno) {
					t.Errorf("%s: error %v does not carry the cause", name, err)
				}
				if rev.Number != 0 {
					// The files were written; a later bookkeeping step
					// (empty-directory removal, pruning, audit) failed.
					written++
					for rel, v := range faultEdit {
						if v == nil {
							if _, ok := got[rel]; ok {
								t.Errorf("%s: %s not deleted", name, rel)
							}
						} else if got[rel] != *v {
							t.Errorf("%s: %s = %q after a reported success", name, rel, got[rel])
						}
					}
					if err != nil && !strings.Contains(err.Error(), "files written as revision") {
						t.Errorf("%s: error %q does not say the files were written", name, err)
					}
					continue
				}
				var we *WriteError
				if !errors.As(err, &we) {
					t.Fatalf("%s: error %v is not a WriteError", name, err)
				}
				if we.Intact() {
					intact++
					if !strings.Contains(err.Error(), "old files are intact") {
						t.Errorf("%s: message %q does not say the files are intact", name, err)
					}
					sameFiles(t, name, f, got, before, err)
					if h, _ := f.store.History(); len(h) != 0 && !strings.Contains(err.Error(), f.store.revPath(h[0].Number)) {
						t.Errorf("%s: a failed write left revision %v and did not say so", name, h)
					}
					if !sticky && len(we.Leftovers) > 0 {
						t.Errorf("%s: a single failure left %v", name, we.Leftovers)
					}
					continue
				}
				partial++
				if !sticky {
					t.Errorf("%s: a single failure left files unrestored: %v", name, err)
				}
				if !strings.Contains(err.Error(), "could not restore") {
					t.Errorf("%s: message %q", name, err)
				}
				notRestored := map[string]bool{}
				for _, p := range we.NotRestored {
					rel, _ := filepath.Rel(f.root, p)
					notRestored[rel] = true
				}
				for rel, v := range faultEdit {
					old, existed := before[rel]
					now, exists := got[rel]
					switch {
					case notRestored[rel] && v == nil && exists:
						t.Errorf("%s: %s said unrestored but is still there", name, rel)
					case notRestored[rel] && v != nil && now != *v:
						t.Errorf("%s: %s said unrestored but holds %q", name, rel, now)
					case !notRestored[rel] && (exists != existed || now != old):
						t.Errorf("%s: %s not reported but changed to %q", name, rel, now)
					}
				}
				for k := range got {
					if _, ok := before[k]; ok || notRestored[k] {
						continue
					}
					if dir := strings.TrimSuffix(k, "/"); !strings.Contains(err.Error(), f.path(dir)) && !notRestored["vs/new/deep/b.conf"] {
						t.Errorf("%s: %s left behind and not reported in %q", name, k, err)
					}
				}
				r, rerr := f.store.Revision(we.Revision)
				if rerr != nil || len(r.Changes) != len(faultEdit) {
					t.Errorf("%s: previous contents not kept in revision %d: %v", name, we.Revision, rerr)
				}
			}
		}
	}
	t.Logf("%d steps; outcomes: %d written, %d intact, %d partially restored (all under sticky failures)", len(steps), written, intact, partial)
	if intact == 0 || written == 0 {
		t.Errorf("the injection never hit both phases")
	}
}

// sameFiles checks that every file in want is in got unchanged and that
// anything extra in got (a temporary file or directory the failing file
// system would not let go) is named in the error.
func sameFiles(t *testing.T, name string, f *fixture, got, want map[string]string, err error) {
	t.Helper()
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s: %s = %q (present %v), want %q", name, k, g, ok, v)
		}
	}
	for k := range got {
		if _, ok := want[k]; ok {
			continue
		}
		if !strings.Contains(err.Error(), strings.TrimSuffix(f.path(k), "/")) {
			t.Errorf("%s: %s left behind and not reported in %q", name, k, err)
		}
	}
}
