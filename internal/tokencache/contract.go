package tokencache

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// contract is MSAL's cross-language cache schema, kept as raw entries so that
// fields this package doesn't know survive a round trip.
type contract map[string]map[string]json.RawMessage

// Section names of the MSAL cache schema.
const (
	sectionAccessToken  = "AccessToken"
	sectionRefreshToken = "RefreshToken"
	sectionIDToken      = "IdToken"
	sectionAccount      = "Account"
	sectionAppMetadata  = "AppMetadata"
)

// verbatimKey holds a top-level value that isn't a section of entries. It
// is invalid UTF-8, which encoding/json never produces as a key, so no
// entry can collide with it.
const verbatimKey = "\xff"

// sharedSections are what a CAE and a non-CAE cache of one credential share:
// who signed in and the refresh token. Access tokens stay apart, because a
// CAE token handed to a client that can't answer claims challenges would
// outlive a revoked session.
var sharedSections = []string{sectionRefreshToken, sectionIDToken, sectionAccount, sectionAppMetadata}

// parse decodes data. Empty data is an empty cache. The error is returned for
// the caller to log: corrupt storage is then treated as empty.
func parse(data []byte) (contract, error) {
	c := contract{}
	if len(bytes.TrimSpace(data)) == 0 {
		return c, nil
	}
	// The common case, every top-level value a section of entries, takes one
	// pass; an unknown top-level value (kept verbatim) takes the long way.
	var sections map[string]map[string]json.RawMessage
	if json.Unmarshal(data, &sections) == nil {
		for name, entries := range sections {
			if entries == nil {
				// A null section would be written back as {}; keep it as is.
				sections[name] = map[string]json.RawMessage{verbatimKey: json.RawMessage("null")}
			}
		}
		return contract(sections), nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return contract{}, fmt.Errorf("token cache is not valid JSON: %w", err)
	}
	for name, v := range raw {
		var entries map[string]json.RawMessage
		if err := json.Unmarshal(v, &entries); err != nil || entries == nil {
			// Not a section of entries (an unknown top-level value): keep it
			// verbatim under a reserved name so it is written back unchanged.
			c[name] = map[string]json.RawMessage{verbatimKey: v}
			continue
		}
		c[name] = entries
	}
	return c, nil
}

// marshal writes c as JSON with sorted keys. Entries are copied as they are:
// they came from a JSON decoder, so they are valid JSON already, and
// re-validating them (as encoding/json does for RawMessage) would cost as
// much as the rest of a token request once many tokens are cached.
func (c contract) marshal() []byte {
	size := 2
	for name, entries := range c {
		size += len(name) + 4
		for k, v := range entries {
			size += len(k) + len(v) + 4
		}
	}
	b := make([]byte, 0, size)
	b = append(b, '{')
	for i, name := range sortedKeys(c) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, name)
		b = append(b, ':')
		entries := c[name]
		if v, ok := entries[verbatimKey]; ok {
			b = append(b, v...)
			continue
		}
		b = append(b, '{')
		for j, k := range sortedKeys(entries) {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			b = append(b, entries[k]...)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 || c == '<' || c == '>' || c == '&' {
			plain = false
			break
		}
	}
	if plain {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	q, _ := json.Marshal(s)
	return append(b, q...)
}

// change is one entry that a diff sets.
type change struct {
	section, key string
	value        json.RawMessage
}

// diff lists the entries next sets that base lacks or holds differently.
// Entries missing from next are not deletions: MSAL only drops entries in
// RemoveAccount, which this package replaces with [Cache.RemoveAccount], so
// an absent entry means MSAL never saw it (another process wrote it).
func diff(base, next contract) []change {
	var out []change
	for section, entries := range next {
		for k, v := range entries {
			if old, ok := base[section][k]; !ok || !bytes.Equal(old, v) {
				out = append(out, change{section, k, v})
			}
		}
	}
	return out
}

func (c contract) apply(changes []change) {
	for _, ch := range changes {
		if _, verbatim := c[ch.section][verbatimKey]; verbatim || c[ch.section] == nil {
			// A section that wasn't an object (corrupt) is replaced, or it
			// would be written back corrupt forever.
			c[ch.section] = map[string]json.RawMessage{}
		}
		c[ch.section][ch.key] = ch.value
	}
}

// removeAccount deletes every entry that belongs to homeAccountID. MSAL keys
// are lowercase and begin with the home account ID.
func (c contract) removeAccount(homeAccountID string) bool {
	prefix := strings.ToLower(homeAccountID) + "-"
	removed := false
	for _, section := range []string{sectionAccessToken, sectionRefreshToken, sectionIDToken, sectionAccount} {
		for k := range c[section] {
			if strings.HasPrefix(k, prefix) {
				delete(c[section], k)
				removed = true
			}
		}
	}
	return removed
}

func shared(changes []change) []change {
	var out []change
	for _, ch := range changes {
		for _, s := range sharedSections {
			if ch.section == s {
				out = append(out, ch)
				break
			}
		}
	}
	return out
}
