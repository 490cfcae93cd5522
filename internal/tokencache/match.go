package tokencache

import (
	"slices"
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

// scopeKeys returns the distinct foldScope keys of target's parts, which MSAL
// splits on every single space, keeping empty parts.
func scopeKeys(target string) []string {
	var keys []string
	for _, p := range strings.Split(target, " ") {
		if f := foldScope(p); !slices.Contains(keys, f) {
			keys = append(keys, f)
		}
	}
	return keys
}

// msalMatches is MSAL's isMatchingScopes for folded scopes: it counts the
// parts of the target equal to each scope, and matches when the count is
// the number of scopes. With repeats, that isn't "every scope is in the
// target" (["a", "b"] matches "a a"), and a view must follow MSAL.
func msalMatches(scopes []string, target string) bool {
	n := 0
	for _, p := range strings.Split(target, " ") {
		f := foldScope(p)
		for _, s := range scopes {
			if s == f {
				n++
			}
		}
	}
	return n == len(scopes)
}
