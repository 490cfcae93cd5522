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
const cancelWait = 5 * time.Second

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

// async runs one …Async operation: start is called with the callback, its
// data and the address of the async handle, and returns the error handle.
// It returns the operation's result handle, which release frees, or, when
// ctx ends first, ctx's error after cancelling the operation. Either way the
// async handle is released, and a result that arrives after cancellation is
// released with release.
func (d *dll) async(ctx context.Context, method string, release int, start func(cb, data uintptr, asyncHandle unsafe.Pointer) uintptr) (uintptr, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	key, ch := register()
	var h uintptr
	if err := d.check(method, start(callback(), key, unsafe.Pointer(&h))); err != nil {
		// Not started: no callback will come, and h may be NULL.
		unregister(key)
		_ = d.release(procReleaseAsyncHandle, h)
		return 0, err
	}
	defer func() { _ = d.release(procReleaseAsyncHandle, h) }()
	select {
	case r := <-ch:
		return r, nil
	case <-ctx.Done():
	}
	_ = d.check("CancelAsyncOperation", ret(syscall.SyscallN(d.procs[procCancelAsyncOperation], h)))
	t := time.NewTimer(cancelWait)
	defer t.Stop()
	select {
	case r := <-ch:
		_ = d.release(release, r)
		return 0, ctx.Err()
	case <-t.C:
	}
	// The runtime broke its promise; release the handles if it ever keeps it.
	h0 := h
	h = 0 // not released on return: the result may still come, with h
	go func() {
		r := <-ch
		_ = d.release(release, r)
		_ = d.release(procReleaseAsyncHandle, h0)
	}()
	return 0, errors.Join(ctx.Err(), errNoCallback)
}
