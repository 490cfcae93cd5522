package msalhttp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// MaxResponseBytes bounds any response body MSAL reads. Entra ID's largest
// responses (tokens carrying group claims) are tens of kilobytes.
const MaxResponseBytes = 1 << 20

// secretParams are the request parameters whose values are secrets.
var secretParams = []string{"password", "refresh_token", "code", "code_verifier", "device_code", "client_assertion", "client_secret"}

// minScrubbedLen is the shortest secret scrubbed from responses: a shorter
// one would match ordinary text, and Entra ID's secrets are all longer.
const minScrubbedLen = 4

// guardResponse bounds what MSAL reads of a response and keeps the secrets
// of requestBody (the form sent) out of error responses: a service or proxy
// echoing the request would put them into an error message or a log line.
func guardResponse(req *http.Request, requestBody []byte, resp *http.Response) (*http.Response, error) {
	if resp.ContentLength > MaxResponseBytes {
		_ = resp.Body.Close()
		return nil, errResponseTooLarge(req, resp.ContentLength)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if len(b) > MaxResponseBytes {
		return nil, errResponseTooLarge(req, -1)
	}
	if resp.StatusCode >= 300 {
		b = scrubSecrets(b, requestSecrets(requestBody))
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	resp.ContentLength = int64(len(b))
	return resp, nil
}

func errResponseTooLarge(req *http.Request, n int64) error {
	size := "more than 1 MiB"
	if n > 0 {
		size = fmt.Sprintf("%d bytes", n)
	}
	return fmt.Errorf("the response to %s %s://%s%s is %s, more than the %d bytes this module reads from Microsoft Entra ID; refusing it",
		req.Method, req.URL.Scheme, req.URL.Host, req.URL.Path, size, MaxResponseBytes)
}

func requestSecrets(body []byte) []string {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil
	}
	var secrets []string
	for _, p := range secretParams {
		for _, v := range form[p] {
			if len(v) >= minScrubbedLen {
				secrets = append(secrets, v)
			}
		}
	}
	return secrets
}

// scrubSecrets replaces every secret in b as sent and as a service would
// quote it. A JSON body is decoded first, so that a secret is found however
// the service escaped it (Python writes \u00e9, .NET \u00E9 and \u0040);
// within text, a secret may also be form- or path-encoded.
func scrubSecrets(b []byte, secrets []string) []byte {
	if len(secrets) == 0 {
		return b
	}
	var forms []string
	for _, s := range secrets {
		forms = append(forms, s, url.QueryEscape(s), url.PathEscape(s))
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil || d.More() {
		return []byte(scrubText(string(b), forms, new(bool)))
	}
	changed := false
	if v = scrubValue(v, forms, &changed); changed {
		if out, err := json.Marshal(v); err == nil {
			return out
		}
	}
	return b
}

// scrubValue scrubs every string of a decoded JSON value, keys included.
func scrubValue(v any, forms []string, changed *bool) any {
	switch v := v.(type) {
	case string:
		return scrubText(v, forms, changed)
	case []any:
		for i, e := range v {
			v[i] = scrubValue(e, forms, changed)
		}
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[scrubText(k, forms, changed)] = scrubValue(e, forms, changed)
		}
		return out
	}
	return v
}

func scrubText(s string, forms []string, changed *bool) string {
	for _, f := range forms {
		if strings.Contains(s, f) {
			s, *changed = strings.ReplaceAll(s, f, "[REDACTED]"), true
		}
	}
	return s
}
