package broker

import (
	"cmp"
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

// cancelTimeout bounds the background cancelInteractiveFlow sent after an
// interactive call's context ended. A variable for the tests.
var cancelTimeout = 5 * time.Second

// cancelGrace bounds how long an ended interactive call waits for the broker
// to answer its cancellation: long enough for a prompt broker's dialog to close.
const cancelGrace = 100 * time.Millisecond

// restartWait bounds how long a call that found no broker waits for one to
// take the name (restarting, or being activated) before retrying once.
const restartWait = 2 * time.Second

// Client calls the broker, each call on a connection of its own, so the
// broker may restart between calls. A Client is safe for concurrent use; its
// zero value talks to the session bus.
type Client struct {
	// Address is the bus address; empty means DBUS_SESSION_BUS_ADDRESS,
	// read at each call. The client never starts a bus (no X11 autolaunch).
	Address string
}

// TokenParams is what a token request asks the broker for.
type TokenParams struct {
	ClientID  string
	Authority string // "https://login.microsoftonline.com/<tenant>"
	Scopes    []string
	// Claims is a claims challenge (JSON), sent as decodedClaims.
	Claims string
	// Account is required for silent requests; interactive ones sign it in again.
	Account *Account
	// Username is a login hint for interactive requests without Account.
	Username string
	// Prompt is an OpenID Connect prompt; "select_account" names no account.
	Prompt     string
	DomainHint string
	// ParentWindow is the window the broker's dialog belongs to, or zero.
	ParentWindow uintptr
	// MSAPassthrough lets personal Microsoft accounts sign in to first-party apps.
	MSAPassthrough bool
}

// Available reports whether a broker can answer on the bus: its name has an
// owner, or the bus can start it on demand. It doesn't start the broker.
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
	if err := busCall(ctx, conn, "NameHasOwner", &owned, BusName); err != nil || owned {
		return owned, err
	}
	var activatable []string
	err := busCall(ctx, conn, "ListActivatableNames", &activatable)
	return err == nil && slices.Contains(activatable, BusName), err
}

// busCall calls a method of the bus itself.
func busCall(ctx context.Context, conn *dbus.Conn, method string, out any, args ...any) error {
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus."+method, 0, args...).Store(out); err != nil {
		return busError(ctx, method, err)
	}
	return nil
}

// Version returns the broker's version (getLinuxBrokerVersion).
func (c *Client) Version(ctx context.Context) (string, error) {
	top, err := c.callRetrying(ctx, MethodGetLinuxBrokerVersion, map[string]string{"msalCppVersion": "1.0.0"})
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
	top, err := c.callRetrying(ctx, MethodGetAccounts, map[string]string{"clientId": clientID, "redirectUri": RedirectURI(clientID)})
	if err != nil {
		return nil, err
	}
	var accounts []Account
	if raw, ok := top["accounts"]; ok && json.Unmarshal(raw, &accounts) != nil {
		return nil, badResponse(MethodGetAccounts, "accounts isn't an array of accounts")
	}
	return accounts, nil
}

// AcquireTokenSilently asks for a token for p.Account without a dialog.
func (c *Client) AcquireTokenSilently(ctx context.Context, p TokenParams) (*TokenResult, error) {
	if p.Account == nil {
		return nil, errors.New("broker: a silent request needs an account")
	}
	top, err := c.callRetrying(ctx, MethodAcquireTokenSilently, p.request(false))
	if err != nil {
		return nil, err
	}
	return tokenResult(MethodAcquireTokenSilently, top)
}

// AcquireTokenInteractively asks the broker to sign the user in, waiting for
// the user until ctx ends. Then it tells the broker to close its dialog
// (cancelInteractiveFlow, in the background for at most cancelTimeout) and
// returns ctx's error once the broker answered or after cancelGrace.
func (c *Client) AcquireTokenInteractively(ctx context.Context, p TokenParams) (*TokenResult, error) {
	conn, err := c.connect(ctx)
	if err != nil {
		return nil, err
	}
	// Both go to the unique name of the instance showing the dialog: after a
	// restart, the well-known name would reach one that knows nothing of it.
	owner, err := ownerOf(ctx, conn)
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	id := newCorrelationID()
	b, err := call(ctx, conn, owner, MethodAcquireTokenInteractively, id, p.request(true))
	if err != nil && ctx.Err() != nil {
		answered := make(chan struct{})
		go cancelInBackground(ctx, conn, owner, id, cancelTimeout, answered) // closes conn
		select {
		case <-answered:
		case <-time.After(cancelGrace):
		}
		return nil, err
	}
	_ = conn.Close()
	if err != nil {
		return nil, err
	}
	return ParseTokenResponse(MethodAcquireTokenInteractively, b)
}

// cancelInBackground tells owner to close sign-in id's dialog, closes answered
// when it answers, and closes conn by d, ending a send the bus doesn't read.
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
	_, err := c.callRetrying(ctx, MethodRemoveAccount, map[string]any{"clientId": clientID, "account": a})
	return err
}

func (p TokenParams) request(interactive bool) tokenRequest {
	ap := authParameters{
		Account:           p.Account,
		Authority:         p.Authority,
		AuthorizationType: 8, // OAuth 2
		ClientID:          p.ClientID,
		DecodedClaims:     p.Claims,
		RedirectURI:       RedirectURI(p.ClientID),
		RequestedScopes:   append([]string{}, p.Scopes...), // an array even when empty
		Username:          p.Username,
		UXContextHandle:   NoWindow,
	}
	if p.Account != nil && ap.Username == "" {
		ap.Username = p.Account.Username
	}
	if p.ParentWindow != 0 {
		ap.UXContextHandle = int64(p.ParentWindow)
	}
	extra := map[string]string{}
	if p.MSAPassthrough {
		extra["msal_request_type"] = "consumer_passthrough"
	}
	if p.DomainHint != "" && interactive {
		extra["domain_hint"] = p.DomainHint
	}
	ap.AdditionalQueryParametersForAuthorization = extra // omitted when empty
	if interactive {
		ap.Prompt = p.Prompt
		if p.Prompt == "select_account" {
			ap.Account, ap.Username = nil, ""
		}
	}
	return tokenRequest{Account: ap.Account, AuthParameters: ap}
}

// callRetrying calls method on the broker's well-known name, once more if
// the broker wasn't there or left during the call and comes back within
// restartWait, and parses its answer. Only idempotent methods use it.
func (c *Client) callRetrying(ctx context.Context, method string, request any) (map[string]json.RawMessage, error) {
	conn, err := c.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	b, err := call(ctx, conn, BusName, method, newCorrelationID(), request)
	if err != nil && (errors.Is(err, ErrUnavailable) || errors.Is(err, ErrBrokerGone)) && ctx.Err() == nil && waitForOwner(ctx, conn, restartWait) {
		b, err = call(ctx, conn, BusName, method, newCorrelationID(), request)
	}
	if err != nil {
		return nil, err
	}
	return parseAnswer(method, b)
}

func waitForOwner(ctx context.Context, conn *dbus.Conn, d time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		var owned bool
		if busCall(ctx, conn, "NameHasOwner", &owned, BusName) == nil && owned {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
}

// ownerOf returns the broker's unique name, starting the broker if the bus can.
func ownerOf(ctx context.Context, conn *dbus.Conn) (string, error) {
	var owner string
	err := busCall(ctx, conn, "GetNameOwner", &owner, BusName)
	if err == nil {
		return owner, nil
	}
	if ok, aerr := available(ctx, conn); aerr != nil || !ok {
		return "", err
	}
	var started uint32
	if err = busCall(ctx, conn, "StartServiceByName", &started, BusName, uint32(0)); err == nil {
		err = busCall(ctx, conn, "GetNameOwner", &owner, BusName)
	}
	return owner, err
}

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
	return []byte(resp), nil // parseAnswer checks its size
}

// busErrors are the sentinels of the bus's errors (org.freedesktop.DBus.Error.*).
var busErrors = map[string]error{
	"ServiceUnknown": ErrUnavailable, "NameHasNoOwner": ErrUnavailable, "UnknownObject": ErrUnavailable,
	"UnknownMethod": ErrTooOld, "UnknownInterface": ErrTooOld,
	"NoReply": ErrBrokerGone,
}

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
		if sentinel, ok := busErrors[strings.TrimPrefix(de.Name, "org.freedesktop.DBus.Error.")]; ok {
			return fmt.Errorf("%w (%s: %s)", sentinel, method, detail)
		}
		return fmt.Errorf("broker: %s: %s", method, detail)
	}
	if errors.Is(err, dbus.ErrClosed) {
		return fmt.Errorf("%w (%s: the bus closed the connection)", ErrUnavailable, method)
	}
	return fmt.Errorf("broker: %s: %w", method, err)
}

// connect dials (dialBus), honouring ctx until connected; the caller closes it.
func (c *Client) connect(ctx context.Context) (*dbus.Conn, error) {
	addr := cmp.Or(c.Address, os.Getenv("DBUS_SESSION_BUS_ADDRESS"))
	if strings.TrimSpace(addr) == "" {
		return nil, ErrNoSessionBus
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("broker: connecting to the session bus: %w", err)
	}
	// The connection outlives ctx; canceling connCtx closes it, which also
	// unblocks an authentication the bus never answers.
	connCtx, cancel := context.WithCancel(context.Background())
	stop := context.AfterFunc(ctx, cancel)
	conn, err := dialBus(connCtx, addr)
	if !stop() {
		if err == nil {
			_ = conn.Close()
		}
		return nil, fmt.Errorf("broker: connecting to the session bus: %w", ctx.Err())
	}
	if err != nil {
		cancel()
		return nil, fmt.Errorf("%w: connecting to the session bus: %v", ErrUnavailable, err)
	}
	context.AfterFunc(conn.Context(), cancel) // release connCtx when the conn closes
	return conn, nil
}

// newCorrelationID returns a random (version 4) UUID.
func newCorrelationID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
