package azinteractive

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/azinteractive/azinteractive/internal/broker"
)

func TestAADSTSCode(t *testing.T) {
	for _, tt := range []struct {
		text    string
		atStart bool
		want    int
		ok      bool
	}{
		{"AADSTS50126: Error validating credentials", true, 50126, true},
		{"  AADSTS53000: Device is not in required device state", true, 53000, true},
		{"AADSTS50126: x", false, 50126, true},
		{"The service said AADSTS53003: blocked", true, 0, false},
		{"The service said AADSTS53003: blocked", false, 53003, true},
		{"AADSTS: no number, then AADSTS700016", false, 700016, true},
		{"AADSTS: no number, then AADSTS700016", true, 0, false},
		{"AADSTS1234567890: too long for a code", true, 0, false},
		{"AADSTS1234567890 too long, AADSTS65001 fine", false, 65001, true},
		{"aadsts50126: lowercase isn't Entra's", false, 0, false},
		{"", false, 0, false},
	} {
		n, ok := aadstsCode(tt.text, tt.atStart)
		assert.Equal(t, tt.ok, ok, "%q atStart=%v", tt.text, tt.atStart)
		assert.Equal(t, tt.want, n, "%q atStart=%v", tt.text, tt.atStart)
	}
}

// TestBrokerErrorCodes: the AADSTS number the broker quotes wins; without one, the
// broker's own errorCode gives the error its code, and with it the hint.
func TestBrokerErrorCodes(t *testing.T) {
	b := &brokerBackend{cfg: backendConfig{name: credNameBrowser}}
	for _, tt := range []struct {
		name string
		in   broker.Error
		want []int
	}{
		{"quoted", broker.Error{Context: "Token request failed: AADSTS53003: blocked by Conditional Access", ErrorCode: 1}, []int{53003}},
		{"errorCode only", broker.Error{Context: "The device isn't compliant.", ErrorCode: 53000}, []int{53000}},
		{"neither", broker.Error{Context: "Something failed."}, nil},
		{"negative errorCode", broker.Error{Context: "x", ErrorCode: -5}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := b.brokerError(&tt.in)
			var failed *AuthenticationFailedError
			require.True(t, errors.As(err, &failed))
			assert.Equal(t, tt.want, failed.ErrorCodes)
			if len(tt.want) > 0 && aadstsHints[tt.want[0]] != "" {
				assert.Contains(t, err.Error(), aadstsHints[tt.want[0]])
			}
		})
	}
}

// TestBrokerStatusHints: broker statuses a user can act on say what to do.
func TestBrokerStatusHints(t *testing.T) {
	b := &brokerBackend{cfg: backendConfig{name: credNameBrowser}}
	for _, tt := range []struct {
		status broker.Status
		want   string
	}{
		{broker.StatusUserCanceled, "Sign in again to continue."},
		{broker.StatusAccountNotFound, "doesn't know the account"},
		{broker.StatusNoNetwork, "Check the device's network connection"},
		{broker.StatusNetworkTemporarilyUnavailable, "Check the device's network connection"},
	} {
		t.Run(tt.status.String(), func(t *testing.T) {
			err := b.brokerError(&broker.Error{Status: tt.status, Context: "x"})
			var failed *AuthenticationFailedError
			require.ErrorAs(t, err, &failed)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	assert.Equal(t, "FallbackToNativeMsal", broker.Status(21).String())
}
