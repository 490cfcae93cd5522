package main

import (
	"encoding/pem"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/azinteractive/azinteractive/cache"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/azinteractive/azinteractive/examples/internal/offline"
)

// TestNoLineTwice runs the program as a person would against Entra ID (here
// entratest, which approves the device code as soon as it is issued), with
// the credential's default prompt, and reads what the person sees: every
// line once. The prompt used to say "Signed in as ..." and then the program
// did.
func TestNoLineTwice(t *testing.T) {
	srv := entratest.NewServer(&entratest.Options{ApproveDeviceCodesAs: entratest.DefaultUsername})
	defer srv.Close()
	dir := t.TempDir()
	caFile := filepath.Join(dir, "entratest.pem")
	require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600))
	flags := &offline.Flags{AuthorityHost: srv.URL() + "/", CAFile: caFile, Scope: "https://management.azure.com/.default"}
	cacheOpts := cache.Options{Name: "persistent-test", Directory: dir, AllowUnencryptedStorage: true, RememberAccount: true}

	for i, want := range []string{
		"No remembered account: signing in.\nTo sign in, use a web browser to open the page " + srv.URL() + "/devicelogin and enter the code ",
		"Signed in silently as alice@contoso.com",
		"Signed out",
	} {
		out := terminal(t, func() {
			require.NoError(t, run(t.Context(), flags, cacheOpts, i == 2))
		})
		assert.True(t, strings.HasPrefix(out, want), "run %d:\n%s", i+1, out)
		seen := map[string]bool{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			assert.False(t, seen[line], "run %d printed %q twice:\n%s", i+1, line, out)
			seen[line] = true
		}
		assert.LessOrEqual(t, strings.Count(out, "Signed in"), 1, "run %d says once who signed in:\n%s", i+1, out)
	}
}

// terminal runs f with os.Stdout and os.Stderr going to one pipe, as on a
// terminal, and returns what was written.
func terminal(t *testing.T, f func()) string {
	r, w, err := os.Pipe()
	require.NoError(t, err)
	stdout, stderr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = w, w
	read := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		read <- string(b)
	}()
	defer func() {
		os.Stdout, os.Stderr = stdout, stderr
	}()
	f()
	os.Stdout, os.Stderr = stdout, stderr
	require.NoError(t, w.Close())
	return <-read
}
