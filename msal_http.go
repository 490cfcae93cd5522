package azinteractive

import (
	"bytes"
	"io"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
)

// pipelineClient sends MSAL's requests through the credential's azcore
// pipeline, so ClientOptions (Transport, Retry, logging, telemetry) govern
// every request MSAL makes. The one request it answers itself is the
// instance discovery of Microsoft's own clouds (knownInstanceDiscovery).
type pipelineClient struct{ client *azcore.Client }

func (p pipelineClient) Do(r *http.Request) (*http.Response, error) {
	if resp, ok := knownInstanceDiscovery(r); ok {
		return resp, nil
	}
	req, err := runtime.NewRequest(r.Context(), r.Method, r.URL.String())
	if err != nil {
		return nil, err
	}
	var b []byte
	if r.Body != nil && r.Body != http.NoBody {
		// The pipeline may retry, so the body must be seekable.
		var err error
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
		if _, set := h[k]; !set {
			h[k] = append([]string(nil), vs...)
		}
	}
	resp, err := p.client.Pipeline().Do(req)
	if err != nil {
		return nil, err
	}
	return guardResponse(r, b, resp)
}

// CloseIdleConnections is part of MSAL's HTTP client interface; the pipeline's
// transport owns its connections.
func (pipelineClient) CloseIdleConnections() {}
