package netio

import (
	"context"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/alived/alived/bfd"
)

// recorder collects a runner's state changes and lets a test wait for one.
type recorder struct {
	mu      sync.Mutex
	changes []Change
	signal  chan struct{}
}

func newRecorder() *recorder { return &recorder{signal: make(chan struct{}, 1)} }

func (r *recorder) add(c Change) {
	r.mu.Lock()
	r.changes = append(r.changes, c)
	r.mu.Unlock()
	select {
	case r.signal <- struct{}{}:
	default:
	}
}

// waitFor waits until the last change of session name is to state st and
// returns it.
func (r *recorder) waitFor(t *testing.T, name string, st bfd.State, within time.Duration) Change {
	t.Helper()
	deadline := time.After(within)
	for {
		r.mu.Lock()
		for i := len(r.changes) - 1; i >= 0; i-- {
			if c := r.changes[i]; c.Name == name {
				if c.To == st {
					r.mu.Unlock()
					return c
				}
				break
			}
		}
		r.mu.Unlock()
		select {
		case <-r.signal:
		case <-deadline:
			t.Fatalf("%s did not reach %v within %v (changes %+v)", name, st, within, r.changes)
		}
	}
}

func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

func sessionCfg(name string, self, peer string) SessionConfig {
	return SessionConfig{
		Config: bfd.Config{Name: name, DesiredMinTx: 10 * time.Millisecond, RequiredMinRx: 10 * time.Millisecond,
			IdleTx: 200 * time.Millisecond, DetectMult: 5, TTL: 255},
		Neighbor: netip.MustParseAddr(peer), Source: netip.MustParseAddr(self),
	}
}

// startRunner runs a runner bound to self until the returned cancel (or
// the test's end).
func startRunner(t *testing.T, port int, rec *recorder, c SessionConfig) (*Runner, context.CancelFunc) {
	t.Helper()
	r := NewRunner(Options{OnChange: rec.add, Port: port, ListenAddrs: []netip.Addr{c.Source},
		Rand: rand.New(rand.NewPCG(uint64(port), uint64(c.Name[0])))})
	if err := r.Configure([]SessionConfig{c}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := r.Run(ctx); err != nil {
			t.Error(err)
		}
	}()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	return r, stop
}

// TestLoopbackPair runs two runners on 127.0.0.1 and 127.0.0.2: they come
// Up, a runner that stops tells its neighbor (AdminDown), a neighbor that
// falls silent is detected after the detection time, and a restarted one
// comes Up again.
func TestLoopbackPair(t *testing.T) {
	port := freeUDPPort(t)
	ra, rb := newRecorder(), newRecorder()
	a, _ := startRunner(t, port, ra, sessionCfg("a", "127.0.0.1", "127.0.0.2"))
	_, stopB := startRunner(t, port, rb, sessionCfg("b", "127.0.0.2", "127.0.0.1"))
	ra.waitFor(t, "a", bfd.StateUp, 5*time.Second)
	rb.waitFor(t, "b", bfd.StateUp, 5*time.Second)
	// Up, both sides poll from idle_tx to min_tx; then 10 ms x 5.
	waitStatus(t, a, func(st Status) bool {
		return !st.Polling && st.RemoteMinTx == 10*time.Millisecond && st.TxInterval == 10*time.Millisecond &&
			st.DetectTime == 50*time.Millisecond
	})

	stopB()
	if c := ra.waitFor(t, "a", bfd.StateDown, time.Second); c.Diag != bfd.DiagNeighborSignaledDown {
		t.Fatalf("a went down with %v, want Neighbor Signaled Session Down", c.Diag)
	}

	rb2 := newRecorder()
	b2, _ := startRunner(t, port, rb2, sessionCfg("b", "127.0.0.2", "127.0.0.1"))
	ra.waitFor(t, "a", bfd.StateUp, 5*time.Second)
	rb2.waitFor(t, "b", bfd.StateUp, 5*time.Second)

	// b falls silent without a word: close its sending socket.
	silenced := time.Now()
	b2.reqs <- func() {
		for _, s := range b2.sessions {
			_ = s.conn.Close()
		}
	}
	c := ra.waitFor(t, "a", bfd.StateDown, time.Second)
	took := c.Time.Sub(silenced)
	t.Logf("silent neighbor detected after %v (detection time 50ms)", took)
	if c.Diag != bfd.DiagDetectionExpired {
		t.Fatalf("diag %v, want Control Detection Time Expired", c.Diag)
	}
	if took > 500*time.Millisecond {
		t.Fatalf("detection took %v", took)
	}
}

// TestReconfigureKeepsSession: same endpoint, new timers → same
// discriminator and still Up; a removed session sends AdminDown.
func TestReconfigureKeepsSession(t *testing.T) {
	port := freeUDPPort(t)
	ra, rb := newRecorder(), newRecorder()
	ca := sessionCfg("a", "127.0.0.1", "127.0.0.2")
	a, _ := startRunner(t, port, ra, ca)
	startRunner(t, port, rb, sessionCfg("b", "127.0.0.2", "127.0.0.1"))
	ra.waitFor(t, "a", bfd.StateUp, 5*time.Second)
	before := a.Status()[0].LocalDiscr
	ca.DesiredMinTx = 20 * time.Millisecond
	if err := a.Configure([]SessionConfig{ca}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, a, func(st Status) bool {
		if st.LocalDiscr != before || st.State != bfd.StateUp {
			t.Fatalf("reconfigure reset the session: %+v", st)
		}
		return st.TxInterval == 20*time.Millisecond && !st.Polling
	})
	if err := a.Configure(nil); err != nil {
		t.Fatal(err)
	}
	if c := rb.waitFor(t, "b", bfd.StateDown, time.Second); c.Diag != bfd.DiagNeighborSignaledDown {
		t.Fatalf("b: %v", c.Diag)
	}
}

// waitStatus polls the runner's only session until ok holds (the runner
// publishes no event for timer changes).
func waitStatus(t *testing.T, r *Runner, ok func(Status) bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		st := r.Status()
		if len(st) == 1 && ok(st[0]) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("status never settled: %+v", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
