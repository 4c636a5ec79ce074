package edit

import (
	"bytes"
	"sort"

	"github.com/alived/alived/config"
)

// Overlay is what an edit changed, in the form config.Check reads a
// candidate through: the files that are new or differ in after, and the
// files of before that after no longer has.
func Overlay(before, after FileSet) config.Overlay {
	ov := config.Overlay{Files: map[string][]byte{}}
	for p, b := range after {
		if old, ok := before[p]; !ok || !bytes.Equal(old, b) {
			ov.Files[p] = b
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			ov.Deleted = append(ov.Deleted, p)
		}
	}
	sort.Strings(ov.Deleted)
	return ov
}
