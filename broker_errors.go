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
		e := newAuthenticationFailedError(b.cfg.name, "the identity broker refused the sign-in", "", err)
		// What the broker said, made safe: it quotes the service.
		e.description = networkText(err.Error(), maxDescriptionLen)
		if m := aadsts.FindStringSubmatch(be.Context); m != nil {
			if n, cerr := strconv.Atoi(m[1]); cerr == nil {
				e.ErrorCodes = []int{n}
			}
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
