//go:build !linux

package tokencache

import "testing"

func mountTmpfs(t *testing.T, _ string) string {
	t.Skip("tmpfs is Linux's")
	return ""
}

func remountReadOnly(t *testing.T, _ string) { t.Skip("tmpfs is Linux's") }
