package tokencache

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MSAL matches an access token when every requested scope equals, by
// strings.EqualFold, a space-separated part of its target (isMatchingScopes,
// MSAL for Go v1.10.1). A view must never hide a token MSAL would match, so
// this file reproduces that exactly; match_test.go pins it against MSAL.

// foldScope returns the key of s's EqualFold class: EqualFold compares runes
// under simple case folding, invalid bytes as U+FFFD, so two strings are
// EqualFold exactly when their keys are equal. Lowercase ASCII, the common
// scope, is its own key.
func foldScope(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r >= utf8.RuneSelf || 'A' <= r && r <= 'Z' }) {
		return s
	}
	return strings.Map(foldRune, s)
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
// ok false when the entry isn't an object or a target member holds neither
// a string nor null: MSAL then fails to decode the whole cache, so such an
// entry belongs in every view, where it fails alike. MSAL's decoder takes
// both "target" (the json tag) and "Scopes" (the Go name), the last one
// winning; a null leaves the target as it was.
func entryTarget(raw []byte) (target string, ok bool) {
	ok = members(raw, func(name []byte, _ int, val []byte) bool {
		if !isTargetName(name) || string(val) == "null" {
			return true
		}
		s, ok := jsonString(val)
		target = s
		return ok
	})
	if !ok {
		return "", false
	}
	return target, true
}

// isTargetName reports whether a quoted member name is "target" or "Scopes".
func isTargetName(quoted []byte) bool {
	switch string(quoted) {
	case `"target"`, `"Scopes"`:
		return true
	}
	s, ok := jsonString(quoted)
	return ok && (s == "target" || s == "Scopes")
}

// jsonString decodes a JSON value that should be a string.
func jsonString(quoted []byte) (string, bool) {
	if quoted[0] != '"' {
		return "", false
	}
	if !bytes.ContainsRune(quoted, '\\') {
		return string(quoted[1 : len(quoted)-1]), true
	}
	var s string
	return s, json.Unmarshal(quoted, &s) == nil
}

// members calls f with the quoted name, offset and raw value of each
// top-level member of the object raw, in order, until f returns false. It
// reports whether raw is an object and f never returned false. A hand
// scanner, because json.Decoder made a second process's load 15 times
// slower.
func members(raw []byte, f func(name []byte, at int, val []byte) bool) bool {
	p := rawScanner{b: raw}
	p.space()
	if !p.consume('{') {
		return false
	}
	if p.space(); p.consume('}') {
		return true
	}
	for {
		p.space()
		start := p.i
		if !p.skipString() {
			return false
		}
		name := p.b[start:p.i]
		if p.space(); !p.consume(':') {
			return false
		}
		p.space()
		at := p.i
		if !p.skipValue() || !f(name, at, p.b[at:p.i]) {
			return false
		}
		if p.space(); p.consume('}') {
			return true
		}
		if !p.consume(',') {
			return false
		}
	}
}

// rawScanner walks JSON that encoding/json has already validated (stored
// entries are json.RawMessage values of a decoded cache), so it only finds
// where values end.
type rawScanner struct {
	b []byte
	i int
}

func (p *rawScanner) space() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\n' || p.b[p.i] == '\r') {
		p.i++
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
		for depth := 0; p.i < len(p.b); p.i++ {
			switch p.b[p.i] {
			case '"':
				if !p.skipString() {
					return false
				}
				p.i-- // the loop's increment
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					p.i++
					return true
				}
			}
		}
		return false
	}
	start := p.i // a number, true, false or null
	for p.i < len(p.b) && strings.IndexByte(", \t\n\r}]", p.b[p.i]) < 0 {
		p.i++
	}
	return p.i > start
}
