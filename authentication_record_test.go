package azinteractive

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// wantRecord is a record as this module writes it: azidentity's form.
var wantRecord = AuthenticationRecord{
	Authority:     "https://login.microsoftonline.com",
	ClientID:      "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
	HomeAccountID: "00000000-0000-0000-0000-00000000a11c.72f988bf-86f1-41af-91ab-2d7cd011db47",
	TenantID:      "72f988bf-86f1-41af-91ab-2d7cd011db47",
	Username:      "alice@contoso.com",
	Version:       "1.0",
}

// Records written by azidentity, Python and .NET are read, each naming the
// same account at the same host.
func TestAuthenticationRecordReadsEveryLanguage(t *testing.T) {
	for _, file := range []string{"authrecord_azidentity.json", "authrecord_python.json", "authrecord_dotnet.json"} {
		t.Run(file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", file))
			require.NoError(t, err)
			var got AuthenticationRecord
			require.NoError(t, json.Unmarshal(b, &got))
			host, err := recordHost(got.Authority)
			require.NoError(t, err)
			assert.Equal(t, "login.microsoftonline.com", host)
			got.Authority = wantRecord.Authority
			assert.Equal(t, wantRecord, got)
		})
	}
}

// The record this module writes is azidentity's, byte for byte.
func TestAuthenticationRecordWritesAzidentitysForm(t *testing.T) {
	got, err := json.Marshal(wantRecord)
	require.NoError(t, err)
	golden := filepath.Join("testdata", "authrecord_written.golden")
	if *update {
		require.NoError(t, os.WriteFile(golden, got, 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))
	azidentitys, err := os.ReadFile(filepath.Join("testdata", "authrecord_azidentity.json"))
	require.NoError(t, err)
	assert.JSONEq(t, string(azidentitys), string(got))
}

func TestAuthenticationRecordRejects(t *testing.T) {
	cases := []struct{ name, json, want string }{
		{"no version", `{"authority":"login.microsoftonline.com"}`, "must have a version"},
		{"future version", `{"version":"2.0"}`, `unsupported AuthenticationRecord version "2.0"`},
		{"not json", `{`, "unexpected end of JSON input"},
		{"wrong type", `{"authority":5,"version":"1.0"}`, "cannot unmarshal number"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var r AuthenticationRecord
			err := json.Unmarshal([]byte(tc.json), &r)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestRecordHostAcceptsAuthorityForms(t *testing.T) {
	for _, a := range []string{"login.microsoftonline.com", "https://login.microsoftonline.com", "https://login.microsoftonline.com/", "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0", "LOGIN.microsoftonline.com"} {
		host, err := recordHost(a)
		require.NoError(t, err, a)
		assert.Equal(t, "login.microsoftonline.com", host, a)
	}
	_, err := recordHost("https://")
	assert.ErrorContains(t, err, "neither a host nor a URL")
}

func TestNewAuthenticationRecord(t *testing.T) {
	var ar public.AuthResult
	ar.Account.HomeAccountID = wantRecord.HomeAccountID
	ar.IDToken.Issuer = "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0"
	ar.IDToken.Audience = wantRecord.ClientID
	ar.IDToken.UPN = wantRecord.Username
	got, err := newAuthenticationRecord(ar)
	require.NoError(t, err)
	assert.Equal(t, wantRecord, got, "tenant falls back to the issuer's path; username to the UPN")
}

func FuzzAuthenticationRecordUnmarshal(f *testing.F) {
	for _, file := range []string{"authrecord_azidentity.json", "authrecord_python.json", "authrecord_dotnet.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", file))
		require.NoError(f, err)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var r AuthenticationRecord
		if err := json.Unmarshal(b, &r); err != nil {
			return
		}
		// Whatever was accepted round-trips and names a supported version.
		require.Equal(t, authenticationRecordVersion, r.Version)
		_, _ = recordHost(r.Authority) // never panics
		out, err := json.Marshal(r)
		require.NoError(t, err)
		var again AuthenticationRecord
		require.NoError(t, json.Unmarshal(out, &again))
		require.Equal(t, r, again)
	})
}
