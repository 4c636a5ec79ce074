//go:build linux

package ipvs

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// dumper reads the IPVS table over a generic-netlink socket of its own and
// decodes the replies in place, in one reused buffer.
//
// It exists for the periodic reads (drift repair and traffic counters):
// through the general-purpose netlink library a 12,000-destination table
// cost ~0.7 s of CPU per read on the benchmark VM, three quarters of it
// decoding attributes into short-lived objects and collecting them. Writes
// stay with the library, where one request per change costs nothing.
type dumper struct {
	mu     sync.Mutex
	fd     int
	family uint16
	seq    uint32
	buf    []byte
	req    []byte
}

// dumpRecvTimeout bounds one receive: the kernel answers a dump at once,
// so a silent socket means something is wrong, and a periodic read must
// fail rather than hang its goroutine (and the reconciler's lock).
const dumpRecvTimeout = 10 * time.Second

// newDumper opens the socket (in the calling thread's network namespace)
// and looks up the IPVS family; without the ip_vs module the error wraps
// ENOENT.
func newDumper() (*dumper, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_GENERIC)
	if err != nil {
		return nil, fmt.Errorf("ipvs: netlink socket: %w", os.NewSyscallError("socket", err))
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("ipvs: netlink bind: %w", os.NewSyscallError("bind", err))
	}
	tv := unix.NsecToTimeval(dumpRecvTimeout.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("ipvs: netlink receive timeout: %w", os.NewSyscallError("setsockopt", err))
	}
	d := &dumper{fd: fd, buf: make([]byte, 64<<10)}
	if err := d.resolve("IPVS"); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return d, nil
}

func (d *dumper) close() error { return unix.Close(d.fd) }

// Generic netlink controller vocabulary (linux/genetlink.h).
const (
	ctrlCmdGetFamily   = 3
	ctrlAttrFamilyID   = 1
	ctrlAttrFamilyName = 2
	genlHeaderLen      = 4
	nlmsgHeaderLen     = unix.SizeofNlMsghdr
	nlmsgAlign         = 4
	requestFlags       = unix.NLM_F_REQUEST
	dumpFlags          = unix.NLM_F_REQUEST | unix.NLM_F_DUMP
	genlCtrlFamilyID   = unix.GENL_ID_CTRL
	genlCtrlVersion    = 1
)

// resolve finds the generic-netlink family id of name.
func (d *dumper) resolve(name string) error {
	payload := appendAttr(nil, ctrlAttrFamilyName, append([]byte(name), 0))
	found := false
	err := d.exchange(genlCtrlFamilyID, requestFlags, ctrlCmdGetFamily, genlCtrlVersion, payload, func(b []byte) error {
		return attrs(b, func(typ uint16, v []byte) error {
			if typ == ctrlAttrFamilyID {
				id, err := attrU16(v)
				d.family, found = id, err == nil
				return err
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("ipvs: looking up the %s netlink family (is the ip_vs module loaded?): %w", name, err)
	}
	if !found {
		return fmt.Errorf("ipvs: %s netlink family: no id in the reply", name)
	}
	return nil
}

// exchange sends one request and calls fn with the attributes (after the
// generic-netlink header) of every reply message until the request is
// answered: NLMSG_DONE for a dump, the single reply otherwise. Replies to
// an earlier, abandoned request are skipped by sequence number.
func (d *dumper) exchange(typ, flags uint16, cmd, version uint8, payload []byte, fn func([]byte) error) error {
	d.seq++
	seq := d.seq
	req := d.req[:0]
	req = binary.NativeEndian.AppendUint32(req, uint32(nlmsgHeaderLen+genlHeaderLen+len(payload)))
	req = binary.NativeEndian.AppendUint16(req, typ)
	req = binary.NativeEndian.AppendUint16(req, flags)
	req = binary.NativeEndian.AppendUint32(req, seq)
	req = binary.NativeEndian.AppendUint32(req, 0)
	req = append(req, cmd, version, 0, 0)
	req = append(req, payload...)
	d.req = req
	if err := unix.Sendto(d.fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return os.NewSyscallError("sendto", err)
	}
	dump := flags&unix.NLM_F_DUMP != 0
	var cbErr error
	for {
		n, err := d.recv()
		if err != nil {
			return err
		}
		b := d.buf[:n]
		for len(b) >= nlmsgHeaderLen {
			l := int(binary.NativeEndian.Uint32(b))
			mtyp := binary.NativeEndian.Uint16(b[4:])
			mseq := binary.NativeEndian.Uint32(b[8:])
			if l < nlmsgHeaderLen || l > len(b) {
				return fmt.Errorf("netlink: truncated message (%d of %d bytes)", len(b), l)
			}
			body := b[nlmsgHeaderLen:l]
			b = b[min((l+nlmsgAlign-1)&^(nlmsgAlign-1), len(b)):]
			if mseq != seq {
				continue
			}
			switch mtyp {
			case unix.NLMSG_DONE:
				if len(body) >= 4 {
					if e := int32(binary.NativeEndian.Uint32(body)); e < 0 {
						return os.NewSyscallError("netlink dump", unix.Errno(-e))
					}
				}
				return cbErr
			case unix.NLMSG_ERROR:
				if len(body) < 4 {
					return fmt.Errorf("netlink: short error message")
				}
				if e := int32(binary.NativeEndian.Uint32(body)); e < 0 {
					return os.NewSyscallError("netlink", unix.Errno(-e))
				}
				return cbErr // an acknowledgement
			case unix.NLMSG_NOOP, unix.NLMSG_OVERRUN:
				continue
			}
			if len(body) < genlHeaderLen {
				return fmt.Errorf("netlink: short generic-netlink message")
			}
			// Keep reading to the end of the dump even after a bad
			// message, so the socket holds nothing of this request.
			if cbErr == nil {
				cbErr = fn(body[genlHeaderLen:])
			}
			if !dump {
				return cbErr
			}
		}
	}
}

// recv reads one datagram. The kernel builds each dump message in at
// most 32 KiB (netlink caps its allocation there whatever the reader
// offers), so the 64 KiB buffer always holds one, and a single recvfrom
// per message does; MSG_TRUNC reports a larger one as an error instead
// of losing its tail silently.
func (d *dumper) recv() (int, error) {
	for {
		n, _, err := unix.Recvfrom(d.fd, d.buf, unix.MSG_TRUNC)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, os.NewSyscallError("recvfrom", err)
		}
		if n > len(d.buf) {
			return 0, fmt.Errorf("netlink: a %d-byte message does not fit the %d-byte receive buffer", n, len(d.buf))
		}
		return n, nil
	}
}

// services dumps every service with its counters.
func (d *dumper) services(fn func(Service, Counters)) error {
	return d.exchange(d.family, dumpFlags, ipvsCmdGetService, ipvsGenlVersion, nil, func(b []byte) error {
		return attrs(b, func(typ uint16, v []byte) error {
			if typ != ipvsCmdAttrService {
				return nil
			}
			s, c, err := parseService(v)
			if err != nil {
				return err
			}
			fn(s, c)
			return nil
		})
	})
}

// dests dumps the destinations of service k with their counters. A
// service that vanished meanwhile reads as having none, as in the kernel.
func (d *dumper) dests(k ServiceKey, fn func(Destination, Counters)) error {
	payload := appendServiceKey(nil, k)
	return d.exchange(d.family, dumpFlags, ipvsCmdGetDest, ipvsGenlVersion, payload, func(b []byte) error {
		return attrs(b, func(typ uint16, v []byte) error {
			if typ != ipvsCmdAttrDest {
				return nil
			}
			dst, c, err := parseDest(v, k.Family)
			if err != nil {
				return err
			}
			fn(dst, c)
			return nil
		})
	})
}

// readTable reads the whole table and, if stats is true, its counters, in
// one pass: one services dump and one destinations dump per service.
// ctx is checked between services.
func (d *dumper) readTable(ctx context.Context, stats bool) (Table, []ServiceStats, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	type svc struct {
		s Service
		c Counters
	}
	var svcs []svc
	if err := d.services(func(s Service, c Counters) { svcs = append(svcs, svc{s, c}) }); err != nil {
		return nil, nil, fmt.Errorf("ipvs: listing services: %w", err)
	}
	t := make(Table, len(svcs))
	var st []ServiceStats
	if stats {
		st = make([]ServiceStats, 0, len(svcs))
	}
	for _, sv := range svcs {
		if err := ctx.Err(); err != nil {
			return nil, nil, fmt.Errorf("ipvs: reading the table: %w", err)
		}
		vs := VirtualService{Service: sv.s, Dests: map[DestKey]Destination{}}
		ss := ServiceStats{Key: sv.s.ServiceKey, Counters: sv.c}
		if stats {
			ss.Dests = map[DestKey]Counters{}
		}
		err := d.dests(sv.s.ServiceKey, func(dst Destination, c Counters) {
			vs.Dests[dst.DestKey] = dst
			if stats {
				ss.Dests[dst.DestKey] = c
				ss.Counters.ActiveConns += c.ActiveConns
				ss.Counters.InactiveConns += c.InactiveConns
			}
		})
		if err != nil {
			return nil, nil, fmt.Errorf("ipvs: listing destinations of %s: %w", sv.s.ServiceKey, err)
		}
		t[sv.s.ServiceKey] = vs
		if stats {
			st = append(st, ss)
		}
	}
	return t, st, nil
}
