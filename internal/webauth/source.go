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
	// logged is the last failure logged, so each is logged once rather
	// than per request.
	logged string
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
	switch {
	case errors.Is(err, fs.ErrNotExist):
		s.info, s.users, s.err = nil, nil, errNoUsers
	case err != nil:
		s.info, s.users, s.err = nil, nil, err
	case s.info != nil && os.SameFile(s.info, fi) && s.info.ModTime().Equal(fi.ModTime()) && s.info.Size() == fi.Size():
		// Unchanged.
	default:
		s.info = fi
		s.users, s.err = LoadUsers(s.path)
	}
	msg := ""
	if s.err != nil && s.err != errNoUsers {
		msg = s.err.Error()
	}
	if msg != s.logged {
		s.logged = msg
		if msg != "" {
			s.log.Error("web: users file unusable; every login and API request is refused until it is fixed", "err", s.err)
		} else {
			s.log.Info("web: users file read", "file", s.path)
		}
	}
	return s.users, s.err
}
