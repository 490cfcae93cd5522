// Package browser opens the sign-in URL in the user's browser, and tells
// whether a browser can be expected at all.
//
// It wraps github.com/pkg/browser (what MSAL Go uses) and fixes what users
// trip over with it: the launcher's and the browser's chatter landing on
// the program's stdout (okta-aws-cli#91) or over its prompts on stderr, no way out under WSL when xdg-open has no browser
// (msal-python#625, azure-cli#33092), $BROWSER ignored when xdg-open isn't
// installed (dev containers, Codespaces), and a launcher that never returns
// blocking the sign-in. Headless lets the caller print the URL or choose the
// device code flow instead of waiting for a browser that can't appear.
package browser
