// Package safetext makes text that came from the network safe to show on a
// terminal or put in an error message: usernames from ID tokens, the device
// code instructions, error descriptions from Microsoft Entra ID or from a
// browser's redirect. It is the one place that decides what such text may
// contain, so that every path to the user applies the same rule.
//
// A terminal obeys the control characters in what it prints: ESC starts
// sequences that move the cursor, rewrite lines, change the title or write to
// the clipboard; CR and BS overwrite what was printed. Unicode's bidirectional
// controls (U+202A to U+202E, U+2066 to U+2069) reorder what follows them, so
// "alice@evil.example" can read as something else. None of these belongs in a
// username, a code or an error message.
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
func Line(s string) string {
	return clean(s, false)
}

// Lines is [Line] that keeps line breaks (CR LF and CR become LF), for
// multi-line text such as Entra ID's error descriptions, whose trace ID,
// correlation ID and timestamp are on lines of their own.
func Lines(s string) string {
	return clean(s, true)
}

// Truncate returns s cut to at most n bytes on a rune boundary, with a note
// that it was cut, and whether it was. Truncate(s, n) never returns more than
// n+len(TruncatedNote) bytes.
func Truncate(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + TruncatedNote, true
}

// TruncatedNote ends text that [Truncate] cut.
const TruncatedNote = "… (truncated)"

func clean(s string, keepNewlines bool) string {
	if isPlain(s) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	if keepNewlines {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false // the last rune written was a space
	for _, r := range s {
		switch {
		case r == '\n' && keepNewlines:
			// Trailing spaces before a line break say nothing.
			str := strings.TrimRight(b.String(), " ")
			b.Reset()
			b.WriteString(str)
			b.WriteByte('\n')
			space = true
			continue
		case r == '\n' || r == '\r' || r == '\t' || r == '\v' || r == '\f' || r == '\u2028' || r == '\u2029' || r == '\u0085':
			r = ' '
		case hidden(r):
			continue
		}
		if r == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// isPlain reports whether s is printable ASCII without leading, trailing or
// doubled spaces: what almost every string is, returned without copying.
func isPlain(s string) bool {
	prevSpace := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' || c >= 0x7f {
			return false
		}
		if c == ' ' && prevSpace {
			return false
		}
		prevSpace = c == ' '
	}
	return !prevSpace || s == ""
}

// hidden reports whether r is a character that controls how text is shown
// rather than being shown: C0 and C1 controls, DEL, bidi controls and marks,
// and other invisible format characters (Unicode category Cf: zero-width
// space, word joiner, BOM...). The zero-width joiner and non-joiner stay:
// scripts and emoji need them.
func hidden(r rune) bool {
	switch {
	case unicode.IsControl(r):
		return true
	case r == '\u200c' || r == '\u200d':
		return false
	case unicode.Is(unicode.Cf, r):
		return true
	case r == utf8.RuneError:
		return false
	}
	return false
}
