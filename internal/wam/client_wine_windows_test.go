//go:build wine

package wam

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/azinteractive/azinteractive/internal/broker"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/windows"
)

// fake returns a client of the emulated MSALRuntime (testdata/fakeruntime.c)
// that .ci/wine/run builds and names in AZI_WAM_FAKE_DLL, and a function
// reading one of its counters.
func fake(t *testing.T) (*Client, func(string) int) {
	path := os.Getenv("AZI_WAM_FAKE_DLL")
	require.NotEmpty(t, path, "AZI_WAM_FAKE_DLL names no emulated MSALRuntime: run the tests with .ci/wine/run")
	c := &Client{Path: path}
	ok, err := c.Available(t.Context())
	require.NoError(t, err)
	require.True(t, ok)
	dll := windows.NewLazyDLL(path) // already loaded: the same module
	count := func(what string) int {
		var r uintptr
		if what == "handles" {
			r, _, _ = dll.NewProc("FakeMSALRuntime_LiveHandles").Call()
		} else {
			n := map[string]uintptr{"interactive": 0, "cancel": 1, "silent": 2, "signout": 3}[what]
			r, _, _ = dll.NewProc("FakeMSALRuntime_Calls").Call(n)
		}
		return int(int32(r))
	}
	live := count("handles")
	t.Cleanup(func() { assert.Equal(t, live, count("handles"), "handles left unreleased") })
	return c, count
}

func params(user string, scopes ...string) broker.TokenParams {
	return broker.TokenParams{ClientID: "04b07795-8ddb-461a-bbee-02f9e1bf7b46", Authority: "https://login.microsoftonline.com/organizations",
		Scopes: scopes, Username: user, ParentWindow: 1}
}

func TestSignInSilentSignOut(t *testing.T) {
	c, count := fake(t)
	ctx := t.Context()
	p := params("alice@contoso.com", "https://management.azure.com/.default")
	res, err := c.AcquireTokenInteractively(ctx, p)
	require.NoError(t, err)
	assert.Equal(t, "fake-token:alice@contoso.com:https://management.azure.com/.default", res.AccessToken)
	assert.Equal(t, "alice@contoso.com", res.Account.Username)
	assert.True(t, res.ExpiresOn.After(time.Now()))

	dialogs := count("interactive")
	p = params("", "https://graph.microsoft.com/.default")
	p.Account = &res.Account
	silent, err := c.AcquireTokenSilently(ctx, p)
	require.NoError(t, err)
	assert.Equal(t, "fake-token:alice@contoso.com:https://graph.microsoft.com/.default", silent.AccessToken)
	assert.Equal(t, dialogs, count("interactive"), "a silent request showed a dialog")

	accounts, err := c.Accounts(ctx, p.ClientID)
	require.NoError(t, err)
	var names []string
	for _, a := range accounts {
		names = append(names, a.Username)
	}
	assert.Contains(t, names, "os@contoso.com", "the device's account")
	assert.Contains(t, names, "alice@contoso.com")

	require.NoError(t, c.RemoveAccount(ctx, p.ClientID, res.Account))
	_, err = c.AcquireTokenSilently(ctx, p)
	var be *broker.Error
	require.ErrorAs(t, err, &be)
	assert.Equal(t, statusAccountNotFound, be.Status)
	assert.Equal(t, "ReadAccountById", be.Method)
	assert.Equal(t, int64(42), be.Tag)
}

func TestUserCancels(t *testing.T) {
	c, _ := fake(t)
	_, err := c.AcquireTokenInteractively(t.Context(), params("cancel@contoso.com", "s"))
	var be *broker.Error
	require.ErrorAs(t, err, &be)
	assert.True(t, be.Canceled())
	assert.Contains(t, be.Context, "cancelled")
}

// TestContextEnds: a dialog nobody answers is cancelled when ctx ends, and
// the call returns ctx's error promptly with every handle released.
func TestContextEnds(t *testing.T) {
	c, count := fake(t)
	cancels, dialogs := count("cancel"), count("interactive")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := c.AcquireTokenInteractively(ctx, params("hold@contoso.com", "s"))
		done <- err
	}()
	// The dialog is up when the fake has counted it.
	require.Eventually(t, func() bool { return count("interactive") > dialogs }, 10*time.Second, time.Millisecond)
	cancel()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(cancelWait / 2):
		t.Fatal("the call outlived its context")
	}
	assert.Equal(t, cancels+1, count("cancel"), "CancelAsyncOperation wasn't called")
}

// TestNoCallbackAfterCancel: an operation MSALRuntime never completes,
// even after CancelAsyncOperation (the fake's scope "ghost"). The call
// returns ctx's error once cancelWait has passed, and the handles the
// operation reads (auth parameters, account, async handle) stay live for as
// long as it may read them; when it calls back at last, they are released,
// once each, and it found none released.
func TestNoCallbackAfterCancel(t *testing.T) {
	c, count := fake(t)
	dll := windows.NewLazyDLL(os.Getenv("AZI_WAM_FAKE_DLL"))
	call := func(name string) int {
		r, _, _ := dll.NewProc(name).Call()
		return int(int32(r))
	}
	const paramsLive, accountLive, asyncLive, cancelled, usedReleased = 1, 2, 4, 8, 16
	saved, savedLog := cancelWait, Log
	cancelWait = 300 * time.Millisecond
	var mu sync.Mutex
	var lines []string
	Log = func(msg string) { mu.Lock(); lines = append(lines, msg); mu.Unlock() }
	t.Cleanup(func() { cancelWait, Log = saved, savedLog })

	res, err := c.AcquireTokenInteractively(t.Context(), params("ivan@contoso.com", "s"))
	require.NoError(t, err)
	doubles, silent := call("FakeMSALRuntime_DoubleReleases"), count("silent")
	p := params("", "ghost")
	p.Account = &res.Account
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := c.AcquireTokenSilently(ctx, p)
		done <- err
	}()
	require.Eventually(t, func() bool { return count("silent") > silent }, 10*time.Second, time.Millisecond)
	cancel()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
		require.ErrorIs(t, err, errNoCallback)
	case <-time.After(cancelWait + 3*time.Second):
		t.Fatal("the call outlived its context")
	}
	assert.Equal(t, paramsLive|accountLive|asyncLive|cancelled, call("FakeMSALRuntime_Ghost"), "released while the operation may use them")
	time.Sleep(100 * time.Millisecond)
	assert.Equal(t, paramsLive|accountLive|asyncLive|cancelled, call("FakeMSALRuntime_Ghost"), "released while the operation may use them")
	mu.Lock()
	assert.Len(t, lines, 1)
	mu.Unlock()

	call("FakeMSALRuntime_FinishGhost") // at last
	require.Eventually(t, func() bool { return call("FakeMSALRuntime_Ghost")&(paramsLive|accountLive|asyncLive) == 0 }, 10*time.Second, time.Millisecond,
		"not released after the late callback")
	assert.Zero(t, call("FakeMSALRuntime_Ghost")&usedReleased, "the operation found a handle released")
	assert.Equal(t, doubles, call("FakeMSALRuntime_DoubleReleases"), "a handle released twice")
}

// TestManyConcurrent: far more concurrent calls than Go has callbacks.
func TestManyConcurrent(t *testing.T) {
	c, _ := fake(t)
	res, err := c.AcquireTokenInteractively(t.Context(), params("bob@contoso.com", "s"))
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make(chan error, 500)
	for i := range 500 {
		wg.Go(func() {
			p := params("", fmt.Sprintf("api://scope-%d/.default", i))
			p.Account = &res.Account
			r, err := c.AcquireTokenSilently(t.Context(), p)
			if err == nil && r.GrantedScopes[0] != p.Scopes[0] {
				err = fmt.Errorf("asked for %s, got %s", p.Scopes[0], r.GrantedScopes)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

func TestNotInstalled(t *testing.T) {
	c := &Client{Path: t.TempDir()}
	ok, err := c.Available(t.Context())
	assert.False(t, ok)
	require.ErrorIs(t, err, ErrNotInstalled)
}

// TestBesideExecutable: MSALRuntime is found beside the executable, and
// never in the working directory or on PATH. Each case runs in a process of
// its own (a copy of this test binary), as a process loads MSALRuntime once.
func TestBesideExecutable(t *testing.T) {
	switch os.Getenv("AZI_WAM_CHILD") {
	case "beside":
		ok, err := (&Client{}).Available(t.Context())
		require.NoError(t, err)
		require.True(t, ok)
		exe, err := os.Executable()
		require.NoError(t, err)
		assert.True(t, samePath(filepath.Join(filepath.Dir(exe), DLLName()), loaded.path), loaded.path)
		return
	case "elsewhere":
		_, err := (&Client{}).Available(t.Context())
		require.ErrorIs(t, err, ErrNotInstalled)
		return
	}
	src := os.Getenv("AZI_WAM_FAKE_DLL")
	require.NotEmpty(t, src, "AZI_WAM_FAKE_DLL names no emulated MSALRuntime: run the tests with .ci/wine/run")
	self, err := os.Executable()
	require.NoError(t, err)
	// The working directory and PATH hold the DLL in both cases: never used.
	run := func(t *testing.T, mode string) {
		exeDir, dllDir := t.TempDir(), t.TempDir()
		exe := filepath.Join(exeDir, "wam.test.exe")
		copyFile(t, self, exe)
		copyFile(t, src, filepath.Join(dllDir, DLLName()))
		if mode == "beside" {
			copyFile(t, src, filepath.Join(exeDir, DLLName()))
		}
		cmd := exec.Command(exe, "-test.run=^TestBesideExecutable$", "-test.v")
		cmd.Dir = dllDir
		cmd.Env = append(os.Environ(), "AZI_WAM_CHILD="+mode, "PATH="+dllDir+";"+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		require.Contains(t, string(out), "--- PASS: TestBesideExecutable")
	}
	t.Run("beside", func(t *testing.T) { run(t, "beside") })
	t.Run("cwd and PATH", func(t *testing.T) { run(t, "elsewhere") })
}

func copyFile(t *testing.T, from, to string) {
	in, err := os.Open(from)
	require.NoError(t, err)
	defer in.Close()
	out, err := os.Create(to)
	require.NoError(t, err)
	_, err = io.Copy(out, in)
	require.NoError(t, err)
	require.NoError(t, out.Close())
}
