// capmatch — word-at-a-time (SWAR) primitives shared by the JSON reader and the matcher.
// Internal.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

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

/// The `k` bytes (0..8) at `p` as a little-endian word, zero above them (the value a memcpy
/// into a zeroed word gives): reads only those bytes, in at most two loads (overlapping when k
/// is not a power of two) and no memcpy of a variable length (a call whose byte stores the
/// word's load would then wait for); 0 without reading `p` when k is 0 (an empty view's data may
/// be null). Run time, on little-endian targets (the callers test std::endian::native).
[[nodiscard]] inline u64 load_partial(const char* p, std::size_t k) noexcept {
  u64 w = 0;
  if (k == 0) return 0;
  if (k == 8) {
    std::memcpy(&w, p, 8);
  } else if (k >= 4) {
    std::uint32_t a, b;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, p + k - 4, 4);
    w = a | u64{b} << (8 * (k - 4));  // (the overlapping bytes are the same in both)
  } else {  // 1..3: first, middle, last
    w = u64{static_cast<unsigned char>(p[0])} | u64{static_cast<unsigned char>(p[k / 2])} << (8 * (k / 2)) |
        u64{static_cast<unsigned char>(p[k - 1])} << (8 * (k - 1));
  }
  return w;
}

}  // namespace detail::swar
CAPMATCH_NAMESPACE_END
