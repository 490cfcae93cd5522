package loopback

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine behind: the
// server's serve loops, connection goroutines, or a test client's.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
