package tokencache

import (
	"bytes"
	"encoding/json"
	"fmt"
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

// plainJSON reports whether s is its own JSON string, quotes aside, as
// encoding/json writes it.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	if plainJSON(s) {
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

// shared returns the changes to sections the two CAE modes share.
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
