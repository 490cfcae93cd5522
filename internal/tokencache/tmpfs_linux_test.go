//go:build linux

package tokencache

import (
	"os"
	"os/exec"
	"testing"
)

// mountTmpfs mounts a tmpfs with options (say "size=12k") for the test, or
// skips it where mounting isn't allowed (not root, no CAP_SYS_ADMIN in a
// container). In CI, where the tests run as root, it fails instead.
func mountTmpfs(t *testing.T, options string) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", options+",mode=0700", "tmpfs", dir).CombinedOutput()
	if err != nil {
		msg := "mounting a tmpfs needs root (or CAP_SYS_ADMIN): " + string(out)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// remountReadOnly makes a tmpfs from mountTmpfs read-only.
func remountReadOnly(t *testing.T, dir string) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,ro", dir).CombinedOutput(); err != nil {
		t.Fatalf("remount %s read-only: %v: %s", dir, err, out)
	}
}
