package tokencache

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
)

// model is one CAE mode's cache, parsed once, with the access tokens indexed
// by scope, so that a view costs what it holds, not what the cache holds.
type model struct {
	// sections holds all but the access tokens, and top-level values that
	// aren't sections, verbatim (see verbatimKey).
	sections contract
	ats      map[string]*atEntry // by key
	// byScope lists the scoped access tokens whose target has a part of
	// this foldScope key.
	byScope map[string][]*atEntry
	// anyScope holds the access tokens whose target can't be read: they go
	// in every view.
	anyScope map[*atEntry]struct{}
}

func newModel() *model {
	return &model{
		sections: contract{},
		ats:      map[string]*atEntry{},
		byScope:  map[string][]*atEntry{},
		anyScope: map[*atEntry]struct{}{},
	}
}

// modelOf takes over c.
func modelOf(c contract) *model {
	m := newModel()
	ats, ok := c[sectionAccessToken]
	if _, verbatim := ats[verbatimKey]; ok && !verbatim {
		delete(c, sectionAccessToken)
		for k, v := range ats {
			m.setAT(k, v)
		}
	}
	m.sections = c
	return m
}

// atVerbatim reports whether the stored access token section wasn't an
// object of entries: it is then kept verbatim until a token is written.
func (m *model) atVerbatim() bool {
	_, ok := m.sections[sectionAccessToken]
	return ok
}

// set stores one entry.
func (m *model) set(section, key string, value json.RawMessage) {
	if section == sectionAccessToken {
		// A corrupt section is replaced, or it would be written back forever.
		delete(m.sections, sectionAccessToken)
		m.setAT(key, value)
		return
	}
	m.sections.set(section, key, value)
}

func (m *model) setAT(key string, value json.RawMessage) {
	if old := m.ats[key]; old != nil {
		if old.raw == string(value) {
			return
		}
		m.deleteAT(old)
	}
	e := newATEntry(key, value)
	m.ats[key] = e
	if !e.scoped {
		m.anyScope[e] = struct{}{}
		return
	}
	for _, f := range scopeKeys(e.target) {
		m.byScope[f] = append(m.byScope[f], e)
	}
}

func (m *model) deleteAT(e *atEntry) {
	delete(m.ats, e.key)
	if !e.scoped {
		delete(m.anyScope, e)
		return
	}
	for _, f := range scopeKeys(e.target) {
		list := slices.DeleteFunc(m.byScope[f], func(x *atEntry) bool { return x == e })
		if len(list) == 0 {
			delete(m.byScope, f)
		} else {
			m.byScope[f] = list
		}
	}
}

// matching returns every access token MSAL could match to a request for
// scopes (folded, duplicates kept).
func (m *model) matching(scopes []string) []*atEntry {
	out := slices.Collect(maps.Keys(m.anyScope))
	if len(scopes) == 0 {
		// MSAL matches every token to no scope at all.
		for _, e := range m.ats {
			if e.scoped {
				out = append(out, e)
			}
		}
		return out
	}
	// A match has a part equal to at least one of the scopes.
	seen := map[*atEntry]bool{}
	for _, s := range scopes {
		for _, e := range m.byScope[s] {
			if !seen[e] && msalMatches(scopes, e.target) {
				out = append(out, e)
			}
			seen[e] = true
		}
	}
	return out
}

// removeAccount deletes every entry of homeAccountID (see ofAccount).
func (m *model) removeAccount(homeAccountID string) {
	for _, section := range []string{sectionRefreshToken, sectionIDToken, sectionAccount} {
		for k, v := range m.sections[section] {
			if k != verbatimKey && ofAccount(k, v, homeAccountID) {
				delete(m.sections[section], k)
			}
		}
	}
	for _, e := range m.ats {
		if ofAccount(e.key, []byte(e.raw), homeAccountID) {
			m.deleteAT(e)
		}
	}
}

// ofAccount reports whether an entry belongs to homeAccountID: its key
// begins with it, as MSAL writes keys, or its home_account_id names it.
func ofAccount(key string, value []byte, homeAccountID string) bool {
	if len(key) > len(homeAccountID) && key[len(homeAccountID)] == '-' && strings.EqualFold(key[:len(homeAccountID)], homeAccountID) {
		return true
	}
	var e struct {
		HomeAccountID string `json:"home_account_id"`
	}
	return json.Unmarshal(value, &e) == nil && e.HomeAccountID != "" && strings.EqualFold(e.HomeAccountID, homeAccountID)
}

// marshal writes the whole cache as MSAL's schema. Entries came from a JSON
// decoder, so they are copied as they are, into a buffer sized first: grown
// by append, a cache of 1,000 tokens (1.5 MB) cost five times its size in
// copies, most of a refresh's time.
func (m *model) marshal() []byte {
	n := 2 + len(sectionAccessToken) + 6
	for _, e := range m.ats {
		n += len(e.key) + len(e.raw) + 4
	}
	for name, entries := range m.sections {
		n += len(name) + 6
		for k, v := range entries {
			n += len(k) + len(v) + 4
		}
	}
	b := append(make([]byte, 0, n), '{')
	if len(m.ats) > 0 {
		b = appendMember(b, sectionAccessToken, "{")
		for _, e := range m.ats {
			b = appendMember(b, e.key, e.raw)
		}
		b = append(b, '}')
	}
	for name, entries := range m.sections {
		if v, ok := entries[verbatimKey]; ok {
			b = appendMember(b, name, v)
			continue
		}
		b = appendMember(b, name, "{")
		for k, v := range entries {
			b = appendMember(b, k, v)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

// appendMember appends `"key":value` to the JSON object b has begun.
func appendMember[V string | json.RawMessage](b []byte, key string, value V) []byte {
	if b[len(b)-1] != '{' {
		b = append(b, ',')
	}
	q, _ := json.Marshal(key)
	b = append(append(b, q...), ':')
	return append(b, value...)
}
