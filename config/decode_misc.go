package config

import (
	"time"

	"github.com/alived/alived/config/syntax"
)

// Keyword tables for bfd_instance and garp_group.

// timeDur is a short name for time.Duration used in accessor signatures.
type timeDur = time.Duration

func bfdInstanceBlock() *blockSpec {
	type B = BFDInstance
	ms := func(name string, f func(*B) *timeDur, lo, hi int64) *kwSpec {
		return on(name, func(d *decoder, n *syntax.Node, b *B) {
			if v, ok := d.integer(n, 0, lo, hi); ok {
				*f(b) = time.Duration(v) * time.Millisecond
				d.markSet(b, name)
			}
		})
	}
	neighbor := func(d *decoder, n *syntax.Node, b *B) { b.Neighbor, _ = d.addr(n, 0) }
	b := newBlock("bfd_instance",
		on("neighbor_ip", neighbor),
		on("neighbour_ip", neighbor).alias("neighbor_ip"),
		on("source_ip", func(d *decoder, n *syntax.Node, b *B) { b.Source, _ = d.addr(n, 0) }),
		ms("min_rx", func(b *B) *timeDur { return &b.MinRx }, 1, 1000000),
		ms("min_tx", func(b *B) *timeDur { return &b.MinTx }, 1, 1000000),
		ms("idle_tx", func(b *B) *timeDur { return &b.IdleTx }, 1000, 1000000),
		on("multiplier", func(d *decoder, n *syntax.Node, b *B) {
			if v, ok := d.integer(n, 0, 1, 255); ok {
				b.Multiplier = v
			}
		}),
		on("passive", func(d *decoder, n *syntax.Node, b *B) { b.Passive = true }),
		on("ttl", func(d *decoder, n *syntax.Node, b *B) {
			if v, ok := d.integer(n, 0, 1, 255); ok {
				b.TTL = v
				d.markSet(b, "ttl")
			}
		}),
		on("hoplimit", func(d *decoder, n *syntax.Node, b *B) {
			if v, ok := d.integer(n, 0, 1, 255); ok {
				b.TTL = v
				d.markSet(b, "ttl")
			}
		}).alias("ttl"),
		on("max_hops", func(d *decoder, n *syntax.Node, b *B) {
			if v, ok := d.integer(n, 0, 0, 255); ok {
				b.MaxHops = v
			}
		}),
		on("weight", func(d *decoder, n *syntax.Node, b *B) {
			if w, rev, ok := d.weightArgs(n, 0, -253, 253); ok {
				b.Weight, b.Reverse = w, rev
			}
		}),
		on("multihop", func(d *decoder, n *syntax.Node, b *B) { b.Multihop = true }),
		on("vrrp", func(d *decoder, n *syntax.Node, b *B) { b.VRRP = true }),
		on("checker", func(d *decoder, n *syntax.Node, b *B) { b.Checker = true }),
	)
	return b
}

func garpGroupBlock() *blockSpec {
	type G = GARPGroup
	return newBlock("garp_group",
		on("garp_interval", func(d *decoder, n *syntax.Node, g *G) {
			if t, ok := d.seconds(n, 0, 0, 1<<31-1); ok {
				g.GARPInterval = t
			}
		}),
		on("gna_interval", func(d *decoder, n *syntax.Node, g *G) {
			if t, ok := d.seconds(n, 0, 0, 1<<31-1); ok {
				g.GNAInterval = t
			}
		}),
		on("interface", func(d *decoder, n *syntax.Node, g *G) {
			if s, ok := d.str(n); ok {
				g.Interfaces = append(g.Interfaces, s)
			}
		}),
		on("interfaces", func(d *decoder, n *syntax.Node, g *G) {
			if !d.wantBlock(n) {
				return
			}
			for _, c := range n.Children {
				g.Interfaces = append(g.Interfaces, c.Keyword)
			}
		}),
	)
}

// buildRegistry builds the keyword tables; see registryOnce.
func buildRegistry() *blockSpec { return rootBlock() }
