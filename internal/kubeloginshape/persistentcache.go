package kubeloginshape

import (
	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/cache"
)

// cacheNewFunc makes the persistent cache, a variable for tests as in
// kubelogin.
var cacheNewFunc = cache.New

// newUserPersistentCache is the one edit beyond the import switch.
// kubelogin's newPersistentCache returns azidentity/cache's azidentity.Cache
// and is shared with credentials that stay azidentity's (client secret,
// client certificate, workload identity, Azure Pipelines). This module's
// credentials take its own Cache: azidentity's can't be built outside
// azidentity (its implementation is internal), so no value serves both, and
// the user credentials get this constructor beside the shared one. kubelogin
// wraps it in the same cross-process lock.
func newUserPersistentCache() (azinteractive.Cache, error) {
	return cacheNewFunc(nil)
}
