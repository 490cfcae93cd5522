// Package broker is a client of Microsoft's Linux identity broker
// (microsoft-identity-broker, shipped with Intune Company Portal): the D-Bus
// service com.microsoft.identity.broker1 on the session bus. Every method
// takes three strings (protocol version "0.0", a correlation ID, a JSON
// request) and returns a JSON string.
//
// Microsoft publishes no specification; the wire format follows public
// clients and emulators of the interface:
//
//   - siemens/sso-mib (src/mib-client-app.c, mib-prt.c, mib-account.c,
//     tests/mock-broker.c): the methods, requests, authParameters, responses,
//     expiresOn in milliseconds, and no D-Bus timeout on interactive calls.
//   - siemens/linux-entra-sso: UUID correlation IDs, uxContextHandle as the
//     parent window, retrying while the broker (re)starts; grantedScopes as
//     a JSON array in its mock.
//   - himmelblau-idm: failures as {"brokerTokenResponse": {"error": {...}}}
//     or {"error": {...}}.
//   - MSAL.NET's WamAdapters, pymsalruntime and MSAL Python's msal/broker.py:
//     the ResponseStatus numbers, and MSA passthrough as
//     msal_request_type=consumer_passthrough.
//   - IsmaelMartinez/teams-for-linux ADR 011: brokers 2.0.2 and later can't
//     be introspected, so availability is a NameHasOwner question.
//
// The code is ours; only facts came from those sources.
package broker
