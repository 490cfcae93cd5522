//go:build wine

package broker

import _ "github.com/azinteractive/azinteractive/internal/wine" // Wine 8's missing FileDispositionInformationEx
