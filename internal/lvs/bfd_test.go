package lvs

import (
	"testing"
	"time"
)

const bfdCheckConf = `
bfd_instance b1 {
    neighbor_ip 10.9.0.1
}
bfd_instance b2 {
    neighbor_ip 10.9.0.2
}
virtual_server 10.0.0.1 80 {
    delay_loop 60
    lvs_sched rr
    lvs_method NAT
    protocol TCP
    real_server 127.0.0.1 8081 {
        BFD_CHECK {
            name b1
        }
    }
    real_server 127.0.0.1 8082 {
        BFD_CHECK {
            name b1
        }
        BFD_CHECK {
            name b2
        }
    }
    real_server 127.0.0.1 8083 {
        BFD_CHECK {
            name b2
            alpha
        }
    }
    real_server 127.0.0.1 8084 {
    }
}
`

const bfdVS = "TCP 10.0.0.1:80"

func (r *rig) bfd(name string, up bool) {
	r.loop.do(func() { r.sub.BFDStateChanged(time.Now(), name, up) })
}

// TestBFDCheck: a BFD_CHECK keeps its initial state (up; down with
// alpha) until its session reports, then follows the session at once —
// not after delay_loop (60 s here) — and combines with the server's other
// checks as keepalived's checkers do (all must be up). A reload keeps the
// sessions' last state.
func TestBFDCheck(t *testing.T) {
	r := startRig(t, bfdCheckConf, nil)
	r.waitDests(bfdVS, "127.0.0.1:8081=1 127.0.0.1:8082=1 127.0.0.1:8084=1", 2*time.Second)

	r.bfd("b1", false)
	took := r.waitDests(bfdVS, "127.0.0.1:8084=1", 2*time.Second)
	t.Logf("BFD_CHECK: session down -> real servers out after %v", took)
	if took > time.Second {
		t.Errorf("real servers left after %v: not event-driven", took)
	}

	r.bfd("b2", true) // 8083 (alpha) comes up; 8082 still has b1 down
	r.waitDests(bfdVS, "127.0.0.1:8083=1 127.0.0.1:8084=1", 2*time.Second)

	r.bfd("b1", true)
	r.waitDests(bfdVS, "127.0.0.1:8081=1 127.0.0.1:8082=1 127.0.0.1:8083=1 127.0.0.1:8084=1", 2*time.Second)

	r.bfd("b2", false)
	r.waitDests(bfdVS, "127.0.0.1:8081=1 127.0.0.1:8084=1", 2*time.Second)

	// A reload rebuilds the checkers; they keep reading the sessions'
	// last state.
	if err := r.reload(bfdCheckConf); err != nil {
		t.Fatal(err)
	}
	bound := 0
	r.loop.do(func() {
		for _, vp := range r.sub.plan.VirtualServers {
			for _, rp := range vp.Reals {
				for _, c := range rp.Health.Checks {
					if bc, ok := c.Checker.(*bfdChecker); ok && bc.board == &r.sub.bfd {
						bound++
					}
				}
			}
		}
	})
	if bound != 4 {
		t.Fatalf("%d of 4 reloaded BFD_CHECKs read the sessions' state", bound)
	}
	r.bfd("b1", true)
	r.waitDests(bfdVS, "127.0.0.1:8081=1 127.0.0.1:8084=1", 2*time.Second)
	r.bfd("b2", true)
	r.waitDests(bfdVS, "127.0.0.1:8081=1 127.0.0.1:8082=1 127.0.0.1:8083=1 127.0.0.1:8084=1", 2*time.Second)
}
