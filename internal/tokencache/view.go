package tokencache

import (
	"bytes"
	"encoding/json"
	"maps"
	"reflect"
)

// MSAL's cache interface trades whole caches, and MSAL marshals all it holds
// after every token it writes, which makes each token cost what the cache
// holds. So the Store hands MSAL a view: every section MSAL reads whole and,
// of the access tokens, only those MSAL could match to the call's scopes
// (match.go), among which its lookup makes the same choice. Views are
// sticky: while MSAL holds a current one with what the next call can use and
// nothing more, it keeps it. Nothing more, or a growing view would make
// every refresh cost what the cache holds again.

// served is what MSAL holds since the last Replace: the base against which
// the next Export's changes are found.
type served struct {
	gen      uint64   // the mode's gen the view was current at
	sections contract // the entries served, access tokens too
	ats      int      // the access tokens in sections
}

// fits reports whether v holds exactly the access tokens ats, as they are.
func (v *served) fits(ats []*atEntry) bool {
	if v.ats > len(ats) {
		return false
	}
	at := v.sections[sectionAccessToken]
	for _, e := range ats {
		if raw, ok := at[e.key]; !ok || string(raw) != e.raw {
			return false
		}
	}
	return true
}

// newView builds the view of m for the access tokens ats.
func newView(m *model, ats []*atEntry) *served {
	v := &served{sections: make(contract, len(m.sections)+1)}
	for name, entries := range m.sections {
		v.sections[name] = maps.Clone(entries)
	}
	if m.atVerbatim() {
		return v
	}
	at := make(map[string]json.RawMessage, len(ats))
	for _, e := range ats {
		at[e.key] = json.RawMessage(e.raw)
	}
	if len(at) > 0 {
		v.sections[sectionAccessToken] = at
	}
	v.ats = len(at)
	return v
}

// diff lists the entries next holds that v lacks or holds differently.
// Entries missing from next are no deletions: MSAL deletes only in its
// RemoveAccount, which the Store replaces, and when it renames an entry of
// its first schema, whose old key may stay.
func (v *served) diff(next contract) []change {
	var out []change
	var base contract
	if v != nil {
		base = v.sections
	}
	for section, entries := range next {
		if _, verbatim := entries[verbatimKey]; verbatim {
			continue
		}
		for k, e := range entries {
			if old, ok := base[section][k]; !ok || !sameEntry(old, e) {
				out = append(out, change{section, k, e})
			}
		}
	}
	return out
}

// apply records that MSAL holds changes on top of v.
func (v *served) apply(changes []change) {
	for _, ch := range changes {
		if v.sections.set(ch.section, ch.key, ch.value) && ch.section == sectionAccessToken {
			v.ats++
		}
	}
}

// sameEntry reports whether MSAL's marshalling of an entry says what the
// entry served to it said. MSAL writes its own order and format, and taking
// that for a change would write its stale copy over another process's.
func sameEntry(served, next json.RawMessage) bool {
	if bytes.Equal(served, next) {
		return true
	}
	var a, b any
	if json.Unmarshal(served, &a) != nil || json.Unmarshal(next, &b) != nil {
		return false
	}
	return reflect.DeepEqual(a, b)
}
