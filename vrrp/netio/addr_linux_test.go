package netio

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func TestNlAddrKeepalivedOptions(t *testing.T) {
	zero, ten := uint32(0), uint32(10)
	tests := []struct {
		name      string
		v         VIP
		preferred int
		flags     int
		label     string
		brd       string
		peer      string
	}{
		{"ipv4 defaults to preferred forever",
			VIP{Prefix: netip.MustParsePrefix("10.0.0.1/32"), Ifindex: 2},
			LifetimeForever, 0, "", "", ""},
		{"ipv6 defaults to deprecated",
			VIP{Prefix: netip.MustParsePrefix("2001:db8::1/128"), Ifindex: 2},
			0, 0, "", "", ""},
		{"explicit preferred_lft on ipv6",
			VIP{Prefix: netip.MustParsePrefix("2001:db8::1/64"), Ifindex: 2, PreferredLft: &ten, NoDAD: true, NoPrefixRoute: true},
			10, unix.IFA_F_NODAD | unix.IFA_F_NOPREFIXROUTE, "", "", ""},
		{"explicit preferred_lft 0 on ipv4, label, brd",
			VIP{Prefix: netip.MustParsePrefix("10.0.0.1/24"), Ifindex: 2, PreferredLft: &zero, Label: "eth0:1", Broadcast: netip.MustParseAddr("10.0.0.255")},
			0, 0, "eth0:1", "10.0.0.255", ""},
		{"peer, home, autojoin",
			VIP{Prefix: netip.MustParsePrefix("10.0.0.1/32"), Ifindex: 2, Peer: netip.MustParsePrefix("10.0.0.2/30"), Home: true, AutoJoin: true},
			LifetimeForever, unix.IFA_F_HOMEADDRESS | unix.IFA_F_MCAUTOJOIN, "", "", "10.0.0.2/30"},
		{"label ignored for ipv6",
			VIP{Prefix: netip.MustParsePrefix("2001:db8::1/128"), Ifindex: 2, Label: "eth0:1"},
			0, 0, "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := nlAddr(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			if a.PreferedLft != tc.preferred || a.ValidLft != LifetimeForever {
				t.Errorf("lifetimes preferred %d valid %d, want %d and forever", a.PreferedLft, a.ValidLft, tc.preferred)
			}
			if a.Flags != tc.flags || a.Label != tc.label || a.LinkIndex != 2 {
				t.Errorf("flags %#x label %q ifindex %d, want %#x %q 2", a.Flags, a.Label, a.LinkIndex, tc.flags, tc.label)
			}
			if got := ipString(a.Broadcast.String()); got != tc.brd {
				t.Errorf("broadcast %q, want %q", got, tc.brd)
			}
			var peer string
			if a.Peer != nil {
				peer = a.Peer.String()
			}
			if peer != tc.peer {
				t.Errorf("peer %q, want %q", peer, tc.peer)
			}
			if a.IPNet.String() != tc.v.Prefix.String() {
				t.Errorf("address %s, want %s", a.IPNet, tc.v.Prefix)
			}
		})
	}
	if _, err := nlAddr(VIP{Prefix: netip.MustParsePrefix("10.0.0.1/32")}); err == nil {
		t.Error("VIP without interface accepted")
	}
	if _, err := nlAddr(VIP{Ifindex: 1}); err == nil {
		t.Error("VIP without address accepted")
	}
}

func ipString(s string) string {
	if s == "<nil>" {
		return ""
	}
	return s
}

func TestRetryDump(t *testing.T) {
	calls := 0
	v, err := retryDump(func() (int, error) {
		calls++
		if calls < 3 {
			return 0, netlink.ErrDumpInterrupted
		}
		return 42, nil
	})
	if v != 42 || err != nil || calls != 3 {
		t.Errorf("got %d, %v after %d calls; want 42, nil after 3", v, err, calls)
	}
	calls = 0
	_, err = retryDump(func() (int, error) { calls++; return 0, netlink.ErrDumpInterrupted })
	if !errors.Is(err, netlink.ErrDumpInterrupted) || calls != dumpRetries {
		t.Errorf("persistent interruption: err %v after %d calls; want ErrDumpInterrupted after %d", err, calls, dumpRetries)
	}
	calls = 0
	other := errors.New("boom")
	if _, err = retryDump(func() (int, error) { calls++; return 0, other }); err != other || calls != 1 {
		t.Errorf("other error retried: %v after %d calls", err, calls)
	}
}
