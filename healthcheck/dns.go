package healthcheck

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// dnsTypes are the query types keepalived's DNS_CHECK accepts.
var dnsTypes = map[string]uint16{"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "MX": 15, "TXT": 16, "AAAA": 28}

// DNSOptions configures DNS_CHECK (a query over UDP). The daemon uses port
// 53 when neither connect_port nor the real server gives one.
type DNSOptions struct {
	Conn Conn
	// Type is the query type (type): A, NS, CNAME, SOA, MX, TXT or AAAA;
	// default SOA.
	Type string
	// Name is the queried name (name), default ".".
	Name string
}

// DNSChecker is DNS_CHECK.
type DNSChecker struct {
	o     DNSOptions
	qtype uint16
	qname []byte
}

// NewDNS validates o and returns a DNS_CHECK checker.
func NewDNS(o DNSOptions) (*DNSChecker, error) {
	if err := o.Conn.validate(); err != nil {
		return nil, fmt.Errorf("DNS_CHECK: %w", err)
	}
	if o.Type == "" {
		o.Type = "SOA"
	}
	qt, ok := dnsTypes[strings.ToUpper(o.Type)]
	if !ok {
		return nil, fmt.Errorf("DNS_CHECK: type %q: want A, NS, CNAME, SOA, MX, TXT or AAAA", o.Type)
	}
	if o.Name == "" {
		o.Name = "."
	}
	qn, err := encodeName(o.Name)
	if err != nil {
		return nil, fmt.Errorf("DNS_CHECK: name %q: %w", o.Name, err)
	}
	return &DNSChecker{o: o, qtype: qt, qname: qn}, nil
}

// encodeName turns a dotted name into DNS wire labels.
func encodeName(name string) ([]byte, error) {
	name = strings.TrimSuffix(name, ".")
	var out []byte
	if name != "" {
		for _, l := range strings.Split(name, ".") {
			if l == "" || len(l) > 63 {
				return nil, errors.New("labels must be 1-63 bytes")
			}
			out = append(out, byte(len(l)))
			out = append(out, l...)
		}
	}
	out = append(out, 0)
	if len(out) > 255 {
		return nil, errors.New("name longer than 255 bytes")
	}
	return out, nil
}

// Kind returns KindDNS.
func (c *DNSChecker) Kind() Kind { return KindDNS }

// Check sends one recursive query and passes on the first response with
// the query's ID and RCODE NOERROR; like keepalived it ignores datagrams
// that are not the response and fails on any other RCODE.
func (c *DNSChecker) Check(ctx context.Context) Result {
	conn, closeConn, err := c.o.Conn.dial(ctx, "udp")
	if err != nil {
		return fail(err)
	}
	defer closeConn()
	var idb [2]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return fail(fmt.Errorf("query id: %w", err))
	}
	id := binary.BigEndian.Uint16(idb[:])
	q := make([]byte, 12, 12+len(c.qname)+4)
	binary.BigEndian.PutUint16(q[0:], id)
	binary.BigEndian.PutUint16(q[2:], 0x0100) // RD
	binary.BigEndian.PutUint16(q[4:], 1)      // QDCOUNT
	q = append(q, c.qname...)
	q = binary.BigEndian.AppendUint16(q, c.qtype)
	q = binary.BigEndian.AppendUint16(q, 1) // IN
	if _, err := conn.Write(q); err != nil {
		return fail(ctxErr(ctx, "send query", err))
	}
	buf := make([]byte, 1500)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			return fail(ctxErr(ctx, "read response", err))
		}
		if n < 12 || binary.BigEndian.Uint16(buf[0:]) != id {
			continue
		}
		flags := binary.BigEndian.Uint16(buf[2:])
		if flags&0x8000 == 0 {
			continue
		}
		if rc := flags & 0xF; rc != 0 {
			return fail(fmt.Errorf("response rcode %d", rc))
		}
		return Result{}
	}
}
