//go:build !linux

package tokencache

import "errors"

// errNoKernelKeyring: only Linux has the kernel keyring.
var errNoKernelKeyring = errors.New("the kernel keyring exists only on Linux")

// kernelKeyringStore names the kernel keyring storage in messages.
const kernelKeyringStore = "Linux kernel keyring"

// probeKernelKeyring reports that the kernel keyring exists only on Linux.
func probeKernelKeyring() error {
	return &UnavailableError{Store: kernelKeyringStore, Err: errNoKernelKeyring}
}

// openKernelKeyring reports that the kernel keyring exists only on Linux.
func openKernelKeyring(string, bool, func(string)) (Storage, error) {
	return nil, &UnavailableError{Store: kernelKeyringStore, Err: errNoKernelKeyring}
}
