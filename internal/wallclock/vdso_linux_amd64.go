package wallclock

import (
	"bytes"
	"encoding/binary"
	"unsafe"

	"golang.org/x/sys/unix"
)

// vdsoSymbol returns the address of a function the kernel's vDSO exports,
// or 0. The runtime finds the vDSO's clock_gettime for itself but doesn't
// share it, so the image is found through the auxiliary vector and its
// dynamic symbols read where the kernel mapped it.
func vdsoSymbol(name string) uintptr {
	auxv, err := unix.Auxv()
	if err != nil {
		return 0
	}
	var base uintptr
	for _, kv := range auxv {
		if kv[0] == _AT_SYSINFO_EHDR {
			base = kv[1]
		}
	}
	if base == 0 {
		return 0
	}
	image := vdsoImage(base)
	if image == nil {
		return 0
	}
	off, ok := symbolOffset(image, name)
	if !ok {
		return 0
	}
	return base + uintptr(off)
}

const _AT_SYSINFO_EHDR = 33

// vdsoImage is the vDSO's ELF image, mapped at base: its length is where its
// section headers end (the kernel maps the whole file), bounded for safety.
func vdsoImage(base uintptr) []byte {
	// base is memory the kernel mapped for the process, not Go memory, so
	// the usual uintptr→Pointer rules (and vet's check) don't apply.
	p := *(*unsafe.Pointer)(unsafe.Pointer(&base))
	hdr := unsafe.Slice((*byte)(p), elfHeaderSize)
	if !isELF64(hdr) {
		return nil
	}
	le := binary.LittleEndian
	end := le.Uint64(hdr[0x28:]) + uint64(le.Uint16(hdr[0x3a:]))*uint64(le.Uint16(hdr[0x3c:]))
	if end < elfHeaderSize || end > 1<<20 {
		return nil
	}
	return unsafe.Slice((*byte)(p), end)
}

// The parts of ELF64 (little-endian, x86-64) that finding a dynamic symbol
// needs; offsets from the System V ABI's ELF specification.
const (
	elfHeaderSize = 64
	shtDynsym     = 11 // section type of the dynamic symbol table
	ptLoad        = 1  // program header type of a loadable segment
	sttFunc       = 2  // symbol type of a function
	symSize       = 24 // an Elf64_Sym
)

func isELF64(hdr []byte) bool {
	return len(hdr) >= elfHeaderSize && bytes.Equal(hdr[:4], []byte("\x7fELF")) &&
		hdr[4] == 2 /* ELFCLASS64 */ && hdr[5] == 1 /* ELFDATA2LSB */ &&
		binary.LittleEndian.Uint16(hdr[0x12:]) == 62 /* EM_X86_64 */
}

// symbolOffset returns where in image the defined function name lies: its
// value in .dynsym less the address the first loadable segment was linked
// at, plus that segment's offset. debug/elf does this too, but costs a
// tenth of a millisecond at every process start for a lookup that needs a
// few hundred bytes; TestSymbolOffsetMatchesDebugELF and FuzzSymbolOffset
// keep the two in agreement.
func symbolOffset(image []byte, name string) (uint64, bool) {
	if !isELF64(image) {
		return 0, false
	}
	le := binary.LittleEndian
	// table returns the n entries of size each at off, or nil when they
	// don't lie in image.
	table := func(off, size, n uint64) []byte {
		if size == 0 || n > uint64(len(image))/size || off > uint64(len(image)) || n*size > uint64(len(image))-off {
			return nil
		}
		return image[off : off+n*size]
	}
	phSize, shSize := uint64(le.Uint16(image[0x36:])), uint64(le.Uint16(image[0x3a:]))
	phs := table(le.Uint64(image[0x20:]), phSize, uint64(le.Uint16(image[0x38:])))
	shs := table(le.Uint64(image[0x28:]), shSize, uint64(le.Uint16(image[0x3c:])))
	if phs == nil || shs == nil || phSize < 56 || shSize < 64 {
		return 0, false
	}
	bias, found := uint64(0), false
	for ph := phs; len(ph) > 0; ph = ph[phSize:] {
		if le.Uint32(ph) == ptLoad {
			bias, found = le.Uint64(ph[16:])-le.Uint64(ph[8:]), true // p_vaddr - p_offset
			break
		}
	}
	if !found {
		return 0, false
	}
	for sh := shs; len(sh) > 0; sh = sh[shSize:] {
		if le.Uint32(sh[4:]) != shtDynsym {
			continue
		}
		link := uint64(le.Uint32(sh[40:]))
		if link >= uint64(len(shs))/shSize {
			return 0, false
		}
		str := shs[link*shSize:]
		strtab := table(le.Uint64(str[24:]), 1, le.Uint64(str[32:]))
		syms := table(le.Uint64(sh[24:]), symSize, le.Uint64(sh[32:])/symSize)
		if strtab == nil || syms == nil {
			return 0, false
		}
		for sym := syms; len(sym) > 0; sym = sym[symSize:] {
			at := uint64(le.Uint32(sym))
			if at >= uint64(len(strtab)) || sym[4]&0xf != sttFunc || le.Uint16(sym[6:]) == 0 /* SHN_UNDEF */ {
				continue
			}
			n := bytes.IndexByte(strtab[at:], 0)
			if n < 0 || string(strtab[at:at+uint64(n)]) != name {
				continue
			}
			value := le.Uint64(sym[8:])
			if value < bias || value-bias >= uint64(len(image)) || value-bias == 0 {
				return 0, false
			}
			return value - bias, true
		}
		return 0, false
	}
	return 0, false
}
