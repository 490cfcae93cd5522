package azinteractive_test

import (
	"net/http"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/entratest"
)

// secretHandler answers Key Vault's "get secret" for any name.
func secretHandler(vaultURL string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"value":"s3cret-value","id":"` + vaultURL + r.URL.Path + `/1","attributes":{"enabled":true}}`))
	})
}

// TestKeyVaultClientAgainstResource runs the real azsecrets client against
// entratest's resource server, at a vault host: no option beyond the
// transport, as against a real vault. Challenge discovery, verified tokens
// and a CAE claims challenge all run on one sign-in.
func TestKeyVaultClientAgainstResource(t *testing.T) {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	vault := srv.Resource(entratest.ResourceOptions{
		Audience: "https://vault.azure.net",
		Scopes:   []string{"user_impersonation"},
		TenantID: entratest.DefaultTenantID,
		Host:     "contoso.vault.azure.net",
		Handler:  secretHandler("https://contoso.vault.azure.net"),
	})
	a := &approver{srv: srv}
	cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
		ClientOptions: clientOptions(srv), UserPrompt: a.prompt,
	})
	require.NoError(t, err)
	client, err := azsecrets.NewClient(vault.URL(), cred, &azsecrets.ClientOptions{
		ClientOptions: azcore.ClientOptions{Transport: srv.Client()},
	})
	require.NoError(t, err)

	got, err := client.GetSecret(t.Context(), "db-password", "", nil)
	require.NoError(t, err)
	assert.Equal(t, "s3cret-value", *got.Value)

	srv.RevokeSessions(entratest.DefaultUsername)
	got, err = client.GetSecret(t.Context(), "db-password", "", nil)
	require.NoError(t, err, "the claims challenge is answered with a fresh token")
	assert.Equal(t, "s3cret-value", *got.Value)

	var results []entratest.ResourceResult
	for _, r := range vault.Requests() {
		results = append(results, r.Result)
	}
	assert.Equal(t, []entratest.ResourceResult{
		entratest.ResourceNoToken, entratest.ResourceAccepted, // discovery, then the secret
		entratest.ResourceClaimsChallenge, entratest.ResourceAccepted, // CAE, then the secret again
	}, results)
	assert.EqualValues(t, 1, a.prompts.Load(), "one sign-in served it all")
}

// TestKeyVaultClientAgainstResourceOnLoopback: at its loopback URL, as a
// real vault behind a custom host name, the client needs
// DisableChallengeResourceVerification, and only that.
func TestKeyVaultClientAgainstResourceOnLoopback(t *testing.T) {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	vault := srv.Resource(entratest.ResourceOptions{Audience: "https://vault.azure.net", Handler: secretHandler("https://vault")})
	a := &approver{srv: srv}
	cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{ClientOptions: clientOptions(srv), UserPrompt: a.prompt})
	require.NoError(t, err)
	for _, disable := range []bool{false, true} {
		client, err := azsecrets.NewClient(vault.URL(), cred, &azsecrets.ClientOptions{
			ClientOptions:                        azcore.ClientOptions{Transport: srv.Client()},
			DisableChallengeResourceVerification: disable,
		})
		require.NoError(t, err)
		_, err = client.GetSecret(t.Context(), "db-password", "", nil)
		if !disable {
			require.ErrorContains(t, err, "doesn't match the requested domain", "what a custom vault host gets too")
			continue
		}
		require.NoError(t, err)
	}
}
