package azinteractive

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hostileTenants are tenant IDs built to move a request somewhere else:
// path traversal, separators raw and encoded, unicode look-alikes, user
// info, queries, fragments, URLs, control characters. They seed
// FuzzTenantID too.
var hostileTenants = []string{
	"..", ".", "../evil", "a/b", "a%2Fb", "%2e%2e", `a\b`,
	"contоso.com",           // Cyrillic о
	"ｃontoso.com",           // fullwidth c
	"contoso.com\u2215evil", // division slash
	"contoso.com\u3002evil", // ideographic full stop, which IDNA maps to '.'
	"evil.example@contoso.com", "x?y=1", "x#frag", "http://evil.example", "https://evil.example/",
	"tenant\x00", " tenant", "tenant\n", "a:b", "[::1]", strings.Repeat("a", 300),
}

// FuzzTenantID: a tenant ID that validation accepts is one plain path
// segment, so that the authority URL built from it keeps its host and path.
func FuzzTenantID(f *testing.F) {
	for _, s := range append([]string{"organizations", "common", "consumers", "adfs", "contoso.com", "72f988bf-86f1-41af-91ab-2d7cd011db47", "a.b-c"}, hostileTenants...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tenant string) {
		got, err := resolveTenant("Cred", organizationsTenantID, tenant, []string{"*"})
		if !validTenantID(tenant) {
			if tenant != "" && tenant != organizationsTenantID {
				require.Error(t, err, "resolveTenant accepted an invalid tenant")
				require.ErrorContains(t, err, "Cred")
			}
			return
		}
		require.NoError(t, err)
		require.Equal(t, tenant, got)
		require.LessOrEqual(t, len(tenant), 256)
		require.NotContains(t, []string{".", ".."}, tenant, "a dot segment would change the authority's path")
		for _, r := range tenant {
			require.True(t, 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '.' || r == '-', "%q", r)
		}
		const host = "https://login.microsoftonline.com/"
		u, err := url.Parse(host + tenant + "/oauth2/v2.0/token")
		require.NoError(t, err)
		require.Equal(t, "login.microsoftonline.com", u.Host)
		require.Equal(t, "/"+tenant+"/oauth2/v2.0/token", u.Path)
		require.Equal(t, u.Path, u.ResolveReference(&url.URL{}).Path, "the path has no dot segments to resolve")
	})
}

// FuzzScopes: scopes that validation accepts reach the service as the same
// scopes, however it splits the space-separated list.
func FuzzScopes(f *testing.F) {
	for _, s := range [][2]string{
		{"https://management.azure.com/.default", ""},
		{"https://management.core.windows.net//.default", "offline_access"},
		{"User.Read", "api://11111111-1111-1111-1111-111111111111/access_as_user"},
		{"a b", ""}, {"a\tb", ""}, {"a\u00a0b", ""}, {"a\u0085b", ""}, {"a\u2028b", ""}, {"a\u3000b", ""},
		{"a\nb", ""}, {`a"b`, ""}, {`a\b`, ""}, {"", "b"}, {"\xff", ""},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		scopes := []string{a}
		if b != "" {
			scopes = append(scopes, b)
		}
		err := validateScopes("Cred", scopes)
		if err != nil {
			require.True(t, strings.HasPrefix(err.Error(), "Cred: "), err.Error())
			return
		}
		joined := strings.Join(scopes, " ")
		require.Equal(t, scopes, strings.Split(joined, " "), "split on spaces, as OAuth says")
		require.Equal(t, scopes, strings.Fields(joined), "split on any Unicode space, as a lenient server might")
		form, err := url.ParseQuery(url.Values{"scope": {joined}}.Encode())
		require.NoError(t, err)
		require.Equal(t, joined, form.Get("scope"))
		for _, s := range scopes {
			require.True(t, utf8.ValidString(s))
		}
	})
}

// FuzzAuthorityHost: an authority host that validation accepts is an https
// URL whose host is plain ASCII and whose path can't climb, so that every
// URL built on it stays on that host.
func FuzzAuthorityHost(f *testing.F) {
	for _, s := range []string{
		"https://login.microsoftonline.com/", "https://login.microsoftonline.us", "https://127.0.0.1:8443",
		"https://[::1]:8443/", "https://adfs.contoso.com/adfs/", "https://contoso.b2clogin.com/tfp/",
		"http://login.microsoftonline.com/", "https://user:pw@login.microsoftonline.com/", "https://login.microsoftonline.com/?x=1",
		"https://login.microsoftonline.com/#frag", "https://login.microsoftonline.com/%2e%2e/", "https://login.microsoftonline.com/../evil",
		"https://login.microsoftonline.com/a/./b/", "https://login.microsoftonline.com/ a/", "https://lоgin.microsoftonline.com/",
		"https://evil.example\\@login.microsoftonline.com/", "https://login.microsoftonline.com%2F@evil.example/",
		"//login.microsoftonline.com/", "login.microsoftonline.com", "file:///etc/passwd", "https://login.microsoftonline.com/\tx/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		out, err := validateAuthorityHost("Cred", host)
		if err != nil {
			require.ErrorContains(t, err, "ActiveDirectoryAuthorityHost")
			return
		}
		u, err := url.Parse(out)
		require.NoError(t, err)
		require.Equal(t, "https", u.Scheme)
		require.Nil(t, u.User)
		require.Empty(t, u.RawQuery)
		require.Empty(t, u.Fragment)
		require.NotEmpty(t, u.Host)
		require.True(t, strings.HasSuffix(out, "/"))
		for i := 0; i < len(u.Host); i++ {
			c := u.Host[i]
			require.True(t, 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(".-:[]", c) >= 0, "host %q", u.Host)
		}
		for _, r := range u.Path {
			require.True(t, 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("-._~/", r), "path %q", u.Path)
		}
		for _, seg := range strings.Split(strings.Trim(u.Path, "/"), "/") {
			require.NotContains(t, []string{".", ".."}, seg, "path %q", u.Path)
		}
		again, err := validateAuthorityHost("Cred", out)
		require.NoError(t, err)
		require.Equal(t, out, again, "validation is idempotent")
		token, err := url.Parse(out + "organizations/oauth2/v2.0/token")
		require.NoError(t, err)
		require.Equal(t, u.Host, token.Host)
		require.True(t, strings.HasPrefix(token.ResolveReference(&url.URL{}).Path, u.Path))
	})
}

// countingTransport counts the requests a credential tried to send.
type countingTransport struct {
	next policy.Transporter
	n    atomic.Int32
}

func (c *countingTransport) Do(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.Do(r)
}

// TestHostileInputRejectedBeforeNetwork builds every credential with, and
// asks every credential for tokens of, tenants, authority hosts and redirect
// URLs built to escape, against an emulator: each is refused with an error
// that names what is wrong, before any request leaves the credential or a
// browser or prompt shows.
func TestHostileInputRejectedBeforeNetwork(t *testing.T) {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	hostport := strings.TrimPrefix(srv.URL(), "https://")
	scopes := []string{"https://management.azure.com/.default"}

	type credentials struct {
		opts      func(tenant string, cc cloud.Configuration) (azcore.TokenCredential, error)
		transport *countingTransport
		ui        *atomic.Int32 // browsers opened and prompts shown
	}
	newCredentials := func() map[string]credentials {
		out := map[string]credentials{}
		for _, name := range []string{credNameBrowser, credNameDeviceCode, credNameUsernamePassword} {
			tr := &countingTransport{next: srv.Client()}
			ui := &atomic.Int32{}
			co := func(cc cloud.Configuration) azcore.ClientOptions {
				return azcore.ClientOptions{Transport: tr, Cloud: cc}
			}
			var mk func(tenant string, cc cloud.Configuration) (azcore.TokenCredential, error)
			switch name {
			case credNameBrowser:
				mk = func(tenant string, cc cloud.Configuration) (azcore.TokenCredential, error) {
					return NewInteractiveBrowserCredential(&InteractiveBrowserCredentialOptions{
						ClientOptions: co(cc), TenantID: tenant, AdditionallyAllowedTenants: []string{"*"},
						OpenURL: func(context.Context, string) error { ui.Add(1); return nil },
					})
				}
			case credNameDeviceCode:
				mk = func(tenant string, cc cloud.Configuration) (azcore.TokenCredential, error) {
					return NewDeviceCodeCredential(&DeviceCodeCredentialOptions{
						ClientOptions: co(cc), TenantID: tenant, AdditionallyAllowedTenants: []string{"*"},
						UserPrompt: func(context.Context, DeviceCodeMessage) error { ui.Add(1); return nil },
					})
				}
			default:
				mk = func(tenant string, cc cloud.Configuration) (azcore.TokenCredential, error) {
					if tenant == "" {
						tenant = entratest.DefaultTenantID
					}
					return NewUsernamePasswordCredential(tenant, entratest.DefaultClientID, entratest.DefaultUsername, entratest.DefaultPassword,
						&UsernamePasswordCredentialOptions{ClientOptions: co(cc), AdditionallyAllowedTenants: []string{"*"}})
				}
			}
			out[name] = credentials{opts: mk, transport: tr, ui: ui}
		}
		return out
	}
	noNetwork := func(t *testing.T, c credentials) {
		t.Helper()
		assert.Zero(t, c.transport.n.Load(), "a request left the credential")
		assert.Zero(t, c.ui.Load(), "a browser opened or a prompt showed")
	}

	for _, tenant := range hostileTenants {
		t.Run("tenant "+tenant, func(t *testing.T) {
			for name, c := range newCredentials() {
				_, err := c.opts(tenant, srv.Cloud())
				require.Error(t, err, "%s accepted TenantID %q", name, tenant)
				assert.ErrorContains(t, err, name)
				assert.ErrorContains(t, err, "tenant ID")

				cred, err := c.opts("", srv.Cloud())
				require.NoError(t, err)
				_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: scopes, TenantID: tenant})
				require.Error(t, err, "%s accepted a request for tenant %q", name, tenant)
				assert.ErrorContains(t, err, name)
				assert.ErrorContains(t, err, "tenant ID")
				noNetwork(t, c)
			}
		})
	}

	for _, host := range []string{
		"http://" + hostport + "/",
		"https://user:pw@" + hostport + "/",
		"https://" + hostport + "/?x=1",
		"https://" + hostport + "/#frag",
		"https://" + hostport + "/%2e%2e/",
		"https://" + hostport + "/../evil/",
		"https://" + hostport + "/a/../",
		"https://" + hostport + "/./",
		"https://" + hostport + "/a b/",
		"https://" + hostport + "/\tx/",
		"https://" + hostport + "%2F@evil.example/",
		"https://evil.example\\@" + hostport + "/",
		"https://" + hostport + ":443/",
		"https://lоgin.microsoftonline.com/",
		"https://login.microsoftonline.com\u3002evil.example/",
		"//" + hostport + "/",
		hostport,
		"file:///etc/passwd",
	} {
		t.Run("authority host "+host, func(t *testing.T) {
			for name, c := range newCredentials() {
				_, err := c.opts("", cloud.Configuration{ActiveDirectoryAuthorityHost: host})
				require.Error(t, err, "%s accepted authority host %q", name, host)
				assert.ErrorContains(t, err, name)
				assert.ErrorContains(t, err, "ActiveDirectoryAuthorityHost")
				noNetwork(t, c)
			}
		})
	}

	for _, redirect := range []string{
		"http://evil.example:8400", "http://0.0.0.0:8400", "http://[::]:8400", "http://192.168.1.10:8400",
		"https://localhost:8400", "http://user@localhost:8400", "http://localhost:8400/?x=1", "http://localhost.:8400",
	} {
		t.Run("redirect URL "+redirect, func(t *testing.T) {
			_, err := NewInteractiveBrowserCredential(&InteractiveBrowserCredentialOptions{
				ClientOptions: azcore.ClientOptions{Transport: srv.Client(), Cloud: srv.Cloud()}, RedirectURL: redirect,
			})
			require.Error(t, err)
			assert.ErrorContains(t, err, "RedirectURL")
		})
	}
	assert.Empty(t, srv.Requests())
}
