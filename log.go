package azinteractive

import (
	"fmt"
	_ "unsafe" // for go:linkname

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/log"
)

// EventAuthentication entries say what a credential did: tokens acquired,
// sign-ins started and finished, failures. azidentity uses the same event, so
// log.SetEvents(azidentity.EventAuthentication) selects both. No entry ever
// holds a token, code, password or secret; account identifiers (username,
// home account ID) appear only when a credential's EnableSupportLogging is set.
const EventAuthentication log.Event = "Authentication"

// azcore exposes only its log's listener; the writer is in the SDK's internal
// module. Linking to it puts our entries in azidentity's stream, under the
// application's one listener and event filter. Its signature has been stable
// since the first release; TestLogReachesAzcoreListener pins it.
//
//go:linkname azlogWrite github.com/Azure/azure-sdk-for-go/sdk/internal/log.Write
func azlogWrite(cls log.Event, message string)

//go:linkname azlogShould github.com/Azure/azure-sdk-for-go/sdk/internal/log.Should
func azlogShould(cls log.Event) bool

// logf writes an EventAuthentication entry when a listener wants one.
func logf(format string, args ...any) {
	if azlogShould(EventAuthentication) {
		azlogWrite(EventAuthentication, fmt.Sprintf(format, args...))
	}
}

func logLine(msg string) { logf("%s", msg) }
