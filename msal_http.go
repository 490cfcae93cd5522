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
// every request MSAL makes. The requests it answers itself are the instance
// discovery of Microsoft's own clouds (knownInstanceDiscovery) and, when
// tenantKnown is set, the OpenID configuration of their tenants
// (knownOpenIDConfiguration): requests whose answers are fixed.
type pipelineClient struct {
	client      *azcore.Client
	tenantKnown tenantKnown // nil: every OpenID configuration is requested
}

func (p pipelineClient) Do(r *http.Request) (*http.Response, error) {
	if resp, ok := knownInstanceDiscovery(r); ok {
		return resp, nil
	}
	if p.tenantKnown != nil {
		if resp, ok := knownOpenIDConfiguration(r, p.tenantKnown); ok {
			return resp, nil
		}
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

// inProcessResponse is the response to r of a request answered without
// sending it: 200, with a JSON body.
func inProcessResponse(r *http.Request, body []byte) *http.Response {
	return &http.Response{
		Status:        "200 OK",
		StatusCode:    http.StatusOK,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/json; charset=utf-8"}},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       r,
	}
}

// CloseIdleConnections is part of MSAL's HTTP client interface; the pipeline's
// transport owns its connections.
func (pipelineClient) CloseIdleConnections() {}
