package notify

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openReader opens path for reading without waiting for a writer.
func openReader(t *testing.T, path string) *os.File {
	t.Helper()
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Blocking reads from here on: the data is already in the pipe.
	if err := unix.SetNonblock(fd, false); err != nil {
		t.Fatal(err)
	}
	return os.NewFile(uintptr(fd), path)
}

func TestFIFOWithoutReaderNeverBlocksAndKeepsLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify.fifo")
	f, err := OpenFIFO(path, FIFOOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close(context.Background())
	lines := []string{
		InstanceEvent("VI_1", StateBackup, 100).FIFOLine(),
		InstanceEvent("VI_1", StateMaster, 100).FIFOLine(),
	}
	for _, l := range lines {
		if !f.WriteLine(l) {
			t.Fatalf("WriteLine(%q) with no reader failed", l)
		}
	}
	// A reader that arrives late still gets every line, in order.
	r := openReader(t, path)
	defer r.Close()
	br := bufio.NewReader(r)
	for _, want := range lines {
		got, err := br.ReadString('\n')
		if err != nil || got != want {
			t.Fatalf("read %q, %v; want %q", got, err, want)
		}
	}
	// The reader goes away and a new one comes: lines written in between
	// are not lost and writing never failed.
	r.Close()
	if !f.WriteLine("GROUP \"G\" FAULT 0\n") {
		t.Fatal("write after reader left failed")
	}
	r2 := openReader(t, path)
	defer r2.Close()
	if got, _ := bufio.NewReader(r2).ReadString('\n'); got != "GROUP \"G\" FAULT 0\n" {
		t.Errorf("new reader got %q", got)
	}
	if s := f.Stats(); s.Written != 3 || s.Dropped != 0 {
		t.Errorf("Stats = %+v", s)
	}
}

func TestFIFOFullDropsAndCounts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "full.fifo")
	f, err := OpenFIFO(path, FIFOOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close(context.Background())
	line := strings.Repeat("x", 1000) + "\n"
	done := make(chan int)
	go func() {
		written := 0
		// A pipe holds 64 KiB by default; 1000 lines of 1 KB overflow it.
		for range 1000 {
			if f.WriteLine(line) {
				written++
			}
		}
		done <- written
	}()
	var written int
	select {
	case written = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("WriteLine blocked on a full pipe")
	}
	s := f.Stats()
	if written == 1000 || s.Dropped == 0 || s.Written != uint64(written) || s.Written+s.Dropped != 1000 {
		t.Errorf("written %d, Stats %+v: want some dropped, all counted", written, s)
	}
	// Lines are never split: everything in the pipe is whole lines.
	r := openReader(t, path)
	defer r.Close()
	if err := unix.SetNonblock(int(r.Fd()), true); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	n, _ := unix.Read(int(r.Fd()), buf)
	if n%len(line) != 0 || n/len(line) != written {
		t.Errorf("pipe holds %d bytes, want %d whole lines", n, written)
	}
}

func TestFIFOFollowsReplacedPipe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.fifo")
	f, err := OpenFIFO(path, FIFOOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close(context.Background())
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	want := "INSTANCE \"VI_2\" FAULT 0\n"
	if !f.WriteLine(want) {
		t.Fatal("write after replacement failed")
	}
	r := openReader(t, path)
	defer r.Close()
	if got, _ := bufio.NewReader(r).ReadString('\n'); got != want {
		t.Errorf("reader of the new pipe got %q, want %q", got, want)
	}
}

func TestFIFORejectsRegularFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plain")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenFIFO(path, FIFOOptions{}); err == nil {
		t.Fatal("OpenFIFO on a regular file: want error")
	}
}

func TestFIFOScriptReadsLinesAndIsStopped(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	path := filepath.Join(dir, "s.fifo")
	// keepalived appends the FIFO path as the last argument.
	script := writeScript(t, "reader.sh", `exec cat "$2" > "$1"`+"\n")
	f, err := OpenFIFO(path, FIFOOptions{Script: &Command{Argv: []string{script, out}}})
	if err != nil {
		t.Fatal(err)
	}
	want := InstanceEvent("VI_1", StateMaster, 100).FIFOLine() + QuorumEvent(vs80, true, "").FIFOLine()
	for _, l := range strings.SplitAfter(want, "\n") {
		if l != "" && !f.WriteLine(l) {
			t.Fatalf("WriteLine(%q) failed", l)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(out)
		if string(b) == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("fifo script wrote %q, want %q", b, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := f.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if f.script.ProcessState == nil {
		t.Error("Close returned before the fifo script was reaped")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("FIFO created by OpenFIFO not removed on Close: %v", err)
	}
	if f.WriteLine("late\n") {
		t.Error("WriteLine after Close succeeded")
	}
}
