package tokencache

import (
	"context"
	"sync"
	"time"
)

// sharedLock is the Store's redemption lock: a file lock that callers in
// one process hold together, the first taking it and the last releasing it.
// A caller joins only a hold younger than joinWindow, so that a process
// whose redemptions overlap without a pause can't keep others out.
type sharedLock struct {
	lock fileLock

	mu        sync.Mutex    // guards the fields below
	holders   int           // callers holding the lock
	release   func()        // unlocks the file while holders > 0
	since     time.Time     // when the file was locked, while holders > 0
	released  chan struct{} // closed when holders drops to 0
	acquiring chan struct{} // closed when a pending acquisition ends; nil if none
}

// joinWindow is how long after the file was locked callers may join.
const joinWindow = time.Second

// hold waits until this process holds the lock (or ctx ends) and returns
// the function that lets go of it.
func (l *sharedLock) hold(ctx context.Context) (func(), error) {
	for {
		l.mu.Lock()
		if l.holders > 0 && time.Since(l.since) < joinWindow {
			l.holders++
			l.mu.Unlock()
			return sync.OnceFunc(l.leave), nil
		}
		wait := l.acquiring // nil unless an acquisition is pending
		if l.holders > 0 {
			wait = l.released
		}
		if wait != nil {
			l.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		done := make(chan struct{})
		l.acquiring = done
		l.mu.Unlock()

		release, err := l.lock.Lock(ctx)
		l.mu.Lock()
		l.acquiring = nil
		close(done)
		if err != nil {
			l.mu.Unlock()
			return nil, err
		}
		l.holders, l.release, l.since, l.released = 1, release, time.Now(), make(chan struct{})
		l.mu.Unlock()
		return sync.OnceFunc(l.leave), nil
	}
}

func (l *sharedLock) leave() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.holders--
	if l.holders == 0 {
		l.release()
		l.release = nil
		close(l.released)
	}
}
