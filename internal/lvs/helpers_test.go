package lvs

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alived/alived/config"
	"github.com/alived/alived/config/syntax"
	"github.com/alived/alived/ipvs"
	"github.com/alived/alived/status"
)

// testLoop stands in for the daemon's event loop: one goroutine runs
// every posted function in order, and do runs a function there and waits.
type testLoop struct {
	fns  chan func(time.Time)
	stop chan struct{}
	wg   sync.WaitGroup
}

func newTestLoop(t *testing.T) *testLoop {
	l := &testLoop{fns: make(chan func(time.Time), 64), stop: make(chan struct{})}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		for {
			select {
			case fn := <-l.fns:
				fn(time.Now())
			case <-l.stop:
				return
			}
		}
	}()
	t.Cleanup(func() { close(l.stop); l.wg.Wait() })
	return l
}

func (l *testLoop) post(fn func(time.Time)) {
	select {
	case l.fns <- fn:
	case <-l.stop:
	}
}

func (l *testLoop) do(fn func()) {
	ch := make(chan struct{})
	l.post(func(time.Time) { fn(); close(ch) })
	<-ch
}

// loadConfig writes text as keepalived.conf and loads it, failing on
// anything worse than a warning.
func loadConfig(t testing.TB, dir, text string) *config.Config {
	t.Helper()
	return loadConfigUpTo(t, dir, text, syntax.Warning)
}

// loadConfigUpTo is loadConfig accepting diagnostics up to worst (for
// configurations keepalived repairs with an error, like mismatched DR
// ports).
func loadConfigUpTo(t testing.TB, dir, text string, worst syntax.Severity) *config.Config {
	t.Helper()
	path := filepath.Join(dir, "keepalived.conf")
	writeFile(t, path, text, 0o644)
	// The daemon's own way in: load, validate, script security (scripts
	// it refuses are marked disabled). Script problems never refuse a
	// configuration, so worst applies to the rest.
	c := config.Check(path, config.CheckOptions{Hostname: "lb1", Env: anyIf})
	for _, d := range c.Refusals(worst < syntax.Error) {
		t.Fatalf("config: %s", config.Format(d))
	}
	return c.Config
}

// rig is a Subsystem on a fake kernel, driven by a test loop.
type rig struct {
	t    *testing.T
	loop *testLoop
	fake *ipvs.Fake
	sub  *Subsystem
	dir  string
}

func startRig(t *testing.T, cfgText string, mod func(*Options)) *rig {
	t.Helper()
	r := &rig{t: t, loop: newTestLoop(t), fake: ipvs.NewFake(), dir: t.TempDir()}
	cfg := loadConfig(t, r.dir, strings.ReplaceAll(cfgText, "@DIR@", r.dir))
	opt := Options{Post: r.loop.post, Client: r.fake}
	if mod != nil {
		mod(&opt)
	}
	sub, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	r.sub = sub
	var startErr error
	r.loop.do(func() { startErr = sub.Start(time.Now(), cfg) })
	if startErr != nil {
		t.Fatal(startErr)
	}
	t.Cleanup(func() { r.loop.do(func() { sub.Stop(time.Now()) }) })
	return r
}

func (r *rig) reload(text string) error {
	cfg := loadConfig(r.t, r.dir, strings.ReplaceAll(text, "@DIR@", r.dir))
	var err error
	r.loop.do(func() { err = r.sub.Reload(time.Now(), cfg) })
	return err
}

func (r *rig) snapshot() Snapshot {
	var s Snapshot
	r.loop.do(func() { s = r.sub.snapshot() })
	return s
}

// dests returns the fake kernel's destinations of service key as
// "ADDR:PORT=WEIGHT" strings in a stable order.
func (r *rig) dests(key string) string {
	for k, vs := range r.fake.Snapshot() {
		if k.String() != key {
			continue
		}
		var out []string
		for _, d := range vs.SortedDests() {
			out = append(out, fmt.Sprintf("%s=%d", d.DestKey, d.Weight))
		}
		return normDests(strings.Join(out, " "))
	}
	return "<no service>"
}

// normDests sorts a space-separated destination list, so expectations
// need not know the kernel's order.
func normDests(s string) string {
	f := strings.Fields(s)
	slices.Sort(f)
	return strings.Join(f, " ")
}

// waitDests waits until service key holds exactly want, and returns how
// long that took.
func (r *rig) waitDests(key, want string, within time.Duration) time.Duration {
	r.t.Helper()
	want = normDests(want)
	start := time.Now()
	deadline := start.Add(within)
	for {
		got := r.dests(key)
		if got == want {
			return time.Since(start)
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%s: destinations %q, want %q after %v\nkernel:\n%s", key, got, want, within, r.fake.Snapshot())
		}
		time.Sleep(5 * time.Millisecond) // polling the fake kernel, not synchronising
	}
}

// waitFile waits until the file at path contains every one of want.
func waitFile(t *testing.T, path string, within time.Duration, want ...string) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		b, _ := os.ReadFile(path)
		ok := true
		for _, w := range want {
			if !strings.Contains(string(b), w) {
				ok = false
			}
		}
		if ok {
			return string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s holds %q, want all of %q", path, b, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// tcpServer is a loopback listener that can be stopped and started again
// on the same port.
type tcpServer struct {
	t    *testing.T
	addr netip.AddrPort
	mu   sync.Mutex
	ln   net.Listener
}

func newTCPServer(t *testing.T) *tcpServer { return newTCPServerOn(t, "127.0.0.1:0") }

// newTCPServerOn listens on addr.
func newTCPServerOn(t *testing.T, addr string) *tcpServer {
	s := &tcpServer{t: t}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().(*net.TCPAddr).AddrPort()
	s.serve(ln)
	t.Cleanup(s.stop)
	return s
}

func (s *tcpServer) serve(ln net.Listener) {
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
}

func (s *tcpServer) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		s.ln.Close()
		s.ln = nil
	}
}

func (s *tcpServer) start() {
	ln, err := net.Listen("tcp", s.addr.String())
	if err != nil {
		s.t.Fatal(err)
	}
	s.serve(ln)
}

// httpServer answers /health with a status the test controls.
type httpServer struct {
	addr   netip.AddrPort
	status atomic.Int32
}

func newHTTPServer(t *testing.T) *httpServer {
	h := &httpServer{}
	h.status.Store(200)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.addr = ln.Addr().(*net.TCPAddr).AddrPort()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(h.status.Load()))
		fmt.Fprintln(w, "ok")
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return h
}

// noteScript writes an executable script that appends its arguments to
// out, one line per run.
func noteScript(t *testing.T, dir, out string) string {
	t.Helper()
	path := filepath.Join(dir, "note.sh")
	body := "#!/bin/sh\necho \"$*\" >> " + out + "\n"
	writeFile(t, path, body, 0o755)
	return path
}

// fifoReader collects the lines written to a FIFO.
type fifoReader struct {
	mu    sync.Mutex
	lines []string
}

// readFIFO opens the FIFO at path (which the notifier has created and
// holds open, so the open does not block) and collects its lines until the
// test ends.
func readFIFO(t *testing.T, path string) *fifoReader {
	t.Helper()
	// The os package puts a pipe in the runtime poller, so Close in the
	// cleanup unblocks a pending Read.
	f, err := os.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	r := &fifoReader{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			r.mu.Lock()
			r.lines = append(r.lines, sc.Text())
			r.mu.Unlock()
		}
	}()
	t.Cleanup(func() { f.Close(); <-done })
	return r
}

func (r *fifoReader) wait(t *testing.T, within time.Duration, want ...string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		r.mu.Lock()
		got := strings.Join(r.lines, "\n")
		r.mu.Unlock()
		ok := true
		for _, w := range want {
			if !strings.Contains(got, w) {
				ok = false
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("fifo lines:\n%s\nwant all of %q", got, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// at is one expected destination, "ADDR:PORT=WEIGHT", as dests lists it.
func at(ap netip.AddrPort, weight int) string { return fmt.Sprintf("%s=%d", ap, weight) }

// writeFile writes body to path with perm or fails the test.
func writeFile(t testing.TB, path, body string, perm os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), perm); err != nil {
		t.Fatal(err)
	}
}

// rsKey is a real server's destination in the kernel table as the plan
// keys it ("ADDR:PORT").
func rsKey(rs status.RealServer) string {
	return netip.AddrPortFrom(netip.MustParseAddr(rs.Address), rs.Port).String()
}
