package healthcheck

import (
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// dnsServer runs a github.com/miekg/dns server on loopback UDP that
// answers queries for the SOA of "." and A of "www.test." and returns
// rcode for everything else; it sends each question it sees on the channel.
func dnsServer(t *testing.T, rcode int) (netip.AddrPort, <-chan dns.Question) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	qs := make(chan dns.Question, 8)
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, NotifyStartedFunc: func() { close(started) },
		Handler: dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
			m := new(dns.Msg)
			m.SetReply(req)
			q := req.Question[0]
			qs <- q
			switch {
			case q.Qtype == dns.TypeSOA && q.Name == ".":
				rr, _ := dns.NewRR(". 3600 IN SOA ns.test. admin.test. 1 7200 3600 1209600 3600")
				m.Answer = append(m.Answer, rr)
			case q.Qtype == dns.TypeA && q.Name == "www.test.":
				rr, _ := dns.NewRR("www.test. 60 IN A 127.0.0.1")
				m.Answer = append(m.Answer, rr)
			default:
				m.Rcode = rcode
			}
			w.WriteMsg(m)
		})}
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })
	return addrOf(t, pc.LocalAddr()), qs
}

func TestDNSCheckDefaultsToSOAOfRoot(t *testing.T) {
	ap, qs := dnsServer(t, dns.RcodeServerFailure)
	c, err := NewDNS(DNSOptions{Conn: Conn{Addr: ap}})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := checkWithin(t, c, time.Second)
	mustPass(t, r)
	if q := <-qs; q.Name != "." || q.Qtype != dns.TypeSOA || q.Qclass != dns.ClassINET {
		t.Errorf("query %v, want . IN SOA", q)
	}
}

func TestDNSCheckTypeAndName(t *testing.T) {
	ap, qs := dnsServer(t, dns.RcodeNameError)
	c, err := NewDNS(DNSOptions{Conn: Conn{Addr: ap}, Type: "A", Name: "www.test"})
	if err != nil {
		t.Fatal(err)
	}
	mustPass(t, c.Check(t.Context()))
	if q := <-qs; q.Name != "www.test." || q.Qtype != dns.TypeA {
		t.Errorf("query %v, want www.test. A", q)
	}
	miss, _ := NewDNS(DNSOptions{Conn: Conn{Addr: ap}, Type: "MX", Name: "www.test"})
	r, _ := checkWithin(t, miss, time.Second)
	mustFail(t, r, "NXDOMAIN")
}

func TestDNSCheckServerFailAndTimeout(t *testing.T) {
	ap, _ := dnsServer(t, dns.RcodeServerFailure)
	c, _ := NewDNS(DNSOptions{Conn: Conn{Addr: ap}, Type: "TXT", Name: "x.test"})
	r, _ := checkWithin(t, c, time.Second)
	mustFail(t, r, "SERVFAIL")

	// A socket that reads queries and never answers.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	c, _ = NewDNS(DNSOptions{Conn: Conn{Addr: addrOf(t, pc.LocalAddr())}})
	r, took := checkWithin(t, c, 300*time.Millisecond)
	mustFail(t, r, "no answer")
	if !errors.Is(r.Err, ErrTimeout) || took < 250*time.Millisecond {
		t.Errorf("got %v after %v, want a timeout", r.Err, took)
	}
}

func TestDNSBadInput(t *testing.T) {
	ap := netip.MustParseAddrPort("127.0.0.1:53")
	for _, o := range []DNSOptions{{Type: "PTR"}, {Name: "a..b"}, {Name: string(make([]byte, 70)) + ".x"}} {
		o.Conn.Addr = ap
		if _, err := NewDNS(o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}
