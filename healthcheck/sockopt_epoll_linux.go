package healthcheck

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// epollPoller runs TCP_CHECK probes on one epoll instance owned by the
// scheduler, as keepalived's checker does on its event loop: the scheduler
// opens the non-blocking socket and starts the connect on its own
// goroutine, and a single poller goroutine waits for all handshakes at
// once, confirms each, closes the socket and hands back batches of
// results. A passing probe costs four syscalls — socket, connect,
// epoll_ctl, close (keepalived 2.2.7's checker, by its source, also gets
// SO_TYPE, sets SO_LINGER, reads SO_ERROR and deletes the epoll entry) —
// no goroutine, context, timer, os.File or netpoller registration of its
// own.
type epollPoller struct {
	epfd, evfd int
	// epoll is epfd on Go's netpoller: the poller goroutine parks there
	// instead of blocking its thread in epoll_wait, which with one P (a
	// one-CPU machine) kept the scheduler goroutine waiting for sysmon to
	// hand the P over and stretched every check's period.
	epoll   *os.File
	epollRC syscall.RawConn
	deliver chan<- []probeDone
	done    chan struct{}

	mu        sync.Mutex
	byFD      []*epollProbe // in-flight probes indexed by socket
	deadlines probeHeap
	// waitUntil is when the poller's current epoll_wait times out (zero
	// while it is not waiting): a probe due earlier must wake it.
	waitUntil time.Time
	stopping  bool
}

// epollProbe is one TCP connect in flight.
type epollProbe struct {
	fd       int
	addr     netip.AddrPort
	how      closeHow
	j        *job
	begin    time.Time
	deadline time.Time
	index    int // in deadlines
}

// newConnectPoller starts the poller goroutine; results of probes it runs
// are sent on deliver in batches. The caller must stop it and keep
// receiving until every started probe has been delivered, then wait.
func newConnectPoller(deliver chan<- []probeDone) (connectPoller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	evfd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, evfd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(evfd)}); err != nil {
		unix.Close(evfd)
		unix.Close(epfd)
		return nil, fmt.Errorf("epoll_ctl eventfd: %w", err)
	}
	// An epoll descriptor polls readable while events are ready, so Go's
	// netpoller can wait on it like on a socket; it must be non-blocking
	// for os.NewFile to register it.
	if err := unix.SetNonblock(epfd, true); err != nil {
		unix.Close(evfd)
		unix.Close(epfd)
		return nil, fmt.Errorf("epoll non-blocking: %w", err)
	}
	f := os.NewFile(uintptr(epfd), "epoll")
	rc, err := f.SyscallConn()
	if err != nil {
		unix.Close(evfd)
		f.Close()
		return nil, fmt.Errorf("epoll on the netpoller: %w", err)
	}
	p := &epollPoller{epfd: epfd, evfd: evfd, epoll: f, epollRC: rc, deliver: deliver, done: make(chan struct{})}
	go p.run()
	return p, nil
}

// start opens the probe's socket and starts connecting. If the outcome is
// known at once (a local error, an immediate refusal) it is returned with
// true and nothing is left in flight.
func (p *epollPoller) start(j *job, c Conn, how closeHow, timeout time.Duration) (probeDone, bool) {
	begin := time.Now()
	failNow := func(err error) (probeDone, bool) {
		return probeDone{j: j, r: fail(err), start: begin, end: time.Now()}, true
	}
	dst, family, err := sockaddrOf(c.Addr, c.BindIf)
	if err != nil {
		return failNow(fmt.Errorf("connect %s: %w", c.Addr, err))
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		return failNow(fmt.Errorf("socket: %w", os.NewSyscallError("socket", err)))
	}
	if err := c.bindSocket(fd); err != nil {
		unix.Close(fd)
		return failNow(err)
	}
	switch err := connectRaw(fd, dst); err {
	case nil:
		closeProbe(fd, how)
		return probeDone{j: j, start: begin, end: time.Now()}, true
	case unix.EINPROGRESS, unix.EINTR:
	default:
		unix.Close(fd)
		return failNow(fmt.Errorf("connect %s: %w", c.Addr, os.NewSyscallError("connect", err)))
	}
	pr := &epollProbe{fd: fd, addr: c.Addr, how: how, j: j, begin: begin, deadline: begin.Add(timeout)}
	p.mu.Lock()
	if p.stopping {
		p.mu.Unlock()
		unix.Close(fd)
		return failNow(fmt.Errorf("connect %s: %w (checker stopping)", c.Addr, ErrTimeout))
	}
	for fd >= len(p.byFD) {
		p.byFD = append(p.byFD, nil)
	}
	p.byFD[fd] = pr
	p.deadlines.push(pr)
	// Registered under the lock so the poller cannot see the socket's
	// event before the probe it belongs to.
	// Edge-triggered: the handshake's end is one edge; a spurious one is
	// caught by asking connect again.
	err = epollAddRaw(p.epfd, fd, unix.EPOLLOUT|unix.EPOLLET)
	if err != nil {
		p.byFD[fd] = nil
		p.deadlines.remove(pr.index)
		p.mu.Unlock()
		unix.Close(fd)
		return failNow(fmt.Errorf("epoll_ctl: %w", err))
	}
	wake := !p.waitUntil.IsZero() && pr.deadline.Before(p.waitUntil)
	p.mu.Unlock()
	if wake {
		p.wake()
	}
	return probeDone{}, false
}

// stop makes the poller fail every probe in flight (they are delivered as
// timeouts) and exit; it does not wait.
func (p *epollPoller) stop() {
	p.mu.Lock()
	p.stopping = true
	p.mu.Unlock()
	p.wake()
}

// wait returns once the poller goroutine has exited, and releases the
// epoll and eventfd descriptors.
func (p *epollPoller) wait() {
	<-p.done
	unix.Close(p.evfd)
	p.epoll.Close()
}

func (p *epollPoller) wake() {
	one := [8]byte{1}
	// EAGAIN means the counter is already non-zero: a wake-up is pending.
	unix.Write(p.evfd, one[:])
}

// run is the poller goroutine.
func (p *epollPoller) run() {
	defer close(p.done)
	events := make([]unix.EpollEvent, 512)
	var toClose []*epollProbe
	for {
		p.mu.Lock()
		if p.stopping {
			var out []probeDone
			now := time.Now()
			for _, slot := range p.deadlines {
				pr := slot.e
				p.byFD[pr.fd] = nil
				unix.Close(pr.fd)
				out = append(out, probeDone{j: pr.j, start: pr.begin, end: now,
					r: fail(fmt.Errorf("connect %s: %w (checker stopping)", pr.addr, ErrTimeout))})
			}
			p.deadlines = nil
			p.mu.Unlock()
			if len(out) > 0 {
				p.deliver <- out
			}
			return
		}
		var deadline time.Time
		if len(p.deadlines) > 0 {
			deadline = p.deadlines.peekTime()
			p.waitUntil = deadline
		} else {
			p.waitUntil = time.Now().Add(time.Hour)
		}
		p.mu.Unlock()

		// Collect ready events without blocking; when there are none,
		// park on the netpoller until the epoll descriptor is readable
		// (a socket's event, or the eventfd's wake-up) or the earliest
		// connect deadline passes.
		_ = p.epoll.SetReadDeadline(deadline)
		var n int
		var err error
		rerr := p.epollRC.Read(func(fd uintptr) bool {
			n, err = unix.EpollWait(int(fd), events, 0)
			return n > 0 || (err != nil && err != unix.EINTR)
		})
		if rerr != nil && !errors.Is(rerr, os.ErrDeadlineExceeded) {
			err = rerr
		}
		if err != nil && err != unix.EINTR {
			// Cannot happen with valid descriptors; fail what is in
			// flight rather than hang the scheduler.
			p.mu.Lock()
			p.stopping = true
			p.mu.Unlock()
			continue
		}
		now := time.Now()
		var out []probeDone
		toClose = toClose[:0]
		p.mu.Lock()
		p.waitUntil = time.Time{}
		for _, ev := range events[:max(n, 0)] {
			fd := int(ev.Fd)
			if fd == p.evfd {
				var buf [8]byte
				unix.Read(p.evfd, buf[:])
				continue
			}
			if fd >= len(p.byFD) || p.byFD[fd] == nil {
				continue
			}
			pr := p.byFD[fd]
			// The event itself is the outcome, as keepalived reads it: a
			// TCP socket polls writable only once the handshake is done
			// (tcp_poll reports nothing in SYN_SENT), and a failed one
			// adds EPOLLERR/EPOLLHUP, whose reason SO_ERROR holds — so a
			// passing probe costs no syscall here. Unlike Go's netpoller,
			// this epoll set has no readiness left over from an earlier
			// socket with the same number: closing a socket removes it,
			// and byFD is set before the new one is added.
			var perr error
			switch {
			case ev.Events&(unix.EPOLLERR|unix.EPOLLHUP) != 0:
				perr = fmt.Errorf("connect %s: %w", pr.addr, socketError(fd))
			case ev.Events&unix.EPOLLOUT == 0:
				continue
			}
			p.byFD[fd] = nil
			p.deadlines.remove(pr.index)
			if perr != nil {
				pr.how = closeGraceful // nothing to reset
			}
			toClose = append(toClose, pr)
			out = append(out, probeDone{j: pr.j, r: Result{Err: perr}, start: pr.begin, end: now})
		}
		for len(p.deadlines) > 0 && !now.Before(p.deadlines.peekTime()) {
			pr := p.deadlines.pop()
			p.byFD[pr.fd] = nil
			pr.how = closeGraceful
			toClose = append(toClose, pr)
			out = append(out, probeDone{j: pr.j, start: pr.begin, end: now,
				r: fail(fmt.Errorf("connect %s: %w", pr.addr, ErrTimeout))})
		}
		p.mu.Unlock()
		// Closing outside the lock is safe: the kernel cannot hand a
		// socket number out again before it is closed.
		for _, pr := range toClose {
			closeProbe(pr.fd, pr.how)
		}
		if len(out) > 0 {
			p.deliver <- out
		}
	}
}

// epollAddRaw registers a socket without telling the Go runtime it is in a
// system call, for the reason connectRaw gives.
func epollAddRaw(epfd, fd int, events uint32) error {
	ev := unix.EpollEvent{Events: events, Fd: int32(fd)}
	_, _, e := unix.RawSyscall6(unix.SYS_EPOLL_CTL, uintptr(epfd), unix.EPOLL_CTL_ADD, uintptr(fd), uintptr(unsafe.Pointer(&ev)), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// socketError reads why a connect failed (SO_ERROR); a socket closed
// without a pending error was reset after the handshake.
func socketError(fd int) error {
	soerr, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return os.NewSyscallError("getsockopt", err)
	}
	if soerr == 0 {
		return os.NewSyscallError("connect", unix.ECONNRESET)
	}
	return os.NewSyscallError("connect", unix.Errno(soerr))
}

// closeProbe closes a probe socket with FIN or, for closeAbort, RST.
//
// The FIN close lingers up to 5 s, as keepalived 2.2.7's checker does:
// close then returns once the server has acknowledged the FIN (one round
// trip). Without it, when the host's TIME_WAIT table is full the closed
// socket vanishes at once and the next probe can reuse its source port
// while the server still holds the old connection; its SYN then draws a
// challenge ACK and the connect times out. In the benchmark VM that made
// 11–202 live servers per 20 s fail at 3,000 servers, with 215
// TCPSYNChallenge; with the linger, none.
func closeProbe(fd int, how closeHow) {
	setCloseLinger(fd, how)
	unix.Close(fd)
}

// probeHeap orders in-flight probes by deadline.
type probeHeap = timeHeap[*epollProbe]

func (pr *epollProbe) heapTime() time.Time { return pr.deadline }
func (pr *epollProbe) setHeapIndex(i int)  { pr.index = i }
