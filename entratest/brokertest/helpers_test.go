package brokertest_test

import (
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain checks that brokers and buses leave no goroutines behind once closed.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fakeClock is a settable clock for entratest.Options.Now.
type fakeClock struct {
	mu sync.Mutex // guards t
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// consumersTenantID is Entra's tenant of personal Microsoft accounts.
const consumersTenantID = "9188040d-6c67-4c5b-b112-36a304b66dad"
