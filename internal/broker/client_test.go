package broker_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/azinteractive/azinteractive/entratest"
	"github.com/azinteractive/azinteractive/entratest/brokertest"
	"github.com/azinteractive/azinteractive/internal/broker"
	"github.com/azinteractive/azinteractive/internal/broker/bustest"
	"github.com/godbus/dbus/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// TestMain checks that clients, buses and emulated brokers leave no goroutines
// behind. Started by startHugeAnswerBroker, the test binary is instead a
// broker in a process of its own.
func TestMain(m *testing.M) {
	if addr := os.Getenv(hugeAnswerBusEnv); addr != "" {
		os.Exit(serveHugeAnswer(addr))
	}
	goleak.VerifyTestMain(m)
}

const armScope = "https://management.azure.com/.default"

type env struct {
	srv    *entratest.Server
	broker *brokertest.Broker
	client *broker.Client
	addr   string
}

func newEnv(t *testing.T, opts *brokertest.Options) *env {
	t.Helper()
	addr := bustest.Start(t)
	srv := entratest.NewServer(nil)
	t.Cleanup(srv.Close)
	b := brokertest.New(srv, addr, opts)
	t.Cleanup(b.Close)
	return &env{srv: srv, broker: b, client: &broker.Client{Address: addr}, addr: addr}
}

func (e *env) params(account *broker.Account) broker.TokenParams {
	return broker.TokenParams{
		ClientID:  entratest.DefaultClientID,
		Authority: e.srv.URL() + "/organizations",
		Scopes:    []string{armScope},
		Account:   account,
	}
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestAvailable(t *testing.T) {
	ctx := ctxFor(t)
	addr := bustest.Start(t)
	c := &broker.Client{Address: addr}
	ok, err := c.Available(ctx)
	require.NoError(t, err)
	assert.False(t, ok, "an empty bus has no broker")

	srv := entratest.NewServer(nil)
	defer srv.Close()
	b := brokertest.New(srv, addr, nil)
	ok, err = c.Available(ctx)
	require.NoError(t, err)
	assert.True(t, ok)

	b.Close()
	ok, err = c.Available(ctx)
	require.NoError(t, err)
	assert.False(t, ok, "the broker left")
	assert.Empty(t, b.Requests(), "availability is a question to the bus, not to the broker")
}

func TestNoSessionBus(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	var c broker.Client
	ok, err := c.Available(ctxFor(t))
	assert.False(t, ok)
	require.ErrorIs(t, err, broker.ErrUnavailable)
	assert.Contains(t, err.Error(), "DBUS_SESSION_BUS_ADDRESS")

	_, err = (&broker.Client{Address: "unix:path=/nonexistent/bus"}).Accounts(ctxFor(t), entratest.DefaultClientID)
	require.ErrorIs(t, err, broker.ErrUnavailable)
}

func TestSessionBusFromEnvironment(t *testing.T) {
	addr := bustest.SetSession(t)
	srv := entratest.NewServer(nil)
	defer srv.Close()
	b := brokertest.New(srv, addr, &brokertest.Options{Version: "2.5.2"})
	defer b.Close()
	var c broker.Client // the zero value reads DBUS_SESSION_BUS_ADDRESS
	v, err := c.Version(ctxFor(t))
	require.NoError(t, err)
	assert.Equal(t, "2.5.2", v)
	reqs := b.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, broker.MethodGetLinuxBrokerVersion, reqs[0].Method)
	assert.Equal(t, "0.0", reqs[0].ProtocolVersion)
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, reqs[0].CorrelationID)
}

func TestInteractiveThenSilent(t *testing.T) {
	e := newEnv(t, nil)
	ctx := ctxFor(t)
	accounts, err := e.client.Accounts(ctx, entratest.DefaultClientID)
	require.NoError(t, err)
	assert.Empty(t, accounts)

	p := e.params(nil)
	p.Username = entratest.DefaultUsername
	p.ParentWindow = 0x4a00007
	p.Prompt = "login"
	r, err := e.client.AcquireTokenInteractively(ctx, p)
	require.NoError(t, err)
	claims, err := e.srv.VerifyAccessToken(r.AccessToken)
	require.NoError(t, err, "broker tokens verify like any other")
	assert.Equal(t, "https://management.azure.com", claims["aud"])
	assert.Equal(t, entratest.DefaultUserObjectID, claims["oid"])
	assert.Equal(t, "Bearer", r.TokenType)
	assert.Equal(t, []string{armScope}, r.GrantedScopes)
	exp, ok := claims["exp"].(float64)
	require.True(t, ok, "exp is a number: %v", claims["exp"])
	assert.True(t, r.ExpiresOn.Equal(time.Unix(int64(exp), 0)), "expiresOn (ms) %s, exp %v", r.ExpiresOn, exp)
	assert.Equal(t, entratest.DefaultUserObjectID+"."+entratest.DefaultTenantID, r.Account.HomeAccountID)
	assert.Equal(t, entratest.DefaultUsername, r.Account.Username)
	assert.Equal(t, entratest.DefaultTenantID, r.Account.Realm)

	req := e.broker.Requests()[1]
	assert.Equal(t, broker.MethodAcquireTokenInteractively, req.Method)
	assert.Equal(t, int64(0x4a00007), req.UXContextHandle, "the parent window travels as uxContextHandle")
	assert.Equal(t, "login", req.Prompt)
	assert.Equal(t, entratest.DefaultUsername, req.Username)
	assert.Equal(t, "ms-appx-web://Microsoft.AAD.BrokerPlugin/"+entratest.DefaultClientID, req.RedirectURI)
	assert.Equal(t, "organizations", req.Tenant)
	assert.False(t, req.MSAPassthrough())
	var wire map[string]any
	require.NoError(t, json.Unmarshal([]byte(req.JSON), &wire))
	ap := wire["authParameters"].(map[string]any)
	assert.EqualValues(t, 8, ap["authorizationType"])
	assert.Equal(t, []any{armScope}, ap["requestedScopes"])

	accounts, err = e.client.Accounts(ctx, entratest.DefaultClientID)
	require.NoError(t, err)
	require.Len(t, accounts, 1)
	r2, err := e.client.AcquireTokenSilently(ctx, e.params(&accounts[0]))
	require.NoError(t, err)
	_, err = e.srv.VerifyAccessToken(r2.AccessToken)
	require.NoError(t, err)
	silent := e.broker.Requests()[3]
	assert.Equal(t, broker.MethodAcquireTokenSilently, silent.Method)
	assert.Equal(t, accounts[0].HomeAccountID, silent.HomeAccountID)
	assert.Equal(t, int64(-1), silent.UXContextHandle, "no window: -1, as public clients send")
}

func TestSilentWithoutSignIn(t *testing.T) {
	e := newEnv(t, nil)
	_, err := e.client.AcquireTokenSilently(ctxFor(t), e.params(&broker.Account{HomeAccountID: "nobody.nowhere", Username: "nobody@contoso.com"}))
	var be *broker.Error
	require.ErrorAs(t, err, &be)
	assert.True(t, be.InteractionRequired())
	assert.Equal(t, broker.MethodAcquireTokenSilently, be.Method)

	_, err = e.client.AcquireTokenSilently(ctxFor(t), e.params(nil))
	require.Error(t, err, "a silent request needs an account")
}

func TestDeviceAccount(t *testing.T) {
	e := newEnv(t, &brokertest.Options{DeviceAccount: entratest.DefaultUsername})
	ctx := ctxFor(t)
	accounts, err := e.client.Accounts(ctx, entratest.DefaultClientID)
	require.NoError(t, err)
	require.Len(t, accounts, 1)
	assert.Equal(t, entratest.DefaultUsername, accounts[0].Username)
	r, err := e.client.AcquireTokenSilently(ctx, e.params(&accounts[0]))
	require.NoError(t, err)
	_, err = e.srv.VerifyAccessToken(r.AccessToken)
	require.NoError(t, err)

	require.NoError(t, e.client.RemoveAccount(ctx, entratest.DefaultClientID, accounts[0]))
	accounts, err = e.client.Accounts(ctx, entratest.DefaultClientID)
	require.NoError(t, err)
	assert.Empty(t, accounts)
	remove := e.broker.Requests()[2]
	assert.Equal(t, broker.MethodRemoveAccount, remove.Method)
	assert.Equal(t, entratest.DefaultClientID, remove.ClientID)
	assert.Equal(t, entratest.DefaultUserObjectID+"."+entratest.DefaultTenantID, remove.HomeAccountID)
}

func TestInteractiveOutcomes(t *testing.T) {
	for _, tt := range []struct {
		name   string
		set    func(b *brokertest.Broker)
		status broker.Status
		code   int64
	}{
		{"user cancels", (*brokertest.Broker).CancelSignIns, broker.StatusUserCanceled, 0},
		{"broker fails", func(b *brokertest.Broker) {
			b.FailSignIns(brokertest.Error{Status: brokertest.StatusNoNetwork, ErrorCode: 1234, Tag: 77, Context: "offline"})
		}, broker.StatusNoNetwork, 1234},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			tt.set(e.broker)
			_, err := e.client.AcquireTokenInteractively(ctxFor(t), e.params(nil))
			var be *broker.Error
			require.ErrorAs(t, err, &be)
			assert.Equal(t, tt.status, be.Status)
			assert.Equal(t, tt.code, be.ErrorCode)
			assert.Equal(t, tt.status == broker.StatusUserCanceled, be.Canceled())
		})
	}
}

func TestInteractiveSelectAccountNamesNone(t *testing.T) {
	e := newEnv(t, &brokertest.Options{DeviceAccount: entratest.DefaultUsername})
	ctx := ctxFor(t)
	accounts, err := e.client.Accounts(ctx, entratest.DefaultClientID)
	require.NoError(t, err)
	p := e.params(&accounts[0])
	p.Prompt = "select_account"
	p.MSAPassthrough = true
	_, err = e.client.AcquireTokenInteractively(ctx, p)
	require.NoError(t, err)
	req := e.broker.Requests()[1]
	assert.Empty(t, req.HomeAccountID, "select_account lets the user pick: no account in the request")
	assert.Empty(t, req.Username)
	assert.True(t, req.MSAPassthrough(), "MSA passthrough travels in additionalQueryParametersForAuthorization")
}

func TestInteractiveContextEndSendsCancel(t *testing.T) {
	e := newEnv(t, nil)
	e.broker.HoldSignIns()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := e.client.AcquireTokenInteractively(ctx, e.params(nil))
	require.ErrorIs(t, err, context.DeadlineExceeded)

	reqs := e.broker.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, broker.MethodAcquireTokenInteractively, reqs[0].Method)
	assert.Equal(t, broker.MethodCancelInteractiveFlow, reqs[1].Method)
	assert.Equal(t, reqs[0].CorrelationID, reqs[1].CorrelationID, "the cancellation names the sign-in")
	assert.Equal(t, reqs[0].Owner, reqs[1].Owner)
	assert.Equal(t, 0, e.broker.OpenDialogs(), "the broker closed its dialog")
}

func TestInteractiveHeldThenApproved(t *testing.T) {
	e := newEnv(t, nil)
	e.broker.HoldSignIns()
	done := make(chan error, 1)
	go func() {
		_, err := e.client.AcquireTokenInteractively(ctxFor(t), e.params(nil))
		done <- err
	}()
	require.NoError(t, e.broker.WaitForDialog(ctxFor(t)))
	e.broker.SignInAs(entratest.DefaultUsername)
	require.NoError(t, <-done)
}

func TestBrokerTooOld(t *testing.T) {
	e := newEnv(t, &brokertest.Options{Unimplemented: []string{broker.MethodGetAccounts}})
	_, err := e.client.Accounts(ctxFor(t), entratest.DefaultClientID)
	require.ErrorIs(t, err, broker.ErrTooOld)
	assert.Contains(t, err.Error(), "getAccounts")
}

func TestBrokerRestartsBetweenCalls(t *testing.T) {
	e := newEnv(t, &brokertest.Options{DeviceAccount: entratest.DefaultUsername})
	ctx := ctxFor(t)
	accounts, err := e.client.Accounts(ctx, entratest.DefaultClientID)
	require.NoError(t, err)
	first := e.broker.Owner()
	second := e.broker.Restart()
	require.NotEqual(t, first, second)
	_, err = e.client.AcquireTokenSilently(ctx, e.params(&accounts[0]))
	require.NoError(t, err)
	reqs := e.broker.Requests()
	assert.Equal(t, second, reqs[len(reqs)-1].Owner, "the call went to the new owner")
}

func TestBrokerRestartsDuringInteractive(t *testing.T) {
	e := newEnv(t, nil)
	e.broker.HoldSignIns()
	done := make(chan error, 1)
	go func() {
		_, err := e.client.AcquireTokenInteractively(ctxFor(t), e.params(nil))
		done <- err
	}()
	require.NoError(t, e.broker.WaitForDialog(ctxFor(t)))
	e.broker.Restart()
	err := <-done
	require.ErrorIs(t, err, broker.ErrBrokerGone)
	assert.False(t, errors.Is(err, context.Canceled))
}

func TestBrokerGone(t *testing.T) {
	e := newEnv(t, nil)
	e.broker.Close()
	_, err := e.client.Version(ctxFor(t))
	require.ErrorIs(t, err, broker.ErrUnavailable, "after waiting a moment for a restarting broker")
	assert.Contains(t, err.Error(), "ServiceUnknown")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = e.client.Version(ctx)
	require.ErrorIs(t, err, context.Canceled)
}

func TestBrokerComesBackWithinWait(t *testing.T) {
	e := newEnv(t, nil)
	e.broker.Close()
	back := make(chan *brokertest.Broker, 1)
	time.AfterFunc(300*time.Millisecond, func() { back <- brokertest.New(e.srv, e.addr, nil) })
	v, err := e.client.Version(ctxFor(t))
	b := <-back
	defer b.Close()
	require.NoError(t, err, "the client waited for the broker to come back and asked again")
	assert.Equal(t, brokertest.DefaultVersion, v)
	assert.Len(t, b.Requests(), 1)
}

// TestOversizedAnswer: a service on the broker's name that answers more than
// MaxResponseSize gets an error, not a parse.
func TestOversizedAnswer(t *testing.T) {
	addr := bustest.Start(t)
	conn, err := dbus.Connect(addr)
	require.NoError(t, err)
	defer conn.Close()
	huge := `{"linuxBrokerVersion":"` + strings.Repeat("9", broker.MaxResponseSize) + `"}`
	require.NoError(t, conn.ExportMethodTable(map[string]any{
		broker.MethodGetLinuxBrokerVersion: func(_, _, _ string) (string, *dbus.Error) { return huge, nil },
	}, broker.ObjectPath, broker.Interface))
	reply, err := conn.RequestName(broker.BusName, dbus.NameFlagDoNotQueue)
	require.NoError(t, err)
	require.Equal(t, dbus.RequestNameReplyPrimaryOwner, reply)

	_, err = (&broker.Client{Address: addr}).Version(ctxFor(t))
	require.ErrorIs(t, err, broker.ErrBadResponse)
	assert.Contains(t, err.Error(), "larger than")
}
