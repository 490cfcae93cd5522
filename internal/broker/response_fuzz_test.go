package broker

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// FuzzParseTokenResponse feeds the token response parser arbitrary broker
// answers: it must not panic, must return a usable token or an error, and
// must never put the response, which may hold tokens, in an error or in the
// formatted result.
func FuzzParseTokenResponse(f *testing.F) {
	for _, seed := range []string{
		tokenJSON(`"expiresOn":1700000000123,"grantedScopes":"a b"`),
		tokenJSON(`"expiresOn":"1700000000123","grantedScopes":["a","b"],"extendedExpiresOn":1.7e12`),
		`{"brokerTokenResponse":{"error":{"context":"x","status":2,"subStatus":"1","errorCode":50076,"tag":1}}}`,
		`{"error":"something"}`,
		`{"error":{"status":"UserCanceled"}}`,
		`{"brokerTokenResponse":null,"error":null}`,
		`{}`, `[]`, `null`, `"x"`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseTokenResponse(MethodAcquireTokenSilently, b)
		if err != nil {
			if r != nil {
				t.Fatal("a result with an error")
			}
			var be *Error
			if !errors.As(err, &be) && !errors.Is(err, ErrBadResponse) {
				t.Fatalf("an error of neither kind: %v", err)
			}
			if be == nil && len(b) > 16 && strings.Contains(err.Error(), string(b)) {
				t.Fatal("the error quotes the response")
			}
			return
		}
		if r.AccessToken == "" || r.ExpiresOn.UnixMilli() <= 0 {
			t.Fatalf("a result without a token or an expiry: %v", r)
		}
		if r.TokenType != "Bearer" && r.TokenType != "pop" {
			t.Fatalf("token type %q", r.TokenType)
		}
		for _, s := range r.GrantedScopes {
			if strings.TrimSpace(s) != s || s == "" {
				t.Fatalf("scope %q isn't trimmed", s)
			}
		}
		// The formatted result doesn't depend on the tokens.
		blank := *r
		blank.AccessToken, blank.IDToken = "x", "x"
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			if fmt.Sprintf(verb, r) != fmt.Sprintf(verb, &blank) {
				t.Fatalf("%s prints a token", verb)
			}
		}
	})
}
