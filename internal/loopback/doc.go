// Package loopback is the local HTTP server that receives the authorization
// response of the authorization code flow (RFC 6749 §4.1, with PKCE) when the
// redirect URI is a loopback address (RFC 8252 §7.3).
//
// It exists because MSAL Go's own server (used by AcquireTokenInteractive)
// fails the whole sign-in on any stray request, binds only one address family,
// ignores the redirect URI's host and path, and can wait forever. This server:
//
//   - binds before the browser opens, so the browser can't beat it;
//   - binds both 127.0.0.1 and [::1] for "localhost", so neither address
//     family can reach a different program on the same port;
//   - honours the redirect URI's host, port and path exactly;
//   - answers favicons, prefetches, wrong paths, wrong or missing state and
//     requests with a foreign Host header (DNS rebinding) with an error
//     status, and keeps waiting for the real response;
//   - bounds request headers, bodies and every timeout, and shuts down within
//     a short bound even when a client holds a connection open.
//
// Usage:
//
//	srv, err := loopback.Listen(loopback.Config{State: state})
//	if err != nil { ... }
//	defer srv.Close()
//	authURL := buildAuthorizeURL(srv.RedirectURI(), state) // response_mode=form_post
//	openBrowser(ctx, authURL)
//	res, err := srv.Wait(ctx) // res.Code, or a *ResponseError
package loopback
