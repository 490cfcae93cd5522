//go:build wine

package azinteractive_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/log"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/windows"
)

// wamCred is a browser credential with o's options, on srv's cloud; opening
// the browser fails the test unless o.OpenURL is set.
func wamCred(t *testing.T, srv *entratest.Server, o azinteractive.InteractiveBrowserCredentialOptions) *azinteractive.InteractiveBrowserCredential {
	if o.OpenURL == nil {
		o.OpenURL = func(context.Context, string) error { return errors.New("the browser was opened") }
	}
	o.ClientOptions = azcore.ClientOptions{Transport: srv.Client(), Cloud: srv.Cloud()}
	c, err := azinteractive.NewInteractiveBrowserCredential(&o)
	require.NoError(t, err)
	return c
}

// The emulated MSALRuntime's counters (testdata/fakeruntime.c).
const (
	fakeDialogs = iota
	fakeCancels
	fakeSilent
	fakeSignOuts
	fakeSilentSignIns
)

// fakeWAM is the emulated MSALRuntime that .ci/wine/run builds: its path,
// a reader of its counters and of the last dialog's additional parameters,
// and of the authority and decoded claims of the last operation of a kind
// (fakeDialogs, fakeSilent or fakeSilentSignIns). The test fails if it
// leaves a handle unreleased.
type fakeWAM struct {
	path      string
	count     func(what int) int
	extra     func() string
	authority func(what int) string
	claims    func(what int) string
}

func newFakeWAM(t *testing.T) fakeWAM {
	path := os.Getenv("AZI_WAM_FAKE_DLL")
	require.NotEmpty(t, path, "run with .ci/wine/run, which builds the emulated MSALRuntime")
	dll := windows.NewLazyDLL(path)
	f := fakeWAM{path: path}
	f.count = func(what int) int {
		r, _, _ := dll.NewProc("FakeMSALRuntime_Calls").Call(uintptr(what))
		return int(int32(r))
	}
	f.extra = func() string {
		buf := make([]uint16, 512)
		dll.NewProc("FakeMSALRuntime_LastParams").Call(uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
		return windows.UTF16ToString(buf)
	}
	last := func(proc string) func(int) string {
		return func(what int) string {
			buf := make([]uint16, 2048)
			dll.NewProc(proc).Call(uintptr(what), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
			return windows.UTF16ToString(buf)
		}
	}
	f.authority, f.claims = last("FakeMSALRuntime_LastAuthority"), last("FakeMSALRuntime_LastClaims")
	handles := func() int {
		r, _, _ := dll.NewProc("FakeMSALRuntime_LiveHandles").Call()
		return int(int32(r))
	}
	live := handles()
	t.Cleanup(func() { assert.Equal(t, live, handles(), "handles left unreleased") })
	return f
}

// TestWAMUnderWine: with MSALRuntime (the emulated one) the credential gets
// its tokens from the broker: one dialog, then a second scope silently.
func TestWAMUnderWine(t *testing.T) {
	f := newFakeWAM(t)
	srv := entratest.NewServer(nil)
	defer srv.Close()
	c := wamCred(t, srv, azinteractive.InteractiveBrowserCredentialOptions{
		Broker: &azinteractive.BrokerOptions{MSALRuntimePath: f.path, RequireBroker: true}, LoginHint: "carol@contoso.com"})
	before := f.count(fakeDialogs)
	for _, scope := range []string{"https://management.azure.com/.default", "https://graph.microsoft.com/.default"} {
		tk, err := c.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{scope}})
		require.NoError(t, err)
		assert.Equal(t, "fake-token:carol@contoso.com:"+scope, tk.Token)
	}
	assert.Equal(t, before+1, f.count(fakeDialogs), "one dialog for two scopes")

	// The device's account, with no dialog at all.
	c = wamCred(t, srv, azinteractive.InteractiveBrowserCredentialOptions{
		Broker: &azinteractive.BrokerOptions{MSALRuntimePath: f.path, UseDefaultBrokerAccount: true}, LoginHint: "os@contoso.com"})
	before = f.count(fakeDialogs)
	tk, err := c.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{"https://vault.azure.net/.default"}})
	require.NoError(t, err)
	assert.Equal(t, "fake-token:os@contoso.com:https://vault.azure.net/.default", tk.Token)
	assert.Equal(t, before, f.count(fakeDialogs))

	// The user closes the dialog.
	c = wamCred(t, srv, azinteractive.InteractiveBrowserCredentialOptions{
		Broker: &azinteractive.BrokerOptions{MSALRuntimePath: f.path}, LoginHint: "cancel@contoso.com"})
	_, err = c.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{"https://vault.azure.net/.default"}})
	var failed *azinteractive.AuthenticationFailedError
	require.ErrorAs(t, err, &failed)
	assert.Contains(t, err.Error(), "canceled")
}

// TestWAMDefaultAccountUnderWine: UseDefaultBrokerAccount signs in as the
// OS account with SignInSilentlyAsync, as MSAL for Python does, and shows
// the dialog when that account isn't LoginHint's.
func TestWAMDefaultAccountUnderWine(t *testing.T) {
	f := newFakeWAM(t)
	srv := entratest.NewServer(nil)
	defer srv.Close()
	bo := &azinteractive.BrokerOptions{MSALRuntimePath: f.path, UseDefaultBrokerAccount: true}
	silent, dialogs := f.count(fakeSilentSignIns), f.count(fakeDialogs)
	c := wamCred(t, srv, azinteractive.InteractiveBrowserCredentialOptions{Broker: bo})
	tk, err := c.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{"https://storage.azure.com/.default"}})
	require.NoError(t, err)
	assert.Equal(t, "fake-token:os@contoso.com:https://storage.azure.com/.default", tk.Token)
	assert.Equal(t, silent+1, f.count(fakeSilentSignIns), "SignInSilentlyAsync wasn't called")
	assert.Equal(t, dialogs, f.count(fakeDialogs))

	c = wamCred(t, srv, azinteractive.InteractiveBrowserCredentialOptions{Broker: bo, LoginHint: "erin@contoso.com"})
	tk, err = c.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{"https://storage.azure.com/.default"}})
	require.NoError(t, err)
	assert.Equal(t, "fake-token:erin@contoso.com:https://storage.azure.com/.default", tk.Token, "the OS account isn't LoginHint's")
	assert.Equal(t, dialogs+1, f.count(fakeDialogs))
}

// TestWAMContextEndsUnderWine: when the caller's context ends during the
// dialog, the credential cancels the operation (CancelAsyncOperation) and
// returns the context's error at once.
func TestWAMContextEndsUnderWine(t *testing.T) {
	f := newFakeWAM(t)
	srv := entratest.NewServer(nil)
	defer srv.Close()
	c := wamCred(t, srv, azinteractive.InteractiveBrowserCredentialOptions{
		Broker: &azinteractive.BrokerOptions{MSALRuntimePath: f.path, RequireBroker: true}, LoginHint: "hold@contoso.com"})
	cancels, dialogs := f.count(fakeCancels), f.count(fakeDialogs)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := c.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}})
		done <- err
	}()
	// The dialog is up when the fake has counted it.
	require.Eventually(t, func() bool { return f.count(fakeDialogs) > dialogs }, 10*time.Second, time.Millisecond)
	cancel()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(2 * time.Second):
		t.Fatal("GetToken outlived its context")
	}
	assert.Equal(t, cancels+1, f.count(fakeCancels), "CancelAsyncOperation wasn't called")
}

// TestWAMSignOutUnderWine: SignOut signs the account out of the broker
// (SignOutSilentlyAsync): a credential holding its record must then sign in
// again.
func TestWAMSignOutUnderWine(t *testing.T) {
	f := newFakeWAM(t)
	srv := entratest.NewServer(nil)
	defer srv.Close()
	bo := &azinteractive.BrokerOptions{MSALRuntimePath: f.path, RequireBroker: true}
	c := wamCred(t, srv, azinteractive.InteractiveBrowserCredentialOptions{Broker: bo, LoginHint: "dave@contoso.com"})
	rec, err := c.Authenticate(t.Context(), nil)
	require.NoError(t, err)
	signOuts := f.count(fakeSignOuts)
	require.NoError(t, c.SignOut(t.Context()))
	assert.Equal(t, signOuts+1, f.count(fakeSignOuts), "SignOutSilentlyAsync wasn't called")

	c = wamCred(t, srv, azinteractive.InteractiveBrowserCredentialOptions{Broker: bo, AuthenticationRecord: rec, DisableAutomaticAuthentication: true})
	_, err = c.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
	var required *azinteractive.AuthenticationRequiredError
	require.ErrorAs(t, err, &required, "the broker still knows the account")
}

// TestWAMConcurrentUnderWine: 500 concurrent requests for distinct scopes,
// far more than Go has callbacks, all answered silently.
func TestWAMConcurrentUnderWine(t *testing.T) {
	f := newFakeWAM(t)
	srv := entratest.NewServer(nil)
	defer srv.Close()
	c := wamCred(t, srv, azinteractive.InteractiveBrowserCredentialOptions{
		Broker: &azinteractive.BrokerOptions{MSALRuntimePath: f.path, RequireBroker: true}, LoginHint: "frank@contoso.com"})
	_, err := c.Authenticate(t.Context(), nil)
	require.NoError(t, err)
	dialogs := f.count(fakeDialogs)
	var wg sync.WaitGroup
	errs := make(chan error, 500)
	for i := range 500 {
		wg.Go(func() {
			scope := fmt.Sprintf("api://scope-%d/.default", i)
			tk, err := c.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{scope}})
			if err == nil && tk.Token != "fake-token:frank@contoso.com:"+scope {
				err = fmt.Errorf("asked for %s, got %s", scope, tk.Token)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, dialogs, f.count(fakeDialogs), "a silent request showed a dialog")
}

// TestWAMHintsUnderWine: the domain hint and prompts other than
// select_account reach WAM as additional parameters, as MSAL for Python
// passes its extra parameters; select_account drops the login hint.
func TestWAMHintsUnderWine(t *testing.T) {
	f := newFakeWAM(t)
	srv := entratest.NewServer(nil)
	defer srv.Close()
	bo := &azinteractive.BrokerOptions{MSALRuntimePath: f.path, RequireBroker: true, ParentWindowHandle: 1}
	c := wamCred(t, srv, azinteractive.InteractiveBrowserCredentialOptions{Broker: bo, LoginHint: "gina@contoso.com", DomainHint: "contoso.com", Prompt: "login"})
	tk, err := c.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(tk.Token, "fake-token:gina@contoso.com:"))
	assert.ElementsMatch(t, []string{"domain_hint=contoso.com", "prompt=login"}, strings.Split(f.extra(), ";"))

	c = wamCred(t, srv, azinteractive.InteractiveBrowserCredentialOptions{Broker: bo, LoginHint: "gina@contoso.com", Prompt: "select_account"})
	tk, err = c.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(tk.Token, "fake-token:user@contoso.com:"), "the login hint reached the account picker")
	assert.Empty(t, f.extra())
}

// TestWAMTenantAndClaimsUnderWine: a request's tenant reaches WAM as its
// authority, and a CAE request's claims as the decoded claims, with the
// CP1 capability merged in, as the Linux broker gets them; a request
// without EnableCAE announces no CP1.
func TestWAMTenantAndClaimsUnderWine(t *testing.T) {
	f := newFakeWAM(t)
	srv := entratest.NewServer(nil)
	defer srv.Close()
	const home = "72f988bf-86f1-41af-91ab-2d7cd011db47" // the fake's accounts' tenant
	const other = "0e0e0e0e-1111-4222-8333-444444444444"
	authority := func(tenant string) string {
		return strings.TrimSuffix(srv.Cloud().ActiveDirectoryAuthorityHost, "/") + "/" + tenant
	}
	c := wamCred(t, srv, azinteractive.InteractiveBrowserCredentialOptions{
		Broker: &azinteractive.BrokerOptions{MSALRuntimePath: f.path, RequireBroker: true}, LoginHint: "hank@contoso.com",
		TenantID: home, AdditionallyAllowedTenants: []string{other}})
	dialogs, silent := f.count(fakeDialogs), f.count(fakeSilent)
	_, err := c.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}})
	require.NoError(t, err)
	require.Equal(t, dialogs+1, f.count(fakeDialogs))
	assert.Equal(t, authority(home), f.authority(fakeDialogs), "the credential's tenant")
	assert.Empty(t, f.claims(fakeDialogs), "claims without CAE or a challenge")

	// Another tenant, silently: its authority.
	_, err = c.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}, TenantID: other})
	require.NoError(t, err)
	require.Equal(t, silent+1, f.count(fakeSilent))
	assert.Equal(t, authority(other), f.authority(fakeSilent), "the request's tenant")

	type claimsDoc struct {
		AccessToken struct {
			NBF *struct {
				Value string `json:"value"`
			} `json:"nbf"`
			XMSCC *struct {
				Values []string `json:"values"`
			} `json:"xms_cc"`
		} `json:"access_token"`
	}
	sent := func() claimsDoc {
		var doc claimsDoc
		require.NoError(t, json.Unmarshal([]byte(f.claims(fakeSilent)), &doc), f.claims(fakeSilent))
		return doc
	}
	const challenge = `{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}`

	// A CAE request announces CP1, and a challenge is merged with it.
	_, err = c.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}, EnableCAE: true})
	require.NoError(t, err)
	require.Equal(t, silent+2, f.count(fakeSilent))
	doc := sent()
	require.NotNil(t, doc.AccessToken.XMSCC, "no CP1 for a CAE request")
	assert.Equal(t, []string{"CP1"}, doc.AccessToken.XMSCC.Values)
	assert.Nil(t, doc.AccessToken.NBF)

	_, err = c.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}, EnableCAE: true, Claims: challenge})
	require.NoError(t, err)
	require.Equal(t, silent+3, f.count(fakeSilent), "a claims challenge needs a new token")
	doc = sent()
	require.NotNil(t, doc.AccessToken.NBF, "the challenge didn't reach WAM")
	assert.Equal(t, "1700000000", doc.AccessToken.NBF.Value)
	require.NotNil(t, doc.AccessToken.XMSCC, "no CP1 with the challenge")
	assert.Equal(t, []string{"CP1"}, doc.AccessToken.XMSCC.Values)
	assert.Equal(t, authority(home), f.authority(fakeSilent))

	// Without EnableCAE: the challenge as it came, and no CP1.
	_, err = c.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{"https://vault.azure.net/.default"}, Claims: challenge})
	require.NoError(t, err)
	require.Equal(t, silent+4, f.count(fakeSilent))
	assert.JSONEq(t, challenge, f.claims(fakeSilent), "without CAE the challenge travels as it came")
	_, err = c.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{"https://storage.azure.com/.default"}})
	require.NoError(t, err)
	require.Equal(t, silent+5, f.count(fakeSilent))
	assert.Empty(t, f.claims(fakeSilent), "CP1 without EnableCAE")
}

// TestWAMAbsentUnderWine: without MSALRuntime the credential signs in
// through the browser and logs why, or is unavailable with RequireBroker.
func TestWAMAbsentUnderWine(t *testing.T) {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	var mu sync.Mutex
	var lines []string
	log.SetListener(func(_ log.Event, msg string) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, msg)
	})
	log.SetEvents(azinteractive.EventAuthentication)
	defer log.SetListener(nil)
	empty := t.TempDir()
	c := wamCred(t, srv, azinteractive.InteractiveBrowserCredentialOptions{
		Broker: &azinteractive.BrokerOptions{MSALRuntimePath: empty}, OpenURL: srv.Browser(entratest.DefaultUsername, entratest.DefaultPassword)})
	tk, err := c.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}})
	require.NoError(t, err)
	_, err = srv.VerifyAccessToken(tk.Token)
	require.NoError(t, err, "not the browser's token")
	mu.Lock()
	all := strings.Join(lines, "\n")
	mu.Unlock()
	assert.Contains(t, all, "signing in through the browser: the Windows identity broker (WAM) can't be used: MSALRuntime isn't installed")

	c = wamCred(t, srv, azinteractive.InteractiveBrowserCredentialOptions{Broker: &azinteractive.BrokerOptions{MSALRuntimePath: empty, RequireBroker: true}})
	_, err = c.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}})
	var unavailable *azinteractive.CredentialUnavailableError
	require.ErrorAs(t, err, &unavailable)
	assert.Contains(t, err.Error(), "MSALRuntime isn't installed")
}
