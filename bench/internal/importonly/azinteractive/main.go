// Command azinteractive starts and exits having imported azinteractive and
// its cache, and nothing else: with its twin, importonly/azidentity (which
// imports azidentity and MSAL), it measures what the packages' inits and the
// binary's size add to a process's start, apart from the linker (both are
// linked by Go's own). BENCHMARKS.md gives the command:
//
//	cd bench && go build -o /tmp/imp-ours ./internal/importonly/azinteractive &&
//	go build -o /tmp/imp-az ./internal/importonly/azidentity &&
//	perf stat -r 200 /tmp/imp-ours && perf stat -r 200 /tmp/imp-az
package main

import (
	"os"

	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/cache"
)

var _ = azinteractive.NewDeviceCodeCredential
var _ = cache.New

func main() { os.Exit(0) }
