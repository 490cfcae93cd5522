package wallclock

import (
	"os"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// maxAhead is how far ahead of the precise clock a reading may be: the
// coarse clock's two added ticks and the tick it may be into, at the largest
// tick (HZ=100).
const maxAhead = 30 * time.Millisecond

// The vDSO is found, and its clock is the coarse wall clock with two ticks
// added, not another clock the symbol table could have led to.
func TestCoarseClockIsFound(t *testing.T) {
	if os.Getenv("CI") == "" && coarse.fn == 0 {
		t.Skip("no vDSO clock_gettime in this process (a sandbox, or vdso=0): UnixNano uses gettimeofday")
	}
	require.NotZero(t, coarse.fn, "the vDSO's clock_gettime")
	var res unix.Timespec
	require.NoError(t, unix.ClockGetres(unix.CLOCK_REALTIME_COARSE, &res))
	assert.Equal(t, 2*res.Nano(), coarse.ahead)

	var ts timespec
	require.Zero(t, vdsoClockGettime(coarse.fn, unix.CLOCK_MONOTONIC, &ts))
	var mono unix.Timespec
	require.NoError(t, unix.ClockGettime(unix.CLOCK_MONOTONIC, &mono))
	assert.InDelta(t, mono.Nano(), ts.sec*1e9+ts.nsec, float64(lateTick), "the vDSO's CLOCK_MONOTONIC against the system call's")
}

// Without the vDSO, UnixNano reads gettimeofday.
func TestUnixNanoWithoutVDSO(t *testing.T) {
	saved := coarse
	t.Cleanup(func() { coarse = saved })
	coarse = coarseClock{}
	before := time.Now().Truncate(time.Microsecond).UnixNano()
	got := UnixNano()
	after := time.Now().UnixNano()
	assert.GreaterOrEqual(t, got, before)
	assert.LessOrEqual(t, got, after)
}

// An image that isn't the vDSO's yields no symbol rather than a bad address.
func TestVDSOImageRefusesNonELF(t *testing.T) {
	b := make([]byte, 64)
	assert.Nil(t, vdsoImage(uintptr(unsafe.Pointer(&b[0]))))
	runtime.KeepAlive(b)
}
