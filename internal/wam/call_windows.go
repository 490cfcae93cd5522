package wam

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"unsafe"

	"github.com/azinteractive/azinteractive/internal/broker"
	"golang.org/x/sys/windows"
)

// ret is the result of a procedure: an MSALRuntime error handle for all but
// ReleaseError. Every call is syscall.SyscallN(d.procs[…], …) written out,
// never through a helper taking uintptrs: only in SyscallN's own argument
// list does uintptr(unsafe.Pointer(&x)) keep x alive and in place. SyscallN
// suits cdecl as well as stdcall on 386: the stack pointer is restored
// after the call.
func ret(r, _ uintptr, _ syscall.Errno) uintptr { return r }

// check turns an error handle into an error, releasing the handle: nil for
// NULL, else a *broker.Error with MSALRuntime's status, codes and context.
// method names the operation, as the Linux broker's errors name theirs.
func (d *dll) check(method string, e uintptr) error {
	if e == 0 {
		return nil
	}
	defer d.releaseError(e)
	be := &broker.Error{Method: method}
	// MSALRUNTIME_RESPONSE_STATUS is a C enum: an int.
	var status int32
	var code int64
	var tag int32
	if d.getter(procGetStatus, e, unsafe.Pointer(&status)) {
		be.Status = broker.Status(status)
	}
	if d.getter(procGetErrorCode, e, unsafe.Pointer(&code)) {
		be.ErrorCode = code
	}
	if d.getter(procGetTag, e, unsafe.Pointer(&tag)) {
		be.Tag = int64(tag)
	}
	if s, err := d.str(procGetContext, e); err == nil {
		be.Context = s
	}
	return be
}

// getter calls a getter with one out-parameter, reporting whether it
// succeeded; a failure to describe a failure isn't worth another error.
func (d *dll) getter(proc int, h uintptr, out unsafe.Pointer) bool {
	e := ret(syscall.SyscallN(d.procs[proc], h, uintptr(out)))
	if e != 0 {
		d.releaseError(e)
	}
	return e == 0
}

// releaseError releases an error handle. ReleaseError returns a bool_t,
// not an error handle: false only for an invalid handle, about which
// nothing can be done.
func (d *dll) releaseError(e uintptr) { ret(syscall.SyscallN(d.procs[procReleaseError], e)) }

// release calls a Release… procedure, whose own failure leaves nothing to
// do but say so in the chain of a caller that has no other error.
func (d *dll) release(proc int, h uintptr) error {
	if h == 0 {
		return nil
	}
	return d.check(procNames[proc], ret(syscall.SyscallN(d.procs[proc], h)))
}

// maxString bounds a string MSALRuntime hands back: the largest tokens are
// some kilobytes, and a size beyond this is a broken runtime.
const maxString = 1 << 20

// str reads a string with MSALRuntime's two calls: the first, with no
// buffer, fails with InsufficientBuffer and says how many UTF-16 units
// (terminator included) to allocate. A value can't grow between the two
// calls (the handle is immutable), so a second InsufficientBuffer is an
// error, not a loop.
func (d *dll) str(proc int, h uintptr) (string, error) {
	var size int32
	e := ret(syscall.SyscallN(d.procs[proc], h, 0, uintptr(unsafe.Pointer(&size))))
	if e == 0 {
		return "", nil // nothing to read
	}
	// The status alone, not check: check reads the error's context with
	// str, which would recurse for as long as contexts come.
	var status int32
	ok := d.getter(procGetStatus, e, unsafe.Pointer(&status))
	if !ok || broker.Status(status) != statusInsufficientBuffer {
		return "", d.check(procNames[proc], e)
	}
	d.releaseError(e)
	if size <= 0 || size > maxString {
		return "", fmt.Errorf("%w: %s asked for a buffer of %d characters", broker.ErrBadResponse, procNames[proc], size)
	}
	buf := make([]uint16, size)
	if err := d.check(procNames[proc], ret(syscall.SyscallN(d.procs[proc], h, uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&size))))); err != nil {
		return "", err
	}
	return windows.UTF16ToString(buf), nil
}

// statusInsufficientBuffer is Msalruntime_Response_Status_InsufficientBuffer.
const statusInsufficientBuffer broker.Status = 10

// statusAccountNotFound is Msalruntime_Response_Status_AccountNotFound,
// which the Linux broker's client doesn't name.
const statusAccountNotFound broker.Status = 16

// utf16 is s as a NUL-terminated UTF-16 string for MSALRuntime. Strings
// that reach here come from the application or the service, and a NUL in
// one would cut it short: refuse it.
func utf16(s string) (*uint16, error) {
	if strings.ContainsRune(s, 0) {
		return nil, errors.New("a string for MSALRuntime contains a NUL character")
	}
	return windows.UTF16PtrFromString(s)
}
