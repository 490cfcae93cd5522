package msalhttp

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// discoveryURL is the request MSAL for Go sends to learn about an authority
// at host/tenant: to the host itself when it trusts the host, else to
// login.microsoftonline.com.
func discoveryURL(to, host, tenant string) string {
	q := url.Values{"api-version": {"1.1"}, "authorization_endpoint": {"https://" + host + "/" + tenant + "/oauth2/v2.0/authorize"}}
	return "https://" + to + "/common/discovery/instance?" + q.Encode()
}

func TestKnownInstanceDiscovery(t *testing.T) {
	public := knownInstanceMetadata["login.microsoftonline.com"]
	for _, tc := range []struct {
		name, method, url string
		want              *instanceMetadata // nil: the request goes out
		wantTenantDisc    string
	}{
		{"public cloud", "GET", discoveryURL("login.microsoftonline.com", "login.microsoftonline.com", "organizations"), &public,
			"https://login.microsoftonline.com/organizations/v2.0/.well-known/openid-configuration"},
		{"public cloud alias, a tenant ID", "GET", discoveryURL("login.windows.net", "login.windows.net", "6e8f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"), &public,
			"https://login.windows.net/6e8f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b/v2.0/.well-known/openid-configuration"},
		{"host in capitals", "GET", discoveryURL("LOGIN.microsoftonline.com", "login.microsoftonline.com", "common"), &public,
			"https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration"},
		{"US government", "GET", discoveryURL("login.microsoftonline.us", "login.microsoftonline.us", "contoso.us"), ptr(knownInstanceMetadata["login.microsoftonline.us"]),
			"https://login.microsoftonline.us/contoso.us/v2.0/.well-known/openid-configuration"},
		{"an authority MSAL validates", "GET", discoveryURL("login.microsoftonline.com", "127.0.0.1:8443", "organizations"), nil, ""},
		{"a custom domain", "GET", discoveryURL("login.microsoftonline.com", "login.contoso.com", "contoso.com"), nil, ""},
		{"unknown host asked directly", "GET", discoveryURL("login.contoso.com", "login.contoso.com", "common"), nil, ""},
		{"POST", "POST", discoveryURL("login.microsoftonline.com", "login.microsoftonline.com", "common"), nil, ""},
		{"http", "GET", strings.Replace(discoveryURL("login.microsoftonline.com", "login.microsoftonline.com", "common"), "https:", "http:", 1), nil, ""},
		{"other API version", "GET", strings.Replace(discoveryURL("login.microsoftonline.com", "login.microsoftonline.com", "common"), "1.1", "2.0", 1), nil, ""},
		{"other path", "GET", "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration", nil, ""},
		{"no authorization endpoint", "GET", "https://login.microsoftonline.com/common/discovery/instance?api-version=1.1", nil, ""},
		{"no tenant", "GET", discoveryURL("login.microsoftonline.com", "login.microsoftonline.com", ""), nil, ""},
		{"not an authorize endpoint", "GET", "https://login.microsoftonline.com/common/discovery/instance?api-version=1.1&authorization_endpoint=" +
			url.QueryEscape("https://login.microsoftonline.com/common/oauth2/v2.0/token"), nil, ""},
		{"authorize endpoint with a query", "GET", "https://login.microsoftonline.com/common/discovery/instance?api-version=1.1&authorization_endpoint=" +
			url.QueryEscape("https://login.microsoftonline.com/common/oauth2/v2.0/authorize?x=1"), nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := http.NewRequest(tc.method, tc.url, nil)
			require.NoError(t, err)
			resp, ok := Client{}.knownInstanceDiscovery(r)
			b, answered := inProcessBody(t, resp, ok)
			if tc.want == nil {
				assert.False(t, answered)
				return
			}
			require.True(t, answered)
			// The fields MSAL for Go reads (authority.InstanceDiscoveryResponse).
			var got struct {
				TenantDiscoveryEndpoint string             `json:"tenant_discovery_endpoint"`
				Metadata                []instanceMetadata `json:"metadata"`
			}
			require.NoError(t, json.Unmarshal(b, &got))
			assert.Equal(t, tc.wantTenantDisc, got.TenantDiscoveryEndpoint)
			assert.Equal(t, []instanceMetadata{*tc.want}, got.Metadata)
		})
	}
}

func ptr[T any](v T) *T { return &v }

// inProcessBody checks what an in-process answerer returned (a request it
// answers: a 200 whose length is its body's; one it doesn't: nothing) and
// returns the body, and whether it answered.
func inProcessBody(t *testing.T, resp *http.Response, ok bool) ([]byte, bool) {
	t.Helper()
	if !ok {
		assert.Nil(t, resp)
		return nil, false
	}
	require.NotNil(t, resp)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.EqualValues(t, len(b), resp.ContentLength)
	return b, true
}

// TestKnownInstanceMetadataIsMSALs keeps knownInstanceMetadata equal to the
// metadata MSAL for Go keeps for Microsoft's clouds, and each of its hosts
// one MSAL trusts: both are internal to MSAL, so this reads MSAL's source,
// the version go.mod requires.
func TestKnownInstanceMetadataIsMSALs(t *testing.T) {
	dir := msalAuthoritySource(t)

	fset := token.NewFileSet()
	known, err := parser.ParseFile(fset, filepath.Join(dir, "known_metadata.go"), nil, 0)
	require.NoError(t, err)
	msal := map[string]instanceMetadata{}
	ast.Inspect(known, func(n ast.Node) bool {
		cc, ok := n.(*ast.CaseClause)
		if !ok || len(cc.List) == 0 {
			return true
		}
		var md instanceMetadata
		ast.Inspect(cc, func(n ast.Node) bool {
			kv, ok := n.(*ast.KeyValueExpr)
			if !ok {
				return true
			}
			switch kv.Key.(*ast.Ident).Name {
			case "PreferredNetwork":
				md.PreferredNetwork = stringLit(t, kv.Value)
			case "PreferredCache":
				md.PreferredCache = stringLit(t, kv.Value)
			case "Aliases":
				for _, e := range kv.Value.(*ast.CompositeLit).Elts {
					md.Aliases = append(md.Aliases, stringLit(t, e))
				}
			}
			return false
		})
		for _, h := range cc.List {
			msal[stringLit(t, h)] = md
		}
		return false
	})
	require.NotEmpty(t, msal, "the known metadata parsed from MSAL's known_metadata.go")
	assert.Equal(t, msal, knownInstanceMetadata)

	trusted := msalTrustedHosts(t, dir)
	for host := range knownInstanceMetadata {
		assert.True(t, trusted[host], "MSAL trusts %s, so the answer made for it validates nothing MSAL would", host)
	}
}

// msalAuthoritySource returns the directory of MSAL for Go's authority
// package, the version go.mod requires, or skips where there is no go
// command.
func msalAuthoritySource(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil && runtime.GOOS == "windows" {
		// Under .ci/wine/run: a Windows test binary, no Windows go command.
		t.Skip("needs the go command to find MSAL's source, which is the same on every platform; the Linux run checks it")
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/AzureAD/microsoft-authentication-library-for-go").Output()
	require.NoError(t, err, "go list finds MSAL for Go's module directory")
	return filepath.Join(strings.TrimSpace(string(out)), "apps", "internal", "oauth", "ops", "authority")
}

// msalTrustedHosts parses MSAL for Go's aadTrustedHostList, the hosts it
// trusts without instance discovery.
func msalTrustedHosts(t *testing.T, dir string) map[string]bool {
	t.Helper()
	auth, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, "authority.go"), nil, 0)
	require.NoError(t, err)
	trusted := map[string]bool{}
	ast.Inspect(auth, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || vs.Names[0].Name != "aadTrustedHostList" {
			return true
		}
		for _, e := range vs.Values[0].(*ast.CompositeLit).Elts {
			trusted[stringLit(t, e.(*ast.KeyValueExpr).Key)] = true
		}
		return false
	})
	require.NotEmpty(t, trusted, "aadTrustedHostList parsed from MSAL's authority.go")
	return trusted
}

func stringLit(t *testing.T, e ast.Expr) string {
	t.Helper()
	lit, ok := e.(*ast.BasicLit)
	require.True(t, ok, "a string literal")
	s, err := strconv.Unquote(lit.Value)
	require.NoError(t, err)
	return s
}
