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
	"strings"
	"testing"

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
	cases := []struct {
		name string
		err  error
	}{
		{"bad_password", newAuthFailed(credNameUsernamePassword, entraResponse(400,
			`{"error":"invalid_grant","error_description":"AADSTS50126: Error validating credentials due to invalid username or password.","error_codes":[50126]}`))},
		{"mfa_required", newAuthFailed(credNameUsernamePassword, entraResponse(400,
			`{"error":"invalid_grant","error_description":"AADSTS50076: Due to a configuration change made by your administrator, you must use multi-factor authentication.","error_codes":[50076],"claims":"{\"access_token\":{\"capolids\":{\"essential\":true,\"values\":[\"p1\"]}}}"}`))},
		{"consent_required", newAuthFailed(credNameDeviceCode, entraResponse(400,
			`{"error":"invalid_grant","error_description":"AADSTS65001: The user or administrator has not consented to use the application.","error_codes":[65001]}`))},
		{"not_json", newAuthFailed(credNameBrowser, entraResponse(502, `<html>bad gateway</html>`))},
		{"timeout", newAuthFailed(credNameBrowser, fmt.Errorf("%w", errUserTimeout(credNameBrowser, defaultBrowserTimeout)))},
		{"canceled", newAuthFailed(credNameDeviceCode, context.Canceled)},
		{"required", &AuthenticationRequiredError{credType: credNameDeviceCode, TokenRequestOptions: policy.TokenRequestOptions{Scopes: []string{"s"}}}},
		{"unavailable", &CredentialUnavailableError{credType: credNameBrowser, message: "can't open a browser (no display); use DeviceCodeCredential on machines without one"}},
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
	err := newAuthFailed(credNameUsernamePassword, entraResponse(400,
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
		&AuthenticationRequiredError{credType: credNameDeviceCode},
		&CredentialUnavailableError{credType: credNameBrowser, message: "m"},
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
