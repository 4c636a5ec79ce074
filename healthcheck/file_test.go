package healthcheck

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFileCheck(t *testing.T) {
	p := filepath.Join(t.TempDir(), "track")
	write := func(s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		content string
		o       FileOptions
		pass    bool
		weight  WeightChange
	}{
		{"0\n", FileOptions{Weight: 0}, true, WeightChange{}},
		{"3\n", FileOptions{Weight: 0}, false, WeightChange{}},
		{"5\n", FileOptions{Weight: 2, Dynamic: true}, true, WeightChange{WeightAdd, 10}},
		{"5\n", FileOptions{Weight: 2, Reverse: true, Dynamic: true}, true, WeightChange{WeightAdd, -10}},
		{"5\n", FileOptions{Weight: 2}, true, WeightChange{}},
		{"-70000", FileOptions{Weight: 1}, false, WeightChange{}},
		{"garbage", FileOptions{Weight: 0}, true, WeightChange{}},
		{"12abc", FileOptions{Weight: 1, Dynamic: true}, true, WeightChange{WeightAdd, 12}},
	} {
		write(tc.content)
		tc.o.Path = p
		c, err := NewFile(tc.o)
		if err != nil {
			t.Fatal(err)
		}
		r := c.Check(t.Context())
		if (r.Err == nil) != tc.pass || r.Weight != tc.weight {
			t.Errorf("%q %+v: got err=%v weight=%+v, want pass=%v weight=%+v", tc.content, tc.o, r.Err, r.Weight, tc.pass, tc.weight)
		}
	}
	missing, _ := NewFile(FileOptions{Path: filepath.Join(t.TempDir(), "none")})
	mustPass(t, missing.Check(t.Context()))
	if _, err := NewFile(FileOptions{}); err == nil {
		t.Error("no path accepted")
	}
	if _, err := NewFile(FileOptions{Path: p, Weight: 70000}); err == nil {
		t.Error("weight out of range accepted")
	}
}
