package config

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/alived/alived/config/syntax"
)

// Overlay is an in-memory change to the file tree a configuration is read
// from: a candidate (an edit not yet written, a file an operator uploads)
// is checked exactly as the files on disk would be, includes and globs
// included, without writing anything. The zero Overlay changes nothing.
//
// Relative paths are taken from the working directory when Check runs, as
// the parser takes them.
type Overlay struct {
	// Files replace files on disk or add new ones: path → content.
	Files map[string][]byte
	// Deleted are files that read as missing even if they exist on disk.
	Deleted []string
}

// empty reports whether o changes nothing.
func (o Overlay) empty() bool { return len(o.Files) == 0 && len(o.Deleted) == 0 }

// apply makes lo read through o: the parser's ReadFile and Glob and the
// main file's Stat see the overlay first and fall back to lo's own hooks
// (or the disk).
func (o Overlay) apply(lo *LoadOptions) {
	if o.empty() {
		return
	}
	v := newOverlayFS(o, lo.Syntax.ReadFile, lo.Syntax.Glob, lo.Stat)
	lo.Syntax.ReadFile, lo.Syntax.Glob, lo.Stat = v.readFile, v.glob, v.stat
}

// overlayFS is the file view of an Overlay over a fallback.
type overlayFS struct {
	cwd     string
	files   map[string][]byte // absolute, cleaned path → content
	deleted map[string]bool
	// dirs are the directories that exist because an overlay file is in
	// them (every ancestor of every file).
	dirs map[string]bool

	readFallback func(string) ([]byte, error)
	globFallback func(string) ([]string, error)
	statFallback func(string) (fs.FileInfo, error)
}

func newOverlayFS(o Overlay, read func(string) ([]byte, error), glob func(string) ([]string, error), stat func(string) (fs.FileInfo, error)) *overlayFS {
	cwd, err := os.Getwd()
	if err != nil {
		cwd = "/"
	}
	if read == nil {
		read = syntax.ReadConfigFile
	}
	if glob == nil {
		glob = filepath.Glob
	}
	if stat == nil {
		stat = os.Stat
	}
	v := &overlayFS{cwd: cwd, files: map[string][]byte{}, deleted: map[string]bool{}, dirs: map[string]bool{},
		readFallback: read, globFallback: glob, statFallback: stat}
	for _, p := range o.Deleted {
		v.deleted[v.abs(p)] = true
	}
	for p, data := range o.Files {
		k := v.abs(p)
		v.files[k] = data
		delete(v.deleted, k)
		for d := filepath.Dir(k); !v.dirs[d]; d = filepath.Dir(d) {
			v.dirs[d] = true
			if d == "/" {
				break
			}
		}
	}
	return v
}

// abs is the key of a path: absolute and cleaned.
func (v *overlayFS) abs(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(v.cwd, p)
}

func (v *overlayFS) readFile(name string) ([]byte, error) {
	k := v.abs(name)
	if data, ok := v.files[k]; ok {
		return data, nil
	}
	if v.deleted[k] {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return v.readFallback(name)
}

// glob is the disk's matches without the deleted files, plus the overlay's
// files and directories that match. The result is in the pattern's form
// (relative patterns give relative names), as filepath.Glob's is.
func (v *overlayFS) glob(pattern string) ([]string, error) {
	disk, err := v.globFallback(pattern)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(disk))
	seen := map[string]bool{}
	for _, m := range disk {
		k := v.abs(m)
		if v.deleted[k] {
			continue
		}
		seen[k] = true
		out = append(out, m)
	}
	// Cleaned like the keys: an include resolved against its file's
	// directory reads "dir/./name" ("include ./name"), which must still
	// match the overlay's "dir/name".
	abspat := filepath.Clean(pattern)
	if !filepath.IsAbs(pattern) {
		abspat = filepath.Join(v.cwd, pattern)
	}
	added := false
	for _, set := range []map[string]bool{v.dirs, keys(v.files)} {
		for k := range set {
			if seen[k] {
				continue
			}
			ok, err := filepath.Match(abspat, k)
			if err != nil {
				return nil, fmt.Errorf("overlay: %w", err)
			}
			if !ok {
				continue
			}
			seen[k] = true
			added = true
			name := k
			if !filepath.IsAbs(pattern) {
				if rel, err := filepath.Rel(v.cwd, k); err == nil {
					name = rel
				}
			}
			out = append(out, name)
		}
	}
	if added {
		// With nothing added the disk's order stands untouched.
		slices.Sort(out)
	}
	return out, nil
}

func keys(m map[string][]byte) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

func (v *overlayFS) stat(name string) (fs.FileInfo, error) {
	k := v.abs(name)
	if data, ok := v.files[k]; ok {
		return overlayInfo{name: filepath.Base(k), size: int64(len(data)), mode: 0o644}, nil
	}
	if v.dirs[k] {
		return overlayInfo{name: filepath.Base(k), mode: fs.ModeDir | 0o755}, nil
	}
	if v.deleted[k] {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	return v.statFallback(name)
}

// overlayInfo describes an overlay file: a regular, non-executable file,
// which is what keepalived reads.
type overlayInfo struct {
	name string
	size int64
	mode fs.FileMode
}

func (i overlayInfo) Name() string       { return i.name }
func (i overlayInfo) Size() int64        { return i.size }
func (i overlayInfo) Mode() fs.FileMode  { return i.mode }
func (i overlayInfo) ModTime() time.Time { return time.Time{} }
func (i overlayInfo) IsDir() bool        { return i.mode.IsDir() }
func (i overlayInfo) Sys() any           { return nil }
