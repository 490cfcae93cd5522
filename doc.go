/*
Package azinteractive signs people in to Microsoft Entra ID from Go programs.

It provides the interactive user credentials of Azure identity —
[InteractiveBrowserCredential], [DeviceCodeCredential] and
[UsernamePasswordCredential] — each an azcore.TokenCredential that any Azure
SDK for Go client accepts. Names, options and behaviour match azidentity's,
so code using these three imports them from here instead, and everything else
(chains, developer tools, managed identity) keeps coming from azidentity; the
README's migration section shows both side by side. They add what azidentity
lacks: one prompt however many goroutines ask, a warm GetToken that doesn't
touch MSAL, a loopback server that ignores stray requests and times out,
sign-out, a persistent cache shared with Python's azure-identity, and
[github.com/azinteractive/azinteractive/entratest], a local Microsoft Entra ID
for offline tests of credentials and of whole applications.

# A complete program

	package main

	import (
		"context"
		"fmt"
		"log"

		"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
		"github.com/azinteractive/azinteractive"
		"github.com/azinteractive/azinteractive/cache"
	)

	func main() {
		c, err := cache.New(&cache.Options{RememberAccount: true})
		if err != nil {
			log.Fatal(err) // no keyring here: err says what to do
		}
		cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{Cache: c})
		if err != nil {
			log.Fatal(err)
		}
		// The first run prints a code to enter at a web page, and the cache
		// remembers the account; later runs are silent, until cred.SignOut.
		tk, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{
			Scopes: []string{"https://management.azure.com/.default"},
		})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("token expires at", tk.ExpiresOn)
	}

Without a persistent cache, tokens live as long as the credential. An
application that keeps the [AuthenticationRecord] from Authenticate itself, as
with azidentity, still needs a persistent Cache for a later run to be silent:
the record names the account, the cache holds its tokens.

# Which credential

Use [InteractiveBrowserCredential] on a desktop or a terminal with a browser
(WSL opens the Windows browser), [DeviceCodeCredential] over SSH, in a
container or with no browser, azidentity.NewChainedTokenCredential of the two
for either (the browser credential fails at once where no browser opens), and
InteractiveBrowserCredential with Broker on a managed device whose Conditional
Access requires a compliant one. [UsernamePasswordCredential] is deprecated.

# Silent first

Every GetToken is silent when it can be: a warm token from memory (no lock, no
allocation), then MSAL's cache and refresh token, and only then a sign-in,
unless DisableAutomaticAuthentication makes it return
[AuthenticationRequiredError]. One sign-in serves CAE and non-CAE requests.

# Errors

Errors are [AuthenticationFailedError], [AuthenticationRequiredError] and
[CredentialUnavailableError]. They wrap their cause, so errors.Is(err,
context.DeadlineExceeded) holds when a context ended the request, and
azidentity's chains treat the last two as "credential unavailable". Each
message ends with what to do next on a line of its own; TROUBLESHOOTING.md
lists them. No error, log entry or formatted value holds a secret, and text
from the network reaches them bounded and without control characters.

# Logging and tracing

Log entries go to azcore's log under [EventAuthentication]; select them with
log.SetEvents. GetToken and Authenticate create "<Credential>.GetToken" and
"<Credential>.Authenticate" spans through ClientOptions.TracingProvider.
*/
package azinteractive
