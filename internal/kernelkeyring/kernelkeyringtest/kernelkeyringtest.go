//go:build linux

// Package kernelkeyringtest helps tests of the kernel keyring storage: it
// skips (or, with CI set, fails) tests where this process may not use the
// kernel keyring, names keys uniquely and removes them after the test, and
// runs azidentity/cache's own Linux storage code against ours (Azidentity).
package kernelkeyringtest

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/azinteractive/azinteractive/internal/kernelkeyring"
)

// UnderQEMU is set (by .ci/arm64) in tests that run under qemu-user, which
// has no keyctl.
const UnderQEMU = "AZI_UNDER_QEMU"

// Require skips t when this process may not use the kernel keyring
// (Docker's default seccomp profile forbids keyctl, say), and fails it
// instead when the CI variable is set: the CI machine must run these tests.
func Require(t testing.TB) kernelkeyring.Keyring {
	t.Helper()
	err := kernelkeyring.Probe()
	var refused *kernelkeyring.RefusedError
	if errors.As(err, &refused) {
		if errors.Is(err, syscall.ENOSYS) && os.Getenv(UnderQEMU) != "" {
			t.Skipf("QEMU's user-mode emulator doesn't implement keyctl (%v); the amd64 run tests the kernel keyring", err)
		}
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set, and the kernel keyring tests must run there: %v", err)
		}
		t.Skipf("the kernel keyring can't be used here: %v", err)
	}
	require.NoError(t, err, "the kernel keyring probe")
	r, err := kernelkeyring.OpenKeyring()
	require.NoError(t, err)
	return r
}

// Name returns a cache name no other test or process uses, and removes the
// keys of it and of its CAE mode (name+".cae") from the keyring when t ends,
// so that tests leave nothing in the user's keyring.
func Name(t testing.TB) string {
	t.Helper()
	var b [6]byte
	_, err := rand.Read(b[:])
	require.NoError(t, err)
	name := "azinteractive-test-" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		r, err := kernelkeyring.OpenKeyring()
		if err != nil {
			return
		}
		for _, d := range []string{name, name + ".cae"} {
			if err := r.Remove(d); err != nil {
				t.Errorf("removing the test key %s: %v", d, err)
			}
		}
	})
	return name
}

// azidentityCache is the module whose Linux storage Azidentity runs.
const azidentityCache = "github.com/Azure/azure-sdk-for-go/sdk/azidentity/cache@v0.4.0"

//go:embed harness.go.txt
var harness []byte

// Harness runs azidentity/cache's Linux storage code in another process,
// with this process's environment (so set XDG_CACHE_HOME first).
type Harness struct {
	bin string
}

// Azidentity returns a test binary of azidentity/cache v0.4.0, built from
// the module cache with harness.go.txt added to its package, against this
// module's requirements and without network. The binary is kept in the
// user's cache directory (azinteractive-tests/), one per combination of
// inputs, since building it takes a minute on a busy machine; processes
// that race to build it each rename a finished build into place. It skips t
// when the module isn't in the module cache (go mod download fetches it).
func Azidentity(t testing.TB) *Harness {
	t.Helper()
	buildOnce.Do(func() { built, buildSkip, buildErr = build() })
	if buildSkip != "" {
		// Even with CI set: the suite runs offline, and the root module
		// doesn't require azidentity/cache, so only a CI step that
		// downloads it can make these tests run (testdata's vectors still
		// check the format).
		t.Skip(buildSkip)
	}
	require.NoError(t, buildErr, "building azidentity/cache's harness")
	return &Harness{bin: built}
}

// cacheBase is the user's cache directory as the process started: tests
// point XDG_CACHE_HOME at temporary directories.
var cacheBase = func() string {
	if d, err := os.UserCacheDir(); err == nil {
		return d
	}
	return os.TempDir()
}()

var (
	buildOnce sync.Once
	built     string
	buildSkip string
	buildErr  error
)

func build() (bin, skip string, err error) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", "no go command to build azidentity/cache with: " + err.Error(), nil
	}
	env := func(name string) (string, error) {
		out, err := exec.Command(goTool, "env", name).Output()
		return strings.TrimSpace(string(out)), err
	}
	modcache, err := env("GOMODCACHE")
	if err != nil {
		return "", "", fmt.Errorf("go env GOMODCACHE: %w", err)
	}
	src := filepath.Join(modcache, "github.com/!azure/azure-sdk-for-go/sdk/azidentity/cache@v0.4.0")
	if _, err := os.Stat(src); err != nil {
		return "", "azidentity/cache isn't in the module cache (go mod download " + azidentityCache + "): " + err.Error(), nil
	}
	gomod, err := env("GOMOD")
	if err != nil {
		return "", "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod, err := os.ReadFile(gomod)
	if err != nil {
		return "", "", err
	}
	sum, err := os.ReadFile(filepath.Join(filepath.Dir(gomod), "go.sum"))
	if err != nil {
		return "", "", err
	}
	version, err := exec.Command(goTool, "version").Output()
	if err != nil {
		return "", "", fmt.Errorf("go version: %w", err)
	}
	i := bytes.Index(mod, []byte("\ngo "))
	if i < 0 {
		return "", "", fmt.Errorf("no go line in %s", gomod)
	}
	// Its own requirements are older than this module's, and not all of
	// them are in the module cache: take this module's, which build it.
	newMod := append([]byte("module github.com/Azure/azure-sdk-for-go/sdk/azidentity/cache\n"), mod[i:]...)

	h := sha256.New()
	for _, b := range [][]byte{[]byte(src), newMod, sum, harness, version} {
		fmt.Fprintf(h, "%d:%s", len(b), b)
	}
	parent := filepath.Join(cacheBase, "azinteractive-tests")
	final := filepath.Join(parent, "azidentity-cache-v0.4.0-"+hex.EncodeToString(h.Sum(nil))[:16])
	bin = filepath.Join(final, "azidentity-cache.test")
	if _, err := os.Stat(bin); err == nil {
		return bin, "", nil
	}
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return "", "", err
	}
	tmp, err := os.MkdirTemp(parent, "build-")
	if err != nil {
		return "", "", err
	}
	defer os.RemoveAll(tmp) // gone after a rename; a failed build's leftovers otherwise
	work := filepath.Join(tmp, "cache")
	// Its sources without its tests, whose dependencies this module lacks.
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(work, rel), 0o700)
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(work, rel), b, 0o600)
	})
	if err != nil {
		return "", "", err
	}
	for name, b := range map[string][]byte{"go.mod": newMod, "go.sum": sum, "azinteractive_harness_test.go": harness} {
		if err := os.WriteFile(filepath.Join(work, name), b, 0o600); err != nil {
			return "", "", err
		}
	}
	cmd := exec.Command(goTool, "test", "-c", "-o", filepath.Join(tmp, "azidentity-cache.test"), ".")
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		if bytes.Contains(out, []byte("module lookup disabled by GOPROXY=off")) {
			// The module cache holds azidentity/cache but not all of its
			// dependencies' go.mod files (the bench module's download
			// fetches the one without the others): as if it were absent.
			return "", fmt.Sprintf("a dependency of %s isn't in the module cache (go mod download the module named here):\n%s", azidentityCache, out), nil
		}
		return "", "", fmt.Errorf("go test -c in a copy of %s: %w\n%s", azidentityCache, err, out)
	}
	if err := os.Rename(tmp, final); err != nil {
		if _, statErr := os.Stat(bin); statErr != nil {
			return "", "", err
		}
		// Another process renamed its build into place first.
	}
	return bin, "", nil
}

// run runs one operation (see harness.go.txt) and returns its output file.
func (h *Harness) run(t testing.TB, op, name string, input []byte, extra ...string) []byte {
	t.Helper()
	cmd, out := h.command(t, op, name, input, extra...)
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "azidentity/cache's %s:\n%s", op, b)
	result, err := os.ReadFile(out)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	require.NoError(t, err)
	return result
}

func (h *Harness) command(t testing.TB, op, name string, input []byte, extra ...string) (*exec.Cmd, string) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	require.NoError(t, os.WriteFile(in, input, 0o600))
	cmd := exec.Command(h.bin, "-test.run=^TestAzinteractiveHarness$", "-test.count=1")
	cmd.Env = append(os.Environ(), append([]string{"AZH_OP=" + op, "AZH_NAME=" + name, "AZH_IN=" + in, "AZH_OUT=" + out}, extra...)...)
	return cmd, out
}

// Path returns azidentity/cache's file for the cache name (a CAE cache's
// name ends in ".cae").
func (h *Harness) Path(t testing.TB, name string) string {
	t.Helper()
	return string(h.run(t, "path", name, nil))
}

// Write stores data as azidentity/cache's keyring storage does (creating
// the key if there is none) and returns the key's serial number.
func (h *Harness) Write(t testing.TB, name string, data []byte) string {
	t.Helper()
	return string(h.run(t, "write", name, data))
}

// Read returns what azidentity/cache's keyring storage reads.
func (h *Harness) Read(t testing.TB, name string) []byte {
	t.Helper()
	return h.run(t, "read", name, nil)
}

// Seal returns what azidentity/cache's internal/jwe writes for plaintext
// under key and kid.
func (h *Harness) Seal(t testing.TB, key []byte, kid string, plaintext []byte) []byte {
	t.Helper()
	in := append([]byte(hex.EncodeToString(key)+"\n"+kid+"\n"), plaintext...)
	return h.run(t, "seal", "", in)
}

// NewExport writes data as an application's azidentity credential does
// after a sign-in: through the cache that azidentity/cache.New returns, in
// its CAE or non-CAE mode.
func (h *Harness) NewExport(t testing.TB, name string, cae bool, data []byte) {
	t.Helper()
	h.run(t, "new-export", name, data, "AZH_CAE="+caeFlag(cae))
}

// NewReplace returns what an azidentity credential reads through the cache
// that azidentity/cache.New returns.
func (h *Harness) NewReplace(t testing.TB, name string, cae bool) []byte {
	t.Helper()
	return h.run(t, "new-replace", name, nil, "AZH_CAE="+caeFlag(cae))
}

func caeFlag(cae bool) string {
	if cae {
		return "1"
	}
	return "0"
}

// Export writes data through MSAL extensions' Cache, as azidentity/cache
// does, which holds "<file>.lockfile" while it writes; it gives up after
// timeout and returns the error it reported, or nil.
func (h *Harness) Export(t testing.TB, name string, data []byte, timeout time.Duration) error {
	t.Helper()
	r := string(h.run(t, "export", name, data, "AZH_TIMEOUT="+timeout.String()))
	if r == "ok" {
		return nil
	}
	return errors.New(r)
}

// Hold starts an Export of data that stops inside the lock and returns when
// azidentity/cache's process holds it. The returned function lets that
// Export finish (its write then happens) and waits for its process.
func (h *Harness) Hold(t testing.TB, name string, data []byte) (release func()) {
	t.Helper()
	cmd, out := h.command(t, "hold", name, data, "AZH_TIMEOUT=1m")
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	done := false
	t.Cleanup(func() {
		if !done {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	rd := bufio.NewReader(stdout)
	line, err := rd.ReadString('\n')
	if err != nil || line != "locked\n" {
		_ = cmd.Process.Kill()
		_, _ = io.ReadAll(rd)
		_ = cmd.Wait()
		done = true
		t.Fatalf("azidentity/cache's hold didn't take the lock (%q, %v):\n%s", line, err, stderr.Bytes())
	}
	return func() {
		t.Helper()
		require.NoError(t, stdin.Close())
		rest, _ := io.ReadAll(rd)
		err := cmd.Wait()
		done = true
		require.NoError(t, err, "azidentity/cache's hold:\n%s%s", rest, stderr.Bytes())
		r, err := os.ReadFile(out)
		require.NoError(t, err)
		require.Equal(t, "ok", string(r), "azidentity/cache's Export after the hold")
	}
}
