//go:build windows && wine

package wine

import _ "unsafe" // for go:linkname

// useDeleteFallback is the switch Go's own tests use to make the deletion
// behind os.RemoveAll (and so t.TempDir's clean-up) take the path Go takes on
// Windows versions and file systems without FileDispositionInformationEx:
// FileDispositionInformation. Wine 8 lacks the former and answers
// STATUS_NOT_IMPLEMENTED ("Invalid function"), which Go doesn't take for a
// cue to fall back. Linking to it needs -ldflags=-checklinkname=0, which
// .ci/wine/run passes; if a Go release renames it, that build fails to link
// rather than running tests that fail in their clean-up.
//
//go:linkname useDeleteFallback internal/syscall/windows.TestDeleteatFallback
var useDeleteFallback bool

func init() { useDeleteFallback = true }

// WithoutDeleteFallback runs f with os.RemoveAll deleting as a program
// under Wine does, without the fallback: to prove that a code path deletes
// nothing through it. Tests calling it must not run in parallel with others.
func WithoutDeleteFallback(f func()) {
	useDeleteFallback = false
	defer func() { useDeleteFallback = true }()
	f()
}
