package entratest_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that servers, stand-in browsers and MSAL's loopback servers leave no
// goroutines behind once closed.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
