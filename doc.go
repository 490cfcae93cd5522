/*
Package azinteractive signs people in to Microsoft Entra ID from Go programs.

It provides the interactive user credentials of Azure identity —
[InteractiveBrowserCredential], [DeviceCodeCredential] and
[UsernamePasswordCredential] — each an azcore.TokenCredential that any Azure
SDK for Go client accepts. Names, options and behaviour match azidentity's,
so switching is a one-line import change, and they add what azidentity lacks:
one prompt however many goroutines ask, a warm GetToken that doesn't touch
MSAL, a loopback server that ignores stray requests and times out, sign-out,
a persistent cache shared with Python's azure-identity, and
[github.com/azinteractive/azinteractive/entratest], a local Microsoft Entra ID
for offline tests.

# A complete program

	package main

	import (
		"context"
		"encoding/json"
		"fmt"
		"log"
		"os"

		"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
		"github.com/azinteractive/azinteractive"
	)

	func main() {
		cred, err := azinteractive.NewDeviceCodeCredential(nil)
		if err != nil {
			log.Fatal(err)
		}
		// Sign in once; keep the record to sign in silently next time.
		record, err := cred.Authenticate(context.Background(), nil)
		if err != nil {
			log.Fatal(err)
		}
		_ = json.NewEncoder(os.Stdout).Encode(record)

		// Azure SDK clients call GetToken themselves; this one is silent.
		tk, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{
			Scopes: []string{"https://management.azure.com/.default"},
		})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("token expires at", tk.ExpiresOn)
	}

# Which credential

	Situation                                         Credential
	------------------------------------------------  ---------------------------------------------
	Desktop, or a terminal on a machine with a        InteractiveBrowserCredential
	browser (WSL opens the Windows browser)
	SSH session, container, or no browser at all      DeviceCodeCredential
	Browser if possible, otherwise device code        azidentity.NewChainedTokenCredential with an
	                                                  InteractiveBrowserCredential whose
	                                                  RequireBrowser is set, then a
	                                                  DeviceCodeCredential
	A managed Linux device whose Conditional Access   InteractiveBrowserCredential with Broker set
	requires a compliant device                       (Microsoft's identity broker over D-Bus)
	Legacy automation with a password and no MFA      UsernamePasswordCredential (deprecated)
	Tests of code that takes a credential             any of them, against entratest

# Silent first

Every GetToken is silent when it can be: a warm token from the credential's
index (no lock, no allocation), then MSAL's cache and refresh token, and only
then a sign-in — unless DisableAutomaticAuthentication is set, in which case
GetToken returns [AuthenticationRequiredError] and the application calls
Authenticate when it suits it. One sign-in serves both CAE and non-CAE
requests.

# Errors

Errors are [AuthenticationFailedError], [AuthenticationRequiredError] and
[CredentialUnavailableError]. They wrap their cause, so errors.Is(err,
context.DeadlineExceeded) and errors.Is(err, context.Canceled) hold when a
context ended the request, and azidentity's chains treat the last two as
"credential unavailable". No error, log entry or formatted value ever holds a
token, password, code or refresh token.

# Logging and tracing

Log entries go to azcore's log under [EventAuthentication]; select them with
log.SetEvents. GetToken and Authenticate create "<Credential>.GetToken" and
"<Credential>.Authenticate" spans through ClientOptions.TracingProvider.
*/
package azinteractive
