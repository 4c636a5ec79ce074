package api

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/alived/alived/status"
)

// TestEventsStreamsPublishedSnapshots: the stream sends the snapshot at
// once, sends a newly published one within a second, and does not repeat
// a snapshot that did not change.
func TestEventsStreamsPublishedSnapshots(t *testing.T) {
	src := &fakeSource{}
	first := sample()
	first.Taken = time.Now()
	src.snap.Store(first)
	srv := httptest.NewServer(NewHandler(src, Options{}))
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/v1/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	lines := make(chan *status.Snapshot)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<24)
		for {
			s := readEventOrNil(sc)
			if s == nil {
				close(lines)
				return
			}
			lines <- s
		}
	}()
	recv := func(within time.Duration) *status.Snapshot {
		t.Helper()
		select {
		case s, ok := <-lines:
			if !ok {
				t.Fatal("stream closed")
			}
			return s
		case <-time.After(within):
			return nil
		}
	}
	if s := recv(time.Second); s == nil || s.Instances[0].State != status.StateMaster {
		t.Fatalf("first event: %+v", s)
	}
	// The same snapshot, republished as a copy (as the daemon's source
	// returns), is not sent again.
	same := *first
	src.snap.Store(&same)
	if s := recv(300 * time.Millisecond); s != nil {
		t.Fatalf("an unchanged snapshot was sent again: %+v", s)
	}
	next := sample()
	next.Taken = first.Taken.Add(time.Second)
	next.Instances[0].State = status.StateBackup
	start := time.Now()
	src.snap.Store(next)
	s := recv(time.Second)
	if s == nil || s.Instances[0].State != status.StateBackup {
		t.Fatalf("published change not sent within 1 s: %+v", s)
	}
	t.Logf("change arrived after %v", time.Since(start))
}

// readEventOrNil is readEvent returning nil at the end of the stream.
func readEventOrNil(sc *bufio.Scanner) *status.Snapshot {
	event := ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: ") && event == "status":
			var s status.Snapshot
			if json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &s) != nil {
				return nil
			}
			return &s
		}
	}
	return nil
}

// TestEventsEndsWithTheRequest: the handler returns when the request's
// context ends, also while the daemon has published nothing yet.
func TestEventsEndsWithTheRequest(t *testing.T) {
	for _, snap := range []*status.Snapshot{nil, sample()} {
		src := &fakeSource{}
		src.snap.Store(snap)
		h := NewHandler(src, Options{})
		ctx, cancel := context.WithCancel(context.Background())
		req := httptest.NewRequestWithContext(ctx, "GET", "/api/v1/events", nil)
		rec := httptest.NewRecorder()
		done := make(chan struct{})
		go func() {
			h.ServeHTTP(rec, req)
			close(done)
		}()
		cancel()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			t.Fatalf("handler still running 2 s after the request ended (snapshot %v)", snap != nil)
		}
		if !strings.HasPrefix(rec.Body.String(), ": alived status stream") {
			t.Errorf("stream did not open with its comment: %q", rec.Body.String())
		}
	}
}

// TestEventsEncodeOncePerSnapshot: streams share one encoding of a
// snapshot, and a new snapshot is encoded anew.
func TestEventsEncodeOncePerSnapshot(t *testing.T) {
	var c eventCache
	s := sample()
	s.Taken = time.Now()
	a, _, err := c.encode(s)
	if err != nil {
		t.Fatal(err)
	}
	copyOf := *s
	b, _, _ := c.encode(&copyOf)
	if &a[0] != &b[0] {
		t.Error("the same snapshot was encoded twice")
	}
	next := sample()
	next.Taken = s.Taken.Add(time.Millisecond)
	next.Instances[0].State = status.StateFault
	d, _, _ := c.encode(next)
	if !strings.Contains(string(d), `"state":"FAULT"`) || !strings.HasPrefix(string(d), "event: status\ndata: {") || !strings.HasSuffix(string(d), "}\n\n") {
		t.Errorf("new snapshot's event: %.200s", d)
	}
}
