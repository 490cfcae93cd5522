// Package broker is a client of Microsoft's Linux identity broker
// (microsoft-identity-broker, shipped with Intune Company Portal): the D-Bus
// service com.microsoft.identity.broker1 on the session bus, object
// /com/microsoft/identity/broker1, interface com.microsoft.identity.Broker1.
//
// Every method takes three strings (protocol version "0.0", a correlation ID
// and a JSON request) and returns a JSON string. Microsoft publishes no
// specification; the wire format here follows what public clients and
// emulators of the interface send and expect:
//
//   - siemens/sso-mib, src/mib-client-app.c: the methods and their requests
//     (getAccounts {clientId, redirectUri}; acquireTokenSilently and
//     acquireTokenInteractively {account, authParameters}; removeAccount
//     {clientId, account}; getLinuxBrokerVersion {msalCppVersion}), the
//     authParameters members (account, authority, authorizationType 8,
//     clientId, decodedClaims, popParams,
//     additionalQueryParametersForAuthorization, redirectUri
//     ms-appx-web://Microsoft.AAD.BrokerPlugin/<clientId>, requestedScopes,
//     username, prompt), dropping account and username from an interactive
//     request to let the user pick, and no D-Bus timeout on the interactive
//     call; src/mib-prt.c (brokerTokenResponse; expiresOn in milliseconds;
//     accessTokenType 0 Bearer, 1 PoP; grantedScopes as a space-separated
//     string); src/mib-account.c (the account object's members);
//     tests/mock-broker.c and tests/test-client-app.c (sample responses,
//     {"error": "..."} as a failed token response).
//   - siemens/linux-entra-sso, linux-entra-sso.py: the same addressing, a
//     UUID correlation ID, uxContextHandle -1 in authParameters (the only
//     window-related member any public client sends, so ParentWindow goes
//     there), retrying while a D-Bus-activated broker comes up, and watching
//     NameOwnerChanged because the broker restarts;
//     tests/linux_entra_sso_mock.py: grantedScopes as a JSON array.
//   - himmelblau-idm (its broker daemon, which answers this interface): a
//     failure is {"brokerTokenResponse": {"error": {context, status,
//     subStatus}}} for token methods and {"error": {...}} otherwise.
//   - MSAL.NET's WamAdapters (Microsoft.Identity.Client) and pymsalruntime:
//     the MSALRuntime ResponseStatus numbers the status member carries
//     (2 InteractionRequired, 7 UserCanceled, 8 ApplicationCanceled, ...), and
//     MSA passthrough as the extra parameter msal_request_type=
//     consumer_passthrough (MSAL Python's msal/broker.py, azure-identity's
//     JavaScript broker plugin), which here travels in
//     additionalQueryParametersForAuthorization.
//   - IsmaelMartinez/teams-for-linux ADR 011: brokers 2.0.2 and later
//     dropped org.freedesktop.DBus.Introspectable, so methods are called
//     directly and availability is a NameHasOwner question.
//
// The code is ours; only facts came from those sources.
package broker
