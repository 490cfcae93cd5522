package azinteractive

import (
	"errors"
	"regexp"
	"strconv"

	"github.com/azinteractive/azinteractive/internal/broker"
)

// aadsts finds the AADSTS number a broker's description quotes.
var aadsts = regexp.MustCompile(`AADSTS(\d+)`)

// brokerError gives the broker's failures this module's error types. The
// broker's own error stays in the chain, codes and all.
func (b *brokerBackend) brokerError(err error) error {
	var be *broker.Error
	switch {
	case errors.As(err, &be):
		e := &AuthenticationFailedError{credType: b.cfg.name, err: err}
		if m := aadsts.FindStringSubmatch(be.Context); m != nil {
			if n, cerr := strconv.Atoi(m[1]); cerr == nil {
				e.ErrorCodes = []int{n}
			}
		}
		switch {
		case be.Canceled():
			e.message = "the sign-in was canceled in the identity broker's window; sign in again to continue"
		case be.InteractionRequired():
			e.ErrorCode = "interaction_required"
			e.message = "the identity broker needs the user to sign in interactively"
		default:
			e.message = "the identity broker refused the sign-in"
		}
		return e
	case errors.Is(err, broker.ErrTooOld):
		return &CredentialUnavailableError{credType: b.cfg.name, message: "the identity broker is too old for this module; update microsoft-identity-broker", err: err}
	case errors.Is(err, broker.ErrUnavailable):
		return &CredentialUnavailableError{credType: b.cfg.name, message: "the identity broker isn't reachable", err: err}
	case errors.Is(err, broker.ErrBrokerGone):
		return &AuthenticationFailedError{credType: b.cfg.name, message: "the identity broker stopped or restarted before it answered; try again", err: err}
	case errors.Is(err, errNotInBroker):
		return err
	}
	return &AuthenticationFailedError{credType: b.cfg.name, message: "the identity broker failed", err: err}
}
