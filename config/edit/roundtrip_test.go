package edit

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// roundTripMains lists every fixture and sample configuration: the
// project's fixtures (whose includes are read from disk), the syntax
// package's, the ILUKA tree and keepalived's samples when installed.
func roundTripMains(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, pat := range []string{"../../testdata/config/*.conf", "../syntax/testdata/*.conf", "../syntax/testdata/diff/*",
		"testdata/iluka/keepalived.conf", "/usr/share/doc/keepalived/samples/*"} {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range m {
			if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
				continue
			}
			abs, err := filepath.Abs(p)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, abs)
		}
	}
	if len(out) < 60 {
		t.Fatalf("only %d configurations found", len(out))
	}
	return out
}

// readDisk is a read hook that refuses huge files and non-regular ones.
func readDisk(p string) ([]byte, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, os.ErrInvalid
	}
	return os.ReadFile(p)
}

// TestRoundTripByteIdentical opens every configuration with its include
// tree and requires Files() to give back every file byte for byte, and a
// no-op SetVS/SetRS (the listed spec written back) on every editable
// object to change nothing.
func TestRoundTripByteIdentical(t *testing.T) {
	for _, main := range roundTripMains(t) {
		src, err := os.ReadFile(main)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := Open(main, FileSet{main: src}, readDisk, filepath.Glob)
		if err != nil {
			t.Errorf("%s: %v", main, err)
			continue
		}
		files := tr.Files()
		for p, b := range files {
			disk, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(disk, b) {
				t.Errorf("%s: %s not identical after open", main, p)
			}
		}
		for _, vs := range tr.VirtualServers() {
			if vs.ReadOnly != "" || !vs.ID.Valid() {
				continue
			}
			if _, err := vs.Spec.params(); err != nil {
				continue // a fixture with a deliberately bad value
			}
			out, err := tr.SetVS(vs.Spec)
			if err != nil {
				t.Errorf("%s: no-op SetVS %s: %v", main, vs.Name, err)
				continue
			}
			if c := changed(files, out); len(c) != 0 {
				t.Errorf("%s: no-op SetVS %s changed %v", main, vs.Name, c)
			}
			for _, rs := range vs.RealServers {
				if rs.ReadOnly != "" {
					continue
				}
				if _, err := rs.Spec.params(); err != nil {
					continue
				}
				out, err := tr.SetRS(vs.ID, rs.Spec)
				if err != nil {
					t.Errorf("%s: no-op SetRS %s: %v", main, rs.Name, err)
					continue
				}
				if c := changed(files, out); len(c) != 0 {
					t.Errorf("%s: no-op SetRS %s %s changed %v", main, vs.Name, rs.Name, c)
				}
			}
		}
	}
}

// TestFilesRebuildsFromLines guards the round trip itself: a file whose
// last line has no newline, CRLF line ends and a marker line survive.
func TestFilesRebuildsFromLines(t *testing.T) {
	src := []byte("global_defs {\r\n  router_id a\r\n}\r\n" + Marker + "virtual_server 10.0.0.1 80 {\n" + Marker + "}\nvrrp_instance X {\n}")
	tr := mustOpen(t, "/x/k.conf", FileSet{"/x/k.conf": src})
	if !bytes.Equal(tr.Files()["/x/k.conf"], src) {
		t.Fatalf("got %q", tr.Files()["/x/k.conf"])
	}
	if vs := tr.VirtualServers(); len(vs) != 1 || vs[0].Enabled {
		t.Fatalf("marker VS: %+v", vs)
	}
}
