package confstore

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/alived/alived/internal/testenv"
)

// TestRealDiskFullAndReadOnly writes config files on a real 64 KiB tmpfs
// that is full, then read-only, and checks that the commit fails with
// the file system's own error, says the old files are intact, and that
// they are — byte for byte, with nothing left behind.
func TestRealDiskFullAndReadOnly(t *testing.T) {
	testenv.RequireRoot(t)
	mnt := t.TempDir()
	if err := unix.Mount("tmpfs", mnt, "tmpfs", 0, "size=64k,mode=0755"); err != nil {
		if testenv.Strict() {
			t.Fatalf("cannot mount a tmpfs (%v) and %s=1 forbids skipping", err, testenv.EnvStrict)
		}
		t.Skipf("cannot mount a tmpfs here (%v); this test needs CAP_SYS_ADMIN", err)
	}
	// Runs before TempDir's removal (cleanups run last-in first-out).
	t.Cleanup(func() {
		if err := unix.Unmount(mnt, unix.MNT_DETACH); err != nil {
			t.Errorf("unmounting %s: %v", mnt, err)
		}
	})
	f := &fixture{root: mnt}
	var err error
	if f.store, err = Open(Options{Dir: filepath.Join(t.TempDir(), "history")}); err != nil {
		t.Fatal(err)
	}
	for rel, content := range initial {
		p := f.path(rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	edit := map[string]*string{
		"vs/a.conf":     str(strings.Repeat("virtual_server 10.0.0.1 80 {\n}\n", 600)), // ~18 KiB
		"vs/new/b.conf": str("virtual_server 10.0.0.2 80 {\n}\n"),
	}

	// Fill the file system.
	filler := filepath.Join(mnt, "filler")
	fl, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 4096)
	for {
		if _, err := fl.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling: %v", err)
			}
			break
		}
	}
	_ = fl.Close()
	full := f.contents(t)

	snap := f.read(t, "vs/a.conf", "vs/new/b.conf")
	_, err = f.commit(t, snap, edit)
	var we *WriteError
	if !errors.As(err, &we) || !we.Intact() || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("commit on a full disk: %v; want an ENOSPC WriteError with the files intact", err)
	}
	t.Logf("full disk: %v", err)
	if !strings.Contains(err.Error(), "old files are intact") {
		t.Errorf("message %q does not say the old files are intact", err)
	}
	sameTree(t, "after ENOSPC", f.contents(t), full)
	if recs := auditLines(t, f.store); len(recs) != 1 || recs[0].Result != ResultFailed || !strings.Contains(recs[0].Error, "no space left") {
		t.Errorf("audit after ENOSPC: %+v", recs)
	}
	if h, _ := f.store.History(); len(h) != 0 {
		t.Errorf("history after ENOSPC: %v", h)
	}

	// With the space back the same commit goes through: the failure was
	// the disk, not the request.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if _, err := f.commit(t, snap, edit); err != nil {
		t.Fatalf("commit with space: %v", err)
	}
	written := f.contents(t)

	// Read-only.
	if err := unix.Mount("", mnt, "", unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
		t.Fatalf("remounting read-only: %v", err)
	}
	snap = f.read(t, "vs/a.conf", "vs/new/b.conf", "keepalived.conf")
	_, err = f.commit(t, snap, map[string]*string{"vs/a.conf": str("x\n"), "vs/new/b.conf": nil, "keepalived.conf": str("y\n")})
	if !errors.As(err, &we) || !we.Intact() || !errors.Is(err, syscall.EROFS) {
		t.Fatalf("commit on a read-only file system: %v; want an EROFS WriteError with the files intact", err)
	}
	t.Logf("read-only: %v", err)
	sameTree(t, "after EROFS", f.contents(t), written)
}
