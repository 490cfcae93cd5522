package wam

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestProcsAreRealExports: every procedure the binding resolves is exported
// by the real msalruntime.dll (testdata/msalruntime_exports.txt).
func TestProcsAreRealExports(t *testing.T) {
	b, err := os.ReadFile("testdata/msalruntime_exports.txt")
	require.NoError(t, err)
	exports := map[string]bool{}
	for _, n := range strings.Fields(string(b)) {
		exports[n] = true
	}
	require.Len(t, exports, 72)
	for _, n := range procNames {
		assert.True(t, exports[n], "%s isn't exported by the real MSALRuntime", n)
	}
}
