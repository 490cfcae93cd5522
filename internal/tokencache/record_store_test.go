package tokencache

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// safeKeyPattern is the rule safeKey implements, as a regexp, which the
// package no longer compiles at start.
var safeKeyPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$`)

func TestSafeKey(t *testing.T) {
	for _, tc := range []struct {
		key  string
		want bool
	}{
		{"04b07795-8ddb-461a-bbee-02f9e1bf7b46", true},
		{"a", true},
		{"A.b_c-d", true},
		{strings.Repeat("a", 101), true},
		{strings.Repeat("a", 102), false},
		{"", false},
		{".hidden", false},
		{"-x", false},
		{"_x", false},
		{"a/b", false},
		{`a\b`, false},
		{"..", false},
		{"a b", false},
		{"é", false},
		{"a\x00", false},
		{"a\n", false},
	} {
		assert.Equal(t, tc.want, safeKey(tc.key), "%q", tc.key)
		assert.Equal(t, safeKeyPattern.MatchString(tc.key), safeKey(tc.key), "%q: the loop and the regexp agree", tc.key)
	}
}

func FuzzSafeKey(f *testing.F) {
	for _, k := range []string{"04b07795-8ddb-461a-bbee-02f9e1bf7b46", "", ".x", strings.Repeat("z", 101), "a\n"} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if got, want := safeKey(key), safeKeyPattern.MatchString(key); got != want {
			t.Fatalf("safeKey(%q) = %v, the rule says %v", key, got, want)
		}
	})
}
