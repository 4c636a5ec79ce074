package ipvs

import (
	"errors"
	"io/fs"
	"syscall"
	"testing"
)

func TestFakeQuirks(t *testing.T) {
	f := NewFake("rr", "wrr")
	if _, err := f.Services(); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("empty table: got %v, want ErrNotExist", err)
	}
	if tab := mustRead(t, f); len(tab) != 0 {
		t.Fatalf("ReadTable of empty kernel: %v", tab)
	}
	s := tcp("10.0.0.1", 80, "rr")
	if err := f.CreateService(tcp("10.0.0.1", 80, "lblc")); !errors.Is(err, syscall.ENOENT) {
		t.Errorf("unknown scheduler: got %v, want ENOENT", err)
	}
	if err := f.CreateService(s); err != nil {
		t.Fatal(err)
	}
	if err := f.CreateService(s); !errors.Is(err, syscall.EEXIST) {
		t.Errorf("duplicate service: got %v, want EEXIST", err)
	}
	if _, err := f.Destinations(s); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("service without destinations: got %v, want ErrNotExist", err)
	}
	if err := f.RemoveService(tcp("10.0.0.2", 80, "rr")); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("missing service: got %v, want ESRCH", err)
	}
	if err := f.UpdateDestination(s, nat("10.1.0.1", 80, 1)); !errors.Is(err, syscall.ENOENT) {
		t.Errorf("missing destination: got %v, want ENOENT", err)
	}
	bad := nat("10.1.0.1", 80, 1)
	bad.UpperThreshold, bad.LowerThreshold = 5, 10
	if err := f.CreateDestination(s, bad); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("thresholds: got %v, want EINVAL", err)
	}
	svcs, err := f.Services()
	if err != nil || len(svcs) != 1 || svcs[0].Flags&Hashed == 0 {
		t.Errorf("read back %v, %v: want one service with Hashed", svcs, err)
	}
	// A fwmark service is stored without protocol, address or port.
	m := fwm(9, "wrr")
	m.Protocol, m.Addr, m.Port = TCP, s.Addr, 80
	if err := f.CreateService(m); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.Snapshot()[fwm(9, "").ServiceKey]; !ok {
		t.Errorf("fwmark service not stored under its mark: %v", f.Snapshot())
	}
}
