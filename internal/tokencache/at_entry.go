package tokencache

import (
	"encoding/json"
	"strings"
)

// atEntry is one access token as the model keeps it: its key and JSON as
// stored, and the target its views are chosen by.
type atEntry struct {
	key, raw string
	// secret is the token, within raw: callers keep it (see Store.Intern),
	// so the process holds one copy. "" when raw holds it escaped, or none.
	secret string
	target string
	// scoped is set when target reads as MSAL reads it; otherwise the entry
	// goes in every view.
	scoped bool
}

// newATEntry builds the entry of key and raw. MSAL fails to decode the whole
// cache when an entry isn't an object or its target holds neither a string
// nor null, so such an entry goes in every view, where it fails alike. MSAL's
// decoder takes both "target" (the json tag) and "Scopes" (the Go name), the
// last one winning, and a null leaves the target as it was; an entry with
// both, or a null, goes in every view too rather than be guessed at.
func newATEntry(key string, raw []byte) *atEntry {
	e := &atEntry{key: key, raw: string(raw)}
	var members map[string]json.RawMessage
	if json.Unmarshal(raw, &members) != nil {
		return e
	}
	var secret string
	if json.Unmarshal(members["secret"], &secret) == nil && secret != "" {
		if i := strings.Index(e.raw, secret); i >= 0 {
			e.secret = e.raw[i : i+len(secret)]
		}
	}
	target, hasTarget := members["target"]
	scopes, hasScopes := members["Scopes"]
	switch {
	case hasTarget && hasScopes:
		return e
	case hasScopes:
		target = scopes
	case !hasTarget:
		e.scoped = true // MSAL reads no target as ""
		return e
	}
	e.scoped = string(target) != "null" && json.Unmarshal(target, &e.target) == nil
	return e
}
