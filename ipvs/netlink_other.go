//go:build !linux

package ipvs

import "errors"

// Netlink is unavailable outside Linux; Dial always fails.
type Netlink struct{ Client }

// Dial fails: IPVS exists only on Linux.
func Dial() (*Netlink, error) { return nil, errors.New("ipvs: IPVS needs Linux") }

// Close does nothing.
func (n *Netlink) Close() error { return nil }
