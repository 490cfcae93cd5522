package offline

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/azinteractive/azinteractive/entratest"
)

// Claims decodes the claims of a JWT without checking its signature: fine
// for showing them, never for trusting them (a resource server verifies the
// token). The token itself is a secret; its claims are not.
func Claims(token string) (map[string]any, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		// Entra ID's tokens for some Microsoft APIs are opaque to clients.
		return nil, errors.New("the access token is not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, fmt.Errorf("decoding the token's payload: %w", err)
	}
	d := json.NewDecoder(bytes.NewReader(payload))
	d.UseNumber()
	var claims map[string]any
	if err := d.Decode(&claims); err != nil {
		return nil, fmt.Errorf("decoding the token's claims: %w", err)
	}
	return claims, nil
}

// shownClaims are the claims worth reading, in reading order; the others
// are only named.
var shownClaims = []string{
	"aud", "scp", "roles", "upn", "unique_name", "name", "oid", "tid",
	"iss", "idp", "amr", "appid", "xms_cc", "ver", "iat", "exp",
}

// PrintClaims writes claims as an aligned list, the best-known first, with
// times as times. Every line starts with indent.
func PrintClaims(w io.Writer, indent string, claims map[string]any) {
	var rest []string
	for k := range claims {
		if !slices.Contains(shownClaims, k) {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range shownClaims {
		v, ok := claims[k]
		if !ok {
			continue
		}
		_, _ = fmt.Fprintf(w, "%s%-19s %s\n", indent, k, claimValue(k, v))
	}
	if len(rest) > 0 {
		_, _ = fmt.Fprintf(w, "%s%-19s %s\n", indent, "(also)", strings.Join(rest, ", "))
	}
}

func claimValue(name string, v any) string {
	switch v := v.(type) {
	case json.Number:
		if n, err := v.Int64(); err == nil && (name == "iat" || name == "nbf" || name == "exp") {
			t := time.Unix(n, 0)
			return fmt.Sprintf("%s (%s)", t.UTC().Format(time.RFC3339), relative(time.Until(t)))
		}
		return v.String()
	case string:
		return v
	case []any:
		s := make([]string, len(v))
		for i, e := range v {
			s[i] = fmt.Sprint(e)
		}
		return "[" + strings.Join(s, ", ") + "]"
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

func relative(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d > 0:
		return "in " + d.String()
	case d < 0:
		return (-d).String() + " ago"
	}
	return "now"
}

// PrintJSON writes v as indented JSON. Every line but the first starts with
// indent, so the value can follow a label.
func PrintJSON(w io.Writer, indent string, v any) {
	b, err := json.MarshalIndent(v, indent, "  ")
	if err != nil {
		_, _ = fmt.Fprintf(w, "(%v)\n", err)
		return
	}
	_, _ = fmt.Fprintf(w, "%s\n", b)
}

// TokenRequests counts the requests srv's token endpoint has received: the
// proof that a GetToken was, or wasn't, silent.
func TokenRequests(srv *entratest.Server) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Endpoint == entratest.EndpointToken {
			n++
		}
	}
	return n
}

// ShowClaims writes the claims of token as PrintClaims does, or why they
// can't be read.
func ShowClaims(w io.Writer, indent, token string) {
	claims, err := Claims(token)
	if err != nil {
		_, _ = fmt.Fprintf(w, "%s(%v)\n", indent, err)
		return
	}
	PrintClaims(w, indent, claims)
}
