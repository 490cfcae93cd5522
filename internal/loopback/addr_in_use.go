//go:build !plan9

package loopback

import (
	"errors"
	"syscall"
)

// isAddrInUse reports a port conflict. Windows reports it as WSAEADDRINUSE
// (10048), or as WSAEACCES (10013) for a port excluded or held exclusively:
// numbers no Unix uses, and which package syscall names only on Windows.
func isAddrInUse(err error) bool {
	return errors.Is(err, syscall.EADDRINUSE) || errors.Is(err, syscall.Errno(10048)) || errors.Is(err, syscall.Errno(10013))
}
