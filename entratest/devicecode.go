package entratest

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"time"
)

// deviceCodeResponse is the body of a successful device authorization response.
type deviceCodeResponse struct {
	UserCode        string `json:"user_code"`
	DeviceCode      string `json:"device_code"`
	VerificationURI string `json:"verification_uri"`
	ExpiresIn       int64  `json:"expires_in"`
	Interval        int    `json:"interval"`
	Message         string `json:"message"`
}

// serveDeviceCode serves POST /{tenant}/oauth2/v2.0/devicecode.
func (s *Server) serveDeviceCode(w http.ResponseWriter, r *http.Request, rt route) {
	form := r.PostForm
	s.mu.Lock()
	dc, eerr := s.newDeviceCode(rt.tenant, form.Get("client_id"), form.Get("scope"), form.Get("claims"))
	s.mu.Unlock()
	if eerr != nil {
		s.writeError(w, r, eerr)
		return
	}
	s.addSecret(dc.deviceCode)
	if user := s.opts.ApproveDeviceCodesAs; user != "" {
		if err := s.ApproveDeviceCode(dc.userCode, user); err != nil {
			s.logf("approving a device code as %s: %v", user, err)
		}
	}
	verification := baseURL(r) + "/devicelogin"
	writeJSON(w, http.StatusOK, deviceCodeResponse{
		UserCode:        dc.userCode,
		DeviceCode:      dc.deviceCode,
		VerificationURI: verification,
		ExpiresIn:       int64((s.opts.DeviceCodeLifetime + time.Second - 1) / time.Second),
		Interval:        5,
		Message: fmt.Sprintf("To sign in, use a web browser to open the page %s and enter the code %s to authenticate.",
			verification, dc.userCode),
	})
}

// newDeviceCode validates a device authorization request and stores its codes. The caller
// holds s.mu.
func (s *Server) newDeviceCode(tenantSegment, clientID, scope, claims string) (*deviceCode, *entraError) {
	if _, eerr := s.dir.lookupTenant(tenantSegment); eerr != nil {
		return nil, eerr
	}
	if clientID == "" {
		return nil, errMissingParam("client_id")
	}
	app, ok := s.dir.app(clientID)
	switch {
	case !ok:
		return nil, errAppNotFound(clientID, tenantSegment)
	case !app.PublicClient:
		return nil, errPublicClientNotAllowed()
	}
	if _, eerr := parseScope(scope); eerr != nil {
		return nil, eerr
	}
	if _, eerr := parseClaims(claims); eerr != nil {
		return nil, eerr
	}
	dc := &deviceCode{
		deviceCode:    "DAQABAAEAAA.entratest." + randomString(48),
		clientID:      app.ClientID,
		scope:         scope,
		claims:        claims,
		tenantSegment: tenantSegment,
		expires:       s.now().Add(s.opts.DeviceCodeLifetime),
	}
	for dc.userCode == "" || s.state.userCodes[dc.userCode] != nil {
		dc.userCode = newUserCode()
	}
	s.state.deviceCodes[dc.deviceCode] = dc
	s.state.userCodes[dc.userCode] = dc
	return dc, nil
}

// newUserCode returns a 9-character user code, like Entra's "BPPVYQZMA", from letters and
// digits that can't be confused with each other.
func newUserCode() string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	var b strings.Builder
	for range 9 {
		i, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			panic("entratest: reading random bytes: " + err.Error())
		}
		b.WriteByte(alphabet[i.Int64()])
	}
	return b.String()
}

// normalizeUserCode makes typed user codes comparable: case, spaces and dashes don't matter.
func normalizeUserCode(c string) string {
	return strings.NewReplacer(" ", "", "-", "").Replace(strings.ToUpper(strings.TrimSpace(c)))
}

// pendingDeviceCode finds a device code a user can still approve or deny. The caller holds
// s.mu.
func (s *Server) pendingDeviceCode(userCode string) (*deviceCode, error) {
	dc := s.state.userCodes[normalizeUserCode(userCode)]
	switch {
	case dc == nil:
		return nil, errors.New("that code didn't work: no such user code")
	case s.now().After(dc.expires):
		return nil, errors.New("that code has expired; request a new code in the application")
	case dc.status != devicePending:
		return nil, errors.New("that code was already used")
	}
	return dc, nil
}

// approveDevice marks a device code approved. The caller holds s.mu.
func (s *Server) approveDevice(dc *deviceCode, a authentication) {
	if dc.status == devicePending {
		dc.status, dc.auth = deviceApproved, a
	}
}

// ApproveDeviceCode approves the device code with user code userCode as the named user had
// signed in on the verification page (with a second factor if needed) and consented. The
// next poll of the device code gets tokens. It returns an error if the code is unknown,
// expired or already used, the user doesn't exist or is disabled, or the user can't sign
// in to the tenant the code was requested for.
func (s *Server) ApproveDeviceCode(userCode, username string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	dc, err := s.pendingDeviceCode(userCode)
	if err != nil {
		return fmt.Errorf("entratest: ApproveDeviceCode(%q): %w", userCode, err)
	}
	u, ok := s.dir.user(username)
	if !ok {
		return fmt.Errorf("entratest: ApproveDeviceCode(%q): unknown user %q", userCode, username)
	}
	if u.Disabled {
		return fmt.Errorf("entratest: ApproveDeviceCode(%q): %w", userCode, errUserDisabled())
	}
	ref, eerr := s.dir.lookupTenant(dc.tenantSegment)
	if eerr != nil {
		return fmt.Errorf("entratest: ApproveDeviceCode(%q): %w", userCode, eerr)
	}
	app, _ := s.dir.app(dc.clientID)
	tid, eerr := ref.signInTenant(u, app)
	if eerr != nil {
		return fmt.Errorf("entratest: ApproveDeviceCode(%q): %w", userCode, eerr)
	}
	s.dir.consent[[2]string{strings.ToLower(app.ClientID), u.ObjectID}] = true
	s.approveDevice(dc, authentication{oid: u.ObjectID, tid: tid, authTime: s.now(), mfa: u.MFARequired})
	s.logf("device code approved for %s", u.Username)
	return nil
}

// DenyDeviceCode declines the device code with user code userCode, as a user pressing
// Cancel on the verification page. The next poll gets authorization_declined. It returns
// an error if the code is unknown, expired or already used.
func (s *Server) DenyDeviceCode(userCode string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	dc, err := s.pendingDeviceCode(userCode)
	if err != nil {
		return fmt.Errorf("entratest: DenyDeviceCode(%q): %w", userCode, err)
	}
	dc.status = deviceDenied
	return nil
}

// serveDeviceLogin serves /devicelogin, the verification page: GET shows the code form,
// POST checks the code and starts the sign-in pages.
func (s *Server) serveDeviceLogin(w http.ResponseWriter, r *http.Request, _ route) {
	pd := pageData{Step: stepDeviceCode, Title: "Enter code", Action: baseURL(r) + "/devicelogin"}
	if r.Method == http.MethodGet {
		s.renderPage(w, http.StatusOK, pd)
		return
	}
	s.mu.Lock()
	dc, err := s.pendingDeviceCode(r.PostForm.Get("user_code"))
	if err != nil {
		s.mu.Unlock()
		pd.Error = strings.ToUpper(err.Error()[:1]) + err.Error()[1:] + "."
		s.renderPage(w, http.StatusOK, pd)
		return
	}
	ref, eerr := s.dir.lookupTenant(dc.tenantSegment)
	app, _ := s.dir.app(dc.clientID)
	if eerr != nil {
		s.mu.Unlock()
		s.renderError(w, http.StatusBadRequest, eerr)
		return
	}
	f := &signInFlow{
		id:      randomString(24),
		expires: s.now().Add(signInLifetime),
		tenant:  ref,
		app:     app,
		device:  dc,
		prompt:  "select_account",
	}
	s.continueFlow(w, r, f) // unlocks s.mu
}
