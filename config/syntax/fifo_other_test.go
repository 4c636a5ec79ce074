//go:build !unix

package syntax

import "errors"

func syscallMkfifo(string) error { return errors.New("not supported") }
