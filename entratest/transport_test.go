package entratest_test

import (
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/azinteractive/azinteractive/entratest"
)

// TestTransportSynctest runs the device code flow in memory on synctest's fake clock: the
// user approves after 20 seconds, which takes no real time.
func TestTransportSynctest(t *testing.T) {
	s := newServer(t, nil)
	for _, authorityURL := range []string{s.URL() + "/organizations", "https://login.microsoftonline.com/organizations"} {
		t.Run(authorityURL, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c, err := public.New(entratest.DefaultClientID, public.WithAuthority(authorityURL),
					public.WithHTTPClient(&http.Client{Transport: s.Transport()}))
				require.NoError(t, err)
				start := time.Now()
				dc, err := c.AcquireTokenByDeviceCode(t.Context(), []string{armScope})
				require.NoError(t, err)
				go func() {
					time.Sleep(20 * time.Second)
					assert.NoError(t, s.ApproveDeviceCode(dc.Result.UserCode, entratest.DefaultUsername))
				}()
				res, err := dc.AuthenticationResult(t.Context())
				require.NoError(t, err)
				assert.GreaterOrEqual(t, time.Since(start), 20*time.Second)
				claims, err := s.VerifyAccessToken(res.AccessToken)
				require.NoError(t, err)
				assert.Equal(t, "https://management.azure.com", claims["aud"])
			})
		})
	}
}

func TestTransportFaultsAndRefusal(t *testing.T) {
	s := newServer(t, nil)
	client := &http.Client{Transport: s.Transport()}
	_, err := client.Get("https://example.com/")
	require.ErrorContains(t, err, `example.com`)

	s.InjectFault(entratest.EndpointOpenIDConfig, 1, entratest.Fault{DropConnection: true})
	_, err = client.Get(s.URL() + "/common/v2.0/.well-known/openid-configuration")
	require.ErrorContains(t, err, "EOF")

	s.InjectFault(entratest.EndpointOpenIDConfig, 1, entratest.Fault{Status: 429, RetryAfter: time.Second})
	resp, err := client.Get(s.URL() + "/common/v2.0/.well-known/openid-configuration")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 429, resp.StatusCode)
	assert.Equal(t, "1", resp.Header.Get("Retry-After"))
}
