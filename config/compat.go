package config

import (
	"fmt"
	"strings"
)

// Markers delimiting the generated compatibility section in README.md.
const (
	CompatBegin = "<!-- compat:begin -->"
	CompatEnd   = "<!-- compat:end -->"
)

// CompatTable renders the keyword registry as the Markdown that goes
// between CompatBegin and CompatEnd in README.md (markers excluded).
func CompatTable() string {
	kws := Keywords()
	counts := map[Status]int{}
	for _, k := range kws {
		counts[k.Status]++
	}
	var b strings.Builder
	b.WriteString("<!-- generated from the keyword registry in package config by `go run ./config/internal/compatgen`; do not edit -->\n")
	fmt.Fprintf(&b, "%d keywords: %d supported (the runtime acts on them), %d parsed (accepted, validated and kept in the model, but nothing at run time changes because of it), %d not yet (accepted, then ignored with a warning or refused by the daemon, as the notes say).\n",
		len(kws), counts[StatusSupported], counts[StatusParsed], counts[StatusNotYet])
	b.WriteString("\"not in 2.2.7\" marks keywords that keepalived 2.2.7 (Debian 12) rejects; alived accepts them as newer keepalived does.\n\n")
	b.WriteString("| block | keyword | status | notes |\n|---|---|---|---|\n")
	for _, k := range kws {
		block := k.Block
		if block == "" {
			block = "(top level)"
		}
		var notes []string
		if k.AliasOf != "" {
			notes = append(notes, "alias of `"+k.AliasOf+"`")
		}
		if k.NotIn227 {
			notes = append(notes, "not in 2.2.7")
		}
		if k.Note != "" {
			notes = append(notes, k.Note)
		}
		if k.Owner != "" && k.Status == StatusParsed {
			notes = append(notes, "for "+k.Owner)
		}
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s |\n", block, k.Name, k.Status, strings.Join(notes, "; "))
	}
	return b.String()
}

// ReplaceCompatSection returns readme with the text between the markers
// replaced by CompatTable; ok is false when the markers are missing.
func ReplaceCompatSection(readme string) (string, bool) {
	i := strings.Index(readme, CompatBegin)
	j := strings.Index(readme, CompatEnd)
	if i < 0 || j < i {
		return readme, false
	}
	return readme[:i+len(CompatBegin)] + "\n" + CompatTable() + readme[j:], true
}
