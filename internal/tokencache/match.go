package tokencache

import (
	"bytes"
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
// ok false when the entry isn't an object or a target member holds neither
// a string nor null: MSAL then fails to decode the whole cache, so such an
// entry belongs in every view, where it fails alike. MSAL's decoder takes
// both "target" (the json tag) and "Scopes" (the Go name), the last one
// winning; a null leaves the target as it was.
func entryTarget(raw []byte) (target string, ok bool) {
	ok = members(raw, func(name string, _ int, val []byte) bool {
		if (name != "target" && name != "Scopes") || string(val) == "null" {
			return true
		}
		return json.Unmarshal(val, &target) == nil
	})
	return target, ok
}

// members calls f with the name, offset and raw value of each top-level
// member of the object raw, in order, until f returns false. It reports whether raw
// is an object and f never returned false.
func members(raw []byte, f func(name string, at int, val []byte) bool) bool {
	d := json.NewDecoder(bytes.NewReader(raw))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return false
	}
	for d.More() {
		name, err := d.Token()
		var v json.RawMessage
		if err != nil || d.Decode(&v) != nil {
			return false
		}
		at := int(d.InputOffset()) - len(v)
		if !f(name.(string), at, raw[at:at+len(v)]) {
			return false
		}
	}
	return true
}
