package entratest

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"time"
)

// Sign-in page steps. Each page carries its step in <meta name="entratest-step">, which
// the stand-in browser reads.
const (
	stepPick       = "pick"       // account picker
	stepPassword   = "password"   // username and password
	stepMFA        = "mfa"        // second factor
	stepConsent    = "consent"    // permission consent
	stepConfirm    = "confirm"    // device code: "are you trying to sign in to ...?"
	stepDeviceCode = "devicecode" // device code entry
	stepDeviceDone = "devicedone" // device code approved
	stepFormPost   = "formpost"   // auto-submitting response to the redirect URI
	stepError      = "error"      // an error page; the flow can't continue
)

// sessionCookie is the name of the emulator's sign-in session cookie.
const sessionCookie = "entratest_session"

// signInFlow is one run through the sign-in pages, for an authorization request or for a
// device code.
type signInFlow struct {
	id      string
	expires time.Time
	tenant  tenantRef
	app     App
	device  *deviceCode // the device code being approved; nil for an authorization request

	// Authorization request parameters.
	redirectURI, responseMode, state, nonce, scope, claims, codeChallenge, prompt, loginHint string

	picked        bool            // the account picker was answered
	username      string          // the account being signed in; "" until known
	lockUsername  bool            // username came from the picker: the page doesn't let it change
	auth          *authentication // set once credentials or a session were accepted
	mfaCode       string          // the one-time code the MFA page shows
	consented     bool            // the consent page was accepted in this flow
	confirmed     bool            // device code: the user confirmed the application
	passwordError string          // error to show on the next page
}

// sessionUsers returns the users signed in to the browser session of r whose session is
// still valid, oldest first. The caller holds s.mu.
func (s *Server) sessionUsers(r *http.Request) []User {
	sess := s.session(r)
	if sess == nil {
		return nil
	}
	var users []User
	for _, a := range sess.order {
		if u, ok := s.validSession(sess, a); ok {
			users = append(users, u)
		}
	}
	return users
}

// validSession returns the user of a session entry unless the user is gone or disabled, or
// its sessions were revoked after it signed in. The caller holds s.mu.
func (s *Server) validSession(sess *session, oid string) (User, bool) {
	a, ok := sess.users[oid]
	if !ok {
		return User{}, false
	}
	u, ok := s.dir.userByOID(oid)
	if !ok || u.Disabled {
		return User{}, false
	}
	if revoked, ok := s.state.revokedAt[oid]; ok && a.authTime.Before(revoked) {
		return User{}, false
	}
	return u, true
}

// session returns the browser session of r, if any. The caller holds s.mu.
func (s *Server) session(r *http.Request) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	return s.state.sessions[c.Value]
}

// trySSO signs the flow in with an existing session of username, if valid. The caller
// holds s.mu.
func (s *Server) trySSO(r *http.Request, f *signInFlow, u User) bool {
	sess := s.session(r)
	if sess == nil || f.prompt == "login" {
		return false
	}
	if _, ok := s.validSession(sess, u.ObjectID); !ok {
		return false
	}
	tid, eerr := f.tenant.signInTenant(u, f.app)
	if eerr != nil {
		return false
	}
	a := sess.users[u.ObjectID]
	a.tid = tid
	f.auth, f.username = &a, u.Username
	return true
}

// nextStep returns the next page of the flow, or "" when the flow is complete. The caller
// holds s.mu.
func (s *Server) nextStep(r *http.Request, f *signInFlow) string {
	if f.device != nil && !f.confirmed {
		return stepConfirm
	}
	if f.auth == nil {
		if !f.picked && f.prompt == "select_account" && f.loginHint == "" && len(s.sessionUsers(r)) > 0 {
			return stepPick
		}
		return stepPassword
	}
	u, _ := s.dir.userByOID(f.auth.oid)
	if u.MFARequired && !f.auth.mfa {
		if f.mfaCode == "" {
			f.mfaCode = randomDigits(6)
			s.addSecret(f.mfaCode)
		}
		return stepMFA
	}
	if !f.consented && (!s.dir.consented(f.app, u) || f.prompt == "consent") {
		return stepConsent
	}
	return ""
}

// signIn checks a username and password typed on the sign-in page. The caller holds s.mu.
func (s *Server) signIn(f *signInFlow, username, password string) *entraError {
	u, ok := s.dir.user(username)
	switch {
	case !ok:
		return errUnknownUser(f.tenant.segment)
	case u.Password == "" || u.Password != password:
		return errBadPassword()
	case u.Disabled:
		return errUserDisabled()
	}
	tid, eerr := f.tenant.signInTenant(u, f.app)
	if eerr != nil {
		return eerr
	}
	f.username = u.Username
	f.auth = &authentication{oid: u.ObjectID, tid: tid, authTime: s.now()}
	return nil
}

// rememberSession records the flow's sign-in in the browser session of r, creating the
// session if needed, and returns the cookie to set, if any. The caller holds s.mu.
func (s *Server) rememberSession(r *http.Request, f *signInFlow) *http.Cookie {
	var cookie *http.Cookie
	sess := s.session(r)
	if sess == nil {
		id := randomString(32)
		s.addSecret(id)
		sess = &session{users: map[string]authentication{}}
		s.state.sessions[id] = sess
		cookie = &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true,
			Secure: r.TLS != nil, SameSite: http.SameSiteNoneMode}
	}
	if _, ok := sess.users[f.auth.oid]; !ok {
		sess.order = append(sess.order, f.auth.oid)
	}
	sess.users[f.auth.oid] = *f.auth
	return cookie
}

// serveLogin serves POST /{tenant}/login: the forms of the sign-in pages.
func (s *Server) serveLogin(w http.ResponseWriter, r *http.Request, _ route) {
	form := r.PostForm
	s.mu.Lock()
	f := s.state.flows[form.Get("flow")]
	if f == nil || s.now().After(f.expires) {
		s.mu.Unlock()
		s.renderError(w, http.StatusBadRequest, errSignInExpired())
		return
	}
	var cookie *http.Cookie
	f.passwordError = ""
	switch form.Get("action") {
	case "cancel":
		delete(s.state.flows, f.id)
		s.mu.Unlock()
		s.cancelFlow(w, r, f)
		return
	case "pick":
		f.picked = true
		if u, ok := s.dir.user(form.Get("username")); ok && !s.trySSO(r, f, u) {
			f.username, f.lockUsername = u.Username, true
		}
	case "other":
		f.picked, f.username, f.lockUsername = true, "", false
	case "signin":
		f.picked = true
		username := form.Get("username")
		if f.lockUsername {
			username = f.username
		}
		if eerr := s.signIn(f, username, form.Get("password")); eerr != nil {
			f.username, f.passwordError = username, eerr.description()
		} else {
			cookie = s.rememberSession(r, f)
		}
	case "mfa":
		if f.auth != nil && f.mfaCode != "" && strings.TrimSpace(form.Get("otc")) == f.mfaCode {
			f.auth.mfa = true
			cookie = s.rememberSession(r, f)
		} else {
			f.passwordError = "That code didn't work. Check the code and try again."
		}
	case "accept":
		if f.auth != nil {
			f.consented = true
			s.dir.consent[[2]string{strings.ToLower(f.app.ClientID), f.auth.oid}] = true
		}
	case "continue":
		f.confirmed = true
	default:
		f.passwordError = "Unknown action " + form.Get("action") + "."
	}
	if cookie != nil {
		http.SetCookie(w, cookie)
	}
	s.continueFlow(w, r, f) // unlocks s.mu
}

// continueFlow shows the flow's next page, or completes it. The caller holds s.mu;
// continueFlow unlocks it.
func (s *Server) continueFlow(w http.ResponseWriter, r *http.Request, f *signInFlow) {
	step := s.nextStep(r, f)
	if step == "" {
		delete(s.state.flows, f.id)
		if f.device != nil {
			s.approveDevice(f.device, *f.auth)
			s.mu.Unlock()
			s.renderPage(w, http.StatusOK, pageData{Step: stepDeviceDone, Title: "Signed in", AppName: f.app.Name})
			return
		}
		values := s.issueCode(f)
		s.mu.Unlock()
		s.respond(w, r, f, values)
		return
	}
	s.state.flows[f.id] = f
	pd := pageData{
		Step:     step,
		Action:   baseURL(r) + "/" + f.tenant.segment + "/login",
		Flow:     f.id,
		AppName:  f.app.Name,
		Username: f.username,
		Locked:   f.lockUsername,
		Error:    f.passwordError,
		MFACode:  f.mfaCode,
	}
	if pd.Username == "" {
		pd.Username = f.loginHint
	}
	switch step {
	case stepPick:
		for _, u := range s.sessionUsers(r) {
			pd.Accounts = append(pd.Accounts, u.Username)
		}
		pd.Title = "Pick an account"
	case stepPassword:
		pd.Title = "Sign in"
	case stepMFA:
		pd.Title = "Verify your identity"
	case stepConsent:
		pd.Title = "Permissions requested"
		scope := f.scope
		if f.device != nil {
			scope = f.device.scope
		}
		pd.Scopes = strings.Fields(scope)
	case stepConfirm:
		pd.Title = "Are you trying to sign in to " + f.app.Name + "?"
	}
	s.mu.Unlock()
	s.renderPage(w, http.StatusOK, pd)
}

// cancelFlow ends a flow whose user pressed Cancel.
func (s *Server) cancelFlow(w http.ResponseWriter, r *http.Request, f *signInFlow) {
	if f.device != nil {
		s.mu.Lock()
		if f.device.status == devicePending {
			f.device.status = deviceDenied
		}
		s.mu.Unlock()
		s.renderPage(w, http.StatusOK, pageData{Step: stepError, Title: "Sign-in canceled",
			Heading: "You declined to sign in", Message: "You can close this window. The application on your device won't be signed in."})
		return
	}
	s.respondError(w, r, f, errUserCanceled())
}

// randomDigits returns n random decimal digits.
func randomDigits(n int) string {
	var b strings.Builder
	for range n {
		d, err := rand.Int(rand.Reader, big.NewInt(10))
		if err != nil {
			panic("entratest: reading random bytes: " + err.Error())
		}
		fmt.Fprintf(&b, "%d", d)
	}
	return b.String()
}
