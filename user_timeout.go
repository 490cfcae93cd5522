package azinteractive

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// userTimeoutError is the cause of a context that a credential's Timeout
// ended: the user didn't finish signing in.
type userTimeoutError struct {
	credType string
	timeout  time.Duration
}

func (e *userTimeoutError) Error() string {
	return fmt.Sprintf("the user didn't finish signing in within %s (the credential's Timeout); try again, or raise Timeout", e.timeout)
}

// Is makes errors.Is(err, context.DeadlineExceeded) hold for a timeout.
func (e *userTimeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

func errUserTimeout(credType string, d time.Duration) error {
	return &userTimeoutError{credType: credType, timeout: d}
}

// expiredOr explains an error that came from ctx ending: the credential's
// Timeout, the caller's deadline, or a cancellation.
func expiredOr(ctx context.Context, err error) error {
	cause := context.Cause(ctx)
	var ut *userTimeoutError
	if errors.As(cause, &ut) {
		return fmt.Errorf("%w", cause)
	}
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		return fmt.Errorf("%w: %w", ctxErr, err)
	}
	return err
}
