package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/alived/alived/status"
)

// eventsPoll is how often the events stream looks for a new snapshot. The
// daemon publishes by swapping a pointer and wakes nobody, so a stream
// polls: 100 ms keeps a browser within a second of the daemon at the cost
// of one pointer load per tick and client.
const eventsPoll = 100 * time.Millisecond

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

// events streams the status as server-sent events: an event "status"
// carrying the whole snapshot (the body of GET /api/v1/status, on one
// line) at once and again whenever the daemon publishes a new one. It
// returns when the client goes away.
func (h *handler) events(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// A comment line first, so the client sees the stream open even while
	// the daemon is starting and has no snapshot yet.
	if _, err := fmt.Fprint(w, ": alived status stream\n\n"); err != nil || rc.Flush() != nil {
		return
	}
	var last *status.Snapshot
	var lastStamp snapshotStamp
	tick := time.NewTicker(eventsPoll)
	defer tick.Stop()
	for {
		if s := h.src.Snapshot(); s != nil && (last == nil || s != last && stampOf(s) != lastStamp) {
			b, err := json.Marshal(s)
			if err != nil {
				return
			}
			// JSON from encoding/json has no raw newline, so one data
			// line carries it.
			if _, err := fmt.Fprintf(w, "event: status\ndata: %s\n\n", b); err != nil || rc.Flush() != nil {
				return
			}
			last, lastStamp = s, stampOf(s)
		}
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
	}
}
