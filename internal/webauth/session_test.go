package webauth

import (
	"testing"
	"time"
)

// clock is a test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time      { return c.t }
func (c *clock) add(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock               { return &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

// TestSessionExpiry: a session lives while used within the idle timeout,
// ends after the idle timeout without use, and ends at the absolute
// limit however busy it is; removal ends it at once.
func TestSessionExpiry(t *testing.T) {
	c := newClock()
	s := newSessions(c.now, 30*time.Minute, 2*time.Hour)
	busy, _ := s.create("alice", "h")
	idle, _ := s.create("bob", "h")
	gone, _ := s.create("carol", "h")
	if len(busy) < 43 || busy == idle {
		t.Fatalf("session IDs %q %q: want 256 random bits each", busy, idle)
	}
	s.remove(gone)
	if _, ok := s.get(gone); ok {
		t.Fatal("a removed session is alive")
	}
	for range 3 {
		c.add(29 * time.Minute)
		if _, ok := s.get(busy); !ok {
			t.Fatalf("a session used every 29 min expired at %v", c.t)
		}
	}
	if _, ok := s.get(idle); ok {
		t.Fatal("a session idle for 87 min is alive")
	}
	c.add(29 * time.Minute) // 116 min
	if v, ok := s.get(busy); !ok || v.user != "alice" {
		t.Fatal("busy session ended early")
	}
	c.add(5 * time.Minute) // 121 min: past the absolute limit
	if _, ok := s.get(busy); ok {
		t.Fatal("a session outlived its absolute limit")
	}
}

// TestLoginBackoff: five failures are free; then each attempt waits
// twice as long as the one before, up to the cap; success clears it.
func TestLoginBackoff(t *testing.T) {
	c := newClock()
	l := newLimiter(c.now)
	for i := range 4 {
		l.fail("ip:a")
		if w := l.wait("ip:a"); w != 0 {
			t.Fatalf("after %d failures: wait %v", i+1, w)
		}
	}
	want := time.Second
	for range 12 {
		l.fail("ip:a")
		if w := l.wait("ip:a"); w != min(want, maxBackoff) {
			t.Fatalf("wait %v, want %v", w, min(want, maxBackoff))
		}
		if l.wait("ip:b") != 0 {
			t.Fatal("one key's failures limit another")
		}
		c.add(min(want, maxBackoff))
		if l.wait("ip:a") != 0 {
			t.Fatal("still limited after the wait")
		}
		want *= 2
	}
	l.succeed("ip:a")
	l.fail("ip:a")
	if l.wait("ip:a") != 0 {
		t.Fatal("a success did not clear the failures")
	}
}
