package azinteractive

import (
	"errors"
	"math"

	"github.com/azinteractive/azinteractive/internal/broker"
)

// brokerError gives the broker's failures this module's error types. The
// broker's own error stays in the chain, codes and all.
func (b *brokerBackend) brokerError(err error) error {
	var be *broker.Error
	switch {
	case errors.As(err, &be):
		e := newAuthenticationFailedError(b.cfg.name, "the identity broker refused the sign-in", "", err)
		// What the broker said, made safe: it quotes the service.
		e.description = networkText(err.Error(), maxDescriptionLen)
		// The service's number, as the broker quotes it; else the broker's
		// own errorCode, which is often the same number.
		if n, ok := aadstsCode(be.Context, false); ok {
			e.ErrorCodes = []int{n}
		} else if be.ErrorCode > 0 && be.ErrorCode <= math.MaxInt32 {
			e.ErrorCodes = []int{int(be.ErrorCode)}
		}
		switch {
		case be.Canceled():
			e.message, e.hint = "the sign-in was canceled in the identity broker's window", "Sign in again to continue."
		case be.InteractionRequired():
			e.ErrorCode = "interaction_required"
			e.message = "the identity broker needs the user to sign in interactively"
		}
		return e
	case errors.Is(err, broker.ErrTooOld):
		return newCredentialUnavailableError(b.cfg.name, "the identity broker is too old for this module", "Update microsoft-identity-broker.", err)
	case errors.Is(err, broker.ErrUnavailable):
		return newCredentialUnavailableError(b.cfg.name, "the identity broker isn't reachable", "", err)
	case errors.Is(err, broker.ErrBrokerGone):
		return newAuthenticationFailedError(b.cfg.name, "the identity broker stopped or restarted before it answered", "Try again.", err)
	case errors.Is(err, errNotInBroker):
		return err
	}
	e := newAuthenticationFailedError(b.cfg.name, "the identity broker failed", "", err)
	e.description = networkText(err.Error(), maxDescriptionLen)
	return e
}
