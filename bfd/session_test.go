package bfd

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func cfg(name string, discr uint32) Config {
	return Config{Name: name, LocalDiscr: discr, DesiredMinTx: 10 * time.Millisecond,
		RequiredMinRx: 10 * time.Millisecond, IdleTx: time.Second, DetectMult: 5, TTL: 255}
}

func newSession(t *testing.T, c Config) *Session {
	t.Helper()
	s, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func states(acts []Action) string {
	var out []string
	for _, a := range acts {
		if a.Kind == ActState {
			out = append(out, fmt.Sprintf("%v->%v(%d)", a.From, a.To, a.Diag))
		}
	}
	return strings.Join(out, ",")
}

func sends(acts []Action) []Packet {
	var out []Packet
	for _, a := range acts {
		if a.Kind == ActSend {
			out = append(out, a.Packet)
		}
	}
	return out
}

// setState puts s into state st as if the neighbor (discriminator 99)
// had driven it there.
func setState(t *testing.T, s *Session, st State) {
	t.Helper()
	s.Start(t0)
	peer := Packet{Version: 1, DetectMult: 5, Length: 24, MyDiscr: 99, DesiredMinTx: 10 * time.Millisecond, RequiredMinRx: 10 * time.Millisecond}
	switch st {
	case StateInit:
		peer.State = StateDown
		mustStep(t, s, peer)
	case StateUp:
		peer.State = StateInit
		peer.YourDiscr = s.cfg.LocalDiscr
		mustStep(t, s, peer)
	case StateAdminDown:
		s.Stop(t0)
	}
	s.Ready()
	if s.State() != st {
		t.Fatalf("setup: state %v, want %v", s.State(), st)
	}
}

func mustStep(t *testing.T, s *Session, p Packet) {
	t.Helper()
	if err := s.Step(t0, &p, 255); err != nil {
		t.Fatalf("step %s: %v", p.String(), err)
	}
}

// TestTransitions covers every row of the RFC 5880 §6.8.6 state table
// (and the AdminDown rule) for every local state.
func TestTransitions(t *testing.T) {
	for _, tc := range []struct {
		local, remote State
		want          string
	}{
		{StateDown, StateAdminDown, ""},
		{StateDown, StateDown, "Down->Init(0)"},
		{StateDown, StateInit, "Down->Up(0)"},
		{StateDown, StateUp, ""},
		{StateInit, StateAdminDown, "Init->Down(3)"},
		{StateInit, StateDown, ""},
		{StateInit, StateInit, "Init->Up(0)"},
		{StateInit, StateUp, "Init->Up(0)"},
		{StateUp, StateAdminDown, "Up->Down(3)"},
		{StateUp, StateDown, "Up->Down(3)"},
		{StateUp, StateInit, ""},
		{StateUp, StateUp, ""},
	} {
		t.Run(fmt.Sprintf("%v/%v", tc.local, tc.remote), func(t *testing.T) {
			s := newSession(t, cfg("s", 1))
			setState(t, s, tc.local)
			p := Packet{Version: 1, State: tc.remote, DetectMult: 5, Length: 24, MyDiscr: 99, YourDiscr: 1}
			mustStep(t, s, p)
			if got := states(s.Ready()); got != tc.want {
				t.Fatalf("transitions %q, want %q", got, tc.want)
			}
		})
	}
}

func TestAdminDownDiscardsEverything(t *testing.T) {
	s := newSession(t, cfg("s", 1))
	setState(t, s, StateAdminDown)
	p := Packet{Version: 1, State: StateInit, DetectMult: 5, Length: 24, MyDiscr: 99, YourDiscr: 1}
	if err := s.Step(t0, &p, 255); !errors.Is(err, ErrAdminDown) {
		t.Fatalf("err %v, want ErrAdminDown", err)
	}
	if s.State() != StateAdminDown || len(s.Ready()) != 0 {
		t.Fatal("AdminDown session reacted to a packet")
	}
}

func TestValidateRules(t *testing.T) {
	ok := Packet{Version: 1, State: StateUp, DetectMult: 3, Length: 24, MyDiscr: 1, YourDiscr: 2}
	if err := Validate(&ok); err != nil {
		t.Fatalf("valid packet dropped: %v", err)
	}
	for _, tc := range []struct {
		name string
		mod  func(*Packet)
		want error
	}{
		{"version 0", func(p *Packet) { p.Version = 0 }, ErrVersion},
		{"version 2", func(p *Packet) { p.Version = 2 }, ErrVersion},
		{"length 23", func(p *Packet) { p.Length = 23 }, ErrLength},
		{"auth length 25", func(p *Packet) { p.Auth, p.Length = true, 25 }, ErrLength},
		{"mult 0", func(p *Packet) { p.DetectMult = 0 }, ErrDetectMult},
		{"multipoint", func(p *Packet) { p.Multipoint = true }, ErrMultipoint},
		{"my discr 0", func(p *Packet) { p.MyDiscr = 0 }, ErrMyDiscr},
		{"your 0 in Up", func(p *Packet) { p.YourDiscr = 0 }, ErrYourDiscr},
		{"your 0 in Init", func(p *Packet) { p.YourDiscr, p.State = 0, StateInit }, ErrYourDiscr},
		{"auth", func(p *Packet) { p.Auth, p.Length = true, 28 }, ErrAuth},
		{"poll+final", func(p *Packet) { p.Poll, p.Final = true, true }, ErrPollFinal},
	} {
		p := ok
		tc.mod(&p)
		if err := Validate(&p); !errors.Is(err, tc.want) {
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.want)
		}
	}
	for _, st := range []State{StateDown, StateAdminDown} {
		p := ok
		p.YourDiscr, p.State = 0, st
		if err := Validate(&p); err != nil {
			t.Errorf("your discr 0 in %v dropped: %v", st, err)
		}
	}
}

func TestCheckTTL(t *testing.T) {
	for _, tc := range []struct {
		rx, ttl, hops int
		drop          bool
	}{
		{255, 255, 0, false},
		{254, 255, 0, true},
		{254, 255, 1, false},
		{253, 255, 1, true},
		{1, 255, 255, false}, // 255 disables the check
		{0, 255, 0, false},   // not reported: not checked
		{64, 64, 0, false},
		{63, 64, 0, true},
	} {
		err := CheckTTL(tc.rx, tc.ttl, tc.hops)
		if (err != nil) != tc.drop || (err != nil && !errors.Is(err, ErrTTL)) {
			t.Errorf("CheckTTL(%d, %d, %d) = %v, drop %v", tc.rx, tc.ttl, tc.hops, err, tc.drop)
		}
	}
	s := newSession(t, cfg("s", 1))
	s.Start(t0)
	p := Packet{Version: 1, State: StateDown, DetectMult: 5, Length: 24, MyDiscr: 9}
	if err := s.Step(t0, &p, 254); !errors.Is(err, ErrTTL) {
		t.Fatalf("session accepted TTL 254 with max_hops 0: %v", err)
	}
}

func TestWrongDiscriminator(t *testing.T) {
	s := newSession(t, cfg("s", 1))
	s.Start(t0)
	p := Packet{Version: 1, State: StateInit, DetectMult: 5, Length: 24, MyDiscr: 9, YourDiscr: 2}
	if err := s.Step(t0, &p, 255); !errors.Is(err, ErrNoSession) {
		t.Fatalf("err %v, want ErrNoSession", err)
	}
}

// TestTimerNegotiation: the transmit interval is the larger of the local
// desired min TX and the remote required min RX; detection uses the
// remote multiplier times the larger of local required min RX and remote
// desired min TX.
func TestTimerNegotiation(t *testing.T) {
	for _, tc := range []struct {
		localTx, localRx, remoteTx, remoteRx time.Duration
		remoteMult                           uint8
		wantTx, wantDetect                   time.Duration
	}{
		{10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond, 5, 10 * time.Millisecond, 50 * time.Millisecond},
		{10 * time.Millisecond, 10 * time.Millisecond, 300 * time.Millisecond, 50 * time.Millisecond, 3, 50 * time.Millisecond, 900 * time.Millisecond},
		{100 * time.Millisecond, 200 * time.Millisecond, 20 * time.Millisecond, 30 * time.Millisecond, 4, 100 * time.Millisecond, 800 * time.Millisecond},
		{5 * time.Millisecond, 5 * time.Millisecond, 5 * time.Millisecond, 5 * time.Millisecond, 1, 5 * time.Millisecond, 5 * time.Millisecond},
	} {
		c := cfg("s", 1)
		c.DesiredMinTx, c.RequiredMinRx = tc.localTx, tc.localRx
		s := newSession(t, c)
		s.Start(t0)
		if s.TxInterval() != time.Second {
			t.Fatalf("before hearing the neighbor: tx %v, want idle_tx 1s", s.TxInterval())
		}
		p := Packet{Version: 1, State: StateDown, DetectMult: tc.remoteMult, Length: 24, MyDiscr: 9,
			DesiredMinTx: tc.remoteTx, RequiredMinRx: tc.remoteRx}
		mustStep(t, s, p)
		if s.TxInterval() != tc.wantTx || s.DetectionTime() != tc.wantDetect {
			t.Errorf("%+v: tx %v detect %v, want %v %v", tc, s.TxInterval(), s.DetectionTime(), tc.wantTx, tc.wantDetect)
		}
	}
}

// TestDetectionExpiry: an Up session that hears nothing for the detection
// time goes Down with diag 1, forgets the remote discriminator and falls
// back to idle_tx.
func TestDetectionExpiry(t *testing.T) {
	s := newSession(t, cfg("s", 1))
	setState(t, s, StateUp)
	if got := s.NextDeadline(); got.IsZero() {
		t.Fatal("no deadline while Up")
	}
	s.Tick(t0.Add(49 * time.Millisecond))
	if s.State() != StateUp {
		t.Fatal("expired before 5 x 10ms")
	}
	s.Ready()
	s.Tick(t0.Add(50 * time.Millisecond))
	if got := states(s.Ready()); got != "Up->Down(1)" {
		t.Fatalf("transitions %q, want Up->Down(1)", got)
	}
	st := s.Status()
	if st.RemoteDiscr != 0 || s.TxInterval() != time.Second {
		t.Fatalf("after expiry: remote discr %d tx %v", st.RemoteDiscr, s.TxInterval())
	}
	s.Tick(t0.Add(time.Second))
	if pk := sends(s.Ready()); len(pk) == 0 || pk[0].State != StateDown || pk[0].Diag != DiagDetectionExpired || pk[0].YourDiscr != 0 {
		t.Fatalf("packet after expiry %v", pk)
	}
}

func TestJitterWindow(t *testing.T) {
	for _, tc := range []struct {
		mult   uint8
		j      float64
		wantMs float64
	}{
		{5, 0, 1000}, {5, 0.999999, 750}, {5, 0.5, 875}, {1, 0, 900}, {1, 0.999999, 750},
	} {
		c := cfg("s", 1)
		c.DetectMult = tc.mult
		j := tc.j
		c.Jitter = func() float64 { return j }
		s := newSession(t, c)
		s.Start(t0)
		got := float64(s.NextDeadline().Sub(t0)) / float64(time.Millisecond)
		if got < tc.wantMs-0.01 || got > tc.wantMs+0.01 {
			t.Errorf("mult %d jitter %v: next packet after %.3f ms, want %.0f", tc.mult, tc.j, got, tc.wantMs)
		}
	}
}

func TestActiveSendsAtStartPassiveWaits(t *testing.T) {
	s := newSession(t, cfg("a", 1))
	s.Start(t0)
	if pk := sends(s.Ready()); len(pk) != 1 || pk[0].State != StateDown || pk[0].MyDiscr != 1 {
		t.Fatalf("active start sent %v", pk)
	}
	c := cfg("p", 2)
	c.Passive = true
	p := newSession(t, c)
	p.Start(t0)
	p.Tick(t0.Add(10 * time.Second))
	if len(p.Ready()) != 0 || !p.NextDeadline().IsZero() {
		t.Fatal("passive session sent before hearing the neighbor")
	}
	mustStep(t, p, Packet{Version: 1, State: StateDown, DetectMult: 5, Length: 24, MyDiscr: 9,
		DesiredMinTx: 10 * time.Millisecond, RequiredMinRx: 10 * time.Millisecond})
	if p.NextDeadline().IsZero() {
		t.Fatal("passive session does not send after hearing the neighbor")
	}
}

func TestPollAnsweredWithFinal(t *testing.T) {
	s := newSession(t, cfg("s", 1))
	setState(t, s, StateUp)
	mustStep(t, s, Packet{Version: 1, State: StateUp, Poll: true, DetectMult: 5, Length: 24, MyDiscr: 99, YourDiscr: 1,
		DesiredMinTx: 20 * time.Millisecond, RequiredMinRx: 40 * time.Millisecond})
	pk := sends(s.Ready())
	if len(pk) != 1 || !pk[0].Final || pk[0].Poll {
		t.Fatalf("answer to poll %v", pk)
	}
	if s.TxInterval() != 40*time.Millisecond || s.DetectionTime() != 100*time.Millisecond {
		t.Fatalf("poll did not renegotiate: tx %v detect %v", s.TxInterval(), s.DetectionTime())
	}
}

// TestPollSequenceOnReload: changing timers while Up sets P until the
// neighbor's Final; the new rate applies only then.
func TestPollSequenceOnReload(t *testing.T) {
	s := newSession(t, cfg("s", 1))
	setState(t, s, StateUp)
	c := cfg("s", 1)
	c.DesiredMinTx = 50 * time.Millisecond
	if err := s.SetParams(t0, c); err != nil {
		t.Fatal(err)
	}
	if s.TxInterval() != 10*time.Millisecond {
		t.Fatalf("tx changed before Final: %v", s.TxInterval())
	}
	s.Tick(s.NextDeadline())
	pk := sends(s.Ready())
	if len(pk) != 1 || !pk[0].Poll || pk[0].DesiredMinTx != 50*time.Millisecond {
		t.Fatalf("packet during poll %v", pk)
	}
	// A packet without F keeps polling and keeps the old rate.
	mustStep(t, s, Packet{Version: 1, State: StateUp, DetectMult: 5, Length: 24, MyDiscr: 99, YourDiscr: 1,
		DesiredMinTx: 10 * time.Millisecond, RequiredMinRx: 10 * time.Millisecond})
	if !s.Status().Polling || s.TxInterval() != 10*time.Millisecond {
		t.Fatal("poll ended without Final")
	}
	mustStep(t, s, Packet{Version: 1, State: StateUp, Final: true, DetectMult: 5, Length: 24, MyDiscr: 99, YourDiscr: 1,
		DesiredMinTx: 10 * time.Millisecond, RequiredMinRx: 10 * time.Millisecond})
	if s.Status().Polling || s.TxInterval() != 50*time.Millisecond {
		t.Fatalf("after Final: polling %v tx %v", s.Status().Polling, s.TxInterval())
	}
	s.Tick(s.NextDeadline())
	if pk := sends(s.Ready()); len(pk) != 1 || pk[0].Poll {
		t.Fatalf("poll bit still set after Final: %v", pk)
	}
}

func TestStopSendsAdminDown(t *testing.T) {
	s := newSession(t, cfg("s", 1))
	setState(t, s, StateUp)
	s.Stop(t0)
	acts := s.Ready()
	pk := sends(acts)
	if states(acts) != "Up->AdminDown(7)" || len(pk) != 1 || pk[0].State != StateAdminDown || pk[0].Diag != DiagAdminDown {
		t.Fatalf("stop: %v", acts)
	}
	if !s.NextDeadline().IsZero() {
		t.Fatal("AdminDown session keeps timers")
	}
}

func TestRemoteDemandStopsPeriodicTx(t *testing.T) {
	s := newSession(t, cfg("s", 1))
	setState(t, s, StateUp)
	mustStep(t, s, Packet{Version: 1, State: StateUp, Demand: true, DetectMult: 5, Length: 24, MyDiscr: 99, YourDiscr: 1,
		DesiredMinTx: 10 * time.Millisecond, RequiredMinRx: 10 * time.Millisecond})
	st := s.Status()
	if st.State != StateUp {
		t.Fatal("not Up")
	}
	if !s.nextTx.IsZero() {
		t.Fatal("still transmitting periodically with the neighbor in Demand mode")
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{
		{Name: "x", DesiredMinTx: 1, RequiredMinRx: 1, IdleTx: 1, DetectMult: 1},
		{Name: "x", LocalDiscr: 1, RequiredMinRx: 1, IdleTx: 1, DetectMult: 1},
		{Name: "x", LocalDiscr: 1, DesiredMinTx: 1, RequiredMinRx: 1, IdleTx: 1},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
}

// TestAdvertisesIdleUntilUp: while not Up the session advertises idle_tx
// as its DesiredMinTx (keepalived 2.2.7 does the same); entering Up
// switches to min_tx with a Poll Sequence.
func TestAdvertisesIdleUntilUp(t *testing.T) {
	s := newSession(t, cfg("s", 1))
	s.Start(t0)
	if pk := sends(s.Ready()); len(pk) != 1 || pk[0].DesiredMinTx != time.Second || pk[0].Poll {
		t.Fatalf("Down packet %v", pk)
	}
	mustStep(t, s, Packet{Version: 1, State: StateInit, DetectMult: 5, Length: 24, MyDiscr: 99, YourDiscr: 1,
		DesiredMinTx: time.Second, RequiredMinRx: 10 * time.Millisecond})
	s.Ready()
	s.Tick(s.NextDeadline())
	pk := sends(s.Ready())
	if len(pk) != 1 || pk[0].State != StateUp || pk[0].DesiredMinTx != 10*time.Millisecond || !pk[0].Poll {
		t.Fatalf("first Up packet %v", pk)
	}
	if s.DetectionTime() != 5*time.Second {
		t.Fatalf("detection before the neighbor's poll: %v, want 5 x 1s", s.DetectionTime())
	}
	// The neighbor's own poll to 10 ms shortens detection at once.
	mustStep(t, s, Packet{Version: 1, State: StateUp, Poll: true, DetectMult: 5, Length: 24, MyDiscr: 99, YourDiscr: 1,
		DesiredMinTx: 10 * time.Millisecond, RequiredMinRx: 10 * time.Millisecond})
	if s.DetectionTime() != 50*time.Millisecond {
		t.Fatalf("detection after the neighbor's poll: %v", s.DetectionTime())
	}
}
