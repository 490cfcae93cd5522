package wam

import (
	"context"
	"errors"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// cancelWait bounds the wait, after CancelAsyncOperation, for the callback
// MSALRuntime promises a cancelled operation: its handles are released then.
// A variable for the tests.
var cancelWait = 5 * time.Second

// completion is the one callback the process gives MSALRuntime. Go never
// frees a callback and allows about 2,000 of them, so it can't be one per
// call; each operation's callbackData is instead a key into pending. A key,
// not a Go pointer: MSALRuntime keeps callbackData beyond any call, where
// the garbage collector can't see it.
var (
	completionOnce sync.Once
	completion     uintptr

	pendingMu sync.Mutex
	pending   = map[uintptr]chan uintptr{}
	nextKey   uintptr
)

// callback is completion's address, created on first use.
func callback() uintptr {
	completionOnce.Do(func() {
		f := func(result, key uintptr) uintptr {
			pendingMu.Lock()
			ch, ok := pending[key]
			delete(pending, key)
			pendingMu.Unlock()
			if ok {
				ch <- result // buffered: never blocks MSALRuntime's thread
			}
			// An unknown key can't be: each operation's key is
			// registered before it starts and called back once.
			return 0
		}
		// On 386 the completion routine is stdcall, as MSALRUNTIME_API
		// is there (see doc.go), which is what NewCallback makes.
		completion = windows.NewCallback(f)
	})
	return completion
}

// register returns a new key and the channel its result arrives on.
func register() (uintptr, chan uintptr) {
	ch := make(chan uintptr, 1)
	pendingMu.Lock()
	defer pendingMu.Unlock()
	nextKey++
	pending[nextKey] = ch
	return nextKey, ch
}

func unregister(key uintptr) {
	pendingMu.Lock()
	delete(pending, key)
	pendingMu.Unlock()
}

// errNoCallback: MSALRuntime didn't call back after a cancellation.
var errNoCallback = errors.New("MSALRuntime didn't complete the cancelled operation")

// handle is a handle an operation uses (auth parameters, an account) and
// the Release… procedure that frees it.
type handle struct {
	release int
	h       uintptr
}

// releaseAll releases hs.
func (d *dll) releaseAll(hs []handle) {
	for _, u := range hs {
		_ = d.release(u.release, u.h)
	}
}

// abandonedOnce: the first operation given up on is logged, not every one.
var abandonedOnce sync.Once

// Log writes a line to the application's log; the credential sets it at
// initialization, before any call. Nil writes nothing.
var Log func(msg string)

// logAbandoned says, once per process, why some memory may never be freed.
func logAbandoned(method string) {
	abandonedOnce.Do(func() {
		if Log != nil {
			Log("the Windows identity broker (WAM): MSALRuntime didn't complete a cancelled " + method +
				" operation: the handles it uses are kept until it does, and never freed if it doesn't")
		}
	})
}

// async runs one …Async operation: start is called with the callback, its
// data and the address of the async handle, and returns the error handle.
// It returns the operation's result handle, which release frees, or, when
// ctx ends first, ctx's error after cancelling the operation.
//
// async owns uses, the handles the operation reads (its auth parameters,
// its account): it releases them, and the async handle, once the operation
// has ended, which is when MSALRuntime has called back, or at once if it
// didn't start. Not before: MSALRuntime may read them until its callback,
// and a release then would be a use after free in the DLL. If the callback
// doesn't come within cancelWait of CancelAsyncOperation, async returns
// anyway and leaves them to a goroutine that releases them, and the late
// result, if the callback ever comes; if it never does they are leaked, on
// purpose, which is logged once. A result that arrives after cancellation
// is released with release.
func (d *dll) async(ctx context.Context, method string, release int, uses []handle, start func(cb, data uintptr, asyncHandle unsafe.Pointer) uintptr) (uintptr, error) {
	var h uintptr
	done := func() { // the operation has ended, or never began
		d.releaseAll(uses)
		_ = d.release(procReleaseAsyncHandle, h)
	}
	if err := ctx.Err(); err != nil {
		done()
		return 0, err
	}
	key, ch := register()
	if err := d.check(method, start(callback(), key, unsafe.Pointer(&h))); err != nil {
		// Not started: no callback will come, and h may be NULL.
		unregister(key)
		done()
		return 0, err
	}
	select {
	case r := <-ch:
		done()
		return r, nil
	case <-ctx.Done():
	}
	_ = d.check("CancelAsyncOperation", ret(syscall.SyscallN(d.procs[procCancelAsyncOperation], h)))
	t := time.NewTimer(cancelWait)
	defer t.Stop()
	select {
	case r := <-ch:
		_ = d.release(release, r)
		done()
		return 0, ctx.Err()
	case <-t.C:
	}
	// The runtime broke its promise, and may still be using the handles.
	logAbandoned(method)
	go func() {
		r := <-ch
		_ = d.release(release, r)
		done()
	}()
	return 0, errors.Join(ctx.Err(), errNoCallback)
}
