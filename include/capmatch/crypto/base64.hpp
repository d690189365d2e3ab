// capmatch — base64 (RFC 4648 §4, padded) and base64url (§5, unpadded), strict decoding.
// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "../error.hpp"
#include "../version.hpp"
#include "sha256.hpp"

CAPMATCH_NAMESPACE_BEGIN
namespace crypto {

/// `standard`: RFC 4648 §4 alphabet (`+`, `/`) with `=` padding, required when decoding.
/// `url`: §5 alphabet (`-`, `_`) without padding; `=` is an error when decoding.
enum class base64_alphabet : std::uint8_t { standard, url };

/// The length of the encoding of `n` bytes.
[[nodiscard]] constexpr std::size_t base64_encoded_size(std::size_t n, base64_alphabet a) noexcept {
  return a == base64_alphabet::standard ? (n + 2) / 3 * 4 : n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

/// An upper bound on the decoded size of `n` characters.
[[nodiscard]] constexpr std::size_t base64_decoded_max(std::size_t n) noexcept { return (n + 3) / 4 * 3; }

namespace detail {
/// The character for the 6-bit value `v`, without a table or a branch on `v` (encoded values are
/// often macs: no cache-timing trace).
[[nodiscard]] constexpr char base64_char(unsigned v, base64_alphabet a) noexcept {
  const int x = static_cast<int>(v);
  const bool url = a == base64_alphabet::url;
  int c = x + 'A';
  c += ((25 - x) >> 8) & ('a' - 'A' - 26);
  c += ((51 - x) >> 8) & ('0' - 'a' - 26 + 26 - 26);
  c += ((61 - x) >> 8) & ((url ? '-' : '+') - ('0' + 10));
  c += ((62 - x) >> 8) & ((url ? '_' : '/') - (url ? '-' : '+') - 1);
  return static_cast<char>(c);
}

/// The 6-bit value of `c`, or 0xFF when `c` is not in the alphabet (decoding reads public input).
[[nodiscard]] constexpr std::array<std::uint8_t, 256> base64_table(base64_alphabet a) noexcept {
  std::array<std::uint8_t, 256> t{};
  for (auto& v : t) v = 0xFF;
  for (unsigned v = 0; v < 64; ++v) t[static_cast<unsigned char>(base64_char(v, a))] = static_cast<std::uint8_t>(v);
  return t;
}
inline constexpr auto base64_std_table = base64_table(base64_alphabet::standard);
inline constexpr auto base64_url_table = base64_table(base64_alphabet::url);

/// For character k (0-3) of a group of four: the 6-bit value of each character already shifted to
/// its place in the group's 24 bits, or 0xFF000000 when the character is not in the alphabet (so
/// that OR-ing the four gives the group's bits and, in the top byte, whether any was invalid).
[[nodiscard]] constexpr std::array<std::array<std::uint32_t, 256>, 4> base64_shifted_tables(base64_alphabet a) noexcept {
  const auto t = base64_table(a);
  std::array<std::array<std::uint32_t, 256>, 4> out{};
  for (unsigned k = 0; k < 4; ++k)
    for (unsigned c = 0; c < 256; ++c)
      out[k][c] = t[c] == 0xFF ? 0xFF000000u : std::uint32_t{t[c]} << (18 - 6 * k);
  return out;
}
inline constexpr auto base64_std_shifted = base64_shifted_tables(base64_alphabet::standard);
inline constexpr auto base64_url_shifted = base64_shifted_tables(base64_alphabet::url);

[[nodiscard]] constexpr capmatch::error base64_error(base64_alphabet a, std::size_t at, std::string_view what) noexcept {
  capmatch::error e(errc::invalid_base64, static_cast<std::uint32_t>(at));
  e.append(a == base64_alphabet::url ? "invalid base64url: " : "invalid base64: ").append(what);
  if (at != no_offset) e.append_at();
  return e;
}
}  // namespace detail

/// Writes the encoding of `n` bytes at `p` to `out` (base64_encoded_size(n, a) chars, no
/// terminator) and returns the end. No allocation.
template <class C, std::enable_if_t<detail::is_byte_v<C>, int> = 0>
constexpr char* base64_encode_to(const C* p, std::size_t n, char* out, base64_alphabet a) noexcept {
  auto at = [&](std::size_t i) -> unsigned { return static_cast<std::uint8_t>(p[i]); };
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const unsigned w = at(i) << 16 | at(i + 1) << 8 | at(i + 2);
    *out++ = detail::base64_char(w >> 18, a);
    *out++ = detail::base64_char((w >> 12) & 63, a);
    *out++ = detail::base64_char((w >> 6) & 63, a);
    *out++ = detail::base64_char(w & 63, a);
  }
  if (n - i == 1) {
    const unsigned w = at(i) << 16;
    *out++ = detail::base64_char(w >> 18, a);
    *out++ = detail::base64_char((w >> 12) & 63, a);
    if (a == base64_alphabet::standard) *out++ = '=', *out++ = '=';
  } else if (n - i == 2) {
    const unsigned w = at(i) << 16 | at(i + 1) << 8;
    *out++ = detail::base64_char(w >> 18, a);
    *out++ = detail::base64_char((w >> 12) & 63, a);
    *out++ = detail::base64_char((w >> 6) & 63, a);
    if (a == base64_alphabet::standard) *out++ = '=';
  }
  return out;
}

/// The encoding of a fixed-size byte array in a fixed-size char array (e.g. a digest: 44 chars
/// standard, 43 url). No allocation.
template <base64_alphabet A, std::size_t N>
[[nodiscard]] constexpr std::array<char, base64_encoded_size(N, A)> base64_encode_array(
    const std::array<std::uint8_t, N>& bytes) noexcept {
  std::array<char, base64_encoded_size(N, A)> out{};
  base64_encode_to(bytes.data(), N, out.data(), A);
  return out;
}

/// The padded standard base64 of the bytes of `s`.
[[nodiscard]] inline std::string base64_encode(std::string_view s) {
  std::string out(base64_encoded_size(s.size(), base64_alphabet::standard), '\0');
  base64_encode_to(s.data(), s.size(), out.data(), base64_alphabet::standard);
  return out;
}
/// The unpadded base64url of the bytes of `s`.
[[nodiscard]] inline std::string base64url_encode(std::string_view s) {
  std::string out(base64_encoded_size(s.size(), base64_alphabet::url), '\0');
  base64_encode_to(s.data(), s.size(), out.data(), base64_alphabet::url);
  return out;
}

/// Decodes `in` strictly into `out` (room for `cap` bytes) and returns the number of bytes written,
/// or an errc::invalid_base64 error: a character outside the alphabet (whitespace included), missing,
/// misplaced or excess `=` (standard), any `=` (url), a length no encoding has, non-zero unused
/// bits in the last character, or `cap` too small. Messages name byte offsets, never the content.
constexpr result<std::size_t> base64_decode_to(std::string_view in, std::uint8_t* out, std::size_t cap,
                                               base64_alphabet a) noexcept {
  const auto& table = a == base64_alphabet::url ? detail::base64_url_table : detail::base64_std_table;
  std::size_t n = in.size();
  if (a == base64_alphabet::standard) {
    if (n % 4 != 0) return detail::base64_error(a, no_offset, "the length is not a multiple of 4 (padding is required)");
    if (n != 0 && in[n - 1] == '=') n -= in[n - 2] == '=' ? 2 : 1;
  } else if (n % 4 == 1) {
    return detail::base64_error(a, no_offset, "the length leaves a single character over");
  }
  const std::size_t size = n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1);
  if (size > cap) return detail::base64_error(a, no_offset, "the output buffer is too small");
  auto val = [&](std::size_t i) -> unsigned { return table[static_cast<unsigned char>(in[i])]; };
  auto bad = [&](std::size_t i) -> capmatch::error {
    if (in[i] == '=')
      return detail::base64_error(a, i, a == base64_alphabet::url ? "padding '=' (base64url is unpadded)" : "misplaced padding '='");
    return detail::base64_error(a, i, a == base64_alphabet::url ? "a character outside the base64url alphabet" : "a character outside the base64 alphabet");
  };
  std::size_t i = 0, o = 0;
  // Eight characters at a time while the decoded bytes still to come cover an 8-byte store (6
  // bytes used, the other 2 rewritten next; nothing beyond the decoded size is written): each
  // group of four is the OR of four pre-shifted table values (base64_shifted_tables), whose top
  // byte says whether any character was outside the alphabet; the two groups' 48 bits are
  // stored big-endian in one go. The loop below takes the rest (and constant evaluation).
  if (!std::is_constant_evaluated()) {
    const auto& sh = a == base64_alphabet::url ? detail::base64_url_shifted : detail::base64_std_shifted;
    const auto* p = reinterpret_cast<const unsigned char*>(in.data());
    for (; i + 8 <= n && o + 8 <= size; i += 8) {
      const std::uint32_t g0 = sh[0][p[i]] | sh[1][p[i + 1]] | sh[2][p[i + 2]] | sh[3][p[i + 3]];
      const std::uint32_t g1 = sh[0][p[i + 4]] | sh[1][p[i + 5]] | sh[2][p[i + 6]] | sh[3][p[i + 7]];
      if (((g0 | g1) & 0xFF000000u) != 0) {
        for (std::size_t k = i;; ++k)
          if (val(k) & 0x80) return bad(k);
      }
      const std::uint64_t w = (std::uint64_t{g0} << 24 | g1) << 16;
#if defined(__GNUC__) || defined(__clang__)
      const std::uint64_t be = std::endian::native == std::endian::little ? __builtin_bswap64(w) : w;
      std::memcpy(out + o, &be, 8);
#else
      for (std::size_t k = 0; k < 8; ++k) out[o + k] = static_cast<std::uint8_t>(w >> (56 - 8 * k));
#endif
      o += 6;
    }
  }
  for (; i + 4 <= n; i += 4) {
    const unsigned v0 = val(i), v1 = val(i + 1), v2 = val(i + 2), v3 = val(i + 3);
    if ((v0 | v1 | v2 | v3) & 0x80) {
      for (std::size_t k = i;; ++k)
        if (val(k) & 0x80) return bad(k);
    }
    const unsigned w = v0 << 18 | v1 << 12 | v2 << 6 | v3;
    out[o++] = static_cast<std::uint8_t>(w >> 16);
    out[o++] = static_cast<std::uint8_t>(w >> 8);
    out[o++] = static_cast<std::uint8_t>(w);
  }
  if (n - i >= 2) {
    for (std::size_t k = i; k < n; ++k)
      if (val(k) & 0x80) return bad(k);
    const unsigned v0 = val(i), v1 = val(i + 1);
    if (n - i == 2) {
      if (v1 & 15) return detail::base64_error(a, i + 1, "non-zero unused bits in the last character");
      out[o++] = static_cast<std::uint8_t>(v0 << 2 | v1 >> 4);
    } else {
      const unsigned v2 = val(i + 2);
      if (v2 & 3) return detail::base64_error(a, i + 2, "non-zero unused bits in the last character");
      out[o++] = static_cast<std::uint8_t>(v0 << 2 | v1 >> 4);
      out[o++] = static_cast<std::uint8_t>(v1 << 4 | v2 >> 2);
    }
  }
  return o;
}

namespace detail {
[[nodiscard]] inline result<std::string> base64_decode_string(std::string_view in, base64_alphabet a) {
  std::string out(base64_decoded_max(in.size()), '\0');
  auto r = base64_decode_to(in, reinterpret_cast<std::uint8_t*>(out.data()), out.size(), a);
  if (!r) return r.error();
  out.resize(*r);
  return out;
}
}  // namespace detail

/// The bytes of strict padded standard base64 `in` (errors: see base64_decode_to).
[[nodiscard]] inline result<std::string> base64_decode(std::string_view in) {
  return detail::base64_decode_string(in, base64_alphabet::standard);
}
/// The bytes of strict unpadded base64url `in` (errors: see base64_decode_to).
[[nodiscard]] inline result<std::string> base64url_decode(std::string_view in) {
  return detail::base64_decode_string(in, base64_alphabet::url);
}

/// A 32-byte digest from its exact encoding (44 chars standard, 43 url); anything else is an error.
[[nodiscard]] constexpr result<sha256_digest> base64_decode_digest(std::string_view in, base64_alphabet a) noexcept {
  sha256_digest d{};
  if (in.size() != base64_encoded_size(d.size(), a))
    return detail::base64_error(a, no_offset, a == base64_alphabet::url ? "a 32-byte digest takes 43 characters"
                                                                         : "a 32-byte digest takes 44 characters");
  auto r = base64_decode_to(in, d.data(), d.size(), a);
  if (!r) return r.error();
  return d;
}

}  // namespace crypto
CAPMATCH_NAMESPACE_END
