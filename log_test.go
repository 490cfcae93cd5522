package azinteractive_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/log"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/tracing"
	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// captureLog collects azcore log entries of the given events until the test ends.
func captureLog(t *testing.T, events ...log.Event) func() []string {
	var mu sync.Mutex
	var lines []string
	log.SetListener(func(e log.Event, msg string) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, string(e)+": "+msg)
	})
	log.SetEvents(events...)
	t.Cleanup(func() {
		log.SetListener(nil)
		log.SetEvents()
	})
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), lines...)
	}
}

// TestLogReachesAzcoreListener pins the link to azcore's internal log writer
// (log.go) and what EnableSupportLogging adds.
func TestLogReachesAzcoreListener(t *testing.T) {
	for _, support := range []bool{false, true} {
		t.Run(map[bool]string{false: "default", true: "support logging"}[support], func(t *testing.T) {
			srv := entratest.NewServer(nil)
			defer srv.Close()
			lines := captureLog(t, azinteractive.EventAuthentication)
			a := &approver{srv: srv}
			cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
				ClientOptions: clientOptions(srv), UserPrompt: a.prompt, EnableSupportLogging: support,
			})
			require.NoError(t, err)
			_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
			require.NoError(t, err)
			all := strings.Join(lines(), "\n")
			assert.Contains(t, all, "Authentication: DeviceCodeCredential: starting an interactive sign-in")
			assert.Contains(t, all, `acquired a token for scopes ["https://management.azure.com/.default"]`)
			if support {
				assert.Contains(t, all, entratest.DefaultUsername)
				assert.Contains(t, all, entratest.DefaultUserObjectID)
			} else {
				assert.NotContains(t, all, entratest.DefaultUsername, "account identifiers only with EnableSupportLogging")
				assert.NotContains(t, all, entratest.DefaultUserObjectID)
			}
			for _, secret := range srv.Secrets() {
				assert.NotContains(t, all, secret)
			}
		})
	}
}

// recordingTracer records the names of the spans it starts.
type recordingTracer struct {
	mu    sync.Mutex // guards names
	names []string
}

func (r *recordingTracer) provider() tracing.Provider {
	return tracing.NewProvider(func(string, string) tracing.Tracer {
		return tracing.NewTracer(func(ctx context.Context, name string, _ *tracing.SpanOptions) (context.Context, tracing.Span) {
			r.mu.Lock()
			r.names = append(r.names, name)
			r.mu.Unlock()
			return ctx, tracing.Span{}
		}, nil)
	}, nil)
}

func TestTracingSpans(t *testing.T) {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	tr := &recordingTracer{}
	a := &approver{srv: srv}
	cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
		ClientOptions: azcore.ClientOptions{Transport: srv.Client(), Cloud: srv.Cloud(), TracingProvider: tr.provider()},
		UserPrompt:    a.prompt,
	})
	require.NoError(t, err)
	_, err = cred.Authenticate(t.Context(), nil)
	require.NoError(t, err)
	_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)
	tr.mu.Lock()
	defer tr.mu.Unlock()
	assert.Contains(t, tr.names, "DeviceCodeCredential.Authenticate")
	assert.Contains(t, tr.names, "DeviceCodeCredential.GetToken")
}
