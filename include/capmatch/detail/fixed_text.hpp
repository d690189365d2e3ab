// capmatch — fixed-capacity text, usable in constant evaluation: error messages, lint
// findings, explain. Internal.
// SPDX-License-Identifier: MIT
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <string_view>

#include "../version.hpp"
#include "escape.hpp"
#include "utf8.hpp"

CAPMATCH_NAMESPACE_BEGIN
namespace detail {

/// The eight decimal digits of `x` (below 10^8, leading zeros kept) as values 0-9, one per byte,
/// the most significant in the lowest byte: two halves of four digits in 32-bit lanes, each split
/// by 100 into 16-bit lanes, each of those by 10 into bytes. The multiply-shift quotients are
/// exact in this range (n * 10486 >> 20 == n / 100 for n < 10^4, n * 103 >> 10 == n / 10 for
/// n < 100) and no lane's product reaches the next lane.
[[nodiscard]] constexpr std::uint64_t eight_digits(std::uint32_t x) noexcept {
  const std::uint64_t halves = std::uint64_t{x / 10000} | std::uint64_t{x % 10000} << 32;
  const std::uint64_t hundreds = (halves * 10486 >> 20) & 0x0000007F0000007Full;
  const std::uint64_t pairs = (halves - 100 * hundreds) << 16 | hundreds;
  const std::uint64_t tens = (pairs * 103 >> 10) & 0x000F000F000F000Full;
  return (pairs - 10 * tens) << 8 | tens;
}

/// Writes the decimal digits of `v` at `p` and returns their end. `p` must have room for 20 bytes
/// whatever `v` is (at run time, bytes after the end may be overwritten).
constexpr char* write_decimal(std::uint64_t v, char* p) noexcept {
  if (std::is_constant_evaluated() || std::endian::native != std::endian::little) {
    char buf[20]{};
    std::size_t n = 0;
    do {
      buf[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (n != 0) *p++ = buf[--n];
    return p;
  }
  constexpr std::uint64_t zeros = 0x3030303030303030ull;  // '0' in every byte
  // v in chunks of eight digits: the first without its leading zeros (at most 8 bytes written,
  // 4 digits when there are three chunks: 20 bytes in all), the others whole
  const std::uint64_t e8 = 100'000'000;
  const std::uint32_t low = static_cast<std::uint32_t>(v % e8);
  const std::uint64_t rest = v / e8;
  std::uint32_t chunks[3]{};
  int count = 0;
  if (rest >= e8) chunks[count++] = static_cast<std::uint32_t>(rest / e8), chunks[count++] = static_cast<std::uint32_t>(rest % e8);
  else if (rest != 0) chunks[count++] = static_cast<std::uint32_t>(rest);
  chunks[count++] = low;
  const std::uint64_t first = eight_digits(chunks[0]);
  const int skip = first == 0 ? 7 : std::countr_zero(first) / 8;  // leading zeros (one digit stays)
  const std::uint64_t head = (first + zeros) >> (8 * skip);
  std::memcpy(p, &head, 8);
  p += 8 - skip;
  for (int k = 1; k < count; ++k) {
    const std::uint64_t d = eight_digits(chunks[k]) + zeros;
    std::memcpy(p, &d, 8);
    p += 8;
  }
  return p;
}

/// Text of at most N bytes. Appending beyond N cuts the text on a UTF-8 boundary and it stays
/// cut. Trivially copyable.
template <std::size_t N>
class fixed_text {
  static_assert(N > 0 && N < 0x10000, "fixed_text<N> holds 1 to 65535 bytes");

 public:
  static constexpr std::size_t capacity = N;

  [[nodiscard]] constexpr std::string_view view() const noexcept { return {buf_, len_}; }
  [[nodiscard]] constexpr std::size_t size() const noexcept { return len_; }
  [[nodiscard]] constexpr bool empty() const noexcept { return len_ == 0; }
  /// True when something appended did not fit.
  [[nodiscard]] constexpr bool truncated() const noexcept { return full_; }

  constexpr fixed_text& append(std::string_view s) noexcept {
    for (char c : s) {
      if (full_) break;
      if (len_ == N) {
        full_ = true;
        // Do not leave half a UTF-8 sequence at the end.
        std::size_t k = len_;
        while (k > 0 && len_ - k < 3 && (static_cast<unsigned char>(buf_[k - 1]) & 0xC0) == 0x80) --k;
        if (k > 0 && static_cast<unsigned char>(buf_[k - 1]) >= 0xC0 &&
            utf8_length(std::string_view(buf_, len_), k - 1) != len_ - (k - 1))
          len_ = static_cast<std::uint16_t>(k - 1);
        break;
      }
      buf_[len_++] = c;
    }
    return *this;
  }
  constexpr fixed_text& append(char c) noexcept { return append(std::string_view(&c, 1)); }
  /// Appends v in decimal.
  constexpr fixed_text& append_number(std::uint64_t v) noexcept {
    char digits[20]{};
    return append(std::string_view(digits, static_cast<std::size_t>(write_decimal(v, digits) - digits)));
  }
  /// Appends `s` in single quotes, clipped to 48 bytes of input or 96 of output (on a UTF-8
  /// boundary, marked "..."), shown on one line by escape_one_line.
  constexpr fixed_text& append_quoted(std::string_view s) noexcept {
    constexpr std::size_t clip = 48;
    append('\'');
    std::size_t n = s.size();
    bool clipped = false;
    if (n > clip) {
      n = clip;
      while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
      clipped = true;
    }
    const std::size_t start = len_;
    escape_one_line(s.substr(0, n), [&](std::string_view piece) {
      if (len_ - start >= 2 * clip) {  // an escape is up to 6 bytes: clip the output too
        clipped = true;
        return false;
      }
      append(piece);
      return true;
    });
    if (clipped) append("...");
    return append('\'');
  }

  friend constexpr bool operator==(const fixed_text& a, const fixed_text& b) noexcept { return a.view() == b.view(); }

 private:
  std::uint16_t len_ = 0;
  bool full_ = false;
  char buf_[N]{};
};

}  // namespace detail
CAPMATCH_NAMESPACE_END
