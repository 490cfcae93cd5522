package browser

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	pkgbrowser "github.com/pkg/browser"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const authURL = "https://login.example/tenant/oauth2/v2.0/authorize?client_id=x&state=y"

// fakeSystem records what open tries, and fails the commands it's told to.
type fakeSystem struct {
	mu      sync.Mutex // guards ran
	ran     []string   // command names, then "pkg/browser"
	fail    map[string]bool
	missing map[string]bool // not on PATH
}

func (f *fakeSystem) system(goos string, env map[string]string) system {
	return system{
		goos:     goos,
		getenv:   func(k string) string { return env[k] },
		readFile: func(string) ([]byte, error) { return nil, errors.New("none") },
		lookPath: func(name string) (string, error) {
			if f.missing[name] {
				return "", errors.New("not found")
			}
			return name, nil
		},
		start: func(ctx context.Context, name string, args ...string) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.ran = append(f.ran, name)
			if f.fail[name] {
				return errors.New(name + " failed")
			}
			return nil
		},
		pkgBrowser: func(ctx context.Context, url string) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.ran = append(f.ran, "pkg/browser")
			if f.fail["pkg/browser"] {
				return errors.New("xdg-open failed")
			}
			return nil
		},
	}
}

func TestOpenOrder(t *testing.T) {
	t.Parallel()
	wsl := map[string]string{"WSL_DISTRO_NAME": "Ubuntu"}
	for _, tc := range []struct {
		name    string
		goos    string
		env     map[string]string
		fail    []string
		missing []string
		want    []string
		wantErr bool
	}{
		{name: "linux", goos: "linux", want: []string{"pkg/browser"}},
		{name: "BROWSER first", goos: "linux", env: map[string]string{"BROWSER": "a:b"}, fail: []string{"a"}, want: []string{"a", "b"}},
		{name: "BROWSER fails, then pkg/browser", goos: "darwin", env: map[string]string{"BROWSER": "a"}, fail: []string{"a"}, want: []string{"a", "pkg/browser"}},
		{name: "windows ignores BROWSER", goos: "windows", env: map[string]string{"BROWSER": "a"}, want: []string{"pkg/browser"}},
		{name: "WSL wslview", goos: "linux", env: wsl, want: []string{"wslview"}},
		{name: "WSL without wslu", goos: "linux", env: wsl, missing: []string{"wslview"}, want: []string{"powershell.exe"}},
		{name: "WSL powershell fails", goos: "linux", env: wsl, fail: []string{"wslview", "powershell.exe"}, want: []string{"wslview", "powershell.exe", "cmd.exe"}},
		{name: "WSL without Windows PATH", goos: "linux", env: wsl, missing: []string{"wslview", "powershell.exe"},
			want: []string{"/mnt/c/Windows/System32/WindowsPowerShell/v1.0/powershell.exe"}},
		{name: "WSL all fail", goos: "linux", env: wsl, fail: []string{"wslview", "powershell.exe", "cmd.exe", "pkg/browser"},
			want: []string{"wslview", "powershell.exe", "cmd.exe", "pkg/browser"}, wantErr: true},
		{name: "WSL env on darwin is ignored", goos: "darwin", env: wsl, want: []string{"pkg/browser"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeSystem{fail: map[string]bool{}, missing: map[string]bool{}}
			for _, n := range tc.fail {
				f.fail[n] = true
			}
			for _, n := range tc.missing {
				f.missing[n] = true
			}
			err := f.system(tc.goos, tc.env).open(t.Context(), authURL)
			assert.Equal(t, tc.want, f.ran)
			if tc.wantErr {
				require.Error(t, err)
				for _, n := range tc.fail {
					assert.Contains(t, err.Error(), strings.Replace(n, "pkg/browser", "xdg-open", 1))
				}
			} else {
				require.NoError(t, err)
			}
		})
	}
}

func TestOpenRejectsNonWebURLs(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "file:///etc/passwd", "--help", "javascript:alert(1)", "https://x/ -new", "https://x/\n", "https:///nohost", "%zz"} {
		f := &fakeSystem{}
		err := f.system("linux", nil).open(t.Context(), u)
		assert.Error(t, err, u)
		assert.Empty(t, f.ran, u)
	}
}

func TestOpenStopsWhenCtxDone(t *testing.T) {
	t.Parallel()
	f := &fakeSystem{fail: map[string]bool{"a": true}}
	s := f.system("linux", map[string]string{"BROWSER": "a:b"})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	require.ErrorIs(t, s.open(ctx, authURL), context.Canceled)
	assert.Empty(t, f.ran, "nothing starts after ctx is done")

	// ctx ending during a failed launch stops the search too.
	ctx, cancel = context.WithCancel(t.Context())
	start := s.start
	s.start = func(ctx context.Context, name string, args ...string) error {
		cancel()
		return start(ctx, name, args...)
	}
	require.ErrorIs(t, s.open(ctx, authURL), context.Canceled)
	assert.Equal(t, []string{"a"}, f.ran)
}

func requireUnix(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("uses sh; the opener launches commands itself ($BROWSER, WSL) only on Unix")
	}
}

// TestLaunchOutput swaps os.Stdout and os.Stderr, so it isn't parallel.
func TestLaunchOutput(t *testing.T) {
	requireUnix(t)
	dir := t.TempDir()
	stdout, err := os.Create(filepath.Join(dir, "stdout"))
	require.NoError(t, err)
	stderr, err := os.Create(filepath.Join(dir, "stderr"))
	require.NoError(t, err)
	oldOut, oldErr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = stdout, stderr
	err = launch(t.Context(), 5*time.Second, "sh", "-c", "echo chatter; echo complaint >&2")
	os.Stdout, os.Stderr = oldOut, oldErr
	require.NoError(t, err)
	require.NoError(t, stdout.Close())
	require.NoError(t, stderr.Close())

	out, _ := os.ReadFile(filepath.Join(dir, "stdout"))
	errOut, _ := os.ReadFile(filepath.Join(dir, "stderr"))
	assert.Empty(t, string(out), "a launcher never writes to our stdout")
	assert.Empty(t, string(errOut), "nor to our stderr: a browser it starts would write there for as long as it runs")
}

func TestLaunchFailureSaysWhy(t *testing.T) {
	t.Parallel()
	requireUnix(t)
	dir := t.TempDir()
	xdg := filepath.Join(dir, "xdg-open")
	writeScript(t, xdg, "#!/bin/sh\necho 'xdg-open: no method available for opening' >&2\nexit 3\n")
	err := launch(t.Context(), 5*time.Second, xdg, authURL)
	require.Error(t, err)
	assert.Equal(t, "xdg-open: exit status 3 (a required tool could not be found: no browser is configured for the desktop)", err.Error())
}

func TestLaunch(t *testing.T) {
	t.Parallel()
	requireUnix(t)
	t.Run("success", func(t *testing.T) {
		require.NoError(t, launch(t.Context(), 5*time.Second, "true"))
	})
	t.Run("failure", func(t *testing.T) {
		err := launch(t.Context(), 5*time.Second, "false")
		require.ErrorContains(t, err, "exit status 1")
	})
	t.Run("not found", func(t *testing.T) {
		require.Error(t, launch(t.Context(), 5*time.Second, "no-such-launcher-azinteractive"))
	})
	t.Run("still running is the browser", func(t *testing.T) {
		// The "browser" runs until the test opens the fifo, so launch
		// returning first proves it doesn't wait for it, whatever the load.
		dir := t.TempDir()
		done, fifo := filepath.Join(dir, "done"), filepath.Join(dir, "fifo")
		require.NoError(t, exec.Command("mkfifo", fifo).Run())
		require.NoError(t, launch(t.Context(), 50*time.Millisecond, "sh", "-c", "cat "+fifo+" >/dev/null; touch "+done))
		assert.NoFileExists(t, done, "launch returned while the browser runs")
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		require.NoError(t, err)
		require.NoError(t, f.Close())
		// It isn't killed when the caller's ctx ends, and is reaped.
		require.Eventually(t, func() bool { _, err := os.Stat(done); return err == nil }, 5*time.Second, 20*time.Millisecond)
	})
	t.Run("ctx ends while starting", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := launch(ctx, 10*time.Second, "sleep", "10")
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Less(t, time.Since(start), 5*time.Second)
	})
}

// TestDefault runs the real opener against fake launchers on PATH.
func TestDefault(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("fakes xdg-open, which only Linux's opener runs (Windows': TestDefaultOpensWithShellExecute, in .ci/wine/run)")
	}
	if isWSL(os.Getenv, os.ReadFile) {
		t.Skip("WSL would open the Windows browser")
	}
	dir := t.TempDir()
	got := filepath.Join(dir, "got")
	script := "#!/bin/sh\necho \"$@\" > " + got + "\n"
	writeScript(t, filepath.Join(dir, "xdg-open"), script)
	writeScript(t, filepath.Join(dir, "my-browser"), script)

	t.Run("xdg-open", func(t *testing.T) {
		t.Setenv("PATH", dir)
		t.Setenv("BROWSER", "")
		require.NoError(t, Default()(t.Context(), authURL))
		b, err := os.ReadFile(got)
		require.NoError(t, err)
		assert.Equal(t, authURL+"\n", string(b))
		assert.Nil(t, pkgbrowser.Stdout, "pkg/browser's launchers write to /dev/null, not stdout")
		assert.Nil(t, pkgbrowser.Stderr, "nor stderr")
		os.Remove(got)
	})
	t.Run("BROWSER", func(t *testing.T) {
		t.Setenv("PATH", dir)
		t.Setenv("BROWSER", "no-such-browser:my-browser --flag %s")
		require.NoError(t, Default()(t.Context(), authURL))
		b, err := os.ReadFile(got)
		require.NoError(t, err)
		assert.Equal(t, "--flag "+authURL+"\n", string(b))
	})
	t.Run("nothing works", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		t.Setenv("BROWSER", "")
		err := Default()(t.Context(), authURL)
		require.Error(t, err)
		assert.True(t, strings.Contains(err.Error(), "xdg-open") || strings.Contains(err.Error(), "executable"), err.Error())
	})
}
