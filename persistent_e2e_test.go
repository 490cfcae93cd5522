package azinteractive_test

import (
	"bufio"
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The child process of TestSecondProcessIsSilent: a program that signs in
// with a device code credential over a remembered persistent cache. It
// prints "CODE <user code>" for the parent to approve, and exits 3 when it
// would have to prompt but mustn't.
func TestMain(m *testing.M) {
	if os.Getenv("AZI_CHILD") == "1" {
		os.Exit(childMain())
	}
	os.Exit(m.Run())
}

func childMain() int {
	fail := func(err error) int { fmt.Println("ERROR", err); return 1 }
	cred, err := childCredential(os.Getenv("AZI_CERT"), os.Getenv("AZI_AUTHORITY"), os.Getenv("AZI_CACHE_DIR"),
		os.Getenv("AZI_PLAINTEXT") == "1", os.Getenv("AZI_SILENT_ONLY") == "1",
		func(_ context.Context, m azinteractive.DeviceCodeMessage) error {
			fmt.Println("CODE", m.UserCode)
			return nil
		})
	if err != nil {
		return fail(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	info, err := cred.GetTokenInfo(ctx, policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}})
	var required *azinteractive.AuthenticationRequiredError
	if errors.As(err, &required) {
		fmt.Println("PROMPT-NEEDED")
		return 3
	}
	if err != nil {
		return fail(err)
	}
	fmt.Println("SIGNED-IN", info.Account.Username)
	if os.Getenv("AZI_SIGN_OUT") == "1" {
		if err := cred.SignOut(ctx); err != nil {
			return fail(err)
		}
		fmt.Println("SIGNED-OUT")
	}
	return 0
}

// runChild runs the child program and approves the device code it prints.
func runChild(t *testing.T, srv *entratest.Server, env []string) (stdout string, code int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	var lines []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		lines = append(lines, line)
		if userCode, ok := strings.CutPrefix(line, "CODE "); ok {
			require.NoError(t, srv.ApproveDeviceCode(userCode, entratest.DefaultUsername))
		}
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return strings.Join(lines, "\n"), exit.ExitCode()
	}
	require.NoError(t, err)
	return strings.Join(lines, "\n"), 0
}

// TestSecondProcessIsSilent: a program signs in once; run again as a new
// process with the same options, it gets a token without a prompt and
// without any application code saving a record. After it signs out, a third
// run needs the user again.
func TestSecondProcessIsSilent(t *testing.T) {
	for _, tc := range []struct {
		name      string
		plaintext bool
	}{
		{"plaintext", true},
		{"secret service", false},
		{"kernel keyring", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			extra := childCacheEnv(t, tc.name)
			srv := entratest.NewServer(nil)
			defer srv.Close()
			certFile := filepath.Join(t.TempDir(), "entratest.pem")
			require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600))
			dir := t.TempDir()
			env := append([]string{
				"AZI_CHILD=1", "AZI_CERT=" + certFile, "AZI_AUTHORITY=" + srv.URL() + "/", "AZI_CACHE_DIR=" + dir,
				"AZI_PLAINTEXT=" + map[bool]string{true: "1", false: "0"}[tc.plaintext],
			}, extra...)

			out, code := runChild(t, srv, env)
			require.Equal(t, 0, code, out)
			assert.Contains(t, out, "CODE ", "the first run prompts")
			assert.Contains(t, out, "SIGNED-IN "+entratest.DefaultUsername)
			assert.Equal(t, 1, countRequests(srv, entratest.EndpointDeviceCode))

			out, code = runChild(t, srv, append(env, "AZI_SILENT_ONLY=1", "AZI_SIGN_OUT=1"))
			require.Equal(t, 0, code, out)
			assert.NotContains(t, out, "CODE ")
			assert.Contains(t, out, "SIGNED-IN "+entratest.DefaultUsername)
			assert.Contains(t, out, "SIGNED-OUT")
			assert.Equal(t, 1, countRequests(srv, entratest.EndpointDeviceCode), "the second process didn't prompt")

			out, code = runChild(t, srv, append(env, "AZI_SILENT_ONLY=1"))
			assert.Equal(t, 3, code, out)
			assert.Contains(t, out, "PROMPT-NEEDED", "signed out for every process")

			if tc.name == "kernel keyring" {
				// In the application's directory (Directory is set), under
				// azidentity/cache's name, sealed.
				raw, err := os.ReadFile(filepath.Join(dir, os.Getenv("AZI_CACHE_NAME")))
				require.NoError(t, err)
				assert.False(t, json.Valid(raw), "the cache file is plaintext")
				assert.Equal(t, 5, strings.Count(string(raw), ".")+1, "a JWE in compact form")
			}
			if tc.plaintext {
				entries, err := os.ReadDir(dir)
				require.NoError(t, err)
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				assert.Contains(t, names, "msal.cache.nocae")
				assert.Contains(t, names, "msal.cache.cae")
			}
		})
	}
}
