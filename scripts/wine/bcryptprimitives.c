/*
 * Stand-in for Windows' bcryptprimitives.dll, which Wine 8 lacks. Go >= 1.24 loads it from
 * system32 at start-up for its one export ProcessPrng; without it every Go binary exits with
 * "bcryptprimitives.dll not found". This fills the buffer from advapi32's RtlGenRandom
 * (exported as SystemFunction036), which Wine implements from the host's random source.
 * Build: x86_64-w64-mingw32-gcc -shared -O2 -o bcryptprimitives.dll bcryptprimitives.c
 *        bcryptprimitives.def -ladvapi32
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	/* RtlGenRandom takes a ULONG: feed it in chunks so any SIZE_T is served. */
	while (len > 0) {
		ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}
