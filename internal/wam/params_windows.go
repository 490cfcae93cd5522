package wam

import (
	"strings"
	"syscall"
	"unsafe"

	"github.com/azinteractive/azinteractive/internal/broker"
)

// params creates the auth parameters of a request; the caller releases
// them. guiThread asks for the dialog on MSALRuntime's own thread.
func (d *dll) params(p broker.TokenParams, guiThread bool) (uintptr, error) {
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
	// Additional parameters, as MSAL for Python sets them: its own keys, and
	// the request's extra ones (domain_hint, prompt) by their OAuth names.
	// select_account is the account picker, which a dialog without a login
	// hint already is.
	var extra [][2]string
	if p.MSAPassthrough {
		extra = append(extra, [2]string{"msal_request_type", "consumer_passthrough"})
	}
	if guiThread {
		extra = append(extra, [2]string{"msal_gui_thread", "true"})
	}
	if p.DomainHint != "" {
		extra = append(extra, [2]string{"domain_hint", p.DomainHint})
	}
	if p.Prompt != "" && p.Prompt != "select_account" {
		extra = append(extra, [2]string{"prompt", p.Prompt})
	}
	for _, kv := range extra {
		if err == nil {
			err = d.setParam(h, kv[0], kv[1])
		}
	}
	if err != nil {
		_ = d.release(procReleaseAuthParameters, h)
		return 0, err
	}
	return h, nil
}
