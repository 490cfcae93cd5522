package azinteractive_test

import (
	"context"
	"errors"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
		ClientOptions: clientOptions(srv),
		OpenURL:       func(context.Context, string) error { return errors.New("no browser on this machine") },
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
