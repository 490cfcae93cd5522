package tokencache

import "errors"

// corruptError marks stored bytes that can't be decoded (undecryptable,
// truncated). Unlike an unreachable store, they won't get better by
// retrying, so the cache treats them as empty, warns, and overwrites them at
// the next sign-in.
type corruptError struct{ err error }

func (e *corruptError) Error() string {
	return "the stored token cache can't be decoded: " + e.err.Error()
}

func (e *corruptError) Unwrap() error { return e.err }

func corrupt(err error) error { return &corruptError{err} }

func isCorrupt(err error) bool {
	var c *corruptError
	return errors.As(err, &c)
}
