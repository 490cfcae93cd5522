package azinteractive_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/cache"
	"github.com/azinteractive/azinteractive/entratest"
)

// unavailableCredential is an application's own credential that can't work
// here, built as with azidentity.
type unavailableCredential struct{ calls atomic.Int32 }

func (u *unavailableCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	u.calls.Add(1)
	return azcore.AccessToken{}, azinteractive.NewCredentialUnavailableError("MyCredential: no configuration file here")
}

// TestNewCredentialUnavailableErrorInAzidentityChain: code that builds its own
// credential for a chain compiles with this module's import, and azidentity's
// chain takes the error as "try the next one".
func TestNewCredentialUnavailableErrorInAzidentityChain(t *testing.T) {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	mine := &unavailableCredential{}
	a := &approver{srv: srv}
	device, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{ClientOptions: clientOptions(srv), UserPrompt: a.prompt})
	require.NoError(t, err)
	chain, err := azidentity.NewChainedTokenCredential([]azcore.TokenCredential{mine, device}, nil)
	require.NoError(t, err)
	tk, err := chain.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)
	_, err = srv.VerifyAccessToken(tk.Token)
	require.NoError(t, err)
	assert.EqualValues(t, 1, mine.calls.Load())
	assert.EqualValues(t, 1, a.prompts.Load())

	err = azinteractive.NewCredentialUnavailableError("MyCredential: no configuration file here")
	assert.Equal(t, "MyCredential: no configuration file here", err.Error())
	var unavailable *azinteractive.CredentialUnavailableError
	assert.ErrorAs(t, err, &unavailable)
}

// TestAzureAuthorityHost: AZURE_AUTHORITY_HOST sends a credential without a
// Cloud option to that host, as azidentity and Python do; ClientOptions.Cloud
// wins when set; a host that isn't https is refused at construction.
func TestAzureAuthorityHost(t *testing.T) {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL(), "https://")

	for _, env := range []string{srv.URL() + "/", host} { // a bare host is taken as https, as Python does
		t.Run(env, func(t *testing.T) {
			t.Setenv("AZURE_AUTHORITY_HOST", env)
			srv.ResetRequests()
			cred, err := azinteractive.NewUsernamePasswordCredential(entratest.DefaultTenantID, entratest.DefaultClientID,
				entratest.DefaultUsername, entratest.DefaultPassword, &azinteractive.UsernamePasswordCredentialOptions{
					ClientOptions:            azcore.ClientOptions{Transport: srv.Client()},
					DisableInstanceDiscovery: true,
				})
			require.NoError(t, err)
			_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
			require.NoError(t, err)
			hosts := requestHosts(srv)
			assert.Equal(t, []string{host}, hosts, "every request went to AZURE_AUTHORITY_HOST, none to login.microsoftonline.com")
		})
	}

	t.Run("Cloud wins", func(t *testing.T) {
		t.Setenv("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.us/")
		srv.ResetRequests()
		cred, err := azinteractive.NewUsernamePasswordCredential(entratest.DefaultTenantID, entratest.DefaultClientID,
			entratest.DefaultUsername, entratest.DefaultPassword, &azinteractive.UsernamePasswordCredentialOptions{ClientOptions: clientOptions(srv)})
		require.NoError(t, err)
		_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
		require.NoError(t, err, "srv.Client would refuse login.microsoftonline.us")
		assert.NotContains(t, requestHosts(srv), "login.microsoftonline.us")
		assert.Contains(t, requestHosts(srv), host)
	})

	t.Run("public cloud Cloud wins too", func(t *testing.T) {
		t.Setenv("AZURE_AUTHORITY_HOST", srv.URL())
		srv.ResetRequests()
		cred, err := azinteractive.NewUsernamePasswordCredential(entratest.DefaultTenantID, entratest.DefaultClientID,
			entratest.DefaultUsername, entratest.DefaultPassword, &azinteractive.UsernamePasswordCredentialOptions{
				ClientOptions: azcore.ClientOptions{Transport: srv.Client(), Cloud: cloud.AzurePublic},
			})
		require.NoError(t, err)
		_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
		require.NoError(t, err)
		assert.NotContains(t, requestHosts(srv), host)
	})

	t.Run("not https", func(t *testing.T) {
		t.Setenv("AZURE_AUTHORITY_HOST", "http://login.microsoftonline.us/")
		_, err := azinteractive.NewDeviceCodeCredential(nil)
		require.Error(t, err)
		assert.Contains(t, err.Error(), `DeviceCodeCredential: AZURE_AUTHORITY_HOST "http://login.microsoftonline.us/" is invalid: it must use https`)
	})
}

func requestHosts(srv *entratest.Server) []string {
	var hosts []string
	for _, r := range srv.Requests() {
		if len(hosts) == 0 || hosts[len(hosts)-1] != r.Host {
			hosts = append(hosts, r.Host)
		}
	}
	return hosts
}

// TestAuthenticationRecordSemantics: as Python's azure-identity, a record
// gives an unset TenantID its tenant and an unconfigured authority host its
// authority; explicit options win; a record of another application than an
// explicit ClientID is refused.
func TestAuthenticationRecordSemantics(t *testing.T) {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	srv.AddTenant(entratest.Tenant{ID: "fab71ca3-0000-4000-8000-00000000000f", Domain: "fabrikam.com"})
	srv.AddUser(entratest.User{Username: "bob@fabrikam.com", Password: "bob-Pa55w0rd-fab", TenantID: "fab71ca3-0000-4000-8000-00000000000f"})
	host := strings.TrimPrefix(srv.URL(), "https://")

	// A sign-in to fabrikam.com, on srv's own host, gives the record.
	first, err := azinteractive.NewUsernamePasswordCredential("fabrikam.com", entratest.DefaultClientID, "bob@fabrikam.com", "bob-Pa55w0rd-fab",
		&azinteractive.UsernamePasswordCredentialOptions{ClientOptions: clientOptions(srv)})
	require.NoError(t, err)
	record, err := first.Authenticate(t.Context(), &policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)
	require.Equal(t, "https://"+host, record.Authority, "azidentity's form")
	require.Equal(t, "fab71ca3-0000-4000-8000-00000000000f", record.TenantID)

	t.Run("tenant and authority from the record", func(t *testing.T) {
		srv.ResetRequests()
		a := &approver{srv: srv, user: "bob@fabrikam.com"}
		cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
			// No Cloud: the record's authority is the host; no TenantID: the record's.
			ClientOptions:            azcore.ClientOptions{Transport: srv.Client()},
			DisableInstanceDiscovery: true,
			AuthenticationRecord:     record,
			UserPrompt:               a.prompt,
		})
		require.NoError(t, err)
		_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
		require.NoError(t, err)
		assert.Equal(t, []string{host}, requestHosts(srv), "the record's authority, not login.microsoftonline.com")
		for _, r := range srv.Requests() {
			if r.Endpoint == entratest.EndpointDeviceCode {
				assert.Equal(t, "/"+record.TenantID+"/oauth2/v2.0/devicecode", r.Path, "the record's tenant, not organizations")
			}
		}
		assert.EqualValues(t, 1, a.prompts.Load())
	})

	t.Run("explicit TenantID wins", func(t *testing.T) {
		srv.ResetRequests()
		a := &approver{srv: srv}
		cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
			ClientOptions:        clientOptions(srv),
			AuthenticationRecord: record,
			TenantID:             entratest.DefaultTenantID,
			UserPrompt:           a.prompt,
		})
		require.NoError(t, err)
		_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{"https://vault.azure.net/.default"}})
		require.NoError(t, err)
		for _, r := range srv.Requests() {
			if r.Endpoint == entratest.EndpointDeviceCode {
				assert.Equal(t, "/"+entratest.DefaultTenantID+"/oauth2/v2.0/devicecode", r.Path)
			}
		}
	})

	t.Run("explicit Cloud wins", func(t *testing.T) {
		r := record
		r.Authority = "login.microsoftonline.us" // srv.Client refuses it
		_, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
			ClientOptions: clientOptions(srv), AuthenticationRecord: r, DisableAutomaticAuthentication: true,
		})
		require.NoError(t, err)
	})

	t.Run("a record of another application", func(t *testing.T) {
		_, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
			AuthenticationRecord: record, ClientID: "22222222-2222-2222-2222-222222222222",
		})
		require.Error(t, err)
		assert.Contains(t, err.Error(), `the AuthenticationRecord is for client ID "`+entratest.DefaultClientID+`" but ClientID is "22222222-2222-2222-2222-222222222222"`)
	})

	t.Run("requests may still name other tenants", func(t *testing.T) {
		cred, err := azinteractive.NewUsernamePasswordCredential("", entratest.DefaultClientID, entratest.DefaultUsername, entratest.DefaultPassword,
			&azinteractive.UsernamePasswordCredentialOptions{ClientOptions: clientOptions(srv), AuthenticationRecord: record})
		require.NoError(t, err)
		_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope, TenantID: entratest.DefaultTenantID})
		require.NoError(t, err, "TenantID wasn't set, so the record's tenant doesn't restrict requests")
	})
}

// TestTenantMismatch: a request for another tenant names both tenants; a
// credential configured with the tenant's domain accepts a request naming
// the same tenant's ID.
func TestTenantMismatch(t *testing.T) {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	const other = "fab71ca3-0000-4000-8000-00000000000f"
	srv.AddTenant(entratest.Tenant{ID: other, Domain: "fabrikam.com"})
	a := &approver{srv: srv}
	cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
		ClientOptions: clientOptions(srv), TenantID: entratest.DefaultTenantDomain, UserPrompt: a.prompt,
	})
	require.NoError(t, err)

	// Key Vault's challenge names the tenant by ID, before any sign-in.
	tk, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope, TenantID: entratest.DefaultTenantID})
	require.NoError(t, err, "contoso.com and its tenant ID are one tenant")
	claims, err := srv.VerifyAccessToken(tk.Token)
	require.NoError(t, err)
	assert.Equal(t, entratest.DefaultTenantID, claims["tid"])
	_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope, TenantID: strings.ToUpper(entratest.DefaultTenantID)})
	require.NoError(t, err)
	assert.EqualValues(t, 1, a.prompts.Load())

	_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope, TenantID: other})
	require.Error(t, err)
	assert.Equal(t, `DeviceCodeCredential: the token request is for tenant "`+other+`", but TenantID is "contoso.com" and AdditionallyAllowedTenants doesn't include it`+"\n"+
		`To allow it, add "`+other+`" (or "*" for any tenant) to AdditionallyAllowedTenants`, err.Error())
	assert.EqualValues(t, 1, a.prompts.Load())
}

// TestDeviceCodeExpiredIsTyped: a code nobody used expires; the error is an
// AuthenticationFailedError with ErrorCode expired_token that says so and
// what to do, and doesn't blame the caller's context, which had no deadline.
func TestDeviceCodeExpiredIsTyped(t *testing.T) {
	srv := entratest.NewServer(&entratest.Options{DeviceCodeLifetime: time.Second})
	defer srv.Close()
	cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
		ClientOptions: clientOptions(srv),
		UserPrompt:    func(context.Context, azinteractive.DeviceCodeMessage) error { return nil },
	})
	require.NoError(t, err)
	_, err = cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: armScope})
	var failed *azinteractive.AuthenticationFailedError
	require.ErrorAs(t, err, &failed)
	assert.Equal(t, "expired_token", failed.ErrorCode)
	assert.Equal(t, "DeviceCodeCredential: the device code expired before anyone signed in with it (expired_token)\n"+
		"Start the sign-in again, and finish it before the new code expires.", err.Error())
	assert.NotContains(t, err.Error(), "context")
	assert.False(t, errors.Is(err, context.DeadlineExceeded), "no context ended")
}

// TestCanceledSaidOnce: a cancellation, by the caller's context or by the
// user on the sign-in page, is reported once, not as "canceled: context
// canceled".
func TestCanceledSaidOnce(t *testing.T) {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	ctx, cancel := context.WithCancel(t.Context())
	cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
		ClientOptions: clientOptions(srv),
		UserPrompt:    func(context.Context, azinteractive.DeviceCodeMessage) error { cancel(); return nil },
	})
	require.NoError(t, err)
	_, err = cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: armScope})
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 1, strings.Count(err.Error(), "cancel"), err.Error())
	assert.Equal(t, "DeviceCodeCredential: the caller's context was canceled before a token was acquired", err.Error())

	browser, err := azinteractive.NewInteractiveBrowserCredential(&azinteractive.InteractiveBrowserCredentialOptions{
		ClientOptions: clientOptions(srv), OpenURL: srv.CancelBrowser(),
	})
	require.NoError(t, err)
	_, err = browser.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	require.Error(t, err)
	assert.Equal(t, 1, strings.Count(err.Error(), "cancel"), err.Error())
	assert.True(t, strings.HasPrefix(err.Error(), "InteractiveBrowserCredential: the user canceled the sign-in (access_denied): AADSTS"), err.Error())
	assert.False(t, errors.Is(err, context.Canceled), "the user canceled, not a context")
}

// hostRecorder is a transport that records the host of every request.
type hostRecorder struct {
	next  policy.Transporter
	mu    sync.Mutex // guards hosts
	hosts map[string]bool
}

func (h *hostRecorder) Do(req *http.Request) (*http.Response, error) {
	h.mu.Lock()
	if h.hosts == nil {
		h.hosts = map[string]bool{}
	}
	h.hosts[req.URL.Host] = true
	h.mu.Unlock()
	return h.next.Do(req)
}

// TestRememberedRecordDoesNotMoveAuthority: the record a persistent cache
// remembers names the account; even tampered with, it never sends requests
// to its authority. Only a record the application passes does, and only
// when no cloud is configured.
func TestRememberedRecordDoesNotMoveAuthority(t *testing.T) {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	dir := t.TempDir()
	a := &approver{srv: srv}
	newCred := func(transport policy.Transporter) *azinteractive.DeviceCodeCredential {
		c, err := cache.New(&cache.Options{Name: "tamper", Directory: dir, AllowUnencryptedStorage: true, RememberAccount: true})
		require.NoError(t, err)
		cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
			ClientOptions: azcore.ClientOptions{Transport: transport}, Cache: c, UserPrompt: a.prompt,
		})
		require.NoError(t, err)
		return cred
	}
	_, err := newCred(srv.Client()).GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)

	files, err := filepath.Glob(filepath.Join(dir, "tamper.*.authrecord.json"))
	require.NoError(t, err)
	require.Len(t, files, 1)
	b, err := os.ReadFile(files[0])
	require.NoError(t, err)
	tampered := strings.Replace(string(b), `"authority":"https://login.microsoftonline.com"`, `"authority":"https://attacker.example"`, 1)
	require.NotEqual(t, string(b), tampered)
	require.NoError(t, os.WriteFile(files[0], []byte(tampered), 0o600))

	rec := &hostRecorder{next: srv.Client()}
	_, err = newCred(rec).GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{"https://vault.azure.net/.default"}})
	require.NoError(t, err)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	assert.NotContains(t, rec.hosts, "attacker.example")
	assert.True(t, rec.hosts["login.microsoftonline.com"], "%v", rec.hosts)
}
