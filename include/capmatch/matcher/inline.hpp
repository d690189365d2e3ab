// capmatch — matcher internals: the inlining attributes of the check paths (docs/matcher.md, "A check").
// SPDX-License-Identifier: MIT
//
// Defined once here for layout.hpp, scan.hpp and query.hpp; matcher.hpp, which includes them,
// #undefs them at its end.
#pragma once

#if defined(__GNUC__) || defined(__clang__)
#define CAPMATCH_DETAIL_INLINE [[gnu::always_inline]] inline
#define CAPMATCH_DETAIL_NOINLINE [[gnu::noinline]]
#else
#define CAPMATCH_DETAIL_INLINE inline
#define CAPMATCH_DETAIL_NOINLINE
#endif
