//go:build !linux

package tokencache

// RefuseKernelKeyring does nothing: only Linux uses the kernel keyring.
func RefuseKernelKeyring() (restore func()) { return func() {} }
