// capmatch — word-at-a-time (SWAR) primitives shared by the JSON reader and the matcher.
// Internal.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>

#include "../version.hpp"

CAPMATCH_NAMESPACE_BEGIN
namespace detail::swar {

using u64 = std::uint64_t;
/// 0x01 in every byte.
inline constexpr u64 ones = 0x0101010101010101ull;
/// 0x80 in every byte.
inline constexpr u64 high_bits = 0x8080808080808080ull;
/// 0x7F in every byte.
inline constexpr u64 low7 = ~high_bits;

/// 0x80 in every byte of v that is zero, 0 elsewhere (exact: no borrow crosses a byte).
[[nodiscard]] constexpr u64 zero_bytes(u64 v) noexcept { return ~(((v & low7) + low7) | v | low7); }
/// 0x80 in every byte of v equal to c, 0 elsewhere (exact).
[[nodiscard]] constexpr u64 bytes_equal(u64 v, unsigned char c) noexcept { return zero_bytes(v ^ (ones * c)); }
/// 0x80 in every byte of v that is below 0x20 or at least 0x80, 0 elsewhere (exact).
[[nodiscard]] constexpr u64 control_or_high(u64 v) noexcept { return (~((v & low7) + (0x80 - 0x20) * ones) | v) & high_bits; }

}  // namespace detail::swar
CAPMATCH_NAMESPACE_END
