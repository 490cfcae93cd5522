//go:build !windows && !plan9

package loopback

import (
	"errors"
	"syscall"
)

const reservedHint = ""

func isAddrInUse(err error) bool { return errors.Is(err, syscall.EADDRINUSE) }
