//go:build ignore

// Prints the names a PE DLL exports, one a line, sorted: the list
// testdata/msalruntime_exports.txt pins for the real msalruntime.dll. See
// testdata/README.md for the command that regenerates it.
package main

import (
	"debug/pe"
	"encoding/binary"
	"fmt"
	"log"
	"os"
	"sort"
)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: go run exports_gen.go DLL")
	}
	f, err := pe.Open(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	var dir pe.DataDirectory
	switch h := f.OptionalHeader.(type) {
	case *pe.OptionalHeader64:
		dir = h.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_EXPORT]
	case *pe.OptionalHeader32:
		dir = h.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_EXPORT]
	default:
		log.Fatal("no optional header")
	}
	// read returns n bytes at a relative virtual address.
	read := func(rva, n uint32) []byte {
		for _, s := range f.Sections {
			if rva >= s.VirtualAddress && rva+n <= s.VirtualAddress+s.VirtualSize {
				b := make([]byte, n)
				if _, err := s.ReadAt(b, int64(rva-s.VirtualAddress)); err != nil {
					log.Fatal(err)
				}
				return b
			}
		}
		log.Fatalf("RVA %#x isn't in a section", rva)
		return nil
	}
	ed := read(dir.VirtualAddress, 40) // IMAGE_EXPORT_DIRECTORY
	count := binary.LittleEndian.Uint32(ed[24:])
	names := binary.LittleEndian.Uint32(ed[32:])
	var out []string
	for i := uint32(0); i < count; i++ {
		rva := binary.LittleEndian.Uint32(read(names+4*i, 4))
		var name []byte
		for c := rva; ; c++ {
			b := read(c, 1)[0]
			if b == 0 {
				break
			}
			name = append(name, b)
		}
		out = append(out, string(name))
	}
	sort.Strings(out)
	for _, n := range out {
		fmt.Println(n)
	}
}
