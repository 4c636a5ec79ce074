package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/alived/alived/status"
)

// Events stream timing. The daemon publishes by swapping a pointer and
// wakes nobody, so a stream polls: every 100 ms keeps a browser within a
// second of the daemon at the cost of one pointer load per tick and
// client. A snapshot is encoded once for all clients; when encoding is
// slow (6.5 MB at 1,000 × 10 servers) the gap between events grows to ten
// times the encoding time, up to a second, so a daemon that publishes
// constantly cannot keep a core busy encoding for its dashboards.
const (
	eventsPoll   = 100 * time.Millisecond
	eventsMaxGap = time.Second
	// eventsWriteTimeout bounds one event's write: a client that stops
	// reading is dropped instead of holding its goroutine forever.
	eventsWriteTimeout = 30 * time.Second
)

// snapshotStamp identifies a published snapshot. status.Source may return
// a fresh copy on every call (the daemon's does, to fill in the reload
// fields), so the pointer alone cannot tell "same snapshot" from "new
// one"; the publish time and the reload fields can.
type snapshotStamp struct {
	taken, lastReload time.Time
	reloads           int
	reloadOK          bool
}

func stampOf(s *status.Snapshot) snapshotStamp {
	return snapshotStamp{taken: s.Taken, lastReload: s.LastReload, reloads: s.Reloads, reloadOK: s.LastReloadOK}
}

// eventCache holds the latest snapshot's encoding, shared by every
// stream of a handler.
type eventCache struct {
	mu    sync.Mutex
	stamp snapshotStamp
	data  []byte
	cost  time.Duration // how long encoding it took
}

// encode returns the event for s, encoding it only if no stream has yet.
func (c *eventCache) encode(s *status.Snapshot) ([]byte, time.Duration, error) {
	st := stampOf(s)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.data != nil && c.stamp == st {
		return c.data, c.cost, nil
	}
	start := time.Now()
	b, err := json.Marshal(s)
	if err != nil {
		return nil, 0, fmt.Errorf("encoding the status: %w", err)
	}
	// JSON from encoding/json has no raw newline, so one data line
	// carries it.
	ev := make([]byte, 0, len(b)+32)
	ev = append(ev, "event: status\ndata: "...)
	ev = append(append(ev, b...), "\n\n"...)
	c.stamp, c.data, c.cost = st, ev, time.Since(start)
	return c.data, c.cost, nil
}

// events streams the status as server-sent events: an event "status"
// carrying the whole snapshot (the body of GET /api/v1/status, on one
// line) at once and again whenever the daemon publishes a new one. It
// returns when the client goes away.
func (h *handler) events(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	write := func(b []byte) bool {
		// Each write gets its own deadline, replacing the server's
		// WriteTimeout (meant for ordinary responses) for this
		// long-lived one. Writers without deadlines just write.
		_ = rc.SetWriteDeadline(time.Now().Add(eventsWriteTimeout))
		_, err := w.Write(b)
		return err == nil && rc.Flush() == nil
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// A comment line first, so the client sees the stream open even while
	// the daemon is starting and has no snapshot yet.
	if !write([]byte(": alived status stream\n\n")) {
		return
	}
	var last *status.Snapshot
	var lastStamp snapshotStamp
	var sentAt time.Time
	gap := time.Duration(0)
	tick := time.NewTicker(eventsPoll)
	defer tick.Stop()
	for {
		s := h.src.Snapshot()
		if s != nil && (last == nil || s != last && stampOf(s) != lastStamp) && time.Since(sentAt) >= gap {
			ev, cost, err := h.eventEnc.encode(s)
			if err != nil {
				h.log.Error("api: events", "err", err)
				return
			}
			if !write(ev) {
				return
			}
			last, lastStamp, sentAt = s, stampOf(s), time.Now()
			gap = min(10*cost, eventsMaxGap)
		}
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
	}
}
