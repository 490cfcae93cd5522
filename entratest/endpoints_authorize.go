package entratest

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// serveAuthorize serves /{tenant}/oauth2/v2.0/authorize: it validates the request, then
// shows the sign-in pages, which end by sending the response to the redirect URI.
// Problems found before the redirect URI is validated are shown as an error page; later
// ones are sent to the redirect URI, as in Entra ID. PKCE with S256 is required.
func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request, rt route) {
	p := r.Form
	s.mu.Lock()
	ref, eerr := s.dir.lookupTenant(rt.tenant)
	if eerr != nil {
		s.mu.Unlock()
		s.renderError(w, http.StatusBadRequest, eerr)
		return
	}
	clientID := p.Get("client_id")
	app, ok := s.dir.app(clientID)
	switch {
	case clientID == "":
		eerr = errMissingParam("client_id")
	case !ok:
		eerr = errAppNotFound(clientID, rt.tenant)
	case p.Get("redirect_uri") == "":
		eerr = errMissingParam("redirect_uri")
	case !app.redirectURIRegistered(p.Get("redirect_uri")):
		eerr = errRedirectURINotRegistered(p.Get("redirect_uri"), app)
	}
	if eerr != nil {
		s.mu.Unlock()
		s.renderError(w, http.StatusBadRequest, eerr)
		return
	}
	f := &signInFlow{
		id:            randomString(24),
		expires:       s.now().Add(signInLifetime),
		tenant:        ref,
		app:           app,
		redirectURI:   p.Get("redirect_uri"),
		responseMode:  p.Get("response_mode"),
		state:         p.Get("state"),
		nonce:         p.Get("nonce"),
		scope:         p.Get("scope"),
		claims:        p.Get("claims"),
		codeChallenge: p.Get("code_challenge"),
		prompt:        strings.ToLower(p.Get("prompt")),
		loginHint:     p.Get("login_hint"),
	}
	switch f.responseMode {
	case "":
		f.responseMode = "query"
	case "query", "fragment", "form_post":
	default:
		f.responseMode = "query"
		eerr = errInvalidParam("response_mode", "use query, fragment or form_post")
	}
	if eerr == nil {
		eerr = validateAuthorizeParams(p)
	}
	if eerr != nil {
		s.mu.Unlock()
		s.respondError(w, r, f, eerr)
		return
	}
	if f.loginHint != "" {
		if u, ok := s.dir.user(f.loginHint); ok {
			s.trySSO(r, f, u)
		}
	} else if f.prompt != "select_account" {
		if users := s.sessionUsers(r); len(users) == 1 {
			s.trySSO(r, f, users[0])
		}
	}
	if f.prompt == "none" {
		if step := s.nextStep(r, f); step != "" {
			s.mu.Unlock()
			switch {
			case step == stepConsent:
				eerr = errInteractionConsent(app)
			case f.auth == nil:
				eerr = errLoginRequired()
			default:
				eerr = &entraError{code: "interaction_required", aadsts: 50076,
					msg: "Due to a configuration change made by your administrator, you must use multi-factor authentication."}
			}
			s.respondError(w, r, f, eerr)
			return
		}
	}
	s.continueFlow(w, r, f) // unlocks s.mu
}

// validateAuthorizeParams checks the parameters that are reported to the redirect URI.
func validateAuthorizeParams(p url.Values) *entraError {
	if rt := p.Get("response_type"); rt != "code" {
		return errUnsupportedResponseType(rt)
	}
	if _, eerr := parseScope(p.Get("scope")); eerr != nil {
		return eerr
	}
	if _, eerr := parseClaims(p.Get("claims")); eerr != nil {
		return eerr
	}
	if p.Get("code_challenge") == "" {
		return errMissingParam("code_challenge")
	}
	if m := p.Get("code_challenge_method"); m != "S256" {
		return errCodeChallengeMethod(m)
	}
	return nil
}

// issueCode issues the authorization code of a completed flow and returns the response
// parameters. The caller holds s.mu.
func (s *Server) issueCode(f *signInFlow) url.Values {
	code := "1.entratest-code." + randomString(48)
	s.state.codes[code] = &authCode{
		clientID:      f.app.ClientID,
		redirectURI:   f.redirectURI,
		codeChallenge: f.codeChallenge,
		nonce:         f.nonce,
		scope:         f.scope,
		claims:        f.claims,
		tenantSegment: f.tenant.segment,
		auth:          *f.auth,
		expires:       s.now().Add(authCodeLifetime),
	}
	s.addSecret(code)
	v := url.Values{"code": {code}}
	if f.state != "" {
		v.Set("state", f.state)
	}
	return v
}

// respondError sends an error to the redirect URI.
func (s *Server) respondError(w http.ResponseWriter, r *http.Request, f *signInFlow, eerr *entraError) {
	v := url.Values{"error": {eerr.code}, "error_description": {s.errorBody(r, eerr).ErrorDescription}}
	if eerr.suberror != "" {
		v.Set("error_subcode", eerr.suberror)
	}
	if f.state != "" {
		v.Set("state", f.state)
	}
	s.respond(w, r, f, v)
}

// respond sends authorization response parameters to the redirect URI in the flow's
// response mode: an auto-submitting form for form_post, else a 302 redirect.
func (s *Server) respond(w http.ResponseWriter, _ *http.Request, f *signInFlow, v url.Values) {
	if f.responseMode == "form_post" {
		pd := pageData{Step: stepFormPost, Title: "Working...", PostTo: f.redirectURI}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			pd.Fields = append(pd.Fields, field{Name: k, Value: v.Get(k)})
		}
		s.renderPage(w, http.StatusOK, pd)
		return
	}
	u, _ := url.Parse(f.redirectURI) // validated against the registration
	if f.responseMode == "fragment" {
		u.Fragment = v.Encode()
	} else {
		q := u.Query()
		for k, vs := range v {
			q[k] = vs
		}
		u.RawQuery = q.Encode()
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Location", u.String())
	w.WriteHeader(http.StatusFound)
}
