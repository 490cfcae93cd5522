package loopback

import (
	"errors"
	"syscall"
)

// reservedHint points at Windows' excluded port ranges (Hyper-V, WinNAT and
// Docker reserve blocks of ports), the usual cause of WSAEACCES.
const reservedHint = " (see `netsh interface ipv4 show excludedportrange protocol=tcp`)"

// wsaEADDRINUSE isn't named by package syscall.
const wsaEADDRINUSE = syscall.Errno(10048)

// isAddrInUse includes WSAEACCES: the port is excluded or held exclusively.
func isAddrInUse(err error) bool {
	return errors.Is(err, wsaEADDRINUSE) || errors.Is(err, syscall.WSAEACCES)
}
