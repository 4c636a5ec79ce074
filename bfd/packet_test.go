package bfd

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"
)

// wire is a Down packet with keepalived's default bfd_instance timers
// (min_tx/min_rx 10 ms, multiplier 5), laid out by hand from RFC 5880 §4.1.
var wire = []byte{
	0x20, 0x40, 0x05, 0x18, // v1 diag 0, Down, mult 5, len 24
	0x12, 0x34, 0x56, 0x78, // my discr
	0x00, 0x00, 0x00, 0x00, // your discr
	0x00, 0x00, 0x27, 0x10, // desired min tx 10000 us
	0x00, 0x00, 0x27, 0x10, // required min rx 10000 us
	0x00, 0x00, 0x00, 0x00, // echo
}

func TestUnmarshalFields(t *testing.T) {
	var p Packet
	if err := p.UnmarshalBinary(wire); err != nil {
		t.Fatal(err)
	}
	want := Packet{Version: 1, State: StateDown, DetectMult: 5, Length: 24, MyDiscr: 0x12345678,
		DesiredMinTx: 10 * time.Millisecond, RequiredMinRx: 10 * time.Millisecond}
	if p.Version != want.Version || p.State != want.State || p.DetectMult != 5 || p.Length != 24 ||
		p.MyDiscr != want.MyDiscr || p.YourDiscr != 0 || p.DesiredMinTx != want.DesiredMinTx ||
		p.RequiredMinRx != want.RequiredMinRx || p.Poll || p.Final || p.Auth {
		t.Fatalf("got %+v, want %+v", p, want)
	}
	b, err := p.MarshalBinary()
	if err != nil || !bytes.Equal(b, wire) {
		t.Fatalf("re-encoded %x (%v), want %x", b, err, wire)
	}
}

func TestFlagsAndDiagRoundTrip(t *testing.T) {
	for _, p := range []Packet{
		{Diag: DiagNeighborSignaledDown, State: StateUp, Poll: true, DetectMult: 3, MyDiscr: 1, YourDiscr: 2},
		{Diag: DiagAdminDown, State: StateAdminDown, Final: true, CPI: true, Demand: true, DetectMult: 1, MyDiscr: 9},
		{State: StateInit, Multipoint: true, Auth: true, AuthData: []byte{1, 4, 0, 0}, DetectMult: 255, MyDiscr: 7,
			DesiredMinTx: time.Second, RequiredMinRx: 300 * time.Millisecond, RequiredEcho: 50 * time.Microsecond},
	} {
		p.Version = Version
		b, err := p.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var q Packet
		if err := q.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		p.Length = uint8(HeaderLen + len(p.AuthData))
		if q.String() != p.String() {
			t.Errorf("round trip:\n got %s\nwant %s", q.String(), p.String())
		}
	}
}

func TestShortInput(t *testing.T) {
	var p Packet
	for n := 0; n < HeaderLen; n++ {
		if err := p.UnmarshalBinary(wire[:n]); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("%d bytes: err %v, want io.ErrUnexpectedEOF", n, err)
		}
	}
	long := append([]byte(nil), wire...)
	long[3] = 30 // Length beyond the payload
	if err := p.UnmarshalBinary(long); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("length beyond payload: err %v", err)
	}
}

func TestTooLong(t *testing.T) {
	p := Packet{Version: Version, AuthData: make([]byte, 240)}
	if _, err := p.MarshalBinary(); !errors.Is(err, ErrTooLong) {
		t.Fatalf("err %v, want ErrTooLong", err)
	}
}

func FuzzPacket(f *testing.F) {
	f.Add(wire)
	f.Add([]byte{0x20, 0xe4, 1, 28, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var p Packet
		if err := p.UnmarshalBinary(b); err != nil {
			return
		}
		_ = Validate(&p)
		if p.Length < HeaderLen {
			return // not re-encodable as such: Validate drops it
		}
		out, err := p.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded packet does not encode: %v", err)
		}
		if !bytes.Equal(out, b[:p.Length]) {
			t.Fatalf("re-encoded %x, want %x", out, b[:p.Length])
		}
	})
}
