package bfd

import (
	"errors"
	"fmt"
	"time"
)

// Config is one session's local parameters (a bfd_instance).
type Config struct {
	// Name identifies the session in actions and logs.
	Name string
	// LocalDiscr is bfd.LocalDiscr: non-zero and unique among the
	// caller's sessions (the caller draws it at random).
	LocalDiscr uint32
	// DesiredMinTx and RequiredMinRx are advertised in every packet
	// (min_tx, min_rx). IdleTx is the interval packets are sent at while
	// nothing has been heard from the neighbor since the session last
	// fell (idle_tx, keepalived's reading of RFC 5880's "at least one
	// second while not Up").
	DesiredMinTx, RequiredMinRx, IdleTx time.Duration
	// DetectMult is bfd.DetectMult (multiplier).
	DetectMult uint8
	// Passive sessions send nothing until they have heard the neighbor
	// (RFC 5880 §6.1 passive role).
	Passive bool
	// TTL is the TTL/hop limit the session sends with, MaxHops how much
	// a received one may have been reduced ([CheckTTL]).
	TTL, MaxHops int
	// Jitter returns a value in [0,1) each time a transmission is
	// scheduled; it picks where in the RFC's jitter window (75–100 % of
	// the interval, 75–90 % with a multiplier of 1) the packet goes. Nil
	// means 0 (the earliest point). Tests pass a fixed function.
	Jitter func() float64
}

// Validate reports configuration a session cannot run with.
func (c *Config) Validate() error {
	var errs []error
	if c.LocalDiscr == 0 {
		errs = append(errs, errors.New("local discriminator must not be zero"))
	}
	if c.DesiredMinTx <= 0 || c.RequiredMinRx <= 0 || c.IdleTx <= 0 {
		errs = append(errs, fmt.Errorf("intervals must be positive (min_tx %v, min_rx %v, idle_tx %v)", c.DesiredMinTx, c.RequiredMinRx, c.IdleTx))
	}
	if c.DetectMult == 0 {
		errs = append(errs, errors.New("multiplier must not be zero"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("bfd session %s: %w", c.Name, err)
	}
	return nil
}

// ActionKind says what an [Action] asks the caller to do.
type ActionKind uint8

// Actions.
const (
	// ActSend: send Action.Packet to the neighbor now.
	ActSend ActionKind = iota + 1
	// ActState: the session went from Action.From to Action.To with
	// local diagnostic Action.Diag; tell whoever tracks it.
	ActState
)

// String names the kind.
func (k ActionKind) String() string {
	switch k {
	case ActSend:
		return "send"
	case ActState:
		return "state"
	}
	return fmt.Sprintf("action(%d)", uint8(k))
}

// Action is one effect for the caller; only the fields its Kind names
// are set.
type Action struct {
	Kind     ActionKind
	Packet   Packet
	From, To State
	Diag     Diag
}

// String renders the action for test failures and logs.
func (a Action) String() string {
	if a.Kind == ActState {
		return fmt.Sprintf("state %v->%v (%v)", a.From, a.To, a.Diag)
	}
	p := a.Packet
	return fmt.Sprintf("send state=%v diag=%v P=%v F=%v your=%d", p.State, p.Diag, p.Poll, p.Final, p.YourDiscr)
}

// Session is one BFD session in asynchronous mode. It is not safe for
// concurrent use: one goroutine owns it and calls Start, Step, Tick,
// SetParams and Stop, performing the actions Ready returns after each.
type Session struct {
	cfg Config

	state, remoteState State
	diag, remoteDiag   Diag
	remoteDiscr        uint32
	remoteMinTx        time.Duration
	remoteMinRx        time.Duration
	remoteMult         uint8
	remoteDemand       bool

	// poll is set while a Poll Sequence is in progress; final while the
	// next packet must answer a Poll with Final.
	poll, final bool
	// heard: a packet was accepted since Start (passive sessions start
	// sending then).
	heard bool

	// txInterval is the agreed transmit interval (bfd's local_tx_intv),
	// rxInterval the interval the neighbor sends at as far as detection
	// is concerned; detectTime = remote multiplier × rxInterval.
	txInterval, rxInterval, detectTime time.Duration

	started          bool
	nextTx, detectAt time.Time
	lastRx           time.Time

	sent, received, transitions uint64
	out                         []Action
}

// New returns a session in state Down that does nothing until Start.
func New(cfg Config) (*Session, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Session{cfg: cfg, state: StateDown, remoteState: StateDown, txInterval: cfg.IdleTx}, nil
}

// Name is the session's name.
func (s *Session) Name() string { return s.cfg.Name }

// Config returns the session's current configuration.
func (s *Session) Config() Config { return s.cfg }

// State is the local session state.
func (s *Session) State() State { return s.state }

// Ready returns and clears the actions collected since the last call.
func (s *Session) Ready() []Action {
	out := s.out
	s.out = nil
	return out
}

// NextDeadline is when Tick must next be called; zero if never.
func (s *Session) NextDeadline() time.Time {
	switch {
	case s.nextTx.IsZero():
		return s.detectAt
	case s.detectAt.IsZero() || s.nextTx.Before(s.detectAt):
		return s.nextTx
	}
	return s.detectAt
}

// TxInterval is the interval packets are sent at now (before jitter).
func (s *Session) TxInterval() time.Duration { return s.txInterval }

// DetectionTime is how long the session stays Init/Up without hearing
// the neighbor (remote multiplier × agreed receive interval).
func (s *Session) DetectionTime() time.Duration { return s.detectTime }

// Start brings the session up in state Down: an active session sends its
// first packet at once, a passive one waits for the neighbor.
func (s *Session) Start(now time.Time) {
	if s.started {
		return
	}
	s.started = true
	if !s.cfg.Passive {
		s.nextTx = now
		s.Tick(now)
	}
}

// Stop takes the session to AdminDown: it sends one AdminDown packet (so
// the neighbor's session goes Down with "Neighbor Signaled Session Down"
// at once instead of after its detection time) and then stays silent.
func (s *Session) Stop(now time.Time) {
	if s.state == StateAdminDown {
		return
	}
	s.setState(StateAdminDown, DiagAdminDown)
	if s.started && (!s.cfg.Passive || s.heard) {
		s.send()
	}
	s.nextTx, s.detectAt = time.Time{}, time.Time{}
}

// jittered returns when a packet scheduled from now at interval d goes
// out: RFC 5880 §6.8.7 reduces each interval by 0–25 % (10–25 % when the
// multiplier is 1, so that no interval exceeds 90 %).
func (s *Session) jittered(now time.Time, d time.Duration) time.Time {
	j := 0.0
	if s.cfg.Jitter != nil {
		j = s.cfg.Jitter()
	}
	frac := 0.25 * j
	if s.cfg.DetectMult == 1 {
		frac = 0.10 + 0.15*j
	}
	return now.Add(d - time.Duration(float64(d)*frac))
}

// Tick runs the timers due at or before now: detection-time expiry and
// the periodic transmission.
func (s *Session) Tick(now time.Time) {
	if due(s.detectAt, now) {
		s.detectAt = time.Time{}
		if s.state == StateInit || s.state == StateUp {
			// RFC 5880 §6.8.1: no packet for a Detection Time resets
			// bfd.RemoteDiscr.
			s.remoteDiscr = 0
			s.fall(DiagDetectionExpired)
		}
	}
	if due(s.nextTx, now) {
		s.send()
		s.scheduleTx(now)
	}
}

func due(t, now time.Time) bool { return !t.IsZero() && !now.Before(t) }

// scheduleTx arms the next periodic transmission, or none when the
// neighbor runs Demand mode and both sides are Up (RFC 5880 §6.6).
func (s *Session) scheduleTx(now time.Time) {
	if s.state == StateAdminDown || (s.remoteDemand && s.state == StateUp && s.remoteState == StateUp) {
		s.nextTx = time.Time{}
		return
	}
	s.nextTx = s.jittered(now, s.txInterval)
}

// Packet is the control packet the session would send now.
func (s *Session) Packet() Packet {
	return Packet{
		Version: Version, Diag: s.diag, State: s.state,
		Poll: s.poll && !s.final, Final: s.final,
		DetectMult: s.cfg.DetectMult, Length: HeaderLen,
		MyDiscr: s.cfg.LocalDiscr, YourDiscr: s.remoteDiscr,
		DesiredMinTx: s.advertisedTx(), RequiredMinRx: s.cfg.RequiredMinRx,
	}
}

// advertisedTx is bfd.DesiredMinTxInterval: min_tx while Up, idle_tx
// otherwise (RFC 5880 §6.8.3 wants at least one second while not Up;
// keepalived 2.2.7 advertises idle_tx and polls to min_tx once Up).
func (s *Session) advertisedTx() time.Duration {
	if s.state == StateUp {
		return s.cfg.DesiredMinTx
	}
	return s.cfg.IdleTx
}

func (s *Session) send() {
	s.out = append(s.out, Action{Kind: ActSend, Packet: s.Packet()})
	s.final = false
	s.sent++
}

func (s *Session) setState(to State, diag Diag) {
	from := s.state
	s.state, s.diag = to, diag
	s.transitions++
	s.out = append(s.out, Action{Kind: ActState, From: from, To: to, Diag: diag})
}

// fall takes the session Down: back to the idle transmit interval and no
// detection timer, as keepalived does.
func (s *Session) fall(diag Diag) {
	s.setState(StateDown, diag)
	s.txInterval = s.cfg.IdleTx
	s.detectAt = time.Time{}
}

// rise enters Init or Up; keepalived clears the local diagnostic then.
// Entering Up changes the advertised DesiredMinTx from idle_tx to
// min_tx, which takes a Poll Sequence (RFC 5880 §6.8.3).
func (s *Session) rise(to State) {
	s.setState(to, DiagNone)
	if to == StateUp && s.cfg.IdleTx != s.cfg.DesiredMinTx {
		s.poll = true
	}
}

// Step processes a received control packet; ttl is the TTL or hop limit
// the socket reported (0 if unknown). A non-nil error says why the packet
// was discarded (wrapping one of the Err values); the session is then
// unchanged.
func (s *Session) Step(now time.Time, p *Packet, ttl int) error {
	if err := Validate(p); err != nil {
		return err
	}
	if err := CheckTTL(ttl, s.cfg.TTL, s.cfg.MaxHops); err != nil {
		return err
	}
	if p.YourDiscr != 0 && p.YourDiscr != s.cfg.LocalDiscr {
		return fmt.Errorf("bfd: discarded: %w (your discriminator %d)", ErrNoSession, p.YourDiscr)
	}
	if !s.started || s.state == StateAdminDown {
		return fmt.Errorf("bfd: discarded: %w", ErrAdminDown)
	}
	s.received++
	s.remoteDiscr = p.MyDiscr
	s.remoteState, s.remoteDiag = p.State, p.Diag
	s.remoteMinTx, s.remoteMinRx = p.DesiredMinTx, p.RequiredMinRx
	s.remoteMult, s.remoteDemand = p.DetectMult, p.Demand
	if p.Final {
		s.poll = false
	}
	// While Up, changed parameters only take effect through a Poll
	// Sequence (RFC 5880 §6.8.3): recompute on P or F. Otherwise every
	// packet renegotiates.
	oldTx := s.txInterval
	if s.state != StateUp || p.Poll || p.Final {
		s.txInterval = max(s.cfg.DesiredMinTx, s.remoteMinRx)
		s.rxInterval = max(s.cfg.RequiredMinRx, s.remoteMinTx)
	}
	s.detectTime = time.Duration(s.remoteMult) * s.rxInterval

	switch {
	case s.remoteState == StateAdminDown:
		if s.state != StateDown {
			s.fall(DiagNeighborSignaledDown)
		}
	case s.state == StateDown:
		switch s.remoteState {
		case StateDown:
			s.rise(StateInit)
		case StateInit:
			s.rise(StateUp)
		}
	case s.state == StateInit:
		if s.remoteState == StateInit || s.remoteState == StateUp {
			s.rise(StateUp)
		}
	case s.state == StateUp:
		if s.remoteState == StateDown {
			s.fall(DiagNeighborSignaledDown)
		}
	}

	s.heard = true
	s.lastRx = now
	if s.state == StateInit || s.state == StateUp {
		s.detectAt = now.Add(s.detectTime)
	}
	switch {
	case s.remoteDemand && s.state == StateUp && s.remoteState == StateUp:
		s.nextTx = time.Time{}
	case s.nextTx.IsZero():
		// A passive session's first packet, or the end of Demand mode.
		s.scheduleTx(now)
	case s.txInterval < oldTx:
		// A faster rate applies at once, not after the slow interval.
		if at := s.jittered(now, s.txInterval); at.Before(s.nextTx) {
			s.nextTx = at
		}
	}
	if p.Poll {
		// Answer a Poll with Final without waiting for the schedule.
		s.final = true
		s.send()
	}
	return nil
}

// SetParams applies new local parameters (a reload): the intervals and
// multiplier advertised from now on. While Up a change of the intervals
// starts a Poll Sequence; the agreed intervals change when the
// neighbor's Final arrives (RFC 5880 §6.8.3).
func (s *Session) SetParams(now time.Time, c Config) error {
	c.Name, c.LocalDiscr = s.cfg.Name, s.cfg.LocalDiscr
	if c.Jitter == nil {
		c.Jitter = s.cfg.Jitter
	}
	if err := c.Validate(); err != nil {
		return err
	}
	old := s.cfg
	s.cfg = c
	if c.DesiredMinTx != old.DesiredMinTx || c.RequiredMinRx != old.RequiredMinRx {
		if s.state == StateUp {
			s.poll = true
		} else if s.heard {
			s.txInterval = max(c.DesiredMinTx, s.remoteMinRx)
			s.rxInterval = max(c.RequiredMinRx, s.remoteMinTx)
			s.detectTime = time.Duration(s.remoteMult) * s.rxInterval
		}
	}
	if s.state != StateUp && !s.heard {
		s.txInterval = c.IdleTx
	}
	if s.started && s.cfg.Passive != old.Passive && !s.heard {
		if c.Passive {
			s.nextTx = time.Time{}
		} else if s.nextTx.IsZero() {
			s.nextTx = now
		}
	}
	return nil
}

// Status is a read-only view of a session.
type Status struct {
	Name                     string
	State, RemoteState       State
	Diag, RemoteDiag         Diag
	LocalDiscr, RemoteDiscr  uint32
	TxInterval, DetectTime   time.Duration
	RemoteMinTx, RemoteMinRx time.Duration
	RemoteMult               uint8
	Polling                  bool
	LastRx                   time.Time
	Sent, Received           uint64
	Transitions              uint64
}

// Status returns the session's current view.
func (s *Session) Status() Status {
	return Status{
		Name: s.cfg.Name, State: s.state, RemoteState: s.remoteState, Diag: s.diag, RemoteDiag: s.remoteDiag,
		LocalDiscr: s.cfg.LocalDiscr, RemoteDiscr: s.remoteDiscr, TxInterval: s.txInterval, DetectTime: s.detectTime,
		RemoteMinTx: s.remoteMinTx, RemoteMinRx: s.remoteMinRx, RemoteMult: s.remoteMult, Polling: s.poll,
		LastRx: s.lastRx, Sent: s.sent, Received: s.received, Transitions: s.transitions,
	}
}
