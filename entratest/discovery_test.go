package entratest_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/azinteractive/azinteractive/entratest"
)

// TestOpenIDConfiguration checks that URLs follow the host the client used.
func TestOpenIDConfiguration(t *testing.T) {
	s := newServer(t, nil)
	loopback := hostOf(t, s.URL())
	tests := []struct {
		name, base, tenant, wantIssuer, wantTenantPath string
	}{
		{"organizations", s.URL(), "organizations", "https://" + loopback + "/{tenantid}/v2.0", "organizations"},
		{"tenant ID", s.URL(), entratest.DefaultTenantID, "https://" + loopback + "/" + entratest.DefaultTenantID + "/v2.0", entratest.DefaultTenantID},
		{"tenant domain", s.URL(), "Contoso.com", "https://" + loopback + "/" + entratest.DefaultTenantID + "/v2.0", entratest.DefaultTenantID},
		{"consumers", s.URL(), "consumers", "https://" + loopback + "/" + consumersTenantID + "/v2.0", consumersTenantID},
		{"public cloud host", "https://login.microsoftonline.com", "common", "https://login.microsoftonline.com/{tenantid}/v2.0", "common"},
		{"login.windows.net", "https://login.windows.net", entratest.DefaultTenantID, "https://login.windows.net/" + entratest.DefaultTenantID + "/v2.0", entratest.DefaultTenantID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := getJSON(t, s, tt.base+"/"+tt.tenant+"/v2.0/.well-known/openid-configuration")
			require.Equal(t, 200, status, "%v", body)
			assert.Equal(t, tt.wantIssuer, body["issuer"])
			prefix := tt.base + "/" + tt.wantTenantPath
			assert.Equal(t, prefix+"/oauth2/v2.0/token", body["token_endpoint"])
			assert.Equal(t, prefix+"/oauth2/v2.0/authorize", body["authorization_endpoint"])
			assert.Equal(t, prefix+"/oauth2/v2.0/devicecode", body["device_authorization_endpoint"])
			assert.Equal(t, prefix+"/discovery/v2.0/keys", body["jwks_uri"])
		})
	}
	status, body := getJSON(t, s, s.URL()+"/nosuchtenant/v2.0/.well-known/openid-configuration")
	requireEntraError(t, status, body, 400, "invalid_tenant", 90002)
}

func TestInstanceDiscovery(t *testing.T) {
	s := newServer(t, nil)
	loopback := hostOf(t, s.URL())
	tests := []struct {
		name, endpoint   string
		wantStatus       int
		wantTenantConfig string
		wantAliases      []any
	}{
		{"emulator host", "https://" + loopback + "/organizations/oauth2/v2.0/authorize", 200,
			"https://" + loopback + "/organizations/v2.0/.well-known/openid-configuration", []any{loopback}},
		{"public cloud", "https://login.microsoftonline.com/common/oauth2/v2.0/authorize", 200,
			"https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration",
			[]any{"login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net"}},
		{"foreign host", "https://login.example.com/common/oauth2/v2.0/authorize", 400, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := url.Values{"api-version": {"1.1"}, "authorization_endpoint": {tt.endpoint}}
			status, body := getJSON(t, s, "https://login.microsoftonline.com/common/discovery/instance?"+q.Encode())
			if tt.wantStatus != 200 {
				requireEntraError(t, status, body, tt.wantStatus, "invalid_instance", 50049)
				return
			}
			require.Equal(t, 200, status)
			assert.Equal(t, tt.wantTenantConfig, body["tenant_discovery_endpoint"])
			md := body["metadata"].([]any)[0].(map[string]any)
			assert.Equal(t, tt.wantAliases, md["aliases"])
		})
	}
}

func TestUserRealm(t *testing.T) {
	s := newServer(t, nil)
	s.AddUser(entratest.User{Username: "fed@contoso.com", Password: "p", Federated: true})
	s.AddUser(entratest.User{Username: "carol@outlook.com", Password: "p", PersonalAccount: true})
	tests := []struct{ username, want string }{
		{entratest.DefaultUsername, "Managed"},
		{"nobody@contoso.com", "Managed"},
		{"fed@contoso.com", "Federated"},
		{"carol@outlook.com", "Unknown"},
		{"someone@unknown.example", "Unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.username, func(t *testing.T) {
			status, body := getJSON(t, s, s.URL()+"/common/UserRealm/"+tt.username+"?api-version=1.0")
			require.Equal(t, 200, status)
			assert.Equal(t, tt.want, body["account_type"])
			assert.Equal(t, "microsoftonline.com", body["cloud_instance_name"])
			assert.Equal(t, "urn:federation:MicrosoftOnline", body["cloud_audience_urn"])
			if tt.want == "Federated" {
				resp, err := s.Client().Get(body["federation_metadata_url"].(string))
				require.NoError(t, err)
				resp.Body.Close()
				assert.Equal(t, 404, resp.StatusCode)
			}
		})
	}
}

func TestClientRouting(t *testing.T) {
	s := newServer(t, nil)
	refused := []string{
		"https://example.com/",
		"https://graph.microsoft.com/v1.0/me",
		"http://login.microsoftonline.com/common/discovery/instance",
		"https://login.microsoftonline.com:8443/common/discovery/instance",
	}
	for _, u := range refused {
		t.Run(u, func(t *testing.T) {
			_, err := s.Client().Get(u)
			require.ErrorContains(t, err, "entratest: refusing")
			require.ErrorContains(t, err, hostOf(t, u))
		})
	}
	for _, host := range []string{"login.microsoftonline.com", "login.microsoft.com", "login.windows.net", hostOf(t, s.URL())} {
		t.Run(host, func(t *testing.T) {
			resp, err := s.Client().Get("https://" + host + "/common/v2.0/.well-known/openid-configuration")
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, 200, resp.StatusCode)
		})
	}
}

func TestUnknownPathAndMethod(t *testing.T) {
	s := newServer(t, nil)
	resp, err := s.Client().Get(s.URL() + "/organizations/oauth2/v2.0/tokens")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 404, resp.StatusCode)
	assert.Contains(t, string(body), "entratest: no endpoint for GET /organizations/oauth2/v2.0/tokens")
	assert.Contains(t, string(body), "POST /{tenant}/oauth2/v2.0/token")

	resp, err = s.Client().Get(s.URL() + "/organizations/oauth2/v2.0/token")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	assert.Equal(t, "POST", resp.Header.Get("Allow"))
}

// TestMountedHandler serves the emulator from another server: URLs follow that host.
func TestMountedHandler(t *testing.T) {
	s := newServer(t, nil)
	other := newTLSServer(t, s)
	resp, err := other.Client().Get(other.URL + "/common/v2.0/.well-known/openid-configuration")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(body), `"token_endpoint":"`+other.URL+`/common/oauth2/v2.0/token"`)
	assert.True(t, strings.HasPrefix(other.URL, "https://127.0.0.1:"))
}

func TestCloud(t *testing.T) {
	s := newServer(t, nil)
	c := s.Cloud()
	assert.Equal(t, s.URL()+"/", c.ActiveDirectoryAuthorityHost)
	assert.Len(t, c.Services, 1)
}
