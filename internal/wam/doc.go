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
// routines are void cb(handle, void* callbackData). On 386 the header copy
// defines MSALRUNTIME_API as empty (cdecl), with a comment that Microsoft's
// build doesn't use __stdcall; the real msalruntime_x86.dll of
// @azure/msal-node-runtime 0.20.7 says otherwise: its exports pop their
// arguments (MSALRUNTIME_GetStatus ends in ret $0x8,
// MSALRUNTIME_ReadAccountByIdAsync in ret $0x14), which is stdcall, so the
// completion routine, declared with the same MSALRUNTIME_API, is taken to
// be stdcall too. The export names are pinned in
// testdata/msalruntime_exports.txt.
//
// The code is ours; only facts came from those sources.
package wam
