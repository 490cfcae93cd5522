//go:build linux

package kernelkeyring

// Refused exposes refused to the external tests.
var Refused = refused
