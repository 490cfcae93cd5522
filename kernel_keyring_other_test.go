//go:build !linux

package azinteractive_test

import "testing"

// useKernelKeyring skips: the kernel keyring is Linux's.
func useKernelKeyring(t *testing.T) []string {
	t.Skip("the kernel keyring is Linux's")
	return nil
}
