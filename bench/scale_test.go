package bench

import (
	"context"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/log"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/azinteractive/azinteractive"
)

// scaleSizes are the numbers of cached tokens of the scale benchmarks.
var scaleSizes = []int{1, 10, 100, 1000, 10000}

// scaleStores are the caches each library is measured with.
var scaleStores = []struct {
	name string
	libs []string
}{
	{storeMemory, []string{libOurs, libTheirs}},
	{storeFile, []string{libOurs, libTheirs}},
	{storeSecretService, []string{libOurs}},
}

// BenchmarkScale measures what a cache of 1 to 10,000 tokens costs each
// library, for each kind of cache: per fixture (one library, one cache, N
// tokens, one per scope, against one entratest server in another process)
//
//   - op=Memory: the live heap the credential and its cache retain, after
//     garbage collection, in total (retained-B) and per cached token
//     (retained-B/token). Its time/op is that of runtime.GC, no measure of
//     the library.
//   - op=SilentRefresh: GetToken for a cached scope whose access token needs
//     refreshing (the server's tokens carry refresh_in, 1 s: the op waits,
//     timer stopped, until the token is due), so the refresh token is
//     redeemed and the new token replaces the old: the cache keeps N
//     tokens. requests/op must be 1.
//   - op=FirstToken: GetToken for a scope never asked for, silent through the
//     refresh token: adding token #N+1 to a cache of N, which is also the
//     cost of filling a cache, per token, at N. The cache may grow to 1.1 N
//     before the fixture is built again, timer stopped.
//
// The fixture lives for its three ops and no longer, so that the live heap,
// hence the garbage collector's work, is that fixture's alone.
//
// Run it with a fixed iteration count (bench/run.sh uses -benchtime=20x):
// at 10,000 tokens one op can take seconds. See also scaleOpBudget.
func BenchmarkScale(b *testing.B) {
	for _, st := range scaleStores {
		b.Run("cache="+st.name, func(b *testing.B) {
			for _, n := range scaleSizes {
				b.Run("tokens="+strconv.Itoa(n), func(b *testing.B) {
					skipLargeInShortMode(b, n)
					for _, l := range st.libs {
						b.Run("lib="+l, func(b *testing.B) {
							if l == libOurs && st.name != storeMemory {
								defer failOnStorageWarnings(b)()
							}
							f := newScaleFixture(b, l, st.name, n)
							defer f.close()
							b.Run("op=Memory", f.benchMemory)
							b.Run("op=SilentRefresh", f.benchSilentRefresh)
							b.Run("op=FirstToken", f.benchFirstToken)
						})
					}
				})
			}
		})
	}
}

// failOnStorageWarnings watches azinteractive's log while a persistent
// fixture is measured, and the function it returns fails b if the token
// cache warned that it couldn't read or save its storage. The credential
// then goes on from memory, as users need, but the ops no longer measure
// the store: gnome-keyring crashed twice under the 10,000-token Secret
// Service fixture (D-Bus activation started another, locked), and the
// numbers that followed were of failing calls.
func failOnStorageWarnings(b *testing.B) func() {
	var mu sync.Mutex
	var first string
	log.SetEvents(azinteractive.EventAuthentication)
	log.SetListener(func(_ log.Event, msg string) {
		if strings.Contains(msg, "can't be saved") || strings.Contains(msg, "can't be read") {
			mu.Lock()
			if first == "" {
				first = msg
			}
			mu.Unlock()
		}
	})
	return func() {
		log.SetListener(nil)
		mu.Lock()
		defer mu.Unlock()
		if first != "" {
			b.Fatalf("the token cache's storage failed during the benchmark, so its numbers are of failing calls: %s", first)
		}
	}
}

func (f *scaleFixture) benchMemory(b *testing.B) {
	var heap uint64
	for b.Loop() {
		heap = liveHeap()
	}
	retained := float64(heap) - float64(f.heapBefore)
	b.ReportMetric(retained, "retained-B")
	b.ReportMetric(retained/float64(f.n+f.added), "retained-B/token")
}

func (f *scaleFixture) benchSilentRefresh(b *testing.B) {
	ctx := context.Background()
	var requests int64
	ops := scaleLoop(b, func(i int) {
		f.dueForRefresh(b, i%f.n)
	}, func(i int) {
		before := f.client.Requests()
		if _, err := f.cred.GetToken(ctx, scaleScope(i%f.n)); err != nil {
			b.Fatal(err)
		}
		requests += f.client.Requests() - before
		f.refreshed[i%f.n] = time.Now()
	})
	reportRequests(b, requests, ops)
}

func (f *scaleFixture) benchFirstToken(b *testing.B) {
	ctx := context.Background()
	var requests int64
	var req policy.TokenRequestOptions
	ops := scaleLoop(b, func(int) {
		f.ensureRoom(b, 1)
		req = newScope()
	}, func(int) {
		before := f.client.Requests()
		if _, err := f.cred.GetToken(ctx, req); err != nil {
			b.Fatal(err)
		}
		requests += f.client.Requests() - before
		f.added++
	})
	reportRequests(b, requests, ops)
}

// Limits of one run of a scale op: at 10,000 tokens an op of the slowest
// cache takes seconds, and op=SilentRefresh may wait a second for a token
// to be due. A run stops early, after at least one op, once its ops have
// taken scaleOpBudget or the run scaleWallBudget; it then reports the
// average of the ops it ran.
const (
	scaleOpBudget   = 20 * time.Second
	scaleWallBudget = 30 * time.Second
)

// scaleLoop runs prepare then op b.N times, or fewer (see scaleOpBudget),
// and reports time, bytes and allocations per op of op alone: not of
// prepare, which waits for a token to be due or rebuilds a fixture. It
// reports them itself (ReportMetric overrides testing's own, which would
// count prepare and divide by b.N) and returns the number of ops.
func scaleLoop(b *testing.B, prepare, op func(i int)) int {
	b.Helper()
	var elapsed time.Duration
	var allocs, bytes uint64
	var ms runtime.MemStats
	start := time.Now()
	ops := 0
	for i := 0; i < b.N; i++ {
		if ops > 0 && (elapsed >= scaleOpBudget || time.Since(start) >= scaleWallBudget) {
			break
		}
		prepare(i)
		runtime.ReadMemStats(&ms)
		m0, b0 := ms.Mallocs, ms.TotalAlloc
		t0 := time.Now()
		op(i)
		elapsed += time.Since(t0)
		runtime.ReadMemStats(&ms)
		allocs += ms.Mallocs - m0
		bytes += ms.TotalAlloc - b0
		ops++
	}
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(ops), "ns/op")
	b.ReportMetric(float64(bytes)/float64(ops), "B/op")
	b.ReportMetric(float64(allocs)/float64(ops), "allocs/op")
	return ops
}

// reportRequests reports the requests per op, and fails the benchmark when
// an op sent none: then its token came from the cache, and the benchmark
// didn't measure what it says.
func reportRequests(b *testing.B, requests int64, ops int) {
	b.Helper()
	if requests < int64(ops) {
		b.Fatalf("%d ops sent only %d requests: some tokens came from the cache", ops, requests)
	}
	b.ReportMetric(float64(requests)/float64(ops), "requests/op")
}
