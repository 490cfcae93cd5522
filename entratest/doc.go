// Package entratest is a local Microsoft Entra ID for tests: an HTTPS server on 127.0.0.1
// that the real MSAL for Go public client, and credentials built on it, complete every
// user flow against, offline. It serves instance discovery, OpenID configuration, JWKS,
// user realm, authorize (with real, small HTML sign-in pages), token (authorization code
// with PKCE, device code, password and refresh token grants), device code and the device
// code verification page, with Entra-shaped success and error responses.
//
// A test creates a [Server], points a credential (or MSAL) at it, and plays the user with
// [Server.Browser], [Server.ApproveDeviceCode] or [Server.DeviceBrowser]:
//
//	srv := entratest.NewServer(nil)
//	defer srv.Close()
//	cred, err := azinteractive.NewInteractiveBrowserCredential(&azinteractive.InteractiveBrowserCredentialOptions{
//		ClientOptions: azcore.ClientOptions{Transport: srv.Client(), Cloud: srv.Cloud()},
//		OpenURL:       srv.Browser(entratest.DefaultUsername, entratest.DefaultPassword),
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	tk, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}})
//	if err != nil {
//		log.Fatal(err)
//	}
//	claims, err := srv.VerifyAccessToken(tk.Token) // claims["aud"] == "https://management.azure.com"
//
// [Server.Client] trusts the server's certificate and also sends requests for
// login.microsoftonline.com, login.microsoft.com and login.windows.net to it, so a client
// configured for the public cloud, with instance discovery, works too; it refuses every
// other non-loopback host. For azcore-based credentials, use Client() as
// ClientOptions.Transport and [Server.Cloud] as ClientOptions.Cloud. [Server.Transport]
// serves the same hosts in memory, for tests on testing/synctest's fake clock.
//
// # Whole applications
//
// [Server.Resource] starts a fake API that accepts only this server's tokens for its
// audience and scopes, answers a request without a token with Key Vault's challenge and a
// revoked CAE token with a claims challenge, and can stand at a real service's host name
// (contoso.vault.azure.net), which Client routes to it: an application's own Azure SDK
// clients run against it unchanged but for their transport. [Server.TrustCertificate]
// makes Client trust a test's other HTTPS servers. With a persistent cache in a temporary
// directory (cache.Options.Directory), a test can sign in, "restart" the application and
// check that it is silent (see the examples).
//
// The directory starts with tenant [DefaultTenantID] (domain [DefaultTenantDomain]), user
// [DefaultUsername] with password [DefaultPassword], and app [DefaultClientID], a consented
// public client with redirect URIs http://localhost and the identity broker's. [Server.AddTenant],
// [Server.AddUser] and [Server.AddApp] add more; users can require MFA, be disabled, federated
// or personal Microsoft accounts.
//
// Package [github.com/azinteractive/azinteractive/entratest/brokertest] emulates
// Microsoft's Linux identity broker on a private D-Bus bus, answering from a Server's
// directory with tokens signed by its key, for brokered sign-in tests. It is a package of
// its own so that importing entratest brings in neither D-Bus nor dbus-daemon.
//
// Tests can inject faults ([Server.InjectFault]), read the request log
// ([Server.Requests]), check that no secret leaked ([Server.Secrets]), revoke sessions to
// exercise continuous access evaluation ([Server.RevokeSessions]) and verify the tokens a
// client got ([Server.VerifyAccessToken], or any OIDC library through the JWKS).
//
// # Tokens
//
// Access and ID tokens are RS256 JWTs signed with a key generated per server, with the
// claims Entra ID issues in v2.0 tokens. Their issuer is https://HOST/{tid}/v2.0, built from
// the host the client used, so go-oidc's NewProvider works against it. The access token's
// aud is the resource of the requested scopes ("https://management.azure.com/.default"
// gives "https://management.azure.com"; an unqualified scope like "User.Read" gives
// Microsoft Graph's application ID) and scp lists the permissions, with .default granting
// "user_impersonation". xms_cc is ["CP1"] when the claims parameter announces the CP1
// capability. Refresh tokens are opaque and, unlike Entra ID's, single-use: redeeming one
// returns a new one and the old one then fails with invalid_grant (AADSTS70000), unless
// Options.ReusableRefreshTokens makes them reusable, as Entra ID's are.
//
// # Errors
//
// Errors are HTTP 400 (401 for client authentication) with Entra's JSON body: error,
// error_description starting "AADSTSnnnnn: ", error_codes, timestamp, trace_id,
// correlation_id and, when relevant, suberror and claims. The server never answers 5xx
// unless a fault asks for it, since azcore retries those. The codes:
//
//	password grant:   50034 unknown user, 50126 wrong password, 50057 disabled user,
//	                  50020 personal account via /organizations, 65001 no consent,
//	                  50076 MFA required (with a claims challenge), 9001023 via /common or /consumers
//	any grant:        700016 unknown app, 7000218 app isn't a public client, 90002 unknown tenant,
//	                  70003 unsupported grant type, 28000 scopes of several resources, 70011 bad scope
//	authorization_code: 54005 code already redeemed, 70008 code expired, 501481 PKCE mismatch,
//	                  500112 redirect URI differs, 700005 code of another tenant, 70000 unknown code
//	device_code:      authorization_pending 70016, slow_down 70016, expired_token 70020,
//	                  authorization_declined 65004, 70000 unknown or already redeemed code
//	refresh_token:    9002313 unknown token, 70000 already redeemed (rotation), 700082 expired,
//	                  50173 revoked by RevokeSessions (with the claims challenge)
//	authorize page:   700016 unknown app, 50011 unregistered redirect URI; to the redirect URI:
//	                  access_denied 65004 (Cancel; error_subcode=cancel), login_required 50058
//	                  (prompt=none), invalid_request 900144 (no PKCE), 90100 (bad parameter)
//
// 70016 for slow_down, 65004 for a declined device code, 500112, 700005 and 90100 are the
// emulator's choices where Entra's exact code isn't known; the others follow Entra ID.
//
// # Clocks
//
// [Options].Now is the server's clock for token times and for the expiry of codes, device
// codes and refresh tokens. MSAL uses the real clock for its cache: it computes expiry from
// expires_in and doesn't serve access tokens that expire within 5 minutes.
//
// Like net/http/httptest and go-oidc's oidctest, this package is for tests only: methods
// panic on setup errors with an "entratest:" prefix. It keeps no global state; every
// Server is independent, and its methods are safe for concurrent use.
package entratest
