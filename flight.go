package azinteractive

import (
	"context"
	"sync"
	"sync/atomic"
)

// flights runs one call per key at a time. Unlike x/sync/singleflight, every
// waiter watches its own context, so a caller with a short deadline returns
// on time while a slow sign-in carries on for the others.
type flights struct {
	mu sync.Mutex         // guards m
	m  map[string]*flight // calls in progress, by key
}

// flight is one call in progress. done closes when v and err are set.
type flight struct {
	done chan struct{}
	v    any
	err  error
	// release removes the flight from its table, before done closes.
	release func()
	// waiters counts the callers that joined behind the leader.
	waiters atomic.Int32
}

// join returns the flight for key, and whether the caller leads it (and must
// call finish).
func (fs *flights) join(key string) (*flight, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if f, ok := fs.m[key]; ok {
		f.waiters.Add(1)
		return f, false
	}
	if fs.m == nil {
		fs.m = map[string]*flight{}
	}
	f := &flight{done: make(chan struct{})}
	f.release = func() {
		fs.mu.Lock()
		delete(fs.m, key)
		fs.mu.Unlock()
	}
	fs.m[key] = f
	return f, true
}

// finish publishes the leader's result.
func (f *flight) finish(v any, err error) {
	f.v, f.err = v, err
	f.release()
	close(f.done)
}

// wait blocks until the flight finishes or ctx is done.
func (f *flight) wait(ctx context.Context) error {
	select {
	case <-f.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// waiting returns how many callers wait on key's flight, for tests.
func (fs *flights) waiting(key string) int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if f, ok := fs.m[key]; ok {
		return int(f.waiters.Load())
	}
	return 0
}

// do runs fn once for concurrent callers with the same key. When the leader
// fails because its own context ended, waiters whose contexts are live run fn
// again rather than inherit an error that isn't theirs.
func (fs *flights) do(ctx context.Context, key string, fn func(context.Context) (any, error)) (any, error) {
	for {
		f, leader := fs.join(key)
		if leader {
			v, err := fn(ctx)
			f.finish(v, err)
			return v, err
		}
		if err := f.wait(ctx); err != nil {
			return nil, err
		}
		if f.err != nil && isContextError(f.err) && ctx.Err() == nil {
			continue
		}
		return f.v, f.err
	}
}
