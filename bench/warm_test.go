package bench

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	azcache "github.com/Azure/azure-sdk-for-go/sdk/azidentity/cache"
	"github.com/azinteractive/azinteractive/cache"
	"github.com/azinteractive/azinteractive/entratest"
)

// BenchmarkWarmGetToken is scenario 1: a warm GetToken, with 1, 10, 100 and
// 1000 tokens, of as many scopes, cached. Each iteration asks for the next scope in
// turn, so the whole cache is in use, as in a program that talks to many
// resources.
func BenchmarkWarmGetToken(b *testing.B) {
	for _, l := range libs {
		for _, n := range []int{1, 10, 100, 1000} {
			b.Run("lib="+l.name+"/tokens="+strconv.Itoa(n), func(b *testing.B) {
				skipLargeInShortMode(b, n)
				f := warm(b, l, n)
				loopGetToken(b, f.srv, f.cred, f.reqs)
			})
		}
	}
}

// loopGetToken is the timed loop of the warm scenarios. It fails if any
// iteration reached the server: then it wasn't measuring a warm GetToken.
func loopGetToken(b *testing.B, srv *entratest.Server, cred credential, reqs []policy.TokenRequestOptions) {
	b.Helper()
	srv.ResetRequests()
	ctx := context.Background()
	// As Azure SDK clients call it: through azcore.TokenCredential, not
	// through the fixture's struct, whose promoted method is a wrapper of
	// its own.
	tc := cred.TokenCredential
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tc.GetToken(ctx, reqs[i]); err != nil {
			b.Fatal(err)
		}
		if i++; i == len(reqs) {
			i = 0
		}
	}
	if n := len(srv.Requests()); n > 0 {
		b.Fatalf("a warm GetToken sent %d requests to the server", n)
	}
}

// BenchmarkWarmGetTokenParallel is scenario 2: a warm GetToken from
// GOMAXPROCS goroutines at once, one scope. Compare its ns/op with
// BenchmarkWarmGetToken's tokens=1: the ratio is the throughput gained from
// the extra cores.
func BenchmarkWarmGetTokenParallel(b *testing.B) {
	for _, l := range libs {
		b.Run("lib="+l.name, func(b *testing.B) {
			f := warm(b, l, 1)
			f.srv.ResetRequests()
			req := f.reqs[0]
			tc := f.cred.TokenCredential // as in loopGetToken
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					if _, err := tc.GetToken(ctx, req); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			if n := len(f.srv.Requests()); n > 0 {
				b.Fatalf("a warm GetToken sent %d requests to the server", n)
			}
		})
	}
}

// BenchmarkWarmGetTokenPersistent is scenario 3: a warm GetToken, one scope,
// with each library's persistent cache. store=encrypted is each library's
// encrypted store on Linux: files sealed with keys kept in the Secret
// Service (a private gnome-keyring) for azinteractive, the kernel keyring (keyctl) plus an encrypted file for
// azidentity/cache. store=plaintext is azinteractive's unencrypted fallback;
// azidentity/cache has none.
func BenchmarkWarmGetTokenPersistent(b *testing.B) {
	b.Run("lib="+libOurs+"/store=encrypted", func(b *testing.B) {
		sharedKeyring(b)
		c, err := cache.New(&cache.Options{Name: "bench", Directory: b.TempDir()})
		if err != nil {
			unusable(b, "the Secret Service isn't usable here, though its keyring started: %v", err)
		}
		warmPersistent(b, libs[0], caches{ours: c})
	})
	b.Run("lib="+libOurs+"/store=plaintext", func(b *testing.B) {
		noSecretService(b)
		c, err := cache.New(&cache.Options{Name: "bench", Directory: b.TempDir(), AllowUnencryptedStorage: true})
		if err != nil {
			b.Fatal(err)
		}
		warmPersistent(b, libs[0], caches{ours: c})
	})
	b.Run("lib="+libTheirs+"/store=encrypted", func(b *testing.B) {
		if runtime.GOOS != "linux" {
			b.Skip("store=encrypted compares the Linux stores")
		}
		// azidentity/cache keeps its encrypted file under
		// $XDG_CACHE_HOME/.IdentityService and its key in the user's kernel
		// keyring, under the cache's name.
		b.Setenv("XDG_CACHE_HOME", filepath.Join(b.TempDir(), "cache"))
		c, err := azcache.New(&azcache.Options{Name: "azinteractive-bench"})
		if err != nil {
			unusable(b, "azidentity/cache can't run here (does this container allow keyctl?): %v", err)
		}
		warmPersistent(b, libs[1], caches{theirs: c})
	})
}

// warmPersistent signs in with persistent caches c and measures a warm
// GetToken.
func warmPersistent(b *testing.B, l lib, c caches) {
	b.Helper()
	srv := newServer(b)
	a := &approver{srv: srv}
	cred, err := l.deviceCode(srv, a.prompt, c)
	if err != nil {
		b.Fatal(err)
	}
	reqs := scopeRequests(1)
	fill(b, cred, reqs)
	loopGetToken(b, srv, cred, reqs)
}

// unusable skips a benchmark whose store fails here, or fails it under CI,
// whose machine has every store.
func unusable(b *testing.B, format string, args ...any) {
	b.Helper()
	if os.Getenv("CI") != "" {
		b.Fatalf(format, args...)
	}
	b.Skipf(format, args...)
}

// noSecretService makes the Secret Service unreachable for the benchmark,
// so that cache.New falls back to plaintext even where a keyring runs.
func noSecretService(b *testing.B) {
	b.Helper()
	b.Setenv("HOME", b.TempDir())
	b.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	b.Setenv("XDG_RUNTIME_DIR", b.TempDir())
}

// maxShortScopes is the most tokens a scenario caches in -short mode, CI's
// smoke run: caches of 1,000 and 10,000 tokens take from seconds to many
// minutes to fill, and their ops up to seconds each.
const maxShortScopes = 100

func skipLargeInShortMode(b *testing.B, tokens int) {
	b.Helper()
	if testing.Short() && tokens > maxShortScopes {
		b.Skipf("-short: skipping %d cached tokens, too slow for a smoke run (at most %d under -short); bench/run.sh runs them", tokens, maxShortScopes)
	}
}

// caeChallenge is a claims challenge as a CAE-enabled service sends one.
const caeChallenge = `{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}`
