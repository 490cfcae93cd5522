package azinteractive

import (
	"time"

	"github.com/azinteractive/azinteractive/internal/wallclock"
)

// wallClock is what the core judges token expiry by: the wall clock, which
// keeps counting while a laptop sleeps (Go's monotonic clock doesn't). Its
// zero value reads the system clock; tests set now to move the wall clock
// without the monotonic one.
type wallClock struct {
	now func() time.Time
}

// time is the wall clock's reading.
func (w wallClock) time() time.Time {
	if w.now == nil {
		return time.Now()
	}
	return w.now()
}

// unixNano is the wall clock's reading in Unix nanoseconds, read as cheaply
// as the platform allows: it is the one clock the warm path reads.
func (w wallClock) unixNano() int64 {
	if w.now == nil {
		return wallclock.UnixNano()
	}
	return w.now().UnixNano()
}
