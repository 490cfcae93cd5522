package tokencache

import (
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MSAL looks an access token up by its target (storage.go, isMatchingScopes
// in MSAL for Go v1.10.1): the token matches when every requested scope
// equals, by strings.EqualFold, one of the space-separated parts of the
// entry's target. A view (see view.go) must never hide a token that rule
// accepts, so this file reproduces it exactly: foldScope gives every string
// of one EqualFold class the same key, and entryTarget reads the target the
// way MSAL's decoder does. match_test.go pins both against MSAL itself.

// foldScope returns the key of s's EqualFold class. EqualFold compares rune
// by rune under simple case folding, and decodes bytes that aren't UTF-8 as
// U+FFFD; two strings are EqualFold exactly when their keys are equal. The
// key of an ASCII rune is its lowercase form, so the common scope, already
// lowercase ASCII, is its own key and costs no allocation.
func foldScope(s string) string {
	canonical := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			canonical = false
			break
		}
	}
	if canonical {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s { // invalid bytes range as utf8.RuneError, as in EqualFold
		b.WriteRune(foldRune(r))
	}
	return b.String()
}

// foldRune returns the representative of r's simple folding orbit: its
// lowercase ASCII member when it has one (K, k and the Kelvin sign fold
// together), otherwise its smallest member.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	least, ascii := r, rune(-1)
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < least {
			least = f
		}
		if f < utf8.RuneSelf && ('a' <= f && f <= 'z') {
			ascii = f
		}
	}
	if ascii >= 0 {
		return ascii
	}
	return least
}

// scopeParts splits a target as MSAL does: on every single space, keeping
// empty parts.
func scopeParts(target string) []string { return strings.Split(target, " ") }

// entryTarget returns the target MSAL reads from an access token entry, and
// ok false when it can't tell: the entry isn't an object, or a target field
// holds something other than a string or null (MSAL then fails to decode the
// whole cache, so such an entry belongs in every view, where it fails alike).
//
// MSAL's decoder (apps/internal/json) assigns a member to the struct field
// whose json tag equals its name, or else to the field of that Go name, so
// both "target" and "Scopes" set the target, the last one winning; a null
// leaves it as it was.
func entryTarget(raw []byte) (target string, ok bool) {
	p := rawScanner{b: raw}
	p.space()
	if !p.consume('{') {
		return "", false
	}
	p.space()
	if p.consume('}') {
		return "", true
	}
	for {
		p.space()
		nameStart := p.i
		if !p.skipString() {
			return "", false
		}
		name := p.b[nameStart:p.i]
		p.space()
		if !p.consume(':') {
			return "", false
		}
		p.space()
		valStart := p.i
		if !p.skipValue() {
			return "", false
		}
		if isTargetName(name) {
			switch val := p.b[valStart:p.i]; {
			case string(val) == "null":
			case val[0] == '"':
				s, ok := jsonString(val)
				if !ok {
					return "", false
				}
				target = s
			default:
				return "", false
			}
		}
		p.space()
		if p.consume('}') {
			return target, true
		}
		if !p.consume(',') {
			return "", false
		}
	}
}

// isTargetName reports whether a member's quoted name is "target" or
// "Scopes" once unescaped.
func isTargetName(quoted []byte) bool {
	switch string(quoted) {
	case `"target"`, `"Scopes"`:
		return true
	}
	if !strings.ContainsRune(string(quoted), '\\') {
		return false
	}
	s, ok := jsonString(quoted)
	return ok && (s == "target" || s == "Scopes")
}

// jsonString decodes a quoted JSON string.
func jsonString(quoted []byte) (string, bool) {
	if !strings.ContainsRune(string(quoted), '\\') {
		return string(quoted[1 : len(quoted)-1]), true
	}
	var s string
	if err := json.Unmarshal(quoted, &s); err != nil {
		return "", false
	}
	return s, true
}

// rawScanner walks JSON that encoding/json has already validated (stored
// entries are json.RawMessage values of a decoded cache), so it only finds
// where values end.
type rawScanner struct {
	b []byte
	i int
}

func (p *rawScanner) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *rawScanner) consume(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// skipString moves past a quoted string.
func (p *rawScanner) skipString() bool {
	if !p.consume('"') {
		return false
	}
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case '\\':
			p.i += 2
		case '"':
			p.i++
			return true
		default:
			p.i++
		}
	}
	return false
}

// skipValue moves past one value of any kind.
func (p *rawScanner) skipValue() bool {
	if p.i >= len(p.b) {
		return false
	}
	switch p.b[p.i] {
	case '"':
		return p.skipString()
	case '{', '[':
		depth := 0
		for p.i < len(p.b) {
			switch p.b[p.i] {
			case '"':
				if !p.skipString() {
					return false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					p.i++
					return true
				}
			}
			p.i++
		}
		return false
	default: // number, true, false, null
		start := p.i
		for p.i < len(p.b) {
			switch p.b[p.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return p.i > start
			}
			p.i++
		}
		return p.i > start
	}
}
