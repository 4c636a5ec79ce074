package main

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"testing"

	"github.com/alived/alived/api"
	"github.com/alived/alived/config/edit"
	"github.com/alived/alived/internal/control"
)

// BenchmarkStageApply times one add-rs staged and applied through the
// control socket on the 1,000 × 10 table (real daemon, fake kernel):
// the daemon-side cost of what bench/control measures in the VM.
func BenchmarkStageApply(b *testing.B) {
	var kc bytes.Buffer
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&kc, "virtual_server %s 80 {\n lb_algo wrr\n lb_kind NAT\n protocol TCP\n", netip.AddrFrom4([4]byte{10, 0, byte(i / 250), byte(i%250 + 1)}))
		for j := 0; j < 10; j++ {
			fmt.Fprintf(&kc, " real_server 10.1.0.%d 80 {\n  weight 1\n }\n", j+1)
		}
		kc.WriteString("}\n")
	}
	s := newStackText(b, kc.String())
	c := api.NewClient(s.sock)
	ctx := context.Background()
	w := uint32(1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rs := netip.AddrFrom4([4]byte{10, 1, byte(1 + i/250), byte(i%250 + 1)}).String() + ":80"
		if _, err := c.Stage(ctx, control.Edit{Op: control.AddRS, VS: "10.0.0.8:80", RS: rs, RealServer: &edit.RSSpec{Weight: &w}}); err != nil {
			b.Fatal(err)
		}
		if _, err := c.Apply(ctx, api.ApplyRequest{}); err != nil {
			b.Fatal(err)
		}
	}
}
