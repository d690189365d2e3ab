// capmatch — unpredictable bytes from the operating system's CSPRNG, and nonces made of them.
// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

#include "../error.hpp"
#include "../version.hpp"
#include "../detail/simd.hpp"

#if defined(__linux__)
#include <sys/random.h>
#elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__)
#include <unistd.h>
#endif

CAPMATCH_NAMESPACE_BEGIN
namespace crypto {

namespace detail {
/// Fills p[0..n) from `source(p, k)` with k at most `max_request`, which returns the number of
/// bytes it wrote (1..k) or -errno. Retries on EINTR (up to 1000 times in a row) and after short
/// reads; any other failure, or a source that returns 0, is an errc::no_secure_random error.
/// There is no fallback.
template <class Source>
[[nodiscard]] result<std::size_t> fill_random_from(Source&& source, std::uint8_t* p, std::size_t n,
                                                   std::size_t max_request = 256) noexcept {
  std::size_t done = 0;
  int interrupted = 0;
  while (done < n) {
    const std::size_t want = n - done < max_request ? n - done : max_request;
    const long r = source(p + done, want);
    if (r == -EINTR && ++interrupted < 1000) continue;
    if (r <= 0 || static_cast<std::size_t>(r) > want) {
      capmatch::error e(errc::no_secure_random, no_offset, "no secure random source: ");
      if (r >= 0) return e.append("the operating system returned no bytes");
      return e.append("the operating system's generator failed with errno ").append_number(static_cast<std::uint64_t>(-r));
    }
    interrupted = 0;
    done += static_cast<std::size_t>(r);
  }
  return done;
}

/// The most os_random is asked for at once: getentropy's limit is 256 bytes; getrandom takes
/// more in one call (returning early, or EINTR, on a signal: fill_random_from goes on), so that a
/// pool of many nonces costs one system call.
#if defined(__linux__)
inline constexpr std::size_t os_random_max_request = 4096;
#else
inline constexpr std::size_t os_random_max_request = 256;
#endif
/// One call of the operating system's generator (blocks until it is seeded), or -errno.
inline long os_random(std::uint8_t* p, std::size_t n) noexcept {
#if defined(__linux__)
  const auto r = ::getrandom(p, n, 0);
  return r < 0 ? -static_cast<long>(errno) : static_cast<long>(r);
#elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__)
  return ::getentropy(p, n) == 0 ? static_cast<long>(n) : -static_cast<long>(errno);
#else
  (void)p, (void)n;
  return -ENOSYS;
#endif
}
}  // namespace detail

/// Fills p[0..n) from the operating system's CSPRNG (getrandom(2) on Linux) and returns n, or
/// an errc::no_secure_random error (50000). Never falls back to a weaker generator.
[[nodiscard]] inline result<std::size_t> random_bytes(std::uint8_t* p, std::size_t n) noexcept {
  return detail::fill_random_from(detail::os_random, p, n, detail::os_random_max_request);
}

/// A nonce: 32 lower-case hex characters carrying 128 bits from the CSPRNG. Hex is safe anywhere
/// the nonce goes (the signed text, JSON, URLs, headers): no newline, quote, backslash or `=`.
class nonce {
 public:
  static constexpr std::size_t size = 32;
  /// The random bytes a nonce carries (two hex characters each).
  static constexpr std::size_t entropy_bytes = size / 2;
  /// The 32 characters.
  [[nodiscard]] constexpr std::string_view view() const noexcept { return {chars_.data(), chars_.size()}; }
  /// Hex of 16 given bytes (for tests; use random_nonce() for real ones).
  [[nodiscard]] static constexpr nonce from_bytes(const std::array<std::uint8_t, entropy_bytes>& bytes) noexcept {
    constexpr char hex[] = "0123456789abcdef";
    nonce out;
#if CAPMATCH_DETAIL_SSE2
    if (!std::is_constant_evaluated()) {
      // All sixteen bytes at once: high and low nibbles in byte lanes, interleaved (high first),
      // then '0' + n plus 39 ('a' - '0' - 10) in the lanes above 9.
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes.data()));
      const __m128i low4 = _mm_set1_epi8(15);
      const __m128i hi = _mm_and_si128(_mm_srli_epi16(x, 4), low4), lo = _mm_and_si128(x, low4);
      auto chars = [](__m128i n) {
        const __m128i letters = _mm_and_si128(_mm_cmpgt_epi8(n, _mm_set1_epi8(9)), _mm_set1_epi8(39));
        return _mm_add_epi8(_mm_add_epi8(n, _mm_set1_epi8('0')), letters);
      };
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out.chars_.data()), chars(_mm_unpacklo_epi8(hi, lo)));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out.chars_.data() + 16), chars(_mm_unpackhi_epi8(hi, lo)));
      return out;
    }
#endif
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      out.chars_[2 * i] = hex[bytes[i] >> 4];
      out.chars_[2 * i + 1] = hex[bytes[i] & 15];
    }
    return out;
  }

 private:
  std::array<char, size> chars_{};
};

/// A fresh nonce from the CSPRNG, or an errc::no_secure_random error.
[[nodiscard]] inline result<nonce> random_nonce() noexcept {
  std::array<std::uint8_t, nonce::entropy_bytes> bytes{};
  auto r = random_bytes(bytes.data(), bytes.size());
  if (!r) return r.error();
  return nonce::from_bytes(bytes);
}

}  // namespace crypto
CAPMATCH_NAMESPACE_END
