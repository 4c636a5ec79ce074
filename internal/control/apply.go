package control

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/alived/alived/config/edit"
	"github.com/alived/alived/internal/confstore"
	"github.com/alived/alived/status"
)

// Plan is what applying a candidate would do: the file diff and the
// daemon's preview of the reload.
type Plan struct {
	// Changes are the staged edits (none for a plan of a given file).
	Changes []StagedChange `json:"changes"`
	Files   []string       `json:"files"`
	Diff    string         `json:"diff"`
	// Preview is the reload's effect (VRRP instances, IPVS operations,
	// checks, notifier).
	Preview *status.Preview `json:"preview"`
}

// ApplyResult is a successful apply or rollback.
type ApplyResult struct {
	// Revision is the history revision written (0 when no file changed).
	Revision int      `json:"revision"`
	Files    []string `json:"files"`
	// Preview is the effect the last plan of this candidate showed (none
	// when it was applied without a plan: apply does not compute one).
	Preview *status.Preview `json:"preview,omitempty"`
}

// PlanPending previews the staged candidate.
func (s *Service) PlanPending(ctx context.Context) (*Plan, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending == nil {
		return nil, errorf(Invalid, "nothing is staged: stage edits first, or plan a file")
	}
	pv, err := s.opt.Loop.Candidate(ctx, s.pending.overlay())
	if err != nil {
		return nil, candidateError(err, "plan")
	}
	s.pending.preview = pv
	v := s.pending.view()
	return &Plan{Changes: v.Changes, Files: v.Files, Diff: v.Diff, Preview: pv}, nil
}

// fileCandidate is a whole configuration file given by path, standing in
// for the main keepalived.conf.
func (s *Service) fileCandidate(path string) (*pending, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, wrap(Invalid, err, "candidate file")
	}
	snap, err := confstore.Read([]string{s.opt.ConfigFile})
	if err != nil {
		return nil, wrap(Unavailable, err, "reading %s", s.opt.ConfigFile)
	}
	main := snap[s.opt.ConfigFile]
	orig := edit.FileSet{}
	if main.Data != nil {
		orig[s.opt.ConfigFile] = main.Data
	}
	return &pending{
		base:      map[string]confstore.Fingerprint{s.opt.ConfigFile: main.Fingerprint},
		original:  orig,
		candidate: edit.FileSet{s.opt.ConfigFile: data},
		changes:   []StagedChange{{Summary: "replace " + s.opt.ConfigFile + " with " + path}},
	}, nil
}

// PlanFile previews replacing the main configuration file with the file
// at path (its includes resolve as they would in the main file's place).
func (s *Service) PlanFile(ctx context.Context, path string) (*Plan, error) {
	p, err := s.fileCandidate(path)
	if err != nil {
		return nil, err
	}
	pv, err := s.opt.Loop.Candidate(ctx, p.overlay())
	if err != nil {
		return nil, candidateError(err, "plan "+path)
	}
	v := p.view()
	return &Plan{Changes: v.Changes, Files: v.Files, Diff: v.Diff, Preview: pv}, nil
}

// Apply writes the staged candidate and reloads. If the reload refuses
// it, the files are restored and the running configuration is untouched.
func (s *Service) Apply(ctx context.Context, who, message string) (*ApplyResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending == nil {
		return nil, errorf(Invalid, "nothing is staged")
	}
	if message == "" {
		var sums []string
		for _, c := range s.pending.changes {
			sums = append(sums, c.Summary)
		}
		message = strings.Join(sums, "; ")
	}
	res, err := s.commitAndReload(ctx, s.pending, who, message)
	if err != nil {
		if KindOf(err) == Conflict {
			// The files moved under the staged edits: they no longer
			// apply to what is on disk.
			s.pending = nil
		}
		return nil, err
	}
	s.pending = nil
	return res, nil
}

// ApplyFile replaces the main configuration file with the file at path,
// through the same checks, history and reload as staged edits.
func (s *Service) ApplyFile(ctx context.Context, who, path, message string) (*ApplyResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending != nil {
		return nil, errorf(Conflict, "edits are staged: apply or discard them first")
	}
	p, err := s.fileCandidate(path)
	if err != nil {
		return nil, err
	}
	if message == "" {
		message = p.changes[0].Summary
	}
	return s.commitAndReload(ctx, p, who, message)
}

// commitAndReload checks p once more, writes it (conflict-checked,
// recorded in history and the audit log) and reloads. A refused reload
// puts the previous contents back, as a revision of its own.
func (s *Service) commitAndReload(ctx context.Context, p *pending, who, message string) (*ApplyResult, error) {
	if p.cfg == nil {
		// Not checked yet (a file or a rollback): check it as a stage
		// would. A staged candidate was checked when it was staged, and
		// the reload checks it again against the running state.
		cfg, err := s.opt.Loop.CheckCandidate(ctx, p.overlay())
		if err != nil {
			return nil, candidateError(err, "apply")
		}
		p.cfg = cfg
	}
	changes := p.changed()
	base := map[string]confstore.Fingerprint{}
	for path := range changes {
		// A file the edit created was read as absent; Commit treats a
		// changed file missing from the base the same way.
		base[path] = confstore.Fingerprint{Absent: true}
	}
	for path, fp := range p.base {
		base[path] = fp
	}
	rev, err := s.opt.Store.Commit(ctx, confstore.CommitRequest{Base: base, Changes: changes, Author: who, Message: message})
	if err != nil && rev.Number == 0 {
		var conflict *confstore.ConflictError
		if errors.As(err, &conflict) {
			return nil, wrap(Conflict, err, "apply")
		}
		return nil, wrap(Unavailable, err, "apply: nothing was written")
	}
	if err != nil {
		s.log.Warn("control: files written, history bookkeeping failed", "revision", rev.Number, "err", err)
	}
	res := &ApplyResult{Revision: rev.Number, Files: sortedKeys(changes), Preview: p.preview}
	if rerr := s.opt.Loop.ReloadWith(ctx, p.cfg); rerr != nil {
		return nil, s.restore(ctx, p, changes, rev.Number, rerr)
	}
	s.log.Info("control: applied", "revision", rev.Number, "by", who, "files", len(changes))
	return res, nil
}

// restore puts back the files a refused reload was given, so disk and
// running configuration agree again, and reports the refusal.
func (s *Service) restore(ctx context.Context, p *pending, written map[string][]byte, rev int, reloadErr error) error {
	back := map[string][]byte{}
	base := map[string]confstore.Fingerprint{}
	for path, now := range written {
		base[path] = confstore.FingerprintOf(now)
		back[path] = p.original[path]
	}
	_, err := s.opt.Store.Commit(ctx, confstore.CommitRequest{Base: base, Changes: back,
		Author: "alived", Message: fmt.Sprintf("restore after the reload refused revision %d", rev)})
	e := candidateError(reloadErr, "apply: the reload refused the new configuration").(*Error)
	if err != nil {
		e.Msg += fmt.Sprintf("; restoring the previous files FAILED (%v): they are in history revision %d", err, rev)
		e.Kind = Unavailable
		return e
	}
	e.Msg += "; the previous files were restored and the running configuration is unchanged"
	return e
}
