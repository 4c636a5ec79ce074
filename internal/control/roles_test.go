package control

import "testing"

// TestSummaryOp: every edit's summary starts with its operation, which is
// what StagedOps reads back; a summary format change that broke the
// role policy fails here.
func TestSummaryOp(t *testing.T) {
	for _, op := range []Op{AddVS, SetVS, DeleteVS, EnableVS, DisableVS, AddRS, SetRS, DeleteRS, EnableRS, DisableRS, SetGlobals} {
		for _, e := range []Edit{{Op: op, VS: "10.0.0.1:80/tcp"}, {Op: op, VS: "10.0.0.1:80/tcp", RS: "10.0.0.2:80"}} {
			if got := summaryOp(e.Summary()); got != op {
				t.Errorf("summary %q reads back as %q, want %q", e.Summary(), got, op)
			}
		}
	}
}
