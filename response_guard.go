package azinteractive

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf16"
)

// secretParams are the request parameters whose values are secrets of the
// user or of this sign-in.
var secretParams = []string{"password", "refresh_token", "code", "code_verifier", "device_code", "client_assertion", "client_secret"}

// minScrubbedLen is the shortest secret value scrubbed from responses: a
// shorter one would match ordinary text everywhere, and Entra ID's secrets
// (passwords of eight characters or more, codes and tokens) are all longer.
const minScrubbedLen = 4

// guardResponse bounds what MSAL reads of a response and keeps the request's
// secrets out of the error responses it reads: a service (or a proxy) that
// echoes the request in its error description would otherwise put the
// password, code or refresh token into an error message or a log line.
// requestBody is the form the request sent.
func guardResponse(req *http.Request, requestBody []byte, resp *http.Response) (*http.Response, error) {
	if resp.ContentLength > maxResponseBytes {
		_ = resp.Body.Close()
		return nil, errResponseTooLarge(req, resp.ContentLength)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if len(b) > maxResponseBytes {
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
		req.Method, req.URL.Scheme, req.URL.Host, req.URL.Path, size, maxResponseBytes)
}

// requestSecrets returns the secret values a form-encoded request carried.
func requestSecrets(body []byte) []string {
	if len(body) == 0 {
		return nil
	}
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

// redacted replaces a secret in text taken from a response.
const redacted = "[REDACTED]"

// scrubSecrets replaces every secret in b, as sent and as a service would
// quote it (form-encoded, URL-path-encoded, JSON-escaped).
func scrubSecrets(b []byte, secrets []string) []byte {
	if len(secrets) == 0 {
		return b
	}
	s := string(b)
	for _, secret := range secrets {
		for _, form := range secretForms(secret) {
			if re := escapeCaseInsensitive(form); re != nil {
				s = re.ReplaceAllLiteralString(s, redacted)
			} else {
				s = strings.ReplaceAll(s, form, redacted)
			}
		}
	}
	return []byte(s)
}

// escapeCaseInsensitive matches a JSON-escaped form whose \uXXXX escapes
// may be written in either case (Python writes lowercase hex, .NET
// uppercase); nil when the form has no such escape.
func escapeCaseInsensitive(form string) *regexp.Regexp {
	var re strings.Builder
	escapes := false
	lit := 0 // start of the literal text not yet written
	for i := 0; i < len(form); i++ {
		if form[i] != '\\' || i+1 >= len(form) {
			continue
		}
		if form[i+1] == 'u' && i+6 <= len(form) && isHex(form[i+2:i+6]) {
			re.WriteString(regexp.QuoteMeta(form[lit:i]))
			re.WriteString(`\\u(?i:` + form[i+2:i+6] + `)`)
			escapes = true
			i += 5
			lit = i + 1
			continue
		}
		i++ // an escaped character, such as the \\ before a literal u
	}
	if !escapes {
		return nil
	}
	re.WriteString(regexp.QuoteMeta(form[lit:]))
	return regexp.MustCompile(re.String())
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// secretForms are the ways a secret appears in a response body.
func secretForms(secret string) []string {
	forms := []string{secret}
	add := func(f string) {
		for _, have := range forms {
			if have == f {
				return
			}
		}
		forms = append(forms, f)
	}
	add(url.QueryEscape(secret))
	add(url.PathEscape(secret))
	if j, err := json.Marshal(secret); err == nil {
		add(strings.Trim(string(j), `"`))
	}
	if j, err := json.Marshal(url.QueryEscape(secret)); err == nil {
		add(strings.Trim(string(j), `"`))
	}
	// .NET's encoder escapes ASCII punctuation and everything non-ASCII as
	// \uXXXX (UTF-16).
	var dotnet strings.Builder
	for _, r := range secret {
		if '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' {
			dotnet.WriteRune(r)
			continue
		}
		for _, u := range utf16.Encode([]rune{r}) {
			fmt.Fprintf(&dotnet, "\\u%04X", u)
		}
	}
	add(dotnet.String())
	// Python's json (ensure_ascii) escapes only ", \\, control characters
	// and everything non-ASCII, as lowercase \uxxxx (UTF-16); scrubSecrets
	// matches escapes in either case.
	var python strings.Builder
	for _, r := range secret {
		switch {
		case r == '"' || r == '\\':
			python.WriteByte('\\')
			python.WriteRune(r)
		case r < 0x20 || r > 0x7e:
			for _, u := range utf16.Encode([]rune{r}) {
				fmt.Fprintf(&python, "\\u%04x", u)
			}
		default:
			python.WriteRune(r)
		}
	}
	add(python.String())
	return forms
}
