package wallclock

import (
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// coarse is the vDSO's clock_gettime and what to add to its coarse reading,
// found once at start; a zero fn means no usable vDSO (a
// sandbox without one, or a kernel booted with vdso=0).
var coarse = findCoarse()

type coarseClock struct {
	fn    uintptr
	ahead int64 // added to a reading: two ticks
}

type timespec struct{ sec, nsec int64 }

// vdsoClockGettime calls the vDSO's clock_gettime(clock, ts), returning its
// result (0 on success).
//
//go:noescape
func vdsoClockGettime(fn uintptr, clock int32, ts *timespec) int64

func findCoarse() coarseClock {
	fn := vdsoSymbol("__vdso_clock_gettime")
	if fn == 0 {
		return coarseClock{}
	}
	// The tick length: a coarse reading is the time of the last tick, which
	// can come a little late, so two ticks are added to read no earlier than
	// the precise clock.
	var res unix.Timespec
	if unix.ClockGetres(unix.CLOCK_REALTIME_COARSE, &res) != nil || res.Nano() <= 0 || res.Nano() > int64(100*time.Millisecond) {
		return coarseClock{}
	}
	var ts timespec
	if vdsoClockGettime(fn, unix.CLOCK_REALTIME_COARSE, &ts) != 0 {
		return coarseClock{}
	}
	return coarseClock{fn: fn, ahead: 2 * res.Nano()}
}

// UnixNano reads the wall clock in Unix nanoseconds: the coarse clock plus
// two ticks. A warm GetToken reads the clock once, and the
// precise clock costs four times the coarse one (about 40 ns against 10 ns
// on a virtual machine, where reading the TSC is dear).
func UnixNano() int64 {
	if c := coarse; c.fn != 0 {
		var ts timespec
		if vdsoClockGettime(c.fn, unix.CLOCK_REALTIME_COARSE, &ts) == 0 {
			return ts.sec*1e9 + ts.nsec + c.ahead
		}
	}
	return precise()
}

// precise is the wall clock alone without the vDSO's clock_gettime: on
// linux/amd64 syscall.Gettimeofday is the vDSO's gettimeofday, or a system
// call.
func precise() int64 {
	var tv syscall.Timeval
	if syscall.Gettimeofday(&tv) != nil {
		return time.Now().UnixNano()
	}
	return tv.Nano()
}
