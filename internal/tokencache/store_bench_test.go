// The password grant is deprecated for applications, and exercised here on purpose.
//lint:file-ignore SA1019 tests of the password grant

package tokencache

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
)

// benchEnv is one credential's Store with a real MSAL client of its non-CAE
// mode, a signed-in user and n cached access tokens, one per scope.
type benchEnv struct {
	store   *Store
	client  public.Client
	account public.Account
	scope   string // the scope of the user's first token
	next    int    // the number of the next new scope
}

// benchScope is the scope of cached token i.
func benchScope(i int) string { return "https://res" + strconv.Itoa(i) + ".example.com/.default" }

// newBenchEnv builds a benchEnv over memory ("memory") or plaintext files
// ("plaintext"): a sign-in, then silent calls for n-1 other scopes, as an
// application asking for tokens for many resources fills its cache.
func newBenchEnv(b *testing.B, kind string, n int) *benchEnv {
	b.Helper()
	var p Cache
	if kind == "plaintext" {
		p = Plaintext(Location{Dir: filepath.Join(b.TempDir(), "cache"), Name: "bench.cache", OwnDir: true})
	}
	s, err := Open(p, func(msg string) { b.Errorf("warning: %s", msg) })
	if err != nil {
		b.Fatal(err)
	}
	idp := newFakeIDP(b)
	idp.padding = "." + strings.Repeat("x", 1400) // an Entra ID access token's size
	client, err := public.New(testClientID, public.WithCache(s.Mode(false)), public.WithAuthority(idp.authority()),
		public.WithHTTPClient(idp.Client()), public.WithInstanceDiscovery(false))
	if err != nil {
		b.Fatal(err)
	}
	e := &benchEnv{store: s, client: client, scope: benchScope(0), next: 1}
	ctx := s.Begin(context.Background(), 0, []string{e.scope})
	ar, err := client.AcquireTokenByUsernamePassword(ctx, []string{e.scope}, "alice@contoso.com", "password")
	if err != nil {
		b.Fatal(err)
	}
	e.account = ar.Account
	for e.next < n {
		e.silent(b, benchScope(e.next))
		e.next++
	}
	return e
}

// silent runs one silent MSAL call as the core does: inside Redeem, with
// Begin's context.
func (e *benchEnv) silent(b *testing.B, scope string, opts ...public.AcquireSilentOption) {
	err := e.store.Redeem(context.Background(), func(ctx context.Context) error {
		_, err := e.client.AcquireTokenSilent(e.store.Begin(ctx, 0, []string{scope}), []string{scope},
			append([]public.AcquireSilentOption{public.WithSilentAccount(e.account)}, opts...)...)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
}

var benchSizes = []int{1, 100, 1000, 10000}

// BenchmarkSilentRefresh redeems the refresh token for one scope of a cache
// holding n access tokens: the claims challenge makes MSAL skip the cached
// token, as an expired one would. Issue 15: flat in n.
func BenchmarkSilentRefresh(b *testing.B) {
	for _, kind := range []string{"memory", "plaintext"} {
		for _, n := range benchSizes {
			if kind == "plaintext" && n > 1000 {
				continue // filling it would write the file 10,000 times
			}
			b.Run(fmt.Sprintf("cache=%s/tokens=%d", kind, n), func(b *testing.B) {
				e := newBenchEnv(b, kind, n)
				for b.Loop() {
					e.silent(b, e.scope, public.WithClaims(claimsChallenge))
				}
			})
		}
	}
}

// BenchmarkFill adds one token for a new scope to a cache of n tokens per
// op: a silent call that misses and redeems the refresh token.
func BenchmarkFill(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("cache=memory/tokens=%d", n), func(b *testing.B) {
			e := newBenchEnv(b, "memory", n)
			for b.Loop() {
				e.silent(b, benchScope(e.next))
				e.next++
			}
		})
	}
}

// BenchmarkSilentHit is a silent call that MSAL answers from its cache.
func BenchmarkSilentHit(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("cache=memory/tokens=%d", n), func(b *testing.B) {
			e := newBenchEnv(b, "memory", n)
			for b.Loop() {
				e.silent(b, e.scope)
			}
		})
	}
}

// BenchmarkRetainedMemory reports the heap a cache of n tokens keeps, per
// token, once MSAL has served one silent call from it.
func BenchmarkRetainedMemory(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("cache=memory/tokens=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var perToken float64
			for b.Loop() {
				before := heapInUse()
				e := newBenchEnv(b, "memory", n)
				e.silent(b, e.scope)
				after := heapInUse()
				perToken = float64(after-before) / float64(n)
				runtime.KeepAlive(e)
			}
			b.ReportMetric(perToken, "B/token")
		})
	}
}

func heapInUse() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkPersist is the storage half of a refresh over plaintext files
// holding n access tokens: an Export that rotates the refresh token and
// rewrites one access token, with no MSAL and no network.
func BenchmarkPersist(b *testing.B) {
	for _, n := range []int{1, 1000} {
		b.Run(fmt.Sprintf("cache=plaintext/tokens=%d", n), func(b *testing.B) {
			e := newBenchEnv(b, "plaintext", n)
			e.silent(b, benchScope(n)) // MSAL's client holds another view
			mode := e.store.Mode(false)
			m := &fakeMSAL{}
			ctx := e.store.Begin(context.Background(), 0, []string{e.scope})
			i := 0
			for b.Loop() {
				if err := mode.Replace(ctx, m, cache.ReplaceHints{}); err != nil {
					b.Fatal(err)
				}
				i++
				for _, section := range []string{sectionRefreshToken, sectionAccessToken} {
					for _, e := range m.data[section] {
						e.(map[string]any)["secret"] = "rotated-" + strconv.Itoa(i)
					}
				}
				if err := mode.Export(ctx, m, cache.ExportHints{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
