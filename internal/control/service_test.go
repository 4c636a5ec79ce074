package control

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alived/alived/config"
	"github.com/alived/alived/config/edit"
	"github.com/alived/alived/internal/confstore"
	"github.com/alived/alived/status"
)

// checkingLoop is the daemon as far as the Service can tell: candidates
// are really read and validated by config.Check (as the daemon's Candidate
// does), and Reload reads the disk the same way or fails as told.
type checkingLoop struct {
	main      string
	reloadErr error
	reloads   int
}

type diagErr []string

func (d diagErr) Error() string   { return strings.Join(d, "; ") }
func (d diagErr) Diags() []string { return d }

func (l *checkingLoop) check(ov config.Overlay) error {
	c := config.Check(l.main, config.CheckOptions{Hostname: "test", Overlay: ov})
	if bad := c.Refusals(true); len(bad) > 0 {
		var d diagErr
		for _, b := range bad {
			d = append(d, config.Format(b))
		}
		return d
	}
	return nil
}

func (l *checkingLoop) Candidate(_ context.Context, ov config.Overlay) (*status.Preview, error) {
	if err := l.check(ov); err != nil {
		return nil, err
	}
	return &status.Preview{}, nil
}

func (l *checkingLoop) CheckCandidate(_ context.Context, ov config.Overlay) (*config.Config, error) {
	if err := l.check(ov); err != nil {
		return nil, err
	}
	return &config.Config{}, nil
}

func (l *checkingLoop) ReloadWith(ctx context.Context, _ *config.Config) error { return l.Reload(ctx) }

func (l *checkingLoop) Reload(context.Context) error {
	l.reloads++
	if l.reloadErr != nil {
		return l.reloadErr
	}
	return l.check(config.Overlay{})
}

const baseConf = `# the operator's comment
global_defs {
  router_id lb1
}

virtual_server 10.0.0.1 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  # first real server
  real_server 10.0.1.1 80 {
    weight 1
  }
}
`

type rig struct {
	t     *testing.T
	dir   string
	main  string
	loop  *checkingLoop
	store *confstore.Store
	svc   *Service
}

func newRig(t *testing.T) *rig {
	t.Helper()
	dir := t.TempDir()
	main := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(main, []byte(baseConf), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := confstore.Open(confstore.Options{Dir: filepath.Join(dir, "state")})
	if err != nil {
		t.Fatal(err)
	}
	loop := &checkingLoop{main: main}
	return &rig{t: t, dir: dir, main: main, loop: loop, store: st, svc: New(Options{ConfigFile: main, Loop: loop, Store: st})}
}

func (r *rig) read() string {
	r.t.Helper()
	b, err := os.ReadFile(r.main)
	if err != nil {
		r.t.Fatal(err)
	}
	return string(b)
}

func weight(n uint32) *uint32 { return &n }

func addRS(addr string) Edit {
	return Edit{Op: AddRS, VS: "10.0.0.1:80/tcp", RS: addr, RealServer: &edit.RSSpec{Weight: weight(2),
		Checks: []edit.Param{{Keyword: "TCP_CHECK", IsBlock: true, Block: []edit.Param{{Keyword: "connect_timeout", Args: []string{"3"}}}}}}}
}

func TestStageApplyWritesAndReloads(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	p, err := r.svc.Stage(ctx, "alice", addRS("10.0.1.2:80"))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Changes) != 1 || !strings.Contains(p.Diff, "+  real_server 10.0.1.2 80 {") {
		t.Fatalf("pending = %+v", p)
	}
	if r.read() != baseConf {
		t.Fatal("staging wrote to disk")
	}
	res, err := r.svc.Apply(ctx, "alice", "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Revision != 1 || r.loop.reloads != 1 {
		t.Fatalf("revision %d, reloads %d", res.Revision, r.loop.reloads)
	}
	got := r.read()
	if !strings.Contains(got, "real_server 10.0.1.2 80 {") || !strings.HasPrefix(got, "# the operator's comment\n") {
		t.Fatalf("file after apply:\n%s", got)
	}
	if len(r.svc.Pending().Changes) != 0 {
		t.Fatal("pending edits survived the apply")
	}
	h, err := r.svc.History()
	if err != nil || len(h) != 1 || h[0].Author != "alice" || !strings.Contains(h[0].Message, "add-rs 10.0.1.2:80") {
		t.Fatalf("history = %+v, %v", h, err)
	}
}

// TestRefusedReloadRestoresTheFiles: when the reload refuses what was
// written, the previous bytes are back on disk and the error says so.
func TestRefusedReloadRestoresTheFiles(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	if _, err := r.svc.Stage(ctx, "bob", addRS("10.0.1.3:80")); err != nil {
		t.Fatal(err)
	}
	r.loop.reloadErr = diagErr{"keepalived.conf:9: error: refused by the test"}
	_, err := r.svc.Apply(ctx, "bob", "")
	if KindOf(err) != Rejected || !strings.Contains(err.Error(), "restored") {
		t.Fatalf("apply with a refused reload: %v (kind %v)", err, KindOf(err))
	}
	var ce *Error
	if !errors.As(err, &ce) || len(ce.Diagnostics) != 1 {
		t.Fatalf("diagnostics lost: %#v", err)
	}
	if r.read() != baseConf {
		t.Fatalf("files not restored:\n%s", r.read())
	}
}

func TestConflictWritesNothing(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	if _, err := r.svc.Stage(ctx, "carol", addRS("10.0.1.4:80")); err != nil {
		t.Fatal(err)
	}
	hand := baseConf + "# edited by hand meanwhile\n"
	if err := os.WriteFile(r.main, []byte(hand), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.Apply(ctx, "carol", ""); KindOf(err) != Conflict {
		t.Fatalf("apply over a hand edit: %v", err)
	}
	if r.read() != hand || r.loop.reloads != 0 {
		t.Fatalf("conflicting apply wrote or reloaded (reloads %d)", r.loop.reloads)
	}
}

// TestBadEditsChangeNothing: unknown objects, bad names and candidates the
// daemon would refuse are errors of their kind, and what was staged
// before stays staged.
func TestBadEditsChangeNothing(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	if _, err := r.svc.Stage(ctx, "dave", addRS("10.0.1.5:80")); err != nil {
		t.Fatal(err)
	}
	before := r.svc.Pending()
	cases := []struct {
		e    Edit
		kind Kind
	}{
		{Edit{Op: DeleteRS, VS: "10.0.0.9:80/tcp", RS: "10.0.1.1:80"}, NotFound},
		{Edit{Op: DeleteRS, VS: "10.0.0.1:80", RS: "not-an-address"}, Invalid},
		{Edit{Op: "frobnicate", VS: "10.0.0.1:80"}, Invalid},
		{Edit{Op: AddRS, VS: "10.0.0.1:80", RS: "10.0.1.6:80"}, Invalid},
		{Edit{Op: SetRS, VS: "10.0.0.1:80", RS: "10.0.1.1:80", RealServer: &edit.RSSpec{Weight: weight(1),
			Checks: []edit.Param{{Keyword: "HTTP_GET", IsBlock: true}}}}, Rejected}, // HTTP_GET without url
	}
	for _, c := range cases {
		_, err := r.svc.Stage(ctx, "dave", c.e)
		if KindOf(err) != c.kind {
			t.Errorf("%s: err = %v (kind %v), want kind %v", c.e.Summary(), err, KindOf(err), c.kind)
		}
	}
	if after := r.svc.Pending(); after.Diff != before.Diff || len(after.Changes) != 1 {
		t.Fatalf("a refused edit changed what was staged")
	}
}

func TestRollbackRestoresARevision(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	for _, a := range []string{"10.0.1.7:80", "10.0.1.8:80"} {
		if _, err := r.svc.Stage(ctx, "erin", addRS(a)); err != nil {
			t.Fatal(err)
		}
		if _, err := r.svc.Apply(ctx, "erin", ""); err != nil {
			t.Fatal(err)
		}
	}
	afterFirst := r.read()
	if !strings.Contains(afterFirst, "10.0.1.8") {
		t.Fatal("second apply missing")
	}
	plan, err := r.svc.PlanRollback(ctx, 1)
	if err != nil || !strings.Contains(plan.Diff, "-  real_server 10.0.1.8 80 {") {
		t.Fatalf("rollback plan: %v\n%+v", err, plan)
	}
	if _, err := r.svc.Rollback(ctx, "erin", 1); err != nil {
		t.Fatal(err)
	}
	got := r.read()
	if strings.Contains(got, "10.0.1.8") || !strings.Contains(got, "10.0.1.7") {
		t.Fatalf("after rollback to 1:\n%s", got)
	}
	if _, err := r.svc.Rollback(ctx, "erin", 0); err != nil {
		t.Fatal(err)
	}
	if r.read() != baseConf {
		t.Fatalf("rollback to 0 is not the original:\n%s", r.read())
	}
	if _, err := r.svc.Rollback(ctx, "erin", 99); KindOf(err) != NotFound {
		t.Fatalf("rollback to a missing revision: %v", err)
	}
}
