package azinteractive

import "github.com/azinteractive/azinteractive/internal/wam"

// The Windows broker is WAM, through MSALRuntime, whose rare log lines go
// to the module's log.
func init() {
	wam.Log = logLine
	windowsBroker = func(o BrokerOptions) brokerClient { return &wam.Client{Path: o.MSALRuntimePath} }
}
