/*
 * bcryptprimitives.dll for Wine 8, which has none: Go 1.22 and later load
 * ProcessPrng from it at start-up and die without it ("fatal error:
 * bcryptprimitives.dll not found"). ProcessPrng fills a buffer with random
 * bytes and, as on Windows, always returns TRUE; here it asks RtlGenRandom
 * (advapi32's SystemFunction036), which Wine implements with the host's
 * random source. Only for running tests under Wine: real Windows ships this DLL.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size)
{
	while (size > 0) {
		ULONG n = size > 0x10000000 ? 0x10000000 : (ULONG)size;
		if (!SystemFunction036(data, n))
			ExitProcess(0xC0000001); /* like Windows: ProcessPrng never fails */
		data += n;
		size -= n;
	}
	return TRUE;
}
