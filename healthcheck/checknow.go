package healthcheck

import (
	"time"
)

// CheckNow asks for check name of a real server to be probed as soon as a
// concurrency slot is free instead of at its next due time (FILE_CHECK
// after inotify reported a change of its file). It reports whether a
// probe will start after the call: false when the check is unknown or
// when its probe is already running or waiting for a slot (that probe may
// have read the old state; the caller asks again shortly).
func (s *Scheduler) CheckNow(virtualServer, realServer, name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	srv := s.servers[serverKey{virtualServer, realServer}]
	if srv == nil {
		return false
	}
	for _, j := range srv.jobs {
		if j.spec.Name != name || j.dropped {
			continue
		}
		if j.index < 0 {
			return false // popped: in flight or waiting for a slot
		}
		j.due = time.Now()
		s.queue.fix(j.index)
		s.poke()
		return true
	}
	return false
}
