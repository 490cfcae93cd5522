package wam

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/windows"
)

// ErrNotInstalled: no MSALRuntime DLL is beside the executable or at the
// path the application named.
var ErrNotInstalled = errors.New("the Windows identity broker (WAM) can't be used: MSALRuntime isn't installed")

// DLLName is the name of MSALRuntime's DLL for this architecture, as the
// npm package @azure/msal-node-runtime ships it.
func DLLName() string {
	switch runtime.GOARCH {
	case "arm64":
		return "msalruntime_arm64.dll"
	case "386":
		return "msalruntime_x86.dll"
	}
	return "msalruntime.dll"
}

// dll is a loaded MSALRuntime that has started.
type dll struct {
	path  string
	procs [procCount]uintptr

	// idsMu guards ids: MSALRuntime's account IDs (GetAccountId) by
	// lower-case home account ID, for ReadAccountById.
	idsMu sync.Mutex
	ids   map[string]string
}

// A process holds at most one MSALRuntime: Startup pins the DLL and is
// called once. mu guards loaded and loadErr.
var (
	mu      sync.Mutex
	loaded  *dll
	loadErr error // Startup or resolution failed for loaded's path: final
	errPath string
)

// load returns the process's MSALRuntime, loading it on first use: the DLL
// beside the executable, else the one at path (a file or its directory).
// Never a bare name: LoadLibrary would search the working directory and PATH,
// where anyone may plant a DLL.
func load(path string) (*dll, error) {
	file, err := find(path)
	if err != nil {
		return nil, err
	}
	mu.Lock()
	defer mu.Unlock()
	switch {
	case loaded != nil && samePath(loaded.path, file):
		return loaded, nil
	case loaded != nil:
		return nil, fmt.Errorf("this process already uses MSALRuntime from %s, not %s", loaded.path, file)
	case loadErr != nil && samePath(errPath, file):
		return nil, loadErr
	}
	d, err := open(file)
	if err != nil {
		// A DLL that loaded and failed stays loaded (Startup pins it):
		// trying again would call Startup twice.
		loadErr, errPath = err, file
		return nil, err
	}
	loaded = d
	return d, nil
}

// find returns the DLL to load: beside the executable first, then path.
func find(path string) (string, error) {
	name := DLLName()
	var tried []string
	if exe, err := os.Executable(); err == nil {
		tried = append(tried, filepath.Join(filepath.Dir(exe), name))
	}
	if path != "" {
		if fi, err := os.Stat(path); err == nil && fi.IsDir() {
			path = filepath.Join(path, name)
		}
		tried = append(tried, path)
	}
	for _, f := range tried {
		if !filepath.IsAbs(f) {
			continue // relative to the working directory: planting again
		}
		if fi, err := os.Stat(f); err == nil && fi.Mode().IsRegular() {
			return f, nil
		}
	}
	if path == "" {
		return "", fmt.Errorf("%w: %s isn't beside the executable (%s), and BrokerOptions.MSALRuntimePath is empty", ErrNotInstalled, name, tried)
	}
	return "", fmt.Errorf("%w: looked for it at %q", ErrNotInstalled, tried)
}

// samePath: Windows file names are case-insensitive.
func samePath(a, b string) bool {
	return strings.EqualFold(filepath.Clean(a), filepath.Clean(b))
}

// open loads file, resolves the procedures and starts MSALRuntime.
func open(file string) (*dll, error) {
	// LOAD_WITH_ALTERED_SEARCH_PATH: MSALRuntime's own dependencies are
	// looked for in its directory, not the executable's.
	h, err := windows.LoadLibraryEx(file, 0, windows.LOAD_WITH_ALTERED_SEARCH_PATH)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", file, err)
	}
	d := &dll{path: file, ids: map[string]string{}}
	for i, n := range procNames {
		p, err := windows.GetProcAddress(h, n)
		if err != nil {
			_ = windows.FreeLibrary(h)
			return nil, fmt.Errorf("%s isn't the MSALRuntime this module knows: it lacks %s: %w", file, n, err)
		}
		d.procs[i] = p
	}
	if err := d.check("Startup", ret(syscall.SyscallN(d.procs[procStartup]))); err != nil {
		return nil, fmt.Errorf("starting MSALRuntime (%s): %w", file, err)
	}
	return d, nil
}
