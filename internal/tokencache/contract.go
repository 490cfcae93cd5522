package tokencache

import (
	"bytes"
	"encoding/json"
	"fmt"
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

func (c contract) marshal() []byte {
	out := make(map[string]json.RawMessage, len(c))
	for name, entries := range c {
		if v, ok := entries[verbatimKey]; ok {
			out[name] = v
			continue
		}
		b, _ := json.Marshal(entries) // RawMessage values are valid JSON already
		out[name] = b
	}
	b, _ := json.Marshal(out)
	return b
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
