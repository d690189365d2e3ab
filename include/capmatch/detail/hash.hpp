// capmatch — internal: fast seeded 64-bit hashes of short texts (the wyhash mixer) for the
// replay guard's fingerprints and the capability cache's slots. Not cryptographic: callers key
// them with secret seeds where an attacker could aim collisions, and treat a collision as a
// miss or a refusal, never as a grant.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "../version.hpp"
#include "swar.hpp"

CAPMATCH_NAMESPACE_BEGIN
namespace detail {
/// The wyhash constants the hashes below mix with.
inline constexpr std::uint64_t hash_p0 = 0xa0761d6478bd642full, hash_p1 = 0xe7037ed1a0b428dbull,
                               hash_p2 = 0x8ebc6af09c88c6e3ull, hash_p3 = 0x589965cc75374cc3ull;

/// 64x64 -> 128-bit multiply, folded to 64 bits (the wyhash mixer). Also the matcher's long
/// segment keys (matcher/scan.hpp long_key), so usable in constant evaluation.
[[nodiscard]] constexpr std::uint64_t fold_multiply(std::uint64_t a, std::uint64_t b) noexcept {
  __extension__ using u128 = unsigned __int128;
  const u128 p = static_cast<u128>(a) * b;
  return static_cast<std::uint64_t>(p) ^ static_cast<std::uint64_t>(p >> 64);
}

/// A seeded 64-bit hash of `s` (8 bytes per step through fold_multiply), continuing from `h`.
[[nodiscard]] inline std::uint64_t seeded_hash(std::string_view s, std::uint64_t h, std::uint64_t seed) noexcept {
  constexpr std::uint64_t p0 = hash_p0, p1 = hash_p1;
  h = fold_multiply(h ^ p0 ^ s.size(), seed ^ p1);
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = fold_multiply(h ^ w ^ p0, seed ^ p1);
  }
  const std::uint64_t tail = swar::load_partial(s.data() + i, s.size() - i);  // (an empty view may have no data)
  return fold_multiply(h ^ tail ^ p1, seed ^ p0 ^ (s.size() - i));
}

/// seeded_hash(s, h0, seed0) and seeded_hash(s, h1, seed1) in one pass over `s` (the two
/// chains are independent, so they run side by side).
inline void seeded_hash2(std::string_view s, std::uint64_t& h0, std::uint64_t& h1, std::uint64_t seed0,
                         std::uint64_t seed1) noexcept {
  constexpr std::uint64_t p0 = hash_p0, p1 = hash_p1;
  h0 = fold_multiply(h0 ^ p0 ^ s.size(), seed0 ^ p1);
  h1 = fold_multiply(h1 ^ p0 ^ s.size(), seed1 ^ p1);
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h0 = fold_multiply(h0 ^ w ^ p0, seed0 ^ p1);
    h1 = fold_multiply(h1 ^ w ^ p0, seed1 ^ p1);
  }
  const std::uint64_t tail = swar::load_partial(s.data() + i, s.size() - i);  // (an empty view may have no data)
  h0 = fold_multiply(h0 ^ tail ^ p1, seed0 ^ p0 ^ (s.size() - i));
  h1 = fold_multiply(h1 ^ tail ^ p1, seed1 ^ p0 ^ (s.size() - i));
}

/// A seeded 64-bit hash of `s` for longer texts (a capability text of hundreds of bytes): two
/// independent chains of 16 bytes per multiply, 32 bytes per step, so the multiplies overlap;
/// under 32 bytes it is seeded_hash(s, 0, seed).
[[nodiscard]] inline std::uint64_t wide_hash(std::string_view s, std::uint64_t seed) noexcept {
  constexpr std::uint64_t p0 = hash_p0, p1 = hash_p1, p2 = hash_p2, p3 = hash_p3;
  if (s.size() < 32) return seeded_hash(s, 0, seed);
  std::uint64_t a = seed ^ p0, b = seed ^ p3 ^ s.size();
  std::size_t i = 0;
  for (; i + 32 <= s.size(); i += 32) {
    std::uint64_t w[4];
    std::memcpy(w, s.data() + i, 32);
    a = fold_multiply(w[0] ^ p1, w[1] ^ a);
    b = fold_multiply(w[2] ^ p2, w[3] ^ b);
  }
  return seeded_hash(s.substr(i), fold_multiply(a ^ p2, b ^ p1), seed);
}

/// Maps a 64-bit hash onto [0, n) by its high bits (a multiply, no division).
[[nodiscard]] inline std::size_t hash_to_slot(std::uint64_t h, std::size_t n) noexcept {
  __extension__ using u128 = unsigned __int128;
  return static_cast<std::size_t>((static_cast<u128>(h) * n) >> 64);
}
}  // namespace detail

CAPMATCH_NAMESPACE_END
