package control

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/alived/alived/config/edit"
	"github.com/alived/alived/config/ident"
)

// Op names a configuration edit.
type Op string

// The edits. Each changes only the object it names.
const (
	AddVS      Op = "add-vs"
	SetVS      Op = "set-vs"
	DeleteVS   Op = "rm-vs"
	EnableVS   Op = "enable-vs"
	DisableVS  Op = "disable-vs"
	AddRS      Op = "add-rs"
	SetRS      Op = "set-rs"
	DeleteRS   Op = "rm-rs"
	EnableRS   Op = "enable-rs"
	DisableRS  Op = "disable-rs"
	SetGlobals Op = "set-globals"
)

// Edit is one staged change of the configuration files. VS and RS name
// the object (ident syntax: "10.0.0.1:80/tcp", "fwmark:7", "group:web";
// "10.0.0.2:8080"); the spec fields carry the object's complete new
// settings for add and set.
type Edit struct {
	Op Op     `json:"op"`
	VS string `json:"vs,omitempty"`
	RS string `json:"rs,omitempty"`
	// VirtualServer is the spec for add-vs and set-vs; RealServers are
	// the first real servers of an add-vs (keepalived refuses a virtual
	// server without any).
	VirtualServer *edit.VSSpec  `json:"virtual_server,omitempty"`
	RealServers   []edit.RSSpec `json:"real_servers,omitempty"`
	// RealServer is the spec for add-rs and set-rs.
	RealServer *edit.RSSpec `json:"real_server,omitempty"`
	// Globals is the notification settings for set-globals.
	Globals *edit.Globals `json:"globals,omitempty"`
	// Disabled adds the object disabled (commented out).
	Disabled bool `json:"disabled,omitempty"`
}

// Summary is a one-line description of the edit.
func (e Edit) Summary() string {
	switch {
	case e.Op == SetGlobals:
		return string(e.Op)
	case e.RS != "":
		return fmt.Sprintf("%s %s in %s", e.Op, e.RS, e.VS)
	}
	return fmt.Sprintf("%s %s", e.Op, e.VS)
}

// Pending is the staged candidate as the API shows it.
type Pending struct {
	// Changes are the staged edits, oldest first.
	Changes []StagedChange `json:"changes"`
	// Files are the files the candidate changes.
	Files []string `json:"files"`
	// Diff is the unified diff against the files as read (secrets masked).
	Diff string `json:"diff"`
}

// view renders p for the API.
func (p *pending) view() *Pending {
	if p == nil {
		return &Pending{Changes: []StagedChange{}, Files: []string{}}
	}
	return &Pending{Changes: p.changes, Files: sortedKeys(p.changed()), Diff: p.diff()}
}

// Stage applies e to the staged candidate (starting one from the files on
// disk if none is staged), checks the result in memory as a reload would,
// and keeps it only if the daemon would accept it. On any error the
// staged candidate is as it was.
func (s *Service) Stage(ctx context.Context, who string, e Edit) (*Pending, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.current()
	if err != nil {
		return nil, err
	}
	after, err := applyEdit(p.tree, e)
	if err != nil {
		return nil, err
	}
	next := &pending{base: p.base, original: p.original, candidate: after}
	cfg, err := s.opt.Loop.CheckCandidate(ctx, next.overlay())
	if err != nil {
		return nil, candidateError(err, e.Summary())
	}
	next.cfg = cfg
	next.changes = append(append([]StagedChange(nil), p.changes...), StagedChange{Summary: e.Summary(), By: who, At: s.now()})
	if len(next.changed()) == 0 {
		// An edit that changes nothing (enabling an enabled server)
		// stages nothing.
		next.changes = p.changes
	}
	s.pending = next
	if len(next.changes) == 0 {
		s.pending = nil
	}
	s.log.Info("control: edit staged", "edit", e.Summary(), "by", who)
	return s.pending.view(), nil
}

// Pending returns the staged candidate (empty when nothing is staged).
func (s *Service) Pending() *Pending {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pending.view()
}

// Discard drops every staged edit.
func (s *Service) Discard(who string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending != nil {
		s.log.Info("control: staged edits discarded", "edits", len(s.pending.changes), "by", who)
	}
	s.pending = nil
}

// applyEdit runs one edit on t and maps the editor's refusals to kinds.
func applyEdit(t *edit.Tree, e Edit) (edit.FileSet, error) {
	var vs ident.VS
	var rs ident.RS
	var err error
	if e.Op != SetGlobals {
		if vs, err = ident.ParseVS(e.VS); err != nil {
			return nil, wrap(Invalid, err, "%s", e.Op)
		}
	}
	if e.RS != "" || e.Op == AddRS || e.Op == SetRS || e.Op == DeleteRS || e.Op == EnableRS || e.Op == DisableRS {
		if rs, err = ident.ParseRS(e.RS); err != nil {
			return nil, wrap(Invalid, err, "%s", e.Op)
		}
	}
	need := func(ok bool, field string) error {
		if !ok {
			return errorf(Invalid, "%s: %s is required", e.Op, field)
		}
		return nil
	}
	var out edit.FileSet
	switch e.Op {
	case AddVS, SetVS:
		if err := need(e.VirtualServer != nil, "virtual_server"); err != nil {
			return nil, err
		}
		spec := *e.VirtualServer
		spec.ID = vs
		if e.Op == AddVS {
			rss := make([]edit.RSSpec, len(e.RealServers))
			copy(rss, e.RealServers)
			for i := range rss {
				if !rss[i].ID.Addr.IsValid() {
					return nil, errorf(Invalid, "%s: real_servers[%d]: id (IP:PORT) is required", e.Op, i)
				}
			}
			out, err = t.AddVS(spec, rss, edit.AddOptions{Disabled: e.Disabled})
		} else {
			out, err = t.SetVS(spec)
		}
	case DeleteVS:
		out, err = t.DeleteVS(vs)
	case EnableVS:
		out, err = t.EnableVS(vs)
	case DisableVS:
		out, err = t.DisableVS(vs)
	case AddRS, SetRS:
		if err := need(e.RealServer != nil, "real_server"); err != nil {
			return nil, err
		}
		spec := *e.RealServer
		spec.ID = rs
		if e.Op == AddRS {
			out, err = t.AddRS(vs, spec, edit.AddOptions{Disabled: e.Disabled})
		} else {
			out, err = t.SetRS(vs, spec)
		}
	case DeleteRS:
		out, err = t.DeleteRS(vs, rs)
	case EnableRS:
		out, err = t.EnableRS(vs, rs)
	case DisableRS:
		out, err = t.DisableRS(vs, rs)
	case SetGlobals:
		if err := need(e.Globals != nil, "globals"); err != nil {
			return nil, err
		}
		out, err = t.SetGlobals(*e.Globals)
	default:
		return nil, errorf(Invalid, "unknown edit %q", e.Op)
	}
	if err != nil {
		return nil, editError(err)
	}
	return out, nil
}

// editError classifies an editor refusal: a read-only object is a
// conflict with the file's layout, an unknown object not found, anything
// else invalid input.
func editError(err error) error {
	switch {
	case errors.Is(err, edit.ErrReadOnly):
		return wrap(Conflict, err, "refused")
	case errors.Is(err, edit.ErrNotFound):
		return wrap(NotFound, err, "refused")
	}
	return wrap(Invalid, err, "refused")
}

// globFiles matches patterns against the keys of files only: the edited
// tree is read back from memory.
func globFiles(files edit.FileSet) func(string) ([]string, error) {
	return func(pattern string) ([]string, error) {
		var out []string
		for _, p := range sortedKeys(files) {
			if ok, err := filepath.Match(pattern, p); err != nil {
				return nil, err
			} else if ok {
				out = append(out, p)
			}
		}
		return out, nil
	}
}
