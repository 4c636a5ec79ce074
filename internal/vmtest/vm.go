package vmtest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Options describe one VM run.
type Options struct {
	// Script is a shell script run as root in the guest, chrooted into
	// the host's root file system, with the share directory as working
	// directory.
	Script string
	// Share is a host directory (not under /tmp, which the guest's tmpfs
	// hides) that the guest can write; it appears at the same path inside.
	// Empty means a fresh directory under the cache, removed afterwards.
	Share string
	// Console receives the guest's console output as it arrives.
	Console io.Writer
	// Timeout bounds the whole run; zero means 10 minutes.
	Timeout time.Duration
	// MemoryMB is the guest's memory; zero means 1024.
	MemoryMB int
	// ICountShift, when positive, runs the guest under QEMU's instruction
	// counting: every guest instruction advances the guest's clock by
	// 2^ICountShift ns, so the guest's CPU accounting counts work done,
	// whatever else the host is running. The vCPUs then share one host
	// thread, and there is one vCPU. Zero keeps the faster two-vCPU
	// multi-threaded mode.
	ICountShift int
}

// Result is the outcome of a run.
type Result struct {
	// ExitCode is the script's exit status.
	ExitCode int
	// Console is everything the guest printed.
	Console []byte
	// Boot is the time from starting QEMU to the script starting.
	Boot time.Duration
	// Total is the time from starting QEMU to its exit.
	Total time.Duration
}

// ErrNoExitMarker means the guest stopped without reporting the script's
// exit status (kernel panic, init failure, timeout).
var ErrNoExitMarker = errors.New("vmtest: guest ended without reporting an exit status")

// NewShare creates a fresh writable share directory under the cache.
func NewShare() (string, error) {
	cache, err := CacheDir()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp(cache, "run-")
	if err != nil {
		return "", fmt.Errorf("vmtest: %w", err)
	}
	return dir, nil
}

// Run boots the VM, runs opt.Script and powers the VM off. The error is
// about the harness (no kernel, QEMU failed, no exit marker); the script's
// own failure is Result.ExitCode.
func Run(ctx context.Context, opt Options) (Result, error) {
	if opt.Timeout == 0 {
		opt.Timeout = 10 * time.Minute
	}
	if opt.MemoryMB == 0 {
		opt.MemoryMB = 1024
	}
	ctx, cancel := context.WithTimeout(ctx, opt.Timeout)
	defer cancel()

	cache, err := CacheDir()
	if err != nil {
		return Result{}, err
	}
	k, initrd, err := prepare(ctx, cache)
	if err != nil {
		return Result{}, err
	}
	share := opt.Share
	if share == "" {
		if share, err = NewShare(); err != nil {
			return Result{}, err
		}
		defer os.RemoveAll(share)
	}
	if share, err = filepath.Abs(share); err != nil {
		return Result{}, fmt.Errorf("vmtest: %w", err)
	}
	if strings.ContainsAny(share, " \t\n") || share == "/tmp" || strings.HasPrefix(share, "/tmp/") {
		return Result{}, fmt.Errorf("vmtest: share %q must have no spaces and not be under /tmp", share)
	}
	if err := os.WriteFile(filepath.Join(share, "run.sh"), []byte(opt.Script), 0o755); err != nil {
		return Result{}, fmt.Errorf("vmtest: %w", err)
	}
	nonceBytes := make([]byte, 8)
	if _, err := rand.Read(nonceBytes); err != nil {
		return Result{}, fmt.Errorf("vmtest: %w", err)
	}
	nonce := hex.EncodeToString(nonceBytes)

	args := []string{
		"-cpu", "max", "-m", strconv.Itoa(opt.MemoryMB),
		"-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio", "-no-reboot",
		"-kernel", k.Image(), "-initrd", initrd,
		"-append", "console=ttyS0 quiet panic=-1 mitigations=off tsc=reliable no_timer_check alived.share=" + share + " alived.nonce=" + nonce,
		"-fsdev", "local,id=host,path=/,security_model=none,readonly=on,multidevs=remap",
		"-device", "virtio-9p-pci,fsdev=host,mount_tag=host",
		"-fsdev", "local,id=share,path=" + share + ",security_model=none,multidevs=remap",
		"-device", "virtio-9p-pci,fsdev=share,mount_tag=share",
	}
	if opt.ICountShift > 0 {
		// One vCPU: with instruction counting the 6.1 kernel hangs
		// bringing up a second one.
		args = append(args, "-smp", "1", "-accel", "tcg,thread=single", "-icount", "shift="+strconv.Itoa(opt.ICountShift)+",sleep=on")
	} else {
		args = append(args, "-smp", "2", "-accel", "tcg,thread=multi")
	}
	cmd := exec.CommandContext(ctx, "qemu-system-x86_64", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return Result{}, fmt.Errorf("vmtest: %w", err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return Result{}, fmt.Errorf("vmtest: starting qemu: %w", err)
	}
	res, sawExit := scanConsole(stdout, nonce, start, opt.Console)
	waitErr := cmd.Wait()
	res.Total = time.Since(start)
	if ctx.Err() != nil {
		return res, fmt.Errorf("vmtest: run did not finish within %v: %w", opt.Timeout, ctx.Err())
	}
	if !sawExit {
		return res, fmt.Errorf("%w (qemu: %v, %s)", ErrNoExitMarker, waitErr, bytes.TrimSpace(stderr.Bytes()))
	}
	return res, nil
}

// prepare fetches the kernel and builds the initramfs under an exclusive
// lock on the cache, so test binaries of several packages started at once
// (go test without -p 1) do not unpack into the same folder together.
func prepare(ctx context.Context, cache string) (Kernel, string, error) {
	lock, err := os.OpenFile(filepath.Join(cache, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return Kernel{}, "", fmt.Errorf("vmtest: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return Kernel{}, "", fmt.Errorf("vmtest: locking cache: %w", err)
	}
	k, err := FetchKernel(ctx, cache)
	if err != nil {
		return Kernel{}, "", err
	}
	initrd, err := BuildInitramfs(k, cache)
	return k, initrd, err
}

// scanConsole copies the console to w and the result, recording when the
// script started and its exit status.
func scanConsole(r io.Reader, nonce string, start time.Time, w io.Writer) (Result, bool) {
	var res Result
	var console bytes.Buffer
	sawExit := false
	startLine := markerStart + "-" + nonce
	exitPrefix := markerExit + "-" + nonce + ":"
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		console.WriteString(line + "\n")
		if w != nil {
			fmt.Fprintln(w, line)
		}
		switch {
		case line == startLine:
			res.Boot = time.Since(start)
		case strings.HasPrefix(line, exitPrefix):
			if code, err := strconv.Atoi(strings.TrimPrefix(line, exitPrefix)); err == nil {
				res.ExitCode, sawExit = code, true
			}
		}
	}
	res.Console = console.Bytes()
	return res, sawExit
}
