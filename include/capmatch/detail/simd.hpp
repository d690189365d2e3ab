// capmatch — the instruction sets the compiler targets, decided once for every header. Internal.
// SPDX-License-Identifier: MIT
#pragma once

// CAPMATCH_DETAIL_SSE2: 1 when SSE2 may be used unconditionally (every x86-64, and 32-bit x86
// built for it), with <emmintrin.h> included; 0 elsewhere, where every user keeps a portable
// path. It is defined here only and never #undef'd: a header that tested a macro some other
// header had already removed would silently take its portable path.
#if defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#include <emmintrin.h>
#define CAPMATCH_DETAIL_SSE2 1
#else
#define CAPMATCH_DETAIL_SSE2 0
#endif
