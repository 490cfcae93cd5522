package azinteractive_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// headerCounter records, per request path, how many values of a header the
// transport was given, under any spelling of its key: what goes on the wire.
type headerCounter struct {
	base   policy.Transporter
	header string
	mu     sync.Mutex // guards counts
	counts map[string][]int
}

func (h *headerCounter) Do(r *http.Request) (*http.Response, error) {
	n := 0
	for k, vs := range r.Header {
		if strings.EqualFold(k, h.header) {
			n += len(vs)
		}
	}
	h.mu.Lock()
	h.counts[r.URL.Path] = append(h.counts[r.URL.Path], n)
	h.mu.Unlock()
	return h.base.Do(r)
}

// MSAL sets client-request-id twice on some requests (its user realm
// request under a literal key and again through Header.Set); every request
// must carry it once.
func TestEveryRequestCarriesOneClientRequestID(t *testing.T) {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	opts := publicCloudOptions(srv)
	hc := &headerCounter{base: opts.Transport, header: "client-request-id", counts: map[string][]int{}}
	opts.Transport = hc

	pw, err := azinteractive.NewUsernamePasswordCredential(entratest.DefaultTenantID, entratest.DefaultClientID,
		entratest.DefaultUsername, entratest.DefaultPassword, &azinteractive.UsernamePasswordCredentialOptions{ClientOptions: opts})
	require.NoError(t, err)
	_, err = pw.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)

	a := &approver{srv: srv}
	dc, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
		ClientOptions: opts, UserPrompt: a.prompt, TenantID: entratest.DefaultTenantID,
	})
	require.NoError(t, err)
	_, err = dc.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)

	hc.mu.Lock()
	defer hc.mu.Unlock()
	require.Contains(t, hc.counts, "/common/UserRealm/"+entratest.DefaultUsername, "the user realm request was sent")
	for path, counts := range hc.counts {
		for _, n := range counts {
			assert.Equal(t, 1, n, "client-request-id values on %s", path)
		}
	}
}
