package control

import (
	"context"
	"errors"
	"fmt"

	"github.com/alived/alived/config/edit"
	"github.com/alived/alived/internal/confstore"
)

// RevisionDetail is one history revision with its diff.
type RevisionDetail struct {
	confstore.RevisionInfo
	// Diff is the unified diff of the revision, secrets masked.
	Diff string `json:"diff"`
}

// History lists the recorded revisions, oldest first.
func (s *Service) History() ([]confstore.RevisionInfo, error) {
	h, err := s.opt.Store.History()
	if err != nil {
		return nil, wrap(Unavailable, err, "history")
	}
	if h == nil {
		h = []confstore.RevisionInfo{}
	}
	return h, nil
}

// Revision returns revision n with its diff.
func (s *Service) Revision(n int) (*RevisionDetail, error) {
	r, err := s.opt.Store.Revision(n)
	if err != nil {
		if errors.Is(err, confstore.ErrNoRevision) {
			return nil, wrap(NotFound, err, "revision %d", n)
		}
		return nil, wrap(Unavailable, err, "revision %d", n)
	}
	return &RevisionDetail{RevisionInfo: r.RevisionInfo, Diff: string(r.Diff())}, nil
}

// rollbackCandidate is the change that puts the files back to how they
// were right after revision n.
func (s *Service) rollbackCandidate(n int) (*pending, error) {
	req, err := s.opt.Store.RollbackRequest(n)
	if err != nil {
		if errors.Is(err, confstore.ErrNoRevision) {
			return nil, wrap(NotFound, err, "rollback")
		}
		return nil, wrap(Unavailable, err, "rollback")
	}
	snap, err := confstore.Read(sortedKeys(req.Base))
	if err != nil {
		return nil, wrap(Unavailable, err, "rollback")
	}
	p := &pending{base: req.Base, original: edit.FileSet{}, candidate: edit.FileSet{},
		changes: []StagedChange{{Summary: fmt.Sprintf("rollback to revision %d", n)}}}
	for path, f := range snap {
		if f.Data != nil {
			p.original[path] = f.Data
			p.candidate[path] = f.Data
		}
	}
	for path, b := range req.Changes {
		if b == nil {
			delete(p.candidate, path)
		} else {
			p.candidate[path] = b
		}
	}
	return p, nil
}

// PlanRollback previews a rollback to revision n.
func (s *Service) PlanRollback(ctx context.Context, n int) (*Plan, error) {
	p, err := s.rollbackCandidate(n)
	if err != nil {
		return nil, err
	}
	pv, err := s.opt.Loop.Candidate(ctx, p.overlay())
	if err != nil {
		return nil, candidateError(err, fmt.Sprintf("rollback to revision %d", n))
	}
	v := p.view()
	return &Plan{Changes: v.Changes, Files: v.Files, Diff: v.Diff, Preview: pv}, nil
}

// Rollback puts the files back to how they were right after revision n,
// through the same check, history and reload as an apply (the rollback is
// a revision of its own). Staged edits must be applied or discarded first.
func (s *Service) Rollback(ctx context.Context, who string, n int) (*ApplyResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending != nil {
		return nil, errorf(Conflict, "edits are staged: apply or discard them before a rollback")
	}
	p, err := s.rollbackCandidate(n)
	if err != nil {
		return nil, err
	}
	return s.commitAndReload(ctx, p, who, p.changes[0].Summary)
}

// AuditLog returns the last limit records of the audit log, newest first:
// every write, conflict, failed write and override, with who did it.
func (s *Service) AuditLog(limit int) ([]confstore.AuditRecord, error) {
	r, err := s.opt.Store.AuditLog(limit)
	if err != nil {
		return nil, wrap(Unavailable, err, "audit log")
	}
	return r, nil
}
