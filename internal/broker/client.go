package broker

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
)

// cancelTimeout bounds the cancelInteractiveFlow sent, in the background,
// after an interactive call's context ended: the caller has already left, and
// the goroutine that sends it closes the connection at this bound whether or
// not the broker answered. A variable for the tests.
var cancelTimeout = 5 * time.Second

// cancelGrace is how long an interactive call whose context ended waits for
// the broker to answer its cancelInteractiveFlow before returning: a broker
// that answers promptly (as brokertest does) has closed its dialog when the
// call returns, and one that ignores the cancellation delays the caller by no
// more than this past its context's end.
const cancelGrace = 100 * time.Millisecond

// restartWait bounds how long a call that found no broker waits for one to
// take the name again (a broker restarting, or being activated), before
// retrying once.
const restartWait = 2 * time.Second

// Client calls the broker. Each call uses a connection of its own to the
// session bus, closed when the call returns: a Client holds no goroutine or
// socket between calls, and the broker may restart between them. A Client is
// safe for concurrent use; its zero value talks to the session bus.
type Client struct {
	// Address is the bus address. Empty means the session bus named by
	// DBUS_SESSION_BUS_ADDRESS, read at each call. The client never starts a
	// bus (no X11 autolaunch).
	Address string
}

// TokenParams is what a token request asks the broker for.
type TokenParams struct {
	ClientID  string
	Authority string // "https://login.microsoftonline.com/<tenant>"
	Scopes    []string
	// Claims is a claims challenge (JSON), sent as decodedClaims.
	Claims string
	// Account is the broker's account: required for silent requests, the
	// account to sign in again for interactive ones.
	Account *Account
	// Username is a login hint for interactive requests without Account.
	Username string
	// Prompt is an OpenID Connect prompt; "select_account" lets the user pick
	// an account, so the request then names none.
	Prompt     string
	DomainHint string
	// ParentWindow is the window the broker's dialog belongs to; zero for
	// none.
	ParentWindow uintptr
	// MSAPassthrough lets personal Microsoft accounts sign in to first-party
	// applications.
	MSAPassthrough bool
}

// Available reports whether a broker can answer on the bus: its name has an
// owner, or the bus can start it on demand. It doesn't introspect (brokers
// 2.0.2 and later can't be introspected) and doesn't start the broker.
func (c *Client) Available(ctx context.Context) (bool, error) {
	conn, err := c.connect(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	return available(ctx, conn)
}

func available(ctx context.Context, conn *dbus.Conn) (bool, error) {
	var owned bool
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, BusName).Store(&owned); err != nil {
		return false, busError(ctx, "NameHasOwner", err)
	}
	if owned {
		return true, nil
	}
	var activatable []string
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.ListActivatableNames", 0).Store(&activatable); err != nil {
		return false, busError(ctx, "ListActivatableNames", err)
	}
	return slices.Contains(activatable, BusName), nil
}

// Version returns the broker's version (getLinuxBrokerVersion).
func (c *Client) Version(ctx context.Context) (string, error) {
	b, err := c.callRetrying(ctx, MethodGetLinuxBrokerVersion, versionRequest{MSALCppVersion: "1.0.0"})
	if err != nil {
		return "", err
	}
	top, err := parseAnswer(MethodGetLinuxBrokerVersion, b)
	if err != nil {
		return "", err
	}
	v, ok := parseString(top["linuxBrokerVersion"])
	if !ok || v == "" {
		return "", badResponse(MethodGetLinuxBrokerVersion, "it has no linuxBrokerVersion")
	}
	return v, nil
}

// Accounts returns the accounts the broker knows, for clientID (getAccounts).
func (c *Client) Accounts(ctx context.Context, clientID string) ([]Account, error) {
	b, err := c.callRetrying(ctx, MethodGetAccounts, getAccountsRequest{ClientID: clientID, RedirectURI: RedirectURI(clientID)})
	if err != nil {
		return nil, err
	}
	top, err := parseAnswer(MethodGetAccounts, b)
	if err != nil {
		return nil, err
	}
	raw, ok := top["accounts"]
	if !ok || isNull(raw) {
		return nil, nil
	}
	var accounts []Account
	if err := json.Unmarshal(raw, &accounts); err != nil {
		return nil, badResponse(MethodGetAccounts, "accounts isn't an array of accounts")
	}
	return accounts, nil
}

// AcquireTokenSilently asks for a token for p.Account without showing
// anything to the user.
func (c *Client) AcquireTokenSilently(ctx context.Context, p TokenParams) (*TokenResult, error) {
	if p.Account == nil {
		return nil, errors.New("broker: a silent request needs an account")
	}
	b, err := c.callRetrying(ctx, MethodAcquireTokenSilently, p.request(false))
	if err != nil {
		return nil, err
	}
	return ParseTokenResponse(MethodAcquireTokenSilently, b)
}

// AcquireTokenInteractively asks the broker to sign the user in. The call has
// no D-Bus timeout: it waits for the user until ctx ends, and then tells the
// broker to close its dialog (cancelInteractiveFlow) and returns ctx's error
// when the broker answered or cancelGrace after ctx ended, whichever is first.
// The cancellation goes on in the background, best effort, for at most
// cancelTimeout.
func (c *Client) AcquireTokenInteractively(ctx context.Context, p TokenParams) (*TokenResult, error) {
	conn, err := c.connect(ctx)
	if err != nil {
		return nil, err
	}
	cancelling := false
	defer func() {
		if !cancelling {
			_ = conn.Close()
		}
	}()
	// The call and its cancellation go to the unique name of the broker
	// instance that shows the dialog: after a restart, the well-known name
	// would send the cancellation to an instance that knows nothing of it.
	owner, err := ownerOf(ctx, conn)
	if err != nil {
		return nil, err
	}
	id := newCorrelationID()
	b, err := call(ctx, conn, owner, MethodAcquireTokenInteractively, id, p.request(true))
	if err != nil {
		if ctx.Err() != nil {
			// The caller's deadline is the deadline: a broker that ignores the
			// cancellation mustn't hold the caller past it.
			cancelling = true
			answered := make(chan struct{})
			go cancelInBackground(ctx, conn, owner, id, cancelTimeout, answered)
			grace := time.NewTimer(cancelGrace)
			defer grace.Stop()
			select {
			case <-answered:
			case <-grace.C:
			}
		}
		return nil, err
	}
	return ParseTokenResponse(MethodAcquireTokenInteractively, b)
}

// cancelInBackground tells the broker instance owner to close the dialog of
// the sign-in id, closes answered when the call ended, and closes conn: when
// the broker answered, or after d, whichever comes first. Closing conn at d
// also ends a send the bus doesn't read, so the goroutine running it ends by
// d.
func cancelInBackground(ctx context.Context, conn *dbus.Conn, owner, id string, d time.Duration, answered chan<- struct{}) {
	defer conn.Close()
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d)
	defer cancel()
	stop := context.AfterFunc(cctx, func() { _ = conn.Close() })
	defer stop()
	_, _ = call(cctx, conn, owner, MethodCancelInteractiveFlow, id, struct{}{})
	close(answered)
}

// RemoveAccount signs the account out of the broker for clientID.
func (c *Client) RemoveAccount(ctx context.Context, clientID string, a Account) error {
	b, err := c.callRetrying(ctx, MethodRemoveAccount, removeAccountRequest{ClientID: clientID, Account: a})
	if err != nil {
		return err
	}
	_, err = parseAnswer(MethodRemoveAccount, b)
	return err
}

// CancelInteractiveFlow tells the broker to end the interactive sign-in of
// the call with the correlation ID.
func (c *Client) CancelInteractiveFlow(ctx context.Context, correlationID string) error {
	conn, err := c.connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	b, err := call(ctx, conn, BusName, MethodCancelInteractiveFlow, correlationID, struct{}{})
	if err != nil {
		return err
	}
	_, err = parseAnswer(MethodCancelInteractiveFlow, b)
	return err
}

// request builds the JSON request of a token method.
func (p TokenParams) request(interactive bool) tokenRequest {
	ap := authParameters{
		Account:           p.Account,
		Authority:         p.Authority,
		AuthorizationType: authorizationTypeOAuth2,
		ClientID:          p.ClientID,
		DecodedClaims:     p.Claims,
		RedirectURI:       RedirectURI(p.ClientID),
		RequestedScopes:   p.Scopes,
		Username:          p.Username,
		UXContextHandle:   NoWindow,
	}
	if ap.RequestedScopes == nil {
		ap.RequestedScopes = []string{}
	}
	if p.Account != nil && ap.Username == "" {
		ap.Username = p.Account.Username
	}
	if p.ParentWindow != 0 {
		ap.UXContextHandle = int64(p.ParentWindow)
	}
	extra := map[string]string{}
	if p.MSAPassthrough {
		extra[msaPassthroughParam] = msaPassthroughValue
	}
	if p.DomainHint != "" && interactive {
		extra["domain_hint"] = p.DomainHint
	}
	if len(extra) > 0 {
		ap.AdditionalQueryParametersForAuthorization = extra
	}
	r := tokenRequest{Account: p.Account}
	if interactive {
		ap.Prompt = p.Prompt
		if p.Prompt == "select_account" {
			// The user picks the account: name none.
			ap.Account, ap.Username, r.Account = nil, "", nil
		}
	}
	r.AuthParameters = ap
	return r
}

// callRetrying calls method on the broker's well-known name, once more if
// the broker wasn't there or left during the call and comes back within
// restartWait. Only idempotent methods use it.
func (c *Client) callRetrying(ctx context.Context, method string, request any) ([]byte, error) {
	conn, err := c.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	b, err := call(ctx, conn, BusName, method, newCorrelationID(), request)
	if err == nil || !(errors.Is(err, ErrUnavailable) || errors.Is(err, ErrBrokerGone)) || ctx.Err() != nil {
		return b, err
	}
	if !waitForOwner(ctx, conn, restartWait) {
		return nil, err
	}
	return call(ctx, conn, BusName, method, newCorrelationID(), request)
}

// waitForOwner waits up to d for the broker's name to have an owner.
func waitForOwner(ctx context.Context, conn *dbus.Conn, d time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		var owned bool
		if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, BusName).Store(&owned); err == nil && owned {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
}

// ownerOf returns the unique name that owns the broker's name, starting the
// broker if the bus can.
func ownerOf(ctx context.Context, conn *dbus.Conn) (string, error) {
	var owner string
	err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.GetNameOwner", 0, BusName).Store(&owner)
	if err == nil {
		return owner, nil
	}
	if ok, aerr := available(ctx, conn); aerr != nil || !ok {
		return "", busError(ctx, "GetNameOwner", err)
	}
	var started uint32
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.StartServiceByName", 0, BusName, uint32(0)).Store(&started); err != nil {
		return "", busError(ctx, "StartServiceByName", err)
	}
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.GetNameOwner", 0, BusName).Store(&owner); err != nil {
		return "", busError(ctx, "GetNameOwner", err)
	}
	return owner, nil
}

// call calls method on dest and returns the broker's answer.
func call(ctx context.Context, conn *dbus.Conn, dest, method, correlationID string, request any) ([]byte, error) {
	req, err := json.Marshal(request)
	if err != nil {
		return nil, fmt.Errorf("broker: encoding the %s request: %w", method, err)
	}
	var resp string
	c := conn.Object(dest, ObjectPath).CallWithContext(ctx, Interface+"."+method, 0, ProtocolVersion, correlationID, string(req))
	if c.Err != nil {
		return nil, busError(ctx, method, c.Err)
	}
	if err := c.Store(&resp); err != nil {
		return nil, badResponse(method, "its reply isn't one string")
	}
	if len(resp) > MaxResponseSize {
		return nil, badResponse(method, fmt.Sprintf("it is larger than %d bytes", MaxResponseSize))
	}
	return []byte(resp), nil
}

// busError explains a failed D-Bus call.
func busError(ctx context.Context, method string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		if cause := context.Cause(ctx); cause != nil && cause != ctxErr {
			return fmt.Errorf("broker: %s: %w: %w", method, ctxErr, cause)
		}
		return fmt.Errorf("broker: %s: %w", method, ctxErr)
	}
	var limit *errConnectionLimit
	if errors.As(err, &limit) {
		return badResponse(method, limit.why)
	}
	var de dbus.Error
	if errors.As(err, &de) {
		detail := de.Name
		if len(de.Body) > 0 {
			if s, ok := de.Body[0].(string); ok && s != "" {
				detail += ": " + s
			}
		}
		switch de.Name {
		case "org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner",
			"org.freedesktop.DBus.Error.UnknownObject":
			return fmt.Errorf("%w (%s: %s)", ErrUnavailable, method, detail)
		case "org.freedesktop.DBus.Error.UnknownMethod", "org.freedesktop.DBus.Error.UnknownInterface":
			return fmt.Errorf("%w (%s: %s)", ErrTooOld, method, detail)
		case "org.freedesktop.DBus.Error.NoReply":
			return fmt.Errorf("%w (%s: %s)", ErrBrokerGone, method, detail)
		}
		return fmt.Errorf("broker: %s: %s", method, detail)
	}
	if errors.Is(err, dbus.ErrClosed) {
		return fmt.Errorf("%w (%s: the bus closed the connection)", ErrUnavailable, method)
	}
	return fmt.Errorf("broker: %s: %w", method, err)
}

// connect opens a connection to the bus, honouring ctx while it dials and
// authenticates; the caller closes it. The connection reads incoming messages
// through a boundedConn, which fails before reading a message larger than
// maxMessageSize.
func (c *Client) connect(ctx context.Context) (*dbus.Conn, error) {
	addr := c.Address
	if addr == "" {
		addr = os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	}
	if strings.TrimSpace(addr) == "" {
		return nil, ErrNoSessionBus
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("broker: connecting to the session bus: %w", err)
	}
	// The connection lives until Close; canceling its context closes it,
	// which unblocks an authentication the bus never answers.
	connCtx, cancel := context.WithCancel(context.Background())
	type result struct {
		conn *dbus.Conn
		err  error
	}
	done := make(chan result, 1)
	go func() {
		conn, err := dialBus(connCtx, addr)
		done <- result{conn, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		cancel()
		r = <-done
		if r.err == nil {
			_ = r.conn.Close()
		}
		return nil, fmt.Errorf("broker: connecting to the session bus: %w", ctx.Err())
	}
	if r.err != nil {
		cancel()
		return nil, fmt.Errorf("%w: connecting to the session bus: %v", ErrUnavailable, r.err)
	}
	context.AfterFunc(r.conn.Context(), cancel) // release connCtx when the conn closes
	return r.conn, nil
}

// newCorrelationID returns a random (version 4) UUID.
func newCorrelationID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
