package azinteractive

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/azinteractive/azinteractive/internal/broker"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/log"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBrokerNotOnLinux: on macOS (and any OS but Linux and Windows) the broker options are accepted and the
// credential signs in through the browser, or is unavailable with RequireBroker.
func TestBrokerNotOnLinux(t *testing.T) {
	for _, goos := range []string{"darwin", "plan9"} {
		t.Run(goos, func(t *testing.T) {
			srv := entratest.NewServer(nil)
			defer srv.Close()
			var mu sync.Mutex
			var lines []string
			log.SetListener(func(_ log.Event, msg string) {
				mu.Lock()
				defer mu.Unlock()
				lines = append(lines, msg)
			})
			log.SetEvents(EventAuthentication)
			defer log.SetListener(nil)

			newCred := func(bo *BrokerOptions, open func(context.Context, string) error) *InteractiveBrowserCredential {
				o := &InteractiveBrowserCredentialOptions{
					ClientOptions: azcore.ClientOptions{Transport: srv.Client(), Cloud: srv.Cloud()},
					Broker:        bo,
					OpenURL:       open,
				}
				h := thisHost()
				h.goos = goos
				c, err := newInteractiveBrowserCredential(o, h)
				require.NoError(t, err)
				return c
			}
			c := newCred(&BrokerOptions{ParentWindowHandle: 1, EnableMSAPassthrough: true}, srv.Browser(entratest.DefaultUsername, entratest.DefaultPassword))
			tk, err := c.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}})
			require.NoError(t, err)
			_, err = srv.VerifyAccessToken(tk.Token)
			require.NoError(t, err)
			mu.Lock()
			all := strings.Join(lines, "\n")
			mu.Unlock()
			assert.Contains(t, all, "signing in through the browser: the identity broker is supported on Linux and Windows; the macOS broker is not implemented")

			c = newCred(&BrokerOptions{RequireBroker: true}, func(context.Context, string) error {
				return errors.New("RequireBroker opened the browser")
			})
			_, err = c.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}})
			var unavailable *CredentialUnavailableError
			require.ErrorAs(t, err, &unavailable)
			assert.Contains(t, err.Error(), "supported on Linux and Windows")
		})
	}
}

func TestWithCP1(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", `{"access_token":{"xms_cc":{"values":["CP1"]}}}`},
		{`{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}`, `{"access_token":{"nbf":{"essential":true,"value":"1700000000"},"xms_cc":{"values":["CP1"]}}}`},
		{`{"id_token":{"auth_time":{"essential":true}}}`, `{"access_token":{"xms_cc":{"values":["CP1"]}},"id_token":{"auth_time":{"essential":true}}}`},
		{`not json`, `not json`},
	} {
		got := withCP1(tt.in)
		if tt.in == "not json" {
			assert.Equal(t, tt.want, got)
			continue
		}
		assert.JSONEq(t, tt.want, got, tt.in)
	}
}

// TestBrokerUnavailableTextIsMadeSafe: the text of a D-Bus error comes from whoever
// owns the broker's name (SECURITY.md: a hostile broker); in a CredentialUnavailableError
// it is shown as text, not obeyed by the terminal.
func TestBrokerUnavailableTextIsMadeSafe(t *testing.T) {
	b := &brokerBackend{cfg: backendConfig{name: credNameBrowser}}
	for _, cause := range []error{
		fmt.Errorf("%w (acquireTokenSilently: org.freedesktop.DBus.Error.UnknownMethod: \x1b[2J\u202Eevil\x07)", broker.ErrTooOld),
		fmt.Errorf("%w (getAccounts: org.freedesktop.DBus.Error.ServiceUnknown: \x1b]0;title\x07)", broker.ErrUnavailable),
	} {
		err := b.brokerError(cause)
		var unavailable *CredentialUnavailableError
		require.ErrorAs(t, err, &unavailable)
		require.ErrorIs(t, err, cause)
		msg := err.Error()
		for _, bad := range []string{"\x1b", "\x07", "\u202E"} {
			assert.NotContains(t, msg, bad)
		}
		assert.Contains(t, msg, "org.freedesktop.DBus.Error.", "the broker's detail stays, made safe")
	}
}
