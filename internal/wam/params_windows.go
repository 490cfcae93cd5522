package wam

import (
	"strings"
	"syscall"
	"unsafe"

	"github.com/azinteractive/azinteractive/internal/broker"
)

// params creates the auth parameters of a request; the caller releases
// them with releaseParams.
func (d *dll) params(p broker.TokenParams) (uintptr, error) {
	clientID, err := utf16(p.ClientID)
	if err != nil {
		return 0, err
	}
	authority, err := utf16(p.Authority)
	if err != nil {
		return 0, err
	}
	var h uintptr
	if err := d.check("CreateAuthParameters", ret(syscall.SyscallN(d.procs[procCreateAuthParameters],
		uintptr(unsafe.Pointer(clientID)), uintptr(unsafe.Pointer(authority)), uintptr(unsafe.Pointer(&h))))); err != nil {
		return 0, err
	}
	set := func(proc int, value string) error {
		v, err := utf16(value)
		if err != nil {
			return err
		}
		return d.check(procNames[proc], ret(syscall.SyscallN(d.procs[proc], h, uintptr(unsafe.Pointer(v)))))
	}
	// WAM accepts only this redirect URI; the app registration must list it.
	err = set(procSetRequestedScopes, strings.Join(p.Scopes, " "))
	if err == nil {
		err = set(procSetRedirectUri, broker.RedirectURI(p.ClientID))
	}
	if err == nil && p.Claims != "" {
		err = set(procSetDecodedClaims, p.Claims)
	}
	if err == nil && p.MSAPassthrough {
		// What MSAL for Python and @azure/identity send for it.
		err = d.setParam(h, "msal_request_type", "consumer_passthrough")
	}
	if err != nil {
		_ = d.release(procReleaseAuthParameters, h)
		return 0, err
	}
	return h, nil
}
