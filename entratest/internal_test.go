package entratest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseScope(t *testing.T) {
	tests := []struct {
		scope        string
		wantResource string
		wantSCP      string
		wantGranted  string
		wantCode     int // AADSTS code of the error, 0 for success
	}{
		{"https://management.azure.com/.default openid offline_access profile", "https://management.azure.com", "user_impersonation", "https://management.azure.com/.default", 0},
		{"https://management.azure.com//.default", "https://management.azure.com/", "user_impersonation", "https://management.azure.com//.default", 0},
		{"api://my-app/read api://my-app/write", "api://my-app", "read write", "api://my-app/read api://my-app/write", 0},
		{"11111111-2222-4333-8444-555555555555/.default", "11111111-2222-4333-8444-555555555555", "user_impersonation", "11111111-2222-4333-8444-555555555555/.default", 0},
		{"User.Read Mail.Read", graphResource, "User.Read Mail.Read", "User.Read Mail.Read", 0},
		{"openid profile offline_access", graphResource, "openid profile", "openid profile offline_access", 0},
		{"https://management.azure.com/.default https://vault.azure.net/.default", "", "", "", 28000},
		{"api://x/.default api://x/read", "", "", "", 70011},
		{"https://storage.azure.com", "", "", "", 70011},
		{"api://x/", "", "", "", 70011},
		{"", "", "", "", 900144},
	}
	for _, tt := range tests {
		t.Run(tt.scope, func(t *testing.T) {
			sr, eerr := parseScope(tt.scope)
			if tt.wantCode != 0 {
				require.NotNil(t, eerr)
				assert.Equal(t, tt.wantCode, eerr.aadsts)
				return
			}
			require.Nil(t, eerr)
			assert.Equal(t, tt.wantResource, sr.resource)
			assert.Equal(t, tt.wantSCP, sr.scp())
			assert.Equal(t, tt.wantGranted, sr.granted())
		})
	}
}

func TestRedirectURIRegistered(t *testing.T) {
	app := App{RedirectURIs: []string{"http://localhost", "http://127.0.0.1/cb", "https://app.example.com/auth", "msal1234://auth"}}
	tests := []struct {
		uri  string
		want bool
	}{
		{"http://localhost", true},
		{"http://localhost:54321", true},
		{"http://localhost:54321/", true},
		{"http://localhost:54321/other", false},
		{"https://localhost:54321", false},
		{"http://127.0.0.1:8080/cb", true},
		{"http://127.0.0.1:8080", false},
		{"http://[::1]:8080/cb", false},
		{"https://app.example.com/auth", true},
		{"https://app.example.com:444/auth", false},
		{"https://app.example.com/auth/", false},
		{"msal1234://auth", true},
		{"http://localhost#frag", false},
		{"not a uri", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, app.redirectURIRegistered(tt.uri), tt.uri)
	}
}

func TestPKCEMatches(t *testing.T) {
	// The challenge was computed independently:
	// printf %s "$verifier" | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d =
	const verifier, challenge = "dBjftJeZ4CVP-mJ92K0gfF38E2lp1kI1tvZ3aR0Fz6A", "bUifheWtKDBflS-H0VsYg4IZrDGzQ8HXZtBA_MC3g_E"
	assert.True(t, pkceMatches(verifier, challenge))
	assert.False(t, pkceMatches(verifier+"x", challenge))
	assert.False(t, pkceMatches("short", challenge))
	assert.False(t, pkceMatches(verifier, challenge+"="))
}

func TestParseClaims(t *testing.T) {
	tests := []struct {
		raw     string
		want    claimsRequest
		wantErr bool
	}{
		{"", claimsRequest{}, false},
		{`{"access_token":{"xms_cc":{"values":["CP1"]}}}`, claimsRequest{cp1: true}, false},
		{`{"access_token":{"nbf":{"essential":true,"value":"1700000000"},"xms_cc":{"values":["cp1"]}}}`, claimsRequest{cp1: true, nbf: 1700000000}, false},
		{`{"access_token":{"nbf":{"essential":true,"value":1700000000}}}`, claimsRequest{nbf: 1700000000}, false},
		{`{"id_token":{"auth_time":{"essential":true}}}`, claimsRequest{}, false},
		{`{"access_token":{"nbf":{"value":"soon"}}}`, claimsRequest{}, true},
		{`not json`, claimsRequest{}, true},
	}
	for _, tt := range tests {
		got, eerr := parseClaims(tt.raw)
		if tt.wantErr {
			assert.NotNil(t, eerr, tt.raw)
			continue
		}
		assert.Nil(t, eerr, tt.raw)
		assert.Equal(t, tt.want, got, tt.raw)
	}
}
