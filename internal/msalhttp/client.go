package msalhttp

import (
	"bytes"
	"io"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
)

// Client sends MSAL's requests through a credential's azcore pipeline, so
// ClientOptions (Transport, Retry, logging, telemetry) govern every request
// MSAL makes. It implements MSAL's HTTP client interface.
type Client struct {
	Pipeline *azcore.Client
	// TenantKnown reports whether tenant (a tenant ID) is known to exist at
	// host, so that its OpenID configuration may be answered in process.
	// Nil: every tenant's OpenID configuration is requested.
	TenantKnown func(host, tenant string) bool
	// Log receives a line when a request is answered in process, since such
	// a request has no line in the pipeline's log. Nil logs nothing.
	Log func(msg string)
	// Gate, when not nil, is asked before a request goes out; its error is
	// returned instead of sending it.
	Gate func(r *http.Request) error
}

// Do sends r, or answers it in process.
func (c Client) Do(r *http.Request) (*http.Response, error) {
	if resp, ok := c.answer(r); ok {
		return resp, nil
	}
	if c.Gate != nil {
		if err := c.Gate(r); err != nil {
			return nil, err
		}
	}
	req, err := runtime.NewRequest(r.Context(), r.Method, r.URL.String())
	if err != nil {
		return nil, err
	}
	var b []byte
	if r.Body != nil && r.Body != http.NoBody {
		// The pipeline may retry, so the body must be seekable.
		b, err = io.ReadAll(r.Body)
		_ = r.Body.Close()
		if err != nil {
			return nil, err
		}
		if err := req.SetBody(streaming.NopCloser(bytes.NewReader(b)), r.Header.Get("Content-Type")); err != nil {
			return nil, err
		}
	}
	h := req.Raw().Header
	for k, vs := range r.Header {
		// MSAL sets some headers twice, under a literal key and through Set
		// ("client-request-id" and "Client-Request-Id"): the wire gets one,
		// the canonical key's.
		ck := http.CanonicalHeaderKey(k)
		if _, dup := r.Header[ck]; dup && ck != k {
			continue
		}
		if _, set := h[ck]; !set {
			h[ck] = append([]string(nil), vs...)
		}
	}
	resp, err := c.Pipeline.Pipeline().Do(req)
	if err != nil {
		return nil, err
	}
	return guardResponse(r, b, resp)
}

// CloseIdleConnections is part of MSAL's HTTP client interface; the
// pipeline's transport owns its connections.
func (Client) CloseIdleConnections() {}

func (c Client) log(msg string) {
	if c.Log != nil {
		c.Log(msg)
	}
}
