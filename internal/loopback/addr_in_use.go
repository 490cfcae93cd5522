//go:build !windows && !plan9

package loopback

import (
	"errors"
	"syscall"
)

// reservedHint has nothing to add outside Windows.
const reservedHint = ""

func isAddrInUseErrno(err error) bool { return errors.Is(err, syscall.EADDRINUSE) }
