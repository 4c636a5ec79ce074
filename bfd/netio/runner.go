package netio

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"

	"github.com/alived/alived/bfd"
)

// SessionConfig is one bfd_instance: the session's parameters (its
// LocalDiscr and Jitter are the Runner's business and ignored here) and
// where it talks to.
type SessionConfig struct {
	bfd.Config
	// Neighbor is the peer's address (neighbor_ip).
	Neighbor netip.Addr
	// Source, if valid, is the local address packets are sent from and
	// the destination address received packets must have (source_ip).
	Source netip.Addr
	// Multihop selects RFC 5883 (port 4784) instead of RFC 5881.
	Multihop bool
}

// sameEndpoint reports whether a session can be kept across a
// reconfiguration (only its timers changed).
func (c *SessionConfig) sameEndpoint(o *SessionConfig) bool {
	return c.Neighbor == o.Neighbor && c.Source == o.Source && c.Multihop == o.Multihop
}

// Change is a session state change, reported through Options.OnChange.
type Change struct {
	Name       string
	From, To   bfd.State
	Diag       bfd.Diag
	RemoteDiag bfd.Diag
	Time       time.Time
}

// Options configure a Runner.
type Options struct {
	// OnChange receives every state change, on the Runner's goroutine, in
	// order. It must not call back into the Runner.
	OnChange func(Change)
	// Port is the destination and listening port of single-hop sessions
	// (0: 3784); MultihopPort that of multihop sessions (0: 4784). Tests
	// that run two runners on one host change them.
	Port, MultihopPort int
	// ListenAddrs, if set, replace the wildcard listeners (tests bind
	// loopback addresses).
	ListenAddrs []netip.Addr
	// Rand draws discriminators, source ports and jitter; nil seeds one.
	Rand *rand.Rand
	// Logger; nil discards.
	Logger *slog.Logger
}

// Status is a session's view for snapshots.
type Status struct {
	bfd.Status
	Neighbor netip.Addr
	Source   netip.Addr
	Multihop bool
	// Dropped counts received packets for this session that were
	// discarded (TTL, validation).
	Dropped uint64
}

// Runner drives a set of BFD sessions over UDP. Configure and Status may
// be called from any goroutine; Run owns the sessions.
type Runner struct {
	opt Options
	log *slog.Logger

	reqs  chan func()
	done  chan struct{}
	rx    chan rxPacket
	mu    sync.Mutex
	lns   map[listenKey]*listener
	wg    sync.WaitGroup
	state runState

	// Owned by Run's goroutine.
	sessions map[string]*session
	byDiscr  map[uint32]*session
}

type runState int

const (
	stateIdle runState = iota
	stateRunning
	stateStopped
)

type listenKey struct {
	v6   bool
	port int
	addr netip.Addr
}

type listener struct {
	key      listenKey
	conn     net.PacketConn
	multihop bool
}

type session struct {
	cfg     SessionConfig
	s       *bfd.Session
	conn    *net.UDPConn
	dst     *net.UDPAddr
	dropped uint64
}

type rxPacket struct {
	b        []byte
	src, dst netip.Addr
	ttl      int
	multihop bool
}

// ErrStopped is returned by Configure after Run has returned.
var ErrStopped = errors.New("bfd: runner stopped")

// NewRunner returns a Runner with no sessions; call Run.
func NewRunner(o Options) *Runner {
	if o.Port == 0 {
		o.Port = bfd.ControlPort
	}
	if o.MultihopPort == 0 {
		o.MultihopPort = bfd.MultihopPort
	}
	if o.Rand == nil {
		o.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	if o.OnChange == nil {
		o.OnChange = func(Change) {}
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Runner{
		opt: o, log: log,
		reqs: make(chan func()), done: make(chan struct{}), rx: make(chan rxPacket, 256),
		lns: map[listenKey]*listener{}, sessions: map[string]*session{}, byDiscr: map[uint32]*session{},
	}
}

// Configure makes the running sessions match cfgs: a session whose name
// and endpoint (neighbor, source, multihop) are unchanged keeps its state
// and only takes the new timers (a Poll Sequence if Up); others are
// stopped (one AdminDown packet) or started. It opens the sockets new
// sessions need and reports the sessions it could not start; those are
// left out. Before Run it only records cfgs.
func (r *Runner) Configure(cfgs []SessionConfig) error {
	errc := make(chan error, 1)
	fn := func() { errc <- r.configure(time.Now(), cfgs) }
	r.mu.Lock()
	st := r.state
	if st == stateIdle {
		// Not running yet: apply on this goroutine; Run has not started
		// touching the sessions.
		r.mu.Unlock()
		fn()
		return <-errc
	}
	r.mu.Unlock()
	if st == stateStopped {
		return ErrStopped
	}
	select {
	case r.reqs <- fn:
		return <-errc
	case <-r.done:
		return ErrStopped
	}
}

// Status returns every session's view, sorted by nothing in particular.
func (r *Runner) Status() []Status {
	var out []Status
	fn := func() {
		for _, s := range r.sessions {
			out = append(out, Status{Status: s.s.Status(), Neighbor: s.cfg.Neighbor, Source: s.cfg.Source,
				Multihop: s.cfg.Multihop, Dropped: s.dropped})
		}
	}
	r.mu.Lock()
	st := r.state
	r.mu.Unlock()
	if st != stateRunning {
		return nil
	}
	ok := make(chan struct{})
	select {
	case r.reqs <- func() { fn(); close(ok) }:
		<-ok
	case <-r.done:
	}
	return out
}

func (r *Runner) configure(now time.Time, cfgs []SessionConfig) error {
	want := map[string]bool{}
	var errs []error
	for i := range cfgs {
		c := cfgs[i]
		want[c.Name] = true
		if old, ok := r.sessions[c.Name]; ok {
			if old.cfg.sameEndpoint(&c) {
				if err := old.s.SetParams(now, c.Config); err != nil {
					errs = append(errs, err)
					continue
				}
				old.cfg = c
				continue
			}
			r.remove(now, old)
		}
		s, err := r.add(now, c)
		if err != nil {
			errs = append(errs, fmt.Errorf("bfd_instance %s: %w", c.Name, err))
			continue
		}
		r.sessions[c.Name] = s
	}
	for name, s := range r.sessions {
		if !want[name] {
			r.remove(now, s)
		}
	}
	r.closeUnusedListeners()
	return errors.Join(errs...)
}

func (r *Runner) newDiscr() uint32 {
	for {
		d := r.opt.Rand.Uint32()
		if _, used := r.byDiscr[d]; d != 0 && !used {
			return d
		}
	}
}

// add opens a new session's sockets and starts it (if running).
func (r *Runner) add(now time.Time, c SessionConfig) (*session, error) {
	if !c.Neighbor.IsValid() {
		return nil, errors.New("no neighbor_ip")
	}
	if c.Source.IsValid() && c.Source.Is4() != c.Neighbor.Is4() {
		return nil, fmt.Errorf("source_ip %s and neighbor_ip %s are not of the same family", c.Source, c.Neighbor)
	}
	c.LocalDiscr = r.newDiscr()
	c.Jitter = r.opt.Rand.Float64
	s, err := bfd.New(c.Config)
	if err != nil {
		return nil, err
	}
	if err := r.listen(c); err != nil {
		return nil, err
	}
	conn, err := r.sender(c)
	if err != nil {
		return nil, err
	}
	port := r.opt.Port
	if c.Multihop {
		port = r.opt.MultihopPort
	}
	ss := &session{cfg: c, s: s, conn: conn, dst: net.UDPAddrFromAddrPort(netip.AddrPortFrom(c.Neighbor, uint16(port)))}
	r.byDiscr[c.LocalDiscr] = ss
	r.mu.Lock()
	running := r.state == stateRunning
	r.mu.Unlock()
	if running {
		s.Start(now)
		r.perform(now, ss)
	}
	r.log.Info("bfd: session configured", "instance", c.Name, "neighbor", c.Neighbor, "source", c.Source,
		"min_tx", c.DesiredMinTx, "min_rx", c.RequiredMinRx, "multiplier", c.DetectMult, "passive", c.Passive)
	return ss, nil
}

func (r *Runner) remove(now time.Time, s *session) {
	s.s.Stop(now)
	r.perform(now, s)
	_ = s.conn.Close()
	delete(r.byDiscr, s.s.Config().LocalDiscr)
	delete(r.sessions, s.cfg.Name)
}

// sender opens the session's sending socket: bound to source_ip (or the
// wildcard) and a port in 49152–65535, with the configured TTL.
func (r *Runner) sender(c SessionConfig) (*net.UDPConn, error) {
	network, src := "udp4", c.Source
	if c.Neighbor.Is6() {
		network = "udp6"
		if !src.IsValid() {
			src = netip.IPv6Unspecified()
		}
	} else if !src.IsValid() {
		src = netip.IPv4Unspecified()
	}
	var lastErr error
	for try := 0; try < 64; try++ {
		port := bfd.SourcePortMin + r.opt.Rand.IntN(bfd.SourcePortMax-bfd.SourcePortMin+1)
		conn, err := net.ListenUDP(network, net.UDPAddrFromAddrPort(netip.AddrPortFrom(src, uint16(port))))
		if err != nil {
			lastErr = err
			continue
		}
		if c.Neighbor.Is6() {
			err = ipv6.NewConn(conn).SetHopLimit(c.TTL)
		} else {
			err = ipv4.NewConn(conn).SetTTL(c.TTL)
		}
		if err != nil {
			_ = conn.Close()
			return nil, fmt.Errorf("setting ttl %d: %w", c.TTL, err)
		}
		return conn, nil
	}
	return nil, fmt.Errorf("no free source port in %d-%d: %w", bfd.SourcePortMin, bfd.SourcePortMax, lastErr)
}

// listen makes sure the listeners the session receives on exist.
func (r *Runner) listen(c SessionConfig) error {
	port := r.opt.Port
	if c.Multihop {
		port = r.opt.MultihopPort
	}
	v6 := c.Neighbor.Is6()
	addrs := []netip.Addr{netip.IPv4Unspecified()}
	if v6 {
		addrs = []netip.Addr{netip.IPv6Unspecified()}
	}
	if len(r.opt.ListenAddrs) > 0 {
		addrs = addrs[:0]
		for _, a := range r.opt.ListenAddrs {
			if a.Is6() == v6 {
				addrs = append(addrs, a)
			}
		}
	}
	for _, a := range addrs {
		k := listenKey{v6: v6, port: port, addr: a}
		r.mu.Lock()
		_, ok := r.lns[k]
		r.mu.Unlock()
		if ok {
			continue
		}
		ln, err := openListener(k, c.Multihop)
		if err != nil {
			return err
		}
		r.mu.Lock()
		r.lns[k] = ln
		running := r.state == stateRunning
		r.mu.Unlock()
		if running {
			r.startReader(ln)
		}
	}
	return nil
}

func openListener(k listenKey, multihop bool) (*listener, error) {
	network := "udp4"
	if k.v6 {
		network = "udp6"
	}
	conn, err := net.ListenPacket(network, netip.AddrPortFrom(k.addr, uint16(k.port)).String())
	if err != nil {
		return nil, fmt.Errorf("listening on %s port %d: %w", network, k.port, err)
	}
	if k.v6 {
		err = ipv6.NewPacketConn(conn).SetControlMessage(ipv6.FlagHopLimit|ipv6.FlagDst, true)
	} else {
		err = ipv4.NewPacketConn(conn).SetControlMessage(ipv4.FlagTTL|ipv4.FlagDst, true)
	}
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("asking for TTL and destination of received packets: %w", err)
	}
	return &listener{key: k, conn: conn, multihop: multihop}, nil
}

// startReader runs the listener's receive loop until its socket closes.
func (r *Runner) startReader(ln *listener) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.read(ln)
	}()
}

func (r *Runner) read(ln *listener) {
	buf := make([]byte, 512)
	var p4 *ipv4.PacketConn
	var p6 *ipv6.PacketConn
	if ln.key.v6 {
		p6 = ipv6.NewPacketConn(ln.conn)
	} else {
		p4 = ipv4.NewPacketConn(ln.conn)
	}
	for {
		var (
			n   int
			src net.Addr
			err error
			pk  rxPacket
		)
		if p6 != nil {
			var cm *ipv6.ControlMessage
			n, cm, src, err = p6.ReadFrom(buf)
			if cm != nil {
				pk.ttl = cm.HopLimit
				pk.dst, _ = netip.AddrFromSlice(cm.Dst)
			}
		} else {
			var cm *ipv4.ControlMessage
			n, cm, src, err = p4.ReadFrom(buf)
			if cm != nil {
				pk.ttl = cm.TTL
				pk.dst, _ = netip.AddrFromSlice(cm.Dst)
			}
		}
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			r.log.Warn("bfd: receive failed", "err", err)
			continue
		}
		if ua, ok := src.(*net.UDPAddr); ok {
			pk.src = ua.AddrPort().Addr().Unmap()
		}
		pk.dst = pk.dst.Unmap()
		pk.b = append([]byte(nil), buf[:n]...)
		pk.multihop = ln.multihop
		select {
		case r.rx <- pk:
		case <-r.done:
			return
		}
	}
}

func (r *Runner) closeUnusedListeners() {
	used := map[listenKey]bool{}
	for _, s := range r.sessions {
		for k := range r.lns {
			port := r.opt.Port
			if s.cfg.Multihop {
				port = r.opt.MultihopPort
			}
			if k.v6 == s.cfg.Neighbor.Is6() && k.port == port {
				used[k] = true
			}
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, ln := range r.lns {
		if !used[k] {
			_ = ln.conn.Close()
			delete(r.lns, k)
		}
	}
}

// Run starts every configured session and drives them until ctx is done;
// then it stops them (each sends one AdminDown packet) and closes every
// socket. It returns nil after a clean stop.
func (r *Runner) Run(ctx context.Context) error {
	r.mu.Lock()
	if r.state != stateIdle {
		r.mu.Unlock()
		return errors.New("bfd: Runner.Run called twice")
	}
	r.state = stateRunning
	for _, ln := range r.lns {
		r.startReader(ln)
	}
	r.mu.Unlock()
	defer func() {
		now := time.Now()
		for _, s := range r.sessions {
			r.remove(now, s)
		}
		r.mu.Lock()
		r.state = stateStopped
		for k, ln := range r.lns {
			_ = ln.conn.Close()
			delete(r.lns, k)
		}
		r.mu.Unlock()
		close(r.done)
		r.wg.Wait()
	}()
	now := time.Now()
	for _, s := range r.sessions {
		s.s.Start(now)
		r.perform(now, s)
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		r.arm(timer)
		select {
		case <-ctx.Done():
			return nil
		case fn := <-r.reqs:
			fn()
		case pk := <-r.rx:
			r.receive(time.Now(), pk)
		case <-timer.C:
		}
		now := time.Now()
		for _, s := range r.sessions {
			if d := s.s.NextDeadline(); !d.IsZero() && !now.Before(d) {
				s.s.Tick(now)
				r.perform(now, s)
			}
		}
	}
}

func (r *Runner) arm(timer *time.Timer) {
	var next time.Time
	for _, s := range r.sessions {
		if d := s.s.NextDeadline(); !d.IsZero() && (next.IsZero() || d.Before(next)) {
			next = d
		}
	}
	wait := time.Hour
	if !next.IsZero() {
		wait = max(time.Until(next), 0)
	}
	if !timer.Stop() {
		select {
		case <-timer.C:
		default:
		}
	}
	timer.Reset(wait)
}

// receive demultiplexes a packet (RFC 5880 §6.8.6: by Your Discriminator,
// or by addresses while it is zero) and steps its session.
func (r *Runner) receive(now time.Time, pk rxPacket) {
	var p bfd.Packet
	if err := p.UnmarshalBinary(pk.b); err != nil {
		r.log.Debug("bfd: undecodable packet", "src", pk.src, "err", err)
		return
	}
	var s *session
	if p.YourDiscr != 0 {
		s = r.byDiscr[p.YourDiscr]
		if s != nil && s.cfg.Neighbor != pk.src {
			r.log.Debug("bfd: packet for a session from the wrong neighbor", "src", pk.src, "instance", s.cfg.Name)
			s.dropped++
			return
		}
	} else {
		for _, c := range r.sessions {
			if c.cfg.Neighbor == pk.src && c.cfg.Multihop == pk.multihop &&
				(!c.cfg.Source.IsValid() || !pk.dst.IsValid() || c.cfg.Source == pk.dst) {
				s = c
				break
			}
		}
	}
	if s == nil || s.cfg.Multihop != pk.multihop {
		r.log.Debug("bfd: no session for packet", "src", pk.src, "your_discr", p.YourDiscr)
		return
	}
	if err := s.s.Step(now, &p, pk.ttl); err != nil {
		s.dropped++
		r.log.Debug("bfd: packet discarded", "instance", s.cfg.Name, "src", pk.src, "ttl", pk.ttl, "err", err)
		return
	}
	r.perform(now, s)
}

// perform sends the session's packets and reports its state changes.
func (r *Runner) perform(now time.Time, s *session) {
	for _, a := range s.s.Ready() {
		switch a.Kind {
		case bfd.ActSend:
			b, err := a.Packet.MarshalBinary()
			if err == nil {
				_, err = s.conn.WriteToUDP(b, s.dst)
			}
			if err != nil && !errors.Is(err, net.ErrClosed) {
				r.log.Debug("bfd: send failed", "instance", s.cfg.Name, "err", err)
			}
		case bfd.ActState:
			st := s.s.Status()
			// keepalived 2.2.7's wording, so logs of both read alike.
			r.log.Info(fmt.Sprintf("(%s) Entering %s state", s.cfg.Name, a.To),
				"local_diag", a.Diag.String(), "remote_diag", st.RemoteDiag.String())
			r.opt.OnChange(Change{Name: s.cfg.Name, From: a.From, To: a.To, Diag: a.Diag, RemoteDiag: st.RemoteDiag, Time: now})
		}
	}
}
