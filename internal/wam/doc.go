// Package wam is a binding of MSALRuntime, the native library through which
// Microsoft's identity libraries reach the Windows broker (Web Account
// Manager, WAM), written with golang.org/x/sys/windows and no cgo.
//
// Microsoft publishes no header. The signatures here follow the copy of
// MSALRuntime.h and its sub-headers (MIT banner, from pymsalruntime 0.18.0's
// build resources) in the public repository WittyQ/MSAL-Test: every function
// returns an error handle, NULL meaning success; strings are UTF-16 and read
// with two calls, the first of which fails with InsufficientBuffer and sets
// the size (characters, terminator included) in an int32_t; completion
// routines are void cb(handle, void* callbackData); MSALRUNTIME_API is empty
// on Windows ("the actual build from microsoft do not use __stdcall type"),
// so on 386 the functions and callbacks are cdecl. The export names are
// pinned in testdata/msalruntime_exports.txt.
//
// The code is ours; only facts came from those sources.
package wam
