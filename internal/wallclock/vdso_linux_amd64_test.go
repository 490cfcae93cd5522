package wallclock

import (
	"bytes"
	"debug/elf"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// referenceOffset is symbolOffset by debug/elf: what the hand-written lookup
// must agree with.
func referenceOffset(image []byte, name string) (uint64, bool) {
	f, err := elf.NewFile(bytes.NewReader(image))
	if err != nil || f.Class != elf.ELFCLASS64 || f.Data != elf.ELFDATA2LSB || f.Machine != elf.EM_X86_64 {
		return 0, false
	}
	var bias uint64
	found := false
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD {
			bias, found = p.Vaddr-p.Off, true
			break
		}
	}
	syms, err := f.DynamicSymbols()
	if err != nil || !found {
		return 0, false
	}
	for _, s := range syms {
		if s.Name == name && elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Section != elf.SHN_UNDEF {
			if s.Value < bias || s.Value-bias >= uint64(len(image)) || s.Value == bias {
				return 0, false
			}
			return s.Value - bias, true
		}
	}
	return 0, false
}

// thisVDSO is the image of this process's vDSO, or nil.
func thisVDSO(t testing.TB) []byte {
	auxv, err := unix.Auxv()
	require.NoError(t, err)
	for _, kv := range auxv {
		if kv[0] == _AT_SYSINFO_EHDR && kv[1] != 0 {
			return bytes.Clone(vdsoImage(kv[1]))
		}
	}
	return nil
}

// On this machine's vDSO, every function debug/elf finds is found at the
// same place, and names it doesn't have are not found.
func TestSymbolOffsetMatchesDebugELF(t *testing.T) {
	image := thisVDSO(t)
	require.NotNil(t, image, "this process has a vDSO")
	f, err := elf.NewFile(bytes.NewReader(image))
	require.NoError(t, err)
	syms, err := f.DynamicSymbols()
	require.NoError(t, err)
	funcs := 0
	for _, s := range append(syms, elf.Symbol{Name: "no_such_symbol"}) {
		want, wantOK := referenceOffset(image, s.Name)
		got, ok := symbolOffset(image, s.Name)
		assert.Equal(t, wantOK, ok, s.Name)
		assert.Equal(t, want, got, s.Name)
		if ok {
			funcs++
		}
	}
	assert.Positive(t, funcs, "the vDSO exports functions")
	_, ok := symbolOffset(image, "__vdso_clock_gettime")
	assert.True(t, ok)
}

// FuzzSymbolOffset: on any bytes, the lookup doesn't panic and agrees with
// debug/elf whenever debug/elf finds the symbol.
func FuzzSymbolOffset(f *testing.F) {
	if image := thisVDSO(f); image != nil {
		f.Add(image, "__vdso_clock_gettime")
		f.Add(image, "__vdso_gettimeofday")
	}
	f.Add([]byte("\x7fELF\x02\x01\x01"), "x")
	f.Fuzz(func(t *testing.T, image []byte, name string) {
		got, ok := symbolOffset(image, name)
		if want, wantOK := referenceOffset(image, name); wantOK {
			assert.True(t, ok)
			assert.Equal(t, want, got)
		}
	})
}
