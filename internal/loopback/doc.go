// Package loopback is the local HTTP server that receives the authorization
// response (response_mode=form_post) of the authorization code flow when the
// redirect URI is a loopback address (RFC 8252 §7.3).
//
// MSAL Go's own server fails the whole sign-in on any stray request, binds
// only one address family, ignores the redirect URI's host and path, and can
// wait forever. This one binds before the browser opens, binds both 127.0.0.1
// and [::1] for "localhost" (so neither family's port can belong to another
// program), serves the redirect URI's host, port and path exactly, answers
// stray, forged and DNS-rebinding requests with an error status while it
// keeps waiting, and bounds request sizes and every timeout, including
// Close's. [Listen] starts it, [Server.RedirectURI] is the redirect_uri to
// send, and [Server.Wait] returns the code.
package loopback
