package bench

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	azcache "github.com/Azure/azure-sdk-for-go/sdk/azidentity/cache"
	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/cache"
	"github.com/azinteractive/azinteractive/entratest"
)

// BenchmarkOffline is a new process on a machine without a network (a
// laptop on a plane) getting a token its user's earlier sign-in cached:
// a user signed in at the public cloud's authority with a persistent cache;
// each op is a new credential over that cache, with the record and the
// tenant, whose transport fails every request as an unreachable network
// does, asking for the cached token. sends/op counts what it tried to send.
//
// MSAL for Go asks Entra ID's instance discovery about the authority before
// it reads its cache, and falls back to its own copy of the public cloud's
// metadata only once that request has failed, azcore's retries included;
// azinteractive answers that request itself for Microsoft's clouds. Each
// azidentity op takes seconds of retry delays, so -short (CI's smoke run)
// skips it.
func BenchmarkOffline(b *testing.B) {
	b.Run("lib="+libOurs, func(b *testing.B) {
		noSecretService(b)
		c, err := cache.New(&cache.Options{Name: "bench-offline", Directory: b.TempDir(), AllowUnencryptedStorage: true})
		if err != nil {
			b.Fatal(err)
		}
		srv := newServer(b)
		a := &approver{srv: srv}
		cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
			ClientOptions: publicCloud(srv.Client()), Cache: c, TenantID: entratest.DefaultTenantID,
			UserPrompt: func(ctx context.Context, m azinteractive.DeviceCodeMessage) error { return a.prompt(ctx, m.UserCode) },
		})
		if err != nil {
			b.Fatal(err)
		}
		rec := signInOffline(b, func(ctx context.Context) (any, error) {
			return cred.Authenticate(ctx, &policy.TokenRequestOptions{Scopes: armScope, EnableCAE: true})
		}, cred)
		offlineOps(b, func(t policy.Transporter) (azcore.TokenCredential, error) {
			return azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
				ClientOptions: publicCloud(t), Cache: c, AuthenticationRecord: rec.(azinteractive.AuthenticationRecord),
				TenantID: entratest.DefaultTenantID, DisableAutomaticAuthentication: true,
			})
		})
	})
	b.Run("lib="+libTheirs, func(b *testing.B) {
		if testing.Short() {
			b.Skip("-short: each op waits out azcore's retries (seconds); bench/run.sh runs it")
		}
		if runtime.GOOS != "linux" {
			b.Skip("azidentity/cache is benchmarked on Linux")
		}
		b.Setenv("XDG_CACHE_HOME", filepath.Join(b.TempDir(), "cache"))
		c, err := azcache.New(&azcache.Options{Name: "azinteractive-bench-offline"})
		if err != nil {
			unusable(b, "azidentity/cache can't run here (does this container allow keyctl?): %v", err)
		}
		srv := newServer(b)
		a := &approver{srv: srv}
		cred, err := azidentity.NewDeviceCodeCredential(&azidentity.DeviceCodeCredentialOptions{
			ClientOptions: publicCloud(srv.Client()), Cache: c, TenantID: entratest.DefaultTenantID,
			UserPrompt: func(ctx context.Context, m azidentity.DeviceCodeMessage) error { return a.prompt(ctx, m.UserCode) },
		})
		if err != nil {
			b.Fatal(err)
		}
		rec := signInOffline(b, func(ctx context.Context) (any, error) {
			return cred.Authenticate(ctx, &policy.TokenRequestOptions{Scopes: armScope, EnableCAE: true})
		}, cred)
		offlineOps(b, func(t policy.Transporter) (azcore.TokenCredential, error) {
			// azidentity takes no tenant from a record: the tenant is given,
			// as its users must, or its token would be cached under another.
			return azidentity.NewDeviceCodeCredential(&azidentity.DeviceCodeCredentialOptions{
				ClientOptions: publicCloud(t), Cache: c, AuthenticationRecord: rec.(azidentity.AuthenticationRecord),
				TenantID: entratest.DefaultTenantID, DisableAutomaticAuthentication: true,
			})
		})
	})
}

func publicCloud(t policy.Transporter) azcore.ClientOptions {
	return azcore.ClientOptions{Transport: t, Cloud: cloud.AzurePublic}
}

// signInOffline signs in with authenticate and gets the token the offline
// credentials will ask for, online.
func signInOffline(b *testing.B, authenticate func(context.Context) (any, error), cred azcore.TokenCredential) any {
	b.Helper()
	rec, err := authenticate(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := cred.GetToken(context.Background(), caeRequest(armScope)); err != nil {
		b.Fatal(err)
	}
	return rec
}

// offlineOps times newCred over an unreachable network and GetToken.
func offlineOps(b *testing.B, newCred func(policy.Transporter) (azcore.TokenCredential, error)) {
	b.Helper()
	down := &unreachable{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cred, err := newCred(down)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := cred.GetToken(context.Background(), caeRequest(armScope)); err != nil {
			b.Fatalf("offline, the cached token wasn't served: %v", err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(down.sends.Load())/float64(b.N), "sends/op")
}

// unreachable is the transport of a machine without a network.
type unreachable struct{ sends atomic.Int64 }

func (u *unreachable) Do(r *http.Request) (*http.Response, error) {
	u.sends.Add(1)
	return nil, errors.New("dial tcp: connect: network is unreachable")
}
