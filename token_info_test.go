package azinteractive

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A TokenInfo never shows its token, however it is printed or encoded.
func TestTokenInfoRedactsItsTokenInEveryEncoding(t *testing.T) {
	const secret = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.secret-token-value"
	info := TokenInfo{Token: secret, ExpiresOn: time.Unix(1700000000, 0).UTC(), TokenType: "Bearer",
		Account: AuthenticationRecord{Username: "alice@contoso.com"}}
	encodings := map[string]func() string{
		"%v":              func() string { return fmt.Sprintf("%v", info) },
		"%+v":             func() string { return fmt.Sprintf("%+v", info) },
		"%#v":             func() string { return fmt.Sprintf("%#v", info) },
		"%s":              func() string { return fmt.Sprintf("%s", info) },
		"%q":              func() string { return fmt.Sprintf("%q", info) },
		"%v of a pointer": func() string { return fmt.Sprintf("%v", &info) },
		"json.Marshal": func() string {
			b, err := json.Marshal(info)
			require.NoError(t, err)
			return string(b)
		},
		"json.Marshal of a struct holding it": func() string {
			b, err := json.Marshal(struct{ Info TokenInfo }{info})
			require.NoError(t, err)
			return string(b)
		},
		"slog text handler": func() string {
			var b bytes.Buffer
			slog.New(slog.NewTextHandler(&b, nil)).Info("got", "info", info)
			return b.String()
		},
		"slog JSON handler": func() string {
			var b bytes.Buffer
			slog.New(slog.NewJSONHandler(&b, nil)).Info("got", "info", info)
			return b.String()
		},
		"gob": func() string {
			var b bytes.Buffer
			require.NoError(t, gob.NewEncoder(&b).Encode(info))
			var back TokenInfo
			require.NoError(t, gob.NewDecoder(bytes.NewReader(b.Bytes())).Decode(&back))
			assert.Equal(t, info.ExpiresOn, back.ExpiresOn, "gob keeps the other fields")
			assert.Equal(t, info.Account, back.Account)
			return b.String() + back.Token
		},
	}
	for name, encode := range encodings {
		t.Run(name, func(t *testing.T) {
			out := encode()
			assert.NotContains(t, out, "secret-token-value")
			assert.Contains(t, out, "redacted")
		})
	}
	var decoded map[string]any
	b, err := json.Marshal(info)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &decoded))
	assert.Equal(t, "Bearer", decoded["TokenType"], "JSON keeps the other fields")
}
