// Package broker is a client of Microsoft's Linux identity broker
// (microsoft-identity-broker, shipped with Intune Company Portal): the D-Bus
// service com.microsoft.identity.broker1 on the session bus. Every method
// takes three strings (protocol version "0.0", a correlation ID, a JSON
// request) and returns a JSON string.
//
// Microsoft publishes no specification. The wire format follows public
// clients and emulators: siemens/sso-mib (methods, requests, responses),
// siemens/linux-entra-sso (correlation IDs, uxContextHandle, retrying while
// the broker restarts), himmelblau-idm (error objects), MSAL.NET's
// WamAdapters and pymsalruntime (status numbers, MSA passthrough), and
// teams-for-linux ADR 011 (brokers 2.0.2 and later can't be introspected).
// The code is ours; only facts came from those sources.
package broker
