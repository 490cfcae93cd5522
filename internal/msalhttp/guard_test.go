package msalhttp

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGuardResponseBoundsBodies(t *testing.T) {
	req, err := http.NewRequest(http.MethodPost, "https://login.microsoftonline.com/organizations/oauth2/v2.0/token?x=secret", nil)
	require.NoError(t, err)
	for _, tc := range []struct {
		name   string
		length int64 // ContentLength; -1 for chunked
		size   int
		want   string
	}{
		{"chunked", -1, MaxResponseBytes + 1, "is more than 1 MiB"},
		{"declared", MaxResponseBytes + 1, MaxResponseBytes + 1, "is 1048577 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: 200, ContentLength: tc.length, Body: io.NopCloser(strings.NewReader(strings.Repeat("x", tc.size)))}
			_, err := guardResponse(req, nil, resp)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "the response to POST https://login.microsoftonline.com/organizations/oauth2/v2.0/token "+tc.want)
			assert.NotContains(t, err.Error(), "secret", "no query string")
		})
	}
	resp := &http.Response{StatusCode: 200, ContentLength: -1, Body: io.NopCloser(strings.NewReader(strings.Repeat("x", MaxResponseBytes)))}
	got, err := guardResponse(req, nil, resp)
	require.NoError(t, err, "exactly the limit is fine")
	b, _ := io.ReadAll(got.Body)
	assert.Len(t, b, MaxResponseBytes)
}

// TestScrubSecrets: the bodies are literal, as each encoder writes them.
func TestScrubSecrets(t *testing.T) {
	secret := `p@ss w0rd+"q"&<x>é`
	form := url.Values{"password": {secret}, "username": {"alice@contoso.com"}, "code": {"abc"}}
	secrets := requestSecrets([]byte(form.Encode()))
	assert.Equal(t, []string{secret}, secrets, "the username isn't a secret; a 3-character code is too short to scrub")
	for _, tt := range []struct{ name, body, want string }{
		{"Go's encoding/json", `{"error_description":"echo: p@ss w0rd+\"q\"\u0026\u003cx\u003eé"}`, `{"error_description":"echo: [REDACTED]"}`},
		{".NET's escaping", `{"error_description":"echo: p\u0040ss\u0020w0rd\u002B\u0022q\u0022\u0026\u003Cx\u003E\u00E9"}`, `{"error_description":"echo: [REDACTED]"}`},
		{"form-encoded in JSON", `{"error_description":"echo: p%40ss+w0rd%2B%22q%22%26%3Cx%3E%C3%A9"}`, `{"error_description":"echo: [REDACTED]"}`},
		{"path-encoded in JSON", `{"error_description":"echo: p@ss%20w0rd+%22q%22&%3Cx%3E%C3%A9"}`, `{"error_description":"echo: [REDACTED]"}`},
		{"nested and in a key", `{"a":[{"b":"x p%40ss+w0rd%2B%22q%22%26%3Cx%3E%C3%A9 y"}],"p%40ss+w0rd%2B%22q%22%26%3Cx%3E%C3%A9":1.50}`, `{"[REDACTED]":1.50,"a":[{"b":"x [REDACTED] y"}]}`},
		{"HTML from a proxy", `<p>echo: p%40ss+w0rd%2B%22q%22%26%3Cx%3E%C3%A9</p>`, `<p>echo: [REDACTED]</p>`},
		{"plain text, raw", "echo: " + secret, "echo: [REDACTED]"},
		{"no secret: bytes unchanged", `{ "error" : "invalid_grant" }`, `{ "error" : "invalid_grant" }`},
	} {
		assert.Equal(t, tt.want, string(scrubSecrets([]byte(tt.body), secrets)), tt.name)
	}

	req, _ := http.NewRequest(http.MethodPost, "https://login.microsoftonline.com/t/oauth2/v2.0/token", nil)
	ok := &http.Response{StatusCode: 200, ContentLength: -1, Body: io.NopCloser(strings.NewReader(`{"access_token":"` + secret + `"}`))}
	got, err := guardResponse(req, []byte(form.Encode()), ok)
	require.NoError(t, err)
	b, _ := io.ReadAll(got.Body)
	assert.Contains(t, string(b), secret, "a successful response is never altered")
}

// TestScrubSecretsEscapeCase: JSON's \u escapes may be written in either case; Python's
// json (ensure_ascii, its default) writes lowercase and escapes only non-ASCII, " and \.
// The bodies are as those encoders write them.
func TestScrubSecretsEscapeCase(t *testing.T) {
	secret := `p@ss w0rd+"q"&<x>é😀`
	secrets := requestSecrets([]byte(url.Values{"password": {secret}}.Encode()))
	require.Equal(t, []string{secret}, secrets)
	for _, tt := range []struct{ name, quoted string }{
		// python3 -c 'import json; print(json.dumps(SECRET))'
		{"Python json.dumps", `p@ss w0rd+\"q\"&<x>\u00e9\ud83d\ude00`},
		{".NET-style, lowercase hex", `p\u0040ss\u0020w0rd\u002b\u0022q\u0022\u0026\u003cx\u003e\u00e9\ud83d\ude00`},
		{"mixed case", `p@ss w0rd+\"q\"&<x>\u00E9\uD83D\ude00`},
	} {
		body := `{"error_description":"AADSTS50126: echo: ` + tt.quoted + `."}`
		got := string(scrubSecrets([]byte(body), secrets))
		assert.Equal(t, `{"error_description":"AADSTS50126: echo: [REDACTED]."}`, got, tt.name)
	}
	// A literal backslash-u in the secret stays literal: \\u0041 isn't an escape.
	lit := `ab\u0041cd`
	body := `{"d":"` + strings.ReplaceAll(lit, `\`, `\\`) + `"}`
	assert.Equal(t, `{"d":"[REDACTED]"}`, string(scrubSecrets([]byte(body), []string{lit})))
}
