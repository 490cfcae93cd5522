package wam

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"unsafe"

	"github.com/azinteractive/azinteractive/internal/broker"
	"golang.org/x/sys/windows"
)

// getConsoleWindow is kernel32's, which x/sys/windows doesn't wrap.
var getConsoleWindow = windows.NewLazySystemDLL("kernel32.dll").NewProc("GetConsoleWindow")

// Client calls the Windows broker through MSALRuntime. Its methods are the
// Linux broker client's, with its types, so that the credential treats both
// alike, and SignInSilently. A Client is safe for concurrent use.
type Client struct {
	// Path is where MSALRuntime is when it isn't beside the executable:
	// the DLL, or its directory. Only absolute paths are used.
	Path string
}

// Available loads and starts MSALRuntime, once per process. It reports
// why not when it can't: the DLL is absent ([ErrNotInstalled]), isn't
// MSALRuntime, or failed to start. The answer is final for the process.
func (c *Client) Available(context.Context) (bool, error) {
	_, err := load(c.Path)
	return err == nil, err
}

// AcquireTokenInteractively signs the user in through the broker's dialog
// (SignInInteractivelyAsync). When ctx ends, the dialog is cancelled and
// ctx's error returned.
func (c *Client) AcquireTokenInteractively(ctx context.Context, p broker.TokenParams) (*broker.TokenResult, error) {
	d, err := load(c.Path)
	if err != nil {
		return nil, err
	}
	hwnd := p.ParentWindow
	if hwnd == 0 {
		// A console program has no window of its own; the dialog then
		// belongs to its console, as for MSAL .NET's console apps.
		hwnd, _, _ = getConsoleWindow.Call()
	}
	hint := p.Username
	if p.Prompt == "select_account" {
		hint = "" // let the user pick
	}
	hintp, err := utf16(hint)
	if err != nil {
		return nil, err
	}
	// Without a window MSALRuntime shows the dialog on a thread of its own,
	// as MSAL for Python asks for.
	return d.token(ctx, "SignInInteractively", p, hwnd == 0, nil, func(params uintptr, corr *uint16, cb, data uintptr, async unsafe.Pointer) uintptr {
		return ret(syscall.SyscallN(d.procs[procSignInInteractivelyAsync], hwnd, params, uintptr(unsafe.Pointer(corr)), uintptr(unsafe.Pointer(hintp)), cb, data, uintptr(async)))
	})
}

// SignInSilently signs in as the account the user signed in to Windows
// with, showing nothing (SignInSilentlyAsync): what MSAL for Python does for
// azure-identity's use_default_broker_account.
func (c *Client) SignInSilently(ctx context.Context, p broker.TokenParams) (*broker.TokenResult, error) {
	d, err := load(c.Path)
	if err != nil {
		return nil, err
	}
	return d.token(ctx, "SignInSilently", p, false, nil, func(params uintptr, corr *uint16, cb, data uintptr, async unsafe.Pointer) uintptr {
		return ret(syscall.SyscallN(d.procs[procSignInSilentlyAsync], params, uintptr(unsafe.Pointer(corr)), cb, data, uintptr(async)))
	})
}

// AcquireTokenSilently gets a token for p.Account without showing anything
// (AcquireTokenSilentlyAsync), after looking the account up in the broker
// (ReadAccountByIdAsync).
func (c *Client) AcquireTokenSilently(ctx context.Context, p broker.TokenParams) (*broker.TokenResult, error) {
	if p.Account == nil {
		return nil, errors.New("wam: a silent request needs an account")
	}
	d, err := load(c.Path)
	if err != nil {
		return nil, err
	}
	acct, err := d.readAccount(ctx, *p.Account)
	if err != nil {
		return nil, err
	}
	// token releases acct when the operation, which reads it, has ended.
	return d.token(ctx, "AcquireTokenSilently", p, false, []handle{{procReleaseAccount, acct}}, func(params uintptr, corr *uint16, cb, data uintptr, async unsafe.Pointer) uintptr {
		return ret(syscall.SyscallN(d.procs[procAcquireTokenSilentlyAsync], params, uintptr(unsafe.Pointer(corr)), acct, cb, data, uintptr(async)))
	})
}

// token runs an operation whose result is a token: start starts it with
// p's auth parameters and a new correlation ID. guiThread asks for a dialog
// on MSALRuntime's own thread. token owns uses, further handles the
// operation reads, as async does, and releases them on every path.
func (d *dll) token(ctx context.Context, method string, p broker.TokenParams, guiThread bool, uses []handle, start func(params uintptr, corr *uint16, cb, data uintptr, async unsafe.Pointer) uintptr) (*broker.TokenResult, error) {
	corr, err := correlationID()
	if err != nil {
		d.releaseAll(uses)
		return nil, err
	}
	params, err := d.params(p, guiThread)
	if err != nil {
		d.releaseAll(uses)
		return nil, err
	}
	uses = append(uses, handle{procReleaseAuthParameters, params})
	// async releases params and uses, when MSALRuntime is done with them.
	r, err := d.async(ctx, method, procReleaseAuthResult, uses, func(cb, data uintptr, async unsafe.Pointer) uintptr {
		return start(params, corr, cb, data, async)
	})
	if err != nil {
		return nil, err
	}
	defer func() { _ = d.release(procReleaseAuthResult, r) }()
	return d.tokenResult(method, r)
}

// Accounts returns the accounts the broker knows for clientID
// (DiscoverAccountsAsync): on Windows, the device's accounts first.
func (c *Client) Accounts(ctx context.Context, clientID string) ([]broker.Account, error) {
	d, err := load(c.Path)
	if err != nil {
		return nil, err
	}
	id, err := utf16(clientID)
	if err != nil {
		return nil, err
	}
	corr, err := correlationID()
	if err != nil {
		return nil, err
	}
	const method = "DiscoverAccounts"
	r, err := d.async(ctx, method, procReleaseDiscoverAccountsResult, nil, func(cb, data uintptr, async unsafe.Pointer) uintptr {
		return ret(syscall.SyscallN(d.procs[procDiscoverAccountsAsync], uintptr(unsafe.Pointer(id)), uintptr(unsafe.Pointer(corr)), cb, data, uintptr(async)))
	})
	if err != nil {
		return nil, err
	}
	defer func() { _ = d.release(procReleaseDiscoverAccountsResult, r) }()
	if err := d.resultError(method, procGetDiscoverAccountsError, r); err != nil {
		return nil, err
	}
	var accounts []broker.Account
	// The result has no count: GetDiscoverAccountsAt fails, or gives no
	// account, past the last.
	for i := int32(0); i < maxAccounts; i++ {
		var a uintptr
		if e := ret(syscall.SyscallN(d.procs[procGetDiscoverAccountsAt], r, uintptr(i), uintptr(unsafe.Pointer(&a)))); e != 0 {
			d.releaseError(e)
			break
		}
		if a == 0 {
			break
		}
		acct, err := d.account(a)
		_ = d.release(procReleaseAccount, a)
		if err != nil {
			return nil, err
		}
		accounts = append(accounts, acct)
	}
	return accounts, nil
}

// maxAccounts bounds the accounts read from one answer.
const maxAccounts = 1000

// RemoveAccount signs the account out of the broker for clientID
// (SignOutSilentlyAsync): silent requests for it then fail until the user
// signs in again.
func (c *Client) RemoveAccount(ctx context.Context, clientID string, a broker.Account) error {
	d, err := load(c.Path)
	if err != nil {
		return err
	}
	id, err := utf16(clientID)
	if err != nil {
		return err
	}
	corr, err := correlationID()
	if err != nil {
		return err
	}
	acct, err := d.readAccount(ctx, a)
	if err != nil {
		return err
	}
	const method = "SignOutSilently"
	// async releases acct when the operation, which reads it, has ended.
	r, err := d.async(ctx, method, procReleaseSignOutResult, []handle{{procReleaseAccount, acct}}, func(cb, data uintptr, async unsafe.Pointer) uintptr {
		return ret(syscall.SyscallN(d.procs[procSignOutSilentlyAsync], uintptr(unsafe.Pointer(id)), uintptr(unsafe.Pointer(corr)), acct, cb, data, uintptr(async)))
	})
	if err != nil {
		return err
	}
	defer func() { _ = d.release(procReleaseSignOutResult, r) }()
	return d.resultError(method, procGetSignOutError, r)
}

// readAccount returns the broker's handle of a, which the caller releases.
// MSALRuntime looks an account up by the ID its GetAccountId gave, as MSAL
// for Python and MSAL Node do; for an account this process hasn't read,
// by its object ID (the home account ID's first part), as MSAL .NET does.
func (d *dll) readAccount(ctx context.Context, a broker.Account) (uintptr, error) {
	d.idsMu.Lock()
	accountID := d.ids[strings.ToLower(a.HomeAccountID)]
	d.idsMu.Unlock()
	if accountID == "" {
		accountID, _, _ = strings.Cut(a.HomeAccountID, ".")
	}
	if accountID == "" {
		return 0, fmt.Errorf("%w: the account has no home account ID", broker.ErrBadResponse)
	}
	id, err := utf16(accountID)
	if err != nil {
		return 0, err
	}
	corr, err := correlationID()
	if err != nil {
		return 0, err
	}
	const method = "ReadAccountById"
	r, err := d.async(ctx, method, procReleaseReadAccountResult, nil, func(cb, data uintptr, async unsafe.Pointer) uintptr {
		return ret(syscall.SyscallN(d.procs[procReadAccountByIdAsync], uintptr(unsafe.Pointer(id)), uintptr(unsafe.Pointer(corr)), cb, data, uintptr(async)))
	})
	if err != nil {
		return 0, err
	}
	defer func() { _ = d.release(procReleaseReadAccountResult, r) }()
	if err := d.resultError(method, procGetReadAccountError, r); err != nil {
		return 0, err
	}
	var acct uintptr
	if err := d.check("GetReadAccount", ret(syscall.SyscallN(d.procs[procGetReadAccount], r, uintptr(unsafe.Pointer(&acct))))); err != nil {
		return 0, err
	}
	if acct == 0 {
		return 0, &broker.Error{Method: method, Status: statusAccountNotFound, Context: "MSALRuntime returned no account"}
	}
	return acct, nil
}

// resultError is the error an operation's result carries (its
// Get…Error), nil for none.
func (d *dll) resultError(method string, proc int, r uintptr) error {
	if r == 0 {
		return fmt.Errorf("%w: %s completed with no result", broker.ErrBadResponse, method)
	}
	var e uintptr
	if err := d.check(procNames[proc], ret(syscall.SyscallN(d.procs[proc], r, uintptr(unsafe.Pointer(&e))))); err != nil {
		return err
	}
	return d.check(method, e)
}

// setParam sets an additional parameter.
func (d *dll) setParam(params uintptr, key, value string) error {
	k, err := utf16(key)
	if err != nil {
		return err
	}
	v, err := utf16(value)
	if err != nil {
		return err
	}
	return d.check("SetAdditionalParameter", ret(syscall.SyscallN(d.procs[procSetAdditionalParameter], params, uintptr(unsafe.Pointer(k)), uintptr(unsafe.Pointer(v)))))
}

// correlationID returns a new correlation ID, which MSALRuntime's telemetry
// and logs carry, as UTF-16.
func correlationID() (*uint16, error) {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	return utf16(fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:]))
}
