package netlab

import (
	"fmt"
	"runtime"

	"github.com/vishvananda/netns"
)

// Do runs fn with the calling process switched into the named network
// namespace (one that `ip netns add` made, such as a Node's NS) for fn's
// duration, and returns fn's error. Sockets fn creates belong to ns and keep
// belonging to it after Do returns, so a test can listen or dial inside a
// namespace and then serve or read from any goroutine.
//
// This is the one place netlab uses setns directly: a socket cannot be
// handed out of a child `ip netns exec` process.
//
// fn runs on a goroutine of its own, locked to an OS thread that is never
// unlocked: the runtime ends that thread with the goroutine, so a thread
// left in ns never runs other code and there is no switch back that could
// fail. fn must therefore not call t.Fatal (it is not the test goroutine);
// it returns an error instead.
func Do(ns string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		h, err := netns.GetFromName(ns)
		if err != nil {
			errc <- fmt.Errorf("netlab: namespace %s: %w", ns, err)
			return
		}
		defer h.Close()
		if err := netns.Set(h); err != nil {
			errc <- fmt.Errorf("netlab: enter namespace %s: %w", ns, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}
