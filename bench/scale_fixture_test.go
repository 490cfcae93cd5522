package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	azcache "github.com/Azure/azure-sdk-for-go/sdk/azidentity/cache"
	msalcache "github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/bench/internal/keyring"
	"github.com/azinteractive/azinteractive/bench/internal/loopclient"
	"github.com/azinteractive/azinteractive/cache"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/azinteractive/azinteractive/internal/tokencache"
)

// The caches of the scale benchmarks.
const (
	// storeMemory is each library's in-memory cache, the default.
	storeMemory = "memory"
	// storeFile is a persistent cache in a file: azinteractive's plaintext
	// cache (cache.Options.AllowUnencryptedStorage, with no Secret Service
	// reachable); azidentity/cache, whose only Linux store is a file
	// encrypted with a key kept in the kernel's user keyring (keyctl).
	storeFile = "file"
	// storeSecretService is azinteractive's encrypted Linux cache, in a
	// private gnome-keyring. azidentity has none.
	storeSecretService = "secretservice"
)

// scaleScope is the scope of the i-th cached token of a scale fixture.
func scaleScope(i int) policy.TokenRequestOptions {
	return caeRequest([]string{fmt.Sprintf("api://bench-resource-%05d/.default", i)})
}

// newScopes numbers the scopes no fixture has cached, which op=FirstToken
// asks for; never reset, so that no credential has seen one before.
var newScopes int

func newScope() policy.TokenRequestOptions {
	newScopes++
	return caeRequest([]string{fmt.Sprintf("api://bench-new-%07d/.default", newScopes)})
}

// scaleFixture is a credential of one library whose cache of one kind holds
// n tokens, one per scope, with the server in another process.
type scaleFixture struct {
	lib   string
	store string
	n     int

	cred   azcore.TokenCredential
	client *loopclient.Client
	// added counts the tokens added since the fixture was built.
	added int
	// readyAt is when the fixture was built: every token it was built
	// with needs refreshing from scaleRefreshIn later.
	readyAt time.Time
	// refreshed is when op=SilentRefresh last refreshed each scope.
	refreshed map[int]time.Time
	// heapBefore is the live heap just before the credential was made.
	heapBefore uint64
	// buildTime is how long the last build took, and how.
	buildTime time.Duration
	buildHow  string
	// cleanup undoes the last build (files, keyring items).
	cleanup func()
}

// growth is how many tokens a benchmark may add to a fixture of n before it
// is built again: a tenth, so that tokens=N measures a cache of N to 1.1 N.
func growth(n int) int { return max(1, n/10) }

func newScaleFixture(b *testing.B, l string, store string, n int) *scaleFixture {
	b.Helper()
	f := &scaleFixture{lib: l, store: store, n: n}
	f.build(b)
	b.Logf("built %s/%s with %d tokens in %v (%s)", l, store, n, f.buildTime.Round(time.Millisecond), f.buildHow)
	return f
}

// ensureRoom rebuilds the fixture, with the timer stopped, when k more
// tokens would grow it past its allowance.
func (f *scaleFixture) ensureRoom(b *testing.B, k int) {
	if f.added+k <= growth(f.n) {
		return
	}
	b.StopTimer()
	f.close()
	f.build(b)
	b.StartTimer()
}

func (f *scaleFixture) close() {
	if f.cleanup != nil {
		f.cleanup()
		f.cleanup = nil
	}
	f.cred = nil
	if f.client != nil {
		f.client.CloseIdleConnections()
		f.client = nil
	}
}

// build makes the fixture's credential and fills its cache with n tokens.
//
// An in-memory cache can only be filled through the library: one GetToken
// per scope, each redeeming the refresh token. A persistent cache is filled
// the way another process would fill it: MSAL itself, with an in-memory
// cache that is serialized once, gets the n tokens from the server, and
// the benchmark writes that serialization (MSAL's cache format, which
// every Microsoft library shares) where the library's persistent cache
// keeps its data. That keeps fixtures of 10,000 tokens quick to make
// whatever a library's cost per write.
func (f *scaleFixture) build(b *testing.B) {
	b.Helper()
	srv := scaleServer(b)
	start := time.Now()
	f.added = 0
	// open makes a credential over the persistent cache, once the snapshot
	// is in the store and dropped: the heap baseline mustn't hold it.
	var open func(azcore.ClientOptions) (azcore.TokenCredential, error)
	if f.store != storeMemory {
		snapshot, record, err := msalSnapshot(srv, f.n)
		if err != nil {
			b.Fatalf("filling a cache with MSAL: %v", err)
		}
		open, err = f.persistent(b, snapshot, record)
		if err != nil {
			b.Fatal(err)
		}
	}
	client, err := srv.client()
	if err != nil {
		b.Fatal(err)
	}
	f.client = client
	opts := azcore.ClientOptions{Transport: client.Client, Cloud: srv.cloud()}
	f.heapBefore = liveHeap()

	ctx := context.Background()
	switch {
	case f.store == storeMemory:
		f.cred, err = passwordCredential(f.lib, opts)
		if err != nil {
			b.Fatal(err)
		}
		for i := range f.n {
			if _, err := f.cred.GetToken(ctx, scaleScope(i)); err != nil {
				b.Fatalf("filling the cache (token %d): %v", i, err)
			}
			progress(f, i+1, start)
		}
		f.buildHow = "GetToken per scope"
	default:
		f.cred, err = open(opts)
		if err != nil {
			b.Fatal(err)
		}
		f.buildHow = "MSAL's serialization written to the store"
	}
	// The first silent call that reaches the server resolves the authority
	// (and the first call of a persistent cache loads it): the benchmarks
	// measure the calls after. A claims challenge makes MSAL skip the
	// cached access token and redeem the refresh token; the new token
	// replaces scope 0's, so the cache still holds n.
	warmup := scaleScope(0)
	warmup.Claims = caeChallenge
	if _, err := f.cred.GetToken(ctx, warmup); err != nil {
		b.Fatalf("the first silent GetToken of the credential: %v", err)
	}
	f.readyAt = time.Now()
	f.refreshed = map[int]time.Time{}
	f.buildTime = f.readyAt.Sub(start)
}

// dueForRefresh waits, with the timer stopped, until the token of scope i
// needs refreshing.
func (f *scaleFixture) dueForRefresh(b *testing.B, i int) {
	last, ok := f.refreshed[i]
	if !ok {
		last = f.readyAt
	}
	// A little past refresh_in, counted from when the token arrived.
	if wait := time.Until(last.Add(scaleRefreshIn + 50*time.Millisecond)); wait > 0 {
		b.StopTimer()
		time.Sleep(wait)
		b.StartTimer()
	}
}

// persistent writes snapshot where the fixture's persistent cache keeps its
// data and returns what makes a credential of the account of record that
// gets tokens only silently, from that cache.
func (f *scaleFixture) persistent(b *testing.B, snapshot, record []byte) (func(azcore.ClientOptions) (azcore.TokenCredential, error), error) {
	b.Helper()
	switch {
	case f.lib == libOurs && f.store == storeFile:
		dir, err := os.MkdirTemp("", "bench-cache")
		if err != nil {
			return nil, err
		}
		f.cleanup = func() { os.RemoveAll(dir) }
		if err := os.WriteFile(filepath.Join(dir, "bench.cae"), snapshot, 0o600); err != nil {
			return nil, err
		}
		return func(opts azcore.ClientOptions) (azcore.TokenCredential, error) {
			var c azinteractive.Cache
			var err error
			withoutSecretService(b, func() {
				c, err = cache.New(&cache.Options{Name: "bench", Directory: dir, AllowUnencryptedStorage: true})
			})
			if err != nil {
				return nil, err
			}
			return silentCredential(f.lib, opts, caches{ours: c}, record)
		}, nil

	case f.lib == libOurs && f.store == storeSecretService:
		k := sharedKeyring(b)
		dir, err := os.MkdirTemp("", "bench-cache")
		if err != nil {
			return nil, err
		}
		name := fmt.Sprintf("bench-%d-%d", os.Getpid(), nextCacheName())
		attrs := func(suffix string) map[string]string {
			// The item Python's azure-identity (msal-extensions'
			// LibsecretPersistence) writes, which azinteractive shares.
			return map[string]string{"xdg:schema": name + suffix, "MsalClientID": "Microsoft.Developer.IdentityService"}
		}
		f.cleanup = func() {
			_ = k.Delete(attrs(".cae"))
			_ = k.Delete(attrs(".nocae"))
			os.RemoveAll(dir)
		}
		if err := k.Store(attrs(".cae"), "MSALCache", snapshot); err != nil {
			return nil, fmt.Errorf("writing the cache to the keyring: %w", err)
		}
		return func(opts azcore.ClientOptions) (azcore.TokenCredential, error) {
			c, err := cache.New(&cache.Options{Name: name, Directory: dir})
			if err != nil {
				return nil, err
			}
			return silentCredential(f.lib, opts, caches{ours: c}, record)
		}, nil

	case f.lib == libTheirs && f.store == storeFile:
		azidentityCacheHome(b)
		name := fmt.Sprintf("azinteractive-bench-%d-%d", os.Getpid(), f.n)
		c, err := azcache.New(&azcache.Options{Name: name})
		if err != nil {
			unusable(b, "azidentity/cache can't run here (does this container allow keyctl?): %v", err)
		}
		if err := writeAzidentityCache(c, snapshot); err != nil {
			return nil, err
		}
		return func(opts azcore.ClientOptions) (azcore.TokenCredential, error) {
			// A Cache of its own, as a new process would make.
			c, err := azcache.New(&azcache.Options{Name: name})
			if err != nil {
				return nil, err
			}
			return silentCredential(f.lib, opts, caches{theirs: c}, record)
		}, nil
	}
	return nil, fmt.Errorf("no %s cache for %s", f.store, f.lib)
}

// progress tells whoever watches a long fill how far it got. The lines are
// indented, so that benchstat doesn't take them for configuration.
func progress(f *scaleFixture, done int, start time.Time) {
	if f.n >= 1000 && done%1000 == 0 {
		fmt.Fprintf(os.Stderr, "    filling %s/%s: %d of %d tokens after %v\n", f.lib, f.store, done, f.n, time.Since(start).Round(time.Second))
	}
}

// liveHeap returns the bytes of live heap objects after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

var cacheNames int

func nextCacheName() int { cacheNames++; return cacheNames }

// passwordCredential returns a UsernamePasswordCredential of lib with an
// in-memory cache: its first GetToken signs in with one request, no prompt,
// so that small fixtures are quick to make again. Every credential type of
// either library shares one cache implementation.
func passwordCredential(lib string, opts azcore.ClientOptions) (azcore.TokenCredential, error) {
	const tenant = "organizations"
	if lib == libOurs {
		return azinteractive.NewUsernamePasswordCredential(tenant, entratest.DefaultClientID, entratest.DefaultUsername, entratest.DefaultPassword,
			&azinteractive.UsernamePasswordCredentialOptions{ClientOptions: opts})
	}
	return azidentity.NewUsernamePasswordCredential(tenant, entratest.DefaultClientID, entratest.DefaultUsername, entratest.DefaultPassword,
		&azidentity.UsernamePasswordCredentialOptions{ClientOptions: opts})
}

// silentCredential returns a DeviceCodeCredential of lib for the account of
// the AuthenticationRecord JSON record, with cache c, that fails rather than
// prompt: every token it gets comes from the cache or its refresh token.
func silentCredential(lib string, opts azcore.ClientOptions, c caches, record []byte) (azcore.TokenCredential, error) {
	if lib == libOurs {
		var rec azinteractive.AuthenticationRecord
		if err := json.Unmarshal(record, &rec); err != nil {
			return nil, err
		}
		return azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
			ClientOptions: opts, Cache: c.ours, AuthenticationRecord: rec, ClientID: rec.ClientID,
			DisableAutomaticAuthentication: true,
		})
	}
	var rec azidentity.AuthenticationRecord
	if err := json.Unmarshal(record, &rec); err != nil {
		return nil, err
	}
	return azidentity.NewDeviceCodeCredential(&azidentity.DeviceCodeCredentialOptions{
		ClientOptions: opts, Cache: c.theirs, AuthenticationRecord: rec, ClientID: rec.ClientID,
		DisableAutomaticAuthentication: true,
	})
}

// captureCache is an MSAL cache accessor that leaves MSAL's in-memory cache
// alone (Replace does nothing) and keeps MSAL's serialization of it only
// when asked to, so that filling it costs no serialization per token.
type captureCache struct {
	capture bool
	data    []byte
}

func (c *captureCache) Replace(context.Context, msalcache.Unmarshaler, msalcache.ReplaceHints) error {
	return nil
}

func (c *captureCache) Export(_ context.Context, m msalcache.Marshaler, _ msalcache.ExportHints) error {
	if !c.capture {
		return nil
	}
	data, err := m.Marshal()
	c.data = data
	return err
}

// msalSnapshot signs in to srv with MSAL, gets tokens for the first n scale
// scopes as a CAE-capable client, as both libraries' CAE clients are, and
// returns MSAL's serialization of its cache and the AuthenticationRecord
// (JSON) of the account. Each snapshot has a refresh token of its own:
// entratest rotates refresh tokens, and redeems each once.
func msalSnapshot(srv *remoteServer, n int) (snapshot, record []byte, err error) {
	client, err := srv.client()
	if err != nil {
		return nil, nil, err
	}
	defer client.CloseIdleConnections()
	cc := &captureCache{}
	pca, err := public.New(entratest.DefaultClientID,
		public.WithAuthority(srv.URL+"/organizations"),
		public.WithHTTPClient(client.Client),
		public.WithCache(cc),
		public.WithClientCapabilities([]string{"CP1"}))
	if err != nil {
		return nil, nil, err
	}
	ctx := context.Background()
	cc.capture = n == 1
	ar, err := pca.AcquireTokenByUsernamePassword(ctx, scaleScope(0).Scopes, entratest.DefaultUsername, entratest.DefaultPassword)
	if err != nil {
		return nil, nil, err
	}
	for i := 1; i < n; i++ {
		cc.capture = i == n-1
		if _, err := pca.AcquireTokenSilent(ctx, scaleScope(i).Scopes, public.WithSilentAccount(ar.Account)); err != nil {
			return nil, nil, fmt.Errorf("token %d: %w", i, err)
		}
	}
	if cc.data == nil {
		return nil, nil, errors.New("MSAL never exported its cache")
	}
	record, err = json.Marshal(map[string]string{
		"authority":     ar.Account.Environment,
		"clientId":      entratest.DefaultClientID,
		"homeAccountId": ar.Account.HomeAccountID,
		"tenantId":      ar.Account.Realm,
		"username":      ar.Account.PreferredUsername,
		"version":       "1.0",
	})
	return cc.data, record, err
}

// writeAzidentityCache writes MSAL's serialization data to the CAE half of
// azidentity/cache's persistent cache c, through azidentity/cache's own
// storage (its keyring-encrypted file, with its lock and timestamp files).
// azidentity has no way to import a cache, so this reaches the storage's
// constructor inside the azidentity.Cache by reflection: the layout of
// azidentity v1.15.0's internal.Cache, pinned by this module's go.mod. It
// fails, rather than guess, if that layout changes.
func writeAzidentityCache(c azidentity.Cache, data []byte) error {
	v := reflect.ValueOf(&c).Elem()
	if v.Kind() != reflect.Struct || v.NumField() != 1 || v.Field(0).Kind() != reflect.Pointer {
		return errors.New("azidentity.Cache isn't the struct of v1.15.0")
	}
	impl := v.Field(0)
	impl = reflect.NewAt(impl.Type(), unsafe.Pointer(impl.UnsafeAddr())).Elem().Elem()
	fv := impl.FieldByName("factory")
	if !fv.IsValid() {
		return errors.New("azidentity.Cache has no factory")
	}
	factory, ok := reflect.NewAt(fv.Type(), unsafe.Pointer(fv.UnsafeAddr())).Elem().Interface().(func(bool) (msalcache.ExportReplace, error))
	if !ok {
		return errors.New("azidentity.Cache's factory isn't func(bool) (cache.ExportReplace, error)")
	}
	xr, err := factory(true)
	if err != nil {
		return err
	}
	return xr.Export(context.Background(), rawMarshaler(data), msalcache.ExportHints{})
}

type rawMarshaler []byte

func (r rawMarshaler) Marshal() ([]byte, error) { return r, nil }

// withoutSecretService runs f with no D-Bus session bus in sight, so that
// azinteractive's cache.New falls back to plaintext even where a keyring
// runs.
func withoutSecretService(b *testing.B, f func()) {
	b.Helper()
	empty, err := os.MkdirTemp("", "bench-nobus")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(empty)
	restore := keyring.Setenv(map[string]string{"DBUS_SESSION_BUS_ADDRESS": "", "XDG_RUNTIME_DIR": empty})
	defer restore()
	// Nor the kernel keyring, which cache.New would use instead of the
	// plaintext file these benchmarks measure.
	defer tokencache.RefuseKernelKeyring()()
	f()
}

// scaleServer returns the scale benchmarks' entratest server, started in
// another process on first use and stopped when the benchmarks end.
func scaleServer(b *testing.B) *remoteServer {
	b.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.scaleServer == nil {
		s, err := startRemoteServer()
		if err != nil {
			b.Fatal(err)
		}
		shared.scaleServer = s
		shared.closers = append(shared.closers, s.close)
	}
	return shared.scaleServer
}

// sharedKeyring returns a private Secret Service, started on first use and
// stopped when the benchmarks end. It skips the benchmark where the
// keyring's programs are missing, or fails it under CI.
func sharedKeyring(b testing.TB) *keyring.Keyring {
	b.Helper()
	if runtime.GOOS != "linux" {
		b.Skip("the Secret Service benchmarks run on Linux")
	}
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.keyring == nil && shared.keyringErr == nil {
		shared.keyring, shared.keyringErr = keyring.Start()
		if shared.keyring != nil {
			shared.closers = append(shared.closers, shared.keyring.Stop)
		}
	}
	if err := shared.keyringErr; err != nil {
		if errors.Is(err, keyring.ErrUnavailable) && os.Getenv("CI") == "" {
			b.Skipf("no Secret Service: %v", err)
		}
		b.Fatalf("starting a private Secret Service: %v", err)
	}
	return shared.keyring
}

// azidentityCacheHome points azidentity/cache, which keeps its files under
// $XDG_CACHE_HOME/.IdentityService, at a directory of the benchmarks' own
// for the rest of the run.
func azidentityCacheHome(b testing.TB) {
	b.Helper()
	if runtime.GOOS != "linux" {
		b.Skip("azidentity/cache is benchmarked on Linux")
	}
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.xdgCacheHome != "" {
		return
	}
	dir, err := os.MkdirTemp("", "bench-xdg-cache")
	if err != nil {
		b.Fatal(err)
	}
	restore := keyring.Setenv(map[string]string{"XDG_CACHE_HOME": dir})
	shared.xdgCacheHome = dir
	shared.closers = append(shared.closers, func() { restore(); os.RemoveAll(dir) })
}
