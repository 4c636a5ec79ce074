package confstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fixture is a config tree and a store whose state lives beside it.
type fixture struct {
	root  string // config tree
	store *Store
}

func newFixture(t *testing.T, files map[string]string) *fixture {
	t.Helper()
	root := t.TempDir()
	for rel, content := range files {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Open(Options{Dir: filepath.Join(t.TempDir(), "state", "history")})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{root: root, store: s}
}

func (f *fixture) path(rel string) string { return filepath.Join(f.root, rel) }

// read reads the named files (relative) through the package's Read.
func (f *fixture) read(t *testing.T, rels ...string) Snapshot {
	t.Helper()
	var paths []string
	for _, r := range rels {
		paths = append(paths, f.path(r))
	}
	snap, err := Read(paths)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// commit edits the named files: a nil value deletes.
func (f *fixture) commit(t *testing.T, snap Snapshot, edits map[string]*string) (Revision, error) {
	t.Helper()
	ch := map[string][]byte{}
	for rel, v := range edits {
		if v == nil {
			ch[f.path(rel)] = nil
		} else {
			ch[f.path(rel)] = []byte(*v)
		}
	}
	return f.store.Commit(context.Background(), CommitRequest{Base: snap.Base(), Changes: ch, Author: "tester", Message: "edit"})
}

func str(s string) *string { return &s }

// contents reads the whole config tree: relative path → content.
func (f *fixture) contents(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(f.root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(f.root, p)
		if d.IsDir() {
			if rel != "." {
				out[rel+"/"] = ""
			}
			return nil
		}
		b, err := os.ReadFile(p)
		out[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameTree(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s: %s = %q (present %v), want %q", what, k, g, ok, v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: unexpected %s", what, k)
		}
	}
}

func auditLines(t *testing.T, s *Store) []AuditRecord {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.Dir(), AuditFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []AuditRecord
	for _, l := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var r AuditRecord
		if err := json.Unmarshal(l, &r); err != nil {
			t.Fatalf("audit line %q: %v", l, err)
		}
		out = append(out, r)
	}
	return out
}

var initial = map[string]string{
	"keepalived.conf": "global_defs {\n  router_id a\n}\ninclude vs/*.conf\n",
	"vs/a.conf":       "virtual_server 10.0.0.1 80 {\n  lb_algo rr\n}\n",
	"old.conf":        "# unused\n",
}

func TestCommitHistoryRollback(t *testing.T) {
	f := newFixture(t, initial)
	orig := f.contents(t)
	snap := f.read(t, "keepalived.conf", "vs/a.conf", "old.conf", "vs/new/deep/b.conf")
	if !snap[f.path("vs/new/deep/b.conf")].Fingerprint.Absent {
		t.Fatal("missing file not read as absent")
	}
	rev, err := f.commit(t, snap, map[string]*string{
		"vs/a.conf":          str("virtual_server 10.0.0.1 80 {\n  lb_algo wrr\n}\n"),
		"old.conf":           nil,
		"vs/new/deep/b.conf": str("virtual_server 10.0.0.2 80 {\n}\n"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if rev.Number != 1 || len(rev.Files) != 3 || rev.Author != "tester" {
		t.Fatalf("revision %+v", rev.RevisionInfo)
	}
	after1 := f.contents(t)
	if after1["vs/a.conf"] != "virtual_server 10.0.0.1 80 {\n  lb_algo wrr\n}\n" || after1["vs/new/deep/b.conf"] == "" {
		t.Fatalf("not written: %v", after1)
	}
	if _, ok := after1["old.conf"]; ok {
		t.Fatal("old.conf not deleted")
	}
	wantDiff := "--- a" + f.path("vs/a.conf") + "\n+++ b" + f.path("vs/a.conf") + "\n@@ -1,3 +1,3 @@\n virtual_server 10.0.0.1 80 {\n-  lb_algo rr\n+  lb_algo wrr\n }\n"
	if !strings.Contains(string(rev.Diff()), wantDiff) || !strings.Contains(string(rev.Diff()), "+++ /dev/null") {
		t.Errorf("diff:\n%s", rev.Diff())
	}

	// A second revision on top.
	snap = f.read(t, "keepalived.conf")
	if _, err := f.commit(t, snap, map[string]*string{"keepalived.conf": str("global_defs {\n  router_id b\n}\ninclude vs/*.conf\n")}); err != nil {
		t.Fatal(err)
	}
	after2 := f.contents(t)

	hist, err := f.store.History()
	if err != nil || len(hist) != 2 || hist[0].Number != 1 || hist[1].Number != 2 {
		t.Fatalf("history %+v, %v", hist, err)
	}
	got, err := f.store.Revision(1)
	if err != nil || len(got.Changes) != 3 || !bytes.Equal(got.Diff(), rev.Diff()) {
		t.Fatalf("revision 1 read back: %+v, %v", got, err)
	}
	// FilesAt knows every file any revision touched.
	at0, err := f.store.FilesAt(0)
	if err != nil {
		t.Fatal(err)
	}
	if string(at0[f.path("vs/a.conf")]) != initial["vs/a.conf"] || at0[f.path("vs/new/deep/b.conf")] != nil ||
		string(at0[f.path("keepalived.conf")]) != initial["keepalived.conf"] || string(at0[f.path("old.conf")]) != initial["old.conf"] {
		t.Errorf("FilesAt(0) = %q", at0)
	}
	at1, _ := f.store.FilesAt(1)
	if string(at1[f.path("keepalived.conf")]) != initial["keepalived.conf"] || at1[f.path("old.conf")] != nil {
		t.Errorf("FilesAt(1) = %q", at1)
	}

	// Rollback to 1, then to 0: each is an ordinary, recorded commit.
	req, err := f.store.RollbackRequest(1)
	if err != nil || len(req.Changes) != 1 {
		t.Fatalf("rollback request %+v, %v", req, err)
	}
	req.Author = "tester"
	if r, err := f.store.Commit(context.Background(), req); err != nil || r.Number != 3 {
		t.Fatalf("rollback to 1: %+v, %v", r.RevisionInfo, err)
	}
	sameTree(t, "after rollback to 1", f.contents(t), after1)
	req, _ = f.store.RollbackRequest(0)
	req.Author = "tester"
	if _, err := f.store.Commit(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	// The directories revision 1 created went with their last file.
	sameTree(t, "after rollback to 0", f.contents(t), orig)
	// Rolling forward again works too.
	req, _ = f.store.RollbackRequest(2)
	req.Author = "tester"
	if _, err := f.store.Commit(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	sameTree(t, "after rollback to 2", f.contents(t), after2)
	if req, _ := f.store.RollbackRequest(5); len(req.Changes) != 0 {
		t.Errorf("rollback to the current state changes %v", req.Changes)
	}

	recs := auditLines(t, f.store)
	if len(recs) != 5 {
		t.Fatalf("%d audit records, want 5", len(recs))
	}
	if r := recs[0]; r.Result != ResultOK || r.Revision != 1 || r.Author != "tester" || !strings.Contains(r.Diff, "+  lb_algo wrr") || len(r.Files) != 3 {
		t.Errorf("audit record %+v", r)
	}
}

func TestConflictWritesNothing(t *testing.T) {
	f := newFixture(t, initial)
	snap := f.read(t, "keepalived.conf", "vs/a.conf", "vs/b.conf")
	// Someone edits a.conf by hand, and someone creates b.conf.
	if err := os.WriteFile(f.path("vs/a.conf"), []byte("hand edit\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.path("vs/b.conf"), []byte("new\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := f.contents(t)
	_, err := f.commit(t, snap, map[string]*string{"keepalived.conf": str("changed\n")})
	var ce *ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v, want a conflict", err)
	}
	if got := ce.Paths(); len(got) != 2 || got[0] != f.path("vs/a.conf") || got[1] != f.path("vs/b.conf") {
		t.Errorf("conflicting files %v", got)
	}
	if !strings.Contains(err.Error(), f.path("vs/a.conf")) || !strings.Contains(err.Error(), "nothing written") {
		t.Errorf("message %q", err)
	}
	sameTree(t, "after conflict", f.contents(t), before)
	if h, _ := f.store.History(); len(h) != 0 {
		t.Errorf("history after a conflict: %v", h)
	}
	if recs := auditLines(t, f.store); len(recs) != 1 || recs[0].Result != ResultConflict || recs[0].Author != "tester" {
		t.Errorf("audit %+v", recs)
	}
}

func TestCommitRejectsBadRequests(t *testing.T) {
	f := newFixture(t, initial)
	orig := f.contents(t)
	snap := f.read(t, "vs/a.conf")
	ctx := context.Background()
	for name, req := range map[string]CommitRequest{
		"no author":   {Base: snap.Base(), Changes: map[string][]byte{f.path("vs/a.conf"): []byte("x")}},
		"unread file": {Base: snap.Base(), Changes: map[string][]byte{f.path("keepalived.conf"): []byte("x")}, Author: "a"},
		"relative":    {Base: map[string]Fingerprint{"k.conf": {Absent: true}}, Changes: map[string][]byte{"k.conf": []byte("x")}, Author: "a"},
		"no-op write": {Base: snap.Base(), Changes: map[string][]byte{f.path("vs/a.conf"): []byte(initial["vs/a.conf"])}, Author: "a"},
	} {
		rev, err := f.store.Commit(ctx, req)
		if name == "no-op write" {
			if err != nil || rev.Number != 0 {
				t.Errorf("%s: %+v, %v; want nothing done", name, rev.RevisionInfo, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s accepted", name)
		}
		if ce := (*ConflictError)(nil); name == "unread file" && !errors.As(err, &ce) {
			t.Errorf("overwriting an existing file never read: %v, want a conflict", err)
		}
	}
	// A new file needs no base.
	if _, err := f.store.Commit(ctx, CommitRequest{Changes: map[string][]byte{f.path("vs/new.conf"): []byte("n\n")}, Author: "a"}); err != nil {
		t.Errorf("creating a file without a base: %v", err)
	}
	orig["vs/new.conf"] = "n\n"
	sameTree(t, "after bad requests", f.contents(t), orig)
}

func TestModesOwnersAndSymlinks(t *testing.T) {
	f := newFixture(t, initial)
	if err := os.Chmod(f.path("vs/a.conf"), 0o600); err != nil {
		t.Fatal(err)
	}
	root := os.Geteuid() == 0
	if root {
		if err := os.Chown(f.path("vs/a.conf"), 1234, 5678); err != nil {
			t.Fatal(err)
		}
	}
	// keepalived.conf is a link into a versioned directory, as config
	// management tools lay it out.
	real := f.path("real/keepalived.conf")
	if err := os.MkdirAll(filepath.Dir(real), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(f.path("keepalived.conf"), real); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, f.path("keepalived.conf")); err != nil {
		t.Fatal(err)
	}
	snap := f.read(t, "keepalived.conf", "vs/a.conf", "vs/b.conf", "vs/c.conf")
	ch := map[string][]byte{
		f.path("keepalived.conf"): []byte("linked\n"),
		f.path("vs/a.conf"):       []byte("a\n"),
		f.path("vs/b.conf"):       []byte("b\n"),
	}
	if _, err := f.store.Commit(context.Background(), CommitRequest{Base: snap.Base(), Changes: ch, Author: "t"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Commit(context.Background(), CommitRequest{Base: f.read(t, "vs/c.conf").Base(),
		Changes: map[string][]byte{f.path("vs/c.conf"): []byte("c\n")}, Author: "t", NewFileMode: 0o640}); err != nil {
		t.Fatal(err)
	}
	mode := func(rel string) os.FileMode {
		fi, err := os.Lstat(f.path(rel))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode()
	}
	if m := mode("vs/a.conf"); m.Perm() != 0o600 {
		t.Errorf("replaced file mode %v, want 0600 kept", m)
	}
	if m := mode("vs/b.conf"); m.Perm() != 0o644 {
		t.Errorf("new file mode %v, want 0644", m)
	}
	if m := mode("vs/c.conf"); m.Perm() != 0o640 {
		t.Errorf("new file mode %v, want the requested 0640", m)
	}
	if m := mode("keepalived.conf"); m&os.ModeSymlink == 0 {
		t.Errorf("keepalived.conf is no longer a symlink (%v)", m)
	}
	if b, _ := os.ReadFile(real); string(b) != "linked\n" {
		t.Errorf("link target holds %q", b)
	}
	if root {
		fi, _ := os.Stat(f.path("vs/a.conf"))
		if st := statOwner(fi); st != [2]int{1234, 5678} {
			t.Errorf("owner %v, want 1234:5678 kept", st)
		}
	}
	// The store's own files are private.
	if fi, _ := os.Stat(f.store.Dir()); fi.Mode().Perm() != 0o700 {
		t.Errorf("state dir mode %v", fi.Mode().Perm())
	}
	for _, name := range []string{AuditFile, "rev-00000001.json"} {
		if fi, err := os.Stat(filepath.Join(f.store.Dir(), name)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, %v", name, fi, err)
		}
	}
}

func TestHistoryIsBounded(t *testing.T) {
	f := newFixture(t, initial)
	s, err := Open(Options{Dir: f.store.Dir(), Keep: 3})
	if err != nil {
		t.Fatal(err)
	}
	f.store = s
	for i := 1; i <= 5; i++ {
		snap := f.read(t, "vs/a.conf")
		if _, err := f.commit(t, snap, map[string]*string{"vs/a.conf": str(strings.Repeat("x\n", i))}); err != nil {
			t.Fatal(err)
		}
	}
	h, err := s.History()
	if err != nil || len(h) != 3 || h[0].Number != 3 || h[2].Number != 5 {
		t.Fatalf("history %+v, %v", h, err)
	}
	if _, err := s.FilesAt(1); err == nil {
		t.Error("FilesAt of a pruned revision succeeded")
	}
	if _, err := s.FilesAt(0); err == nil {
		t.Error("FilesAt(0) succeeded after revision 1 was pruned")
	}
	at2, err := s.FilesAt(2) // before the oldest kept, from its Before
	if err != nil || string(at2[f.path("vs/a.conf")]) != "x\nx\n" {
		t.Errorf("FilesAt(2) = %q, %v", at2, err)
	}
	if _, err := s.Revision(2); err == nil {
		t.Error("pruned revision readable")
	}
}

func TestLockSerialisesStores(t *testing.T) {
	f := newFixture(t, initial)
	other, err := Open(Options{Dir: f.store.Dir()})
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := f.store.lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	snap := f.read(t, "vs/a.conf")
	req := CommitRequest{Base: snap.Base(), Changes: map[string][]byte{f.path("vs/a.conf"): []byte("x\n")}, Author: "other"}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := other.Commit(ctx, req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("commit while another store holds the lock: %v", err)
	}
	if b, _ := os.ReadFile(f.path("vs/a.conf")); string(b) != initial["vs/a.conf"] {
		t.Fatal("written while the lock was held")
	}
	unlock()
	if _, err := other.Commit(context.Background(), req); err != nil {
		t.Fatalf("commit after unlock: %v", err)
	}
}

func TestMaskSecrets(t *testing.T) {
	for in, want := range map[string]string{
		"+    auth_pass s3cret\n":                        "+    auth_pass ********\n",
		"-\tauth_pass \"two words\" }\n":                 "-\tauth_pass ******** }\n",
		" authentication { auth_type PASS auth_pass x }": " authentication { auth_type PASS auth_pass ******** }",
		"+  password hunter2\n":                          "+  password ********\n",
		"+  key 1 hex:00112233\n":                        "+  key 1 ********\n",
		"+  key 2 file:/etc/keys/k\n":                    "+  key 2 file:/etc/keys/k\n",
		"+  key /etc/ssl/key.pem\n":                      "+  key /etc/ssl/key.pem\n",
		"+  my_auth_pass x\n":                            "+  my_auth_pass x\n",
		"auth_pass first\n#auth_pass second\n":           "auth_pass ********\n#auth_pass ********\n",
	} {
		if got := string(MaskSecrets([]byte(in))); got != want {
			t.Errorf("MaskSecrets(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestAuditMasksSecrets checks that a password written to the config is
// in neither the audit log nor the displayed diff, yet the file and the
// history (private, needed for rollback) hold it exactly.
func TestAuditMasksSecrets(t *testing.T) {
	f := newFixture(t, map[string]string{"keepalived.conf": "vrrp_instance VI {\n  authentication {\n    auth_type PASS\n    auth_pass oldpw123\n  }\n}\n"})
	snap := f.read(t, "keepalived.conf")
	newText := "vrrp_instance VI {\n  authentication {\n    auth_type PASS\n    auth_pass newpw456\n  }\n}\n"
	rev, err := f.commit(t, snap, map[string]*string{"keepalived.conf": str(newText)})
	if err != nil {
		t.Fatal(err)
	}
	log, _ := os.ReadFile(filepath.Join(f.store.Dir(), AuditFile))
	for _, secret := range []string{"oldpw123", "newpw456"} {
		if bytes.Contains(log, []byte(secret)) {
			t.Errorf("audit log holds %s:\n%s", secret, log)
		}
		if bytes.Contains(rev.Diff(), []byte(secret)) {
			t.Errorf("diff shows %s", secret)
		}
	}
	if !bytes.Contains(log, []byte(`-    auth_pass `+Masked)) || !bytes.Contains(log, []byte(`+    auth_pass `+Masked)) {
		t.Errorf("audit diff does not show the masked change:\n%s", log)
	}
	r, _ := f.store.Revision(rev.Number)
	if string(r.Changes[0].After) != newText {
		t.Errorf("history lost the exact content")
	}
}

// TestConcurrentCommitsFromOneRead has two writers commit different
// edits computed from the same read: the lock serialises them, so exactly
// one wins and the other sees a conflict instead of overwriting it.
func TestConcurrentCommitsFromOneRead(t *testing.T) {
	f := newFixture(t, initial)
	other, err := Open(Options{Dir: f.store.Dir()})
	if err != nil {
		t.Fatal(err)
	}
	snap := f.read(t, "vs/a.conf")
	errs := make(chan error, 2)
	for i, s := range []*Store{f.store, other} {
		go func() {
			_, err := s.Commit(context.Background(), CommitRequest{Base: snap.Base(),
				Changes: map[string][]byte{f.path("vs/a.conf"): fmt.Appendf(nil, "writer %d\n", i)}, Author: "w"})
			errs <- err
		}()
	}
	var ok, conflict int
	for range 2 {
		var ce *ConflictError
		switch err := <-errs; {
		case err == nil:
			ok++
		case errors.As(err, &ce):
			conflict++
		default:
			t.Fatal(err)
		}
	}
	if ok != 1 || conflict != 1 {
		t.Errorf("%d succeeded, %d conflicted; want one each", ok, conflict)
	}
}

func TestChangesBetween(t *testing.T) {
	before := map[string][]byte{"/a": []byte("a"), "/b": []byte("b"), "/gone": []byte("g"), "/empty": {}}
	after := map[string][]byte{"/a": []byte("a"), "/b": []byte("B"), "/new": []byte("n"), "/empty": {}, "/absent": nil}
	got := ChangesBetween(before, after)
	if len(got) != 3 || string(got["/b"]) != "B" || string(got["/new"]) != "n" {
		t.Errorf("changes %q", got)
	}
	if v, ok := got["/gone"]; !ok || v != nil {
		t.Errorf("deleted file: %q, %v", v, ok)
	}
	fp := Fingerprints(after)
	if !fp["/absent"].Absent || fp["/empty"].Absent || fp["/empty"].Size != 0 || fp["/b"] != FingerprintOf([]byte("B")) {
		t.Errorf("fingerprints %v", fp)
	}
}
