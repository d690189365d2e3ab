// capmatch — the one UTF-8 rule (RFC 3629): used by the JSON reader, resource names, error
// messages, explain and lint. Internal.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <string_view>

#include "../version.hpp"

CAPMATCH_NAMESPACE_BEGIN
namespace detail {

/// The length of the well-formed UTF-8 sequence (RFC 3629: no overlongs, no surrogates,
/// nothing above U+10FFFF) starting at s[i], or 0 when the bytes there are not one.
[[nodiscard]] constexpr std::size_t utf8_length(std::string_view s, std::size_t i) noexcept {
  if (i >= s.size()) return 0;
  auto at = [&](std::size_t k) -> unsigned { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u; };
  const unsigned b0 = at(i);
  if (b0 < 0x80) return 1;
  std::size_t len = 0;
  unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) len = 2;
  else if (b0 == 0xE0) len = 3, lo = 0xA0;
  else if ((b0 >= 0xE1 && b0 <= 0xEC) || b0 == 0xEE || b0 == 0xEF) len = 3;
  else if (b0 == 0xED) len = 3, hi = 0x9F;
  else if (b0 == 0xF0) len = 4, lo = 0x90;
  else if (b0 >= 0xF1 && b0 <= 0xF3) len = 4;
  else if (b0 == 0xF4) len = 4, hi = 0x8F;
  if (len == 0 || i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const unsigned b = at(i + k);
    if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return 0;
  }
  return len;
}

/// The offset of the first byte of `s`, from `from`, that does not start a well-formed UTF-8
/// sequence, or s.size() when all of it is well-formed.
[[nodiscard]] constexpr std::size_t utf8_invalid_at(std::string_view s, std::size_t from = 0) noexcept {
  std::size_t i = from;
  while (i < s.size()) {
    if (!std::is_constant_evaluated()) {  // ASCII eight bytes at a time
      for (std::uint64_t w; i + 8 <= s.size(); i += 8) {
        std::memcpy(&w, s.data() + i, 8);
        if ((w & 0x8080808080808080ull) != 0) break;
      }
      if (i == s.size()) break;
    }
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const std::size_t len = utf8_length(s, i);
    if (len == 0) return i;
    i += len;
  }
  return s.size();
}

/// True when all of `s` is well-formed UTF-8.
[[nodiscard]] constexpr bool utf8_valid(std::string_view s) noexcept { return utf8_invalid_at(s) == s.size(); }

/// The code point of the well-formed sequence of `len` bytes (utf8_length) at s[i].
[[nodiscard]] constexpr char32_t utf8_decode(std::string_view s, std::size_t i, std::size_t len) noexcept {
  auto b = [&](std::size_t k) { return static_cast<char32_t>(static_cast<unsigned char>(s[i + k])); };
  switch (len) {
    case 1: return b(0);
    case 2: return (b(0) & 0x1F) << 6 | (b(1) & 0x3F);
    case 3: return (b(0) & 0x0F) << 12 | (b(1) & 0x3F) << 6 | (b(2) & 0x3F);
    default: return (b(0) & 0x07) << 18 | (b(1) & 0x3F) << 12 | (b(2) & 0x3F) << 6 | (b(3) & 0x3F);
  }
}

}  // namespace detail
CAPMATCH_NAMESPACE_END
