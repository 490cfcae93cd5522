package azinteractive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// entraResponse is an Entra ID error response as MSAL reports it.
func entraResponse(status int, body string) error {
	req := &http.Request{Method: http.MethodPost, URL: &url.URL{Scheme: "https", Host: "login.microsoftonline.com", Path: "/organizations/oauth2/v2.0/token"}}
	res := &http.Response{StatusCode: status, Status: fmt.Sprintf("%d %s", status, http.StatusText(status)), Request: req, Body: io.NopCloser(strings.NewReader(body))}
	return msalerrors.CallErr{Req: req, Resp: res, Err: fmt.Errorf("http call(%s)(POST) error: reply status code was %d:\n%s", req.URL, status, body)}
}

func TestErrorMessagesGolden(t *testing.T) {
	ctx := context.Background()
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	canceledWithCause, cancelCause := context.WithCancelCause(ctx)
	cancelCause(errors.New("the user pressed Ctrl-C"))
	expired, cancel2 := context.WithDeadline(ctx, time.Now().Add(-time.Second))
	defer cancel2()
	cases := []struct {
		name string
		err  error
	}{
		{"bad_password", classify(ctx, credNameUsernamePassword, entraResponse(400,
			`{"error":"invalid_grant","error_description":"AADSTS50126: Error validating credentials due to invalid username or password.\r\nTrace ID: 0b3b7a8e-1d2c-4f5a-9b8c-7d6e5f4a3b2c\r\nCorrelation ID: 9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a\r\nTimestamp: 2025-01-02 03:04:05Z","error_codes":[50126]}`))},
		{"mfa_required", classify(ctx, credNameUsernamePassword, entraResponse(400,
			`{"error":"invalid_grant","error_description":"AADSTS50076: Due to a configuration change made by your administrator, you must use multi-factor authentication.","error_codes":[50076],"claims":"{\"access_token\":{\"capolids\":{\"essential\":true,\"values\":[\"p1\"]}}}"}`))},
		{"consent_required", classify(ctx, credNameDeviceCode, entraResponse(400,
			`{"error":"invalid_grant","error_description":"AADSTS65001: The user or administrator has not consented to use the application.","error_codes":[65001]}`))},
		{"tenant_not_found", classify(ctx, credNameDeviceCode, entraResponse(400,
			`{"error":"invalid_request","error_description":"AADSTS90002: Tenant 'contoso.example' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.\r\nTrace ID: 1\r\nCorrelation ID: 2\r\nTimestamp: 2025-01-02 03:04:05Z","error_codes":[90002]}`))},
		{"not_json", classify(ctx, credNameBrowser, entraResponse(502, `<html>bad gateway</html>`))},
		{"timeout", classify(ctx, credNameBrowser, fmt.Errorf("loopback: stopped waiting: %w", &userTimeoutError{timeout: defaultBrowserTimeout}))},
		{"canceled", classify(canceled, credNameDeviceCode, context.Canceled)},
		{"canceled_with_cause", classify(canceledWithCause, credNameDeviceCode, context.Canceled)},
		{"caller_deadline", classify(expired, credNameDeviceCode, context.DeadlineExceeded)},
		{"device_code_expired", errDeviceCodeExpired()},
		{"required", newAuthenticationRequiredError(credNameDeviceCode, policy.TokenRequestOptions{Scopes: []string{"s"}}, nil)},
		{"required_expired_refresh", newAuthenticationRequiredError(credNameDeviceCode, policy.TokenRequestOptions{Scopes: []string{"s"}}, classify(ctx, credNameDeviceCode, entraResponse(400,
			`{"error":"invalid_grant","error_description":"AADSTS700082: The refresh token has expired due to inactivity.\r\nTrace ID: 1\r\nCorrelation ID: 2\r\nTimestamp: 2025-01-02 03:04:05Z","error_codes":[700082]}`)))},
		{"unavailable", errNoBrowser(errors.New("neither DISPLAY nor WAYLAND_DISPLAY is set"))},
		{"user_unavailable", NewCredentialUnavailableError("MyCredential: no configuration file")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			golden := filepath.Join("testdata", "errors", tc.name+".golden")
			got := tc.err.Error()
			if *update {
				require.NoError(t, os.MkdirAll(filepath.Dir(golden), 0o755))
				require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test -run TestErrorMessagesGolden -update")
			assert.Equal(t, string(want), got)
		})
	}
}

func TestAuthenticationFailedErrorFields(t *testing.T) {
	err := classify(context.Background(), credNameUsernamePassword, entraResponse(400,
		`{"error":"invalid_grant","error_description":"AADSTS50076: MFA","error_codes":[50076],"claims":"{\"access_token\":{}}"}`))
	var failed *AuthenticationFailedError
	require.ErrorAs(t, err, &failed)
	assert.Equal(t, "invalid_grant", failed.ErrorCode)
	assert.Equal(t, []int{50076}, failed.ErrorCodes)
	assert.Equal(t, `{"access_token":{}}`, failed.Claims)
	require.NotNil(t, failed.RawResponse)
	body, _ := io.ReadAll(failed.RawResponse.Body)
	assert.Contains(t, string(body), "AADSTS50076", "the body can be read again")
	var call msalerrors.CallErr
	assert.ErrorAs(t, err, &call, "the MSAL error is the cause")
}

func TestUnavailableErrorsSatisfyAzidentity(t *testing.T) {
	// azidentity's chain looks for an unexported interface; the only way to
	// check from outside is to run a chain, which sdk_client_test.go does.
	// Here: both our kinds unwrap to an error azidentity made.
	for _, err := range []error{
		newAuthenticationRequiredError(credNameDeviceCode, policy.TokenRequestOptions{}, nil),
		newCredentialUnavailableError(credNameBrowser, "m", "", nil),
		NewCredentialUnavailableError("m"),
	} {
		found := false
		var walk func(error)
		walk = func(e error) {
			if e == nil || found {
				return
			}
			if strings.HasPrefix(fmt.Sprintf("%T", e), "*azidentity.") {
				found = true
				return
			}
			switch u := e.(type) {
			case interface{ Unwrap() []error }:
				for _, x := range u.Unwrap() {
					walk(x)
				}
			case interface{ Unwrap() error }:
				walk(u.Unwrap())
			}
		}
		walk(err)
		assert.True(t, found, "%T", err)
		var unavailable *CredentialUnavailableError
		assert.True(t, errors.As(err, &unavailable))
	}
	_ = azidentity.NewCredentialUnavailableError
}

// TestTroubleshootingAADSTSRows: every AADSTS code with a hint has a row in
// TROUBLESHOOTING.md and every row's code gets its hint, on the last line of
// the message, after the service's description and the request.
func TestTroubleshootingAADSTSRows(t *testing.T) {
	b, err := os.ReadFile("TROUBLESHOOTING.md")
	require.NoError(t, err)
	var documented []int
	inTable := false
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "| AADSTS |"):
			inTable = true
		case !strings.HasPrefix(line, "|"):
			inTable = false
		case inTable && !strings.HasPrefix(line, "|---"):
			for _, c := range strings.Split(strings.Split(line, "|")[1], ",") {
				n, err := strconv.Atoi(strings.TrimSpace(c))
				require.NoError(t, err, line)
				documented = append(documented, n)
			}
		}
	}
	require.NotEmpty(t, documented)
	for code := range aadstsHints {
		assert.Contains(t, documented, code, "AADSTS%d has a hint but no row in TROUBLESHOOTING.md", code)
	}
	for _, code := range documented {
		for _, cred := range []string{credNameDeviceCode, credNameUsernamePassword} {
			body := fmt.Sprintf(`{"error":"invalid_grant","error_description":"AADSTS%d: Something.\r\nTrace ID: 1\r\nCorrelation ID: 2\r\nTimestamp: 2025-01-02 03:04:05Z","error_codes":[%d]}`, code, code)
			msg := classify(context.Background(), cred, entraResponse(400, body)).Error()
			lines := strings.Split(msg, "\n")
			hint := lines[len(lines)-1]
			assert.Equal(t, hintFor(cred, "", []int{code}), hint, "AADSTS%d", code)
			assert.NotEmpty(t, hint, "AADSTS%d has a row but no hint", code)
			assert.Equal(t, "RESPONSE 400 Bad Request", lines[len(lines)-2], "the hint follows the request dump")
			assert.True(t, strings.HasPrefix(lines[len(lines)-4], "Timestamp: "), "the description, Timestamp last, comes before the request")
		}
	}
}
