package status

import (
	"strings"
	"testing"
)

func TestStateNumberIsKeepalivedsNumbering(t *testing.T) {
	for s, want := range map[string]int{"INIT": 0, "BACKUP": 1, "MASTER": 2, "FAULT": 3, "STOP": -1, "": -1} {
		if got := StateNumber(s); got != want {
			t.Errorf("StateNumber(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestSummary(t *testing.T) {
	var nilSnap *Snapshot
	if got := nilSnap.Summary(); got != "starting" {
		t.Errorf("nil summary %q", got)
	}
	if got := (&Snapshot{}).Summary(); got != "running, nothing configured" {
		t.Errorf("empty summary %q", got)
	}
	s := &Snapshot{
		Instances:      []Instance{{Name: "VI_1", State: StateMaster}, {Name: "VI_2", State: StateBackup}},
		VirtualServers: []VirtualServer{{RealServers: []RealServer{{Up: true}, {Up: false}, {Up: true}}}},
	}
	if got, want := s.Summary(), "VI_1 MASTER, VI_2 BACKUP; 2/3 real servers up"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	for i := 0; i < 10; i++ {
		s.Instances = append(s.Instances, Instance{Name: "X", State: StateBackup})
	}
	if got := s.Summary(); strings.Count(got, "BACKUP") > 4 || !strings.Contains(got, "…") {
		t.Errorf("long summary not shortened: %q", got)
	}
}
