// Package control is alived's management layer: the one set of
// operations that alivectl, the control socket and the web UI drive.
// It stages edits of the operator's keepalived.conf tree (config/edit),
// checks and previews the candidate in memory through the daemon's loop,
// writes it with the config store (history, conflict detection, audit)
// and reloads, restoring the files when the reload refuses them; and it
// passes runtime overrides (drain, maint, weight) to the loop.
//
// The Service holds no daemon state besides the staged candidate:
// everything it changes goes through the Loop (typed commands into the
// daemon's event loop) or the config store (the disk).
package control

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/alived/alived/config"
	"github.com/alived/alived/config/edit"
	"github.com/alived/alived/internal/confstore"
	"github.com/alived/alived/internal/textdiff"
	"github.com/alived/alived/status"
)

// Loop is the daemon as the Service drives it; *daemon.Daemon implements
// it. Every method runs as a command on the daemon's event loop.
type Loop interface {
	// Reload reloads the configuration from disk as a diff (SIGHUP).
	Reload(ctx context.Context) error
	// Candidate reads the configuration with ov laid over the disk as a
	// reload would, and previews what applying it would change. A
	// candidate the daemon would refuse is an error carrying its
	// diagnostics (Diagnosed).
	Candidate(ctx context.Context, ov config.Overlay) (*status.Preview, error)
	// CheckCandidate is Candidate without the preview; the configuration
	// it returns is what ReloadWith takes once the files hold ov.
	CheckCandidate(ctx context.Context, ov config.Overlay) (*config.Config, error)
	// ReloadWith reloads to cfg (read by CheckCandidate from exactly the
	// files now on disk) as a diff, refusing what a reload would refuse.
	ReloadWith(ctx context.Context, cfg *config.Config) error
}

// Diagnosed is implemented by errors that carry configuration
// diagnostics ("file:line: severity: message"), such as the daemon's
// ConfigError.
type Diagnosed interface {
	error
	Diags() []string
}

// Options configure a Service.
type Options struct {
	// ConfigFile is the main keepalived.conf.
	ConfigFile string
	Loop       Loop
	Store      *confstore.Store
	Logger     *slog.Logger
	// Now is the clock (time.Now if nil).
	Now func() time.Time
}

// Service carries out management operations. Its methods are safe for
// concurrent use; edits, applies and rollbacks are serialised.
type Service struct {
	opt Options
	log *slog.Logger
	now func() time.Time

	mu      sync.Mutex
	pending *pending
}

// pending is the staged candidate: the files as read from disk (with the
// fingerprints a commit checks), the files with every staged edit applied,
// the tree over them, and what each edit was.
type pending struct {
	base      map[string]confstore.Fingerprint
	original  edit.FileSet
	candidate edit.FileSet
	// tree is the editor's view of candidate, opened when an edit or a
	// listing needs it (nil until then: an apply needs none).
	tree    *edit.Tree
	changes []StagedChange
	// cfg is the candidate as the daemon read and accepted it at the
	// last stage; apply reloads to it instead of parsing the files again.
	cfg *config.Config
	// preview is the last plan's preview of this candidate.
	preview *status.Preview
}

// StagedChange is one staged edit as the pending list shows it.
type StagedChange struct {
	// Summary says what the edit does ("add-rs 10.0.0.2:80 to 10.0.0.1:80/tcp").
	Summary string    `json:"summary"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
}

// New returns a Service.
func New(opt Options) *Service {
	s := &Service{opt: opt, log: opt.Logger, now: opt.Now}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Reload reloads the configuration from disk (what SIGHUP does).
func (s *Service) Reload(ctx context.Context) error { return s.opt.Loop.Reload(ctx) }

// readTree opens the configuration tree on disk, recording every file it
// reads with its fingerprint (the base a commit is checked against).
func (s *Service) readTree() (*edit.Tree, map[string]confstore.Fingerprint, error) {
	base := map[string]confstore.Fingerprint{}
	read := func(path string) ([]byte, error) {
		snap, err := confstore.Read([]string{path})
		if err != nil {
			return nil, err
		}
		for p, f := range snap {
			base[p] = f.Fingerprint
			if f.Data == nil {
				return nil, fs.ErrNotExist
			}
			return f.Data, nil
		}
		return nil, fs.ErrNotExist
	}
	t, err := edit.Open(s.opt.ConfigFile, nil, read, filepath.Glob)
	if err != nil {
		return nil, nil, wrap(Unavailable, err, "reading %s", s.opt.ConfigFile)
	}
	return t, base, nil
}

// current returns the tree edits apply to: the staged candidate, or the
// files on disk as a fresh (not yet stored) pending state.
func (s *Service) current() (*pending, error) {
	if p := s.pending; p != nil {
		if p.tree == nil {
			t, err := edit.Open(s.opt.ConfigFile, p.candidate, nil, globFiles(p.candidate))
			if err != nil {
				return nil, wrap(Unavailable, err, "reading the staged files back")
			}
			p.tree = t
		}
		return p, nil
	}
	t, base, err := s.readTree()
	if err != nil {
		return nil, err
	}
	files := t.Files()
	return &pending{base: base, original: files, candidate: files, tree: t}, nil
}

// changed returns the files whose candidate content differs from what
// was read (nil value: deleted).
func (p *pending) changed() map[string][]byte {
	out := map[string][]byte{}
	for path, b := range p.candidate {
		if o, ok := p.original[path]; !ok || string(o) != string(b) {
			out[path] = b
		}
	}
	for path := range p.original {
		if _, ok := p.candidate[path]; !ok {
			out[path] = nil
		}
	}
	return out
}

// diff is the unified diff of the staged candidate against the files as
// read, secrets masked.
func (p *pending) diff() string {
	var b strings.Builder
	ch := p.changed()
	for _, path := range sortedKeys(ch) {
		b.Write(textdiff.File(path, p.original[path], ch[path]))
	}
	return string(confstore.MaskSecrets([]byte(b.String())))
}

// overlay is the candidate as config.Check reads it.
func (p *pending) overlay() config.Overlay { return edit.Overlay(p.original, p.candidate) }

// candidateError turns the loop's refusal of a candidate into a Rejected
// error with its diagnostics.
func candidateError(err error, what string) error {
	e := &Error{Kind: Rejected, Msg: what + ": the configuration would be refused", Err: err}
	var d Diagnosed
	if errors.As(err, &d) {
		e.Diagnostics = d.Diags()
		e.Err = nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		e.Kind = Unavailable
	}
	return e
}

// sortedKeys is the keys of m in order, for stable output.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
