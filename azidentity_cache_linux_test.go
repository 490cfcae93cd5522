package azinteractive_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	azcache "github.com/Azure/azure-sdk-for-go/sdk/azidentity/cache"
	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/cache"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/azinteractive/azinteractive/internal/tokencache/keyringtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 23: a user signed in through azidentity and azidentity/cache (its
// kernel keyring store) switches to this module with the same cache name
// and the record: the token comes silently, with no request. Without a
// Secret Service this module uses that store itself (and needs no
// AllowUnencryptedStorage); with one, it reads that store while its own is
// empty.
func TestAzidentityCacheSignInServesSilently(t *testing.T) {
	for _, store := range []string{"Linux kernel keyring", "Secret Service"} {
		t.Run(store, func(t *testing.T) { azidentitySignInServesSilently(t, store) })
	}
}

func azidentitySignInServesSilently(t *testing.T, store string) {
	useKernelKeyring(t) // no Secret Service; a cache name of the test's own
	if store == "Secret Service" {
		for _, kv := range keyringtest.Start(t).Env {
			k, v, _ := strings.Cut(kv, "=")
			t.Setenv(k, v)
		}
	}
	name := os.Getenv("AZI_CACHE_NAME")
	srv := entratest.NewServer(nil)
	defer srv.Close()

	theirs, err := azcache.New(&azcache.Options{Name: name})
	require.NoError(t, err)
	az, err := azidentity.NewDeviceCodeCredential(&azidentity.DeviceCodeCredentialOptions{
		ClientOptions: clientOptions(srv), Cache: theirs,
		TenantID: entratest.DefaultTenantID, ClientID: entratest.DefaultClientID,
		UserPrompt: func(_ context.Context, m azidentity.DeviceCodeMessage) error {
			return srv.ApproveDeviceCode(m.UserCode, entratest.DefaultUsername)
		},
	})
	require.NoError(t, err)
	rec, err := az.Authenticate(t.Context(), &policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)
	want, err := az.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)

	ours, err := cache.New(&cache.Options{Name: name})
	require.NoError(t, err, "no Secret Service, and no AllowUnencryptedStorage")
	assert.Equal(t, "persistent token cache ("+store+")", ours.String())
	cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
		ClientOptions: clientOptions(srv), Cache: ours, AuthenticationRecord: rec,
		TenantID: entratest.DefaultTenantID, ClientID: entratest.DefaultClientID,
		DisableAutomaticAuthentication: true,
	})
	require.NoError(t, err)
	before := countRequests(srv, entratest.EndpointToken)
	tk, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)
	assert.Equal(t, want.Token, tk.Token, "azidentity's cached token")
	assert.Equal(t, before, countRequests(srv, entratest.EndpointToken), "no token request")
}
