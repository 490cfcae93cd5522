package azinteractive

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func liveSlot(until int64) *slot {
	s := &slot{}
	s.e.Store(&indexEntry{serveUntil: until})
	return s
}

// A table finds every key it was given, as a list up to smallScopes keys and
// as a map beyond, and drops the keys whose tokens expired.
func TestScopeTable(t *testing.T) {
	const now = 1000
	for _, n := range []int{0, 1, smallScopes - 1, smallScopes, smallScopes + 1, 3 * smallScopes} {
		t.Run(fmt.Sprint("keys=", n), func(t *testing.T) {
			var tb scopeTable
			slots := map[string]*slot{}
			for i := range n {
				k := fmt.Sprintf("https://r%d.example/.default", i)
				slots[k] = liveSlot(now + 1)
				tb = tb.with(k, slots[k], now)
			}
			assert.Equal(t, n == 0, tb.empty())
			assert.Equal(t, n > smallScopes, tb.byKey != nil, "a map only beyond smallScopes keys")
			for k, s := range slots {
				// A string equal to the key but not the same pointer.
				assert.Same(t, s, tb.get(string([]byte(k))), k)
			}
			assert.Nil(t, tb.get("https://other.example/.default"))
			assert.Nil(t, tb.get(""))
		})
	}
	t.Run("expired keys are dropped", func(t *testing.T) {
		for _, n := range []int{2, 2 * smallScopes} {
			var tb scopeTable
			for i := range n {
				until := int64(now + 1)
				if i%2 == 0 {
					until = now // serveUntil == now: no longer served
				}
				tb = tb.with(fmt.Sprint("s", i), liveSlot(until), now)
			}
			tb = tb.with("new", liveSlot(now+1), now)
			for i := range n {
				if i%2 == 0 {
					assert.Nil(t, tb.get(fmt.Sprint("s", i)), "n=%d key %d expired", n, i)
				} else {
					require.NotNil(t, tb.get(fmt.Sprint("s", i)), "n=%d key %d live", n, i)
				}
			}
			assert.NotNil(t, tb.get("new"))
		}
	})
	t.Run("with doesn't change the table it copies", func(t *testing.T) {
		var tb scopeTable
		tb = tb.with("a", liveSlot(now+1), now)
		before := tb.get("a")
		_ = tb.with("b", liveSlot(now+1), now)
		assert.Same(t, before, tb.get("a"))
		assert.Nil(t, tb.get("b"))
	})
}
