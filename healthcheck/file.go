package healthcheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// FileOptions configures FILE_CHECK. The daemon resolves track_file NAME to
// the file of the global track_file block and passes that block's weight
// when the checker sets none, as keepalived does.
type FileOptions struct {
	// Path is the tracked file.
	Path string
	// Weight multiplies the file's value (weight N, default 1); Reverse
	// negates the product (weight N reverse).
	Weight  int
	Reverse bool
	// Dynamic adds value×weight to the real server's weight (dynamic).
	Dynamic bool
}

// FileChecker is FILE_CHECK. It reads the file on every probe; the daemon
// watches the file (inotify, internal/filewatch) and asks the Scheduler
// for a probe when it changes (Scheduler.CheckNow), so a change takes
// effect at once, as in keepalived, and delay_loop is only a safety net.
type FileChecker struct{ o FileOptions }

// Path returns the tracked file, for the daemon's watch.
func (c *FileChecker) Path() string { return c.o.Path }

// NewFile validates o and returns a FILE_CHECK checker.
func NewFile(o FileOptions) (*FileChecker, error) {
	if o.Path == "" {
		return nil, errors.New("FILE_CHECK: no track_file")
	}
	if o.Weight < -MaxWeight || o.Weight > MaxWeight {
		return nil, fmt.Errorf("FILE_CHECK: weight %d outside -%d..%d", o.Weight, MaxWeight, MaxWeight)
	}
	return &FileChecker{o: o}, nil
}

// Kind returns KindFile.
func (c *FileChecker) Kind() Kind { return KindFile }

// Check reads the file's leading integer (a missing or empty file reads as
// 0). With weight 0 any non-zero value is down; otherwise the check is down
// when value×weight is at or below -MaxWeight, and with Dynamic passes
// value×weight on as a weight contribution.
func (c *FileChecker) Check(ctx context.Context) Result {
	v, err := readTrackValue(c.o.Path)
	if err != nil {
		return fail(err)
	}
	if c.o.Weight == 0 {
		if v != 0 {
			return fail(fmt.Errorf("track file %s holds %d (weight 0: any non-zero value is down)", c.o.Path, v))
		}
		return Result{}
	}
	status := int64(v) * int64(c.o.Weight)
	if c.o.Reverse {
		status = -status
	}
	if status <= -MaxWeight {
		return fail(fmt.Errorf("track file %s holds %d: value×weight %d is at or below -%d", c.o.Path, v, status, MaxWeight))
	}
	r := Result{}
	if c.o.Dynamic {
		r.Weight = WeightChange{Mode: WeightAdd, Value: int(min(status, MaxWeight))}
	}
	return r
}

// readTrackValue reads the leading integer of a small file, like strtol.
func readTrackValue(path string) (int, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("track file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 64))
	if err != nil {
		return 0, fmt.Errorf("track file %s: %w", path, err)
	}
	s := strings.TrimSpace(string(b))
	end := 0
	for end < len(s) && (s[end] >= '0' && s[end] <= '9' || end == 0 && (s[end] == '-' || s[end] == '+')) {
		end++
	}
	v, err := strconv.Atoi(s[:end])
	if err != nil {
		return 0, nil // strtol semantics: no digits reads as 0
	}
	return v, nil
}
