package bench

import (
	"testing"
	"time"
)

// BenchmarkClockFloor reads the wall clock, as a warm GetToken must once to
// judge expiry. On a shared, loaded machine absolute times drift from run to
// run; compare WarmGetToken with this floor measured in the same run.
func BenchmarkClockFloor(b *testing.B) {
	var sink int64
	for b.Loop() {
		sink += time.Now().UnixNano()
	}
	if sink == 0 {
		b.Log(sink)
	}
}
