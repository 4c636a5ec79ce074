package healthcheck

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

// Kind names a checker type with keepalived's block keyword.
type Kind string

// The checker kinds keepalived knows. BFD_CHECK has no probe of its own
// here: internal/lvs implements it over the daemon's BFD sessions.
const (
	KindTCP  Kind = "TCP_CHECK"
	KindHTTP Kind = "HTTP_GET"
	KindSSL  Kind = "SSL_GET"
	KindSMTP Kind = "SMTP_CHECK"
	KindDNS  Kind = "DNS_CHECK"
	KindUDP  Kind = "UDP_CHECK"
	KindPing Kind = "PING_CHECK"
	KindMisc Kind = "MISC_CHECK"
	KindFile Kind = "FILE_CHECK"
	KindBFD  Kind = "BFD_CHECK"
)

// Checker is one probe of one real server. Check must return by the time
// ctx is done (the scheduler sets the deadline from connect_timeout or
// misc_timeout) and must release everything it opened before returning.
// A Checker is used by one probe at a time.
type Checker interface {
	Kind() Kind
	Check(ctx context.Context) Result
}

// Result is the outcome of one probe.
type Result struct {
	// Err is nil when the check passed; otherwise its text is the reason
	// reported in the transition (keepalived logs the same kind of text).
	Err error
	// Weight is the dynamic weight effect of a passing check (MISC_CHECK
	// misc_dynamic, FILE_CHECK dynamic). The zero value leaves the weight
	// as it was.
	Weight WeightChange
}

// WeightMode says how a WeightChange applies to a real server's weight.
type WeightMode int

// Weight modes.
const (
	// WeightKeep leaves this check's contribution as it was.
	WeightKeep WeightMode = iota
	// WeightSet makes the real server's weight Value: this check's
	// contribution becomes Value minus the configured weight, as keepalived
	// does for misc_dynamic ("exit status 10 sets the RS weight to 10").
	WeightSet
	// WeightAdd makes this check's contribution Value (FILE_CHECK dynamic:
	// file value × weight).
	WeightAdd
)

// WeightChange is a check's effect on the real-server weight.
type WeightChange struct {
	Mode  WeightMode
	Value int
}

// ErrTimeout is wrapped by probe errors caused by the probe's deadline.
var ErrTimeout = errors.New("timeout")

// ctxErr turns a context error into a probe error that names the stage
// that was running when the deadline hit.
func ctxErr(ctx context.Context, stage string, err error) error {
	// The connection deadline equals ctx's, so a read can fail a moment
	// before ctx reports it; parsers may also hide the net error.
	dl, ok := ctx.Deadline()
	if ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded) || (ok && !time.Now().Before(dl)) {
		return fmt.Errorf("%s: %w (%v)", stage, ErrTimeout, err)
	}
	return fmt.Errorf("%s: %w", stage, err)
}

// fail builds a failed Result.
func fail(err error) Result { return Result{Err: err} }
