// Command azinteractive is the second process of BenchmarkSecondProcess:
// a program that starts, makes an azinteractive credential over a
// persistent cache that another process filled, gets a CAE token silently
// and exits, printing how many requests it sent ("requests=N").
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/bench/internal/tokenprocess/flags"
	"github.com/azinteractive/azinteractive/cache"
	"github.com/azinteractive/azinteractive/internal/tokencache"
)

func main() {
	f := flags.Parse()
	opts, client, err := f.Options()
	if err != nil {
		flags.Fail(err)
	}
	var rec azinteractive.AuthenticationRecord
	b, err := os.ReadFile(f.RecordFile)
	if err == nil {
		err = json.Unmarshal(b, &rec)
	}
	if err != nil {
		flags.Fail(err)
	}
	if f.Plaintext {
		// The plaintext file, not the kernel keyring cache.New prefers.
		tokencache.RefuseKernelKeyring()
	}
	c, err := cache.New(&cache.Options{Name: f.CacheName, Directory: f.CacheDir, AllowUnencryptedStorage: f.Plaintext})
	if err != nil {
		flags.Fail(err)
	}
	cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
		ClientOptions: opts, Cache: c, AuthenticationRecord: rec, ClientID: rec.ClientID,
		DisableAutomaticAuthentication: true,
	})
	if err != nil {
		flags.Fail(err)
	}
	if _, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{f.Scope}, EnableCAE: true}); err != nil {
		flags.Fail(err)
	}
	fmt.Printf("requests=%d\n", client.Requests())
}
