package azinteractive_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azlog "github.com/Azure/azure-sdk-for-go/sdk/azcore/log"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/entratest"
)

// rewriting is a transport that lets a test change entratest's responses
// the way a hostile or broken authority (or a proxy) would.
type rewriting struct {
	next    policy.Transporter
	rewrite func(req *http.Request, form url.Values, resp *http.Response) *http.Response
}

func (t rewriting) Do(req *http.Request) (*http.Response, error) {
	var form url.Values
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(b))
		form, _ = url.ParseQuery(string(b))
	}
	resp, err := t.next.Do(req)
	if err != nil {
		return nil, err
	}
	return t.rewrite(req, form, resp), nil
}

// jsonResponse replaces resp's body with v.
func jsonResponse(resp *http.Response, status int, v any) *http.Response {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	_ = resp.Body.Close()
	resp.StatusCode = status
	resp.Status = fmt.Sprintf("%d %s", status, http.StatusText(status))
	resp.Body = io.NopCloser(bytes.NewReader(b))
	resp.ContentLength = int64(len(b))
	return resp
}

// mutateJSON edits a JSON response body.
func mutateJSON(resp *http.Response, edit func(map[string]any)) *http.Response {
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &m); err != nil {
		panic(err)
	}
	edit(m)
	return jsonResponse(resp, resp.StatusCode, m)
}

// hostile are characters that must never reach a terminal from the network:
// ESC sequences that clear the screen and set the title, BEL, CR, and the
// bidi override that makes text read backwards.
const hostile = "\x1b[2J\x1b]0;pwned\x07\r\u202e"

func assertTerminalSafe(t *testing.T, s string) {
	t.Helper()
	for _, c := range []string{"\x1b", "\x07", "\r", "\u202e"} {
		assert.NotContains(t, s, c, "%q", s)
	}
}

// TestDeviceCodeMessageIsMadeSafe: the text of the device code response
// reaches the prompt without control characters or bidi overrides.
func TestDeviceCodeMessageIsMadeSafe(t *testing.T) {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	var got azinteractive.DeviceCodeMessage
	cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
		ClientOptions: azcore.ClientOptions{Cloud: srv.Cloud(), Transport: rewriting{next: srv.Client(),
			rewrite: func(req *http.Request, _ url.Values, resp *http.Response) *http.Response {
				if !strings.HasSuffix(req.URL.Path, "/devicecode") {
					return resp
				}
				return mutateJSON(resp, func(m map[string]any) {
					m["message"] = "To sign in" + hostile + ", use a web browser to open the page " + m["verification_uri"].(string) + " and enter the code " + m["user_code"].(string)
				})
			}}},
		UserPrompt: func(_ context.Context, m azinteractive.DeviceCodeMessage) error {
			got = m
			return srv.ApproveDeviceCode(m.UserCode, entratest.DefaultUsername)
		},
	})
	require.NoError(t, err)
	_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)
	assertTerminalSafe(t, got.Message)
	assert.True(t, strings.HasPrefix(got.Message, "To sign in[2J]0;pwned , use a web browser"), got.Message)
}

// TestUsernameIsMadeSafe: preferred_username reaches the record (which
// applications print) without control characters or bidi overrides.
func TestUsernameIsMadeSafe(t *testing.T) {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	evil := "mallory" + hostile + "@contoso.com"
	srv.AddUser(entratest.User{Username: evil, Password: "mallory-Pa55w0rd"})
	cred, err := azinteractive.NewUsernamePasswordCredential(entratest.DefaultTenantID, entratest.DefaultClientID, evil, "mallory-Pa55w0rd",
		&azinteractive.UsernamePasswordCredentialOptions{ClientOptions: clientOptions(srv), EnableSupportLogging: true})
	require.NoError(t, err)
	logs := logText(t)
	rec, err := cred.Authenticate(t.Context(), &policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)
	assert.Equal(t, "mallory[2J]0;pwned @contoso.com", rec.Username)
	info, err := cred.GetTokenInfo(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)
	assertTerminalSafe(t, info.Account.Username)
	assert.Contains(t, logs(), "mallory[2J]0;pwned @contoso.com", "support logging names the user")
	assertTerminalSafe(t, logs())
}

// TestNetworkFieldsAreBounded: a 50 MB device code response is refused, and
// so is a device code message that fits in a response but is far longer than
// any instruction; each error says so.
func TestNetworkFieldsAreBounded(t *testing.T) {
	for _, tc := range []struct {
		name    string
		message int
		want    string
	}{
		{"50 MB response", 50 << 20, "/devicecode is 52429028 bytes, more than the 1048576 bytes this module reads from Microsoft Entra ID; refusing it"},
		{"100 KB message", 100 << 10, "the device code response's message is 102400 bytes, more than the 4096 this module accepts; refusing it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := entratest.NewServer(nil)
			defer srv.Close()
			prompted := false
			cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
				ClientOptions: azcore.ClientOptions{Cloud: srv.Cloud(), Transport: rewriting{next: srv.Client(),
					rewrite: func(req *http.Request, _ url.Values, resp *http.Response) *http.Response {
						if !strings.HasSuffix(req.URL.Path, "/devicecode") {
							return resp
						}
						return mutateJSON(resp, func(m map[string]any) { m["message"] = strings.Repeat("x", tc.message) })
					}}},
				UserPrompt: func(context.Context, azinteractive.DeviceCodeMessage) error { prompted = true; return nil },
			})
			require.NoError(t, err)
			_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
			var failed *azinteractive.AuthenticationFailedError
			require.ErrorAs(t, err, &failed)
			assert.Contains(t, err.Error(), tc.want)
			assert.Less(t, len(err.Error()), 1000, "the error doesn't quote the message")
			assert.False(t, prompted)
		})
	}

	t.Run("long error description", func(t *testing.T) {
		srv := entratest.NewServer(nil)
		defer srv.Close()
		cred, err := azinteractive.NewUsernamePasswordCredential(entratest.DefaultTenantID, entratest.DefaultClientID, entratest.DefaultUsername, "pw-wrong-2",
			&azinteractive.UsernamePasswordCredentialOptions{ClientOptions: azcore.ClientOptions{Cloud: srv.Cloud(), Transport: rewriting{next: srv.Client(),
				rewrite: func(req *http.Request, _ url.Values, resp *http.Response) *http.Response {
					if resp.StatusCode != http.StatusBadRequest {
						return resp
					}
					return mutateJSON(resp, func(m map[string]any) { m["error_description"] = "AADSTS50126: " + strings.Repeat("y", 500<<10) })
				}}}})
		require.NoError(t, err)
		_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "… (truncated)")
		assert.Less(t, len(err.Error()), 5000)
	})
}

// TestResponseTextIsScrubbedOfSecrets: a service that echoes the request in
// its error description (as some proxies and misconfigured ADFS farms do)
// doesn't put the password, or the refresh token, into the error or the log.
func TestResponseTextIsScrubbedOfSecrets(t *testing.T) {
	echo := func(req *http.Request, form url.Values, resp *http.Response) *http.Response {
		if !strings.HasSuffix(req.URL.Path, "/token") {
			return resp
		}
		body := form.Encode()
		return jsonResponse(resp, http.StatusBadRequest, map[string]any{
			"error":             "invalid_request",
			"error_description": "AADSTS90100: bad request: " + body + " (as JSON: " + fmt.Sprint(form) + ")",
			"error_codes":       []int{90100},
		})
	}

	t.Run("password", func(t *testing.T) {
		srv := entratest.NewServer(nil)
		defer srv.Close()
		const password = `p@ss w0rd+"quoted"&<x>` // every way a service might quote it
		srv.AddUser(entratest.User{Username: "carol@contoso.com", Password: password})
		logs := logText(t)
		cred, err := azinteractive.NewUsernamePasswordCredential(entratest.DefaultTenantID, entratest.DefaultClientID, "carol@contoso.com", password,
			&azinteractive.UsernamePasswordCredentialOptions{ClientOptions: azcore.ClientOptions{Cloud: srv.Cloud(), Transport: rewriting{next: srv.Client(), rewrite: echo}}})
		require.NoError(t, err)
		_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "password=[REDACTED]", "the echo is there, without the password")
		assertNoSecret(t, []string{password, url.QueryEscape(password)}, err.Error()+logs())
	})

	t.Run("refresh token", func(t *testing.T) {
		srv := entratest.NewServer(&entratest.Options{AccessTokenLifetime: 5 * 60e9}) // every silent call redeems the refresh token
		defer srv.Close()
		var mu sync.Mutex
		echoing := false
		a := &approver{srv: srv}
		logs := logText(t)
		cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
			ClientOptions: azcore.ClientOptions{Cloud: srv.Cloud(), Transport: rewriting{next: srv.Client(),
				rewrite: func(req *http.Request, form url.Values, resp *http.Response) *http.Response {
					mu.Lock()
					defer mu.Unlock()
					if echoing {
						return echo(req, form, resp)
					}
					return resp
				}}},
			DisableAutomaticAuthentication: true,
			UserPrompt:                     a.prompt,
		})
		require.NoError(t, err)
		_, err = cred.Authenticate(t.Context(), &policy.TokenRequestOptions{Scopes: armScope})
		require.NoError(t, err)
		mu.Lock()
		echoing = true
		mu.Unlock()
		_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{"https://vault.azure.net/.default"}})
		var required *azinteractive.AuthenticationRequiredError
		require.ErrorAs(t, err, &required)
		var failed *azinteractive.AuthenticationFailedError
		require.ErrorAs(t, err, &failed)
		assert.Contains(t, err.Error(), "refresh_token=[REDACTED]")
		assert.Contains(t, failed.Error(), "refresh_token=[REDACTED]")
		body, _ := io.ReadAll(failed.RawResponse.Body)
		assert.Contains(t, string(body), "refresh_token=[REDACTED]", "RawResponse is scrubbed too")
		var refreshTokens []string
		for _, s := range srv.Secrets() {
			if strings.HasPrefix(s, "1.entratest.") {
				refreshTokens = append(refreshTokens, s)
			}
		}
		require.NotEmpty(t, refreshTokens)
		assertNoSecret(t, refreshTokens, err.Error()+failed.Error()+string(body)+logs())
	})
}

func assertNoSecret(t *testing.T, secrets []string, text string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("a secret leaked: %q", s)
		}
	}
}

// logText collects the module's and the pipeline's log entries for the rest
// of the test.
func logText(t *testing.T) func() string {
	lines := captureLog(t, azinteractive.EventAuthentication, azlog.EventRequest, azlog.EventResponse)
	return func() string { return strings.Join(lines(), "\n") }
}
