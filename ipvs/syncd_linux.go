//go:build linux

package ipvs

import (
	"encoding/binary"
	"fmt"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
)

// Constants from linux/ip_vs.h for the sync daemon commands, which
// github.com/cloudflare/ipvs does not implement.
const (
	cmdNewDaemon      = 9
	cmdDelDaemon      = 10
	cmdAttrDaemon     = 3
	daemonState       = 1
	daemonMcastIfn    = 2
	daemonSyncID      = 3
	daemonSyncMaxlen  = 4
	daemonMcastGroup  = 5
	daemonMcastGroup6 = 6
	daemonMcastPort   = 7
	daemonMcastTTL    = 8
)

// daemonCmd sends one sync-daemon command over a short-lived generic
// netlink connection (the commands are rare: start-up and VRRP
// transitions).
func daemonCmd(cmd uint8, attrs func(ae *netlink.AttributeEncoder)) error {
	c, err := genetlink.Dial(nil)
	if err != nil {
		return fmt.Errorf("dialing generic netlink: %w", err)
	}
	defer c.Close()
	fam, err := c.GetFamily("IPVS")
	if err != nil {
		return fmt.Errorf("IPVS netlink family: %w", err)
	}
	ae := netlink.NewAttributeEncoder()
	ae.Nested(cmdAttrDaemon, func(nae *netlink.AttributeEncoder) error {
		attrs(nae)
		return nil
	})
	data, err := ae.Encode()
	if err != nil {
		return err
	}
	msg := genetlink.Message{Header: genetlink.Header{Command: cmd, Version: fam.Version}, Data: data}
	_, err = c.Execute(msg, fam.ID, netlink.Request|netlink.Acknowledge)
	return err
}

func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }

// StartSyncDaemon implements SyncDaemonClient.
func (n *Netlink) StartSyncDaemon(s SyncState, d SyncDaemon) error {
	return daemonCmd(cmdNewDaemon, func(ae *netlink.AttributeEncoder) {
		ae.Uint32(daemonState, uint32(s))
		ae.String(daemonMcastIfn, d.Interface)
		ae.Uint32(daemonSyncID, d.SyncID)
		if d.MaxLen != 0 {
			ae.Uint16(daemonSyncMaxlen, d.MaxLen)
		}
		if d.Port != 0 {
			ae.Bytes(daemonMcastPort, be16(d.Port)) // network order, as the kernel reads it
		}
		if d.TTL != 0 {
			ae.Uint8(daemonMcastTTL, d.TTL)
		}
		switch {
		case d.Group.Is4():
			ae.Bytes(daemonMcastGroup, d.Group.AsSlice())
		case d.Group.Is6():
			ae.Bytes(daemonMcastGroup6, d.Group.AsSlice())
		}
	})
}

// StopSyncDaemon implements SyncDaemonClient.
func (n *Netlink) StopSyncDaemon(s SyncState) error {
	return daemonCmd(cmdDelDaemon, func(ae *netlink.AttributeEncoder) {
		ae.Uint32(daemonState, uint32(s))
	})
}
