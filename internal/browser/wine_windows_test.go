//go:build wine

package browser

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	pkgbrowser "github.com/pkg/browser"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// msalAuthorizeURL is a URL as MSAL builds it for the browser flow, with
// state: every character cmd.exe or a command line would mangle (&, %, +,
// =) is there.
func msalAuthorizeURL(state string) string {
	return "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize?" +
		"client_id=04b07795-8ddb-461a-bbee-02f9e1bf7b46&code_challenge=Cc6b3cRkYzmQ3mZ5v1rZqTgLpF2b0M7tT-8p9xJv2wA" +
		"&code_challenge_method=S256&prompt=select_account&redirect_uri=http%3A%2F%2Flocalhost%3A8400" +
		"&response_type=code&scope=openid+offline_access+profile+https%3A%2F%2Fmanagement.azure.com%2F.default" +
		"&state=" + state + "&x-client-OS=windows&x-client-SKU=MSAL.Go"
}

// TestDefaultOpensWithShellExecute runs the real default opener of Windows:
// it ignores $BROWSER (a Unix convention) and asks the shell to open the URL
// (ShellExecute, through pkg/browser), which hands it, intact, to the
// program registered for https. A real Windows desktop would open its
// browser, so this runs only in the Wine build, where .ci/wine/run registers
// a recorder as the browser and names its log in AZI_WINE_OPENED_URLS.
func TestDefaultOpensWithShellExecute(t *testing.T) {
	log := os.Getenv("AZI_WINE_OPENED_URLS")
	require.NotEmpty(t, log, "run by .ci/wine/run, which sets AZI_WINE_OPENED_URLS")
	t.Setenv("BROWSER", "no-such-browser-azinteractive")
	state := fmt.Sprintf("wine-%d", time.Now().UnixNano())
	want := msalAuthorizeURL(state)

	require.NoError(t, Default()(t.Context(), want))
	assert.Nil(t, pkgbrowser.Stdout, "pkg/browser's launchers write to /dev/null, not stdout")
	// The log is the recorder's for the whole run: other tests' URLs may be
	// there too.
	var got []string
	require.Eventually(t, func() bool {
		b, _ := os.ReadFile(log)
		got = nil
		for _, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, "state="+state) {
				got = append(got, line)
			}
		}
		return len(got) > 0
	}, 20*time.Second, 50*time.Millisecond, "the browser never got the URL")
	assert.Equal(t, []string{want}, got, "the URL didn't reach the browser intact, once")
}
