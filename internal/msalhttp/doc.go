// Package msalhttp is the HTTP client MSAL for Go sends its requests
// through: the credential's azcore pipeline, with what this module adds to
// every request and response. It answers in process the requests whose
// answers are fixed (instance discovery and tenants' OpenID configuration on
// Microsoft's own clouds), bounds the bodies MSAL reads, and keeps a
// request's secrets out of the error responses MSAL quotes. It also learns
// the tenant ID of a domain tenant, as Entra ID's issuer names it.
package msalhttp
