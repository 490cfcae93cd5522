package tokencache

import (
	"encoding/json"
	"strings"
)

// model is one CAE mode's cache as the Store holds it: every entry once,
// raw as MSAL's schema has it, with the access tokens indexed by scope so
// that a view (view.go) costs what it holds, not what the cache holds.
type model struct {
	// sections holds every section but the access tokens, and top-level
	// values that aren't sections, verbatim (see verbatimKey).
	sections contract
	// ats holds the access tokens by key (see atEntry), and heads the JSON
	// their entries share.
	ats   map[string]atEntry
	heads map[string]*sharedHead
	// byScope lists the keys of the access tokens whose target has a part
	// with this foldScope key. Its keys and lists are substrings of the
	// entries' keys where they can be, so that they cost no memory of
	// their own.
	byScope map[string][]string
	// anyScope holds the keys of access tokens whose target can't be read
	// (see entryTarget): they go in every view.
	anyScope map[string]struct{}
}

func newModel() *model {
	return &model{
		sections: contract{},
		ats:      map[string]atEntry{},
		heads:    map[string]*sharedHead{},
		byScope:  map[string][]string{},
		anyScope: map[string]struct{}{},
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

// get returns an entry.
func (m *model) get(section, key string) (json.RawMessage, bool) {
	if section == sectionAccessToken && !m.atVerbatim() {
		e, ok := m.ats[key]
		if !ok {
			return nil, false
		}
		return e.raw(), true
	}
	v, ok := m.sections[section][key]
	return v, ok
}

// set stores one entry.
func (m *model) set(section, key string, value json.RawMessage) {
	if section == sectionAccessToken {
		// A section that wasn't an object (corrupt) is replaced, or it
		// would be written back corrupt forever.
		delete(m.sections, sectionAccessToken)
		m.setAT(key, value)
		return
	}
	entries := m.sections[section]
	if _, verbatim := entries[verbatimKey]; verbatim || entries == nil {
		entries = map[string]json.RawMessage{}
		m.sections[section] = entries
	}
	entries[key] = value
}

func (m *model) setAT(key string, value json.RawMessage) {
	if old, ok := m.ats[key]; ok {
		if old.equal(value) {
			return
		}
		m.deleteAT(key)
	}
	e := newATEntry(key, value, m.heads)
	m.ats[e.key()] = e
	m.index(e, value)
}

func (m *model) deleteAT(key string) {
	if old, ok := m.ats[key]; ok {
		m.unindex(old)
		old.release(m.heads)
		delete(m.ats, key)
	}
}

// index adds an access token, whose JSON is raw, to byScope or anyScope.
func (m *model) index(e atEntry, raw json.RawMessage) {
	key := e.key()
	target, ok := entryTarget(raw)
	if !ok {
		m.anyScope[key] = struct{}{}
		return
	}
	parts := scopeParts(target)
	for i, p := range parts {
		f := foldScope(p)
		if dup(parts[:i], f) {
			continue
		}
		keys := m.byScope[f]
		m.byScope[within(key, f)] = append(keys, key)
	}
}

func (m *model) unindex(e atEntry) {
	key := e.key()
	if _, ok := m.anyScope[key]; ok {
		delete(m.anyScope, key)
		return
	}
	target, _ := entryTarget(e.raw())
	for _, p := range scopeParts(target) {
		f := foldScope(p)
		keys := m.byScope[f]
		for i, k := range keys {
			if k == key {
				keys[i] = keys[len(keys)-1]
				keys = keys[:len(keys)-1]
				break
			}
		}
		delete(m.byScope, f)
		if len(keys) > 0 {
			// The map's key may be a substring of the entry going away:
			// key the list by one that stays.
			m.byScope[within(keys[0], f)] = keys
		}
	}
}

// within returns s as a substring of key when key holds it (MSAL's keys end
// with the target, lowercased, so a scope's key is usually there), and
// otherwise a copy of s: either way, no memory of a caller's.
func within(key, s string) string {
	if j := strings.Index(key, s); j >= 0 && s != "" {
		return key[j : j+len(s)]
	}
	return strings.Clone(s)
}

// dup reports whether a part earlier in a target folds to f.
func dup(earlier []string, f string) bool {
	for _, p := range earlier {
		if foldScope(p) == f {
			return true
		}
	}
	return false
}

// matching returns the keys of every access token MSAL could match to a
// request for scopes (folded with foldScope, duplicates kept), and perhaps
// a few more: see msalMatches.
func (m *model) matching(scopes []string) []string {
	var out []string
	for k := range m.anyScope {
		out = append(out, k)
	}
	switch len(scopes) {
	case 0:
		// MSAL matches every token to no scope at all.
		for k := range m.ats {
			if _, any := m.anyScope[k]; !any {
				out = append(out, k)
			}
		}
		return out
	case 1:
		// Every match has a part equal to the scope. Tokens with two such
		// parts don't match, but they're few and harmless in a view.
		return append(out, m.byScope[scopes[0]]...)
	}
	// A match has a part equal to at least one of the scopes.
	seen := map[string]bool{}
	for i, s := range scopes {
		if dup(scopes[:i], s) {
			continue
		}
		for _, k := range m.byScope[s] {
			if !seen[k] {
				seen[k] = true
				if target, _ := entryTarget(m.ats[k].raw()); msalMatches(scopes, target) {
					out = append(out, k)
				}
			}
		}
	}
	return out
}

// msalMatches is MSAL's isMatchingScopes for folded scopes: it counts, for
// each requested scope, the parts of the target equal to it, and matches
// when the count is the number of scopes requested. That is "every scope is
// in the target" when neither list repeats itself; when one does, it isn't
// (["a", "b"] matches "a a"), and a view must follow MSAL, not intent.
func msalMatches(scopes []string, target string) bool {
	parts := scopeParts(target)
	n := 0
	for _, s := range scopes {
		for _, p := range parts {
			if foldScope(p) == s {
				n++
			}
		}
	}
	return n == len(scopes)
}

// removeAccount deletes every entry of homeAccountID: those whose key
// begins with it, as MSAL writes keys, and any other whose
// home_account_id names it.
func (m *model) removeAccount(homeAccountID string) bool {
	removed := false
	for _, section := range []string{sectionRefreshToken, sectionIDToken, sectionAccount} {
		for k, v := range m.sections[section] {
			if k != verbatimKey && ofAccount(k, v, homeAccountID) {
				delete(m.sections[section], k)
				removed = true
			}
		}
	}
	for k, e := range m.ats {
		if ofAccount(k, e.raw(), homeAccountID) {
			m.deleteAT(k)
			removed = true
		}
	}
	return removed
}

// ofAccount reports whether an entry belongs to homeAccountID.
func ofAccount(key string, value json.RawMessage, homeAccountID string) bool {
	if len(key) > len(homeAccountID) && key[len(homeAccountID)] == '-' && strings.EqualFold(key[:len(homeAccountID)], homeAccountID) {
		return true
	}
	var e struct {
		HomeAccountID string `json:"home_account_id"`
	}
	return json.Unmarshal(value, &e) == nil && e.HomeAccountID != "" && strings.EqualFold(e.HomeAccountID, homeAccountID)
}

// atVerbatim reports whether the stored access token section wasn't an
// object of entries: it is then kept in sections, verbatim, until a token
// is written.
func (m *model) atVerbatim() bool {
	_, ok := m.sections[sectionAccessToken]
	return ok
}

// marshal writes the whole cache as MSAL's schema. Entries are copied as
// they are: they came from a JSON decoder, so they are valid JSON already.
func (m *model) marshal() []byte {
	size := 64
	for name, entries := range m.sections {
		size += len(name) + 4
		for k, v := range entries {
			size += len(k) + len(v) + 4
		}
	}
	for _, e := range m.ats {
		size += len(e.buf) + 4
		if e.head != nil {
			size += len(e.head.s)
		}
	}
	b := make([]byte, 0, size)
	b = append(b, '{')
	first := true
	if len(m.ats) > 0 {
		b = appendJSONString(b, sectionAccessToken)
		b = append(b, ':', '{')
		for k, e := range m.ats {
			if !first {
				b = append(b, ',')
			}
			first = false
			b = appendJSONString(b, k)
			b = append(b, ':')
			b = e.appendRaw(b)
		}
		b = append(b, '}')
	}
	for name, entries := range m.sections {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendSection(b, name, entries)
	}
	return append(b, '}')
}

// appendSection appends `"name":{entries}`, or the verbatim value of a
// top-level member that isn't a section.
func appendSection(b []byte, name string, entries map[string]json.RawMessage) []byte {
	b = appendJSONString(b, name)
	b = append(b, ':')
	if v, ok := entries[verbatimKey]; ok {
		return append(b, v...)
	}
	b = append(b, '{')
	first := true
	for k, v := range entries {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = append(b, v...)
	}
	return append(b, '}')
}
