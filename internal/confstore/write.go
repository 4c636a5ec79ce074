package confstore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/alived/alived/internal/atomicfile"
)

// fileStep is one file of a commit, prepared.
type fileStep struct {
	change FileChange
	// target is the file actually replaced: the path with symbolic links
	// resolved, so that a linked keepalived.conf stays a link.
	target string
	// old is how to recreate the previous file: its mode and owner.
	old atomicfile.Options
	// staged holds the new content; nil for a deletion.
	staged *atomicfile.Staged
}

// writePlan is a commit whose new contents are all staged and synced
// beside their targets, so that what remains is renames and removals.
type writePlan struct {
	s     *Store
	steps []fileStep
	// dirs are the directories created for new files, parents first.
	dirs []string
}

// prepare creates missing directories and stages every new content. On
// error nothing is left behind and no file was touched.
func (s *Store) prepare(fc []FileChange, newMode os.FileMode) (*writePlan, error) {
	p := &writePlan{s: s}
	for _, c := range fc {
		st := fileStep{change: c, target: c.Path, old: atomicfile.Options{Mode: newMode}}
		if c.Before != nil && c.After != nil {
			t, err := s.fs.EvalSymlinks(c.Path)
			if err != nil {
				return nil, p.fail(&WriteError{Path: c.Path, Err: fmt.Errorf("resolving: %w", err)})
			}
			st.target = t
		}
		if c.Before != nil {
			fi, err := s.fs.Stat(st.target)
			if err != nil {
				return nil, p.fail(&WriteError{Path: c.Path, Err: err})
			}
			st.old = s.optionsOf(fi)
		}
		if c.After != nil {
			if c.Before == nil {
				if err := p.mkdirs(filepath.Dir(st.target)); err != nil {
					return nil, p.fail(&WriteError{Path: c.Path, Err: err})
				}
			}
			staged, err := atomicfile.Stage(s.fs, st.target, c.After, st.old)
			if err != nil {
				return nil, p.fail(&WriteError{Path: c.Path, Err: err})
			}
			st.staged = staged
		}
		p.steps = append(p.steps, st)
	}
	return p, nil
}

// optionsOf keeps a replaced file's mode, and its owner when the store
// may chown.
func (s *Store) optionsOf(fi os.FileInfo) atomicfile.Options {
	o := atomicfile.Options{Mode: fi.Mode().Perm()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && s.root {
		o.Owner = &atomicfile.Owner{UID: int(st.Uid), GID: int(st.Gid)}
	}
	return o
}

// mkdirs creates dir and its missing parents (0755, as config
// directories are), recording each one created.
func (p *writePlan) mkdirs(dir string) error {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		_, err := p.s.fs.Stat(d)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) || d == filepath.Dir(d) {
			return fmt.Errorf("checking directory %s: %w", d, err)
		}
		missing = append(missing, d)
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := p.s.fs.Mkdir(missing[i], 0o755); err != nil {
			return fmt.Errorf("creating directory %s: %w", missing[i], err)
		}
		p.dirs = append(p.dirs, missing[i])
		// The new entry must be durable before a file inside it is.
		if err := p.s.fs.SyncDir(filepath.Dir(missing[i])); err != nil {
			return fmt.Errorf("syncing directory %s: %w", filepath.Dir(missing[i]), err)
		}
	}
	return nil
}

// abort removes every staged file and the directories created for them,
// returning what it could not remove.
func (p *writePlan) abort() []string {
	var left []string
	for _, st := range p.steps {
		left = append(left, abortStaged(st.staged)...)
	}
	return append(left, p.removeDirs()...)
}

func abortStaged(st *atomicfile.Staged) []string {
	if st != nil && st.Abort() != nil {
		return []string{st.Temp()}
	}
	return nil
}

// removeDirs removes the directories created for new files, returning
// those it could not remove.
func (p *writePlan) removeDirs() []string {
	var left []string
	for i := len(p.dirs) - 1; i >= 0; i-- {
		if err := p.s.fs.Remove(p.dirs[i]); err != nil && !errors.Is(err, fs.ErrNotExist) {
			left = append(left, p.dirs[i])
		}
	}
	return left
}

// fail aborts the plan and returns err with what was left behind.
func (p *writePlan) fail(err *WriteError) *WriteError {
	err.Leftovers = append(err.Leftovers, p.abort()...)
	return err
}

// replace renames every staged file over its target and removes the
// deleted ones. If a step fails, the files already replaced get their
// previous content back, and the error says which could not.
func (s *Store) replace(p *writePlan) *WriteError {
	for i, st := range p.steps {
		done, err := s.replaceOne(st)
		if err == nil {
			continue
		}
		n := i
		if done {
			n = i + 1
		}
		werr := &WriteError{Path: st.change.Path, Err: err}
		for _, rest := range p.steps[i+1:] {
			werr.Leftovers = append(werr.Leftovers, abortStaged(rest.staged)...)
		}
		for j := n - 1; j >= 0; j-- {
			if rerr := s.restore(p.steps[j]); rerr != nil {
				werr.NotRestored = append(werr.NotRestored, p.steps[j].change.Path)
				werr.Err = errors.Join(werr.Err, rerr)
			} else {
				werr.Restored = append(werr.Restored, p.steps[j].change.Path)
			}
		}
		if werr.Intact() {
			werr.Leftovers = append(werr.Leftovers, p.removeDirs()...)
		}
		return werr
	}
	return nil
}

// replaceOne performs one step; done says whether the file was changed even
// though err is set (the rename happened, the directory sync did not).
func (s *Store) replaceOne(st fileStep) (done bool, err error) {
	if st.staged != nil {
		err := st.staged.Commit()
		return err == nil || errors.Is(err, atomicfile.ErrRenamed), err
	}
	if err := s.fs.Remove(st.target); err != nil {
		return false, fmt.Errorf("deleting %s: %w", st.target, err)
	}
	if err := s.fs.SyncDir(filepath.Dir(st.target)); err != nil {
		return true, fmt.Errorf("deleting %s: syncing directory: %w", st.target, err)
	}
	return true, nil
}

// restore puts a replaced, created or deleted file back as it was.
func (s *Store) restore(st fileStep) error {
	if st.change.Before == nil {
		if err := s.fs.Remove(st.target); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing new file %s: %w", st.target, err)
		}
		return s.fs.SyncDir(filepath.Dir(st.target))
	}
	staged, err := atomicfile.Stage(s.fs, st.target, st.change.Before, st.old)
	if err != nil {
		return fmt.Errorf("restoring %s: %w", st.target, err)
	}
	if err := staged.Commit(); err != nil && !errors.Is(err, atomicfile.ErrRenamed) {
		return fmt.Errorf("restoring %s: %w", st.target, err)
	}
	return nil
}

// removeCreatedDirs removes the directories, now empty, that held a file
// this commit deleted, as long as the store created them (a revision
// still in the history says so): an operator's own directories stay.
func (s *Store) removeCreatedDirs(fc []FileChange) {
	var deleted []string
	for _, c := range fc {
		if c.After == nil {
			deleted = append(deleted, c.Path)
		}
	}
	if len(deleted) == 0 {
		return
	}
	recs, err := s.readAll()
	if err != nil {
		return
	}
	created := map[string]bool{}
	for _, r := range recs {
		for _, d := range r.Dirs {
			created[d] = true
		}
	}
	for _, p := range deleted {
		for d := filepath.Dir(p); created[d]; d = filepath.Dir(d) {
			ents, err := s.fs.ReadDir(d)
			if err != nil || len(ents) > 0 || s.fs.Remove(d) != nil {
				break
			}
		}
	}
}
