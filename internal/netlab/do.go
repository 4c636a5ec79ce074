package netlab

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/vishvananda/netns"
)

// Do runs fn on an OS thread switched into the named network namespace
// (one that `ip netns add` made, such as a Node's NS) for fn's duration,
// and returns fn's error. Sockets fn creates belong to ns and keep
// belonging to it after Do returns, so a test can listen or dial inside a
// namespace and then serve or read from any goroutine.
//
// This is the one place netlab uses setns directly: a socket cannot be
// handed out of a child `ip netns exec` process.
//
// fn runs on a goroutine of its own, locked to its OS thread, so that no
// other goroutine ever runs in ns. Afterwards the thread switches back to
// the namespace it came from and returns to the runtime's pool; if that
// switch fails the thread stays locked and the runtime ends it with the
// goroutine. fn must not call t.Fatal (it is not the test goroutine); it
// returns an error instead.
func Do(ns string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("netlab: current namespace: %w", err)
			return
		}
		defer orig.Close()
		h, err := netns.GetFromName(ns)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("netlab: namespace %s: %w", ns, err)
			return
		}
		defer h.Close()
		if err := netns.Set(h); err != nil {
			// setns failed, so the thread is still where it was.
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("netlab: enter namespace %s: %w", ns, err)
			return
		}
		ferr := fn()
		if err := netns.Set(orig); err != nil {
			// Stay locked: the thread dies with this goroutine.
			errc <- errors.Join(ferr, fmt.Errorf("netlab: leave namespace %s: %w", ns, err))
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}
