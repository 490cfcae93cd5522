//go:build linux

package tokencache

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/azinteractive/azinteractive/internal/tokencache/keyringtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gnome-keyring registers a new client on an idle of its main loop, which
// the client's first call can beat: that call then finds no collection
// (ReadAlias answers "/", so a write would ask to create a keyring) or fails
// ("Method SearchItems is not implemented"). With a connection per
// operation and several processes at it, about one operation in 300 met it
// (found by TestProcessesRefreshingAtOnceNeverReprompt in CI: a write that
// failed so lost a rotated refresh token). Every answer must be right.
func TestEveryNewConnectionGetsTrueAnswers(t *testing.T) {
	keyringtest.Start(t)
	ctx := t.Context()
	want := bytes.Repeat([]byte("x"), 1024)
	s := newSecretService("newclient.nocae")
	require.NoError(t, s.write(ctx, want))

	const goroutines, ops = 8, 450
	var mu sync.Mutex
	failures := map[string]int{}
	fail := func(what string) {
		mu.Lock()
		defer mu.Unlock()
		failures[what]++
	}
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range ops {
				var err error
				switch i % 3 {
				case 0:
					err = probeSecretService(ctx)
				case 1:
					var got []byte
					if got, err = s.read(ctx); err == nil && !bytes.Equal(got, want) {
						err = fmt.Errorf("read %d bytes, not the %d written", len(got), len(want))
					}
				default:
					err = newSecretService(fmt.Sprintf("newclient-%d.cae", g)).write(ctx, want)
				}
				if err != nil {
					fail(err.Error())
				}
			}
		})
	}
	wg.Wait()
	assert.Empty(t, failures, "of %d operations, each on a new connection", goroutines*ops)
}
