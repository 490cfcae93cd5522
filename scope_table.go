package azinteractive

// smallScopes is how many scope keys a scopeTable keeps in a list before it
// becomes a map.
const smallScopes = 8

// scopeTable maps the credential's own tenant's scope keys to their slots.
// A credential usually asks for one scope or a few, and finding one of a
// few in a list costs less than hashing it: comparing strings stops at the
// first differing length or byte, and a caller that asks with the same
// string each time (azcore's bearer policy does) compares by pointer.
// Beyond smallScopes keys, a map. The zero value is empty. A table never
// changes once it is in a published index.
type scopeTable struct {
	list  []scopeSlot      // when byKey is nil
	byKey map[string]*slot // when more than smallScopes keys
}

type scopeSlot struct {
	scope string
	s     *slot
}

// get returns scope's slot, or nil.
func (t *scopeTable) get(scope string) *slot {
	if t.byKey != nil {
		return t.byKey[scope]
	}
	for i := range t.list {
		if t.list[i].scope == scope {
			return t.list[i].s
		}
	}
	return nil
}

func (t *scopeTable) empty() bool { return t.byKey == nil && len(t.list) == 0 }

// with returns a copy of t with s as scope's slot, dropping the slots whose
// tokens expired before now.
func (t *scopeTable) with(scope string, s *slot, now int64) scopeTable {
	live := func(v *slot) bool { e := v.e.Load(); return e != nil && now < e.serveUntil }
	var list []scopeSlot
	if t.byKey != nil {
		list = make([]scopeSlot, 0, len(t.byKey)+1)
		for k, v := range t.byKey {
			if k != scope && live(v) {
				list = append(list, scopeSlot{k, v})
			}
		}
	} else {
		list = make([]scopeSlot, 0, len(t.list)+1)
		for _, v := range t.list {
			if v.scope != scope && live(v.s) {
				list = append(list, v)
			}
		}
	}
	list = append(list, scopeSlot{scope, s})
	if len(list) <= smallScopes {
		return scopeTable{list: list}
	}
	m := make(map[string]*slot, len(list))
	for _, v := range list {
		m[v.scope] = v.s
	}
	return scopeTable{byKey: m}
}
