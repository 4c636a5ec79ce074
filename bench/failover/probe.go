package main

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/vishvananda/netns"
	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
)

// prober sends an ICMP echo to the VIP every interval from inside the
// client namespace and timestamps the replies. It replaces ping(8), whose
// pacing changes while replies are missing, so the outage it sees would be
// partly its own.
type prober struct {
	conn    *icmp.PacketConn
	id      int
	dst     *net.IPAddr
	replies chan probeReply
	stop    chan struct{}
	wg      sync.WaitGroup
}

// probeReply is one echo reply: its sequence number and arrival time.
type probeReply struct {
	seq int
	at  time.Time
}

// newProber opens the ICMP socket in namespace ns (the socket stays in
// the namespace it was created in) and starts sending.
func newProber(ns string, dst string, interval time.Duration) (*prober, error) {
	conn, err := listenIn(ns)
	if err != nil {
		return nil, err
	}
	p := &prober{conn: conn, id: os.Getpid() & 0xffff, dst: &net.IPAddr{IP: net.ParseIP(dst)},
		replies: make(chan probeReply, 4096), stop: make(chan struct{})}
	p.wg.Add(2)
	go p.send(interval)
	go p.receive()
	return p, nil
}

// listenIn creates the socket on a thread switched into ns.
func listenIn(ns string) (*icmp.PacketConn, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		return nil, err
	}
	defer orig.Close()
	target, err := netns.GetFromName(ns)
	if err != nil {
		return nil, fmt.Errorf("namespace %s: %w", ns, err)
	}
	defer target.Close()
	if err := netns.Set(target); err != nil {
		return nil, err
	}
	conn, lerr := icmp.ListenPacket("ip4:icmp", "0.0.0.0")
	if err := netns.Set(orig); err != nil {
		// The thread is unusable; LockOSThread without unlock would retire
		// it, but we unlock above, so fail loudly instead.
		panic(fmt.Sprintf("cannot return to the original namespace: %v", err))
	}
	return conn, lerr
}

func (p *prober) send(interval time.Duration) {
	defer p.wg.Done()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for seq := 0; ; seq++ {
		m := icmp.Message{Type: ipv4.ICMPTypeEcho, Body: &icmp.Echo{ID: p.id, Seq: seq & 0xffff, Data: []byte("alived-failover")}}
		if b, err := m.Marshal(nil); err == nil {
			_, _ = p.conn.WriteTo(b, p.dst)
		}
		select {
		case <-p.stop:
			return
		case <-tick.C:
		}
	}
}

func (p *prober) receive() {
	defer p.wg.Done()
	defer close(p.replies)
	buf := make([]byte, 1500)
	for {
		n, from, err := p.conn.ReadFrom(buf)
		if err != nil {
			return // closed
		}
		at := time.Now()
		if a, ok := from.(*net.IPAddr); !ok || !a.IP.Equal(p.dst.IP) {
			continue
		}
		m, err := icmp.ParseMessage(1, buf[:n])
		if err != nil || m.Type != ipv4.ICMPTypeEchoReply {
			continue
		}
		if e, ok := m.Body.(*icmp.Echo); ok && e.ID == p.id {
			select {
			case p.replies <- probeReply{seq: e.Seq, at: at}:
			default: // nobody is reading: drop
			}
		}
	}
}

// close stops sending and receiving.
func (p *prober) close() {
	close(p.stop)
	_ = p.conn.Close()
	p.wg.Wait()
}
