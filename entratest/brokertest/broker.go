package brokertest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/azinteractive/azinteractive/entratest"
	"github.com/azinteractive/azinteractive/entratest/internal/brokerhook"
	"github.com/godbus/dbus/v5"
)

// The D-Bus address of Microsoft's Linux identity broker, which a [Broker] serves.
const (
	BusName    = "com.microsoft.identity.broker1"
	ObjectPath = "/com/microsoft/identity/broker1"
	Interface  = "com.microsoft.identity.Broker1"
)

// DefaultVersion is what a [Broker]'s getLinuxBrokerVersion reports unless
// [Options].Version says otherwise.
const DefaultVersion = "2.0.4"

// Options configures a [Broker]. A nil *Options, like the zero value, gives
// the defaults.
type Options struct {
	// Version is the broker version getLinuxBrokerVersion reports. Defaults to
	// DefaultVersion.
	Version string
	// DeviceAccount is the username of the account the device is signed in with: the
	// broker knows it from the start, so getAccounts lists it and silent requests for it
	// succeed without a sign-in. Empty means none. [Broker.SetDeviceAccount] changes it.
	DeviceAccount string
	// Unimplemented names broker methods (such as "cancelInteractiveFlow") that the
	// broker doesn't have: calls to them fail with D-Bus's UnknownMethod error, as they
	// would on an older broker.
	Unimplemented []string
}

// Status is the status of a broker error: the MSALRuntime ResponseStatus numbers
// that Microsoft's broker and MSAL use.
type Status int

// Broker statuses.
const (
	StatusUnexpected             Status = brokerhook.StatusUnexpected
	StatusInteractionRequired    Status = brokerhook.StatusInteractionRequired
	StatusNoNetwork              Status = 3
	StatusAPIContractViolation   Status = brokerhook.StatusAPIContractViolation
	StatusUserCanceled           Status = 7
	StatusApplicationCanceled    Status = 8
	StatusIncorrectConfiguration Status = brokerhook.StatusIncorrectConfiguration
	StatusAccountUnusable        Status = brokerhook.StatusAccountUnusable
)

// Error is a failure the broker answers a request with, as the JSON error object
// {"context", "status", "subStatus", "errorCode", "tag"} (members that are zero are left
// out).
type Error struct {
	// Status is the broker's status.
	Status Status
	// SubStatus, ErrorCode (often an AADSTS number) and Tag are further codes.
	SubStatus, ErrorCode, Tag int
	// Context describes the failure.
	Context string
}

// Request is one call the broker received.
type Request struct {
	// Method is the D-Bus method, such as "acquireTokenInteractively".
	Method string
	// ProtocolVersion and CorrelationID are the call's first two arguments.
	ProtocolVersion, CorrelationID string
	// Sender is the caller's unique bus name.
	Sender string
	// Owner is the unique bus name of the broker instance that answered; it changes
	// when the broker restarts.
	Owner string
	// JSON is the request (the third argument) as sent. Broker requests carry no
	// secrets.
	JSON string

	// The members below are read from JSON's authParameters, for token requests.

	// ClientID, Authority and RedirectURI are as sent.
	ClientID, Authority, RedirectURI string
	// Tenant is the authority's tenant (its first path segment).
	Tenant string
	// Scopes are the requestedScopes.
	Scopes []string
	// Claims is the decodedClaims: a claims challenge.
	Claims string
	// Prompt is the prompt, for interactive requests.
	Prompt string
	// Username is the username (the login hint) and HomeAccountID the account's home
	// account ID, when the request names an account.
	Username, HomeAccountID string
	// UXContextHandle is the uxContextHandle: the parent window, or -1 for none.
	UXContextHandle int64
	// AdditionalParameters is additionalQueryParametersForAuthorization; MSA
	// passthrough is msal_request_type=consumer_passthrough.
	AdditionalParameters map[string]string
}

// MSAPassthrough reports whether the request asked for MSA passthrough.
func (r Request) MSAPassthrough() bool {
	return r.AdditionalParameters["msal_request_type"] == "consumer_passthrough"
}

// signInKind is how the emulated user answers the broker's sign-in dialog.
type signInKind int

const (
	signInApprove signInKind = iota // sign in (as signIn.username, or the request's user)
	signInCancel                    // close the dialog
	signInFail                      // the broker fails with signIn.err
	signInHold                      // leave the dialog open
)

type signInPolicy struct {
	kind     signInKind
	username string
	err      Error
}

// Broker is Microsoft's Linux identity broker, emulated: it owns the name
// com.microsoft.identity.broker1 on a D-Bus bus and serves the interface
// com.microsoft.identity.Broker1 (getLinuxBrokerVersion, getAccounts,
// acquireTokenSilently, acquireTokenInteractively, removeAccount,
// cancelInteractiveFlow) with the broker's JSON requests and responses. It answers from
// its [entratest.Server]'s directory and issues tokens with the server's signing key, so broker
// tokens verify with [entratest.Server.VerifyAccessToken] like any other.
//
// The emulated user answers sign-in dialogs as [Broker.SignInAs], [Broker.CancelSignIns],
// [Broker.FailSignIns] or [Broker.HoldSignIns] last said; by default the user signs in
// as the account the request names, else the device account, else entratest.DefaultUsername.
// Like the real broker, it asks for no password: the device vouches for the user.
// Accounts signed in stay known to the broker until removeAccount.
//
// Methods are safe for concurrent use; setup errors panic with a "brokertest:" prefix.
type Broker struct {
	srv  brokerhook.Server
	addr string
	opts Options

	// mu guards the fields below. Code holding mu may call srv, never the reverse.
	mu       sync.Mutex
	conn     *dbus.Conn
	owner    string
	closed   bool
	device   string                    // home account ID of the device account, "" for none
	accounts map[string]*brokerAccount // by home account ID
	order    []string                  // home account IDs, device account first
	signIn   signInPolicy
	dialogs  map[*dialog]bool // open interactive sign-ins
	opened   chan struct{}    // closed, and replaced, when a dialog opens
	canceled map[string]bool  // correlation IDs canceled before their dialog opened
	requests []Request
}

// brokerAccount is an account signed in to the broker.
type brokerAccount = brokerhook.Account

// dialog is an open interactive sign-in, answered by closing done.
type dialog struct {
	correlationID string
	call          *brokerCall
	done          chan struct{}
	answer        string
}

// New connects to the D-Bus bus at busAddress (for example a private bus a test
// started), takes the broker's name there and serves the broker interface until Close.
// It panics if it can't connect or the name is taken.
func New(srv *entratest.Server, busAddress string, opts *Options) *Broker {
	b := &Broker{srv: brokerhook.Of(srv), addr: busAddress, accounts: map[string]*brokerAccount{}, dialogs: map[*dialog]bool{}, canceled: map[string]bool{}, opened: make(chan struct{})}
	if opts != nil {
		b.opts = *opts
	}
	if b.opts.Version == "" {
		b.opts.Version = DefaultVersion
	}
	if b.opts.DeviceAccount != "" {
		b.SetDeviceAccount(b.opts.DeviceAccount)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.start()
	return b
}

// start connects and takes the name. The caller holds b.mu.
func (b *Broker) start() {
	conn, err := dbus.Connect(b.addr)
	if err != nil {
		panic("brokertest: broker: connecting to " + b.addr + ": " + err.Error())
	}
	if err := conn.ExportMethodTable(b.methodTable(), ObjectPath, Interface); err != nil {
		_ = conn.Close()
		panic("brokertest: broker: exporting the interface: " + err.Error())
	}
	reply, err := conn.RequestName(BusName, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		_ = conn.Close()
		panic(fmt.Sprintf("brokertest: broker: can't own %s (reply %d): %v", BusName, reply, err))
	}
	b.conn = conn
	b.owner = conn.Names()[0]
	b.srv.Logf("broker: serving %s as %s", BusName, b.owner)
}

// stop leaves the bus and ends open sign-ins, as a broker process exiting would: their
// callers get D-Bus's NoReply error, not an answer. The caller holds b.mu.
func (b *Broker) stop() {
	if b.conn != nil {
		// Releasing the name first makes the bus forget the owner before Close
		// returns; a disconnection alone is processed whenever the bus gets to it.
		_, _ = b.conn.ReleaseName(BusName)
		_ = b.conn.Close()
		b.conn = nil
	}
	// The connection is gone, so these answers go nowhere; they end the goroutines
	// that wait for them.
	b.answerDialogs(errorJSON(true, Error{Status: StatusApplicationCanceled, Context: "The broker stopped."}))
}

// Close leaves the bus, releasing the name, and ends open sign-ins (their callers get
// D-Bus's NoReply error). It may be called more than once.
func (b *Broker) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.closed = true
	b.stop()
}

// Restart models the broker process restarting: it leaves the bus (open sign-ins end,
// their callers get D-Bus's NoReply error) and takes the name again on a new connection,
// so the name has a new unique owner. Signed-in accounts survive, as the real broker
// keeps them on disk. It returns the new owner.
func (b *Broker) Restart() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		panic("brokertest: Broker.Restart after Close")
	}
	old := b.owner
	b.stop()
	b.start()
	b.srv.Logf("broker: restarted (%s, was %s)", b.owner, old)
	return b.owner
}

// Owner returns the unique bus name that owns the broker's name.
func (b *Broker) Owner() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.owner
}

// SetDeviceAccount makes username the account the device is signed in with (see
// [Options].DeviceAccount); "" means none. It panics if the user doesn't exist.
func (b *Broker) SetDeviceAccount(username string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if username == "" {
		b.device = ""
		return
	}
	u := b.mustUser("SetDeviceAccount", username)
	home := u.ObjectID + "." + u.TenantID
	if _, ok := b.accounts[home]; !ok {
		b.accounts[home] = &brokerAccount{OID: u.ObjectID, HomeTenant: u.TenantID, AuthTime: b.srv.Now()}
	}
	b.order = slices.DeleteFunc(b.order, func(h string) bool { return h == home })
	b.order = slices.Insert(b.order, 0, home)
	b.device = home
}

// SignInAs makes the emulated user sign in as username in every open and later sign-in
// dialog. It panics if the user doesn't exist.
func (b *Broker) SignInAs(username string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.mustUser("SignInAs", username)
	b.setPolicy(signInPolicy{kind: signInApprove, username: username})
}

// CancelSignIns makes the emulated user close every open and later sign-in dialog: the
// broker answers with status UserCanceled.
func (b *Broker) CancelSignIns() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.setPolicy(signInPolicy{kind: signInCancel})
}

// FailSignIns makes every open and later interactive request fail with e.
func (b *Broker) FailSignIns(e Error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.setPolicy(signInPolicy{kind: signInFail, err: e})
}

// HoldSignIns leaves later sign-in dialogs open: the interactive call doesn't return
// until cancelInteractiveFlow, another of these methods, Restart or Close ends it.
func (b *Broker) HoldSignIns() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.signIn = signInPolicy{kind: signInHold}
}

// OpenDialogs returns how many interactive sign-ins are waiting for the user.
func (b *Broker) OpenDialogs() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.dialogs)
}

// WaitForDialog waits until an interactive sign-in is waiting for the user (see
// HoldSignIns), or ctx ends.
func (b *Broker) WaitForDialog(ctx context.Context) error {
	for {
		b.mu.Lock()
		n, opened := len(b.dialogs), b.opened
		b.mu.Unlock()
		if n > 0 {
			return nil
		}
		select {
		case <-opened:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Requests returns the calls the broker received, oldest first.
func (b *Broker) Requests() []Request {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.requests)
}

// ResetRequests forgets the calls received so far.
func (b *Broker) ResetRequests() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.requests = nil
}

// Accounts returns the usernames of the accounts signed in to the broker, the device
// account first.
func (b *Broker) Accounts() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var names []string
	for _, home := range b.order {
		if u, ok := b.userOf(b.accounts[home]); ok {
			names = append(names, u.Username)
		}
	}
	return names
}

// setPolicy sets the sign-in policy and applies it to open dialogs. The caller holds b.mu.
func (b *Broker) setPolicy(p signInPolicy) {
	b.signIn = p
	for d := range b.dialogs {
		b.answer(d, b.interactiveAnswer(d.call, p))
	}
}

// answerDialogs ends every open dialog with answer. The caller holds b.mu.
func (b *Broker) answerDialogs(answer string) {
	for d := range b.dialogs {
		b.answer(d, answer)
	}
}

func (b *Broker) answer(d *dialog, answer string) {
	delete(b.dialogs, d)
	d.answer = answer
	close(d.done)
}

func (b *Broker) mustUser(method, username string) brokerhook.User {
	u, ok := b.srv.User(username)
	if !ok {
		panic("brokertest: Broker." + method + ": unknown user " + username)
	}
	return u
}

// userOf returns the directory's user of a broker account. The caller holds b.mu.
func (b *Broker) userOf(a *brokerAccount) (brokerhook.User, bool) {
	if a == nil {
		return brokerhook.User{}, false
	}
	return b.srv.UserByOID(a.OID)
}

// errorJSON is the broker's answer for a failure: inside brokerTokenResponse for token
// methods, at the top otherwise (as himmelblau's broker daemon answers).
func errorJSON(tokenMethod bool, e Error) string {
	obj := map[string]any{"context": e.Context, "status": int(e.Status)}
	for k, v := range map[string]int{"subStatus": e.SubStatus, "errorCode": e.ErrorCode, "tag": e.Tag} {
		if v != 0 {
			obj[k] = v
		}
	}
	var v any = map[string]any{"error": obj}
	if tokenMethod {
		v = map[string]any{"brokerTokenResponse": v}
	}
	out, err := json.Marshal(v)
	if err != nil {
		panic("brokertest: broker: " + err.Error())
	}
	return string(out)
}

// hostOf returns the host of an authority URL, "" if it isn't one.
func hostOf(authority string) string {
	rest, ok := strings.CutPrefix(authority, "https://")
	if !ok {
		return ""
	}
	host, _, _ := strings.Cut(rest, "/")
	return host
}
