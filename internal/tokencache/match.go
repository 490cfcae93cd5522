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
