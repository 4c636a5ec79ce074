package webauth

import (
	"sync"
	"time"
)

// Login rate limiting: the first freeFailures failed logins of a client
// address or a user name cost nothing; each one after that doubles the
// wait before the next attempt, from one second up to maxBackoff. A
// success clears the key; a key without failures for forgetAfter is
// forgotten.
const (
	freeFailures = 5
	maxBackoff   = 15 * time.Minute
	forgetAfter  = time.Hour
	// maxLimitKeys is the table size at which forgotten keys are swept
	// (live ones are kept: a flood of addresses must not reset limits).
	maxLimitKeys = 100000
)

type limitEntry struct {
	failures int
	last     time.Time
	until    time.Time
}

// limiter counts failed logins per key ("ip:…", "user:…").
type limiter struct {
	now func() time.Time

	mu sync.Mutex
	m  map[string]*limitEntry
}

func newLimiter(now func() time.Time) *limiter {
	return &limiter{now: now, m: map[string]*limitEntry{}}
}

// wait is how long key must wait before its next attempt (0: go ahead).
func (l *limiter) wait(key string) time.Duration {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.m[key]
	if e == nil || !now.Before(e.until) {
		return 0
	}
	return e.until.Sub(now)
}

// fail records a failed attempt.
func (l *limiter) fail(key string) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.m) >= maxLimitKeys {
		for k, v := range l.m {
			if now.Sub(v.last) >= forgetAfter {
				delete(l.m, k)
			}
		}
	}
	e := l.m[key]
	if e == nil || now.Sub(e.last) >= forgetAfter {
		e = &limitEntry{}
		l.m[key] = e
	}
	e.failures++
	e.last = now
	if n := e.failures - freeFailures; n >= 0 {
		d := time.Second << min(n, 20)
		e.until = now.Add(min(d, maxBackoff))
	}
}

// succeed clears key.
func (l *limiter) succeed(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, key)
}
