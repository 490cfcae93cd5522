package azinteractive_test

import (
	"testing"

	"github.com/azinteractive/azinteractive/internal/kernelkeyring/kernelkeyringtest"
	"github.com/azinteractive/azinteractive/internal/tokencache"
)

// useKernelKeyring makes the test, and the children that inherit its
// environment, use the kernel keyring, with no Secret Service, a cache
// name of its own (the key's name) and an XDG_CACHE_HOME of its own (where
// the cache file goes).
func useKernelKeyring(t *testing.T) []string {
	kernelkeyringtest.Require(t)
	name := kernelkeyringtest.Name(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("AZI_CACHE_NAME", name)
	t.Setenv(kernelKeyringEnv, "1")
	restoreKernelKeyring()
	t.Cleanup(func() { tokencache.RefuseKernelKeyring() })
	return nil
}
