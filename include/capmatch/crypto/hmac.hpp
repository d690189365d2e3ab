// capmatch — HMAC-SHA256 (RFC 2104, FIPS 198-1) with a reusable keyed state.
// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "../version.hpp"
#include "compare.hpp"
#include "sha256.hpp"

CAPMATCH_NAMESPACE_BEGIN
namespace crypto {

namespace detail {
/// The outer hash of HMAC-SHA256 from the outer midstate: one block holding the inner digest,
/// its padding and the length (64 + 32 bytes).
[[nodiscard]] constexpr sha256_digest hmac_outer(const sha256_state& outer, const sha256_digest& inner,
                                                 sha256_backend backend) noexcept {
  // the digest, 0x80, zeros and the length: (64 + 32) * 8 = 768 bits = 0x300, big-endian
  constexpr std::array<std::uint8_t, 32> padding = {0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                                    0,    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x03, 0};
  std::array<std::uint8_t, 64> block{};
  if (std::is_constant_evaluated()) {
    for (std::size_t i = 0; i < 32; ++i) block[i] = inner[i], block[32 + i] = padding[i];
  } else {  // (whole-width copies: the compression loads the block sixteen bytes at a time, and a
            // load that spans several smaller stores waits for them to reach the cache)
    std::memcpy(block.data(), inner.data(), 32);
    std::memcpy(block.data() + 32, padding.data(), 32);
  }
  sha256_state h = outer;
  sha256_compress(h, block.data(), 1, backend);
  return sha256_bytes(h);
}
}  // namespace detail

/// A key prepared for HMAC-SHA256: the SHA-256 states after the 64-byte inner (key ^ 0x36) and
/// outer (key ^ 0x5c) blocks, computed once. It keeps no copy of the key, and has no way to
/// print or return one. A key longer than 64 bytes is hashed first (RFC 2104).
class hmac_sha256_key {
 public:
  /// The key made of `n` bytes at `key`.
  template <class C, std::enable_if_t<detail::is_byte_v<C>, int> = 0>
  constexpr hmac_sha256_key(const C* key, std::size_t n,
                            sha256_backend backend = sha256_backend::automatic) noexcept
      : backend_(backend) {
    std::array<std::uint8_t, 64> block{};
    if (n > 64) {
      const auto d = sha256(backend).update(key, n).finish();
      for (std::size_t i = 0; i < d.size(); ++i) block[i] = d[i];
    } else {
      for (std::size_t i = 0; i < n; ++i) block[i] = static_cast<std::uint8_t>(key[i]);
    }
    for (auto& b : block) b ^= 0x36;
    inner_ = detail::sha256_iv;
    detail::sha256_compress(inner_, block.data(), 1, backend);
    for (auto& b : block) b ^= 0x36 ^ 0x5c;
    outer_ = detail::sha256_iv;
    detail::sha256_compress(outer_, block.data(), 1, backend);
    for (auto& b : block) b = 0;
  }

  /// The key of zero bytes.
  constexpr hmac_sha256_key() noexcept : hmac_sha256_key(std::string_view{}) {}
  /// The key made of the bytes of `key` (for an Ably key secret: its UTF-8 bytes).
  constexpr explicit hmac_sha256_key(std::string_view key,
                                     sha256_backend backend = sha256_backend::automatic) noexcept
      : hmac_sha256_key(key.data(), key.size(), backend) {}
  /// HMAC-SHA256 of `n` bytes at `p` under this key.
  template <class C, std::enable_if_t<detail::is_byte_v<C>, int> = 0>
  [[nodiscard]] constexpr sha256_digest sign(const C* p, std::size_t n) const noexcept {
    return detail::hmac_outer(outer_, sha256(inner_, 1, backend_).update(p, n).finish(), backend_);
  }
  /// HMAC-SHA256 of the bytes of `message` under this key.
  [[nodiscard]] constexpr sha256_digest sign(std::string_view message) const noexcept {
    return sign(message.data(), message.size());
  }
  /// True when `mac` is the HMAC of `message` (compared in constant time).
  [[nodiscard]] constexpr bool verify(std::string_view message, const sha256_digest& mac) const noexcept {
    return equal_constant_time(sign(message), mac);
  }
  [[nodiscard]] constexpr sha256_backend backend() const noexcept { return backend_; }

 private:
  friend class hmac_sha256;

  detail::sha256_state inner_{};
  detail::sha256_state outer_{};
  sha256_backend backend_ = sha256_backend::automatic;
};

/// Incremental HMAC-SHA256 under a prepared key: `hmac_sha256 m(key); m.update(a).update(b); m.finish()`.
/// A copy taken after update(prefix) is a midstate: finishing the copy after update(rest) gives
/// the mac of prefix + rest, so a prefix shared by many messages is absorbed once
/// (TokenRequests: token_request_template and the capability_cache).
class hmac_sha256 {
 public:
  /// Starts a mac under `key` (copies its two midstates: the key may go away meanwhile).
  constexpr explicit hmac_sha256(const hmac_sha256_key& key) noexcept
      : inner_(key.inner_, 1, key.backend_), outer_(key.outer_) {}

  template <class C, std::enable_if_t<detail::is_byte_v<C>, int> = 0>
  constexpr hmac_sha256& update(const C* p, std::size_t n) noexcept {
    inner_.update(p, n);
    return *this;
  }
  constexpr hmac_sha256& update(std::string_view s) noexcept { return update(s.data(), s.size()); }
  /// The mac of everything added; call once.
  [[nodiscard]] constexpr sha256_digest finish() noexcept {
    return detail::hmac_outer(outer_, inner_.finish(), inner_.backend());
  }

 private:
  sha256 inner_;
  detail::sha256_state outer_;
};

/// One-shot HMAC-SHA256 of `message` under `key` (prepare an hmac_sha256_key to sign many).
[[nodiscard]] constexpr sha256_digest hmac_sha256_of(std::string_view key, std::string_view message,
                                                     sha256_backend b = sha256_backend::automatic) noexcept {
  return hmac_sha256_key(key, b).sign(message);
}

}  // namespace crypto
CAPMATCH_NAMESPACE_END
