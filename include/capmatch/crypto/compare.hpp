// capmatch — constant-time comparison of byte strings (for macs and signatures).
// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

#include "../version.hpp"

CAPMATCH_NAMESPACE_BEGIN
namespace crypto {

/// True when a[0..an) == b[0..bn). Reads every byte of `a` whatever the content; the time depends
/// on the two lengths only (pass the expected value as `a`). No early exit.
template <class A, class B>
[[nodiscard]] constexpr bool equal_constant_time(const A* a, std::size_t an, const B* b, std::size_t bn) noexcept {
  static_assert(sizeof(A) == 1 && sizeof(B) == 1, "byte strings only");
  std::uint32_t acc = static_cast<std::uint32_t>(an != bn);
  for (std::size_t i = 0; i < an; ++i) {
    // The index into b depends on the lengths only; past its end b reads as a repeat of its
    // first byte, the result is already false then.
    const std::size_t j = i < bn ? i : 0;
    const auto x = static_cast<std::uint8_t>(a[i]);
    const auto y = bn != 0 ? static_cast<std::uint8_t>(b[j]) : std::uint8_t{0};
    acc |= static_cast<std::uint32_t>(x ^ y);
#if defined(__GNUC__) || defined(__clang__)
    // Keep the compiler from turning the accumulation into an early exit.
    if (!std::is_constant_evaluated()) __asm__ volatile("" : "+r"(acc));
#endif
  }
  return acc == 0;
}

/// Constant-time equality of two strings (time depends on the lengths only).
[[nodiscard]] constexpr bool equal_constant_time(std::string_view a, std::string_view b) noexcept {
  return equal_constant_time(a.data(), a.size(), b.data(), b.size());
}

/// Constant-time equality of two byte arrays of the same size (e.g. two sha256_digest).
/// At run time eight bytes at a time (a digest: four words instead of 32 bytes), otherwise the
/// byte loop above; the same result and no early exit either way.
template <std::size_t N>
[[nodiscard]] constexpr bool equal_constant_time(const std::array<std::uint8_t, N>& a,
                                                 const std::array<std::uint8_t, N>& b) noexcept {
  if (std::is_constant_evaluated() || N % 8 != 0) return equal_constant_time(a.data(), N, b.data(), N);
  std::uint64_t acc = 0;
  for (std::size_t i = 0; i < N; i += 8) {
    std::uint64_t x = 0, y = 0;
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    acc |= x ^ y;
#if defined(__GNUC__) || defined(__clang__)
    __asm__ volatile("" : "+r"(acc));  // (no early exit: see above)
#endif
  }
  return acc == 0;
}

}  // namespace crypto
CAPMATCH_NAMESPACE_END
