package brokertest

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/azinteractive/azinteractive/entratest"
	"github.com/azinteractive/azinteractive/entratest/internal/brokerhook"
	"github.com/godbus/dbus/v5"
)

// brokerWireRequest is any broker request: token requests have authParameters, the
// others clientId and an account.
type brokerWireRequest struct {
	Account        *brokerhook.WireAccount    `json:"account"`
	AuthParameters *brokerhook.AuthParameters `json:"authParameters"`
	ClientID       string                     `json:"clientId"`
	RedirectURI    string                     `json:"redirectUri"`
}

// homeAccountID is the account the request names, "" for none.
func (w *brokerWireRequest) homeAccountID() string {
	if w.AuthParameters != nil && w.AuthParameters.Account != nil && w.AuthParameters.Account.HomeAccountID != "" {
		return w.AuthParameters.Account.HomeAccountID
	}
	if w.Account != nil {
		return w.Account.HomeAccountID
	}
	return ""
}

// brokerHandler answers one method; it runs with b.mu held and returns the JSON answer.
type brokerHandler func(b *Broker, call *brokerCall) string

// brokerCall is one received call.
type brokerCall struct {
	req  Request
	wire brokerWireRequest
}

var brokerMethods = map[string]brokerHandler{
	"getLinuxBrokerVersion":     (*Broker).getLinuxBrokerVersion,
	"getAccounts":               (*Broker).getAccounts,
	"acquireTokenSilently":      (*Broker).acquireTokenSilently,
	"acquireTokenInteractively": nil, // may wait for the user: see serve
	"removeAccount":             (*Broker).removeAccount,
	"cancelInteractiveFlow":     (*Broker).cancelInteractiveFlow,
	"acquirePrtSsoCookie":       (*Broker).notEmulated,
	"generateSignedHttpRequest": (*Broker).notEmulated,
}

// methodTable is what the broker exports: every method but the unimplemented ones.
func (b *Broker) methodTable() map[string]any {
	table := map[string]any{}
	for name := range brokerMethods {
		if slices.Contains(b.opts.Unimplemented, name) {
			continue
		}
		table[name] = func(sender dbus.Sender, protocolVersion, correlationID, request string) (string, *dbus.Error) {
			return b.serve(name, string(sender), protocolVersion, correlationID, request), nil
		}
	}
	return table
}

// serve records a call and answers it.
func (b *Broker) serve(method, sender, protocolVersion, correlationID, request string) string {
	c := &brokerCall{req: Request{Method: method, ProtocolVersion: protocolVersion,
		CorrelationID: correlationID, Sender: sender, JSON: request}}
	parseErr := json.Unmarshal([]byte(request), &c.wire)
	c.req.fill(&c.wire)

	b.mu.Lock()
	c.req.Owner = b.owner
	b.requests = append(b.requests, c.req)
	b.srv.Logf("broker: %s from %s (correlation ID %s)", method, sender, correlationID)
	tokenMethod := strings.HasPrefix(method, "acquireToken")
	switch {
	case parseErr != nil:
		b.mu.Unlock()
		return errorJSON(tokenMethod, Error{Status: StatusAPIContractViolation, Context: "The request isn't a JSON object: " + parseErr.Error()})
	case tokenMethod && (c.wire.AuthParameters == nil || c.wire.AuthParameters.ClientID == ""):
		b.mu.Unlock()
		return errorJSON(true, Error{Status: StatusAPIContractViolation, Context: "The request has no authParameters.clientId."})
	case method != "acquireTokenInteractively":
		defer b.mu.Unlock()
		return brokerMethods[method](b, c)
	}
	if b.canceled[correlationID] {
		delete(b.canceled, correlationID)
		b.mu.Unlock()
		return errApplicationCanceled()
	}
	d := &dialog{correlationID: correlationID, call: c, done: make(chan struct{})}
	if b.signIn.kind != signInHold {
		answer := b.interactiveAnswer(c, b.signIn)
		b.mu.Unlock()
		return answer
	}
	b.dialogs[d] = true
	close(b.opened)
	b.opened = make(chan struct{})
	b.srv.Logf("broker: sign-in dialog open (correlation ID %s)", correlationID)
	b.mu.Unlock()
	<-d.done
	return d.answer
}

// fill reads the token request members of w into r.
func (r *Request) fill(w *brokerWireRequest) {
	r.ClientID, r.RedirectURI = w.ClientID, w.RedirectURI
	r.HomeAccountID = w.homeAccountID()
	r.UXContextHandle = -1
	ap := w.AuthParameters
	if ap == nil {
		return
	}
	r.ClientID, r.Authority, r.RedirectURI = ap.ClientID, ap.Authority, ap.RedirectURI
	if _, tenant, ok := brokerhook.SplitAuthority(ap.Authority); ok {
		r.Tenant = tenant
	}
	r.Scopes = slices.Clone(ap.RequestedScopes)
	r.Claims, r.Prompt, r.Username = ap.DecodedClaims, ap.Prompt, ap.Username
	if ap.UXContextHandle != nil {
		r.UXContextHandle = *ap.UXContextHandle
	}
	if len(ap.Additional) > 0 {
		r.AdditionalParameters = make(map[string]string, len(ap.Additional))
		for k, v := range ap.Additional {
			r.AdditionalParameters[k] = v
		}
	}
}

func (b *Broker) getLinuxBrokerVersion(*brokerCall) string {
	out, _ := json.Marshal(map[string]string{"linuxBrokerVersion": b.opts.Version})
	return string(out)
}

func (b *Broker) getAccounts(*brokerCall) string {
	accounts := []map[string]any{}
	for _, home := range b.order {
		a := b.accounts[home]
		if u, ok := b.userOf(a); ok {
			accounts = append(accounts, brokerhook.AccountJSON(u, a.HomeTenant, hostOf(b.srv.URL())))
		}
	}
	out, _ := json.Marshal(map[string]any{"accounts": accounts})
	return string(out)
}

func (b *Broker) acquireTokenSilently(c *brokerCall) string {
	home := c.wire.homeAccountID()
	a, ok := b.accounts[home]
	if home == "" || !ok {
		return errorJSON(true, Error{Status: StatusInteractionRequired,
			Context: "No account is signed in to the broker as the request names; sign in interactively."})
	}
	return b.issue(c.wire.AuthParameters, a, false)
}

func (b *Broker) removeAccount(c *brokerCall) string {
	home := c.wire.homeAccountID()
	if _, ok := b.accounts[home]; ok {
		delete(b.accounts, home)
		b.order = slices.DeleteFunc(b.order, func(h string) bool { return h == home })
		if b.device == home {
			b.device = ""
		}
	}
	return "{}"
}

func (b *Broker) cancelInteractiveFlow(c *brokerCall) string {
	found := false
	for d := range b.dialogs {
		if d.correlationID == c.req.CorrelationID {
			found = true
			b.srv.Logf("broker: sign-in canceled by the application (correlation ID %s)", d.correlationID)
			b.answer(d, errApplicationCanceled())
		}
	}
	if !found {
		// D-Bus handles calls concurrently: the cancellation may overtake the
		// sign-in it cancels.
		b.canceled[c.req.CorrelationID] = true
	}
	return "{}"
}

func errApplicationCanceled() string {
	return errorJSON(true, Error{Status: StatusApplicationCanceled, Context: "The application canceled the sign-in."})
}

func (b *Broker) notEmulated(c *brokerCall) string {
	return errorJSON(false, Error{Status: StatusUnexpected, Context: "brokertest doesn't emulate " + c.req.Method + "."})
}

// interactiveAnswer answers an interactive request as the policy says. The caller holds
// b.mu.
func (b *Broker) interactiveAnswer(c *brokerCall, p signInPolicy) string {
	switch p.kind {
	case signInCancel:
		b.srv.Logf("broker: the user closed the sign-in dialog")
		return errorJSON(true, Error{Status: StatusUserCanceled, Context: "The user canceled the sign-in."})
	case signInFail:
		return errorJSON(true, p.err)
	}
	ap := c.wire.AuthParameters
	username := p.username
	if username == "" {
		username = b.requestedUser(c)
	}
	u, ok := b.srv.User(username)
	if !ok {
		return errorJSON(true, Error{Status: StatusInteractionRequired, ErrorCode: 50034,
			Context: "AADSTS50034: The user account " + username + " does not exist."})
	}
	home := u.ObjectID + "." + u.TenantID
	a, known := b.accounts[home]
	if ap.Prompt == "none" && !known {
		return errorJSON(true, Error{Status: StatusInteractionRequired, ErrorCode: 50058,
			Context: b.srv.LoginRequired()})
	}
	if !known {
		a = &brokerAccount{OID: u.ObjectID, HomeTenant: u.TenantID}
	}
	answer, ok := b.issueChecked(ap, a, true)
	if ok && !known {
		b.accounts[home] = a
		b.order = append(b.order, home)
	}
	if ok {
		b.srv.Logf("broker: %s signed in", u.Username)
	}
	return answer
}

// requestedUser is who signs in when no policy names a user: the request's account or
// login hint, else the device account, else entratest.DefaultUsername. The caller holds b.mu.
func (b *Broker) requestedUser(c *brokerCall) string {
	if ap := c.wire.AuthParameters; ap != nil && ap.Username != "" {
		return ap.Username
	}
	if home := c.wire.homeAccountID(); home != "" {
		if u, ok := b.userOf(b.accounts[home]); ok {
			return u.Username
		}
	}
	if u, ok := b.userOf(b.accounts[b.device]); ok {
		return u.Username
	}
	return entratest.DefaultUsername
}
