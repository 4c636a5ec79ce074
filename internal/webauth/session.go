package webauth

import (
	"crypto/rand"
	"encoding/base64"
	"sync"
	"time"
)

// maxSessions bounds the session store: logins beyond it push out the
// oldest session rather than grow memory without limit.
const maxSessions = 10000

// session is one logged-in browser.
type session struct {
	user string
	// pwHash is the password hash the session was opened with: a
	// password change ends the user's other sessions.
	pwHash        string
	created, seen time.Time
}

// sessions is the in-memory session store. IDs are 256 random bits; a
// restart logs everybody out, which is the safe default.
type sessions struct {
	now            func() time.Time
	idle, absolute time.Duration

	mu sync.Mutex
	m  map[string]*session
}

func newSessions(now func() time.Time, idle, absolute time.Duration) *sessions {
	return &sessions{now: now, idle: idle, absolute: absolute, m: map[string]*session{}}
}

// create opens a session and returns its ID.
func (s *sessions) create(user, pwHash string) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	id := base64.RawURLEncoding.EncodeToString(raw)
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(now)
	if len(s.m) >= maxSessions {
		var oldest string
		for k, v := range s.m {
			if oldest == "" || v.created.Before(s.m[oldest].created) {
				oldest = k
			}
		}
		delete(s.m, oldest)
	}
	s.m[id] = &session{user: user, pwHash: pwHash, created: now, seen: now}
	return id, nil
}

// expired reports whether v has been idle too long or lived too long.
func (s *sessions) expired(v *session, now time.Time) bool {
	return now.Sub(v.seen) >= s.idle || now.Sub(v.created) >= s.absolute
}

// sweep drops expired sessions; called with mu held.
func (s *sessions) sweep(now time.Time) {
	for k, v := range s.m {
		if s.expired(v, now) {
			delete(s.m, k)
		}
	}
}

// get returns a live session and marks it used; an expired one is
// dropped.
func (s *sessions) get(id string) (session, bool) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[id]
	if !ok {
		return session{}, false
	}
	if s.expired(v, now) {
		delete(s.m, id)
		return session{}, false
	}
	v.seen = now
	return *v, true
}

// remove ends a session (logout, or a session whose user went away).
func (s *sessions) remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
}
