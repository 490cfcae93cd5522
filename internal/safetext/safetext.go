// Package safetext makes text from the network (usernames, device code
// instructions, error descriptions) safe for a terminal or an error message.
//
// Terminals obey control characters (ESC sequences move the cursor or write
// the clipboard; CR and BS overwrite), and Unicode's bidi controls reorder
// what follows them, so "alice@evil.example" can read as something else.
package safetext

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Line returns s as one line of plain text: control characters, bidi
// controls and other invisible formatting characters are removed, line and
// paragraph breaks and tabs become spaces, runs of spaces collapse, and
// invalid UTF-8 becomes U+FFFD.
func Line(s string) string { return clean(s, false) }

// Lines is [Line] that keeps line breaks (CR LF and CR become LF), for
// multi-line text such as Entra ID's error descriptions.
func Lines(s string) string { return clean(s, true) }

// TruncatedNote ends text that [Truncate] cut.
const TruncatedNote = "… (truncated)"

// Truncate returns s cut to at most n bytes on a rune boundary, with
// [TruncatedNote], and whether it was cut.
func Truncate(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + TruncatedNote, true
}

func clean(s string, keepNewlines bool) string {
	if isPlain(s) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	if keepNewlines {
		s = strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false // the last rune written was a space
	for _, r := range s {
		switch {
		case r == '\n' && keepNewlines:
			b.WriteByte('\n')
			space = true // no space starts a line
			continue
		case r == '\n' || r == '\r' || r == '\t' || r == '\v' || r == '\f' || r == '\u2028' || r == '\u2029' || r == '\u0085':
			r = ' '
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) && r != '\u200c' && r != '\u200d':
			// Format characters go, but not ZWNJ and ZWJ: scripts and emoji need them.
			continue
		}
		if r == ' ' && space {
			continue
		}
		space = r == ' '
		b.WriteRune(r)
	}
	// Collapsed, at most one space ends a line.
	return strings.ReplaceAll(strings.TrimSpace(b.String()), " \n", "\n")
}

// isPlain reports whether s is printable ASCII without leading, trailing or
// doubled spaces, which is returned without copying.
func isPlain(s string) bool {
	prevSpace := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' || c >= 0x7f || c == ' ' && prevSpace {
			return false
		}
		prevSpace = c == ' '
	}
	return !prevSpace || s == ""
}
