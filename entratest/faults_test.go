// The password grant is deprecated for applications, and exercised here on purpose.
//lint:file-ignore SA1019 tests of the password grant

package entratest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/azinteractive/azinteractive/entratest"
)

// TestFaultStatus: MSAL's own HTTP client doesn't retry, so it sees the 503 and its
// Retry-After; the next request succeeds.
func TestFaultStatus(t *testing.T) {
	s := newServer(t, nil)
	c := loopbackClient(t, s, "organizations")
	s.InjectFault(entratest.EndpointToken, 1, entratest.Fault{Status: 503, RetryAfter: 1500 * time.Millisecond})
	_, err := c.AcquireTokenByUsernamePassword(t.Context(), []string{armScope}, entratest.DefaultUsername, entratest.DefaultPassword)
	var ce msalerrors.CallErr
	require.True(t, errors.As(err, &ce), "got %v", err)
	assert.Equal(t, 503, ce.Resp.StatusCode)
	assert.Equal(t, "2", ce.Resp.Header.Get("Retry-After"))
	assert.Contains(t, err.Error(), "temporarily_unavailable")

	_, err = c.AcquireTokenByUsernamePassword(t.Context(), []string{armScope}, entratest.DefaultUsername, entratest.DefaultPassword)
	require.NoError(t, err)
	var statuses []int
	for _, r := range s.Requests() {
		if r.Endpoint == entratest.EndpointToken {
			statuses = append(statuses, r.Status)
		}
	}
	assert.Equal(t, []int{503, 200}, statuses)
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name    string
		ep      entratest.Endpoint
		fault   entratest.Fault
		wantErr string // "" for success
	}{
		{"malformed JSON", entratest.EndpointToken, entratest.Fault{MalformedJSON: true}, "json decode error"},
		{"truncated body", entratest.EndpointToken, entratest.Fault{TruncatedBody: true}, "unexpected EOF"},
		{"dropped connection", entratest.EndpointToken, entratest.Fault{DropConnection: true}, "EOF"},
		{"delay", entratest.EndpointToken, entratest.Fault{Delay: 100 * time.Millisecond}, ""},
		{"openid configuration 404", entratest.EndpointOpenIDConfig, entratest.Fault{Status: 404}, "404"},
		{"user realm 500", entratest.EndpointUserRealm, entratest.Fault{Status: 500}, "500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, nil)
			c := loopbackClient(t, s, "organizations")
			s.InjectFault(tt.ep, 1, tt.fault)
			start := time.Now()
			_, err := c.AcquireTokenByUsernamePassword(t.Context(), []string{armScope}, entratest.DefaultUsername, entratest.DefaultPassword)
			if tt.wantErr == "" {
				require.NoError(t, err)
				assert.GreaterOrEqual(t, time.Since(start), tt.fault.Delay)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
			// One fault, one failure: the next attempt succeeds.
			_, err = c.AcquireTokenByUsernamePassword(t.Context(), []string{armScope}, entratest.DefaultUsername, entratest.DefaultPassword)
			require.NoError(t, err)
		})
	}
}

// TestFaultDelayHonorsContext: a delayed request ends with the client's context.
func TestFaultDelayHonorsContext(t *testing.T) {
	s := newServer(t, nil)
	c := loopbackClient(t, s, "organizations")
	s.InjectFault(entratest.EndpointToken, 1, entratest.Fault{Delay: time.Minute})
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.AcquireTokenByUsernamePassword(ctx, []string{armScope}, entratest.DefaultUsername, entratest.DefaultPassword)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 10*time.Second)
}

func TestInjectFaultPanics(t *testing.T) {
	s := newServer(t, nil)
	assert.PanicsWithValue(t, "entratest: InjectFault: n must be at least 1, got 0", func() {
		s.InjectFault(entratest.EndpointToken, 0, entratest.Fault{Status: 500})
	})
}
