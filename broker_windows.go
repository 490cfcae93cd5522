package azinteractive

import "github.com/azinteractive/azinteractive/internal/wam"

// The Windows broker is WAM, through MSALRuntime.
func init() {
	windowsBroker = func(o BrokerOptions) brokerClient { return &wam.Client{Path: o.MSALRuntimePath} }
}
