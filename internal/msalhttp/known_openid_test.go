package msalhttp

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func openIDConfigURL(host, tenant string) string {
	return "https://" + host + "/" + tenant + "/v2.0/.well-known/openid-configuration"
}

func TestKnownOpenIDConfiguration(t *testing.T) {
	const signedIn = "6e8f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
	// known stands for a credential whose user signed in to signedIn on the
	// public cloud.
	known := func(host, tenant string) bool {
		return strings.EqualFold(tenant, signedIn) && SameCloud("login.windows.net", host)
	}
	type want struct{ authorize, token, issuer string }
	public := func(tenant string) *want {
		return &want{
			"https://login.microsoftonline.com/" + tenant + "/oauth2/v2.0/authorize",
			"https://login.microsoftonline.com/" + tenant + "/oauth2/v2.0/token",
			"https://login.microsoftonline.com/{tenantid}/v2.0",
		}
	}
	for _, tc := range []struct {
		name, method, url string
		want              *want // nil: the request goes out
	}{
		{"organizations", "GET", openIDConfigURL("login.microsoftonline.com", "organizations"), public("organizations")},
		{"common", "GET", openIDConfigURL("login.microsoftonline.com", "common"), public("common")},
		{"consumers", "GET", openIDConfigURL("login.microsoftonline.com", "consumers"), public("consumers")},
		{"the signed-in tenant", "GET", openIDConfigURL("login.microsoftonline.com", signedIn), public(signedIn)},
		{"the signed-in tenant, host in capitals", "GET", openIDConfigURL("LOGIN.MicrosoftOnline.com", signedIn), public(signedIn)},
		{"China, whose issuer is another host", "GET", openIDConfigURL("login.chinacloudapi.cn", "organizations"), &want{
			"https://login.chinacloudapi.cn/organizations/oauth2/v2.0/authorize",
			"https://login.chinacloudapi.cn/organizations/oauth2/v2.0/token",
			"https://login.partner.microsoftonline.cn/{tenantid}/v2.0",
		}},
		{"US government", "GET", openIDConfigURL("login.microsoftonline.us", "common"), &want{
			"https://login.microsoftonline.us/common/oauth2/v2.0/authorize",
			"https://login.microsoftonline.us/common/oauth2/v2.0/token",
			"https://login.microsoftonline.us/{tenantid}/v2.0",
		}},
		// A tenant nobody signed in to may not exist: Entra ID says so.
		{"another tenant ID", "GET", openIDConfigURL("login.microsoftonline.com", "0b0b0b0b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"), nil},
		{"the signed-in tenant on another cloud", "GET", openIDConfigURL("login.microsoftonline.us", signedIn), nil},
		{"consumers outside the public cloud", "GET", openIDConfigURL("login.microsoftonline.us", "consumers"), nil},
		// The domainTenant lookup needs the tenant ID Entra ID's issuer has.
		{"a domain", "GET", openIDConfigURL("login.microsoftonline.com", "contoso.com"), nil},
		// Hosts whose configuration MSAL for JavaScript doesn't know.
		{"an alias host", "GET", openIDConfigURL("login.windows.net", "organizations"), nil},
		{"Azure Stack or a custom host", "GET", openIDConfigURL("login.contoso.com", "organizations"), nil},
		{"the emulator", "GET", openIDConfigURL("127.0.0.1:8443", "organizations"), nil},
		{"ADFS", "GET", "https://login.microsoftonline.com/adfs/.well-known/openid-configuration", nil},
		{"B2C policy path", "GET", "https://login.microsoftonline.com/tfp/contoso.onmicrosoft.com/b2c_1_signin/v2.0/.well-known/openid-configuration", nil},
		{"v1 configuration", "GET", "https://login.microsoftonline.com/organizations/.well-known/openid-configuration", nil},
		{"with a query", "GET", openIDConfigURL("login.microsoftonline.com", "organizations") + "?appid=x", nil},
		{"POST", "POST", openIDConfigURL("login.microsoftonline.com", "organizations"), nil},
		{"http", "GET", strings.Replace(openIDConfigURL("login.microsoftonline.com", "organizations"), "https:", "http:", 1), nil},
		{"no tenant", "GET", "https://login.microsoftonline.com//v2.0/.well-known/openid-configuration", nil},
		{"the token endpoint", "GET", "https://login.microsoftonline.com/organizations/oauth2/v2.0/token", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := http.NewRequest(tc.method, tc.url, nil)
			require.NoError(t, err)
			resp, ok := Client{}.knownOpenIDConfiguration(r, known)
			b, answered := inProcessBody(t, resp, ok)
			if tc.want == nil {
				assert.False(t, answered)
				return
			}
			require.True(t, answered)
			// The fields MSAL for Go reads (authority.TenantDiscoveryResponse).
			var got struct {
				AuthorizationEndpoint string `json:"authorization_endpoint"`
				TokenEndpoint         string `json:"token_endpoint"`
				Issuer                string `json:"issuer"`
			}
			require.NoError(t, json.Unmarshal(b, &got))
			assert.Equal(t, *tc.want, want{got.AuthorizationEndpoint, got.TokenEndpoint, got.Issuer})
		})
	}
}

// Without a way to know tenants (domainTenant's client), only the names
// every cloud has are answered.
func TestKnownOpenIDConfigurationWithoutSignedInTenants(t *testing.T) {
	r, err := http.NewRequest(http.MethodGet, openIDConfigURL("login.microsoftonline.com", "6e8f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"), nil)
	require.NoError(t, err)
	_, ok := Client{}.knownOpenIDConfiguration(r, nil)
	assert.False(t, ok)
}

// Every host whose configuration is answered is one MSAL for Go trusts, so
// it asks that host itself for the configuration and validates the issuer's
// host by the same list.
func TestKnownEndpointHostsAreTrustedByMSAL(t *testing.T) {
	trusted := msalTrustedHosts(t, msalAuthoritySource(t))
	for host, issuer := range knownEndpointHosts {
		assert.True(t, trusted[host], host)
		assert.True(t, trusted[issuer], "the issuer's host %s", issuer)
		_, ok := knownInstanceMetadata[host]
		assert.True(t, ok, "%s is in the instance metadata, so sameCloud knows it", host)
	}
}
