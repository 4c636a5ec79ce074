package ident

import (
	"encoding/json"
	"net/netip"
	"testing"
)

func TestParseVSRoundTrip(t *testing.T) {
	cases := map[string]string{
		"10.0.0.1:80":           "10.0.0.1:80/tcp",
		"10.0.0.1:53/UDP":       "10.0.0.1:53/udp",
		"[2001:db8::1]:443/tcp": "[2001:db8::1]:443/tcp",
		"fwmark:7":              "fwmark:7",
		"fwmark:7/inet6":        "fwmark:7/inet6",
		"group:web":             "group:web/tcp",
		"group:web/sctp":        "group:web/sctp",
	}
	for in, want := range cases {
		v, err := ParseVS(in)
		if err != nil {
			t.Fatalf("ParseVS(%q): %v", in, err)
		}
		if got := v.String(); got != want {
			t.Errorf("ParseVS(%q).String() = %q, want %q", in, got, want)
		}
		again, err := ParseVS(v.String())
		if err != nil || again != v {
			t.Errorf("ParseVS(%q) does not read back: %+v, %v", v.String(), again, err)
		}
		if !v.Valid() {
			t.Errorf("%q: not valid", in)
		}
	}
}

func TestParseVSRejects(t *testing.T) {
	for _, in := range []string{"", "10.0.0.1", "10.0.0.1:80/icmp", "10.0.0.1:99999", "2001:db8::1:80",
		"fwmark:0", "fwmark:x", "fwmark:7/tcp", "group:", "group:a b", "host:80"} {
		if v, err := ParseVS(in); err == nil {
			t.Errorf("ParseVS(%q) = %+v, want an error", in, v)
		}
	}
	if (VS{}).Valid() {
		t.Error("zero VS is valid")
	}
}

func TestParseRS(t *testing.T) {
	r, err := ParseRS("[::ffff:10.0.0.2]:8080")
	if err != nil {
		t.Fatal(err)
	}
	if r.Addr != netip.MustParseAddr("10.0.0.2") || r.Port != 8080 || r.String() != "10.0.0.2:8080" {
		t.Errorf("got %+v %s", r, r)
	}
	for _, in := range []string{"10.0.0.2", "x:80", "10.0.0.2:-1"} {
		if _, err := ParseRS(in); err == nil {
			t.Errorf("ParseRS(%q): want an error", in)
		}
	}
}

func TestJSONUsesTheNames(t *testing.T) {
	type pair struct {
		VS VS `json:"vs"`
		RS RS `json:"rs"`
	}
	in := pair{VS: VS{Kind: ByAddr, Addr: netip.MustParseAddr("10.0.0.1"), Port: 80, Proto: "UDP"}, RS: RS{Addr: netip.MustParseAddr("10.0.0.2"), Port: 8080}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"vs":"10.0.0.1:80/udp","rs":"10.0.0.2:8080"}` {
		t.Fatalf("json = %s", b)
	}
	var out pair
	if err := json.Unmarshal(b, &out); err != nil || out != in {
		t.Fatalf("read back %+v, %v", out, err)
	}
	if err := json.Unmarshal([]byte(`{"vs":"10.0.0.1"}`), &out); err == nil {
		t.Fatal("a bad name decoded without an error")
	}
}
