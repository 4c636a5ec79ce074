package healthcheck

import (
	"strings"
	"testing"
)

// FuzzParseHexPattern: any input either errors or yields equal-length value
// and mask whose bytes round-trip through ParseHex when the mask is full.
func FuzzParseHexPattern(f *testing.F) {
	for _, s := range []string{"Ab12f 3 456 546443123", "xX 0x", "", " ", "g", "1 2 3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseHexPattern(s)
		if err != nil {
			return
		}
		if len(p.Value) != len(p.Mask) || len(p.Value) == 0 {
			t.Fatalf("%q: value %x mask %x", s, p.Value, p.Mask)
		}
		if !p.match(p.Value) {
			t.Fatalf("%q: pattern does not match its own value", s)
		}
		if !strings.ContainsAny(s, "xX") {
			b, err := ParseHex(s)
			if err != nil || string(b) != string(p.Value) {
				t.Fatalf("%q: ParseHex %x %v, pattern %x", s, b, err, p.Value)
			}
		}
	})
}

// FuzzSplitWords: no panic, and joining simple words splits back to them.
func FuzzSplitWords(f *testing.F) {
	for _, s := range []string{`/bin/check -a 'b c' "d \"e\"" f\ g`, `"`, `'`, `\`, "a\tb\nc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := SplitWords(s)
		if err != nil {
			return
		}
		for _, w := range words {
			// Re-quote each word and split again: the words must survive.
			q := "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
			again, err := SplitWords(q)
			if err != nil || len(again) != 1 || again[0] != w {
				t.Fatalf("word %q re-quoted as %s split to %q (%v)", w, q, again, err)
			}
		}
	})
}

// FuzzRegexAt: offsets never index outside the body.
func FuzzRegexAt(f *testing.F) {
	f.Add("status: OK", 0, 0)
	f.Add("", 5, 1)
	f.Fuzz(func(t *testing.T, body string, minOff, maxOff int) {
		if minOff < 0 || maxOff < 0 {
			return // rejected by compileURL
		}
		u, err := compileURL(URL{Regex: "O+", RegexMinOffset: minOff, RegexMaxOffset: maxOff})
		if err != nil {
			return
		}
		regexAt(u.re, []byte(body), u.RegexMinOffset, u.RegexMaxOffset)
	})
}
