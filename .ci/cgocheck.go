//go:build ignore

// Cgocheck type-checks packages, test files included, as they build for
// GOOS/GOARCH with cgo enabled, where no C toolchain for that platform is
// at hand: building cgo for macOS needs Apple's SDK, which a Linux CI machine
// can't have, and go vet runs cgo (so the C compiler) before type-checking.
//
// Everything is read from source. In the cgo files of dependencies (MSAL's
// Keychain accessor's go-keychain, runtime/cgo), `import "C"` is a fake
// package (go/types' FakeImportC): what refers to C isn't checked, all Go is.
// The packages named are checked with their function bodies; their
// dependencies, declarations only.
//
// Usage: go run .ci/cgocheck.go darwin/arm64 ./...
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// listed is what go list -json says of a package.
type listed struct {
	ImportPath   string
	Dir          string
	Standard     bool
	DepOnly      bool
	ForTest      string
	ImportMap    map[string]string
	GoFiles      []string
	CgoFiles     []string
	TestGoFiles  []string
	XTestGoFiles []string
}

type checker struct {
	fset         *token.FileSet
	goos, goarch string
	pkgs         map[string]*listed
	checked      map[string]*types.Package
	errs         []string
}

func main() {
	goos, goarch, ok := strings.Cut(arg(1), "/")
	if !ok || len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: go run .ci/cgocheck.go GOOS/GOARCH PACKAGES...")
		os.Exit(2)
	}
	c := &checker{fset: token.NewFileSet(), goos: goos, goarch: goarch, pkgs: map[string]*listed{}, checked: map[string]*types.Package{}}

	// Every package the named ones and their tests need, as built there.
	all, err := c.goList(append([]string{"-deps", "-test"}, os.Args[2:]...))
	if err != nil {
		fatal(err)
	}
	var targets []*listed
	for _, p := range all {
		if p.ForTest != "" || strings.HasSuffix(p.ImportPath, ".test") {
			continue // test variants: checked below, from their files
		}
		c.pkgs[p.ImportPath] = p
		if !p.DepOnly && !p.Standard {
			targets = append(targets, p)
		}
	}
	for _, p := range targets {
		files := append(append(append([]string(nil), p.GoFiles...), p.CgoFiles...), p.TestGoFiles...)
		under, err := c.check(p, p.ImportPath, files, false, nil)
		if err != nil {
			continue // in c.errs
		}
		if len(p.XTestGoFiles) > 0 {
			// The external test package sees the package with its test files.
			if _, err := c.check(p, p.ImportPath+"_test", p.XTestGoFiles, false, map[string]*types.Package{p.ImportPath: under}); err != nil {
				continue
			}
		}
		fmt.Printf("ok  %s (%s/%s, cgo)\n", p.ImportPath, c.goos, c.goarch)
	}
	if len(c.errs) > 0 {
		fmt.Fprintln(os.Stderr, strings.Join(c.errs, "\n"))
		os.Exit(1)
	}
}

func arg(i int) string {
	if i < len(os.Args) {
		return os.Args[i]
	}
	return ""
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "cgocheck:", err)
	os.Exit(1)
}

func (c *checker) goList(args []string) ([]*listed, error) {
	cmd := exec.Command("go", append([]string{"list", "-e", "-json"}, args...)...)
	cmd.Env = append(os.Environ(), "GOOS="+c.goos, "GOARCH="+c.goarch, "CGO_ENABLED=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %v: %s", err, stderr.String())
	}
	var pkgs []*listed
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		p := new(listed)
		if err := dec.Decode(p); errors.Is(err, io.EOF) {
			return pkgs, nil
		} else if err != nil {
			return nil, err
		}
		pkgs = append(pkgs, p)
	}
}

// check type-checks files of p's directory as package path; bodies only
// for the packages named on the command line. over maps import paths to
// packages checked already in another form (with test files).
func (c *checker) check(p *listed, path string, files []string, depOnly bool, over map[string]*types.Package) (*types.Package, error) {
	var parsed []*ast.File
	for _, f := range files {
		af, err := parser.ParseFile(c.fset, filepath.Join(p.Dir, f), nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		parsed = append(parsed, af)
	}
	var errs []error
	conf := types.Config{
		FakeImportC:      true,
		IgnoreFuncBodies: depOnly,
		Importer:         importerFunc(func(imp string) (*types.Package, error) { return c.importFrom(p, imp, over) }),
		Error:            func(err error) { errs = append(errs, err) },
		Sizes:            types.SizesFor("gc", c.goarch),
	}
	pkg, _ := conf.Check(path, c.fset, parsed, nil)
	if len(errs) > 0 {
		var msgs []string
		for _, e := range errs {
			msgs = append(msgs, e.Error())
		}
		err := fmt.Errorf("%s (%s/%s, cgo):\n\t%s", path, c.goos, c.goarch, strings.Join(msgs, "\n\t"))
		if !depOnly {
			c.errs = append(c.errs, err.Error())
		}
		return pkg, err
	}
	return pkg, nil
}

type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }

// importFrom resolves an import of from (vendored std paths included) and
// checks the imported package, declarations only, once.
func (c *checker) importFrom(from *listed, imp string, over map[string]*types.Package) (*types.Package, error) {
	if imp == "unsafe" {
		return types.Unsafe, nil
	}
	if p, ok := over[imp]; ok {
		return p, nil
	}
	if mapped, ok := from.ImportMap[imp]; ok {
		imp = mapped
	}
	if p, ok := c.checked[imp]; ok {
		return p, nil
	}
	dep, ok := c.pkgs[imp]
	if !ok {
		return nil, fmt.Errorf("%s isn't among go list's dependencies", imp)
	}
	files := append(append([]string(nil), dep.GoFiles...), dep.CgoFiles...)
	pkg, err := c.check(dep, imp, files, true, nil)
	if pkg == nil {
		return nil, err
	}
	// A dependency's errors (there should be none) are reported where
	// they matter: as the importer's.
	c.checked[imp] = pkg
	return pkg, err
}
