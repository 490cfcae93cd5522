package loopback

import (
	"errors"
	"syscall"
)

// reservedHint points at Windows' excluded port ranges (Hyper-V, WinNAT and
// Docker reserve blocks of ports), the usual cause of WSAEACCES.
const reservedHint = " (see `netsh interface ipv4 show excludedportrange protocol=tcp`)"

// Windows error numbers, which package syscall doesn't name.
const (
	wsaEACCES     = syscall.Errno(10013) // port excluded or held exclusively
	wsaEADDRINUSE = syscall.Errno(10048)
)

func isAddrInUseErrno(err error) bool {
	return errors.Is(err, wsaEADDRINUSE) || errors.Is(err, wsaEACCES)
}
