package bfd

import (
	"errors"
	"testing"
	"time"
)

// pair runs two sessions over a lossless in-memory link with a fake clock:
// each packet arrives delay after it was sent.
type pair struct {
	t       *testing.T
	now     time.Time
	s       [2]*Session
	alive   [2]bool
	inbox   [2][]arrival
	history [2][]State
}

type arrival struct {
	at time.Time
	p  Packet
}

const delay = 100 * time.Microsecond

func newPair(t *testing.T, a, b Config) *pair {
	pr := &pair{t: t, now: t0, alive: [2]bool{true, true}}
	pr.s[0], pr.s[1] = newSession(t, a), newSession(t, b)
	for i := range pr.s {
		pr.history[i] = []State{StateDown}
		pr.s[i].Start(pr.now)
		pr.collect(i)
	}
	return pr
}

func (pr *pair) collect(i int) {
	for _, a := range pr.s[i].Ready() {
		switch a.Kind {
		case ActSend:
			if pr.alive[i] {
				pr.inbox[1-i] = append(pr.inbox[1-i], arrival{pr.now.Add(delay), a.Packet})
			}
		case ActState:
			pr.history[i] = append(pr.history[i], a.To)
		}
	}
}

// run advances the clock to until, processing every timer and arrival in
// time order.
func (pr *pair) run(until time.Time) {
	for {
		next := until
		for i := range pr.s {
			if !pr.alive[i] {
				continue
			}
			if d := pr.s[i].NextDeadline(); !d.IsZero() && d.Before(next) {
				next = d
			}
			if len(pr.inbox[i]) > 0 && pr.inbox[i][0].at.Before(next) {
				next = pr.inbox[i][0].at
			}
		}
		pr.now = next
		for i := range pr.s {
			if !pr.alive[i] {
				pr.inbox[i] = nil
				continue
			}
			for len(pr.inbox[i]) > 0 && !pr.inbox[i][0].at.After(pr.now) {
				p := pr.inbox[i][0].p
				pr.inbox[i] = pr.inbox[i][1:]
				if err := pr.s[i].Step(pr.now, &p, 255); err != nil && !errors.Is(err, ErrAdminDown) {
					pr.t.Fatalf("session %d dropped %s: %v", i, p.String(), err)
				}
				pr.collect(i)
			}
			pr.s[i].Tick(pr.now)
			pr.collect(i)
		}
		if !pr.now.Before(until) {
			return
		}
	}
}

func TestPairComesUpAndDetectsDeath(t *testing.T) {
	pr := newPair(t, cfg("a", 1), cfg("b", 2))
	pr.run(t0.Add(3 * time.Second))
	for i := range pr.s {
		if pr.s[i].State() != StateUp {
			t.Fatalf("session %d is %v after 3s (history %v)", i, pr.s[i].State(), pr.history[i])
		}
	}
	// Up, the sessions stay Up: no spurious expiry over 10 s.
	n := len(pr.history[0])
	pr.run(pr.now.Add(10 * time.Second))
	if len(pr.history[0]) != n {
		t.Fatalf("flapped while both alive: %v", pr.history[0])
	}
	// b dies: a goes Down within the detection time (5 x 10 ms) of b's
	// last packet.
	pr.alive[1] = false
	died := pr.now
	for pr.s[0].State() == StateUp && pr.now.Sub(died) < time.Second {
		pr.run(pr.now.Add(time.Millisecond))
	}
	if pr.s[0].State() != StateDown || pr.s[0].Status().Diag != DiagDetectionExpired {
		t.Fatalf("a is %v after b died", pr.s[0].State())
	}
	if took := pr.now.Sub(died); took > 51*time.Millisecond {
		t.Fatalf("detection took %v, want <= 50ms", took)
	}
	// b comes back (restarted: new discriminator): Up again.
	pr.alive[1] = true
	pr.s[1] = newSession(t, cfg("b", 3))
	pr.s[1].Start(pr.now)
	pr.collect(1)
	pr.run(pr.now.Add(3 * time.Second))
	if pr.s[0].State() != StateUp || pr.s[1].State() != StateUp {
		t.Fatalf("after restart: %v %v", pr.s[0].State(), pr.s[1].State())
	}
}

func TestPairWithPassiveSide(t *testing.T) {
	b := cfg("b", 2)
	b.Passive = true
	pr := newPair(t, cfg("a", 1), b)
	pr.run(t0.Add(3 * time.Second))
	if pr.s[0].State() != StateUp || pr.s[1].State() != StateUp {
		t.Fatalf("active/passive: %v %v", pr.s[0].State(), pr.s[1].State())
	}
}

func TestPairStopSignalsNeighbor(t *testing.T) {
	pr := newPair(t, cfg("a", 1), cfg("b", 2))
	pr.run(t0.Add(3 * time.Second))
	pr.s[1].Stop(pr.now)
	pr.collect(1)
	pr.run(pr.now.Add(time.Millisecond))
	if pr.s[0].State() != StateDown || pr.s[0].Status().Diag != DiagNeighborSignaledDown {
		t.Fatalf("a is %v (%v) after b stopped", pr.s[0].State(), pr.s[0].Status().Diag)
	}
}
