package brokertest_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/azinteractive/azinteractive/entratest"
	"github.com/azinteractive/azinteractive/entratest/brokertest"
	"github.com/azinteractive/azinteractive/internal/broker/bustest"
	"github.com/godbus/dbus/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests speak the broker's wire format with raw D-Bus calls, independently of the
// module's client, so that the emulator is checked against the interface, not against
// the code it serves.

type brokerEnv struct {
	srv    *entratest.Server
	broker *brokertest.Broker
	conn   *dbus.Conn
	addr   string
}

func newBrokerEnv(t *testing.T, opts *brokertest.Options) *brokerEnv {
	t.Helper()
	addr := bustest.Start(t)
	srv := entratest.NewServer(nil)
	t.Cleanup(srv.Close)
	b := brokertest.New(srv, addr, opts)
	t.Cleanup(b.Close)
	conn, err := dbus.Connect(addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return &brokerEnv{srv: srv, broker: b, conn: conn, addr: addr}
}

// call calls a broker method and decodes its JSON answer.
func (e *brokerEnv) call(t *testing.T, method, correlationID string, request any) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := json.Marshal(request)
	require.NoError(t, err)
	var resp string
	err = e.conn.Object(brokertest.BusName, brokertest.ObjectPath).
		CallWithContext(ctx, brokertest.Interface+"."+method, 0, "0.0", correlationID, string(req)).Store(&resp)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal([]byte(resp), &out), resp)
	return out
}

func authParams(e *brokerEnv, tenant string, account any, scopes ...string) map[string]any {
	ap := map[string]any{
		"authority":         e.srv.URL() + "/" + tenant,
		"authorizationType": 8,
		"clientId":          entratest.DefaultClientID,
		"redirectUri":       "ms-appx-web://Microsoft.AAD.BrokerPlugin/" + entratest.DefaultClientID,
		"requestedScopes":   scopes,
		"uxContextHandle":   -1,
	}
	if account != nil {
		ap["account"] = account
	}
	return ap
}

// token returns brokerTokenResponse, failing the test on a broker error.
func token(t *testing.T, resp map[string]any) map[string]any {
	t.Helper()
	btr, ok := resp["brokerTokenResponse"].(map[string]any)
	require.True(t, ok, "no brokerTokenResponse in %v", resp)
	require.Nil(t, btr["error"], "broker error: %v", btr["error"])
	return btr
}

// brokerError returns the broker's error object.
func brokerError(t *testing.T, resp map[string]any) map[string]any {
	t.Helper()
	if btr, ok := resp["brokerTokenResponse"].(map[string]any); ok {
		resp = btr
	}
	e, ok := resp["error"].(map[string]any)
	require.True(t, ok, "no error in %v", resp)
	return e
}

func TestBrokerVersionAndAccounts(t *testing.T) {
	e := newBrokerEnv(t, &brokertest.Options{Version: "3.0.2", DeviceAccount: entratest.DefaultUsername})
	v := e.call(t, "getLinuxBrokerVersion", "c1", map[string]string{"msalCppVersion": "1.0.0"})
	assert.Equal(t, "3.0.2", v["linuxBrokerVersion"])

	accounts := e.call(t, "getAccounts", "c2", map[string]string{"clientId": entratest.DefaultClientID, "redirectUri": "x"})["accounts"].([]any)
	require.Len(t, accounts, 1)
	a := accounts[0].(map[string]any)
	for _, member := range []string{"clientInfo", "environment", "givenName", "homeAccountId", "localAccountId", "name", "passwordExpiry", "realm", "username"} {
		assert.Contains(t, a, member, "sso-mib requires every account member")
	}
	assert.Equal(t, entratest.DefaultUserObjectID+"."+entratest.DefaultTenantID, a["homeAccountId"])
	assert.Equal(t, []string{entratest.DefaultUsername}, e.broker.Accounts())

	reqs := e.broker.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, "getLinuxBrokerVersion", reqs[0].Method)
	assert.Equal(t, "c2", reqs[1].CorrelationID)
	assert.Equal(t, e.conn.Names()[0], reqs[1].Sender)
	assert.Equal(t, e.broker.Owner(), reqs[1].Owner)
}

func TestBrokerSignInThenSilent(t *testing.T) {
	e := newBrokerEnv(t, nil)
	resp := e.call(t, "acquireTokenInteractively", "i1", map[string]any{
		"authParameters": authParams(e, "organizations", nil, "https://management.azure.com/.default"),
	})
	btr := token(t, resp)
	claims, err := e.srv.VerifyAccessToken(btr["accessToken"].(string))
	require.NoError(t, err)
	assert.Equal(t, entratest.DefaultTenantID, claims["tid"])
	assert.EqualValues(t, 0, btr["accessTokenType"])
	assert.Equal(t, "https://management.azure.com/.default", btr["grantedScopes"])
	exp, ok := claims["exp"].(float64)
	require.True(t, ok, "exp is a number: %v", claims["exp"])
	assert.EqualValues(t, int64(exp)*1000, btr["expiresOn"], "expiresOn is in milliseconds")
	assert.NotEmpty(t, btr["idToken"])
	account := btr["account"]

	silent := token(t, e.call(t, "acquireTokenSilently", "s1", map[string]any{
		"account":        account,
		"authParameters": authParams(e, entratest.DefaultTenantID, account, "User.Read"),
	}))
	claims, err = e.srv.VerifyAccessToken(silent["accessToken"].(string))
	require.NoError(t, err)
	assert.Equal(t, "00000003-0000-0000-c000-000000000000", claims["aud"])
	assert.Equal(t, entratest.DefaultTenantID, e.broker.Requests()[1].Tenant)

	e.call(t, "removeAccount", "r1", map[string]any{"clientId": entratest.DefaultClientID, "account": account})
	assert.Empty(t, e.broker.Accounts())
	errObj := brokerError(t, e.call(t, "acquireTokenSilently", "s2", map[string]any{
		"account": account, "authParameters": authParams(e, "organizations", account, "User.Read"),
	}))
	assert.EqualValues(t, brokertest.StatusInteractionRequired, errObj["status"])
}

func TestBrokerTenantAndPassthrough(t *testing.T) {
	e := newBrokerEnv(t, nil)
	e.srv.AddUser(entratest.User{Username: "bob@outlook.com", PersonalAccount: true})
	e.broker.SignInAs("bob@outlook.com")
	ap := authParams(e, "organizations", nil, "User.Read")
	errObj := brokerError(t, e.call(t, "acquireTokenInteractively", "p1", map[string]any{"authParameters": ap}))
	assert.EqualValues(t, 50020, errObj["errorCode"], "personal accounts need MSA passthrough through /organizations")
	assert.Contains(t, errObj["context"], "AADSTS50020")

	ap["additionalQueryParametersForAuthorization"] = map[string]string{"msal_request_type": "consumer_passthrough"}
	btr := token(t, e.call(t, "acquireTokenInteractively", "p2", map[string]any{"authParameters": ap}))
	claims, err := e.srv.VerifyAccessToken(btr["accessToken"].(string))
	require.NoError(t, err)
	assert.Equal(t, consumersTenantID, claims["tid"])
	assert.True(t, e.broker.Requests()[1].MSAPassthrough())
}

func TestBrokerClaimsChallenge(t *testing.T) {
	clock := newFakeClock()
	addr := bustest.Start(t)
	srv := entratest.NewServer(&entratest.Options{Now: clock.Now})
	defer srv.Close()
	b := brokertest.New(srv, addr, &brokertest.Options{DeviceAccount: entratest.DefaultUsername})
	defer b.Close()
	conn, err := dbus.Connect(addr)
	require.NoError(t, err)
	defer conn.Close()
	e := &brokerEnv{srv: srv, broker: b, conn: conn}

	account := e.call(t, "getAccounts", "a", map[string]string{"clientId": entratest.DefaultClientID})["accounts"].([]any)[0]
	request := func(claims string) map[string]any {
		ap := authParams(e, "organizations", account, "https://management.azure.com/.default")
		if claims != "" {
			ap["decodedClaims"] = claims
		}
		return map[string]any{"account": account, "authParameters": ap}
	}
	old := token(t, e.call(t, "acquireTokenSilently", "s1", request("")))["accessToken"].(string)
	clock.Advance(time.Minute)
	challenge := srv.RevokeSessions(entratest.DefaultUsername)
	_, err = srv.VerifyAccessToken(old)
	var ce *entratest.ClaimsChallengeError
	require.ErrorAs(t, err, &ce)

	errObj := brokerError(t, e.call(t, "acquireTokenSilently", "s2", request("")))
	assert.EqualValues(t, brokertest.StatusInteractionRequired, errObj["status"])
	assert.EqualValues(t, 50173, errObj["errorCode"])

	fresh := token(t, e.call(t, "acquireTokenSilently", "s3", request(challenge)))["accessToken"].(string)
	_, err = srv.VerifyAccessToken(fresh)
	require.NoError(t, err, "a token issued for the challenge passes")
	assert.Equal(t, challenge, b.Requests()[3].Claims)
	token(t, e.call(t, "acquireTokenSilently", "s4", request("")))
}

func TestBrokerDialogs(t *testing.T) {
	e := newBrokerEnv(t, nil)
	e.broker.HoldSignIns()
	req := map[string]any{"authParameters": authParams(e, "organizations", nil, "User.Read")}

	// A cancellation that overtakes its sign-in still cancels it.
	e.call(t, "cancelInteractiveFlow", "early", map[string]any{})
	errObj := brokerError(t, e.call(t, "acquireTokenInteractively", "early", req))
	assert.EqualValues(t, brokertest.StatusApplicationCanceled, errObj["status"])

	answers := make(chan map[string]any, 2)
	go func() { answers <- e.call(t, "acquireTokenInteractively", "held1", req) }()
	go func() { answers <- e.call(t, "acquireTokenInteractively", "held2", req) }()
	require.Eventually(t, func() bool { return e.broker.OpenDialogs() == 2 }, 10*time.Second, 5*time.Millisecond)
	e.call(t, "cancelInteractiveFlow", "held1", map[string]any{})
	errObj = brokerError(t, <-answers)
	assert.EqualValues(t, brokertest.StatusApplicationCanceled, errObj["status"])
	assert.Equal(t, 1, e.broker.OpenDialogs(), "only the named sign-in ended")

	e.broker.CancelSignIns()
	errObj = brokerError(t, <-answers)
	assert.EqualValues(t, brokertest.StatusUserCanceled, errObj["status"])
	assert.Equal(t, 0, e.broker.OpenDialogs())
}

func TestBrokerRestart(t *testing.T) {
	e := newBrokerEnv(t, &brokertest.Options{DeviceAccount: entratest.DefaultUsername})
	first := e.broker.Owner()
	var owner string
	require.NoError(t, e.conn.BusObject().Call("org.freedesktop.DBus.GetNameOwner", 0, brokertest.BusName).Store(&owner))
	assert.Equal(t, first, owner)
	second := e.broker.Restart()
	assert.NotEqual(t, first, second)
	require.NoError(t, e.conn.BusObject().Call("org.freedesktop.DBus.GetNameOwner", 0, brokertest.BusName).Store(&owner))
	assert.Equal(t, second, owner)
	assert.Equal(t, []string{entratest.DefaultUsername}, e.broker.Accounts(), "accounts survive a restart")

	e.broker.Close()
	var has bool
	require.NoError(t, e.conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, brokertest.BusName).Store(&has))
	assert.False(t, has)
	e.broker.Close()
}

func TestBrokerUnimplementedAndBadRequests(t *testing.T) {
	e := newBrokerEnv(t, &brokertest.Options{Unimplemented: []string{"cancelInteractiveFlow"}})
	err := e.conn.Object(brokertest.BusName, brokertest.ObjectPath).
		Call(brokertest.Interface+".cancelInteractiveFlow", 0, "0.0", "x", "{}").Err
	var de dbus.Error
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "org.freedesktop.DBus.Error.UnknownMethod", de.Name)

	var resp string
	require.NoError(t, e.conn.Object(brokertest.BusName, brokertest.ObjectPath).
		Call(brokertest.Interface+".acquireTokenSilently", 0, "0.0", "x", "not json").Store(&resp))
	assert.Contains(t, resp, `"status":6`)

	errObj := brokerError(t, e.call(t, "acquireTokenSilently", "y", map[string]any{"authParameters": map[string]any{}}))
	assert.EqualValues(t, brokertest.StatusAPIContractViolation, errObj["status"])

	const appID = "0b0b0b0b-1111-4222-8333-444444444444"
	e.srv.AddApp(entratest.App{ClientID: appID, PublicClient: true, ConsentGranted: true, RedirectURIs: []string{"http://localhost"}})
	ap := authParams(e, "organizations", nil, "User.Read")
	ap["clientId"] = appID
	ap["redirectUri"] = "ms-appx-web://Microsoft.AAD.BrokerPlugin/" + appID
	errObj = brokerError(t, e.call(t, "acquireTokenInteractively", "z", map[string]any{"authParameters": ap}))
	assert.EqualValues(t, 50011, errObj["errorCode"], "an app must register the broker's redirect URI")
	assert.EqualValues(t, brokertest.StatusIncorrectConfiguration, errObj["status"])
}
