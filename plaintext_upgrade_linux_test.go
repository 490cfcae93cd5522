package azinteractive_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/cache"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/azinteractive/azinteractive/internal/tokencache"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// On Linux without a Secret Service, AllowUnencryptedStorage kept tokens in
// plaintext files, which Python's azure-identity shares. Where the kernel
// keyring can be used, a new cache prefers it, but a plaintext cache already
// there stays in use: a user who signed in before (with an earlier version
// of this module, or with Python) isn't asked again, and Python keeps
// sharing it. A directory with no plaintext cache gets the kernel keyring.
func TestPlaintextCacheKeptWhereKernelKeyringCouldBeUsed(t *testing.T) {
	for _, dir := range []string{"default", "chosen"} {
		t.Run("directory="+dir, func(t *testing.T) {
			useKernelKeyring(t)
			t.Setenv("HOME", t.TempDir())
			opts := cache.Options{Name: os.Getenv("AZI_CACHE_NAME"), AllowUnencryptedStorage: true}
			plainDir := filepath.Join(os.Getenv("HOME"), ".IdentityService")
			if dir == "chosen" {
				opts.Directory = t.TempDir()
				plainDir = opts.Directory
			}
			srv := entratest.NewServer(nil)
			defer srv.Close()

			// Before: no kernel keyring, so the files.
			restore := tokencache.RefuseKernelKeyring()
			before, err := cache.New(&opts)
			require.NoError(t, err)
			restore()
			require.Equal(t, "persistent token cache (unencrypted files in "+plainDir+")", before.String())
			cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
				ClientOptions: clientOptions(srv), Cache: before,
				TenantID: entratest.DefaultTenantID, ClientID: entratest.DefaultClientID,
				UserPrompt: func(_ context.Context, m azinteractive.DeviceCodeMessage) error {
					return srv.ApproveDeviceCode(m.UserCode, entratest.DefaultUsername)
				},
			})
			require.NoError(t, err)
			rec, err := cred.Authenticate(t.Context(), &policy.TokenRequestOptions{Scopes: armScope})
			require.NoError(t, err)

			after, err := cache.New(&opts)
			require.NoError(t, err)
			assert.Equal(t, before.String(), after.String(), "the plaintext cache stays in use")
			silent, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
				ClientOptions: clientOptions(srv), Cache: after, AuthenticationRecord: rec,
				TenantID: entratest.DefaultTenantID, ClientID: entratest.DefaultClientID,
				DisableAutomaticAuthentication: true,
			})
			require.NoError(t, err)
			n := countRequests(srv, entratest.EndpointToken)
			_, err = silent.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
			require.NoError(t, err, "the sign-in kept in the plaintext cache")
			assert.Equal(t, n, countRequests(srv, entratest.EndpointToken), "the cached token, no request")

			// Another name, with no plaintext cache: the kernel keyring.
			opts.Name += "-fresh"
			fresh, err := cache.New(&opts)
			require.NoError(t, err)
			assert.Equal(t, "persistent token cache (Linux kernel keyring)", fresh.String())
		})
	}
}
