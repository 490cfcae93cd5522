package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	azcache "github.com/Azure/azure-sdk-for-go/sdk/azidentity/cache"
	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/cache"
	"github.com/azinteractive/azinteractive/entratest"
)

// BenchmarkSecondProcess is "exec → token": a user signed in once, in one
// process, with a persistent cache; ns/op is the wall time of a second
// process, a small program (internal/tokenprocess) built for each library,
// from exec until it exits having got a token silently from that cache.
// requests/op is what that process sent to Entra ID (it resolves the
// authority before its first token; the token itself comes from the cache).
//
// cache=encrypted is each library's encrypted Linux store: files sealed
// with keys kept in the Secret Service (a private gnome-keyring) for
// azinteractive, the kernel keyring plus an encrypted file for
// azidentity/cache. cache=file is
// azinteractive's plaintext file; azidentity has none.
func BenchmarkSecondProcess(b *testing.B) {
	for _, authority := range []string{authorityPublic, authorityOther} {
		b.Run("authority="+authority+"/lib="+libOurs+"/cache=encrypted", func(b *testing.B) {
			sharedKeyring(b)
			secondProcess(b, libOurs, authority, false, false)
		})
		b.Run("authority="+authority+"/lib="+libOurs+"/cache=file", func(b *testing.B) {
			secondProcess(b, libOurs, authority, true, false)
		})
		b.Run("authority="+authority+"/lib="+libTheirs+"/cache=encrypted", func(b *testing.B) {
			azidentityCacheHome(b)
			secondProcess(b, libTheirs, authority, false, false)
		})
	}
}

// BenchmarkRefreshProcess is BenchmarkSecondProcess an hour later: the
// access token the second process finds has expired, so it redeems the
// refresh token (and writes the cache) before it exits. requests/op counts
// the redemption and what the process sent to learn the authority's
// endpoints first. At the public cloud's authority only.
func BenchmarkRefreshProcess(b *testing.B) {
	b.Run("lib="+libOurs+"/cache=encrypted", func(b *testing.B) {
		sharedKeyring(b)
		secondProcess(b, libOurs, authorityPublic, false, true)
	})
	b.Run("lib="+libOurs+"/cache=file", func(b *testing.B) {
		secondProcess(b, libOurs, authorityPublic, true, true)
	})
	b.Run("lib="+libTheirs+"/cache=encrypted", func(b *testing.B) {
		azidentityCacheHome(b)
		secondProcess(b, libTheirs, authorityPublic, false, true)
	})
}

// The authorities of BenchmarkSecondProcess. authority=public is the public
// cloud's, login.microsoftonline.com, which the programs reach at the
// benchmark's entratest server: what nearly every user has. authority=other
// is the server's own host, 127.0.0.1:PORT, standing for any host that isn't
// one of Microsoft's clouds (Azure Stack, say), which Entra ID's instance
// discovery validates before a process's first token.
const (
	authorityPublic = "public"
	authorityOther  = "other"
)

// secondProcess measures lib's token program. With expired, every access
// token the server issues has less than the five minutes left that MSAL
// wants of a cached one, so each process redeems the refresh token.
func secondProcess(b *testing.B, lib, authority string, plaintext, expired bool) {
	var opts *entratest.Options
	if expired {
		opts = &entratest.Options{AccessTokenLifetime: 4 * time.Minute}
	}
	srv := newServerWith(b, opts)
	dir := b.TempDir()
	name := fmt.Sprintf("bench-second-%d-%d", os.Getpid(), nextCacheName())
	args := signInForSecondProcess(b, srv, lib, authority, dir, name, plaintext)
	prog := tokenProgram(b, lib)
	env := os.Environ()
	if plaintext {
		empty := b.TempDir()
		env = append(env, "DBUS_SESSION_BUS_ADDRESS=", "XDG_RUNTIME_DIR="+empty)
	}
	run := func() (time.Duration, int) {
		cmd := exec.Command(prog, args...)
		cmd.Env = env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		start := time.Now()
		err := cmd.Run()
		took := time.Since(start)
		if err != nil {
			b.Fatalf("the second process failed: %v: %s", err, stderr.String())
		}
		n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(stdout.String()), "requests="))
		if err != nil {
			b.Fatalf("the second process printed %q", stdout.String())
		}
		return took, n
	}
	// One process, untimed, before the timed ones. The first azinteractive
	// process after the sign-in redeems the refresh token once (4 requests):
	// the sign-in cached its access token under "organizations", the token
	// program asks the record's tenant, and MSAL for Go keys access tokens
	// by the authority's tenant. Every later process of either library is
	// silent, and that is what is timed: one refresh among 10 execs had
	// added a third to the mean.
	run()
	var requests int
	var elapsed time.Duration
	ops := 0
	for i := 0; i < b.N; i++ {
		took, n := run()
		elapsed += took
		requests += n
		ops++
	}
	// The time of the processes alone, not of reading their output.
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(ops), "ns/op")
	b.ReportMetric(float64(requests)/float64(ops), "requests/op")
}

// signInForSecondProcess signs in with lib's device code credential and a
// persistent cache named name, gets a CAE token for ARM, and returns the
// token program's arguments: the server, its certificate and the
// AuthenticationRecord, in files under dir, and the cache.
func signInForSecondProcess(b *testing.B, srv *entratest.Server, lib, authority, dir, name string, plaintext bool) []string {
	b.Helper()
	ctx := context.Background()
	a := &approver{srv: srv}
	opts := clientOptions(srv)
	if authority == authorityPublic {
		opts.Cloud = cloud.AzurePublic
	}
	var record any
	switch lib {
	case libOurs:
		var c azinteractive.Cache
		var err error
		newCache := func() {
			c, err = cache.New(&cache.Options{Name: name, Directory: dir, AllowUnencryptedStorage: plaintext})
		}
		if plaintext {
			withoutSecretService(b, newCache)
		} else {
			newCache()
		}
		if err != nil {
			b.Fatal(err)
		}
		cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
			ClientOptions: opts, Cache: c, ClientID: entratest.DefaultClientID,
			UserPrompt: func(ctx context.Context, m azinteractive.DeviceCodeMessage) error { return a.prompt(ctx, m.UserCode) },
		})
		if err != nil {
			b.Fatal(err)
		}
		rec, err := cred.Authenticate(ctx, &policy.TokenRequestOptions{Scopes: armScope, EnableCAE: true})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := cred.GetToken(ctx, caeRequest(armScope)); err != nil {
			b.Fatal(err)
		}
		record = rec
	case libTheirs:
		c, err := azcache.New(&azcache.Options{Name: name})
		if err != nil {
			unusable(b, "azidentity/cache can't run here (does this container allow keyctl?): %v", err)
		}
		cred, err := azidentity.NewDeviceCodeCredential(&azidentity.DeviceCodeCredentialOptions{
			ClientOptions: opts, Cache: c, ClientID: entratest.DefaultClientID,
			UserPrompt: func(ctx context.Context, m azidentity.DeviceCodeMessage) error { return a.prompt(ctx, m.UserCode) },
		})
		if err != nil {
			b.Fatal(err)
		}
		rec, err := cred.Authenticate(ctx, &policy.TokenRequestOptions{Scopes: armScope, EnableCAE: true})
		if err != nil {
			b.Fatal(err)
		}
		record = rec
	}
	recFile := filepath.Join(dir, "record.json")
	certFile := filepath.Join(dir, "server.pem")
	recJSON, err := json.Marshal(record)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(recFile, recJSON, 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		b.Fatal(err)
	}
	args := []string{"-server", srv.URL(), "-ca-file", certFile, "-record", recFile, "-cache-name", name, "-cache-dir", dir}
	if plaintext {
		args = append(args, "-plaintext")
	}
	if authority == authorityPublic {
		args = append(args, "-public")
	}
	return args
}

// tokenProgram builds lib's token program once per run of the benchmarks
// and returns its path.
func tokenProgram(b *testing.B, lib string) string {
	b.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if p, ok := shared.programs[lib]; ok {
		return p
	}
	dir, err := os.MkdirTemp("", "bench-tokenprocess")
	if err != nil {
		b.Fatal(err)
	}
	shared.closers = append(shared.closers, func() { os.RemoveAll(dir) })
	p := filepath.Join(dir, lib)
	build := exec.Command("go", "build", "-o", p, "./internal/tokenprocess/"+lib)
	build.Env = startEnv
	out, err := build.CombinedOutput()
	if err != nil {
		b.Fatalf("building the %s token program: %v\n%s", lib, err, out)
	}
	if shared.programs == nil {
		shared.programs = map[string]string{}
	}
	shared.programs[lib] = p
	return p
}
