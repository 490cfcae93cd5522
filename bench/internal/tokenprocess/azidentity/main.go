// Command azidentity is BenchmarkSecondProcess's second process for
// azidentity: it makes a credential over azidentity/cache's persistent
// cache that another process filled, gets a CAE token silently and exits,
// printing how many requests it sent ("requests=N").
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	azcache "github.com/Azure/azure-sdk-for-go/sdk/azidentity/cache"
	"github.com/azinteractive/azinteractive/bench/internal/tokenprocess/flags"
)

func main() {
	f := flags.Parse()
	opts, client, err := f.Options()
	if err != nil {
		flags.Fail(err)
	}
	var rec azidentity.AuthenticationRecord
	b, err := os.ReadFile(f.RecordFile)
	if err == nil {
		err = json.Unmarshal(b, &rec)
	}
	if err != nil {
		flags.Fail(err)
	}
	c, err := azcache.New(&azcache.Options{Name: f.CacheName})
	if err != nil {
		flags.Fail(err)
	}
	cred, err := azidentity.NewDeviceCodeCredential(&azidentity.DeviceCodeCredentialOptions{
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
