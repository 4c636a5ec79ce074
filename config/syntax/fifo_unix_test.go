//go:build unix

package syntax

import "syscall"

func syscallMkfifo(path string) error { return syscall.Mkfifo(path, 0o644) }
