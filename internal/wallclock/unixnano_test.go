package wallclock

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// lateTick is how far behind the precise clock a reading may fall when the
// kernel's tick comes late on a loaded machine; tokens are served until five
// minutes before expiry, so even this much would be harmless.
const lateTick = 50 * time.Millisecond

// UnixNano is the wall clock, within the few milliseconds a coarse reading
// may be off. A reading of another clock (monotonic time since boot, the
// process's CPU time) is off by far more.
func TestUnixNanoIsTheWallClock(t *testing.T) {
	for range 1000 {
		before := time.Now().UnixNano()
		got := UnixNano()
		after := time.Now().UnixNano()
		assert.GreaterOrEqual(t, got, before-int64(lateTick))
		assert.LessOrEqual(t, got, after+int64(maxAhead))
	}
}

// A reading is mostly ahead of the precise clock: the point of the two
// ticks added to a coarse reading.
func TestUnixNanoReadsAhead(t *testing.T) {
	behind := 0
	for range 1000 {
		if UnixNano() < time.Now().UnixNano() {
			behind++
		}
	}
	assert.Less(t, behind, 100, "readings behind the precise clock, of 1000")
}

func BenchmarkUnixNano(b *testing.B) {
	var sink int64
	b.Run("clock=wallclock", func(b *testing.B) {
		for b.Loop() {
			sink += UnixNano()
		}
	})
	b.Run("clock=time.Now", func(b *testing.B) {
		for b.Loop() {
			sink += time.Now().UnixNano()
		}
	})
	if sink == 0 {
		b.Log(sink)
	}
}
