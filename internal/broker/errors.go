package broker

import (
	"errors"
	"fmt"
	"strings"
)

// Status is the broker's status of a failure: the MSALRuntime ResponseStatus
// numbers (MSAL.NET's WamAdapters, pymsalruntime).
type Status int

// Statuses the client tells apart; the others are failures as such.
const (
	StatusUnexpected                    Status = 0
	StatusInteractionRequired           Status = 2
	StatusNoNetwork                     Status = 3
	StatusNetworkTemporarilyUnavailable Status = 4
	StatusUserCanceled                  Status = 7
	StatusApplicationCanceled           Status = 8
	StatusAccountUnusable               Status = 13
	StatusAccountNotFound               Status = 16
)

var statusNames = map[Status]string{
	0: "Unexpected", 1: "Reserved", 2: "InteractionRequired", 3: "NoNetwork",
	4: "NetworkTemporarilyUnavailable", 5: "ServerTemporarilyUnavailable",
	6: "ApiContractViolation", 7: "UserCanceled", 8: "ApplicationCanceled",
	9: "IncorrectConfiguration", 10: "InsufficientBuffer", 11: "AuthorityUntrusted",
	12: "UserSwitch", 13: "AccountUnusable", 14: "UserDataRemovalRequired",
	15: "KeyNotFound", 16: "AccountNotFound", 17: "TransientError", 18: "AccountSwitch",
	19: "RequiredBrokerMissing", 20: "DeviceNotRegistered", 21: "FallbackToNativeMsal",
}

// String is the status's MSALRuntime name.
func (s Status) String() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Error is a failure the broker answered a request with, members as they came.
type Error struct {
	// Method is the broker method that failed.
	Method string
	// Status is the broker's status; StatusUnexpected when it sent none.
	Status Status
	// SubStatus, ErrorCode and Tag are the broker's further codes, zero when
	// absent. ErrorCode is often an AADSTS number.
	SubStatus int64
	ErrorCode int64
	Tag       int64
	// Context is the broker's description of the failure.
	Context string
}

// Error describes the failure with the broker's codes.
func (e *Error) Error() string {
	s := "the identity broker's " + e.Method + " failed"
	if e.Context != "" {
		s += ": " + strings.TrimSpace(e.Context)
	}
	s += " (status " + e.Status.String()
	if e.SubStatus != 0 {
		s += fmt.Sprintf(", sub-status %d", e.SubStatus)
	}
	if e.ErrorCode != 0 {
		s += fmt.Sprintf(", error code %d", e.ErrorCode)
	}
	if e.Tag != 0 {
		s += fmt.Sprintf(", tag %d", e.Tag)
	}
	return s + ")"
}

// InteractionRequired reports whether the user must sign in interactively.
func (e *Error) InteractionRequired() bool {
	return e.Status == StatusInteractionRequired || e.Status == StatusAccountUnusable
}

// Canceled reports whether the user, or the application, ended the sign-in.
func (e *Error) Canceled() bool {
	return e.Status == StatusUserCanceled || e.Status == StatusApplicationCanceled
}

// Sentinel errors of the client, to test with errors.Is.
var (
	// ErrUnavailable: there is no broker on the session bus, or no session bus.
	ErrUnavailable = errors.New("no identity broker is running on the D-Bus session bus (com.microsoft.identity.broker1)")
	// ErrTooOld: the broker doesn't implement a method the client needs.
	ErrTooOld = errors.New("the identity broker is too old: it lacks a method this client needs; update microsoft-identity-broker")
	// ErrBrokerGone: the broker left the bus while it handled the call.
	ErrBrokerGone = errors.New("the identity broker left the D-Bus session bus before it answered")
	// ErrBadResponse: the broker's answer isn't what the interface defines.
	ErrBadResponse = errors.New("the identity broker's response can't be read")
	// ErrNoSessionBus: DBUS_SESSION_BUS_ADDRESS isn't set (wraps ErrUnavailable).
	ErrNoSessionBus = fmt.Errorf("%w: DBUS_SESSION_BUS_ADDRESS isn't set", ErrUnavailable)
)
