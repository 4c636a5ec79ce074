//go:build linux

package ipvs

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"
)

// parseIpvsadmSave reads `ipvsadm -Sn` output into a Table, so that the
// kernel state is checked through a client alived did not write.
func parseIpvsadmSave(t *testing.T, save string) Table {
	t.Helper()
	tab := Table{}
	fail := func(line, why string) { t.Fatalf("ipvsadm -Sn line %q: %s", line, why) }
	for _, line := range strings.Split(strings.TrimSpace(save), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		var key ServiceKey
		var svc Service
		var d Destination
		d.Forward = DirectRoute // ipvsadm's default when no method is printed
		isDest := f[0] == "-a"
		if !isDest && f[0] != "-A" {
			fail(line, "unknown command")
		}
		for i := 1; i < len(f); i++ {
			opt := f[i]
			arg := func() string {
				i++
				if i >= len(f) {
					fail(line, opt+" needs an argument")
				}
				return f[i]
			}
			num := func() uint32 {
				v, err := strconv.ParseUint(arg(), 10, 32)
				if err != nil {
					fail(line, err.Error())
				}
				return uint32(v)
			}
			switch opt {
			case "-t", "-u", "--sctp-service":
				ap, err := netip.ParseAddrPort(arg())
				if err != nil {
					fail(line, err.Error())
				}
				key.Protocol = map[string]Protocol{"-t": TCP, "-u": UDP, "--sctp-service": SCTP}[opt]
				key.Addr, key.Port, key.Family = ap.Addr(), ap.Port(), FamilyOf(ap.Addr())
			case "-f":
				key.FWMark, key.Family = num(), INET
			case "-6":
				key.Family = INET6
			case "-s":
				svc.Scheduler = arg()
			case "-p":
				svc.Flags |= Persistent
				svc.Timeout = num()
			case "-M":
				m := arg()
				if a, err := netip.ParseAddr(m); err == nil {
					p, _ := netip.ParsePrefix(m + "/32")
					bits := 0
					for b := a.As4(); bits < 32 && b[bits/8]&(0x80>>(bits%8)) != 0; bits++ {
					}
					_ = p
					svc.MaskBits = bits
				} else if v, err := strconv.Atoi(m); err == nil {
					svc.MaskBits = v
				} else {
					fail(line, "bad -M")
				}
			case "-o":
				svc.Flags |= OnePacket
			case "-b":
				for _, fl := range strings.Split(arg(), ",") {
					switch fl {
					case "flag-1", "sh-fallback", "mh-fallback":
						svc.Flags |= SchedFlag1
					case "flag-2", "sh-port", "mh-port":
						svc.Flags |= SchedFlag2
					case "flag-3":
						svc.Flags |= SchedFlag3
					default:
						fail(line, "unknown scheduler flag "+fl)
					}
				}
			case "-r":
				s := arg()
				if ap, err := netip.ParseAddrPort(s); err == nil {
					d.Addr, d.Port = ap.Addr(), ap.Port()
				} else if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
					d.Addr = a
				} else {
					fail(line, "bad real server "+s)
				}
			case "-m":
				d.Forward = Masquerade
			case "-g":
				d.Forward = DirectRoute
			case "-i":
				d.Forward = Tunnel
			case "-w":
				d.Weight = num()
			case "-x":
				d.UpperThreshold = num()
			case "-y":
				d.LowerThreshold = num()
			case "--tun-type":
				d.TunnelType = map[string]TunnelType{"ipip": IPIP, "gue": GUE, "gre": GRE}[arg()]
			case "--tun-port":
				d.TunnelPort = uint16(num())
			case "--tun-nocsum":
				d.TunnelFlags = TunnelNoChecksum
			case "--tun-csum":
				d.TunnelFlags = TunnelChecksum
			case "--tun-remcsum":
				d.TunnelFlags = TunnelRemoteChecksum
			default:
				fail(line, "unknown option "+opt)
			}
		}
		if isDest {
			vs, ok := tab[key]
			if !ok {
				fail(line, "server before its service")
			}
			vs.Dests[d.DestKey] = d
			continue
		}
		svc.ServiceKey = key
		tab.Add(svc)
	}
	return tab
}
