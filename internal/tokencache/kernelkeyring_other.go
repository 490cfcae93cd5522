//go:build !linux

package tokencache

// RefuseKernelKeyring does nothing: only Linux uses the kernel keyring.
func RefuseKernelKeyring() (restore func()) { return func() {} }

// fallbackEncrypted: only Linux has a second choice of encrypted storage.
func fallbackEncrypted(_ Location, unavailable *UnavailableError) (Cache, error) {
	return Cache{}, unavailable
}
