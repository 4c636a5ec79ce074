// Package textdiff computes unified diffs (the `diff -u` format) of two
// texts. It is pure: no I/O, no clock.
//
// The line matching is Myers' O(ND) algorithm in its linear-space form
// (a bidirectional search for a middle snake, then recursion on both
// halves), so memory stays O(N+M) even for large, very different files
// and the diff is minimal.
package textdiff

import (
	"bytes"
	"strconv"
	"strings"
)

// Context is the number of unchanged lines shown around each change, as
// in `diff -u`.
const Context = 3

// DevNull is the header name of a side that does not exist (an added or
// removed file), as git and GNU diff -N write it.
const DevNull = "/dev/null"

// File returns the unified diff of one file as a configuration store
// shows it: headers "a/PATH" and "b/PATH" (a leading slash is not
// doubled), with /dev/null for a side that is nil, meaning the file does
// not exist on that side. Equal sides give nil. A file created or
// removed empty gives the two headers and no hunk.
func File(path string, old, new []byte) []byte {
	if bytes.Equal(old, new) && (old == nil) == (new == nil) {
		return nil
	}
	rel := strings.TrimPrefix(path, "/")
	a, b := "a/"+rel, "b/"+rel
	if old == nil {
		a = DevNull
	}
	if new == nil {
		b = DevNull
	}
	out := Unified(a, b, old, new)
	if out == nil {
		out = header(nil, a, b)
	}
	return out
}

// Unified returns the unified diff turning old into new, with three lines
// of context and the headers "--- oldName" and "+++ newName" (no
// timestamps), or nil when the texts are equal. A last line without a
// newline is followed by "\ No newline at end of file", as diff writes it.
func Unified(oldName, newName string, old, new []byte) []byte {
	if bytes.Equal(old, new) {
		return nil
	}
	a, b := splitLines(old), splitLines(new)
	ops := script(a, b)
	out := header(nil, oldName, newName)
	for _, h := range hunks(ops) {
		out = h.format(out, a, b)
	}
	return out
}

func header(out []byte, a, b string) []byte {
	out = append(out, "--- "+a+"\n"...)
	return append(out, "+++ "+b+"\n"...)
}

// splitLines cuts text into lines, each keeping its newline; only the
// last may lack one.
func splitLines(text []byte) [][]byte {
	var lines [][]byte
	for len(text) > 0 {
		i := bytes.IndexByte(text, '\n')
		if i < 0 {
			lines = append(lines, text)
			break
		}
		lines = append(lines, text[:i+1])
		text = text[i+1:]
	}
	return lines
}

// script returns, for every line of a and b, whether it is changed
// (deleted from a, inserted in b); the unchanged lines pair up in order.
func script(a, b [][]byte) edits {
	// Lines become small integers so the search compares ints, not bytes.
	ids := make(map[string]int)
	num := func(lines [][]byte) []int {
		out := make([]int, len(lines))
		for i, l := range lines {
			id, ok := ids[string(l)]
			if !ok {
				id = len(ids)
				ids[string(l)] = id
			}
			out[i] = id
		}
		return out
	}
	d := differ{a: num(a), b: num(b)}
	d.delA = make([]bool, len(a))
	d.insB = make([]bool, len(b))
	d.compare(0, len(a), 0, len(b))
	return edits{delA: d.delA, insB: d.insB}
}

type edits struct {
	delA, insB []bool
}

type differ struct {
	a, b       []int
	delA, insB []bool
	v1, v2     []int // search vectors, reused across the recursion
}

// compare marks the changed lines of a[x0:x1] against b[y0:y1].
func (d *differ) compare(x0, x1, y0, y1 int) {
	for x0 < x1 && y0 < y1 && d.a[x0] == d.b[y0] {
		x0++
		y0++
	}
	for x0 < x1 && y0 < y1 && d.a[x1-1] == d.b[y1-1] {
		x1--
		y1--
	}
	switch {
	case x0 == x1:
		for y := y0; y < y1; y++ {
			d.insB[y] = true
		}
	case y0 == y1:
		for x := x0; x < x1; x++ {
			d.delA[x] = true
		}
	default:
		x, y := d.middle(x0, x1, y0, y1)
		d.compare(x0, x, y0, y)
		d.compare(x, x1, y, y1)
	}
}

// middle finds a point (x, y) on a shortest edit path from (x0, y0) to
// (x1, y1) strictly inside the box, by running Myers' greedy search from
// both corners until the two frontiers meet. The box is non-empty on
// both axes and its first and last lines differ (compare strips them).
//
// Diagonal k holds the points with x-y == k in box-relative coordinates;
// v1[k] is the furthest x reached forward on k, v2[k] the furthest
// distance reached backward from the far corner on the diagonal k of
// the reversed box. Diagonals whose frontier has left the box are
// dropped from the scanned range (kstart/kend), which keeps every value
// read inside the box.
func (d *differ) middle(x0, x1, y0, y1 int) (int, int) {
	n, m := x1-x0, y1-y0
	maxD := (n + m + 1) / 2
	off := maxD
	size := 2*maxD + 2
	if cap(d.v1) < size {
		d.v1 = make([]int, size)
		d.v2 = make([]int, size)
	}
	v1, v2 := d.v1[:size], d.v2[:size]
	for i := range v1 {
		v1[i] = -1
		v2[i] = -1
	}
	v1[off+1], v2[off+1] = 0, 0
	delta := n - m
	front := delta%2 != 0 // which search can detect the overlap first
	var k1start, k1end, k2start, k2end int
	a, b := d.a, d.b
	for D := 0; D < maxD; D++ {
		for k := -D + k1start; k <= D-k1end; k += 2 {
			i := off + k
			var x int
			if k == -D || (k != D && v1[i-1] < v1[i+1]) {
				x = v1[i+1]
			} else {
				x = v1[i-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x0+x] == b[y0+y] {
				x++
				y++
			}
			v1[i] = x
			switch {
			case x > n:
				k1end += 2
			case y > m:
				k1start += 2
			case front:
				j := off + delta - k
				if j >= 0 && j < size && v2[j] != -1 && x >= n-v2[j] {
					return x0 + x, y0 + y
				}
			}
		}
		for k := -D + k2start; k <= D-k2end; k += 2 {
			i := off + k
			var x int
			if k == -D || (k != D && v2[i-1] < v2[i+1]) {
				x = v2[i+1]
			} else {
				x = v2[i-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x1-x-1] == b[y1-y-1] {
				x++
				y++
			}
			v2[i] = x
			switch {
			case x > n:
				k2end += 2
			case y > m:
				k2start += 2
			case !front:
				j := off + delta - k
				if j >= 0 && j < size && v1[j] != -1 {
					fx := v1[j]
					fy := fx - (j - off)
					if fx >= n-x {
						return x0 + fx, y0 + fy
					}
				}
			}
		}
	}
	// Unreachable for a non-empty box (the frontiers always meet by
	// maxD); splitting at a corner-free point keeps the result correct.
	return x0 + n, y0
}

// hunk is a run of changes with its surrounding context: lines a[a0:a1]
// of the old text against b[b0:b1] of the new.
type hunk struct {
	a0, a1, b0, b1 int
	ed             *edits
}

// hunks groups the changes into hunks, merging two changes whose
// unchanged gap is at most twice the context (so no line is shown twice).
func hunks(ed edits) []hunk {
	var out []hunk
	na, nb := len(ed.delA), len(ed.insB)
	i, j := 0, 0
	for i < na || j < nb {
		// Skip unchanged pairs.
		for i < na && j < nb && !ed.delA[i] && !ed.insB[j] {
			i++
			j++
		}
		if i >= na && j >= nb {
			break
		}
		// A change starts at (i, j); find where it and any change within
		// 2*Context unchanged lines of it end.
		start := Context
		if i < start {
			start = i
		}
		h := hunk{a0: i - start, b0: j - start, ed: &ed}
		for {
			for i < na && ed.delA[i] {
				i++
			}
			for j < nb && ed.insB[j] {
				j++
			}
			// (i, j) starts an unchanged run (or the end); measure it.
			run := 0
			for i+run < na && j+run < nb && !ed.delA[i+run] && !ed.insB[j+run] {
				run++
			}
			atEnd := i+run >= na && j+run >= nb
			if atEnd || run > 2*Context {
				tail := min(run, Context)
				h.a1, h.b1 = i+tail, j+tail
				i += run
				j += run
				break
			}
			i += run
			j += run
		}
		out = append(out, h)
	}
	return out
}

const noNewline = "\\ No newline at end of file\n"

func (h hunk) format(out []byte, a, b [][]byte) []byte {
	out = append(out, "@@ -"...)
	out = appendRange(out, h.a0, h.a1-h.a0)
	out = append(out, " +"...)
	out = appendRange(out, h.b0, h.b1-h.b0)
	out = append(out, " @@\n"...)
	line := func(out []byte, mark byte, l []byte) []byte {
		out = append(out, mark)
		out = append(out, l...)
		if len(l) == 0 || l[len(l)-1] != '\n' {
			out = append(out, '\n')
			out = append(out, noNewline...)
		}
		return out
	}
	i, j := h.a0, h.b0
	for i < h.a1 || j < h.b1 {
		if (i < h.a1 && h.ed.delA[i]) || (j < h.b1 && h.ed.insB[j]) {
			for ; i < h.a1 && h.ed.delA[i]; i++ {
				out = line(out, '-', a[i])
			}
			for ; j < h.b1 && h.ed.insB[j]; j++ {
				out = line(out, '+', b[j])
			}
			continue
		}
		out = line(out, ' ', a[i])
		i++
		j++
	}
	return out
}

// appendRange writes a hunk range as diff does: "start,count", with the
// count left out when it is 1 and start the line before when it is 0.
func appendRange(out []byte, start, count int) []byte {
	switch count {
	case 0:
		out = strconv.AppendInt(out, int64(start), 10)
		return append(out, ",0"...)
	case 1:
		return strconv.AppendInt(out, int64(start+1), 10)
	}
	out = strconv.AppendInt(out, int64(start+1), 10)
	out = append(out, ',')
	return strconv.AppendInt(out, int64(count), 10)
}
