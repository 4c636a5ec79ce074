package api

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// DefaultSocket is where alived listens and alivectl connects by default.
const DefaultSocket = "/run/alived/alived.sock"

// SocketServer is the API on a Unix socket. Create it with ListenUnix,
// run it with Serve.
type SocketServer struct {
	path string
	ln   *net.UnixListener
	srv  *http.Server
}

// ListenUnix creates the socket at path with mode 0600. The socket is
// bound under a temporary name, restricted, and only then renamed into
// place, so there is no moment at which another user could connect. A
// stale socket left by a crashed daemon is replaced; a live one (another
// alived answering on it) is an error, so that two daemons sharing a host
// (one per namespace) cannot steal each other's socket.
func ListenUnix(path string, h http.Handler) (*SocketServer, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("control socket directory: %w", err)
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		_ = c.Close()
		return nil, fmt.Errorf("control socket %s: another daemon is listening on it", path)
	}
	tmp := path + ".tmp" + strconv.Itoa(os.Getpid())
	_ = os.Remove(tmp)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	ln.SetUnlinkOnClose(false)
	if err := os.Chmod(tmp, 0o600); err != nil {
		_ = ln.Close()
		_ = os.Remove(tmp)
		return nil, fmt.Errorf("control socket mode: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = ln.Close()
		_ = os.Remove(tmp)
		return nil, fmt.Errorf("control socket: %w", err)
	}
	return &SocketServer{path: path, ln: ln, srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ConnContext: withPeer}}, nil
}

// Path is the socket's path.
func (s *SocketServer) Path() string { return s.path }

// Serve answers requests until ctx is cancelled, then waits up to five
// seconds for requests in flight and removes the socket file.
func (s *SocketServer) Serve(ctx context.Context) error {
	err := Serve(ctx, s.srv, s.ln)
	_ = os.Remove(s.path)
	if err != nil {
		return fmt.Errorf("control socket %s: %w", s.path, err)
	}
	return nil
}

// Serve runs srv on ln until ctx is cancelled, then gives requests in
// flight up to five seconds (Shutdown) and returns once the server has
// stopped. It is the one serve/shutdown sequence of every HTTP listener
// the daemon runs (control socket, metrics); a server that closes on its
// own is not an error.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var err error
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = srv.Shutdown(sctx)
		cancel()
		<-errc
	case err = <-errc:
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
