package healthcheck_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/alived/alived/healthcheck"
)

// The daemon's use in miniature: resolve timing, build a checker from
// keepalived's options, register the real server, run the scheduler and
// consume transitions.
func Example() {
	l, err := net.Listen("tcp", "127.0.0.1:0") // the "real server"
	if err != nil {
		panic(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()

	alpha, loop := true, 100*time.Millisecond
	timing, err := healthcheck.ResolveTiming(healthcheck.KindTCP,
		healthcheck.TimingOverride{DelayLoop: &loop, Alpha: &alpha}) // virtual_server { delay_loop; alpha }
	if err != nil {
		panic(err)
	}
	tcp, err := healthcheck.NewTCP(healthcheck.TCPOptions{
		Conn: healthcheck.Conn{Addr: netip.MustParseAddrPort(l.Addr().String())}})
	if err != nil {
		panic(err)
	}

	transitions := make(chan healthcheck.Transition, 16)
	s, err := healthcheck.NewScheduler(healthcheck.Options{
		OnTransition: func(t healthcheck.Transition) { transitions <- t }})
	if err != nil {
		panic(err)
	}
	initial, err := s.Add(healthcheck.RealServer{VirtualServer: "vs1", RealServer: "rs1", Weight: 1,
		Checks: []healthcheck.CheckSpec{{Name: "TCP_CHECK#1", Checker: tcp, Timing: timing}}})
	if err != nil {
		panic(err)
	}
	fmt.Println("initially up:", initial.Up)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	t := <-transitions
	fmt.Println(t.RealServer, "up:", t.Up(), "weight:", t.To.Weight, "by", t.Check)
	cancel()
	<-done
	// Output:
	// initially up: false
	// rs1 up: true weight: 1 by TCP_CHECK#1
}
