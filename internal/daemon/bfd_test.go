package daemon

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/alived/alived/internal/bfdd"
	"github.com/alived/alived/internal/vrrpd"
	"github.com/alived/alived/status"
)

type bfdObserverFunc func(name string, up bool)

func (f bfdObserverFunc) BFDStateChanged(_ time.Time, name string, up bool) { f(name, up) }

// fakeObserverComp is a non-VRRP component observing BFD (the LVS side's
// role).
type fakeObserverComp struct {
	fakeComp
	bfdObserverFunc
}

// TestBFDToCheckers: the checker side's fan-out tells every component
// that observes BFD except the VRRP side, which the BFD component tells
// directly (bfdd tests which side hears which session).
func TestBFDToCheckers(t *testing.T) {
	var checker []string
	var vrrpLog bytes.Buffer
	vc := vrrpd.New(vrrpd.Options{Logger: slog.New(slog.NewTextHandler(&vrrpLog, nil))})
	obs := &fakeObserverComp{bfdObserverFunc: func(name string, up bool) { checker = append(checker, fmt.Sprintf("%s=%v", name, up)) }}
	d := &Daemon{comps: []Component{vc, obs}}
	now := time.Now()
	d.bfdToCheckers(now, "s", true)
	d.bfdToCheckers(now, "s", false)
	if got := fmt.Sprint(checker); got != "[s=true s=false]" {
		t.Errorf("checker side heard %s", got)
	}
	// The VRRP side logs every session change it hears of.
	vc.BFDStateChanged(now, "direct", true)
	if got := vrrpLog.String(); strings.Contains(got, "bfd=s") || !strings.Contains(got, "bfd=direct") {
		t.Errorf("vrrp side's log %q: want only the direct change", got)
	}
}

// TestBFDStatus: the BFD component's snapshot reaches the status view.
func TestBFDStatus(t *testing.T) {
	snap := bfdd.Snapshot{Sessions: []status.BFDSession{
		{Name: "a", Neighbor: "10.0.0.2", State: "Up"}, {Name: "b", Neighbor: "10.0.0.3", State: "Down"}}}
	st := ConvertSnapshot(&Snapshot{Components: map[string]any{"bfd": snap}}, status.Build{})
	if len(st.BFDSessions) != 2 || st.BFDSessions[1].Name != "b" || st.BFDSessions[1].Neighbor != "10.0.0.3" || st.BFDSessions[0].State != "Up" {
		t.Errorf("status view %+v", st.BFDSessions)
	}
}
