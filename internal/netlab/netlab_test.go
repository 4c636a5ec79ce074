package netlab

import (
	"fmt"
	"os"
	"testing"

	"github.com/alived/alived/internal/testenv"
)

func TestTwoNodesReachEachOther(t *testing.T) {
	testenv.RequireNetns(t)
	lab, err := New(fmt.Sprintf("nl%d", os.Getpid()%100000))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := lab.Close(); err != nil {
			t.Error(err)
		}
	})
	a, err := lab.AddNode("a", "192.0.2.1/24", "2001:db8::1/64")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lab.AddNode("b", "192.0.2.2/24", "2001:db8::2/64"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Output("ping", "-c1", "-W2", "192.0.2.2"); err != nil {
		t.Fatalf("IPv4 across the bridge: %v", err)
	}
	if _, err := a.Output("ping", "-6", "-c1", "-W2", "2001:db8::2"); err != nil {
		t.Fatalf("IPv6 across the bridge: %v", err)
	}
	ok, err := a.HasAddr("192.0.2.1")
	if err != nil || !ok {
		t.Fatalf("HasAddr(own address) = %v, %v", ok, err)
	}
	ok, err = a.HasAddr("192.0.2.2")
	if err != nil || ok {
		t.Fatalf("HasAddr(peer address) = %v, %v", ok, err)
	}
}
