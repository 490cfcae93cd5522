//lint:file-ignore SA1019 kubelogin keeps the deprecated password credential

package kubeloginshape

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/cache"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/azinteractive/azinteractive/internal/tokencache"
)

// authenticator is the part of CredentialProvider that names azidentity's
// types. This module's credentials satisfy it themselves, as azidentity's
// do, so code that declares it needs no wrapper.
type authenticator interface {
	azcore.TokenCredential
	Authenticate(context.Context, *policy.TokenRequestOptions) (azidentity.AuthenticationRecord, error)
}

var (
	_ CredentialProvider = (*DeviceCodeCredential)(nil)
	_ CredentialProvider = (*InteractiveBrowserCredential)(nil)
	_ CredentialProvider = (*UsernamePasswordCredential)(nil)

	_ authenticator = (*azinteractive.DeviceCodeCredential)(nil)
	_ authenticator = (*azinteractive.InteractiveBrowserCredential)(nil)
	_ authenticator = (*azinteractive.UsernamePasswordCredential)(nil)
	_ authenticator = (*azidentity.DeviceCodeCredential)(nil)

	// An azidentity record is an option's value, no conversion.
	_ = azinteractive.DeviceCodeCredentialOptions{AuthenticationRecord: azidentity.AuthenticationRecord{}}
)

// serverID is the resource Run asks a token for.
const serverID = "https://management.azure.com"

var loginMethods = []string{DeviceCodeLogin, InteractiveLogin, ROPCLogin}

// newServer is an entratest server whose user approves every device code.
func newServer(t *testing.T) *entratest.Server {
	srv := entratest.NewServer(&entratest.Options{ApproveDeviceCodesAs: entratest.DefaultUsername})
	t.Cleanup(srv.Close)
	return srv
}

// options are kubelogin's for method, pointed at srv: with the zero Cloud
// the credential uses login.microsoftonline.com, which srv.Client routes to
// srv, so records name the public cloud as they do for kubelogin's users.
func options(srv *entratest.Server, method string) *Options {
	return &Options{
		LoginMethod: method,
		ClientID:    entratest.DefaultClientID,
		TenantID:    entratest.DefaultTenantID,
		Username:    entratest.DefaultUsername,
		Password:    entratest.DefaultPassword,
		ServerID:    serverID,
		httpClient:  srv.Client(),
		openURL:     srv.Browser(entratest.DefaultUsername, entratest.DefaultPassword),
	}
}

// usePersistentCache points newUserPersistentCache at a cache in a
// directory of the test's, where kubelogin passes nil (~/.IdentityService).
func usePersistentCache(t *testing.T) {
	dir := t.TempDir()
	// No keyring of the user's: plaintext files in the test's directory.
	t.Cleanup(tokencache.RefuseKernelKeyring())
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	orig := cacheNewFunc
	t.Cleanup(func() { cacheNewFunc = orig })
	cacheNewFunc = func(*cache.Options) (azinteractive.Cache, error) {
		return cache.New(&cache.Options{Name: "kubeloginshape", Directory: dir, AllowUnencryptedStorage: true})
	}
}

// signIns counts srv's requests that sign a user in: a device code, a
// sign-in page, a password grant.
func signIns(srv *entratest.Server) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Endpoint == entratest.EndpointDeviceCode || r.Endpoint == entratest.EndpointAuthorize || r.GrantType == "password" {
			n++
		}
	}
	return n
}

func tokenRequests(srv *entratest.Server) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Endpoint == entratest.EndpointToken {
			n++
		}
	}
	return n
}

// azidentityRecord is the record azidentity's own DeviceCodeCredential
// writes for srv's user, with cc's authority host.
func azidentityRecord(t *testing.T, srv *entratest.Server, cc cloud.Configuration) azidentity.AuthenticationRecord {
	cred, err := azidentity.NewDeviceCodeCredential(&azidentity.DeviceCodeCredentialOptions{
		ClientOptions: azcore.ClientOptions{Transport: srv.Client(), Cloud: cc},
		ClientID:      entratest.DefaultClientID,
		TenantID:      entratest.DefaultTenantID,
		UserPrompt:    func(context.Context, azidentity.DeviceCodeMessage) error { return nil },
	})
	require.NoError(t, err)
	record, err := cred.Authenticate(t.Context(), &policy.TokenRequestOptions{Scopes: []string{serverID + "/.default"}})
	require.NoError(t, err)
	return record
}

func TestNeedAuthenticate(t *testing.T) {
	srv := newServer(t)
	for _, method := range loginMethods {
		cred, err := NewCredential(azidentity.AuthenticationRecord{}, options(srv, method))
		require.NoError(t, err)
		assert.True(t, cred.NeedAuthenticate(), method)
		assert.True(t, strings.HasSuffix(cred.Name(), "Credential"), method)
	}
}

// TestRecordRoundTrip: the record of each credential's Authenticate goes
// through encoding/json into azidentity's type and back unchanged, and is
// the record azidentity writes for the same sign-in, authority included:
// "https://login.microsoftonline.com" for the public cloud. (kubelogin's
// TestDefaultCachedRecordProvider round-trips a hand-written
// "https://login.microsoftonline.com/", which neither library writes; it
// reads as the same authority, see TestSilentWithStoredRecord.)
func TestRecordRoundTrip(t *testing.T) {
	srv := newServer(t)
	host := strings.TrimPrefix(srv.URL(), "https://")
	for _, tc := range []struct {
		name, authority string
		cloud           cloud.Configuration
	}{
		{"public cloud host", "https://login.microsoftonline.com", cloud.Configuration{}},
		{"emulator host", "https://" + host, srv.Cloud()},
	} {
		want := azidentityRecord(t, srv, tc.cloud)
		require.Equal(t, tc.authority, want.Authority, "azidentity's form")
		for _, method := range loginMethods {
			t.Run(tc.name+"/"+method, func(t *testing.T) {
				o := options(srv, method)
				o.Cloud = tc.cloud
				cred, err := NewCredential(azidentity.AuthenticationRecord{}, o)
				require.NoError(t, err)
				record, err := cred.Authenticate(t.Context(), &policy.TokenRequestOptions{Scopes: []string{serverID + "/.default"}})
				require.NoError(t, err)
				assert.Equal(t, want, record, "azidentity's record of the same sign-in")

				b, err := json.Marshal(record)
				require.NoError(t, err)
				var back azidentity.AuthenticationRecord
				require.NoError(t, json.Unmarshal(b, &back))
				assert.Equal(t, record, back)

				records := &FileRecordProvider{File: filepath.Join(t.TempDir(), "nested", "record.json")}
				require.NoError(t, records.Store(record))
				stored, err := records.Retrieve()
				require.NoError(t, err)
				assert.Equal(t, record, stored)
			})
		}
	}
}

// TestSilentWithStoredRecord is kubelogin's exec plugin run twice, as two
// kubectl calls: the first signs in and stores the record, the second reads
// a record file and gets its token from the persistent cache, with no
// sign-in and no token request. The file is the one the first run wrote, or
// one azidentity's own Authenticate wrote, or kubelogin's test fixture's
// form (its field names' case, the authority with a trailing slash).
func TestSilentWithStoredRecord(t *testing.T) {
	records := map[string]func(t *testing.T, srv *entratest.Server, first []byte) []byte{
		"written by the first run": func(_ *testing.T, _ *entratest.Server, first []byte) []byte { return first },
		"written by azidentity": func(t *testing.T, srv *entratest.Server, _ []byte) []byte {
			b, err := json.Marshal(azidentityRecord(t, srv, cloud.Configuration{}))
			require.NoError(t, err)
			return b
		},
		"kubelogin's fixture form": func(t *testing.T, _ *entratest.Server, first []byte) []byte {
			var r azidentity.AuthenticationRecord
			require.NoError(t, json.Unmarshal(first, &r))
			return fmt.Appendf(nil, `{"tenantID":%q,"clientID":%q,"authority":"https://login.microsoftonline.com/","homeAccountID":%q,"username":%q,"version":"1.0"}`,
				r.TenantID, r.ClientID, r.HomeAccountID, r.Username)
		},
	}
	for _, method := range loginMethods {
		for name, record := range records {
			t.Run(method+"/"+name, func(t *testing.T) {
				srv := newServer(t)
				usePersistentCache(t)
				o := options(srv, method)
				o.UsePersistentCache = true
				file := &FileRecordProvider{File: filepath.Join(t.TempDir(), "kubelogin", "record.json")}

				tk, err := Run(t.Context(), o, file)
				require.NoError(t, err)
				_, err = srv.VerifyAccessToken(tk.Token)
				require.NoError(t, err)
				require.Equal(t, 1, signIns(srv), "the first run signs in once")
				first, err := os.ReadFile(file.File)
				require.NoError(t, err)

				require.NoError(t, os.WriteFile(file.File, record(t, srv, first), 0o600))
				srv.ResetRequests()
				second, err := Run(t.Context(), o, file)
				require.NoError(t, err)
				assert.Equal(t, tk.Token, second.Token, "the first run's token, from the cache")
				assert.Zero(t, signIns(srv), "no prompt")
				assert.Zero(t, tokenRequests(srv), "no token request")
			})
		}
	}
}
