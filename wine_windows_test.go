//go:build wine

// The password grant is deprecated for applications, and exercised here on purpose.
//lint:file-ignore SA1019 tests of the password grant

package azinteractive_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/cache"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/azinteractive/azinteractive/internal/wine"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSignOutUnderWine: a program run under Wine 8, whose os.RemoveAll
// fails for want of FileDispositionInformationEx, signs in with a
// persistent cache that remembers the account, and signs out: the record
// file goes, and a new credential needs the user again.
func TestSignOutUnderWine(t *testing.T) {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	dir := t.TempDir()
	newCred := func() *azinteractive.UsernamePasswordCredential {
		c, err := cache.New(&cache.Options{Name: "winetest", Directory: dir, RememberAccount: true})
		require.NoError(t, err)
		cred, err := azinteractive.NewUsernamePasswordCredential(entratest.DefaultTenantID, entratest.DefaultClientID,
			entratest.DefaultUsername, entratest.DefaultPassword,
			&azinteractive.UsernamePasswordCredentialOptions{ClientOptions: fastClientOptions(srv), Cache: c})
		require.NoError(t, err)
		return cred
	}
	opts := policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}}
	wine.WithoutDeleteFallback(func() {
		cred := newCred()
		_, err := cred.GetToken(t.Context(), opts)
		require.NoError(t, err)
		record := filepath.Join(dir, "winetest."+entratest.DefaultClientID+".authrecord.json")
		_, err = os.Stat(record)
		require.NoError(t, err, "no record remembered")

		require.NoError(t, cred.SignOut(t.Context()))
		_, err = os.Stat(record)
		assert.True(t, errors.Is(err, os.ErrNotExist), "the record outlived SignOut: %v", err)
		tokens := countRequests(srv, entratest.EndpointToken)
		_, err = newCred().GetToken(t.Context(), opts)
		require.NoError(t, err)
		assert.Greater(t, countRequests(srv, entratest.EndpointToken), tokens, "a new credential signed in silently after SignOut")
	})
}
