package wallclock

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"unsafe"

	"golang.org/x/sys/unix"
)

// vdsoSymbol returns the address of a function the kernel's vDSO exports,
// or 0. The runtime finds the vDSO's clock_gettime for itself but doesn't
// share it, so the image is found through the auxiliary vector and read with
// debug/elf where the kernel mapped it.
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
	f, err := elf.NewFile(bytes.NewReader(image))
	if err != nil || f.Class != elf.ELFCLASS64 || f.Machine != elf.EM_X86_64 {
		return 0
	}
	// Symbol values are addresses as linked; the image is mapped at base.
	bias := int64(-1)
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD {
			bias = int64(p.Vaddr) - int64(p.Off)
			break
		}
	}
	syms, err := f.DynamicSymbols()
	if err != nil || bias < 0 {
		return 0
	}
	for _, s := range syms {
		if s.Name == name && elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Section != elf.SHN_UNDEF {
			off := int64(s.Value) - bias
			if off <= 0 || off >= int64(len(image)) {
				return 0
			}
			return base + uintptr(off)
		}
	}
	return 0
}

const _AT_SYSINFO_EHDR = 33

// vdsoImage is the vDSO's ELF image, mapped at base: its length is where its
// section headers end (the kernel maps the whole file), bounded for safety.
func vdsoImage(base uintptr) []byte {
	// base is memory the kernel mapped for the process, not Go memory, so
	// the usual uintptr→Pointer rules (and vet's check) don't apply.
	p := *(*unsafe.Pointer)(unsafe.Pointer(&base))
	hdr := unsafe.Slice((*byte)(p), 64)
	if !bytes.Equal(hdr[:4], []byte(elf.ELFMAG)) || elf.Class(hdr[elf.EI_CLASS]) != elf.ELFCLASS64 || elf.Data(hdr[elf.EI_DATA]) != elf.ELFDATA2LSB {
		return nil
	}
	le := binary.LittleEndian
	end := le.Uint64(hdr[0x28:]) + uint64(le.Uint16(hdr[0x3a:]))*uint64(le.Uint16(hdr[0x3c:]))
	if end < 64 || end > 1<<20 {
		return nil
	}
	return unsafe.Slice((*byte)(p), end)
}
