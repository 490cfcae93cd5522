package tokencache

import (
	"bytes"
	"encoding/json"
	"strings"
)

// Access tokens are most of a large cache, and most of each is the token
// (about 1.3 KB from Entra ID); the rest repeats across a user's tokens. So
// an entry keeps the token as a string of its own, which callers can keep
// (see Store.Intern), shares the key's start and the JSON before the secret
// with other entries, and keeps the rest in one small string.
type atEntry struct {
	prefix *sharedString // the key's start; nil when the key isn't split
	// head is the JSON up to the secret; nil when rest holds the JSON whole.
	head *sharedString
	// rest is the rest of the key (its first klen bytes), then the JSON
	// after the secret, or all of it.
	rest   string
	klen   int
	secret string // when head is set
}

// atKey is an entry's key, split as the entry keeps it.
type atKey struct {
	prefix *sharedString
	suffix string
}

// sharedString is a string entries share, counted so that it goes with the
// last of them.
type sharedString struct {
	s    string
	refs int
}

// interned holds the shared strings of one kind.
type interned map[string]*sharedString

// get returns the shared s, counting a new reference.
func (in interned) get(s []byte) *sharedString {
	h := in[string(s)]
	if h == nil {
		h = &sharedString{s: string(s)}
		in[h.s] = h
	}
	h.refs++
	return h
}

// put lets go of one reference to h.
func (in interned) put(h *sharedString) {
	if h == nil {
		return
	}
	h.refs--
	if h.refs == 0 {
		delete(in, h.s)
	}
}

// newATEntry builds the entry of key and raw, whose target is target.
func newATEntry(key string, raw json.RawMessage, target string, prefixes, heads interned) *atEntry {
	e := &atEntry{}
	suffix := key
	// MSAL's keys end with the target, lowercased.
	if lt := strings.ToLower(target); target != "" && len(key) > len(lt) && strings.HasSuffix(key, lt) {
		e.prefix = prefixes.get([]byte(key[:len(key)-len(lt)]))
		suffix = lt
	}
	start, end, ok := secretSpan(raw)
	var b strings.Builder
	if ok {
		e.head = heads.get(raw[:start])
		e.secret = string(raw[start:end])
		b.Grow(len(suffix) + len(raw) - end)
		b.WriteString(suffix)
		b.Write(raw[end:])
	} else {
		b.Grow(len(suffix) + len(raw))
		b.WriteString(suffix)
		b.Write(raw)
	}
	e.rest, e.klen = b.String(), len(suffix)
	return e
}

// release lets go of e's shared strings.
func (e *atEntry) release(prefixes, heads interned) {
	prefixes.put(e.prefix)
	heads.put(e.head)
}

// mapKey returns e's key as the model's map holds it.
func (e *atEntry) mapKey() atKey { return atKey{e.prefix, e.rest[:e.klen]} }

// key returns e's key, in new memory when it is split.
func (e *atEntry) key() string {
	if e.prefix == nil {
		return e.rest[:e.klen]
	}
	return e.prefix.s + e.rest[:e.klen]
}

// appendKey appends e's key as a JSON string, without joining it first.
func (e *atEntry) appendKey(b []byte) []byte {
	if e.prefix != nil && plainJSON(e.prefix.s) && plainJSON(e.rest[:e.klen]) {
		b = append(append(b, '"'), e.prefix.s...)
		return append(append(b, e.rest[:e.klen]...), '"')
	}
	return appendJSONString(b, e.key())
}

// appendRaw appends e's JSON.
func (e *atEntry) appendRaw(b []byte) []byte {
	if e.head != nil {
		b = append(b, e.head.s...)
		b = append(b, e.secret...)
	}
	return append(b, e.rest[e.klen:]...)
}

// size is the length of e's JSON.
func (e *atEntry) size() int {
	n := len(e.rest) - e.klen
	if e.head != nil {
		n += len(e.head.s) + len(e.secret)
	}
	return n
}

// raw returns e's JSON, in new memory.
func (e *atEntry) raw() json.RawMessage { return e.appendRaw(make([]byte, 0, e.size())) }

// equal reports whether e's JSON is raw.
func (e *atEntry) equal(raw []byte) bool {
	if len(raw) != e.size() {
		return false
	}
	if e.head != nil {
		n := len(e.head.s)
		if string(raw[:n]) != e.head.s || string(raw[n:n+len(e.secret)]) != e.secret {
			return false
		}
		raw = raw[n+len(e.secret):]
	}
	return string(raw) == e.rest[e.klen:]
}

// secretSpan finds the top-level "secret" member of an entry whose value is
// a string without escapes (a token is base64url and dots), and returns
// where its characters begin and end.
func secretSpan(raw []byte) (start, end int, ok bool) {
	members(raw, func(name []byte, at int, val []byte) bool {
		if string(name) != `"secret"` {
			return true
		}
		if len(val) >= 2 && val[0] == '"' && !bytes.ContainsRune(val, '\\') {
			start, end, ok = at+1, at+len(val)-1, true
		}
		return false
	})
	return start, end, ok
}
