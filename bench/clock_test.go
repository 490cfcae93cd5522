package bench

import (
	"testing"
	"time"

	"github.com/azinteractive/azinteractive/internal/wallclock"
)

// BenchmarkClockFloor reads the wall clock, as a warm GetToken must once to
// judge expiry: clock=wallclock is the read the warm path makes (on linux/amd64
// the kernel's coarse wall clock through the vDSO; elsewhere time.Now), clock=time.Now reads
// the wall and the monotonic clocks, as time.Now always does. On a shared,
// loaded machine absolute times drift from run to run; compare WarmGetToken
// with this floor measured in the same run.
func BenchmarkClockFloor(b *testing.B) {
	var sink int64
	b.Run("clock=wallclock", func(b *testing.B) {
		for b.Loop() {
			sink += wallclock.UnixNano()
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
