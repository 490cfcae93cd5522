package tokencache

import (
	"context"
	"errors"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
)

// Store owns the two MSAL caches of one credential, CAE and non-CAE, over one
// Persistence. MSAL needs a client per CAE mode (only a CAE client announces
// the CP1 capability), but a user signs in once: the two caches share
// accounts and refresh tokens, and every operation that concerns the user
// (sign-out, redeeming a refresh token) goes through the Store, so that it
// treats both caches as one.
type Store struct {
	modes   [2]*Cache // indexed by cae
	records RecordStore
	// redeeming lets one refresh-token redemption run at a time (a call
	// holds its one slot): an identity provider that rotates refresh tokens
	// honours each one once.
	redeeming chan struct{}
}

// Open returns the Store of one credential over p. warn, when not nil, is
// told about problems that don't stop the cache from working.
func Open(p Persistence, warn func(msg string)) (*Store, error) {
	s := &Store{records: p.records, redeeming: make(chan struct{}, 1)}
	for i, cae := range []bool{false, true} {
		c, err := p.Open(cae, warn)
		if err != nil {
			return nil, err
		}
		s.modes[i] = c
	}
	Link(s.modes[0], s.modes[1])
	return s, nil
}

// Mode returns the MSAL cache of one CAE mode.
func (s *Store) Mode(cae bool) cache.ExportReplace {
	if cae {
		return s.modes[1]
	}
	return s.modes[0]
}

// Records returns where the Store remembers the signed-in user, or nil.
func (s *Store) Records() RecordStore { return s.records }

// Begin prepares ctx for one MSAL call that wants scopes. MSAL hands the
// call's context to Replace and Export, so what Begin records there lets the
// Store tell that call's cache accesses apart from others'.
func (s *Store) Begin(ctx context.Context, scopes []string) context.Context {
	return ctx
}

// Redeem runs fn, which may redeem the user's refresh token, while no other
// redemption of this Store runs.
func (s *Store) Redeem(ctx context.Context, fn func(context.Context) error) error {
	select {
	case s.redeeming <- struct{}{}:
		defer func() { <-s.redeeming }()
	case <-ctx.Done():
		return ctx.Err()
	}
	return fn(ctx)
}

// RemoveAccount deletes every token and the account record of homeAccountID
// from both caches.
func (s *Store) RemoveAccount(ctx context.Context, homeAccountID string) error {
	var errs []error
	for _, c := range s.modes {
		if err := c.RemoveAccount(ctx, homeAccountID); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
