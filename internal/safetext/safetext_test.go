package safetext

import (
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
)

func TestLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"alice@contoso.com", "alice@contoso.com"},
		{"", ""},
		{"  padded  ", "padded"},
		{"a  b", "a b"},
		{"alice\x1b]0;pwned\x07@contoso.com", "alice]0;pwned@contoso.com"},
		{"alice\x1b[2J\x1b[H@contoso.com", "alice[2J[H@contoso.com"},
		{"line one\r\nline two\rover", "line one line two over"},
		{"tab\there", "tab here"},
		{"evil\u202Emoc.elgoog@", "evilmoc.elgoog@"},
		{"\u2066isolate\u2069 \u200Fmark\u200E", "isolate mark"},
		{"zero\u200Bwidth\uFEFF", "zerowidth"},
		{"c1\u009b31mred", "c131mred"},
		{"emoji 👩\u200d💻 keeps its joiner", "emoji 👩\u200d💻 keeps its joiner"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
		{"para\u2028graph\u2029", "para graph"},
		{"Anmeldung für Jürgen", "Anmeldung für Jürgen"},
	} {
		assert.Equal(t, tc.want, Line(tc.in), "%q", tc.in)
	}
}

func TestLines(t *testing.T) {
	t.Parallel()
	in := "AADSTS50126: Error validating credentials.\r\nTrace ID: 1\r\nCorrelation ID: 2\r\nTimestamp: 2024-01-01 00:00:00Z\x1b[31m"
	assert.Equal(t, "AADSTS50126: Error validating credentials.\nTrace ID: 1\nCorrelation ID: 2\nTimestamp: 2024-01-01 00:00:00Z[31m", Lines(in))
	assert.Equal(t, "a\nb", Lines("a  \n  b"))
	// A lone CR is a line break too, not a space (nor a cursor return).
	assert.Equal(t, "a\nb\nc", Lines("a\rb\r\nc"))
}

// TestNothingHiddenSurvives checks every rune: what Line keeps is shown, not
// obeyed.
func TestNothingHiddenSurvives(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for r := rune(0); r <= 0x10FFFF; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue
		}
		b.WriteRune(r)
	}
	for _, r := range Line(b.String()) {
		if r == '\u200c' || r == '\u200d' {
			continue
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' {
			t.Fatalf("U+%04X survived", r)
		}
	}
}

func TestTruncate(t *testing.T) {
	t.Parallel()
	s, cut := Truncate("short", 10)
	assert.Equal(t, "short", s)
	assert.False(t, cut)
	s, cut = Truncate("ab€cd", 3) // € is 3 bytes starting at index 2
	assert.Equal(t, "ab"+TruncatedNote, s)
	assert.True(t, cut)
}

func FuzzLine(f *testing.F) {
	f.Add("alice\x1b[2J\u202E@contoso.com")
	f.Fuzz(func(t *testing.T, s string) {
		out := Line(s)
		if Line(out) != out {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, out, Line(out))
		}
		for _, r := range out {
			if r < ' ' || r == 0x7f || (unicode.Is(unicode.Cf, r) && r != '\u200c' && r != '\u200d') {
				t.Fatalf("%q kept U+%04X", s, r)
			}
		}
	})
}
