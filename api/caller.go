package api

import (
	"context"
	"net"
	"os/user"
	"strconv"

	"golang.org/x/sys/unix"
)

// callerKey carries who is on the other end of a connection.
type callerKey struct{}

// withPeer records the peer of a Unix socket connection (SO_PEERCRED) in
// the connection's context, so audit records can say who made a change.
func withPeer(ctx context.Context, c net.Conn) context.Context {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return ctx
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return ctx
	}
	var cred *unix.Ucred
	_ = raw.Control(func(fd uintptr) {
		cred, _ = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	})
	if cred == nil {
		return ctx
	}
	who := "uid " + strconv.FormatUint(uint64(cred.Uid), 10)
	if u, err := user.LookupId(strconv.FormatUint(uint64(cred.Uid), 10)); err == nil {
		who = u.Username
	}
	return WithCaller(ctx, who+" (pid "+strconv.Itoa(int(cred.Pid))+", control socket)")
}

// WithCaller returns ctx naming who makes the request; front ends that
// authenticate (the web listener) set it from their session.
func WithCaller(ctx context.Context, who string) context.Context {
	return context.WithValue(ctx, callerKey{}, who)
}

// Caller is who makes the request, as recorded by WithCaller ("unknown"
// if nobody recorded it).
func Caller(ctx context.Context) string {
	if s, ok := ctx.Value(callerKey{}).(string); ok {
		return s
	}
	return "unknown"
}
