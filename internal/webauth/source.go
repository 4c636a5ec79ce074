package webauth

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"sync"
)

// userSource is the users file as the daemon reads it: re-read whenever
// its identity, size or modification time changes (alivectl writes it by
// rename), so `alivectl user ...` needs no restart.
type userSource struct {
	path string
	log  *slog.Logger

	mu    sync.Mutex
	info  os.FileInfo
	users *Users
	err   error
}

// errNoUsers is the users file's absence: the web UI and API are off.
var errNoUsers = errors.New("no users file")

// get returns the current users, errNoUsers when the file does not
// exist, or the error that made the current file unreadable (a malformed
// file logs nobody in: the daemon must not guess who may).
func (s *userSource) get() (*Users, error) {
	fi, err := os.Stat(s.path)
	s.mu.Lock()
	defer s.mu.Unlock()
	if errors.Is(err, fs.ErrNotExist) {
		s.info, s.users, s.err = nil, nil, errNoUsers
		return nil, errNoUsers
	}
	if err != nil {
		s.info, s.users, s.err = nil, nil, err
		return nil, err
	}
	if s.info != nil && os.SameFile(s.info, fi) && s.info.ModTime().Equal(fi.ModTime()) && s.info.Size() == fi.Size() {
		return s.users, s.err
	}
	s.info = fi
	s.users, s.err = LoadUsers(s.path)
	if s.err != nil {
		// Logged once per version of the file, not per request.
		s.log.Error("web: users file unusable; every login and API request is refused until it is fixed", "err", s.err)
	}
	return s.users, s.err
}
