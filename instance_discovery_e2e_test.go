package azinteractive_test

import (
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/cache"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A credential that starts over a cache another credential filled (a new
// process, say) gets its token from the cache without a request when its
// authority is on Microsoft's own clouds: their instance metadata is known.
// Any other authority host is still validated by instance discovery first.
func TestCachedTokenNeedsNoInstanceDiscovery(t *testing.T) {
	for _, tc := range []struct {
		name string
		// signIn and later are the options of the credential that signs in
		// and of the one that starts later over the same cache.
		signIn, later func(*entratest.Server) azcore.ClientOptions
		// want is what the later credential sends before its token.
		want []entratest.Endpoint
	}{
		{name: "public cloud", signIn: publicCloudOptions, later: publicCloudOptions},
		{name: "public cloud, another alias of its host", signIn: publicCloudOptions, later: func(srv *entratest.Server) azcore.ClientOptions {
			return azcore.ClientOptions{Transport: srv.Client(), Cloud: cloud.Configuration{
				ActiveDirectoryAuthorityHost: "https://login.windows.net/", Services: cloud.AzurePublic.Services}}
		}},
		{name: "another authority host", signIn: clientOptions, later: clientOptions, want: []entratest.Endpoint{entratest.EndpointDiscovery}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := entratest.NewServer(nil)
			defer srv.Close()
			c, err := cache.New(&cache.Options{Directory: t.TempDir(), AllowUnencryptedStorage: true})
			require.NoError(t, err)
			a := &approver{srv: srv}
			first, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
				ClientOptions: tc.signIn(srv), UserPrompt: a.prompt, Cache: c, TenantID: entratest.DefaultTenantID,
			})
			require.NoError(t, err)
			rec, err := first.Authenticate(t.Context(), &policy.TokenRequestOptions{Scopes: armScope})
			require.NoError(t, err)
			want, err := first.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
			require.NoError(t, err)

			srv.ResetRequests()
			lines := captureLog(t, azinteractive.EventAuthentication)
			opts := tc.later(srv)
			sends := &countingTransport{base: opts.Transport}
			opts.Transport = sends
			later, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
				ClientOptions: opts, Cache: c, AuthenticationRecord: rec, DisableAutomaticAuthentication: true,
			})
			require.NoError(t, err)
			got, err := later.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
			require.NoError(t, err)
			assert.Equal(t, want.Token, got.Token, "the token the first credential cached")
			var sent []entratest.Endpoint
			for _, r := range srv.Requests() {
				sent = append(sent, r.Endpoint)
			}
			assert.Equal(t, tc.want, sent)
			assert.EqualValues(t, len(tc.want), sends.n.Load(), "what the credential sent, reached the server or not")
			answered := strings.Contains(strings.Join(lines(), "\n"), "answered in process from the metadata MSAL for Go keeps for Microsoft's clouds; no request sent")
			assert.Equal(t, len(tc.want) == 0, answered, "the log says when discovery was answered in process")

			if len(tc.want) == 0 {
				// Without a network, too, at once.
				opts.Transport = &countingTransport{base: unreachable{}}
				offline, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
					ClientOptions: opts, Cache: c, AuthenticationRecord: rec, DisableAutomaticAuthentication: true,
				})
				require.NoError(t, err)
				got, err := offline.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
				require.NoError(t, err, "offline")
				assert.Equal(t, want.Token, got.Token)
				assert.Zero(t, opts.Transport.(*countingTransport).n.Load())
			}
			assert.EqualValues(t, 1, a.prompts.Load())
		})
	}
}

// countingTransport counts what a credential sends.
type countingTransport struct {
	base policy.Transporter
	n    atomic.Int32
}

func (c *countingTransport) Do(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.base.Do(r)
}

// unreachable is the transport of a machine without a network.
type unreachable struct{}

func (unreachable) Do(*http.Request) (*http.Response, error) {
	return nil, errors.New("dial tcp: connect: network is unreachable")
}
