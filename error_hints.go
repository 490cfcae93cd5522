package azinteractive

import (
	"strconv"
	"strings"
)

// hintFor says what to do about the failures users meet most. Every AADSTS
// code here has a row in TROUBLESHOOTING.md (TestTroubleshootingAADSTSRows
// checks both ways). Codes are documented at
// https://learn.microsoft.com/entra/identity-platform/reference-error-codes.
func hintFor(credType, code string, codes []int) string {
	for _, c := range codes {
		if h := aadstsHints[c]; h != "" {
			if (c == 50076 || c == 50079) && credType == credNameUsernamePassword {
				return "A password alone can't satisfy multifactor authentication: use InteractiveBrowserCredential or DeviceCodeCredential, passing them the error's Claims."
			}
			return h
		}
	}
	return oauthHints[code]
}

// aadstsHints are the hints for AADSTS error numbers.
var aadstsHints = map[int]string{
	50076:   "The account requires multifactor authentication: sign in again and complete the second step.",
	50079:   "The account requires multifactor authentication: sign in again and complete the second step.",
	50126:   "Check the username and password.",
	50034:   "The user doesn't exist in this tenant: check the username and TenantID.",
	50057:   "The user account is disabled: ask an administrator to enable it.",
	65001:   "The application needs consent: sign in interactively once to grant it, or ask an administrator to grant consent for the tenant.",
	700016:  "The application isn't registered in this tenant: check ClientID and TenantID.",
	7000218: "The application isn't a public client: in its registration (Authentication), set \"Allow public client flows\" to Yes.",
	90002:   "The tenant wasn't found: check TenantID (a tenant ID, or a verified domain such as contoso.onmicrosoft.com) and that the cloud (ClientOptions.Cloud, AZURE_AUTHORITY_HOST) is the tenant's.",
	50020:   "The account isn't in the tenant: sign in with an account of that tenant, or set TenantID to the account's home tenant (\"consumers\" or \"common\" for personal Microsoft accounts).",
	50011:   "The redirect URI isn't registered for the application: register it, or set RedirectURL to a registered one.",
	53000:   "Conditional Access requires a compliant or joined device: enroll the device (Intune Company Portal) and, on Linux, sign in through the identity broker (InteractiveBrowserCredentialOptions.Broker).",
	53001:   "Conditional Access requires a compliant or joined device: enroll the device (Intune Company Portal) and, on Linux, sign in through the identity broker (InteractiveBrowserCredentialOptions.Broker).",
	70019:   "Start the sign-in again, and finish it before the new code expires.",
	70020:   "Start the sign-in again, and finish it before the new code expires.",
	70000:   "The saved sign-in is no longer valid: sign in again.",
	700082:  "The saved sign-in is no longer valid: sign in again.",
	9002313: "The saved sign-in is no longer valid: sign in again.",
	50173:   "The saved sign-in is no longer valid: sign in again.",
}

// oauthHints are the hints for OAuth error codes that came without a known
// AADSTS number.
var oauthHints = map[string]string{
	"access_denied":          "Sign in again to continue.",
	"authorization_declined": "The user declined the sign-in: sign in again to continue.",
	"expired_token":          "Start the sign-in again, and finish it before the new code expires.",
	"interaction_required":   "Sign in again interactively.",
}

// aadstsCode reads an AADSTS error number in text: the one text starts with
// (after spaces) when atStart, as Entra's error descriptions do, else the
// first anywhere, as the broker quotes the service inside its own words. A
// run of more than 9 digits is no AADSTS number.
func aadstsCode(text string, atStart bool) (int, bool) {
	const prefix = "AADSTS"
	if atStart {
		text = strings.TrimLeft(text, " ")
		if !strings.HasPrefix(text, prefix) {
			return 0, false
		}
	}
	for {
		i := strings.Index(text, prefix)
		if i < 0 {
			return 0, false
		}
		text = text[i+len(prefix):]
		j := 0
		for j < len(text) && '0' <= text[j] && text[j] <= '9' {
			j++
		}
		if j > 0 && j <= 9 {
			n, err := strconv.Atoi(text[:j])
			return n, err == nil
		}
		if atStart {
			return 0, false
		}
	}
}
