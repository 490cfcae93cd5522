package broker

import (
	"testing"
	"time"
)

// SetCancelTimeout sets how long the background cancelInteractiveFlow of an
// interactive call may take, for the rest of the test.
func SetCancelTimeout(t testing.TB, d time.Duration) {
	old := cancelTimeout
	cancelTimeout = d
	t.Cleanup(func() { cancelTimeout = old })
}
