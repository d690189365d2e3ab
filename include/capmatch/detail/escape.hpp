// capmatch — the one rule for showing input text on one line (error messages, explain, lint,
// the CLI), and the one hex table. Internal.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <string_view>

#include "../version.hpp"
#include "utf8.hpp"

CAPMATCH_NAMESPACE_BEGIN
namespace detail {

/// The hex digit of v (0..15): upper case, or lower case when `lower`.
[[nodiscard]] constexpr char hex_digit(unsigned v, bool lower = false) noexcept {
  constexpr char digits[] = "0123456789ABCDEF";
  const char c = digits[v & 15];
  return lower && c >= 'A' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// Text from the input made safe for a one-line message: control characters as \u00XX, bytes
/// that are not well-formed UTF-8 as \xXX, the rest as it is. Calls `out(piece)` for each
/// input character's piece, in order, and stops when `out` returns false.
template <class Out>
constexpr void escape_one_line(std::string_view v, Out&& out) {
  for (std::size_t i = 0; i < v.size();) {
    const auto c = static_cast<unsigned char>(v[i]);
    std::size_t len = 1;
    bool more;
    if (c < 0x20 || c == 0x7F) {
      const char esc[6] = {'\\', 'u', '0', '0', hex_digit(c >> 4), hex_digit(c)};
      more = out(std::string_view(esc, 6));
    } else if (c < 0x80) {
      more = out(v.substr(i, 1));
    } else if ((len = utf8_length(v, i)) != 0) {
      more = out(v.substr(i, len));
    } else {
      len = 1;
      const char esc[4] = {'\\', 'x', hex_digit(c >> 4), hex_digit(c)};
      more = out(std::string_view(esc, 4));
    }
    if (!more) return;
    i += len;
  }
}

}  // namespace detail
CAPMATCH_NAMESPACE_END
