package msalhttp

// MaxResponseBytes bounds any response body MSAL reads. Entra ID's largest
// responses (a token response with an ID token, an access token carrying
// group claims, a refresh token) are tens of kilobytes.
const MaxResponseBytes = 1 << 20
