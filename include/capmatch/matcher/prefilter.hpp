// capmatch — matcher internals: the literal filter of a star-led group (docs/matcher.md, "Groups").
// SPDX-License-Identifier: MIT
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "inline.hpp"
#include "layout.hpp"
#include "scan.hpp"

CAPMATCH_NAMESPACE_BEGIN
namespace detail::cm {

// A grouped check runs each live group's automaton. The automaton of a group of star-led
// patterns (`*:room:x`, `[*]*:y`) cannot reject a name at its first segment, which any `*`
// takes, and with hundreds of such patterns it often lives for two or three (lead10/4096).
// Yet every such pattern names some literal at a fixed index of the body: a middle `*` takes
// exactly one segment and only the last one may take more (docs/semantics.md §2), so a
// segment's index from the start of the body is fixed up to the pattern's last segment. A name
// the pattern matches has that literal at that index. The group's filter keeps, per pattern,
// its literal with the highest index below filter_indices_max (the deepest literal: `*:room:x`
// is kept as (2, x), not as (1, room), which many names share), in a Bloom filter of one hash
// per entry; a check hashes the name's segments at the indices the filters use, once for all
// groups, and runs a filtered group's automaton only when one of them is in its filter. A
// false positive only costs the pass the group would have run without a filter; there are no
// false negatives. A group with a pattern without a literal below the limit (`*`, `*:*`,
// `[*]*`, or literals only beyond it) has no filter.

/// Segment indices a filter may use: bits of a u32 mask, and a check hashes at most this many segments.
inline constexpr std::size_t filter_indices_max = 4;
/// Bits of a filter per entry (one hash per entry: ~6 % false positives when full).
inline constexpr std::size_t filter_bits_per_entry = 16;

/// The filter's hash of a segment at index i of a name's body: its first (up to) 8 bytes as a
/// zero-padded word (word_at), and its length.
[[nodiscard]] CAPMATCH_DETAIL_INLINE constexpr u64 filter_hash(std::size_t i, u64 first, std::size_t len) noexcept {
  return (first ^ (first >> 29) ^ (u64{len} << 56) ^ (u64{i} * k_state)) * k_mul;
}

/// Builds a group's filter, one pattern body at a time.
class literal_filter_builder {
 public:
  /// Adds a pattern's body; a body without a literal below filter_indices_max leaves no filter.
  constexpr void add(std::string_view body) {
    if (!usable_) return;
    std::size_t best = filter_indices_max, best_pos = 0, best_len = 0, index = 0;
    for (std::size_t pos = 0; index < filter_indices_max; ++index) {
      const std::size_t colon = find_colon(body, pos);
      const std::size_t end = colon == std::string_view::npos ? body.size() : colon;
      if (!(end - pos == 1 && body[pos] == '*')) best = index, best_pos = pos, best_len = end - pos;
      if (colon == std::string_view::npos) break;
      pos = colon + 1;
    }
    if (best == filter_indices_max) {
      usable_ = false;
      return;
    }
    indices_ |= u32{1} << best;
    hashes_.push_back(filter_hash(best, word_at(body.substr(best_pos, best_len), 0), best_len));
  }
  /// The filter: its indices (0: no filter), log2 of its bits, and the bits.
  struct result {
    u32 indices = 0, log2 = 0;
    std::vector<u32> bits;
  };
  [[nodiscard]] constexpr result finish() const {
    result r;
    if (!usable_ || hashes_.empty()) return r;
    r.log2 = 5;  // at least one word
    while ((std::size_t{1} << r.log2) < filter_bits_per_entry * hashes_.size()) ++r.log2;
    r.bits.assign((std::size_t{1} << r.log2) / 32, 0);
    for (const u64 h : hashes_) {
      const u64 b = h >> (64 - r.log2);
      r.bits[b / 32] |= u32{1} << (b % 32);
    }
    r.indices = indices_;
    return r;
  }

 private:
  bool usable_ = true;
  u32 indices_ = 0;
  std::vector<u64> hashes_;
};

/// The filter hash of the segment s[start, end) of a name of n bytes: the word literal_filter_builder
/// hashes (word_at), by one load where the name allows (an empty segment, of an invalid name,
/// and the segments of a name under 8 bytes byte by byte).
[[nodiscard]] CAPMATCH_DETAIL_INLINE constexpr u64 segment_filter_hash(const char* s, std::size_t n, std::size_t index,
                                                                       std::size_t start, std::size_t end) noexcept {
  const std::size_t len = end - start;
  if (len >= 8) return filter_hash(index, load8(s + start), len);
  if (len != 0 && n >= 8) return filter_hash(index, word_before(s, end, len), len);
  return filter_hash(index, word_at(std::string_view(s + start, len), 0), len);
}
/// Where a name's body starts: after its qualifier (scan_qualifier's `close`, the one rule for
/// where a qualifier ends), at 0 without one, at n when the qualifier is invalid (no segment:
/// an invalid name is granted nothing by every group, whatever its filters say).
[[nodiscard]] CAPMATCH_DETAIL_INLINE constexpr std::size_t body_start(const char* s, std::size_t n) noexcept {
  if (s[0] != '[') return 0;
  const std::size_t close = scan_qualifier(s, n).close;
  return close == 0 ? n : close + 1;
}
/// body_hashes for a name over short_name_bytes (find_colon from segment to segment).
CAPMATCH_DETAIL_NOINLINE constexpr u32 long_body_hashes(const char* s, std::size_t n, u32 want, u64* hashes) noexcept {
  const std::string_view name(s, n);
  u32 have = 0;
  for (std::size_t index = 0, start = body_start(s, n); start < n && (want >> index) != 0; ++index) {
    const std::size_t colon = find_colon(name, start), end = colon == std::string_view::npos ? n : colon;
    if ((want >> index & 1) != 0) {
      hashes[index] = segment_filter_hash(s, n, index, start, end);
      have |= u32{1} << index;
    }
    start = end + 1;
  }
  return have;
}
/// The filter hashes of a name's body segments at the indices in `want` (into hashes[i]);
/// returns the indices the name has. A name of at most short_name_bytes from its stop mask
/// (name_stops).
[[nodiscard]] CAPMATCH_DETAIL_INLINE constexpr u32 body_hashes(const char* s, std::size_t n, u32 want,
                                                               u64* hashes) noexcept {
  if (n > short_name_bytes) return long_body_hashes(s, n, want, hashes);
  std::size_t start = body_start(s, n);
  if (start >= n) return 0;
  u64 colons = name_stops(s, n).colons & (~u64{0} << start);  // those after the segment's start
  std::size_t index = 0;
  for (u32 rest = want; rest != 0; rest &= rest - 1) {
    const auto k = static_cast<std::size_t>(std::countr_zero(rest));
    for (; index < k; ++index) {  // on to segment k
      if (colons == 0) return want & ((u32{1} << k) - 1);  // the name has no segment k
      start = static_cast<std::size_t>(std::countr_zero(colons)) + 1;
      colons &= colons - 1;
    }
    const std::size_t end = colons == 0 ? n : static_cast<std::size_t>(std::countr_zero(colons));
    hashes[k] = segment_filter_hash(s, n, k, start, end);
  }
  return want;
}

/// True when one of the hashed segments `hashes` (at the indices in `have`) is in the filter
/// (bits, 2^log2 of them, over the indices in `indices`).
[[nodiscard]] CAPMATCH_DETAIL_INLINE constexpr bool filter_admits(const u32* bits, u32 log2, u32 indices,
                                                                  const u64* hashes, u32 have) noexcept {
  for (u32 m = indices & have; m != 0; m &= m - 1) {
    const u64 b = hashes[std::countr_zero(m)] >> (64 - log2);
    if ((bits[b / 32] >> (b % 32) & 1) != 0) return true;
  }
  return false;
}

}  // namespace detail::cm
CAPMATCH_NAMESPACE_END
