//go:build linux

package controlbench

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/alived/alived/config/edit"
	"github.com/alived/alived/config/ident"
	"github.com/alived/alived/internal/textdiff"
)

// changedLines counts the lines an edit removes and adds over every file,
// from the unified diff an operator would review.
func changedLines(before, after edit.FileSet) (files, minus, plus int) {
	seen := map[string]bool{}
	for _, set := range []edit.FileSet{before, after} {
		for p := range set {
			if seen[p] {
				continue
			}
			seen[p] = true
			d := textdiff.File(p, before[p], after[p])
			if len(d) == 0 {
				continue
			}
			files++
			for _, l := range bytes.Split(d, []byte("\n")) {
				switch {
				case bytes.HasPrefix(l, []byte("---")), bytes.HasPrefix(l, []byte("+++")):
				case bytes.HasPrefix(l, []byte("-")):
					minus++
				case bytes.HasPrefix(l, []byte("+")):
					plus++
				}
			}
		}
	}
	return files, minus, plus
}

// TestLinesChangedPerEdit reports, and bounds, how many lines on disk each
// kind of edit changes on the 1,000 × 10 benchmark file (one hand-written
// keepalived.conf of 32,000 lines): an edit touches only its object.
//
//	go test -run TestLinesChangedPerEdit -v ./bench/control/
func TestLinesChangedPerEdit(t *testing.T) {
	main := filepath.Join(t.TempDir(), "keepalived.conf")
	files := edit.FileSet{main: config()}
	tree, err := edit.Open(main, files, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	vs, _ := ident.ParseVS(vip(500).String() + ":80")
	rs, _ := ident.ParseRS(realIP(3).String() + ":80")
	newRS, _ := ident.ParseRS("10.1.1.1:80")
	newVS, _ := ident.ParseVS("10.9.0.1:80")
	w2 := uint32(2)
	var cur edit.VSInfo
	for _, v := range tree.VirtualServers() {
		if v.ID == vs {
			cur = v
		}
	}
	setVS := cur.Spec
	setVS.Scheduler = "wlc"
	setRS := cur.RealServers[3].Spec
	setRS.Weight = &w2
	check := []edit.Param{{Keyword: "HTTP_GET", IsBlock: true, Block: []edit.Param{{Keyword: "url", IsBlock: true,
		Block: []edit.Param{{Keyword: "path", Args: []string{"/health"}}, {Keyword: "status_code", Args: []string{"200"}}}}}}}
	cases := []struct {
		name           string
		do             func() (edit.FileSet, error)
		maxMinus, plus int // plus < 0: at most -plus
	}{
		{"add-rs (no check)", func() (edit.FileSet, error) {
			return tree.AddRS(vs, edit.RSSpec{ID: newRS, Weight: &w2}, edit.AddOptions{})
		}, 0, -4},
		{"add-rs with HTTP_GET", func() (edit.FileSet, error) {
			return tree.AddRS(vs, edit.RSSpec{ID: newRS, Weight: &w2, Checks: check}, edit.AddOptions{})
		}, 0, -11},
		{"set-rs weight", func() (edit.FileSet, error) { return tree.SetRS(vs, setRS) }, 1, 1},
		{"disable-rs", func() (edit.FileSet, error) { return tree.DisableRS(vs, rs) }, 3, 3},
		{"rm-rs", func() (edit.FileSet, error) { return tree.DeleteRS(vs, rs) }, 3, 0},
		{"set-vs lb_algo", func() (edit.FileSet, error) { return tree.SetVS(setVS) }, 1, 1},
		{"disable-vs", func() (edit.FileSet, error) { return tree.DisableVS(vs) }, 35, 35},
		{"rm-vs", func() (edit.FileSet, error) { return tree.DeleteVS(vs) }, 35, 0},
		{"add-vs (one real server, managed files)", func() (edit.FileSet, error) {
			return tree.AddVS(edit.VSSpec{ID: newVS, Scheduler: "rr", Method: "NAT"}, []edit.RSSpec{{ID: newRS}}, edit.AddOptions{})
		}, 0, -20},
		{"set-globals (notification_email)", func() (edit.FileSet, error) {
			return tree.SetGlobals(edit.Globals{NotificationEmail: []string{"ops@example.com"}, SMTPServer: "127.0.0.1"})
		}, 0, -6},
	}
	fmt.Fprintf(os.Stderr, "%-42s %6s %8s %8s\n", "edit (32,000-line keepalived.conf)", "files", "removed", "added")
	for _, c := range cases {
		after, err := c.do()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		f, minus, plus := changedLines(files, after)
		fmt.Fprintf(os.Stderr, "%-42s %6d %8d %8d\n", c.name, f, minus, plus)
		okPlus := plus == c.plus || (c.plus < 0 && plus > 0 && plus <= -c.plus)
		if minus > c.maxMinus || !okPlus {
			t.Errorf("%s: -%d +%d lines, want at most -%d and +%d", c.name, minus, plus, c.maxMinus, c.plus)
		}
	}
}
