#include "textflag.h"

// func vdsoClockGettime(fn uintptr, clock int32, ts *timespec) int64
//
// The vDSO is C: it runs on the goroutine stack, as Go's own
// syscall.Gettimeofday does on linux/amd64, but with a frame of its own to
// run in (the 4 KiB frame makes the prologue grow the stack first) and the
// stack aligned as the C ABI wants. BX is callee-saved in C.
TEXT ·vdsoClockGettime(SB),0,$4096-32
	MOVQ	fn+0(FP), AX
	MOVL	clock+8(FP), DI
	MOVQ	ts+16(FP), SI
	MOVQ	SP, BX
	LEAQ	4096(SP), SP
	ANDQ	$~15, SP
	CALL	AX
	MOVQ	BX, SP
	MOVQ	AX, ret+24(FP)
	RET
