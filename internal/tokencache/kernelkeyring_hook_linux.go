package tokencache

import (
	"errors"

	"github.com/azinteractive/azinteractive/internal/kernelkeyring"
)

// RefuseKernelKeyring makes the kernel keyring unavailable, as a container's
// seccomp profile does, until restore is called: for tests of what happens
// without any encrypted storage.
func RefuseKernelKeyring() (restore func()) {
	keyringProbe = func() error {
		return &kernelkeyring.RefusedError{Op: "use the keyring", Err: errRefusedForTests}
	}
	return func() { keyringProbe = kernelkeyring.Probe }
}

var errRefusedForTests = errors.New("refused by the test")
