package tokencache

import "encoding/json"

// Access tokens are most of a large cache, so the Store keeps each in one
// string, its key, then its secret, then the rest of its JSON after the
// secret, and shares the JSON before the secret (the account, environment,
// realm and client, the same for all of a user's tokens) among them. The
// secret is a substring that a caller can keep instead of a copy of its own
// (see Store.Intern): one copy of each token in the process.

// atEntry is one access token.
type atEntry struct {
	// buf is the key, then either the secret and the JSON after it (head
	// set), or the whole JSON (head nil).
	buf string
	// head is the JSON up to the secret's opening quote, shared.
	head *sharedHead
	// klen and slen are the lengths of the key and the secret in buf.
	klen, slen int
}

// sharedHead is a head that entries share, counted so that it goes when
// the last of them does.
type sharedHead struct {
	s    string
	refs int
}

// newATEntry splits raw around its secret, sharing heads through heads.
func newATEntry(key string, raw json.RawMessage, heads map[string]*sharedHead) atEntry {
	start, end, ok := secretSpan(raw)
	if !ok {
		return atEntry{buf: key + string(raw), klen: len(key)}
	}
	h := heads[string(raw[:start])]
	if h == nil {
		h = &sharedHead{s: string(raw[:start])}
		heads[h.s] = h
	}
	h.refs++
	buf := make([]byte, 0, len(key)+len(raw)-start)
	buf = append(append(buf, key...), raw[start:]...)
	return atEntry{buf: string(buf), head: h, klen: len(key), slen: end - start}
}

// release lets go of e's head.
func (e atEntry) release(heads map[string]*sharedHead) {
	if e.head == nil {
		return
	}
	e.head.refs--
	if e.head.refs == 0 {
		delete(heads, e.head.s)
	}
}

func (e atEntry) key() string { return e.buf[:e.klen] }

// secret returns the token, or "" when e keeps its JSON whole.
func (e atEntry) secret() string {
	if e.head == nil {
		return ""
	}
	return e.buf[e.klen : e.klen+e.slen]
}

// appendRaw appends e's JSON.
func (e atEntry) appendRaw(b []byte) []byte {
	if e.head != nil {
		b = append(b, e.head.s...)
	}
	return append(b, e.buf[e.klen:]...)
}

// raw returns e's JSON, in new memory.
func (e atEntry) raw() json.RawMessage {
	n := len(e.buf) - e.klen
	if e.head != nil {
		n += len(e.head.s)
	}
	return e.appendRaw(make([]byte, 0, n))
}

// equal reports whether e's JSON is raw.
func (e atEntry) equal(raw []byte) bool {
	rest := raw
	if e.head != nil {
		if len(raw) < len(e.head.s) || string(raw[:len(e.head.s)]) != e.head.s {
			return false
		}
		rest = raw[len(e.head.s):]
	}
	return string(rest) == e.buf[e.klen:]
}

// secretSpan finds the top-level "secret" member of an entry whose value is
// a string without escapes (a token is base64url and dots), and returns
// where its characters begin and end.
func secretSpan(raw []byte) (start, end int, ok bool) {
	p := rawScanner{b: raw}
	p.space()
	if !p.consume('{') {
		return 0, 0, false
	}
	for {
		p.space()
		nameStart := p.i
		if !p.skipString() {
			return 0, 0, false
		}
		name := string(p.b[nameStart:p.i])
		p.space()
		if !p.consume(':') {
			return 0, 0, false
		}
		p.space()
		valStart := p.i
		if !p.skipValue() {
			return 0, 0, false
		}
		if name == `"secret"` {
			val := p.b[valStart:p.i]
			if len(val) < 2 || val[0] != '"' {
				return 0, 0, false
			}
			for _, c := range val[1 : len(val)-1] {
				if c == '\\' {
					return 0, 0, false
				}
			}
			return valStart + 1, p.i - 1, true
		}
		p.space()
		if !p.consume(',') {
			return 0, 0, false
		}
	}
}
