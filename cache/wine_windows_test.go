//go:build wine

package cache

import _ "github.com/azinteractive/azinteractive/internal/wine" // Wine 8's missing FileDispositionInformationEx
