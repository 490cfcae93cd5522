package azinteractive_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/cache"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/azinteractive/azinteractive/entratest/brokertest"
)

// troubleshootingRows reads the "message contains" strings of
// TROUBLESHOOTING.md: the backquoted texts of the first column of each table
// whose first header is "message contains", leaving out what is in
// parentheses outside backquotes.
func troubleshootingRows(t *testing.T) []string {
	b, err := os.ReadFile("TROUBLESHOOTING.md")
	require.NoError(t, err)
	var rows []string
	inTable := false
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "| message contains |"):
			inTable = true
			continue
		case !strings.HasPrefix(line, "|"):
			inTable = false
			continue
		case !inTable || strings.HasPrefix(line, "|---"):
			continue
		}
		cell := strings.Split(line, "|")[1]
		var quoted, depth int
		var cur strings.Builder
		for _, r := range cell {
			switch {
			case r == '`' && depth == 0:
				quoted ^= 1
				if quoted == 0 {
					rows = append(rows, cur.String())
					cur.Reset()
				}
			case quoted == 1:
				cur.WriteRune(r)
			case r == '(':
				depth++
			case r == ')':
				depth--
			}
		}
	}
	require.NotEmpty(t, rows)
	return rows
}

// containsPattern reports whether msg contains pattern, where "…" in
// pattern stands for any text.
func containsPattern(msg, pattern string) bool {
	for _, piece := range strings.Split(pattern, "…") {
		i := strings.Index(msg, piece)
		if i < 0 {
			return false
		}
		msg = msg[i+len(piece):]
	}
	return true
}

// TestTroubleshootingRows provokes every error TROUBLESHOOTING.md lists and
// checks that its message contains what the document says it does. A row
// without a way to provoke it fails the test, and so does a way to provoke
// an error that has no row.
func TestTroubleshootingRows(t *testing.T) {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	ctx := t.Context()
	arm := policy.TokenRequestOptions{Scopes: armScope}
	deviceCode := func(o azinteractive.DeviceCodeCredentialOptions) (*azinteractive.DeviceCodeCredential, error) {
		if o.ClientOptions.Transport == nil {
			o.ClientOptions = clientOptions(srv)
		}
		return azinteractive.NewDeviceCodeCredential(&o)
	}
	deviceCodeToken := func(c context.Context, o azinteractive.DeviceCodeCredentialOptions, tro policy.TokenRequestOptions) error {
		cred, err := deviceCode(o)
		if err != nil {
			return err
		}
		_, err = cred.GetToken(c, tro)
		return err
	}
	browser := func(o azinteractive.InteractiveBrowserCredentialOptions) error {
		o.ClientOptions = clientOptions(srv)
		cred, err := azinteractive.NewInteractiveBrowserCredential(&o)
		if err != nil {
			return err
		}
		_, err = cred.GetToken(ctx, arm)
		return err
	}
	password := func(o azinteractive.UsernamePasswordCredentialOptions) error {
		if o.ClientOptions.Transport == nil {
			o.ClientOptions = clientOptions(srv)
		}
		cred, err := azinteractive.NewUsernamePasswordCredential(entratest.DefaultTenantID, entratest.DefaultClientID,
			entratest.DefaultUsername, entratest.DefaultPassword, &o)
		if err != nil {
			return err
		}
		_, err = cred.GetToken(ctx, arm)
		return err
	}
	record := azinteractive.AuthenticationRecord{ClientID: entratest.DefaultClientID, HomeAccountID: "a.b", TenantID: entratest.DefaultTenantID, Version: "1.0"}
	bigDeviceCodeMessage := func(n int) error {
		return deviceCodeToken(ctx, azinteractive.DeviceCodeCredentialOptions{
			ClientOptions: azcore.ClientOptions{Cloud: srv.Cloud(), Transport: rewriting{next: srv.Client(),
				rewrite: func(req *http.Request, _ url.Values, resp *http.Response) *http.Response {
					if !strings.HasSuffix(req.URL.Path, "/devicecode") {
						return resp
					}
					return mutateJSON(resp, func(m map[string]any) { m["message"] = strings.Repeat("x", n) })
				}}},
			UserPrompt: func(context.Context, azinteractive.DeviceCodeMessage) error { return nil },
		}, arm)
	}

	provoke := map[string]func(t *testing.T) error{
		`tenant ID "…" is invalid`: func(*testing.T) error {
			_, err := deviceCode(azinteractive.DeviceCodeCredentialOptions{TenantID: "bad/tenant"})
			return err
		},
		`authority host "…" is invalid`: func(*testing.T) error {
			_, err := deviceCode(azinteractive.DeviceCodeCredentialOptions{ClientOptions: azcore.ClientOptions{
				Transport: srv.Client(), Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: "http://login.microsoftonline.com/"}}})
			return err
		},
		`AZURE_AUTHORITY_HOST "…" is invalid`: func(t *testing.T) error {
			t.Setenv("AZURE_AUTHORITY_HOST", "http://login.microsoftonline.us/")
			_, err := azinteractive.NewDeviceCodeCredential(nil)
			return err
		},
		`the AuthenticationRecord's authority "…" is invalid`: func(*testing.T) error {
			r := record
			r.Authority = "login.microsoftonline.com/../evil"
			_, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{AuthenticationRecord: r})
			return err
		},
		`the cloud configuration has no ActiveDirectoryAuthorityHost`: func(*testing.T) error {
			_, err := deviceCode(azinteractive.DeviceCodeCredentialOptions{ClientOptions: azcore.ClientOptions{
				Transport: srv.Client(), Cloud: cloud.Configuration{Services: cloud.AzurePublic.Services}}})
			return err
		},
		`the AuthenticationRecord is for client ID "…" but ClientID is "…"`: func(*testing.T) error {
			_, err := deviceCode(azinteractive.DeviceCodeCredentialOptions{AuthenticationRecord: record, ClientID: "22222222-2222-2222-2222-222222222222"})
			return err
		},
		`RedirectURL: redirect URL "…"`: func(*testing.T) error {
			_, err := azinteractive.NewInteractiveBrowserCredential(&azinteractive.InteractiveBrowserCredentialOptions{RedirectURL: "https://localhost:8400"})
			return err
		},
		`Prompt "…" isn't one of`: func(*testing.T) error {
			_, err := azinteractive.NewInteractiveBrowserCredential(&azinteractive.InteractiveBrowserCredentialOptions{Prompt: "maybe"})
			return err
		},
		`encrypted token storage is unavailable`: func(t *testing.T) error {
			if runtime.GOOS != "linux" {
				t.Skip("provoked on Linux, by hiding the Secret Service")
			}
			t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+t.TempDir()+"/no-bus")
			_, err := cache.New(&cache.Options{Name: "troubleshooting", Directory: t.TempDir()})
			return err
		},

		`a token request needs at least one scope`: func(*testing.T) error {
			return deviceCodeToken(ctx, azinteractive.DeviceCodeCredentialOptions{}, policy.TokenRequestOptions{})
		},
		`empty scope`: func(*testing.T) error {
			return deviceCodeToken(ctx, azinteractive.DeviceCodeCredentialOptions{}, policy.TokenRequestOptions{Scopes: []string{""}})
		},
		`contains a space`: func(*testing.T) error {
			return deviceCodeToken(ctx, azinteractive.DeviceCodeCredentialOptions{}, policy.TokenRequestOptions{Scopes: []string{"a b"}})
		},
		`the token request is for tenant "…", but TenantID is "…"`: func(*testing.T) error {
			return deviceCodeToken(ctx, azinteractive.DeviceCodeCredentialOptions{TenantID: entratest.DefaultTenantID},
				policy.TokenRequestOptions{Scopes: armScope, TenantID: "fab71ca3-0000-4000-8000-00000000000f"})
		},
		`ADFS doesn't support tenants`: func(*testing.T) error {
			return deviceCodeToken(ctx, azinteractive.DeviceCodeCredentialOptions{TenantID: "adfs"}, policy.TokenRequestOptions{Scopes: armScope, TenantID: "other"})
		},
		`authenticating in this cloud requires a scope`: func(*testing.T) error {
			cred, err := deviceCode(azinteractive.DeviceCodeCredentialOptions{ClientOptions: azcore.ClientOptions{
				Transport: srv.Client(), Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: srv.URL()}}})
			if err != nil {
				return err
			}
			_, err = cred.Authenticate(ctx, nil)
			return err
		},
		`can't acquire a token without user interaction`: func(*testing.T) error {
			return deviceCodeToken(ctx, azinteractive.DeviceCodeCredentialOptions{DisableAutomaticAuthentication: true}, arm)
		},
		`the user didn't finish signing in within`: func(*testing.T) error {
			return browser(azinteractive.InteractiveBrowserCredentialOptions{Timeout: 100 * time.Millisecond, OpenURL: func(context.Context, string) error { return nil }})
		},
		`the caller's context deadline passed`: func(*testing.T) error {
			c, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
			defer cancel()
			return deviceCodeToken(c, azinteractive.DeviceCodeCredentialOptions{UserPrompt: func(context.Context, azinteractive.DeviceCodeMessage) error { return nil }}, arm)
		},
		`the caller's context was canceled`: func(*testing.T) error {
			c, cancel := context.WithCancel(ctx)
			defer cancel()
			return deviceCodeToken(c, azinteractive.DeviceCodeCredentialOptions{UserPrompt: func(context.Context, azinteractive.DeviceCodeMessage) error { cancel(); return nil }}, arm)
		},
		`the user canceled the sign-in`: func(*testing.T) error {
			return browser(azinteractive.InteractiveBrowserCredentialOptions{OpenURL: srv.CancelBrowser()})
		},
		`can't open a browser`: func(*testing.T) error {
			return browser(azinteractive.InteractiveBrowserCredentialOptions{OpenURL: func(context.Context, string) error { return errors.New("no browser") }})
		},
		`couldn't start the local server that receives the sign-in`: func(t *testing.T) error {
			return browser(azinteractive.InteractiveBrowserCredentialOptions{RedirectURL: "http://127.0.0.1:" + strconv.Itoa(takenPort(t))})
		},
		`is already in use`: func(t *testing.T) error {
			return browser(azinteractive.InteractiveBrowserCredentialOptions{RedirectURL: "http://127.0.0.1:" + strconv.Itoa(takenPort(t))})
		},
		`the device code expired before anyone signed in with it`: func(*testing.T) error {
			short := entratest.NewServer(&entratest.Options{DeviceCodeLifetime: time.Second})
			defer short.Close()
			return deviceCodeToken(ctx, azinteractive.DeviceCodeCredentialOptions{ClientOptions: clientOptions(short),
				UserPrompt: func(context.Context, azinteractive.DeviceCodeMessage) error { return nil }}, arm)
		},
		`(authorization_declined)`: func(*testing.T) error {
			return deviceCodeToken(ctx, azinteractive.DeviceCodeCredentialOptions{
				UserPrompt: func(_ context.Context, m azinteractive.DeviceCodeMessage) error {
					return srv.DenyDeviceCode(m.UserCode)
				}}, arm)
		},
		`UserPrompt returned an error`: func(*testing.T) error {
			return deviceCodeToken(ctx, azinteractive.DeviceCodeCredentialOptions{
				UserPrompt: func(context.Context, azinteractive.DeviceCodeMessage) error { return errors.New("no terminal") }}, arm)
		},
		`authentication failed with HTTP status`: func(*testing.T) error {
			srv.InjectFault(entratest.EndpointToken, 1, entratest.Fault{Status: http.StatusBadRequest, MalformedJSON: true})
			return password(azinteractive.UsernamePasswordCredentialOptions{})
		},
		`the response isn't quoted: it may hold tokens`: func(*testing.T) error {
			srv.InjectFault(entratest.EndpointToken, 1, entratest.Fault{MalformedJSON: true})
			return password(azinteractive.UsernamePasswordCredentialOptions{})
		},
		`RequireBroker is set and no identity broker can be used: …`: func(t *testing.T) error {
			e := newBrokerEnv(t, nil, nil) // a session bus with no broker on it
			return brokerToken(t, e, &azinteractive.BrokerOptions{RequireBroker: true}, nil)
		},
		`the sign-in was canceled in the identity broker's window`: func(t *testing.T) error {
			e := newBrokerEnv(t, nil, &brokertest.Options{})
			e.broker.CancelSignIns()
			return brokerToken(t, e, &azinteractive.BrokerOptions{}, nil)
		},
		`the identity broker needs the user to sign in interactively`: func(t *testing.T) error {
			e := newBrokerEnv(t, nil, &brokertest.Options{})
			cred := e.cred(t, &azinteractive.BrokerOptions{}, func(o *azinteractive.InteractiveBrowserCredentialOptions) { o.DisableAutomaticAuthentication = true })
			if _, err := cred.Authenticate(t.Context(), &arm); err != nil {
				return err
			}
			e.srv.RevokeSessions(entratest.DefaultUsername)
			_, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: graphScope})
			return err
		},
		`the identity broker refused the sign-in: …`: func(t *testing.T) error {
			e := newBrokerEnv(t, nil, &brokertest.Options{})
			e.broker.FailSignIns(brokertest.Error{Status: brokertest.StatusIncorrectConfiguration, ErrorCode: 50011,
				Context: "AADSTS50011: The redirect URI 'ms-appx-web://Microsoft.AAD.BrokerPlugin/x' does not match the redirect URIs configured for the application."})
			return brokerToken(t, e, &azinteractive.BrokerOptions{}, nil)
		},
		`the identity broker is too old for this module`: func(t *testing.T) error {
			e := newBrokerEnv(t, nil, &brokertest.Options{Version: "1.0.0", Unimplemented: []string{"acquireTokenInteractively"}})
			return brokerToken(t, e, &azinteractive.BrokerOptions{}, nil)
		},
		`the identity broker stopped or restarted before it answered`: func(t *testing.T) error {
			e := newBrokerEnv(t, nil, &brokertest.Options{})
			e.broker.HoldSignIns()
			go func() {
				if e.broker.WaitForDialog(t.Context()) == nil {
					e.broker.Restart()
				}
			}()
			return brokerToken(t, e, &azinteractive.BrokerOptions{}, nil)
		},
		`the identity broker isn't reachable`: func(t *testing.T) error {
			e := newBrokerEnv(t, nil, &brokertest.Options{})
			cred := e.cred(t, &azinteractive.BrokerOptions{}, nil)
			if _, err := cred.GetToken(t.Context(), arm); err != nil {
				return err
			}
			e.broker.Close()
			_, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: graphScope})
			return err
		},
		`the identity broker's response can't be read`: func(t *testing.T) error {
			e := newBrokerEnv(t, nil, &brokertest.Options{})
			// Its ID token, which names the user, makes the answer larger than 1 MiB.
			e.srv.AddUser(entratest.User{Username: "big@contoso.com", Password: "big-Pa55w0rd-7", DisplayName: strings.Repeat("n", 2<<20)})
			e.broker.SignInAs("big@contoso.com")
			return brokerToken(t, e, &azinteractive.BrokerOptions{}, nil)
		},

		`more than the 1048576 bytes this module reads`: func(*testing.T) error { return bigDeviceCodeMessage(2 << 20) },
		`this module accepts; refusing it`:              func(*testing.T) error { return bigDeviceCodeMessage(8 << 10) },
	}

	documented := map[string]bool{}
	for _, row := range troubleshootingRows(t) {
		documented[row] = true
		t.Run(row, func(t *testing.T) {
			p, ok := provoke[row]
			require.True(t, ok, "TROUBLESHOOTING.md lists %q, which this test can't provoke: add a way to provoke it", row)
			err := p(t)
			require.Error(t, err)
			assert.True(t, containsPattern(err.Error(), row), "TROUBLESHOOTING.md says the message contains %q; it is:\n%s", row, err)
			for _, pkg := range []string{"loopback: ", "browser: ", "tokencache: ", "safetext: "} {
				assert.NotContains(t, err.Error(), ": "+pkg, "no internal package names")
			}
		})
	}
	for row := range provoke {
		assert.True(t, documented[row], "%q is provoked here but has no row in TROUBLESHOOTING.md", row)
	}
}

// takenPort returns a port another listener holds for the rest of the test.
func takenPort(t *testing.T) int {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	return l.Addr().(*net.TCPAddr).Port
}

// brokerToken gets a token through the broker of e.
func brokerToken(t *testing.T, e *brokerEnv, bo *azinteractive.BrokerOptions, set func(*azinteractive.InteractiveBrowserCredentialOptions)) error {
	_, err := e.cred(t, bo, set).GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	return err
}
