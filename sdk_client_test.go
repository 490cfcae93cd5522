package azinteractive_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeVault behaves like Key Vault for one secret: a challenge for requests
// without a token (tenant and resource discovery), real verification of
// bearer tokens (signature through entratest's JWKS, audience, scope,
// expiry), and a CAE claims challenge once the user's sessions are revoked.
type fakeVault struct {
	t      *testing.T
	idp    *entratest.Server
	keys   *oidc.RemoteKeySet
	server *httptest.Server

	mu         sync.Mutex // guards the fields below
	challenges int        // 401s sent for want of a token
	caeSent    int        // 401s sent with a claims challenge
	served     int
}

func newFakeVault(t *testing.T, idp *entratest.Server) *fakeVault {
	v := &fakeVault{t: t, idp: idp}
	ctx := oidc.ClientContext(context.Background(), idp.Client())
	v.keys = oidc.NewRemoteKeySet(ctx, idp.JWKSURL(entratest.DefaultTenantID))
	v.server = httptest.NewTLSServer(http.HandlerFunc(v.serve))
	t.Cleanup(v.server.Close)
	return v
}

func (v *fakeVault) serve(w http.ResponseWriter, r *http.Request) {
	v.mu.Lock()
	defer v.mu.Unlock()
	auth := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		v.challenges++
		w.Header().Set("WWW-Authenticate", `Bearer authorization="https://login.microsoftonline.com/`+entratest.DefaultTenantID+`", resource="https://vault.azure.net"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	// The signature, checked with the identity provider's published keys.
	payload, err := v.keys.VerifySignature(r.Context(), token)
	if err != nil {
		http.Error(w, "bad signature: "+err.Error(), http.StatusUnauthorized)
		return
	}
	var claims struct {
		Aud string `json:"aud"`
		Scp string `json:"scp"`
		Exp int64  `json:"exp"`
		Tid string `json:"tid"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil || claims.Aud != "https://vault.azure.net" ||
		claims.Scp == "" || time.Unix(claims.Exp, 0).Before(time.Now()) || claims.Tid != entratest.DefaultTenantID {
		http.Error(w, "token rejected", http.StatusUnauthorized)
		return
	}
	// Continuous access evaluation: a revoked session gets a claims challenge.
	if _, err := v.idp.VerifyAccessToken(token); err != nil {
		var cce *entratest.ClaimsChallengeError
		if errors.As(err, &cce) {
			v.caeSent++
			w.Header().Set("WWW-Authenticate", cce.WWWAuthenticate())
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	v.served++
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"value":"s3cret-value","id":"` + v.server.URL + `/secrets/db-password/1","attributes":{"enabled":true}}`))
}

// TestKeyVaultClientEndToEnd runs the real azsecrets client with our
// credential: challenge discovery, verified tokens, a CAE claims challenge,
// all on one sign-in.
func TestKeyVaultClientEndToEnd(t *testing.T) {
	idp := entratest.NewServer(nil)
	defer idp.Close()
	vault := newFakeVault(t, idp)

	a := &approver{srv: idp}
	cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
		ClientOptions: clientOptions(idp), UserPrompt: a.prompt,
	})
	require.NoError(t, err)
	client, err := azsecrets.NewClient(vault.server.URL, cred, &azsecrets.ClientOptions{
		ClientOptions: azcore.ClientOptions{Transport: vault.server.Client()},
		// The fake vault's host is 127.0.0.1, not *.vault.azure.net.
		DisableChallengeResourceVerification: true,
	})
	require.NoError(t, err)

	got, err := client.GetSecret(t.Context(), "db-password", "", nil)
	require.NoError(t, err)
	assert.Equal(t, "s3cret-value", *got.Value)

	idp.RevokeSessions(entratest.DefaultUsername)
	got, err = client.GetSecret(t.Context(), "db-password", "", nil)
	require.NoError(t, err, "the claims challenge is answered with a fresh token")
	assert.Equal(t, "s3cret-value", *got.Value)

	vault.mu.Lock()
	defer vault.mu.Unlock()
	assert.Equal(t, 1, vault.challenges, "one discovery challenge")
	assert.Equal(t, 1, vault.caeSent, "one CAE challenge")
	assert.Equal(t, 2, vault.served)
	assert.EqualValues(t, 1, a.prompts.Load(), "one sign-in served it all")
}

// TestAzidentityChainFallsThrough: azidentity's ChainedTokenCredential moves
// past our browser credential when no browser can open, to our device code
// credential, exactly as with azidentity's own credentials.
func TestAzidentityChainFallsThrough(t *testing.T) {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	t.Setenv("SSH_CONNECTION", "10.0.0.1 1 10.0.0.2 22")
	browser, err := azinteractive.NewInteractiveBrowserCredential(&azinteractive.InteractiveBrowserCredentialOptions{
		ClientOptions: clientOptions(srv), RequireBrowser: true,
		OpenURL: func(context.Context, string) error { return errors.New("no browser on this machine") },
	})
	require.NoError(t, err)
	a := &approver{srv: srv}
	device, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{ClientOptions: clientOptions(srv), UserPrompt: a.prompt})
	require.NoError(t, err)

	chain, err := azidentity.NewChainedTokenCredential([]azcore.TokenCredential{browser, device}, nil)
	require.NoError(t, err)
	tk, err := chain.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)
	_, err = srv.VerifyAccessToken(tk.Token)
	require.NoError(t, err)
	assert.EqualValues(t, 1, a.prompts.Load())

	// AuthenticationRequiredError falls through as well.
	silentOnly, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
		ClientOptions: clientOptions(srv), DisableAutomaticAuthentication: true,
	})
	require.NoError(t, err)
	password, err := azinteractive.NewUsernamePasswordCredential(entratest.DefaultTenantID, entratest.DefaultClientID,
		entratest.DefaultUsername, entratest.DefaultPassword, &azinteractive.UsernamePasswordCredentialOptions{ClientOptions: clientOptions(srv)})
	require.NoError(t, err)
	chain, err = azidentity.NewChainedTokenCredential([]azcore.TokenCredential{silentOnly, password}, nil)
	require.NoError(t, err)
	_, err = chain.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)

	// A real failure stops the chain, as azidentity's own do.
	wrong, err := azinteractive.NewUsernamePasswordCredential(entratest.DefaultTenantID, entratest.DefaultClientID,
		entratest.DefaultUsername, "pw-wrong-9", &azinteractive.UsernamePasswordCredentialOptions{ClientOptions: clientOptions(srv)})
	require.NoError(t, err)
	chain, err = azidentity.NewChainedTokenCredential([]azcore.TokenCredential{wrong, device}, nil)
	require.NoError(t, err)
	prompts := a.prompts.Load()
	_, err = chain.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{"https://vault.azure.net/.default"}})
	var failed *azidentity.AuthenticationFailedError // the chain reports failures as its own type
	require.ErrorAs(t, err, &failed)
	assert.Contains(t, err.Error(), "AADSTS50126")
	assert.Equal(t, prompts, a.prompts.Load(), "the chain stopped at the real failure")
}
