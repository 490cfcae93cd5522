//go:build windows

package tokencache

import (
	"errors"
	"unsafe"

	"golang.org/x/sys/windows"
)

// dpapi seals a cache for the current Windows user with the Data Protection
// API, without extra entropy and never showing UI: what Python's
// msal-extensions (FilePersistenceWithDataProtection) and MSAL's Go
// extensions do, so each can open what the other sealed.
type dpapi struct{}

func (dpapi) seal(data []byte) ([]byte, error) { return dpapiCall(data, true) }

func (dpapi) open(data []byte) ([]byte, error) { return dpapiCall(data, false) }

func dpapiCall(data []byte, seal bool) ([]byte, error) {
	if len(data) == 0 {
		return nil, errors.New("nothing to process")
	}
	in := windows.DataBlob{Data: &data[0], Size: uint32(len(data))}
	var out windows.DataBlob
	var err error
	if seal {
		err = windows.CryptProtectData(&in, nil, nil, 0, nil, windows.CRYPTPROTECT_UI_FORBIDDEN, &out)
	} else {
		err = windows.CryptUnprotectData(&in, nil, nil, 0, nil, windows.CRYPTPROTECT_UI_FORBIDDEN, &out)
	}
	if err != nil {
		return nil, err
	}
	defer windows.LocalFree(windows.Handle(unsafe.Pointer(out.Data)))
	return append([]byte(nil), unsafe.Slice(out.Data, out.Size)...), nil
}
