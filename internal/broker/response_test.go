package broker

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testAccount = `{"clientInfo":"eyJ1aWQiOiJ1In0","environment":"login.microsoftonline.com","givenName":"Test","homeAccountId":"uid.utid","localAccountId":"uid","name":"Test User","passwordExpiry":0,"realm":"utid","username":"testuser@example.com","futureMember":{"x":1}}`

func tokenJSON(members string) string {
	return `{"brokerTokenResponse":{"accessToken":"secret-access-token","accessTokenType":0,"idToken":"secret-id-token","account":` + testAccount + `,"clientInfo":"ci",` + members + `}}`
}

func TestParseTokenResponse(t *testing.T) {
	at := time.UnixMilli(1700000000123)
	tests := []struct {
		name, in string
		check    func(t *testing.T, r *TokenResult)
	}{
		{"space-separated scopes (sso-mib)", tokenJSON(`"expiresOn":1700000000123,"grantedScopes":"https://graph.microsoft.com/.default profile"`), func(t *testing.T, r *TokenResult) {
			assert.Equal(t, []string{"https://graph.microsoft.com/.default", "profile"}, r.GrantedScopes)
			assert.True(t, r.ExpiresOn.Equal(at), "expiresOn is milliseconds: %s", r.ExpiresOn)
			assert.True(t, r.ExtendedExpiresOn.IsZero())
		}},
		{"array of scopes (linux-entra-sso's mock)", tokenJSON(`"expiresOn":1700000000123,"extendedExpiresOn":1700003600000,"grantedScopes":["a/.default"," profile ",""]`), func(t *testing.T, r *TokenResult) {
			assert.Equal(t, []string{"a/.default", "profile"}, r.GrantedScopes)
			assert.Equal(t, int64(1700003600000), r.ExtendedExpiresOn.UnixMilli())
		}},
		{"expiresOn as a string, PoP token", strings.Replace(tokenJSON(`"expiresOn":"1700000000123"`), `"accessTokenType":0`, `"accessTokenType":1`, 1), func(t *testing.T, r *TokenResult) {
			assert.True(t, r.ExpiresOn.Equal(at))
			assert.Equal(t, "pop", r.TokenType)
			assert.Nil(t, r.GrantedScopes)
		}},
		{"expiresOn as a float", tokenJSON(`"expiresOn":1.700000000123e12`), func(t *testing.T, r *TokenResult) {
			assert.True(t, r.ExpiresOn.Equal(at))
		}},
		{"the account round-trips verbatim", tokenJSON(`"expiresOn":1700000000123`), func(t *testing.T, r *TokenResult) {
			assert.Equal(t, "Bearer", r.TokenType)
			assert.Equal(t, "uid.utid", r.Account.HomeAccountID)
			assert.Equal(t, "testuser@example.com", r.Account.Username)
			assert.Equal(t, "utid", r.Account.Realm)
			b, err := json.Marshal(r.Account)
			require.NoError(t, err)
			assert.JSONEq(t, testAccount, string(b), "the broker gets its own account object back, unknown members included")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseTokenResponse(MethodAcquireTokenSilently, []byte(tt.in))
			require.NoError(t, err)
			assert.Equal(t, "secret-access-token", r.AccessToken)
			assert.Equal(t, "secret-id-token", r.IDToken)
			tt.check(t, r)
		})
	}
}

func TestParseTokenResponseErrors(t *testing.T) {
	tests := []struct {
		name, in string
		want     *Error // nil: ErrBadResponse
	}{
		{"error object inside brokerTokenResponse (himmelblau)", `{"brokerTokenResponse":{"error":{"context":"AADSTS50076: MFA","status":2,"subStatus":0}}}`,
			&Error{Status: StatusInteractionRequired, Context: "AADSTS50076: MFA"}},
		{"error object at the top", `{"error":{"context":"User canceled","status":7,"subStatus":3,"errorCode":1001,"tag":508}}`,
			&Error{Status: StatusUserCanceled, SubStatus: 3, ErrorCode: 1001, Tag: 508, Context: "User canceled"}},
		{"error string (sso-mib's tests)", `{"error":"something"}`, &Error{Context: "something"}},
		{"status by name, codes as strings", `{"error":{"status":"ApplicationCanceled","errorCode":"50173"}}`,
			&Error{Status: StatusApplicationCanceled, ErrorCode: 50173}},
		{"empty object (sso-mib's mock default)", `{}`, nil},
		{"not an object", `[1,2]`, nil},
		{"not JSON", `<html>`, nil},
		{"null", `null`, nil},
		{"no access token", `{"brokerTokenResponse":{"expiresOn":1}}`, nil},
		{"no expiry", `{"brokerTokenResponse":{"accessToken":"secret-access-token"}}`, nil},
		{"expiry out of range", `{"brokerTokenResponse":{"accessToken":"secret-access-token","expiresOn":1e300}}`, nil},
		{"scopes of the wrong type", `{"brokerTokenResponse":{"accessToken":"secret-access-token","expiresOn":5,"grantedScopes":{"a":1}}}`, nil},
		{"brokerTokenResponse not an object", `{"brokerTokenResponse":"secret-access-token"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseTokenResponse(MethodAcquireTokenInteractively, []byte(tt.in))
			require.Error(t, err)
			assert.Nil(t, r)
			assert.NotContains(t, err.Error(), "secret-access-token", "errors never quote the response")
			if tt.want == nil {
				assert.ErrorIs(t, err, ErrBadResponse)
				return
			}
			var be *Error
			require.ErrorAs(t, err, &be)
			tt.want.Method = MethodAcquireTokenInteractively
			assert.Equal(t, tt.want, be)
		})
	}
}

func TestParseTokenResponseTooLarge(t *testing.T) {
	big := tokenJSON(`"expiresOn":1,"pad":"` + strings.Repeat("x", MaxResponseSize) + `"`)
	_, err := ParseTokenResponse(MethodAcquireTokenSilently, []byte(big))
	require.ErrorIs(t, err, ErrBadResponse)
	assert.Contains(t, err.Error(), "larger than")
}

func TestErrorClassification(t *testing.T) {
	for _, tt := range []struct {
		status              Status
		interaction, cancel bool
	}{
		{StatusInteractionRequired, true, false},
		{StatusAccountUnusable, true, false},
		{StatusUserCanceled, false, true},
		{StatusApplicationCanceled, false, true},
		{StatusNoNetwork, false, false},
		{StatusUnexpected, false, false},
	} {
		e := &Error{Method: MethodAcquireTokenSilently, Status: tt.status}
		assert.Equal(t, tt.interaction, e.InteractionRequired(), tt.status.String())
		assert.Equal(t, tt.cancel, e.Canceled(), tt.status.String())
	}
	e := &Error{Method: MethodAcquireTokenSilently, Status: StatusUserCanceled, SubStatus: 2, ErrorCode: 50173, Tag: 9, Context: "User canceled the flow. "}
	assert.Equal(t, "the identity broker's acquireTokenSilently failed: User canceled the flow. (status UserCanceled, sub-status 2, error code 50173, tag 9)", e.Error())
	assert.Equal(t, "Status(99)", Status(99).String())
	assert.False(t, errors.Is(e, ErrBadResponse))
}

func TestTokenResultFormatRedacts(t *testing.T) {
	r, err := ParseTokenResponse(MethodAcquireTokenSilently, []byte(tokenJSON(`"expiresOn":1700000000123`)))
	require.NoError(t, err)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		out := fmt.Sprintf(verb, r)
		assert.NotContains(t, out, "secret-access-token", verb)
		assert.NotContains(t, out, "secret-id-token", verb)
	}
	assert.Contains(t, r.String(), "testuser@example.com")
}
