package loopback

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseRedirectURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		raw  string
		want Endpoint
	}{
		{"", Endpoint{Host: "localhost"}},
		{"http://localhost", Endpoint{Host: "localhost"}},
		{"http://localhost/", Endpoint{Host: "localhost", Path: "/"}},
		{"http://localhost:", Endpoint{Host: "localhost"}},
		{"http://localhost:0", Endpoint{Host: "localhost"}},
		{"http://LOCALHOST:8400", Endpoint{Host: "localhost", Port: 8400}},
		{"HTTP://127.0.0.1:65535/cb", Endpoint{Host: "127.0.0.1", Port: 65535, Path: "/cb"}},
		{"http://[::1]:8400/auth/callback", Endpoint{Host: "::1", Port: 8400, Path: "/auth/callback"}},
		{"http://localhost/a%20b", Endpoint{Host: "localhost", Path: "/a%20b"}},
	} {
		got, err := ParseRedirectURL(tc.raw)
		require.NoError(t, err, tc.raw)
		assert.Equal(t, tc.want, got, tc.raw)
	}
}

func TestParseRedirectURLRejects(t *testing.T) {
	t.Parallel()
	for raw, why := range map[string]string{
		"https://localhost:8400":   "https",
		"ftp://localhost":          "scheme",
		"localhost:8400":           "scheme",
		"http://example.com":       "host",
		"http://127.0.0.2":         "host",
		"http://0.0.0.0:8400":      "host",
		"http://[::]:8400":         "host",
		"http://[::1%25lo]:8400":   "host",
		"http://localhost.:8400":   "host",
		"http://user@localhost":    "user info",
		"http://user:pw@localhost": "user info",
		"http://localhost/?x=1":    "query",
		"http://localhost/?":       "query",
		"http://localhost/#frag":   "fragment",
		"http://localhost/#":       "fragment",
		"http://localhost:99999":   "port",
		"http://localhost:-1":      "",
		"http://localhost:http":    "",
		"http:localhost":           "",
		"http://local host":        "",
		"http://localhost/\x7f":    "",
		"http://[::1":              "",
	} {
		_, err := ParseRedirectURL(raw)
		require.Error(t, err, raw)
		assert.Contains(t, err.Error(), why, raw)
	}
}
