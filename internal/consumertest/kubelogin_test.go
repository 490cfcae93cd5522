// kubelogin still offers the password grant, exercised here on purpose.
//lint:file-ignore SA1019 the shape of a consumer that uses UsernamePasswordCredential

// Package consumertest holds code shaped like a real consumer of
// azidentity's user credentials, Azure/kubelogin (pkg/internal/token), with
// this module's credentials put in azidentity's place by changing imports
// only: if this package compiles and its tests pass, so does the switch.
package consumertest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/cache"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/azinteractive/azinteractive/internal/tokencache"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// authenticator is the part of kubelogin's CredentialProvider its three
// user credentials get from azidentity's: GetToken, and Authenticate
// returning azidentity's own AuthenticationRecord.
type authenticator interface {
	azcore.TokenCredential
	Authenticate(ctx context.Context, opts *policy.TokenRequestOptions) (azidentity.AuthenticationRecord, error)
}

var (
	_ authenticator = (*azinteractive.DeviceCodeCredential)(nil)
	_ authenticator = (*azinteractive.InteractiveBrowserCredential)(nil)
	_ authenticator = (*azinteractive.UsernamePasswordCredential)(nil)
	// azidentity's, for comparison: the same interface holds both.
	_ authenticator = (*azidentity.DeviceCodeCredential)(nil)
)

// options are built as kubelogin builds them, with a record of azidentity's
// type from its record file, and the shared cache.
func deviceCodeOptions(srv *entratest.Server, record azidentity.AuthenticationRecord, c azinteractive.Cache) *azinteractive.DeviceCodeCredentialOptions {
	return &azinteractive.DeviceCodeCredentialOptions{
		ClientOptions:        azcore.ClientOptions{Transport: srv.Client(), Cloud: srv.Cloud()},
		AuthenticationRecord: record,
		Cache:                c,
		TenantID:             entratest.DefaultTenantID,
		ClientID:             entratest.DefaultClientID,
		UserPrompt: func(_ context.Context, m azinteractive.DeviceCodeMessage) error {
			return srv.ApproveDeviceCode(m.UserCode, entratest.DefaultUsername)
		},
	}
}

// TestRecordRoundTripsThroughAzidentitysJSON: kubelogin saves the record
// Authenticate returns with encoding/json and reads it back as azidentity's
// type (its cached record provider); the record is equal, in azidentity's
// form, and a credential given it back is silent.
func TestRecordRoundTripsThroughAzidentitysJSON(t *testing.T) {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	// kubelogin's persistent cache, moved by its import (plaintext here, so
	// that the test touches no keyring of the user's).
	t.Cleanup(tokencache.RefuseKernelKeyring())
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	c, err := cache.New(&cache.Options{Name: "kubelogin", Directory: t.TempDir(), AllowUnencryptedStorage: true})
	require.NoError(t, err)

	var first authenticator
	first, err = azinteractive.NewDeviceCodeCredential(deviceCodeOptions(srv, azidentity.AuthenticationRecord{}, c))
	require.NoError(t, err)
	scopes := []string{"6dae42f8-4368-4678-94ff-3960e28e3630/.default"} // AKS's server app, as kubelogin asks
	rec, err := first.Authenticate(t.Context(), &policy.TokenRequestOptions{Scopes: scopes})
	require.NoError(t, err)

	b, err := json.Marshal(rec)
	require.NoError(t, err)
	var back azidentity.AuthenticationRecord
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, rec, back)
	host := strings.TrimSuffix(strings.TrimPrefix(srv.Cloud().ActiveDirectoryAuthorityHost, "https://"), "/")
	assert.Equal(t, "https://"+host, back.Authority, "the authority as azidentity writes it: scheme and host")
	assert.Equal(t, entratest.DefaultUsername, back.Username)
	assert.Equal(t, "1.0", back.Version)

	// azidentity itself accepts the record read back.
	_, err = azidentity.NewDeviceCodeCredential(&azidentity.DeviceCodeCredentialOptions{AuthenticationRecord: back})
	require.NoError(t, err)

	// A new credential (a new kubectl call) given the record and the cache
	// gets its token silently.
	codes := countDeviceCodes(srv)
	o := deviceCodeOptions(srv, back, c)
	o.DisableAutomaticAuthentication = true
	second, err := azinteractive.NewDeviceCodeCredential(o)
	require.NoError(t, err)
	_, err = second.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: scopes})
	require.NoError(t, err)
	assert.Equal(t, codes, countDeviceCodes(srv), "no new sign-in")
}

// countDeviceCodes counts srv's device code requests.
func countDeviceCodes(srv *entratest.Server) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Endpoint == entratest.EndpointDeviceCode {
			n++
		}
	}
	return n
}
