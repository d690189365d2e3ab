// capmatch — SHA-256 (FIPS 180-4): a portable constexpr implementation and, on x86-64, the SHA
// extensions (SHA-NI) chosen at run time. No dependency, no special compiler flags.
// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

#include "../version.hpp"
#include "../detail/simd.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CAPMATCH_SHA_NI 1
#include <cpuid.h>
#include <immintrin.h>
#else
#define CAPMATCH_SHA_NI 0
#endif

CAPMATCH_NAMESPACE_BEGIN
namespace crypto {

/// A SHA-256 (or HMAC-SHA256) digest: 32 bytes.
using sha256_digest = std::array<std::uint8_t, 32>;

/// Which compression function a hasher uses. `automatic` takes SHA-NI when the CPU has it;
/// `sha_ni` on a CPU without it falls back to `portable`. Constant evaluation is always portable.
enum class sha256_backend : std::uint8_t { automatic, portable, sha_ni };

namespace detail {

inline constexpr std::uint32_t sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

inline constexpr std::array<std::uint32_t, 8> sha256_iv = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                                           0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

using sha256_state = std::array<std::uint32_t, 8>;

[[nodiscard]] constexpr std::uint32_t rotr(std::uint32_t x, int n) noexcept {
  return (x >> n) | (x << (32 - n));
}

/// Compresses `n` 64-byte blocks into `h`, portably. Straight-line arithmetic: no branch and no
/// table index depends on the data.
constexpr void sha256_compress_portable(sha256_state& h, const std::uint8_t* p, std::size_t n) noexcept {
  for (; n != 0; --n, p += 64) {
    std::uint32_t w[64]{};
    for (int i = 0; i < 16; ++i)
      w[i] = std::uint32_t{p[4 * i]} << 24 | std::uint32_t{p[4 * i + 1]} << 16 | std::uint32_t{p[4 * i + 2]} << 8 |
             std::uint32_t{p[4 * i + 3]};
    for (int i = 16; i < 64; ++i) {
      const std::uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      const std::uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (int i = 0; i < 64; ++i) {
      const std::uint32_t t1 = k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + sha256_k[i] + w[i];
      const std::uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      k = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += k;
  }
}

#if CAPMATCH_SHA_NI
/// True when the CPU has the SHA extensions and SSE4.1 (cpuid, asked once).
[[nodiscard]] inline bool cpu_has_sha_ni() noexcept {
  static const bool has = [] {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
    const bool sse41 = (c >> 19) & 1u, ssse3 = (c >> 9) & 1u;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
    return sse41 && ssse3 && ((b >> 29) & 1u);
  }();
  return has;
}

/// Four rounds (4i..4i+3) with the message schedule: `cur` holds this group's words, `prev` the
/// previous group's and `next` the next group's (partly scheduled); see Intel's SHA extensions paper.
template <int I>
__attribute__((target("sha,sse4.1"), always_inline)) inline void sha_ni_rounds(__m128i& s0, __m128i& s1,
                                                                               __m128i& cur, __m128i& prev,
                                                                               __m128i& next) noexcept {
  __m128i msg = _mm_add_epi32(cur, _mm_loadu_si128(reinterpret_cast<const __m128i*>(&sha256_k[4 * I])));
  s1 = _mm_sha256rnds2_epu32(s1, s0, msg);
  if constexpr (I >= 3 && I <= 14) {
    next = _mm_add_epi32(next, _mm_alignr_epi8(cur, prev, 4));
    next = _mm_sha256msg2_epu32(next, cur);
  }
  msg = _mm_shuffle_epi32(msg, 0x0E);
  s0 = _mm_sha256rnds2_epu32(s0, s1, msg);
  if constexpr (I >= 1 && I <= 12) prev = _mm_sha256msg1_epu32(prev, cur);
}

/// Compresses `n` 64-byte blocks into `h` with the SHA extensions (caller checked cpu_has_sha_ni).
__attribute__((target("sha,sse4.1"))) inline void sha256_compress_sha_ni(sha256_state& h, const std::uint8_t* p,
                                                                          std::size_t n) noexcept {
  const __m128i mask = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  __m128i tmp = _mm_loadu_si128(reinterpret_cast<const __m128i*>(&h[0]));
  __m128i s1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(&h[4]));
  tmp = _mm_shuffle_epi32(tmp, 0xB1);          // CDAB
  s1 = _mm_shuffle_epi32(s1, 0x1B);            // EFGH
  __m128i s0 = _mm_alignr_epi8(tmp, s1, 8);    // ABEF
  s1 = _mm_blend_epi16(s1, tmp, 0xF0);         // CDGH
  for (; n != 0; --n, p += 64) {
    const __m128i abef = s0, cdgh = s1;
    __m128i m0 = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), mask);
    __m128i m1 = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16)), mask);
    __m128i m2 = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 32)), mask);
    __m128i m3 = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 48)), mask);
    sha_ni_rounds<0>(s0, s1, m0, m3, m1);
    sha_ni_rounds<1>(s0, s1, m1, m0, m2);
    sha_ni_rounds<2>(s0, s1, m2, m1, m3);
    sha_ni_rounds<3>(s0, s1, m3, m2, m0);
    sha_ni_rounds<4>(s0, s1, m0, m3, m1);
    sha_ni_rounds<5>(s0, s1, m1, m0, m2);
    sha_ni_rounds<6>(s0, s1, m2, m1, m3);
    sha_ni_rounds<7>(s0, s1, m3, m2, m0);
    sha_ni_rounds<8>(s0, s1, m0, m3, m1);
    sha_ni_rounds<9>(s0, s1, m1, m0, m2);
    sha_ni_rounds<10>(s0, s1, m2, m1, m3);
    sha_ni_rounds<11>(s0, s1, m3, m2, m0);
    sha_ni_rounds<12>(s0, s1, m0, m3, m1);
    sha_ni_rounds<13>(s0, s1, m1, m0, m2);
    sha_ni_rounds<14>(s0, s1, m2, m1, m3);
    sha_ni_rounds<15>(s0, s1, m3, m2, m0);
    s0 = _mm_add_epi32(s0, abef);
    s1 = _mm_add_epi32(s1, cdgh);
  }
  tmp = _mm_shuffle_epi32(s0, 0x1B);           // FEBA
  s1 = _mm_shuffle_epi32(s1, 0xB1);            // DCHG
  s0 = _mm_blend_epi16(tmp, s1, 0xF0);         // DCBA
  s1 = _mm_alignr_epi8(s1, tmp, 8);            // HGFE
  _mm_storeu_si128(reinterpret_cast<__m128i*>(&h[0]), s0);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(&h[4]), s1);
}
#else
[[nodiscard]] inline bool cpu_has_sha_ni() noexcept { return false; }
#endif

/// Compresses `n` blocks with the backend `b` (portable in constant evaluation).
constexpr void sha256_compress(sha256_state& h, const std::uint8_t* p, std::size_t n, sha256_backend b) noexcept {
#if CAPMATCH_SHA_NI
  if (!std::is_constant_evaluated() && b != sha256_backend::portable && cpu_has_sha_ni())
    return sha256_compress_sha_ni(h, p, n);
#else
  (void)b;
#endif
  sha256_compress_portable(h, p, n);
}

/// Big-endian bytes of the state.
[[nodiscard]] constexpr sha256_digest sha256_bytes(const sha256_state& h) noexcept {
  sha256_digest d{};
#if CAPMATCH_DETAIL_SSE2
  if (!std::is_constant_evaluated()) {  // two 16-byte stores: what reads the digest whole or in
    auto swap = [](__m128i x) {          // words (base64, hmac_outer) is not stalled on forwarding
      x = _mm_or_si128(_mm_slli_epi16(x, 8), _mm_srli_epi16(x, 8));  // bytes within 16-bit lanes
      return _mm_shufflehi_epi16(_mm_shufflelo_epi16(x, 0xB1), 0xB1);  // 16-bit halves within 32-bit lanes
    };
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d.data()), swap(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h.data()))));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d.data() + 16),
                     swap(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h.data() + 4))));
    return d;
  }
#endif
  if (!std::is_constant_evaluated() && std::endian::native == std::endian::little) {
    for (int i = 0; i < 8; ++i) {  // (a byte swap and a 4-byte store per word, not 4 shifts and stores)
      const std::uint32_t x = h[i];  // (compilers make this one byte swap instruction)
      const std::uint32_t w = x >> 24 | (x >> 8 & 0xFF00u) | (x << 8 & 0xFF0000u) | x << 24;
      std::memcpy(d.data() + 4 * i, &w, 4);
    }
    return d;
  }
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 4; ++j) d[4 * i + j] = static_cast<std::uint8_t>(h[i] >> (24 - 8 * j));
  return d;
}

template <class C>
inline constexpr bool is_byte_v = std::is_same_v<C, char> || std::is_same_v<C, unsigned char> ||
                                  std::is_same_v<C, signed char> || std::is_same_v<C, std::byte> ||
                                  std::is_same_v<C, char8_t>;

/// Copies n bytes from p to out + at (a loop in constant evaluation, memcpy at run time).
template <class C>
constexpr void copy_bytes(std::uint8_t* out, const C* p, std::size_t n, std::size_t at) noexcept {
  if (std::is_constant_evaluated()) {
    for (std::size_t k = 0; k < n; ++k) out[at + k] = static_cast<std::uint8_t>(p[k]);
  } else if (n != 0) {
    std::memcpy(out + at, p, n);
  }
}
constexpr void fill_zero(std::uint8_t* out, std::size_t from, std::size_t to) noexcept {
  if (!std::is_constant_evaluated()) {
    if (from < to) std::memset(out + from, 0, to - from);
    return;
  }
  for (std::size_t k = from; k < to; ++k) out[k] = 0;
}
/// Writes `v` big-endian to out[0..8) (one byte swap and store at run time).
constexpr void store_be64(std::uint8_t* out, std::uint64_t v) noexcept {
  if (!std::is_constant_evaluated() && std::endian::native == std::endian::little) {
#if defined(__GNUC__) || defined(__clang__)
    v = __builtin_bswap64(v);
    std::memcpy(out, &v, 8);
    return;
#endif
  }
  for (int j = 0; j < 8; ++j) out[j] = static_cast<std::uint8_t>(v >> (56 - 8 * j));
}
}  // namespace detail

/// True when this CPU runs the SHA-NI backend (the `automatic` choice then uses it).
[[nodiscard]] inline bool has_sha_ni() noexcept { return detail::cpu_has_sha_ni(); }

/// Incremental SHA-256: `sha256 h; h.update(a).update(b); auto d = h.finish();`.
class sha256 {
 public:
  static constexpr std::size_t digest_size = 32;
  static constexpr std::size_t block_size = 64;

  constexpr sha256() noexcept = default;
  constexpr explicit sha256(sha256_backend backend) noexcept : backend_(backend) {}
  /// Resumes from a midstate after `blocks` whole blocks (HMAC's precomputed pads).
  constexpr sha256(const detail::sha256_state& midstate, std::uint64_t blocks, sha256_backend backend) noexcept
      : h_(midstate), total_(blocks * block_size), backend_(backend) {}

  /// Adds `n` bytes at `p` (any byte-sized type).
  template <class C, std::enable_if_t<detail::is_byte_v<C>, int> = 0>
  constexpr sha256& update(const C* p, std::size_t n) noexcept {
    total_ += n;
    std::size_t i = 0;
    if (used_ != 0) {
      const std::size_t take = n < block_size - used_ ? n : block_size - used_;
      detail::copy_bytes(buf_.data(), p, take, used_);
      used_ += take, i = take;
      if (used_ < block_size) return *this;
      detail::sha256_compress(h_, buf_.data(), 1, backend_);
      used_ = 0;
    }
    const std::size_t whole = (n - i) / block_size;
    if (whole != 0) {
      if (std::is_constant_evaluated()) {
        for (std::size_t b = 0; b < whole; ++b, i += block_size) {
          detail::copy_bytes(buf_.data(), p + i, block_size, 0);
          detail::sha256_compress(h_, buf_.data(), 1, backend_);
        }
      } else {
        detail::sha256_compress(h_, reinterpret_cast<const std::uint8_t*>(p + i), whole, backend_);
        i += whole * block_size;
      }
    }
    detail::copy_bytes(buf_.data(), p + i, n - i, 0);
    used_ = n - i;
    return *this;
  }
  constexpr sha256& update(std::string_view s) noexcept { return update(s.data(), s.size()); }
  template <std::size_t N>
  constexpr sha256& update(const std::array<std::uint8_t, N>& a) noexcept { return update(a.data(), N); }

  /// The digest of everything added; the hasher must not be updated afterwards (reset() first).
  [[nodiscard]] constexpr sha256_digest finish() noexcept {
    const std::uint64_t bits = total_ * 8;
    buf_[used_++] = 0x80;
    if (used_ > 56) {
      detail::fill_zero(buf_.data(), used_, block_size);
      detail::sha256_compress(h_, buf_.data(), 1, backend_);
      used_ = 0;
    }
    detail::fill_zero(buf_.data(), used_, 56);
    detail::store_be64(buf_.data() + 56, bits);
    detail::sha256_compress(h_, buf_.data(), 1, backend_);
    used_ = 0;
    return detail::sha256_bytes(h_);
  }

  /// Starts over (same backend).
  constexpr void reset() noexcept { *this = sha256(backend_); }
  /// The chaining state; only meaningful at a block boundary (bytes_hashed() % 64 == 0).
  [[nodiscard]] constexpr const detail::sha256_state& midstate() const noexcept { return h_; }
  [[nodiscard]] constexpr std::uint64_t bytes_hashed() const noexcept { return total_; }
  [[nodiscard]] constexpr sha256_backend backend() const noexcept { return backend_; }

 private:
  detail::sha256_state h_ = detail::sha256_iv;
  std::array<std::uint8_t, block_size> buf_{};
  std::uint64_t total_ = 0;
  std::size_t used_ = 0;
  sha256_backend backend_ = sha256_backend::automatic;
};

/// SHA-256 of `n` bytes at `p`.
template <class C, std::enable_if_t<detail::is_byte_v<C>, int> = 0>
[[nodiscard]] constexpr sha256_digest sha256_of(const C* p, std::size_t n,
                                                sha256_backend b = sha256_backend::automatic) noexcept {
  return sha256(b).update(p, n).finish();
}
/// SHA-256 of the bytes of `s`.
[[nodiscard]] constexpr sha256_digest sha256_of(std::string_view s,
                                                sha256_backend b = sha256_backend::automatic) noexcept {
  return sha256(b).update(s).finish();
}

}  // namespace crypto
CAPMATCH_NAMESPACE_END

#undef CAPMATCH_SHA_NI
