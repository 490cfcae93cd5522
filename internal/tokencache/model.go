package tokencache

import (
	"encoding/json"
	"strings"
)

// model is one CAE mode's cache, parsed once, with the access tokens kept
// compactly (at_entry.go) and indexed by scope, so that a view costs what it
// holds, not what the cache holds.
type model struct {
	// sections holds all but the access tokens, and top-level values that
	// aren't sections, verbatim (see verbatimKey).
	sections contract
	// ats holds the access tokens; prefixes and heads, the strings they share.
	ats      map[atKey]*atEntry
	prefixes interned
	heads    interned
	// byScope lists the access tokens whose target has a part of this
	// foldScope key. Keys are substrings of the entries' where they can be,
	// so that they cost no memory of their own.
	byScope map[string][]*atEntry
	// anyScope holds the access tokens whose target can't be read: they go
	// in every view.
	anyScope map[*atEntry]struct{}
}

func newModel() *model {
	return &model{
		sections: contract{},
		ats:      map[atKey]*atEntry{},
		prefixes: interned{},
		heads:    interned{},
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

// findAT returns the access token of key, or nil.
func (m *model) findAT(key string) *atEntry {
	if e := m.ats[atKey{nil, key}]; e != nil {
		return e
	}
	for _, p := range m.prefixes {
		if strings.HasPrefix(key, p.s) {
			if e := m.ats[atKey{p, key[len(p.s):]}]; e != nil {
				return e
			}
		}
	}
	return nil
}

func (m *model) setAT(key string, value json.RawMessage) {
	if old := m.findAT(key); old != nil {
		if old.equal(value) {
			return
		}
		m.deleteAT(old)
	}
	target, ok := entryTarget(value)
	e := newATEntry(key, value, target, m.prefixes, m.heads)
	m.ats[e.mapKey()] = e
	if !ok {
		m.anyScope[e] = struct{}{}
		return
	}
	parts := scopeParts(target)
	for i, p := range parts {
		f := foldScope(p)
		if dup(parts[:i], f) {
			continue
		}
		m.byScope[within(e.rest[:e.klen], f)] = append(m.byScope[f], e)
	}
}

func (m *model) deleteAT(e *atEntry) {
	delete(m.ats, e.mapKey())
	defer e.release(m.prefixes, m.heads)
	if _, ok := m.anyScope[e]; ok {
		delete(m.anyScope, e)
		return
	}
	target, _ := entryTarget(e.raw())
	for _, p := range scopeParts(target) {
		f := foldScope(p)
		list, ok := m.byScope[f]
		if !ok {
			continue
		}
		for i, x := range list {
			if x == e {
				list[i] = list[len(list)-1]
				list[len(list)-1] = nil
				list = list[:len(list)-1]
				break
			}
		}
		delete(m.byScope, f)
		if len(list) > 0 {
			// Key the list by a substring of an entry that stays.
			m.byScope[within(list[0].rest[:list[0].klen], f)] = list
		}
	}
}

// within returns s as a substring of key when key holds it (MSAL's keys end
// with the lowercased target), and otherwise a copy of s.
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

// matching returns every access token MSAL could match to a request for
// scopes (folded, duplicates kept), and perhaps a few more.
func (m *model) matching(scopes []string) []*atEntry {
	var out []*atEntry
	for e := range m.anyScope {
		out = append(out, e)
	}
	switch len(scopes) {
	case 0:
		// MSAL matches every token to no scope at all.
		for _, e := range m.ats {
			if _, any := m.anyScope[e]; !any {
				out = append(out, e)
			}
		}
		return out
	case 1:
		// Every match has a part equal to the scope (tokens with two such
		// parts don't match, but they're harmless in a view).
		return append(out, m.byScope[scopes[0]]...)
	}
	// A match has a part equal to at least one of the scopes.
	seen := map[*atEntry]bool{}
	for i, s := range scopes {
		if dup(scopes[:i], s) {
			continue
		}
		for _, e := range m.byScope[s] {
			if !seen[e] {
				seen[e] = true
				if target, _ := entryTarget(e.raw()); msalMatches(scopes, target) {
					out = append(out, e)
				}
			}
		}
	}
	return out
}

// msalMatches is MSAL's isMatchingScopes for folded scopes: it counts the
// parts of the target equal to each scope, and matches when the count is
// the number of scopes. With repeats, that isn't "every scope is in the
// target" (["a", "b"] matches "a a"), and a view must follow MSAL.
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
		if ofAccount(e.key(), e.raw(), homeAccountID) {
			m.deleteAT(e)
		}
	}
}

// ofAccount reports whether an entry belongs to homeAccountID: its key
// begins with it, as MSAL writes keys, or its home_account_id names it.
func ofAccount(key string, value json.RawMessage, homeAccountID string) bool {
	if len(key) > len(homeAccountID) && key[len(homeAccountID)] == '-' && strings.EqualFold(key[:len(homeAccountID)], homeAccountID) {
		return true
	}
	var e struct {
		HomeAccountID string `json:"home_account_id"`
	}
	return json.Unmarshal(value, &e) == nil && e.HomeAccountID != "" && strings.EqualFold(e.HomeAccountID, homeAccountID)
}

// marshal writes the whole cache as MSAL's schema. Entries came from a JSON
// decoder, so they are copied as they are.
func (m *model) marshal() []byte {
	// Sized first: growing a large cache's buffer costs 25 times the copy.
	size := 64
	for name, entries := range m.sections {
		size += len(name) + 4
		for k, v := range entries {
			size += len(k) + len(v) + 4
		}
	}
	for _, e := range m.ats {
		size += len(e.rest) + e.size() + 8
		if e.prefix != nil {
			size += len(e.prefix.s)
		}
	}
	b := append(make([]byte, 0, size), '{')
	first := true
	if len(m.ats) > 0 {
		b = appendJSONString(b, sectionAccessToken)
		b = append(b, ':', '{')
		for _, e := range m.ats {
			if !first {
				b = append(b, ',')
			}
			first = false
			b = e.appendKey(b)
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
