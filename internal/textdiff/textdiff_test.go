package textdiff

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestUnifiedExample(t *testing.T) {
	old := "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n"
	new := "a\nb\nc\nD\ne\nf\ng\nh\ni\nj\nk"
	want := `--- a/x
+++ b/x
@@ -1,10 +1,11 @@
 a
 b
 c
-d
+D
 e
 f
 g
 h
 i
 j
+k
\ No newline at end of file
`
	if got := string(Unified("a/x", "b/x", []byte(old), []byte(new))); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestFileAddedRemoved(t *testing.T) {
	if d := File("/etc/k.conf", []byte("x\n"), []byte("x\n")); d != nil {
		t.Errorf("equal files diff %q", d)
	}
	added := string(File("/etc/k.conf", nil, []byte("x\ny\n")))
	if added != "--- /dev/null\n+++ b/etc/k.conf\n@@ -0,0 +1,2 @@\n+x\n+y\n" {
		t.Errorf("added:\n%s", added)
	}
	removed := string(File("/etc/k.conf", []byte("x\n"), nil))
	if removed != "--- a/etc/k.conf\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n" {
		t.Errorf("removed:\n%s", removed)
	}
	if empty := string(File("rel.conf", nil, []byte{})); empty != "--- /dev/null\n+++ b/rel.conf\n" {
		t.Errorf("empty file created:\n%s", empty)
	}
}

// uniqueCase builds an old text of distinct lines and a new one made of
// some of those lines in order plus new distinct lines, so the longest
// common subsequence — and therefore diff's output — is unique.
func uniqueCase(r *rand.Rand) (old, new []byte) {
	n := r.IntN(40)
	var o, nw bytes.Buffer
	fresh := 0
	for i := 0; i < n; i++ {
		fmt.Fprintf(&o, "line %d\n", i)
		switch r.IntN(6) {
		case 0: // deleted
		case 1: // replaced
			fresh++
			fmt.Fprintf(&nw, "new %d\n", fresh)
		case 2: // kept, something inserted after
			fmt.Fprintf(&nw, "line %d\n", i)
			for k := r.IntN(3) + 1; k > 0; k-- {
				fresh++
				fmt.Fprintf(&nw, "new %d\n", fresh)
			}
		default:
			fmt.Fprintf(&nw, "line %d\n", i)
		}
	}
	if r.IntN(4) == 0 {
		fresh++
		fmt.Fprintf(&nw, "new %d\n", fresh)
	}
	old, new = o.Bytes(), nw.Bytes()
	if r.IntN(5) == 0 && len(old) > 0 {
		old = old[:len(old)-1]
	}
	if r.IntN(5) == 0 && len(new) > 0 {
		new = new[:len(new)-1]
	}
	return old, new
}

// repeatCase builds texts from a small alphabet of lines, as configs
// repeat "}" and blank lines; many diffs are equally short here.
func repeatCase(r *rand.Rand) (old, new []byte) {
	alpha := []string{"}\n", "\n", "a\n", "b\n", "c\n", "real_server 1\n"}
	gen := func() []byte {
		var b bytes.Buffer
		for i := r.IntN(30); i > 0; i-- {
			b.WriteString(alpha[r.IntN(len(alpha))])
		}
		if r.IntN(5) == 0 {
			b.WriteString("tail")
		}
		return b.Bytes()
	}
	old = gen()
	if r.IntN(2) == 0 {
		return old, gen()
	}
	// a small edit of old
	lines := splitLines(old)
	for k := r.IntN(4); k > 0; k-- {
		p := r.IntN(len(lines) + 1)
		switch r.IntN(2) {
		case 0:
			lines = append(lines[:p], append([][]byte{[]byte(alpha[r.IntN(len(alpha))])}, lines[p:]...)...)
		default:
			if p < len(lines) && (p != len(lines)-1 || bytes.HasSuffix(lines[p], []byte("\n"))) {
				lines = append(lines[:p], lines[p+1:]...)
			}
		}
	}
	return old, bytes.Join(lines, nil)
}

// hunksOf drops the two header lines.
func hunksOf(d []byte) string {
	s := string(d)
	for range 2 {
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s = s[i+1:]
		}
	}
	return s
}

// TestMatchesGNUDiff runs GNU diff -u on generated cases whose diff is
// unique and requires the same hunks, byte for byte.
func TestMatchesGNUDiff(t *testing.T) {
	diff, err := exec.LookPath("diff")
	if err != nil {
		t.Skip("needs GNU diff on PATH")
	}
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(1, 2))
	cases := 300
	if testing.Short() {
		cases = 40
	}
	op, np := filepath.Join(dir, "old"), filepath.Join(dir, "new")
	for c := 0; c < cases; c++ {
		old, new := uniqueCase(r)
		if err := os.WriteFile(op, old, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(np, new, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(diff, "-u", op, np).Output()
		if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() != 1) {
			t.Fatalf("diff: %v", err)
		}
		got := Unified("a", "b", old, new)
		if hunksOf(got) != hunksOf(out) {
			t.Fatalf("case %d differs from GNU diff\nold:\n%s\nnew:\n%s\nours:\n%s\ngnu:\n%s", c, old, new, got, out)
		}
	}
}

// apply is a minimal patch applier: it checks every context and removed
// line against old and returns the patched text.
func apply(t *testing.T, old []byte, diff []byte) []byte {
	t.Helper()
	a := splitLines(old)
	lines := splitLines(diff)
	var out []byte
	pos := 0 // next line of a not yet copied
	var last []byte
	lastInOld, lastInNew := false, false
	for i := 2; i < len(lines); i++ {
		l := string(lines[i])
		switch {
		case strings.HasPrefix(l, "@@ -"):
			var a0, an, b0, bn int
			rng := strings.Fields(l)
			parse := func(s string) (int, int) {
				st, cnt, ok := strings.Cut(s[1:], ",")
				s0, _ := strconv.Atoi(st)
				c := 1
				if ok {
					c, _ = strconv.Atoi(cnt)
				}
				return s0, c
			}
			a0, an = parse(rng[1])
			b0, bn = parse(rng[2])
			_, _ = b0, bn
			start := a0 - 1
			if an == 0 {
				start = a0
			}
			if start < pos {
				t.Fatalf("hunk overlaps: %s", l)
			}
			for ; pos < start; pos++ {
				out = append(out, a[pos]...)
			}
		case l == noNewline:
			if lastInNew && bytes.HasSuffix(out, []byte("\n")) {
				out = out[:len(out)-1]
			}
			if lastInOld && pos > 0 && !bytes.Equal(a[pos-1], bytes.TrimSuffix(last, []byte("\n"))) {
				t.Fatalf("no-newline marker after a line that has one in old")
			}
		default:
			body := lines[i][1:]
			lastInOld = l[0] == ' ' || l[0] == '-'
			lastInNew = l[0] == ' ' || l[0] == '+'
			last = body
			if lastInOld {
				if pos >= len(a) || !bytes.Equal(bytes.TrimSuffix(a[pos], []byte("\n")), bytes.TrimSuffix(body, []byte("\n"))) {
					t.Fatalf("line %d of old does not match %q", pos+1, l)
				}
				pos++
			}
			if lastInNew {
				out = append(out, body...)
			}
		}
	}
	for ; pos < len(a); pos++ {
		out = append(out, a[pos]...)
	}
	return out
}

// editDistance is the O(N*M) reference: the fewest deleted plus inserted
// lines.
func editDistance(a, b [][]byte) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			if bytes.Equal(a[i-1], b[j-1]) {
				cur[j] = prev[j-1]
			} else {
				cur[j] = 1 + min(prev[j], cur[j-1])
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func changedLines(d []byte) int {
	n := 0
	for _, l := range splitLines(d)[2:] {
		if (l[0] == '-' || l[0] == '+') && !bytes.HasPrefix(l, []byte("---")) && !bytes.HasPrefix(l, []byte("+++")) {
			n++
		}
	}
	return n
}

// TestApplyReproducesAndMinimal checks on many generated pairs that
// applying the diff to the old text gives the new one and that the diff
// changes no more lines than the shortest edit script.
func TestApplyReproducesAndMinimal(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for c := 0; c < 3000; c++ {
		var old, new []byte
		if c%2 == 0 {
			old, new = repeatCase(r)
		} else {
			old, new = uniqueCase(r)
		}
		d := Unified("a", "b", old, new)
		if bytes.Equal(old, new) {
			if d != nil {
				t.Fatalf("equal texts gave a diff")
			}
			continue
		}
		if got := apply(t, old, d); !bytes.Equal(got, new) {
			t.Fatalf("case %d: patched text differs\nold:%q\nnew:%q\ngot:%q\ndiff:\n%s", c, old, new, got, d)
		}
		if got, want := changedLines(d), editDistance(splitLines(old), splitLines(new)); got != want {
			t.Fatalf("case %d: %d changed lines, shortest edit is %d\n%s", c, got, want, d)
		}
	}
}

// TestPatchTool feeds generated diffs to the system's patch(1), when it is
// there, as an independent applier.
func TestPatchTool(t *testing.T) {
	patch, err := exec.LookPath("patch")
	if err != nil {
		t.Skip("patch(1) not on PATH; the in-test applier still covers this")
	}
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(5, 6))
	f := filepath.Join(dir, "f")
	for c := 0; c < 30; c++ {
		old, new := repeatCase(r)
		if bytes.Equal(old, new) {
			continue
		}
		if err := os.WriteFile(f, old, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(patch, "-s", "--no-backup-if-mismatch", f)
		cmd.Stdin = bytes.NewReader(Unified("a/f", "b/f", old, new))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("patch: %v\n%s", err, out)
		}
		if got, _ := os.ReadFile(f); !bytes.Equal(got, new) {
			t.Fatalf("patch result %q, want %q", got, new)
		}
	}
}

// TestLargeFilesLinearMemory diffs two very different 10,000-line files;
// an O(N*M) table would need 10^8 cells.
func TestLargeFilesLinearMemory(t *testing.T) {
	var a, b bytes.Buffer
	for i := 0; i < 10000; i++ {
		fmt.Fprintf(&a, "a %d\n", i)
		if i%3 == 0 {
			fmt.Fprintf(&b, "a %d\n", i)
		} else {
			fmt.Fprintf(&b, "b %d\n", i)
		}
	}
	start := time.Now()
	d := Unified("a", "b", a.Bytes(), b.Bytes())
	if got := apply(t, a.Bytes(), d); !bytes.Equal(got, b.Bytes()) {
		t.Fatal("large diff does not apply")
	}
	t.Logf("10k lines, %d changed: %v", changedLines(d), time.Since(start))
}
