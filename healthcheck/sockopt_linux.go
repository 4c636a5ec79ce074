package healthcheck

import (
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// setSockOpts applies bind_if (SO_BINDTODEVICE) and fwmark (SO_MARK) before
// connect, as keepalived does for its checker sockets.
func setSockOpts(rc syscall.RawConn, ifname string, mark uint32) error {
	var opErr error
	err := rc.Control(func(fd uintptr) {
		if ifname != "" {
			if err := unix.BindToDevice(int(fd), ifname); err != nil {
				opErr = fmt.Errorf("bind_if %s: %w", ifname, err)
				return
			}
		}
		if mark != 0 {
			if err := unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_MARK, int(mark)); err != nil {
				opErr = fmt.Errorf("fwmark %d: %w", mark, err)
			}
		}
	})
	if err != nil {
		return fmt.Errorf("socket control: %w", err)
	}
	return opErr
}
