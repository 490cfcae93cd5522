package entratest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// entraError is an Entra ID error: an OAuth error code plus an AADSTS code. Codes follow
// Entra ID where its behavior is known (https://login.microsoftonline.com/error); the doc
// comment of each constructor says when the emulator had to pick one.
type entraError struct {
	status   int    // HTTP status; 400 when zero
	code     string // OAuth "error"
	aadsts   int    // AADSTS number
	msg      string // description after "AADSTSnnnnn: "
	suberror string
	claims   string // a claims challenge (JSON), for the "claims" member
}

func (e *entraError) Error() string { return e.code + ": " + e.description() }

func (e *entraError) description() string { return fmt.Sprintf("AADSTS%d: %s", e.aadsts, e.msg) }

func (e *entraError) httpStatus() int {
	if e.status == 0 {
		return http.StatusBadRequest
	}
	return e.status
}

// errorBody is the JSON Entra ID returns with 4xx responses.
type errorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCodes       []int  `json:"error_codes"`
	Timestamp        string `json:"timestamp"`
	TraceID          string `json:"trace_id"`
	CorrelationID    string `json:"correlation_id"`
	ErrorURI         string `json:"error_uri,omitempty"`
	Suberror         string `json:"suberror,omitempty"`
	Claims           string `json:"claims,omitempty"`
}

func (s *Server) errorBody(r *http.Request, e *entraError) errorBody {
	now := s.now().UTC()
	trace := newGUID()
	corr := r.Header.Get("client-request-id")
	if corr == "" {
		corr = newGUID()
	}
	return errorBody{
		Error: e.code,
		ErrorDescription: fmt.Sprintf("%s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s",
			e.description(), trace, corr, now.Format("2006-01-02 15:04:05Z")),
		ErrorCodes:    []int{e.aadsts},
		Timestamp:     now.Format("2006-01-02 15:04:05Z"),
		TraceID:       trace,
		CorrelationID: corr,
		ErrorURI:      fmt.Sprintf("%s/error?code=%d", baseURL(r), e.aadsts),
		Suberror:      e.suberror,
		Claims:        e.claims,
	}
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, e *entraError) {
	writeJSON(w, e.httpStatus(), s.errorBody(r, e))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic("entratest: marshaling response: " + err.Error()) // a bug: every value is marshalable
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store, no-cache")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func errTenantNotFound(segment string) *entraError {
	return &entraError{code: "invalid_tenant", aadsts: 90002, msg: fmt.Sprintf(
		"Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", segment)}
}

func errUserNotInTenant(u User, tenant string, app App) *entraError {
	idp := "https://sts.windows.net/" + u.TenantID + "/"
	if u.PersonalAccount {
		idp = "live.com"
	}
	return &entraError{code: "invalid_grant", aadsts: 50020, msg: fmt.Sprintf(
		"User account '%s' from identity provider '%s' does not exist in tenant '%s' and cannot access the application '%s'(%s) in that tenant. The account needs to be added as an external user in the tenant first.",
		u.Username, idp, tenant, app.ClientID, app.Name)}
}

func errAppNotFound(clientID, tenant string) *entraError {
	return &entraError{code: "unauthorized_client", aadsts: 700016, msg: fmt.Sprintf(
		"Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
		clientID, tenant)}
}

func errPublicClientNotAllowed() *entraError {
	return &entraError{status: http.StatusUnauthorized, code: "invalid_client", aadsts: 7000218,
		msg: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."}
}

func errMissingParam(name string) *entraError {
	return &entraError{code: "invalid_request", aadsts: 900144,
		msg: fmt.Sprintf("The request body must contain the following parameter: '%s'.", name)}
}

func errUnsupportedGrant(grant string) *entraError {
	return &entraError{code: "unsupported_grant_type", aadsts: 70003,
		msg: fmt.Sprintf("The app requested an unsupported grant type '%s'.", grant)}
}

func errInvalidScope(detail string) *entraError {
	return &entraError{code: "invalid_scope", aadsts: 70011,
		msg: "The provided value for the input parameter 'scope' is not valid. " + detail}
}

func errMultipleResources(scope string) *entraError {
	return &entraError{code: "invalid_scope", aadsts: 28000, msg: fmt.Sprintf(
		"Provided value for the input parameter scope is not valid because it contains more than one resource. Scope %s is not valid.", scope)}
}

func errBadPassword() *entraError {
	return &entraError{code: "invalid_grant", aadsts: 50126,
		msg: "Error validating credentials due to invalid username or password."}
}

func errUnknownUser(tenant string) *entraError {
	return &entraError{code: "invalid_grant", aadsts: 50034, msg: fmt.Sprintf(
		"The user account {EUII Hidden} does not exist in the %s directory. To sign into this application, the account must be added to the directory.", tenant)}
}

func errUserDisabled() *entraError {
	return &entraError{code: "invalid_grant", aadsts: 50057, msg: "The user account is disabled."}
}

// mfaPolicyID is the conditional access policy ID in MFA claims challenges.
const mfaPolicyID = "b0a1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d"

func errMFARequired(resource string) *entraError {
	return &entraError{code: "invalid_grant", aadsts: 50076, suberror: "basic_action",
		claims: `{"access_token":{"capolids":{"essential":true,"values":["` + mfaPolicyID + `"]}}}`,
		msg:    fmt.Sprintf("Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '%s'.", resource)}
}

func errConsentRequired(app App) *entraError {
	return &entraError{code: "invalid_grant", aadsts: 65001, suberror: "consent_required", msg: fmt.Sprintf(
		"The user or administrator has not consented to use the application with ID '%s' named '%s'. Send an interactive authorization request for this user and resource.",
		app.ClientID, app.Name)}
}

func errPasswordGrantEndpoint() *entraError {
	return &entraError{code: "invalid_request", aadsts: 9001023,
		msg: "The grant type is not supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint."}
}

func errInvalidGrant(detail string) *entraError {
	return &entraError{code: "invalid_grant", aadsts: 70000, msg: "Provided grant is invalid or malformed. " + detail}
}

func errCodeRedeemed() *entraError {
	return &entraError{code: "invalid_grant", aadsts: 54005,
		msg: "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token."}
}

func errCodeExpired() *entraError {
	return &entraError{code: "invalid_grant", aadsts: 70008,
		msg: "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource."}
}

// errCodeOtherTenant: the emulator's choice of code.
func errCodeOtherTenant() *entraError {
	return &entraError{code: "invalid_grant", aadsts: 700005,
		msg: "Provided Authorization Code is intended to use against other tenant, thus rejected."}
}

// errRedirectURIMismatch: the emulator's choice of code.
func errRedirectURIMismatch(got, want string) *entraError {
	return &entraError{code: "invalid_grant", aadsts: 500112, msg: fmt.Sprintf(
		"The reply address '%s' does not match the reply address '%s' provided when requesting Authorization code.", got, want)}
}

func errPKCEMismatch() *entraError {
	return &entraError{code: "invalid_grant", aadsts: 501481,
		msg: "The Code_Verifier does not match the code_challenge supplied in the authorization request."}
}

func errRefreshTokenExpired(issued time.Time, inactive time.Duration) *entraError {
	return &entraError{code: "invalid_grant", aadsts: 700082, msg: fmt.Sprintf(
		"The refresh token has expired due to inactivity. The token was issued on %s and was inactive for %s.",
		issued.UTC().Format(time.RFC3339Nano), inactive.Round(time.Second))}
}

func errRefreshTokenRevoked(issued, validFrom time.Time, claims string) *entraError {
	return &entraError{code: "invalid_grant", aadsts: 50173, suberror: "bad_token", claims: claims, msg: fmt.Sprintf(
		"The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '%s' and the TokensValidFrom date (before which tokens are not valid) for this user is '%s'.",
		issued.UTC().Format(time.RFC3339Nano), validFrom.UTC().Format(time.RFC3339Nano))}
}

func errRefreshTokenMalformed() *entraError {
	return &entraError{code: "invalid_grant", aadsts: 9002313, msg: "Invalid request. Request is malformed or invalid."}
}

// errRefreshTokenRedeemed models the emulator's refresh token rotation; Entra ID itself
// doesn't make refresh tokens single-use.
func errRefreshTokenRedeemed() *entraError {
	return &entraError{code: "invalid_grant", aadsts: 70000,
		msg: "The provided value for the input parameter 'refresh_token' or 'assertion' is not valid. The refresh token was already redeemed (entratest rotates refresh tokens)."}
}

func errAuthorizationPending() *entraError {
	return &entraError{code: "authorization_pending", aadsts: 70016,
		msg: "OAuth 2.0 device flow error. Authorization is pending. Continue polling."}
}

// errSlowDown: the emulator's choice of code.
func errSlowDown() *entraError {
	return &entraError{code: "slow_down", aadsts: 70016,
		msg: "OAuth 2.0 device flow error. Authorization is pending. Poll less often."}
}

func errDeviceCodeExpired() *entraError {
	return &entraError{code: "expired_token", aadsts: 70020,
		msg: "The provided value for the input parameter 'device_code' is not valid. This device code has expired."}
}

// errDeviceCodeDeclined: the emulator's choice of code (Entra's "user declined").
func errDeviceCodeDeclined() *entraError {
	return &entraError{code: "authorization_declined", aadsts: 65004, msg: "User declined to consent to access the app."}
}

func errRedirectURINotRegistered(uri string, app App) *entraError {
	return &entraError{code: "invalid_request", aadsts: 50011, msg: fmt.Sprintf(
		"The redirect URI '%s' specified in the request does not match the redirect URIs configured for the application '%s'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal.",
		uri, app.ClientID)}
}

// errCodeChallengeMethod: the emulator's choice of code.
func errCodeChallengeMethod(method string) *entraError {
	return &entraError{code: "invalid_request", aadsts: 90100,
		msg: fmt.Sprintf("The code_challenge_method '%s' is not supported. Use 'S256'.", method)}
}

// errUnsupportedResponseType: the emulator's choice of code.
func errUnsupportedResponseType(rt string) *entraError {
	return &entraError{code: "unsupported_response_type", aadsts: 70005,
		msg: fmt.Sprintf("The provided value for the input parameter 'response_type' is not allowed for this request. Expected a value of 'code'. Got '%s'.", rt)}
}

func errLoginRequired() *entraError {
	return &entraError{code: "login_required", aadsts: 50058,
		msg: "A silent sign-in request was sent but no user is signed in."}
}

func errInteractionConsent(app App) *entraError {
	e := errConsentRequired(app)
	e.code, e.suberror = "consent_required", ""
	return e
}

func errUserCanceled() *entraError {
	return &entraError{code: "access_denied", aadsts: 65004, suberror: "cancel", msg: "User declined to consent to access the app."}
}

func errInvalidInstance() *entraError {
	return &entraError{code: "invalid_instance", aadsts: 50049, msg: "Unknown or invalid instance."}
}

func errSignInExpired() *entraError {
	return &entraError{code: "invalid_request", aadsts: 50132, msg: "The sign-in session has expired. Start the sign-in again."}
}
