package wallclock

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// UnixNano is the wall clock: between two time.Now readings, to the
// microsecond gettimeofday reports.
func TestUnixNanoIsTheWallClock(t *testing.T) {
	for range 100 {
		before := time.Now().Truncate(time.Microsecond).UnixNano()
		got := UnixNano()
		after := time.Now().UnixNano()
		assert.GreaterOrEqual(t, got, before)
		assert.LessOrEqual(t, got, after)
	}
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
