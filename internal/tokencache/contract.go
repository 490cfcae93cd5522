package tokencache

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
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

// verbatimKey holds a top-level value that isn't a section of entries: it
// is invalid UTF-8, which encoding/json never produces as a key.
const verbatimKey = "\xff"

// sharedSections are what the two CAE modes share: who signed in and the
// refresh token. A CAE access token handed to a client that can't answer
// claims challenges would outlive a revoked session.
var sharedSections = []string{sectionRefreshToken, sectionIDToken, sectionAccount, sectionAppMetadata}

// parse decodes data; empty data is an empty cache. Top-level values that
// aren't sections (null included) are kept verbatim, to be written back.
func parse(data []byte) (contract, error) {
	c := contract{}
	if len(bytes.TrimSpace(data)) == 0 {
		return c, nil
	}
	// One pass when every top-level value is an object or null, as usual:
	// twice as fast as the way round.
	if json.Unmarshal(data, &c) == nil {
		for name, entries := range c {
			if entries == nil {
				c[name] = map[string]json.RawMessage{verbatimKey: json.RawMessage("null")}
			}
		}
		return c, nil
	}
	c = contract{}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return contract{}, fmt.Errorf("token cache is not valid JSON: %w", err)
	}
	for name, v := range raw {
		var entries map[string]json.RawMessage
		if err := json.Unmarshal(v, &entries); err != nil || entries == nil {
			entries = map[string]json.RawMessage{verbatimKey: v}
		}
		c[name] = entries
	}
	return c, nil
}

// set stores an entry, replacing a section kept verbatim, and reports
// whether its key is new.
func (c contract) set(section, key string, value json.RawMessage) bool {
	entries := c[section]
	if _, verbatim := entries[verbatimKey]; verbatim || entries == nil {
		entries = map[string]json.RawMessage{}
		c[section] = entries
	}
	_, had := entries[key]
	entries[key] = value
	return !had
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
		if slices.Contains(sharedSections, ch.section) {
			out = append(out, ch)
		}
	}
	return out
}
