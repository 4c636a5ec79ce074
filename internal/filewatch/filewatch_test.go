//go:build linux

package filewatch

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// eventWait bounds how long a test waits for an event that must come;
// inotify delivers within microseconds, the margin is for loaded CI.
const eventWait = 5 * time.Second

// startWatcher runs a Watcher until the test ends and returns it with the
// buffer its log lines go to.
func startWatcher(t *testing.T, poll time.Duration) (*Watcher, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	w, err := New(Options{Poll: poll, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return w, logs
}

// signal returns a subscriber that sends on a buffered channel, and the
// channel.
func signal() (func(), chan struct{}) {
	ch := make(chan struct{}, 64)
	return func() { ch <- struct{}{} }, ch
}

func mustSee(t *testing.T, ch chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(eventWait):
		t.Fatalf("no event after %s", what)
	}
}

// drain empties ch, so the next mustSee waits for a new event.
func drain(ch chan struct{}) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

func write(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestWatcherSeesEveryWayAFileChanges(t *testing.T) {
	w, _ := startWatcher(t, time.Hour)
	dir := t.TempDir()
	path := filepath.Join(dir, "track")
	fn, ch := signal()
	w.Add(path, fn)

	write(t, path, "1\n")
	mustSee(t, ch, "create and write")
	drain(ch)

	write(t, path, "2\n")
	mustSee(t, ch, "rewrite in place")
	drain(ch)

	// An editor's save: write a temporary file, rename it over the
	// original (a watch on the file's inode would miss this).
	tmp := filepath.Join(dir, ".track.swp")
	write(t, tmp, "3\n")
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	mustSee(t, ch, "rename over")
	drain(ch)

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	mustSee(t, ch, "delete")
	drain(ch)

	write(t, path, "4\n")
	mustSee(t, ch, "re-create")
	drain(ch)

	if err := os.Rename(path, filepath.Join(dir, "elsewhere")); err != nil {
		t.Fatal(err)
	}
	mustSee(t, ch, "rename away")
}

func TestWatcherIgnoresOtherFilesOfTheDirectory(t *testing.T) {
	w, _ := startWatcher(t, time.Hour)
	dir := t.TempDir()
	mine, other := filepath.Join(dir, "mine"), filepath.Join(dir, "other")
	fnMine, chMine := signal()
	fnOther, chOther := signal()
	w.Add(mine, fnMine)
	w.Add(other, fnOther)
	write(t, other, "1")
	mustSee(t, chOther, "write to other")
	// Then write mine: its event comes after other's in the same queue,
	// so when it has arrived, a wrong event for mine would have too.
	write(t, mine, "1")
	mustSee(t, chMine, "write to mine")
	if n := len(chMine); n != 0 {
		t.Errorf("mine called %d extra times, after a write to another file", n)
	}
}

func TestWatcherRemoveStopsCalls(t *testing.T) {
	w, _ := startWatcher(t, time.Hour)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	fnA, chA := signal()
	fnB, chB := signal()
	removeA := w.Add(a, fnA)
	w.Add(b, fnB)
	removeA()
	removeA() // idempotent
	write(t, a, "1")
	write(t, b, "1")
	mustSee(t, chB, "write to b")
	if len(chA) != 0 {
		t.Error("removed subscriber still called")
	}
}

func TestWatcherPollsForMissingDirectory(t *testing.T) {
	const poll = 20 * time.Millisecond
	w, logs := startWatcher(t, poll)
	parent := t.TempDir()
	dir := filepath.Join(parent, "later")
	path := filepath.Join(dir, "track")
	fn, ch := signal()
	w.Add(path, fn)
	if !strings.Contains(logs.String(), "polling for it") {
		t.Errorf("no log line for the missing directory; logs:\n%s", logs)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	mustSee(t, ch, "directory created")
	drain(ch)
	// Once found, the directory is watched, not polled.
	write(t, path, "7")
	mustSee(t, ch, "write after the directory appeared")
	drain(ch)

	// The directory going away is a change too, and it is polled for
	// again. The file goes first, so that the directory's own event is
	// the one awaited next.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	mustSee(t, ch, "file removed")
	drain(ch)
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	mustSee(t, ch, "directory removed")
	drain(ch)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	mustSee(t, ch, "directory re-created")
	drain(ch)
	write(t, path, "8")
	mustSee(t, ch, "write into the re-created directory")
	if !strings.Contains(logs.String(), "went away") || !strings.Contains(logs.String(), "appeared") {
		t.Errorf("log lack the fallback and recovery lines:\n%s", logs)
	}
}

func TestWatcherRunStopsWithContext(t *testing.T) {
	w, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	w.Add(filepath.Join(t.TempDir(), "f"), func() {})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after cancel: %v", err)
		}
	case <-time.After(eventWait):
		t.Fatal("Run did not return after its context ended")
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestWatcherLatency measures write-to-callback latency and fails if it
// is anywhere near the 200 ms poll inotify replaced. Run with -v to see
// the numbers.
func TestWatcherLatency(t *testing.T) {
	w, _ := startWatcher(t, time.Hour)
	path := filepath.Join(t.TempDir(), "track")
	fn, ch := signal()
	w.Add(path, fn)
	var lat []time.Duration
	for i := range 50 {
		drain(ch)
		start := time.Now()
		write(t, path, string(rune('0'+i%10)))
		mustSee(t, ch, "write")
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	p50, p99 := lat[len(lat)/2], lat[len(lat)*99/100]
	t.Logf("write→callback latency over %d writes: p50 %v, p99 %v, max %v", len(lat), p50, p99, lat[len(lat)-1])
	if p50 > 50*time.Millisecond {
		t.Errorf("median latency %v; inotify should deliver in well under a millisecond", p50)
	}
}

// syncBuffer is a bytes.Buffer safe for the watcher's goroutine and the
// test's.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestWatcherBusyFileDoesNotStarvePoll keeps writing a watched file more
// often than the poll interval while another file's directory is missing:
// the directory must still be found.
func TestWatcherBusyFileDoesNotStarvePoll(t *testing.T) {
	const poll = 200 * time.Millisecond
	w, _ := startWatcher(t, poll)
	busy := filepath.Join(t.TempDir(), "busy")
	w.Add(busy, func() {})
	later := filepath.Join(t.TempDir(), "later")
	fn, ch := signal()
	w.Add(filepath.Join(later, "track"), fn)
	if err := os.Mkdir(later, 0o755); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(eventWait)
	tick := time.NewTicker(poll / 40)
	defer tick.Stop()
	for {
		select {
		case <-ch:
			return
		case <-deadline:
			t.Fatal("missing directory never found while another file was busy")
		case <-tick.C:
			write(t, busy, "1")
		}
	}
}
