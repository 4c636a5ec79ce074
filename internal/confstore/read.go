package confstore

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
)

// Fingerprint identifies one file's content as it was read, so that a
// later Commit can tell whether the file changed on disk since.
type Fingerprint struct {
	// Absent is true when the file did not exist.
	Absent bool `json:"absent,omitempty"`
	// Size is the content's length in bytes.
	Size int64 `json:"size"`
	// SHA256 is the content's SHA-256, hex-encoded.
	SHA256 string `json:"sha256,omitempty"`
}

// FingerprintOf returns the fingerprint of content; nil means an absent
// file.
func FingerprintOf(content []byte) Fingerprint {
	if content == nil {
		return Fingerprint{Absent: true}
	}
	sum := sha256.Sum256(content)
	return Fingerprint{Size: int64(len(content)), SHA256: hex.EncodeToString(sum[:])}
}

// String renders the fingerprint for error messages.
func (f Fingerprint) String() string {
	if f.Absent {
		return "absent"
	}
	h := f.SHA256
	if len(h) > 12 {
		h = h[:12]
	}
	return fmt.Sprintf("%d bytes, sha256 %s", f.Size, h)
}

// FileState is one file as Read found it.
type FileState struct {
	// Data is the content; nil when the file does not exist.
	Data []byte
	// Fingerprint is what a Commit compares the file against.
	Fingerprint Fingerprint
}

// Snapshot is a set of files as read at one time, keyed by clean absolute
// path.
type Snapshot map[string]FileState

// Base returns the fingerprints to pass as CommitRequest.Base.
func (s Snapshot) Base() map[string]Fingerprint {
	out := make(map[string]Fingerprint, len(s))
	for p, f := range s {
		out[p] = f.Fingerprint
	}
	return out
}

// Contents returns the content of every file that exists.
func (s Snapshot) Contents() map[string][]byte {
	out := make(map[string][]byte, len(s))
	for p, f := range s {
		if f.Data != nil {
			out[p] = f.Data
		}
	}
	return out
}

// Read reads the files at paths (absolute; a missing file is recorded as
// absent, not an error) and fingerprints them.
func Read(paths []string) (Snapshot, error) {
	return readFiles(osFS{}, paths)
}

func readFiles(fsys fileSystem, paths []string) (Snapshot, error) {
	out := make(Snapshot, len(paths))
	for _, p := range paths {
		clean, err := cleanPath(p)
		if err != nil {
			return nil, err
		}
		data, err := readOne(fsys, clean)
		if err != nil {
			return nil, err
		}
		out[clean] = FileState{Data: data, Fingerprint: FingerprintOf(data)}
	}
	return out, nil
}

// readOne returns the file's content, nil (not an error) when it does not
// exist, and never nil for an existing empty file.
func readOne(fsys fileSystem, path string) ([]byte, error) {
	data, err := fsys.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if data == nil {
		data = []byte{}
	}
	return data, nil
}

// cleanPath insists on absolute paths: the store's history and audit
// name files, and a relative name would depend on the caller's working
// directory.
func cleanPath(p string) (string, error) {
	if !filepath.IsAbs(p) {
		return "", fmt.Errorf("config path %q is not absolute", p)
	}
	return filepath.Clean(p), nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Fingerprints returns the fingerprint of each content (nil meaning
// absent): the Base for a commit computed from exactly these bytes, such
// as the file set a config editor was opened on.
func Fingerprints(files map[string][]byte) map[string]Fingerprint {
	out := make(map[string]Fingerprint, len(files))
	for p, c := range files {
		out[p] = FingerprintOf(c)
	}
	return out
}

// ChangesBetween returns the changes that turn the complete file set
// before into after, in CommitRequest.Changes form: a file whose content
// differs maps to its new content, a file in before that after lacks (or
// maps to nil) maps to nil, unchanged files are left out.
func ChangesBetween(before, after map[string][]byte) map[string][]byte {
	out := map[string][]byte{}
	for p, b := range before {
		if a := after[p]; a == nil && b != nil {
			out[p] = nil
		}
	}
	for p, a := range after {
		if a == nil {
			continue
		}
		if b := before[p]; b == nil || !bytes.Equal(a, b) {
			out[p] = a
		}
	}
	return out
}
