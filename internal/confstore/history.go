package confstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/alived/alived/internal/atomicfile"
	"github.com/alived/alived/internal/textdiff"
)

// ErrNoRevision is wrapped by the errors for a revision the history does
// not hold (never written, or pruned).
var ErrNoRevision = errors.New("no such revision")

// RevisionInfo describes one recorded write.
type RevisionInfo struct {
	// Number counts up from 1 and is never reused while the history
	// keeps a revision.
	Number int `json:"number"`
	// Time is when the revision was recorded.
	Time time.Time `json:"time"`
	// Author is who asked for the change.
	Author string `json:"author"`
	// Message is the author's description.
	Message string `json:"message,omitempty"`
	// Files are the files changed, sorted.
	Files []string `json:"files"`
}

// FileChange is one file's content before and after a revision.
type FileChange struct {
	// Path is the file.
	Path string
	// Before is the content before the revision, nil when the file did
	// not exist.
	Before []byte
	// After is the content after the revision, nil when it was deleted.
	After []byte
}

// Revision is one recorded write with its contents.
type Revision struct {
	RevisionInfo
	// Changes are the files' contents before and after, sorted by path.
	Changes []FileChange
}

// Diff returns the unified diff of the revision, file after file, with
// secrets masked (MaskSecrets): it is what a log, a terminal or a web
// page may show. The unmasked contents are in Changes.
func (r Revision) Diff() []byte {
	var out []byte
	for _, c := range r.Changes {
		out = append(out, textdiff.File(c.Path, c.Before, c.After)...)
	}
	return MaskSecrets(out)
}

// record is a revision as stored: one JSON file per revision, written
// atomically, holding the contents exactly (base64) and the directories
// the revision created, so that deleting their last file later may
// remove them again.
type record struct {
	RevisionInfo
	Changes []storedChange `json:"changes"`
	Dirs    []string       `json:"dirs,omitempty"`
}

type storedChange struct {
	Path         string `json:"path"`
	Before       []byte `json:"before,omitempty"`
	BeforeExists bool   `json:"before_exists"`
	After        []byte `json:"after,omitempty"`
	AfterExists  bool   `json:"after_exists"`
}

func toStored(cs []FileChange) []storedChange {
	out := make([]storedChange, len(cs))
	for i, c := range cs {
		out[i] = storedChange{Path: c.Path, Before: c.Before, BeforeExists: c.Before != nil, After: c.After, AfterExists: c.After != nil}
	}
	return out
}

func (r record) revision() Revision {
	rev := Revision{RevisionInfo: r.RevisionInfo}
	for _, c := range r.Changes {
		fc := FileChange{Path: c.Path}
		if c.BeforeExists {
			fc.Before = append([]byte{}, c.Before...)
		}
		if c.AfterExists {
			fc.After = append([]byte{}, c.After...)
		}
		rev.Changes = append(rev.Changes, fc)
	}
	return rev
}

const revPrefix, revSuffix = "rev-", ".json"

func (s *Store) revPath(n int) string {
	return filepath.Join(s.dir, fmt.Sprintf("%s%08d%s", revPrefix, n, revSuffix))
}

// revNumbers lists the stored revisions, ascending.
func (s *Store) revNumbers() ([]int, error) {
	ents, err := s.fs.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("listing history in %s: %w", s.dir, err)
	}
	var out []int
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, revPrefix) || !strings.HasSuffix(name, revSuffix) {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(name, revPrefix), revSuffix))
		if err != nil || n <= 0 {
			continue
		}
		out = append(out, n)
	}
	sort.Ints(out)
	return out, nil
}

func (s *Store) writeRecord(r record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encoding revision %d: %w", r.Number, err)
	}
	st, err := atomicfile.Stage(s.fs, s.revPath(r.Number), b, atomicfile.Options{Mode: 0o600})
	if err != nil {
		return fmt.Errorf("recording revision %d: %w", r.Number, err)
	}
	if err := st.Commit(); err != nil {
		return fmt.Errorf("recording revision %d: %w", r.Number, err)
	}
	return nil
}

func (s *Store) readRecord(n int) (record, error) {
	b, err := s.fs.ReadFile(s.revPath(n))
	if errors.Is(err, fs.ErrNotExist) {
		return record{}, fmt.Errorf("revision %d is not in the history: %w", n, ErrNoRevision)
	}
	if err != nil {
		return record{}, fmt.Errorf("reading revision %d: %w", n, err)
	}
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return record{}, fmt.Errorf("decoding revision %d: %w", n, err)
	}
	return r, nil
}

func (s *Store) readAll() ([]record, error) {
	nums, err := s.revNumbers()
	if err != nil {
		return nil, err
	}
	out := make([]record, 0, len(nums))
	for _, n := range nums {
		r, err := s.readRecord(n)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// prune removes the oldest revisions beyond the store's bound.
func (s *Store) prune() error {
	nums, err := s.revNumbers()
	if err != nil {
		return err
	}
	var errs []error
	for len(nums) > s.keep {
		if err := s.fs.Remove(s.revPath(nums[0])); err != nil {
			errs = append(errs, fmt.Errorf("pruning revision %d: %w", nums[0], err))
		}
		nums = nums[1:]
	}
	return errors.Join(errs...)
}

// History lists the recorded revisions, oldest first.
func (s *Store) History() ([]RevisionInfo, error) {
	recs, err := s.readAll()
	if err != nil {
		return nil, err
	}
	out := make([]RevisionInfo, len(recs))
	for i, r := range recs {
		out[i] = r.RevisionInfo
	}
	return out, nil
}

// Revision returns revision n with its contents; its Diff method gives
// the unified diff.
func (s *Store) Revision(n int) (Revision, error) {
	r, err := s.readRecord(n)
	if err != nil {
		return Revision{}, err
	}
	return r.revision(), nil
}

// FilesAt returns the content of every file the history knows about as
// it was right after revision n; n = 0 means before the first recorded
// write (while revision 1 is still kept), and in general oldest-1 means
// before the oldest kept revision. A nil value
// means the file did not exist then. Revisions pruned from the history
// cannot be reached.
func (s *Store) FilesAt(n int) (map[string][]byte, error) {
	recs, err := s.readAll()
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		if n == 0 {
			return map[string][]byte{}, nil
		}
		return nil, fmt.Errorf("revision %d is not in the history (it is empty): %w", n, ErrNoRevision)
	}
	oldest, newest := recs[0].Number, recs[len(recs)-1].Number
	if n < oldest-1 || n > newest {
		return nil, fmt.Errorf("revision %d is not in the history (it holds %d to %d): %w", n, oldest, newest, ErrNoRevision)
	}
	// A file's content after n is its After in the newest revision at or
	// before n that touched it; a file untouched until after n had the
	// Before of the first revision that touched it.
	out := map[string][]byte{}
	for i := len(recs) - 1; i >= 0 && recs[i].Number > n; i-- {
		for _, c := range recs[i].revision().Changes {
			out[c.Path] = c.Before
		}
	}
	for _, r := range recs {
		if r.Number > n {
			break
		}
		for _, c := range r.revision().Changes {
			out[c.Path] = c.After
		}
	}
	return out, nil
}

// RollbackRequest returns the commit that puts every file the history
// knows about back to its content right after revision n (see FilesAt),
// computed against the files on disk now. The caller previews and
// validates it like any edit, sets Author, and passes it to Commit, so
// that the rollback is itself a recorded, audited revision. Changes is
// empty when the files already match.
func (s *Store) RollbackRequest(n int) (CommitRequest, error) {
	want, err := s.FilesAt(n)
	if err != nil {
		return CommitRequest{}, fmt.Errorf("rollback to revision %d: %w", n, err)
	}
	now, err := readFiles(s.fs, sortedKeys(want))
	if err != nil {
		return CommitRequest{}, fmt.Errorf("rollback to revision %d: %w", n, err)
	}
	return CommitRequest{
		Base:    now.Base(),
		Changes: ChangesBetween(now.Contents(), want),
		Message: fmt.Sprintf("rollback to revision %d", n),
	}, nil
}
