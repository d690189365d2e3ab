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
#include "../detail/swar.hpp"
#include "../detail/simd.hpp"

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

namespace detail {
/// The encoding of `n` bytes at `p` to `out`, one character at a time (base64_char): what
/// constant evaluation uses, and the reference the run-time encoders are tested against.
template <class C>
constexpr char* base64_encode_scalar(const C* p, std::size_t n, char* out, base64_alphabet a) noexcept {
  auto at = [&](std::size_t i) -> unsigned { return static_cast<std::uint8_t>(p[i]); };
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const unsigned w = at(i) << 16 | at(i + 1) << 8 | at(i + 2);
    *out++ = base64_char(w >> 18, a);
    *out++ = base64_char((w >> 12) & 63, a);
    *out++ = base64_char((w >> 6) & 63, a);
    *out++ = base64_char(w & 63, a);
  }
  if (n - i == 1) {
    const unsigned w = at(i) << 16;
    *out++ = base64_char(w >> 18, a);
    *out++ = base64_char((w >> 12) & 63, a);
    if (a == base64_alphabet::standard) *out++ = '=', *out++ = '=';
  } else if (n - i == 2) {
    const unsigned w = at(i) << 16 | at(i + 1) << 8;
    *out++ = base64_char(w >> 18, a);
    *out++ = base64_char((w >> 12) & 63, a);
    *out++ = base64_char((w >> 6) & 63, a);
    if (a == base64_alphabet::standard) *out++ = '=';
  }
  return out;
}

/// The eight characters of the eight 6-bit values in the bytes of `x` (one per byte, lane i =
/// bits 8i..8i+5), all at once and like base64_char without a table or a branch on a value
/// (SWAR): lane i of the result is base64_char(lane i of x).
[[nodiscard]] constexpr std::uint64_t base64_chars8(std::uint64_t x, base64_alphabet a) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  // 0x01 in each lane whose value is above k (x | 0x80 minus k + 1 never borrows from a lane)
  auto above = [&](unsigned k) { return (((x | highs) - (k + 1) * ones) & highs) >> 7; };
  const bool url = a == base64_alphabet::url;
  // the character is x + 'A', + 6 from 26 ('a' - 26), - 75 from 52 ('0' - 52), then '+'/'-' at 62
  // and '/'/'_' at 63. The additions and the subtractions are summed apart: each stays below
  // 256 in every lane and the difference is a character (>= 0), so no lane carries or borrows.
  const unsigned d62 = url ? '-' - ('0' - 52 + 62) : '+' - ('0' - 52 + 62);  // (negative: subtracted)
  const unsigned d63 = url ? '_' - ('-' + 1) : '/' - ('+' + 1);               // (positive: added)
  const std::uint64_t plus = x + 'A' * ones + 6 * above(25) + d63 * above(62);
  const std::uint64_t minus = 75 * above(51) + (0u - d62) * above(61);
  return plus - minus;
}

/// The eight bytes at q + at as a big-endian word.
template <class C>
[[nodiscard]] inline std::uint64_t base64_load_be(const C* q, std::size_t at) noexcept {
  std::uint64_t w = 0;
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(&w, q + at, 8);
#if defined(__GNUC__) || defined(__clang__)
    w = __builtin_bswap64(w);
#else
    w = (w & 0x00000000FFFFFFFFull) << 32 | (w & 0xFFFFFFFF00000000ull) >> 32;
    w = (w & 0x0000FFFF0000FFFFull) << 16 | (w & 0xFFFF0000FFFF0000ull) >> 16;
    w = (w & 0x00FF00FF00FF00FFull) << 8 | (w & 0xFF00FF00FF00FF00ull) >> 8;
#endif
  } else {
    for (std::size_t k = 0; k < 8; ++k) w = w << 8 | static_cast<std::uint8_t>(q[at + k]);
  }
  return w;
}
/// Six bytes (big-endian in bits 47..0) spread to one 6-bit value per byte, the first value in
/// the lowest byte: two 24-bit halves in 32-bit lanes, then four values per lane.
[[nodiscard]] constexpr std::uint64_t base64_spread(std::uint64_t v) noexcept {
  const std::uint64_t s = (v >> 24 & 0xFFFFFF) | (v & 0xFFFFFF) << 32;
  return (s >> 18 & 0x0000003F0000003Full) | (s >> 4 & 0x00003F0000003F00ull) | (s << 10 & 0x003F0000003F0000ull) |
         (s << 24 & 0x3F0000003F000000ull);
}
/// Writes `chars` characters of an encoding of `rest` bytes, then the padding the alphabet has.
inline char* base64_put_tail(const char* c, std::size_t rest, char* out, base64_alphabet a) noexcept {
  const std::size_t chars = (rest * 8 + 5) / 6;  // 1→2, 2→3, 3→4, 4→6, 5→7, 6→8, …
  std::memcpy(out, c, chars);
  out += chars;
  if (a == base64_alphabet::standard)
    for (std::size_t k = chars; k % 4 != 0; ++k) *out++ = '=';
  return out;
}

/// base64_encode_to's run-time encoder without SIMD: six bytes become eight characters at a
/// time (base64_chars8), the last 1-7 bytes through a zero-filled word.
template <class C>
inline char* base64_encode_words(const C* p, std::size_t n, char* out, base64_alphabet a) noexcept {
  auto put8 = [](char* o, std::uint64_t c) {
    if constexpr (std::endian::native == std::endian::little) std::memcpy(o, &c, 8);
    else for (unsigned j = 0; j < 8; ++j) o[j] = static_cast<char>(c >> (8 * j));
  };
  std::size_t i = 0;
  for (; i + 8 <= n; i += 6, out += 8)  // (reads eight bytes, encodes six)
    put8(out, base64_chars8(base64_spread(base64_load_be(p, i) >> 16), a));
  while (i < n) {  // the last 1-7 bytes, six at most at a time, zero-filled
    const std::size_t take = n - i < 6 ? n - i : 6;
    std::uint64_t v = 0;
    for (std::size_t k = 0; k < 6; ++k) v = v << 8 | (k < take ? static_cast<std::uint8_t>(p[i + k]) : 0u);
    char c[8];
    put8(c, base64_chars8(base64_spread(v), a));
    out = base64_put_tail(c, take, out, a);
    i += take;
  }
  return out;
}

#if CAPMATCH_DETAIL_SSE2
/// base64_chars8 on sixteen lanes (each a 6-bit value): the same steps with byte compares.
[[nodiscard]] inline __m128i base64_chars16(__m128i x, base64_alphabet a) noexcept {
  const bool url = a == base64_alphabet::url;
  auto above = [&](char k, int add) { return _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(k)), _mm_set1_epi8(static_cast<char>(add))); };
  __m128i c = _mm_add_epi8(x, _mm_set1_epi8('A'));
  c = _mm_add_epi8(c, above(25, 'a' - 'A' - 26));
  c = _mm_add_epi8(c, above(51, '0' - 52 - ('a' - 26)));
  c = _mm_add_epi8(c, above(61, (url ? '-' : '+') - ('0' - 52 + 62)));
  c = _mm_add_epi8(c, above(62, (url ? '_' : '/') - (url ? '-' : '+') - 1));
  return c;
}
/// base64_encode_to's run-time encoder with SSE2: 24 bytes become 32 characters at a time
/// (base64_chars16 twice); the last 1-23 bytes through the same step, zero-filled. The input is
/// read as whole 8-byte words at multiples of eight from its start (the last one through
/// swar::load_partial, never past the end): input written in 8- or 16-byte stores (a digest,
/// sha256_bytes) is read without a store-forwarding stall.
template <class C>
inline char* base64_encode_sse2(const C* p, std::size_t n, char* out, base64_alphabet a) noexcept {
  const char* q = reinterpret_cast<const char*>(p);
  auto word = [q, n](std::size_t at) -> std::uint64_t {  // bytes at.. (up to 8, zero-filled), big-endian
    const std::uint64_t w = ::capmatch::detail::swar::load_partial(q + at, n - at < 8 ? n - at : 8);
#if defined(__GNUC__) || defined(__clang__)
    return __builtin_bswap64(w);
#else
    return base64_load_be(reinterpret_cast<const unsigned char*>(&w), 0);
#endif
  };
  auto step = [a](std::uint64_t w0, std::uint64_t w1, std::uint64_t w2, char* o) {  // 24 bytes, 32 chars
    constexpr std::uint64_t m48 = 0xFFFFFFFFFFFFull;
    const std::uint64_t g0 = w0 >> 16, g1 = (w0 << 32 | w1 >> 32) & m48;  // bytes 0-5, 6-11
    const std::uint64_t g2 = (w1 << 16 | w2 >> 48) & m48, g3 = w2 & m48;  // bytes 12-17, 18-23
    auto chars = [a](std::uint64_t lo, std::uint64_t hi) {
      return base64_chars16(_mm_set_epi64x(static_cast<long long>(base64_spread(hi)), static_cast<long long>(base64_spread(lo))), a);
    };
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o), chars(g0, g1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o + 16), chars(g2, g3));
  };
  std::size_t i = 0;
  for (; i + 24 <= n; i += 24, out += 32) step(word(i), word(i + 8), word(i + 16), out);
  if (i == n) return out;
  const std::size_t rest = n - i;  // 1..23
  char c[32];
  step(word(i), rest > 8 ? word(i + 8) : 0, rest > 16 ? word(i + 16) : 0, c);
  return base64_put_tail(c, rest, out, a);
}
#endif
}  // namespace detail

/// Writes the encoding of `n` bytes at `p` to `out` (base64_encoded_size(n, a) chars, no
/// terminator) and returns the end. No allocation. At run time with SSE2 24 bytes at a time
/// (detail::base64_encode_sse2), else six (detail::base64_encode_words); in constant evaluation
/// detail::base64_encode_scalar, whose result both equal.
template <class C, std::enable_if_t<detail::is_byte_v<C>, int> = 0>
constexpr char* base64_encode_to(const C* p, std::size_t n, char* out, base64_alphabet a) noexcept {
  if (std::is_constant_evaluated()) return detail::base64_encode_scalar(p, n, out, a);
#if CAPMATCH_DETAIL_SSE2
  return detail::base64_encode_sse2(p, n, out, a);
#else
  return detail::base64_encode_words(p, n, out, a);
#endif
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
