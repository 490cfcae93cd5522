package wam

import (
	"fmt"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/azinteractive/azinteractive/internal/broker"
)

// tokenResult reads an auth result: its error, or its token and account.
// The caller releases r.
func (d *dll) tokenResult(method string, r uintptr) (*broker.TokenResult, error) {
	if r == 0 {
		return nil, fmt.Errorf("%w: %s completed with no result", broker.ErrBadResponse, method)
	}
	var e uintptr
	if err := d.check("GetError", ret(syscall.SyscallN(d.procs[procGetError], r, uintptr(unsafe.Pointer(&e))))); err != nil {
		return nil, err
	}
	if err := d.check(method, e); err != nil {
		return nil, err
	}
	res := &broker.TokenResult{TokenType: "Bearer"}
	var err error
	if res.AccessToken, err = d.str(procGetAccessToken, r); err != nil {
		return nil, err
	}
	var pop int32 // bool_t
	if d.getter(procIsPopAuthorization, r, unsafe.Pointer(&pop)) && pop != 0 {
		res.TokenType = "pop"
	}
	var exp int64 // seconds since the epoch
	if err := d.check("GetExpiresOn", ret(syscall.SyscallN(d.procs[procGetExpiresOn], r, uintptr(unsafe.Pointer(&exp))))); err != nil {
		return nil, err
	}
	res.ExpiresOn = time.Unix(exp, 0)
	scopes, err := d.str(procGetGrantedScopes, r)
	if err != nil {
		return nil, err
	}
	res.GrantedScopes = strings.Fields(scopes)
	var a uintptr
	if err := d.check("GetAccount", ret(syscall.SyscallN(d.procs[procGetAccount], r, uintptr(unsafe.Pointer(&a))))); err != nil {
		return nil, err
	}
	defer func() { _ = d.release(procReleaseAccount, a) }()
	if res.Account, err = d.account(a); err != nil {
		return nil, err
	}
	res.ClientInfo = res.Account.ClientInfo
	return res, nil
}

// account reads an account handle, remembering its account ID; the caller
// releases it. A NULL handle is the zero Account, which the credential
// refuses (it names no account).
func (d *dll) account(a uintptr) (broker.Account, error) {
	var acct broker.Account
	if a == 0 {
		return acct, nil
	}
	var id string
	for _, f := range []struct {
		proc int
		dst  *string
	}{
		{procGetHomeAccountId, &acct.HomeAccountID},
		{procGetEnvironment, &acct.Environment},
		{procGetRealm, &acct.Realm},
		{procGetLocalAccountId, &acct.LocalAccountID},
		{procGetUserName, &acct.Username},
		{procGetClientInfo, &acct.ClientInfo},
		{procGetAccountId, &id},
	} {
		s, err := d.str(f.proc, a)
		if err != nil {
			return broker.Account{}, err
		}
		*f.dst = s
	}
	if id != "" && acct.HomeAccountID != "" {
		d.idsMu.Lock()
		d.ids[strings.ToLower(acct.HomeAccountID)] = id
		d.idsMu.Unlock()
	}
	return acct, nil
}
