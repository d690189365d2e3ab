// capmatch — the compiled matcher: capability::ops_for in one pass over the name (SEMANTICS §2–3).
// SPDX-License-Identifier: MIT
//
// A matcher is compiled once from a capability and answers exactly what capability::ops_for
// and capability::allows answer. A check reads the name once, allocates nothing and does work
// independent of the number of patterns: the patterns' segment trie is determinised into a
// segment-level automaton whose transitions live in one flat open-addressing table keyed by
// (state, segment). Design, bounds and costs: docs/matcher.md.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#include <emmintrin.h>
#define CAPMATCH_DETAIL_SSE2 1
#else
#define CAPMATCH_DETAIL_SSE2 0
#endif

#include "capability.hpp"
#include "detail/swar.hpp"
#include "detail/utf8.hpp"
#include "limits.hpp"
#include "operation.hpp"
#include "pattern.hpp"
#include "version.hpp"

CAPMATCH_NAMESPACE_BEGIN

/// The automaton bound. Determinising the pattern trie can blow up on adversarial capabilities
/// (many `*:*:x` patterns, many qualifiers beside `[*]` patterns). The matcher keeps the
/// deterministic automaton only while the work of building it — states, transitions, and the
/// trie nodes and edges those stand for — stays within
/// `matcher_dfa_growth` × (trie nodes + trie edges) + `matcher_dfa_slack`; beyond that it
/// answers by walking the trie itself (same answers, no allocation, work bounded by the trie).
/// Either way, build time and memory are linear in the capability's size.
inline constexpr std::size_t matcher_dfa_growth = 4;
inline constexpr std::size_t matcher_dfa_slack = 1024;

/// How a matcher is compiled: `automatic` determinises within the bound above;
/// `trie_walk` always uses the fallback (for tests and for comparing the two).
enum class matcher_mode : std::uint8_t { automatic, trie_walk };

namespace detail::cm {

using u8 = std::uint8_t;
using u32 = std::uint32_t;
using u64 = std::uint64_t;

inline constexpr u32 no_state = 0xFFFFFFFFu;  // empty slot marker in the edge tables
inline constexpr u32 dead = 0;                // the state (or trie node) that matches nothing more
inline constexpr u32 qualifier_state = 1;     // pseudo-state: transitions on the qualifier name
inline constexpr u32 star_child_flag = 0x80000000u;
// A run state (DFA only) keeps the length of its run in the high bits of `term`; op bits
// stay below bit 18 (op_set::from_bits drops the rest).
inline constexpr unsigned run_shift = 20;
static_assert(max_resource_bytes < (std::size_t{1} << (32 - run_shift)));

// The tables refer to state i as ref(i) = i * ref_mul (mod 2^32), a bijection: the reference
// is already a well-spread hash of the state, so the slot of (state, segment) is one xor and
// one multiply away from the transition that led there (the check's critical path).
inline constexpr u32 ref_mul = 0x9E3779B1u;
[[nodiscard]] constexpr u32 ref_inverse() noexcept {
  u32 x = ref_mul;  // Newton's iteration for the inverse modulo 2^32
  for (int i = 0; i < 5; ++i) x *= 2u - ref_mul * x;
  return x;
}
inline constexpr u32 ref_inv = ref_inverse();
static_assert(ref_mul * ref_inv == 1u);
[[nodiscard]] constexpr u32 ref(u32 index) noexcept { return index * ref_mul; }
[[nodiscard]] constexpr u32 index_of(u32 r) noexcept { return r * ref_inv; }
inline constexpr u64 k_mul = 0x9E3779B97F4A7C15ull;
inline constexpr u64 k_state = 0xC2B2AE3D27D4EB4Full;
inline constexpr u64 k_long = 0x165667B19E3779F9ull;
using swar::high_bits;
using swar::low7;
using swar::ones;
using swar::zero_bytes;

/// One automaton state (or, in trie-walk mode, one trie node). 16 bytes.
/// A *run state* (DFA only; `term >> run_shift` is its run's length, not 0) has no default
/// transition and one way on: the literal segments of its run, `a:b:c`, whose bytes are at
/// `pool + aux`; `next` is the state after them. See docs/matcher.md, "Runs".
struct state_rec {
  u32 next = dead;  ///< DFA: default transition (the middle `*`), or a run's end; trie: the `*` child
  u32 trail = 0;    ///< op bits granted when one or more further segments follow (trailing `*`)
  u32 term = 0;     ///< op bits granted when the name ends here; a run state: | run length << run_shift
  u32 aux = 0;      ///< DFA: 32-bit filter of the literal transitions' hashes, or a run's pool offset;
                    ///< trie: parent | star flag
};
/// A transition on a segment of at most 8 bytes: `key` is the segment's bytes, zero-padded
/// (segments never contain U+0000, so the padded word identifies the segment exactly).
struct edge_rec {
  u64 key = 0;
  u32 from = no_state;
  u32 to = dead;
};
/// A transition on a longer segment: `key` is a hash, the bytes are verified in the pool.
struct long_edge_rec {
  u64 key = 0;
  u32 from = no_state;
  u32 to = dead;
  u32 offset = 0;
  u32 size = 0;
};

/// A qualifier of at most `quick_qualifier_bytes` bytes that patterns name, as the first
/// bytes of a name carrying it: `key` is "[queue]" as a little-endian word, `mask` covers its
/// bytes, `to` is the qualifier class's start state (DFA) or root (trie). A check compares the
/// name's first word with each instead of parsing the qualifier and probing the table.
struct quick_qualifier {
  u64 key = 0;
  u64 mask = 0xFF;  // an unused entry: '[' is never 0, so it never matches
  u32 to = dead;
  u32 size = 0;  // bytes of "[queue]"
};
inline constexpr std::size_t quick_qualifier_bytes = 6;  // "[" + 6 + "]" fill one word
inline constexpr std::size_t quick_qualifiers = 4;

// ---- leaf helpers: the only places that branch on constant evaluation ----

/// 8 bytes at p as a little-endian word.
[[nodiscard]] constexpr u64 load8(const char* p) noexcept {
  if (std::is_constant_evaluated()) {
    u64 v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<u64>(static_cast<u8>(p[i])) << (8 * i);
    return v;
  } else {
    u64 v;
    std::memcpy(&v, p, 8);
    if constexpr (std::endian::native == std::endian::big) {
      u64 r = 0;
      for (int i = 0; i < 8; ++i) r |= ((v >> (8 * i)) & 0xFF) << (56 - 8 * i);
      v = r;
    }
    return v;
  }
}

/// True when [a, a+n) and [b, b+n) hold the same bytes.
[[nodiscard]] constexpr bool bytes_equal(const char* a, const char* b, std::size_t n) noexcept {
  if (std::is_constant_evaluated()) {
    for (std::size_t i = 0; i < n; ++i)
      if (a[i] != b[i]) return false;
    return true;
  } else {
    return n == 0 || std::memcmp(a, b, n) == 0;
  }
}

/// The last `rem` (< 8) bytes of text[0, n) starting at pos (pos + rem == n), zero-padded.
[[nodiscard]] constexpr u64 load_tail(const char* s, std::size_t n, std::size_t rem) noexcept {
  if (rem == 0) return 0;
  if (n >= 8) return load8(s + n - 8) >> (64 - 8 * rem);
  u64 v = 0;
  for (std::size_t i = 0; i < rem; ++i) v |= static_cast<u64>(static_cast<u8>(s[n - rem + i])) << (8 * i);
  return v;
}

/// Up to 8 bytes of text[0, n) from pos (pos < n), zero-padded past the end; reads no byte beyond n.
[[nodiscard]] constexpr u64 word_from(const char* s, std::size_t n, std::size_t pos) noexcept {
  return n - pos >= 8 ? load8(s + pos) : load_tail(s, n, n - pos);
}

/// Names up to this many bytes are checked with a stop mask of the whole name (name_stops).
inline constexpr std::size_t short_name_bytes = 64;

/// Where a name of at most short_name_bytes bytes holds ':' (bit i set when s[i] == ':')
/// and whether it holds U+0000 anywhere. One pass, before the automaton runs: the segment
/// boundaries then come from the mask (clear lowest bit, count trailing zeros).
struct name_stops_t {
  u64 colons = 0;
  bool nul = false;
  bool high = false;  // a byte >= 0x80: the name must then be checked as UTF-8
};
[[nodiscard]] constexpr name_stops_t name_stops(const char* s, std::size_t n) noexcept {
  name_stops_t r;
  if (!std::is_constant_evaluated()) {
#if CAPMATCH_DETAIL_SSE2
    if (n >= 16) {
      const __m128i colon = _mm_set1_epi8(':');
      const __m128i zero = _mm_setzero_si128();
      u32 z = 0, h = 0;
      std::size_t i = 0;
      for (; i + 16 <= n; i += 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
        r.colons |= static_cast<u64>(static_cast<u32>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, colon)))) << i;
        z |= static_cast<u32>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, zero)));
        h |= static_cast<u32>(_mm_movemask_epi8(v));
      }
      if (i < n) {  // the last 16 bytes, overlapping the previous block
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + n - 16));
        r.colons |= static_cast<u64>(static_cast<u32>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, colon)))) << (n - 16);
        z |= static_cast<u32>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, zero)));
        h |= static_cast<u32>(_mm_movemask_epi8(v));
      }
      r.nul = z != 0;
      r.high = h != 0;
      return r;
    }
    if (n >= 8) {  // the first and the last 8 bytes (overlapping) in one register
      const __m128i v = _mm_set_epi64x(static_cast<long long>(load8(s + n - 8)), static_cast<long long>(load8(s)));
      const auto c = static_cast<u32>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(':'))));
      r.colons = static_cast<u64>(c & 0xFF) | static_cast<u64>(c >> 8) << (n - 8);
      r.nul = _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_setzero_si128())) != 0;
      r.high = _mm_movemask_epi8(v) != 0;
      return r;
    }
#endif
    if (n >= 8) {  // words, the last one overlapping its predecessor
      u64 z = 0, h = 0;
      for (std::size_t i = 0;; i += 8) {
        const std::size_t at = i + 8 <= n ? i : n - 8;
        const u64 w = load8(s + at);
        const u64 c = zero_bytes(w ^ (ones * ':'));
        r.colons |= (((c >> 7) * 0x0102040810204080ull) >> 56) << at;
        z |= zero_bytes(w);
        h |= w & high_bits;
        if (at + 8 == n) break;
      }
      r.nul = z != 0;
      r.high = h != 0;
      return r;
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (s[i] == ':') r.colons |= u64{1} << i;
    if (s[i] == '\0') r.nul = true;
    if (static_cast<unsigned char>(s[i]) >= 0x80) r.high = true;
  }
  return r;
}
/// 0x80 in the lowest byte of v that is ':' or U+0000 (where a segment stops); bytes above
/// it may be flagged too (borrows), so only the lowest flag is meaningful. 0 when none.
[[nodiscard]] constexpr u64 stop_bytes(u64 v) noexcept {
  const u64 c = v ^ (ones * ':');
  return (((c - ones) & ~c) | ((v - ones) & ~v)) & high_bits;
}
/// 0x80 in each of the low `rem` (< 8) bytes.
[[nodiscard]] constexpr u64 low_bytes(std::size_t rem) noexcept {
  return high_bits & ((u64{1} << (8 * rem)) - 1);
}

/// Where the qualifier of a name starting with '[' closes: `close` is the index of the first
/// ']' and `params` of the first '=' or '?' before it (0 if none); close is 0 when the name
/// has no ']' or holds '[' or U+0000 before it (invalid).
struct qualifier_scan {
  std::size_t close = 0, params = 0;
};
/// One word of a name's qualifier, as 0x80 flags among the bytes in `in`: `close`, the first
/// ']'; `bad`, '[' or U+0000 before it; `params`, '=' or '?' before it (exact flags).
struct qualifier_flags {
  u64 close = 0, bad = 0, params = 0;
};
[[nodiscard]] constexpr qualifier_flags qualifier_word(u64 w, u64 in) noexcept {
  const u64 closes = zero_bytes(w ^ (ones * ']')) & in;
  const u64 close = closes & (0 - closes);
  const u64 before = close == 0 ? ~u64{0} : close - 1;  // bytes before the first ']'
  return {close, (zero_bytes(w ^ (ones * '[')) | zero_bytes(w)) & in & before,
          (zero_bytes(w ^ (ones * '=')) | zero_bytes(w ^ (ones * '?'))) & in & before};
}
[[nodiscard]] constexpr qualifier_scan scan_qualifier(const char* s, std::size_t n) noexcept {
  qualifier_scan q;
  if (!std::is_constant_evaluated()) {
#if CAPMATCH_DETAIL_SSE2
    if (n >= 16) {  // 16-byte blocks, the last one overlapping its predecessor
      for (std::size_t i = 0;; i += 16) {
        const std::size_t at = i + 16 <= n ? i : n - 16;
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + at));
        const auto mask = [&](char c) {
          return static_cast<u32>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(c))));
        };
        const u32 in = (0xFFFFu << (i - at + (at == 0 ? 1 : 0))) & 0xFFFFu;  // not s[0], nor bytes seen before
        const u32 cl = mask(']') & in;
        const u32 before = cl == 0 ? ~u32{0} : (cl & (0 - cl)) - 1;  // bytes before the first ']'
        if (((mask('[') | mask('\0')) & in & before) != 0) return {};
        const u32 par = (mask('=') | mask('?')) & in & before;
        if (q.params == 0 && par != 0) q.params = at + static_cast<std::size_t>(std::countr_zero(par));
        if (cl != 0) {
          q.close = at + static_cast<std::size_t>(std::countr_zero(cl));
          return q;
        }
        if (at + 16 == n) return {};
      }
    }
#endif
  }
  for (std::size_t p = 1;; p += 8) {  // words (SWAR), exact flags; also the constexpr path
    if (p >= n) return {};
    const std::size_t rem = n - p;
    const u64 w = rem >= 8 ? load8(s + p) : load_tail(s, n, rem);
    const qualifier_flags f = qualifier_word(w, rem >= 8 ? high_bits : low_bytes(rem));
    if (f.bad != 0) return {};
    if (q.params == 0 && f.params != 0) q.params = p + (static_cast<std::size_t>(std::countr_zero(f.params)) >> 3);
    if (f.close != 0) {
      q.close = p + (static_cast<std::size_t>(std::countr_zero(f.close)) >> 3);
      return q;
    }
  }
}
/// Key of a segment of 9 to 16 bytes from its two zero-padded words.
[[nodiscard]] constexpr u64 medium_key(u64 w0, u64 w1) noexcept {
  const u64 h = w1 * k_long;
  return w0 ^ h ^ (h >> 29);
}

/// Hash of a segment longer than 16 bytes, s[begin, end). Reads whole words; the last one
/// overlaps its predecessor (so no byte beyond `end` is read).
[[nodiscard]] constexpr u64 long_key(const char* s, std::size_t begin, std::size_t end) noexcept {
  const std::size_t len = end - begin;
  u64 h = static_cast<u64>(len) * k_long;
  std::size_t p = begin;
  for (; end - p > 8; p += 8) {
    h = (h ^ load8(s + p)) * k_mul;
    h ^= h >> 31;
  }
  h = (h ^ load8(s + end - 8)) * k_mul;
  return h ^ (h >> 29);
}

/// Up to 8 bytes of `seg` from `at`, zero-padded.
[[nodiscard]] constexpr u64 word_at(std::string_view seg, std::size_t at) noexcept {
  u64 v = 0;
  for (std::size_t i = at; i < seg.size() && i < at + 8; ++i)
    v |= static_cast<u64>(static_cast<u8>(seg[i])) << (8 * (i - at));
  return v;
}

/// The key of a segment as the tables store it: up to 8 bytes, the bytes zero-padded (exact);
/// 9 to 16 bytes, medium_key of the two padded words; longer, long_key. Used when building;
/// the check computes the same key while scanning.
[[nodiscard]] constexpr u64 segment_key(std::string_view seg) noexcept {
  if (seg.size() <= 8) return word_at(seg, 0);
  if (seg.size() <= 16) return medium_key(word_at(seg, 0), word_at(seg, 8));
  return long_key(seg.data(), 0, seg.size());
}

/// Home slot of (state reference, key) in a table whose home range is [0, cap). hk = key * k_mul.
[[nodiscard]] constexpr u32 home_slot(u64 hk, u32 from_ref, u32 cap) noexcept {
  const u32 x = static_cast<u32>(hk >> 32) ^ from_ref;
  return static_cast<u32>((static_cast<u64>(x) * cap) >> 32);
}
/// Bit of the per-state transition filter for a key hash.
[[nodiscard]] constexpr u32 filter_bit(u64 hk) noexcept { return u32{1} << (hk >> 59); }

/// op_set from accumulated op bits ("*" absorbs the rest, as op_set's union does).
[[nodiscard]] constexpr op_set finish(u32 acc) noexcept {
  return (acc & op_set::star_bit) != 0 ? op_set::all() : op_set::from_bits(acc);
}

/// True when s[pos, n) is one to `segments` non-empty segments separated by ':', no U+0000.
[[nodiscard]] constexpr bool rest_valid(const char* s, std::size_t n, std::size_t pos, std::size_t segments) noexcept {
  bool empty = true;
  for (std::size_t i = pos; i < n; ++i) {
    const char c = s[i];
    if (c == '\0') return false;
    if (c == ':') {
      if (empty || --segments == 0) return false;
      empty = true;
    } else {
      empty = false;
    }
  }
  return !empty;
}

/// rest_valid a word at a time: s[pos, n) is one to `segments` non-empty segments, no U+0000.
[[nodiscard]] constexpr bool rest_valid_words(const char* s, std::size_t n, std::size_t pos,
                                              std::size_t segments) noexcept {
  if (pos >= n || s[pos] == ':' || s[n - 1] == ':') return false;
  std::size_t colons = 0;
  u64 prev = 0;  // 0x80 when the previous word ended with ':'
  for (std::size_t p = pos; p < n; p += 8) {
    const std::size_t rem = n - p;
    const u64 w = rem >= 8 ? load8(s + p) : load_tail(s, n, rem);
    const u64 in = rem >= 8 ? high_bits : low_bytes(rem);
    const u64 colon = zero_bytes(w ^ (ones * ':')) & in;
    if ((zero_bytes(w) & in) != 0 || (colon & (colon >> 8)) != 0 || (prev & colon & 0x80) != 0) return false;
    prev = colon >> 56;
    colons += static_cast<std::size_t>(std::popcount(colon));
  }
  return colons < segments;
}

/// A segment found by scan_segment.
struct segment {
  u64 key = 0;
  u64 w0 = 0, w1 = 0;  // 9 to 16 bytes: the two zero-padded words (verified against the pool)
  std::size_t len = 0;
  bool last = false;
  bool ok = false;  // false: empty segment or U+0000 (the name is invalid)
};

#if defined(__GNUC__) || defined(__clang__)
#define CAPMATCH_DETAIL_INLINE [[gnu::always_inline]] inline
#define CAPMATCH_DETAIL_NOINLINE [[gnu::noinline]]
#else
#define CAPMATCH_DETAIL_INLINE inline
#define CAPMATCH_DETAIL_NOINLINE
#endif

/// The word at s + pos (rem = n - pos bytes left) and where it holds a stop (':' or U+0000):
/// 0x80 in each such byte, only among the bytes that belong to the name.
struct word_scan {
  u64 w, stops;
};
CAPMATCH_DETAIL_INLINE constexpr word_scan scan_word(const char* s, std::size_t n, std::size_t pos,
                                                     std::size_t rem) noexcept {
  if (rem >= 8) {
    const u64 w = load8(s + pos);
    return {w, stop_bytes(w)};
  }
  const u64 w = load_tail(s, n, rem);
  return {w, stop_bytes(w) & low_bytes(rem)};
}

/// End of a segment longer than 16 bytes that starts before `q`, or n + 1 if it holds U+0000.
CAPMATCH_DETAIL_NOINLINE constexpr std::size_t long_segment_end(const char* s, std::size_t n, std::size_t q) noexcept {
  for (;;) {
    const std::size_t r = n - q;
    if (r == 0) return n;
    const word_scan v = scan_word(s, n, q, r);
    if (v.stops != 0) {
      const unsigned bit = static_cast<unsigned>(std::countr_zero(v.stops)) - 7;
      if (((v.w >> bit) & 0xFF) == 0) return n + 1;
      return q + (bit >> 3);
    }
    if (r <= 8) return n;
    q += 8;
  }
}

/// Scans the segment starting at pos: finds its end (':' or the end of the name), rejects
/// empty segments and U+0000, and computes its key, in one pass of word loads (one load for
/// segments under 8 bytes, two up to 16).
CAPMATCH_DETAIL_INLINE constexpr segment scan_segment(const char* s, std::size_t n, std::size_t pos) noexcept {
  segment g;
  const std::size_t rem = n - pos;
  if (rem == 0) return g;
  const word_scan a = scan_word(s, n, pos, rem);
  if (a.stops != 0) {
    const unsigned bit = static_cast<unsigned>(std::countr_zero(a.stops)) - 7;  // 8 * index of the stop
    if (bit == 0 || ((a.w >> bit) & 0xFF) == 0) return g;
    g.key = a.w & ((u64{1} << bit) - 1);
    g.len = bit >> 3;
    g.ok = true;
    return g;
  }
  g.ok = true;
  if (rem <= 8) {
    g.key = a.w;
    g.len = rem;
    g.last = true;
    return g;
  }
  const word_scan b = scan_word(s, n, pos + 8, rem - 8);
  if (b.stops != 0) {
    const unsigned bit = static_cast<unsigned>(std::countr_zero(b.stops)) - 7;
    if (((b.w >> bit) & 0xFF) == 0) return g.ok = false, g;
    if (bit == 0) {  // exactly 8 bytes
      g.key = a.w;
      g.len = 8;
      return g;
    }
    g.w0 = a.w;
    g.w1 = b.w & ((u64{1} << bit) - 1);
    g.len = 8 + (bit >> 3);
  } else if (rem <= 16) {
    g.w0 = a.w;
    g.w1 = b.w;
    g.len = rem;
    g.last = true;
  } else {
    const std::size_t end = long_segment_end(s, n, pos + 16);
    if (end > n) return g.ok = false, g;
    g.len = end - pos;
    g.last = end == n;
    if (g.len > 16) {
      g.key = long_key(s, pos, end);
      return g;
    }
    g.w0 = a.w;  // exactly 16 bytes
    g.w1 = b.w;
  }
  g.key = medium_key(g.w0, g.w1);
  return g;
}

/// What a compiled matcher holds besides its arrays: held by `storage` and fixed_matcher,
/// copied into every `tables` view.
struct header {
  u32 edge_cap = 0;       // home range of edges (the array has overflow slots after it)
  u32 long_cap = 0;       // home range of long_edges
  u32 start = dead;       // ref of: DFA, the start state for unqualified names; trie, the unqualified root
  u32 any_root = dead;    // trie walk only: ref of the root of the [*] patterns
  u32 app_wide = 0;       // op bits granted on "*" or "[*]*"
  bool walk = false;      // true: trie-walk fallback; false: DFA
  quick_qualifier quick[quick_qualifiers] = {};  // the first few short qualifiers (see quick_qualifier)
  bool quick_all = false;  // true: every qualifier of at most quick_qualifier_bytes is in quick
};

/// Flat tables of a compiled matcher, as spans: what a check reads. Built by `matcher`
/// (std::vector storage) or copied into static storage (fixed_matcher); the same code
/// queries both, at run time and in constant evaluation.
struct tables : header {
  const state_rec* states = nullptr;
  const edge_rec* edges = nullptr;
  const long_edge_rec* long_edges = nullptr;
  const char* pool = nullptr;

  constexpr tables() = default;
  constexpr tables(const header& h, const state_rec* s, const edge_rec* e, const long_edge_rec* le,
                   const char* p) noexcept
      : header(h), states(s), edges(e), long_edges(le), pool(p) {}

  [[nodiscard]] constexpr const state_rec& state(u32 r) const noexcept { return states[index_of(r)]; }

  [[nodiscard]] constexpr u32 find(u32 from, const segment& g, const char* s, std::size_t pos, u32 otherwise,
                                   bool filtered) const noexcept {
    const u64 hk = g.key * k_mul;
    if (filtered && (state(from).aux & filter_bit(hk)) == 0) return otherwise;
    if (g.len <= 8) return find_short(from, g.key, hk, otherwise);
    return find_long(from, g.key, g.w0, g.w1, g.len, s, pos, otherwise, hk);
  }
  // Segments of at most 8 bytes: the key is the segment itself.
  CAPMATCH_DETAIL_INLINE constexpr u32 find_short(u32 from, u64 key, u64 hk, u32 otherwise) const noexcept {
    for (const edge_rec* e = edges + home_slot(hk, from, edge_cap);; ++e) {
      if (e->key == key && e->from == from) return e->to;
      if (e->from == no_state) return otherwise;
    }
  }
  // Segments over 8 bytes: up to 16 are compared as two words (the pool holds them padded
  // to 16 bytes), longer ones byte by byte. (Arguments by value: a segment passed by
  // reference would have to live in memory in the caller's loop.)
  CAPMATCH_DETAIL_NOINLINE constexpr u32 find_long(u32 from, u64 key, u64 w0, u64 w1, std::size_t len,
                                                   const char* s, std::size_t pos, u32 otherwise,
                                                   u64 hk) const noexcept {
    for (const long_edge_rec* e = long_edges + home_slot(hk, from, long_cap);; ++e) {
      if (e->key == key && e->from == from && e->size == len &&
          (len <= 16 ? load8(pool + e->offset) == w0 && load8(pool + e->offset + 8) == w1
                     : bytes_equal(pool + e->offset, s + pos, len)))
        return e->to;
      if (e->from == no_state) return otherwise;
    }
  }

  // True when the `len` bytes of the name at pos (pos + len <= n) are the run's bytes at
  // `run`, compared eight bytes at a time. The last word compared is, on either side, the one
  // ending at the run's end (the name's first word shifted up when the run ends before byte 8),
  // so nothing past either end is read; emit places every run at least 8 bytes into the pool,
  // so the run's word may reach back before its start (those bytes are shifted out).
  CAPMATCH_DETAIL_INLINE static constexpr bool run_equal(const char* s, std::size_t n, std::size_t pos,
                                                         const char* run, std::size_t len) noexcept {
    if (n < 8) return bytes_equal(s + pos, run, len);
    for (std::size_t i = 0; i + 8 < len; i += 8)
      if (load8(s + pos + i) != load8(run + i)) return false;
    const std::size_t end = pos + len, at = end >= 8 ? end - 8 : 0;
    const u64 w = load8(s + at) << (8 * (at + 8 - end));
    const u64 r = load8(run + len - 8);
    const std::size_t tail = len < 8 ? len : 8;  // the bytes of the last word that are the run's
    return ((w ^ r) >> (8 * (8 - tail))) == 0;
  }

  // True when the run of run state r is the name's next bytes from pos: the whole run, and
  // then the end of the name or ':' (a run ends at a segment boundary).
  CAPMATCH_DETAIL_INLINE constexpr bool run_matches(const state_rec& r, const char* s, std::size_t n,
                                                    std::size_t pos) const noexcept {
    const std::size_t len = r.term >> run_shift, end = pos + len;
    return end <= n && (end == n || s[end] == ':') && run_equal(s, n, pos, pool + r.aux, len);
  }

  // One transition of the automaton (DFA mode), for the segment s[pos, pos + len) with key
  // `key` (and, for 9 to 16 bytes, its two words): the state's trailing-`*` ops join acc,
  // then the automaton moves along the segment's literal transition, or the default one.
  // The filter spares the table probe for most segments that no literal transition names.
  CAPMATCH_DETAIL_INLINE constexpr u32 step(u32 st, const state_rec& r, u64 key, u64 w0, u64 w1, std::size_t len,
                                            const char* s, std::size_t pos, u32& acc) const noexcept {
    acc |= r.trail;
    const u64 hk = key * k_mul;
    if ((r.aux & filter_bit(hk)) == 0) return r.next;
    if (len <= 8) return find_short(st, key, hk, r.next);
    return find_long(st, key, w0, w1, len, s, pos, r.next, hk);
  }

  // A name's qualifier: one of the quick ones when the name starts with it (the word holds
  // the whole qualifier, so it has no parameters, '[' or U+0000, and n >= 9 leaves a body);
  // when every short qualifier is a quick one, any other short one without parameters is the
  // "other qualifiers" class; else parsed. Sets *body to the first byte of the body;
  // returns no_state if the name is invalid.
  CAPMATCH_DETAIL_INLINE constexpr u32 quick_qualifiers_or_parse(const char* s, std::size_t n,
                                                                 std::size_t* body) const noexcept {
    if (n >= 9) {
      const u64 w = load8(s);
      for (const quick_qualifier& q : quick)
        if ((w & q.mask) == q.key) {
          *body = q.size;
          return s[q.size] == '[' ? no_state : q.to;  // a second qualifier
        }
      if (quick_all) {
        // "[q]" with q of 2 to 6 bytes (1 byte: "[*]" is for patterns only, and is parsed)
        // and no '[', '=', '?' or U+0000 in it: the word test of scan_qualifier, from byte 1.
        const qualifier_flags f = qualifier_word(w, high_bits & ~u64{0xFF});
        const unsigned at = f.close == 0 ? 0 : static_cast<unsigned>(std::countr_zero(f.close)) >> 3;
        if (at >= 3 && (f.bad | f.params) == 0) {
          *body = at + 1;
          return s[at + 1] == '[' ? no_state : states[qualifier_state].next;
        }
      }
    }
    return qualifier(s, n, body);
  }

  // Parses "[q=v?p]" at the start of s: sets *body to the first byte of the body and returns
  // the state (DFA) or root (trie) for the qualifier, or no_state if the name is invalid.
  CAPMATCH_DETAIL_NOINLINE constexpr u32 qualifier(const char* s, std::size_t n, std::size_t* body) const noexcept {
    const qualifier_scan q = scan_qualifier(s, n);
    if (q.close == 0) return no_state;
    const std::size_t close = q.close, params = q.params, qend = params == 0 ? close : params;
    *body = close + 1;
    if (close + 1 == n || s[close + 1] == '[') return no_state;  // no body, or a second qualifier
    if (qend == 1) return params != 0 && s[params] == '?' ? start : no_state;  // "[?p]x" is unqualified
    if (qend == 2 && s[1] == '*') return no_state;  // [*] is for patterns only
    segment g;
    g.len = qend - 1;
    if (g.len <= 8) {
      g.key = word_from(s, n, 1) & (~u64{0} >> (64 - 8 * g.len));
    } else {
      const std::string_view name(s + 1, g.len);
      g.key = segment_key(name);
      if (g.len <= 16) g.w0 = word_at(name, 0), g.w1 = word_at(name, 8);
    }
    return find(ref(qualifier_state), g, s, 1, states[qualifier_state].next, !walk);
  }

  // A check. The common case — a DFA and a name of at most short_name_bytes bytes — is
  // inlined into the caller; qualifiers, longer names and the trie walk are calls.
  CAPMATCH_DETAIL_INLINE constexpr op_set ops_for(std::string_view name) const noexcept {
    const char* s = name.data();
    const std::size_t n = name.size();
    if (n == 0 || n > max_resource_bytes) return {};
    std::size_t pos = 0;
    u32 st = start;
    if (s[0] == '[') {
      st = quick_qualifiers_or_parse(s, n, &pos);
      if (st == no_state) return {};
    }
    if (walk || n > short_name_bytes || n < 8) return other_ops(s, n, pos, st);
    if (st == dead) return {};  // no pattern covers this qualifier class: nothing to validate for
    return short_ops(s, n, pos, st);
  }

  // Longer names (scanned a word at a time) and the trie walk.
  CAPMATCH_DETAIL_NOINLINE constexpr op_set other_ops(const char* s, std::size_t n, std::size_t pos,
                                                      u32 st) const noexcept {
    if (!utf8_valid(std::string_view(s, n))) return {};  // (its ASCII runs: 8 bytes per step)
    if (walk) return walk_ops(s, n, pos, st);
    u32 acc = 0;
    std::size_t left = max_segments;
    if (const state_rec& r = state(st); (r.term >> run_shift) != 0) {
      // A run: its segments are the name's next bytes, or the automaton is dead.
      const std::size_t len = r.term >> run_shift, end = pos + len;
      acc = r.trail;
      if (!run_matches(r, s, n, pos)) return acc != 0 && rest_valid_words(s, n, pos, left) ? finish(acc) : op_set{};
      const char* run = pool + r.aux;
      const auto segments = static_cast<std::size_t>(1 + std::count(run, run + len, ':'));
      if (segments > left) return {};  // (patterns are held to max_segments too; never taken)
      left -= segments;
      st = r.next;
      if (end == n) return finish(acc | state(st).term);
      pos = end + 1;
      if (st == dead) return acc != 0 && rest_valid_words(s, n, pos, left) ? finish(acc) : op_set{};
    }
    for (;;) {
      const state_rec& r = state(st);
      const segment g = scan_segment(s, n, pos);
      if (!g.ok || left-- == 0) return {};
      st = step(st, r, g.key, g.w0, g.w1, g.len, s, pos, acc);
      if (g.last) return finish(acc | state(st).term);
      pos += g.len + 1;
      // Nothing more can be granted: what was, stands if the rest of the name is valid.
      if (st == dead) return acc != 0 && rest_valid_words(s, n, pos, left) ? finish(acc) : op_set{};
    }
  }

  // The automaton over a name of at most short_name_bytes bytes: the segment boundaries come
  // from a stop mask of the whole name, so finding the next segment is two instructions
  // (clear the lowest bit, count trailing zeros) instead of a scan, and the whole name is
  // validated from the mask before the automaton runs. Such a name has at most 32 segments,
  // under max_segments.
  CAPMATCH_DETAIL_INLINE constexpr op_set short_ops(const char* s, std::size_t n, std::size_t pos,
                                                    u32 st) const noexcept {
    static_assert(short_name_bytes <= 64 && (short_name_bytes + 1) / 2 <= max_segments);
    // 8 <= n <= short_name_bytes (shorter names take the word loop: the keys here are loads
    // of 8 bytes that end at the name's end at the latest).
    const name_stops_t stops = name_stops(s, n);
    u64 m = stops.colons & (~u64{0} << pos);  // pos < n <= 64
    // Invalid: U+0000, or an empty segment (the body starts or ends with ':' or holds "::").
    if (stops.nul || ((m >> pos) & 1) != 0 || ((m >> (n - 1)) & 1) != 0 || (m & (m >> 1)) != 0) return {};
    if (stops.high && !utf8_valid(std::string_view(s, n))) return {};  // not well-formed UTF-8
    u32 acc = 0;
    if (const state_rec& r = state(st); (r.term >> run_shift) != 0) {
      // A run: its segments are the name's next bytes, or the automaton is dead.
      const std::size_t end = pos + (r.term >> run_shift);
      acc = r.trail;
      if (!run_matches(r, s, n, pos)) return finish(acc);  // (the name is valid)
      st = r.next;
      if (end == n) return finish(acc | state(st).term);
      if (st == dead) return finish(acc);
      pos = end + 1;  // < n: the name does not end with ':'
      m &= ~u64{0} << pos;
    }
    for (;;) {
      const state_rec& r = state(st);
      const bool last = m == 0;
      const std::size_t end = last ? n : static_cast<std::size_t>(std::countr_zero(m));
      const std::size_t len = end - pos;
      u64 key, w0 = 0, w1 = 0;
      if (len <= 8) {
        // The word at pos, or for a segment in the last 8 bytes the name's last word shifted
        // down: never a byte beyond the name, and no branch on where the segment lies.
        const std::size_t at = pos + 8 <= n ? pos : n - 8;
        key = (load8(s + at) >> (8 * (pos - at))) & (~u64{0} >> (64 - 8 * len));
      } else if (len <= 16) {
        w0 = load8(s + pos);
        w1 = word_from(s, n, pos + 8) & (~u64{0} >> (64 - 8 * (len - 8)));
        key = medium_key(w0, w1);
      } else {
        key = long_key(s, pos, end);
      }
      st = step(st, r, key, w0, w1, len, s, pos, acc);
      if (last) return finish(acc | state(st).term);
      if (st == dead) return finish(acc);  // nothing more can be granted; the name is valid
      pos = end + 1;
      m &= m - 1;
    }
  }

  // The fallback: a depth-first walk of the trie from the qualifier's root and the [*] root,
  // each node visited at most once, no stack (parents are stored in the nodes).
  [[nodiscard]] constexpr op_set walk_ops(const char* s, std::size_t n, std::size_t body,
                                          u32 root) const noexcept {
    if (!rest_valid(s, n, body, max_segments)) return {};
    u32 acc = 0;
    const u32 roots[2] = {root, any_root};
    for (const u32 r : roots) {
      if (r == dead) continue;
      u32 node = r;
      std::size_t pos = body;  // start of the next segment; n + 1 when none is left
      for (;;) {
        // Descend from `node` with the segment at pos.
        bool descended = false;
        if (pos == n + 1) {
          acc |= state(node).term;
        } else {
          acc |= state(node).trail;
          const segment g = scan_segment(s, n, pos);
          u32 child = find(node, g, s, pos, dead, false);
          if (child == dead) child = state(node).next;
          if (child != dead) {
            node = child;
            pos += g.len + 1;
            descended = true;
          }
        }
        if (descended) continue;
        // Ascend until a node has an untried `*` child.
        bool resumed = false;
        while (node != r) {
          const u32 parent = state(node).aux;
          const u32 star = state(parent).next;
          pos = previous_segment(s, body, pos);
          const bool was_star = star == node;
          node = parent;
          if (!was_star && star != dead) {
            node = star;
            pos = segment_end(s, n, pos) + 1;
            resumed = true;
            break;
          }
        }
        if (!resumed) break;
      }
    }
    return finish(acc);
  }

  // Start of the segment before the one starting at pos (pos may be n + 1: past the end).
  [[nodiscard]] static constexpr std::size_t previous_segment(const char* s, std::size_t body,
                                                              std::size_t pos) noexcept {
    std::size_t i = pos - 1;  // the ':' (or the end) that closed the previous segment
    while (i > body && s[i - 1] != ':') --i;
    return i;
  }
  [[nodiscard]] static constexpr std::size_t segment_end(const char* s, std::size_t n, std::size_t pos) noexcept {
    while (pos < n && s[pos] != ':') ++pos;
    return pos;
  }
};

// ---- construction ----

/// A growable open-addressing index of items 0..n-1 by 64-bit hash (construction only).
struct index_map {
  std::vector<u32> slots;  // item + 1, 0 when empty
  std::size_t count = 0;

  template <class Same>
  [[nodiscard]] constexpr u32 find(u64 h, Same&& same) const {
    if (slots.empty()) return no_state;
    const std::size_t mask = slots.size() - 1;
    for (std::size_t i = static_cast<std::size_t>((h * k_mul) >> 32) & mask;; i = (i + 1) & mask) {
      if (slots[i] == 0) return no_state;
      if (same(slots[i] - 1)) return slots[i] - 1;
    }
  }
  /// Sizes the table for `n` items up front (one allocation instead of a growth sequence).
  constexpr void reserve(std::size_t n) {
    if (!slots.empty() || n <= 8) return;  // the first insert allocates 16 slots anyway
    std::size_t size = 16;
    while (size < 2 * n) size *= 2;
    slots.assign(size, 0);
  }
  template <class HashOf>
  constexpr void insert(u64 h, u32 item, HashOf&& hash_of) {
    if (2 * (count + 1) > slots.size()) {
      std::vector<u32> old(slots.size() < 16 ? 16 : 2 * slots.size(), 0);
      old.swap(slots);
      for (const u32 v : old)
        if (v != 0) place(hash_of(v - 1), v - 1);
    }
    place(h, item);
    ++count;
  }

 private:
  constexpr void place(u64 h, u32 item) {
    const std::size_t mask = slots.size() - 1;
    std::size_t i = static_cast<std::size_t>((h * k_mul) >> 32) & mask;
    while (slots[i] != 0) i = (i + 1) & mask;
    slots[i] = item + 1;
  }
};

/// The one slot of an empty transition table (home range 0): every probe ends there.
inline constexpr edge_rec empty_edge{};
inline constexpr long_edge_rec empty_long_edge{};
/// The dead state and the qualifier pseudo-state of a matcher that grants nothing.
inline constexpr state_rec empty_states[2]{};

/// Everything a matcher owns; built by build(), queried through view().
struct storage : header {
  std::vector<state_rec> states;
  std::vector<edge_rec> edges;
  std::vector<long_edge_rec> long_edges;
  std::vector<char> pool;
  std::size_t patterns = 0;

  [[nodiscard]] constexpr tables view() const noexcept {
    if (states.empty())  // moved from: grants nothing
      return tables(header{}, empty_states, &empty_edge, &empty_long_edge, nullptr);
    return tables(*this, states.data(), edges.empty() ? &empty_edge : edges.data(),
                  long_edges.empty() ? &empty_long_edge : long_edges.data(), pool.data());
  }
};

struct seg_info {
  u64 key = 0;
  u32 offset = 0, size = 0;  // bytes in builder::seg_text
};
struct trie_edge {
  u32 node = 0, sid = 0, child = 0;
};
struct transition {
  u32 from = 0, sid = 0, to = 0;
};

[[nodiscard]] constexpr u64 mix2(u64 a, u64 b) noexcept { return (a ^ (b * k_state)) * k_mul + (b >> 17); }

class builder {
 public:
  constexpr builder(const capability& cap, matcher_mode mode) { build(cap, mode); }
  storage out;

 private:
  // Segments (and qualifier names), interned.
  std::vector<char> seg_text;
  std::vector<seg_info> segs;
  index_map seg_index;
  // The trie. Node 0 is the dead node, 1 the qualifier pseudo-node, 2 the unqualified root,
  // 3 the [*] root; named roots and inner nodes follow.
  std::vector<state_rec> nodes;
  std::vector<trie_edge> tedges;
  index_map tedge_index;
  std::vector<trie_edge> qualifier_edges;  // (1, qualifier sid, named root)

  [[nodiscard]] constexpr std::string_view seg_view(u32 sid) const noexcept {
    return std::string_view(seg_text.data() + segs[sid].offset, segs[sid].size);
  }
  [[nodiscard]] static constexpr u64 seg_hash(u64 key, std::size_t size) noexcept { return key ^ (size << 56); }

  constexpr u32 intern(std::string_view seg) {
    const u64 key = segment_key(seg);
    const u64 h = seg_hash(key, seg.size());
    const u32 found = seg_index.find(h, [&](u32 i) { return segs[i].key == key && seg_view(i) == seg; });
    if (found != no_state) return found;
    const auto id = static_cast<u32>(segs.size());
    segs.push_back(seg_info{key, static_cast<u32>(seg_text.size()), static_cast<u32>(seg.size())});
    seg_text.insert(seg_text.end(), seg.begin(), seg.end());
    seg_index.insert(h, id, [&](u32 i) { return seg_hash(segs[i].key, segs[i].size); });
    return id;
  }

  constexpr u32 new_node(u32 parent, bool star) {
    const auto id = static_cast<u32>(nodes.size());
    nodes.push_back(state_rec{dead, 0, 0, parent | (star ? star_child_flag : 0)});
    return id;
  }

  constexpr u32 literal_child(u32 node, u32 sid) {
    const u64 h = mix2(node, sid);
    const u32 found =
        tedge_index.find(h, [&](u32 i) { return tedges[i].node == node && tedges[i].sid == sid; });
    if (found != no_state) return tedges[found].child;
    const u32 child = new_node(node, false);
    const auto id = static_cast<u32>(tedges.size());
    tedges.push_back(trie_edge{node, sid, child});
    tedge_index.insert(h, id, [&](u32 i) { return mix2(tedges[i].node, tedges[i].sid); });
    return child;
  }

  constexpr u32 star_child(u32 node) {
    if (nodes[node].next == dead) {
      const u32 child = new_node(node, true);
      nodes[node].next = child;
    }
    return nodes[node].next;
  }

  constexpr void add_pattern(u32 root, std::string_view body, u32 ops) {
    u32 node = root;
    std::size_t pos = 0;
    for (;;) {
      const auto colon = body.find(':', pos);
      const bool last = colon == std::string_view::npos;
      const std::string_view seg = body.substr(pos, last ? std::string_view::npos : colon - pos);
      if (last && seg == "*") {
        nodes[node].trail |= ops;
        return;
      }
      node = seg == "*" ? star_child(node) : literal_child(node, intern(seg));
      if (last) {
        nodes[node].term |= ops;
        return;
      }
      pos = colon + 1;
    }
  }

  constexpr void build(const capability& cap, matcher_mode mode) {
    out.patterns = cap.size();
    // Sized up front from the capability (segments and bytes): building a small matcher is
    // mostly allocation otherwise.
    std::size_t segments = 0, bytes = 0;  // literal segments (and qualifier names), their bytes
    for (std::size_t i = 0; i < cap.size(); ++i) {
      const pattern p = cap.pattern_at(i);
      if (!p.qualifier.empty()) ++segments, bytes += p.qualifier.size();
      for (std::size_t pos = 0, end; pos <= p.body.size(); pos = end + 1) {
        end = std::min(p.body.find(':', pos), p.body.size());
        if (end - pos != 1 || p.body[pos] != '*') ++segments, bytes += end - pos;
      }
    }
    seg_text.reserve(bytes);
    segs.reserve(segments);
    seg_index.reserve(segments);
    nodes.reserve(segments + 4);
    tedges.reserve(segments);
    tedge_index.reserve(segments);
    nodes.resize(4);
    nodes[0].aux = 0;
    std::vector<u32> qualifier_roots;  // indexed by sid: root + 1, 0 when absent
    for (std::size_t i = 0; i < cap.size(); ++i) {
      const pattern p = cap.pattern_at(i);
      const u32 ops = cap.ops(i).bits();
      if (p.covers_all_channels()) out.app_wide |= ops;
      if (p.matches_nothing()) continue;
      u32 root = p.kind == qualifier_kind::none ? 2u : 3u;
      if (p.kind == qualifier_kind::named) {
        const u32 q = intern(p.qualifier);
        if (qualifier_roots.size() <= q) qualifier_roots.resize(q + 1, 0);
        if (qualifier_roots[q] == 0) {
          qualifier_roots[q] = new_node(qualifier_state, false) + 1;
          qualifier_edges.push_back(trie_edge{qualifier_state, q, qualifier_roots[q] - 1});
        }
        root = qualifier_roots[q] - 1;
      }
      add_pattern(root, p.body, ops);
    }
    // Literal edges grouped by node, for determinisation and for the trie tables.
    std::sort(tedges.begin(), tedges.end(), [](const trie_edge& a, const trie_edge& b) {
      return a.node != b.node ? a.node < b.node : a.sid < b.sid;
    });
    tedge_index = index_map{};
    if (mode == matcher_mode::automatic && determinise()) return;
    // Fallback: the trie itself.
    out.walk = true;
    out.start = 2;
    out.any_root = 3;
    out.states = nodes;
    out.states[qualifier_state].next = dead;
    std::vector<transition> ts;
    ts.reserve(tedges.size() + qualifier_edges.size());
    for (const auto& e : qualifier_edges) ts.push_back(transition{e.node, e.sid, e.child});
    for (const auto& e : tedges) ts.push_back(transition{e.node, e.sid, e.child});
    emit(ts, false);
  }

  // Subset construction over the trie. Returns false (leaving `out` untouched) when the
  // automaton would exceed the documented bound.
  constexpr bool determinise() {
    const std::size_t limit = matcher_dfa_growth * (nodes.size() + tedges.size()) + matcher_dfa_slack;
    std::vector<u32> node_edges(nodes.size() + 1, 0);  // per node: range in tedges
    for (const auto& e : tedges) ++node_edges[e.node + 1];
    for (std::size_t i = 1; i < node_edges.size(); ++i) node_edges[i] += node_edges[i - 1];

    std::vector<u32> set_items;        // the trie nodes of every state, concatenated
    std::vector<u32> set_offsets{0, 0, 0};  // state i: [set_offsets[i], set_offsets[i+1]); 0 dead, 1 qualifier
    index_map set_index;
    set_items.reserve(2 * nodes.size());
    set_offsets.reserve(nodes.size() + 3);
    set_index.reserve(nodes.size());
    auto set_hash = [](const u32* p, std::size_t n) {
      u64 h = n;
      for (std::size_t i = 0; i < n; ++i) h = mix2(h, p[i]);
      return h;
    };
    auto hash_of_state = [&](u32 st) {
      return set_hash(set_items.data() + set_offsets[st], set_offsets[st + 1] - set_offsets[st]);
    };
    set_index.insert(set_hash(nullptr, 0), dead, hash_of_state);
    std::size_t work = 2;
    bool over = false;
    // The state for a sorted, duplicate-free set of trie nodes (interned).
    auto state_of = [&](const std::vector<u32>& set) -> u32 {
      const u64 h = set_hash(set.data(), set.size());
      const u32 found = set_index.find(h, [&](u32 st) {
        const u32 b = set_offsets[st], e = set_offsets[st + 1];
        if (e - b != set.size()) return false;
        for (u32 i = 0; i < set.size(); ++i)
          if (set_items[b + i] != set[i]) return false;
        return true;
      });
      if (found != no_state) return found;
      const auto id = static_cast<u32>(set_offsets.size() - 1);
      set_items.insert(set_items.end(), set.begin(), set.end());
      set_offsets.push_back(static_cast<u32>(set_items.size()));
      set_index.insert(h, id, hash_of_state);
      work += 1 + set.size();  // a state, and the set elements that stand for it
      if (work > limit) over = true;
      return id;
    };
    // A trie node worth tracking: it grants something or leads somewhere.
    auto live = [&](u32 node) {
      const auto& r = nodes[node];
      return r.next != dead || r.trail != 0 || r.term != 0 || node_edges[node + 1] != node_edges[node];
    };
    std::vector<u32> set;
    auto start_set = [&](u32 a, u32 b) {
      set.clear();
      if (a != dead && live(a)) set.push_back(a);
      if (b != dead && live(b)) set.push_back(b);
      std::sort(set.begin(), set.end());
      return state_of(set);
    };

    std::vector<state_rec> states(3);
    std::vector<transition> ts;
    states.reserve(nodes.size() + 3);
    ts.reserve(tedges.size() + qualifier_edges.size());
    const u32 start = start_set(2, 3);
    const u32 other = start_set(3, dead);
    states[qualifier_state].next = other;
    for (const auto& q : qualifier_edges) ts.push_back(transition{qualifier_state, q.sid, start_set(q.child, 3)});

    std::vector<u32> stars, gathered_sid, group;
    std::vector<trie_edge> gathered;
    for (u32 st = 2; st + 1 < set_offsets.size() && !over; ++st) {
      const u32 b = set_offsets[st], e = set_offsets[st + 1];
      state_rec rec;
      stars.clear();
      gathered.clear();
      for (u32 i = b; i < e; ++i) {
        const u32 node = set_items[i];
        rec.trail |= nodes[node].trail;
        rec.term |= nodes[node].term;
        if (nodes[node].next != dead && live(nodes[node].next)) stars.push_back(nodes[node].next);
        for (u32 k = node_edges[node]; k < node_edges[node + 1]; ++k)
          if (live(tedges[k].child)) gathered.push_back(tedges[k]);
      }
      std::sort(stars.begin(), stars.end());
      if (e - b > 1)
        std::sort(gathered.begin(), gathered.end(), [](const trie_edge& x, const trie_edge& y) {
          return x.sid != y.sid ? x.sid < y.sid : x.child < y.child;
        });
      work += gathered.size();
      rec.next = state_of(stars);
      for (std::size_t i = 0; i < gathered.size();) {
        std::size_t j = i;
        set.clear();
        while (j < gathered.size() && gathered[j].sid == gathered[i].sid) set.push_back(gathered[j++].child);
        if (!stars.empty()) {
          set.insert(set.end(), stars.begin(), stars.end());
          // Not std::inplace_merge: it is not constexpr (it may allocate), and construction must be.
          std::sort(set.begin(), set.end());
        }
        ts.push_back(transition{st, gathered[i].sid, state_of(set)});
        if (++work > limit) over = true;
        i = j;
      }
      if (states.size() <= st) states.resize(st + 1);
      states[st] = rec;
    }
    if (over) return false;
    states.resize(set_offsets.size() - 1);
    u32 first_state = start;
    minimise(states, ts, first_state);
    compress_runs(states, ts, first_state);
    out.walk = false;
    out.start = first_state;
    out.states = std::move(states);
    emit(ts, true);
    return true;
  }

  // Merges equivalent states (same masks, same default, same transitions to equivalent
  // states): the many states where one pattern ends and nothing follows collapse into one
  // per op set. Transitions only go to higher-numbered states (or dead), so one pass from
  // the last state down suffices. Renumbers `states` and `ts` in place.
  static constexpr void minimise(std::vector<state_rec>& states, std::vector<transition>& ts, u32& start) {
    const auto count = static_cast<u32>(states.size());
    std::vector<u32> first(count + 1, 0);  // transitions of state i: [first[i], first[i+1]) in ts
    for (const auto& t : ts) ++first[t.from + 1];
    for (u32 i = 1; i <= count; ++i) first[i] += first[i - 1];
    std::vector<u32> rep(count, 0);
    rep[qualifier_state] = qualifier_state;
    index_map sigs;
    auto hash_of = [&](u32 st) {
      u64 h = mix2(mix2(states[st].trail, states[st].term), rep[states[st].next]);
      for (u32 k = first[st]; k < first[st + 1]; ++k) h = mix2(mix2(h, ts[k].sid), rep[ts[k].to]);
      return h;
    };
    auto same = [&](u32 a, u32 b) {
      if (states[a].trail != states[b].trail || states[a].term != states[b].term ||
          rep[states[a].next] != rep[states[b].next] || first[a + 1] - first[a] != first[b + 1] - first[b])
        return false;
      for (u32 k = 0; k < first[a + 1] - first[a]; ++k) {
        const transition& x = ts[first[a] + k];
        const transition& y = ts[first[b] + k];
        if (x.sid != y.sid || rep[x.to] != rep[y.to]) return false;
      }
      return true;
    };
    sigs.insert(hash_of(dead), dead, hash_of);
    for (u32 st = count - 1; st >= 2; --st) {
      const u64 h = hash_of(st);
      const u32 found = sigs.find(h, [&](u32 other) { return same(st, other); });
      if (found != no_state) {
        rep[st] = found;
      } else {
        rep[st] = st;
        sigs.insert(h, st, hash_of);
      }
    }
    // Renumber the representatives in order; drop the others.
    std::vector<u32> id(count, 0);
    u32 next_id = 2;
    id[qualifier_state] = qualifier_state;
    for (u32 st = 2; st < count; ++st)
      if (rep[st] == st) id[st] = next_id++;
    std::vector<state_rec> out_states(next_id);
    out_states[qualifier_state] = states[qualifier_state];
    out_states[qualifier_state].next = id[rep[states[qualifier_state].next]];
    std::vector<transition> out_ts;
    for (const auto& t : ts) {
      if (rep[t.from] != t.from) continue;
      out_ts.push_back(transition{id[t.from], t.sid, id[rep[t.to]]});
    }
    for (u32 st = 2; st < count; ++st) {
      if (rep[st] != st) continue;
      state_rec r = states[st];
      r.next = id[rep[r.next]];
      out_states[id[st]] = r;
    }
    states = std::move(out_states);
    ts = std::move(out_ts);
    start = id[rep[start]];
  }

  // Runs. A state with one literal transition and no default one (a path through the
  // patterns, such as every state of "tenant7:room:42" when nothing else shares it) does not
  // need the transition table: the check compares the name's bytes with the segment's. Going
  // on while the next state is the same and grants nothing (trail and term 0), the literal
  // segments join into one run "tenant7:room:42", compared as bytes in one go; the states
  // inside a run are then only reachable through it and are dropped. Runs are written to the
  // pool by emit. Renumbers `states` and `ts` in place.
  struct run_info {
    u32 state = 0, target = 0, offset = 0, size = 0;  // bytes in run_text
  };
  std::vector<run_info> runs;
  std::vector<char> run_text;

  constexpr void compress_runs(std::vector<state_rec>& states, std::vector<transition>& ts, u32& start) {
    const auto count = static_cast<u32>(states.size());
    std::vector<u32> degree(count, 0), only(count, 0);  // only: the index in ts of a state's transition
    for (u32 i = 0; i < ts.size(); ++i) {
      ++degree[ts[i].from];
      only[ts[i].from] = i;
    }
    // Entry states: where a check starts (per qualifier class). Only those that nothing else
    // leads to start runs, so the check looks for a run once, before its loop.
    std::vector<u8> entry(count, 0), entered(count, 0);
    entry[start] = 1;
    entry[states[qualifier_state].next] = 1;
    for (const auto& t : ts) (t.from == qualifier_state ? entry : entered)[t.to] = 1;
    for (u32 st = 2; st < count; ++st) entered[states[st].next] = 1;
    auto one_way = [&](u32 st) { return st >= 2 && degree[st] == 1 && states[st].next == dead; };
    auto inside_run = [&](u32 st) { return one_way(st) && states[st].trail == 0 && states[st].term == 0; };
    std::vector<u32> run_of(count, no_state);  // the run a state starts
    for (u32 st = 2; st < count; ++st) {
      if (!entry[st] || entered[st] || !one_way(st)) continue;
      run_info r{st, 0, static_cast<u32>(run_text.size()), 0};
      for (u32 at = st;;) {
        const std::string_view seg = seg_view(ts[only[at]].sid);
        if (at != st) run_text.push_back(':');
        run_text.insert(run_text.end(), seg.begin(), seg.end());
        at = ts[only[at]].to;
        r.target = at;
        if (!inside_run(at) || run_text.size() - r.offset + 1 + segs[ts[only[at]].sid].size > max_resource_bytes) break;
      }
      r.size = static_cast<u32>(run_text.size()) - r.offset;
      run_of[st] = static_cast<u32>(runs.size());
      runs.push_back(r);
    }
    // Keep the states still reachable: from the start states, through defaults, transitions
    // of non-run states, and runs (states are numbered in breadth order of depth: one pass).
    std::vector<u8> keep(count, 0);
    keep[dead] = keep[qualifier_state] = 1;
    keep[start] = 1;
    keep[states[qualifier_state].next] = 1;
    std::vector<u32> first(count + 1, 0);
    for (const auto& t : ts) ++first[t.from + 1];
    for (u32 i = 1; i <= count; ++i) first[i] += first[i - 1];
    for (u32 st = 1; st < count; ++st) {
      if (!keep[st]) continue;
      keep[states[st].next] = 1;
      if (run_of[st] != no_state) {
        keep[runs[run_of[st]].target] = 1;
        continue;
      }
      for (u32 k = first[st]; k < first[st + 1]; ++k) keep[ts[k].to] = 1;
    }
    std::vector<u32> id(count, 0);
    u32 next_id = 0;
    for (u32 st = 0; st < count; ++st)
      if (keep[st]) id[st] = next_id++;
    std::vector<state_rec> out_states(next_id);
    for (u32 st = 0; st < count; ++st) {
      if (!keep[st]) continue;
      state_rec r = states[st];
      r.next = id[r.next];
      out_states[id[st]] = r;
    }
    std::vector<transition> out_ts;
    for (const auto& t : ts)
      if (keep[t.from] && run_of[t.from] == no_state) out_ts.push_back(transition{id[t.from], t.sid, id[t.to]});
    for (auto& r : runs) {
      r.state = id[r.state];
      r.target = id[r.target];
    }
    states = std::move(out_states);
    ts = std::move(out_ts);
    start = id[start];
  }

  // Lays the transitions out in the two open-addressing tables (load factor <= 2/3).
  constexpr void emit(const std::vector<transition>& ts, bool filter) {
    std::size_t n_short = 0, n_long = 0;
    for (const auto& t : ts) (segs[t.sid].size <= 8 ? n_short : n_long)++;
    // An empty table stays empty: lookups then probe a shared empty slot (storage::view).
    out.edge_cap = n_short == 0 ? 0 : static_cast<u32>(n_short + n_short / 2 + 1);
    out.long_cap = n_long == 0 ? 0 : static_cast<u32>(n_long + n_long / 2 + 1);
    out.edges.assign(n_short == 0 ? 0 : out.edge_cap + 1, edge_rec{});
    out.long_edges.assign(n_long == 0 ? 0 : out.long_cap + 1, long_edge_rec{});
    std::vector<u32> pool_at(segs.size(), no_state);
    for (const auto& t : ts) {
      const seg_info& g = segs[t.sid];
      const u64 hk = g.key * k_mul;
      if (filter) out.states[t.from].aux |= filter_bit(hk);
      if (g.size <= 8) {
        place(out.edges, home_slot(hk, ref(t.from), out.edge_cap), edge_rec{g.key, ref(t.from), ref(t.to)});
      } else {
        if (pool_at[t.sid] == no_state) {  // each segment's bytes once
          pool_at[t.sid] = static_cast<u32>(out.pool.size());
          const std::string_view bytes = seg_view(t.sid);
          out.pool.insert(out.pool.end(), bytes.begin(), bytes.end());
          if (bytes.size() < 16) out.pool.resize(pool_at[t.sid] + 16, '\0');  // compared as two padded words
        }
        const u32 off = pool_at[t.sid];
        place(out.long_edges, home_slot(hk, ref(t.from), out.long_cap),
              long_edge_rec{g.key, ref(t.from), ref(t.to), off, g.size});
      }
    }
    // Runs: their bytes in the pool. A check reads a run 8 bytes at a time and its last word
    // as the one ending at the run's end, which reaches back before the start of a run shorter
    // than 8 bytes: so those come after the others, with zero bytes before them only if the
    // pool is still too short. No run needs padding after it.
    for (const bool short_ones : {false, true})
      for (const auto& r : runs) {
        if ((r.size < 8) != short_ones) continue;
        if (out.pool.size() + r.size < 8) out.pool.resize(8 - r.size, '\0');
        state_rec& st = out.states[r.state];
        st.next = r.target;
        st.term |= r.size << run_shift;
        st.aux = static_cast<u32>(out.pool.size());
        out.pool.insert(out.pool.end(), run_text.begin() + r.offset, run_text.begin() + r.offset + r.size);
      }
    // State references: the default transition (trie: the `*` child), and in trie-walk mode the parent.
    for (auto& st : out.states) {
      st.next = ref(st.next);
      if (!filter) st.aux = ref(st.aux & ~star_child_flag);
    }
    out.start = ref(out.start);
    out.any_root = ref(out.any_root);
    // The quick qualifiers: the first few short qualifier names, in pattern order.
    std::size_t quick = 0;
    out.quick_all = true;
    for (const auto& t : ts) {
      const std::string_view q = seg_view(t.sid);
      if (t.from != qualifier_state || q.size() > quick_qualifier_bytes) continue;
      if (quick == quick_qualifiers) {
        out.quick_all = false;
        continue;
      }
      const std::size_t size = q.size() + 2;  // "[" q "]", at most 8 bytes
      const u64 key = u64{'['} | word_at(q, 0) << 8 | u64{']'} << (8 * (size - 1));
      out.quick[quick++] = quick_qualifier{key, ~u64{0} >> (64 - 8 * size), ref(t.to), static_cast<u32>(size)};
    }
  }

  // Linear probing without wrap-around: overflow slots are appended, and the table always
  // ends with an empty slot, so a lookup needs no bounds check.
  // (Two overloads, not a template: clang 14 cannot evaluate a member template instantiated here.)
  static constexpr void place(std::vector<edge_rec>& table, u32 home, const edge_rec& rec) {
    std::size_t i = home;
    while (table[i].from != no_state) ++i;
    table[i] = rec;
    if (i + 1 == table.size()) table.push_back(edge_rec{});
  }
  static constexpr void place(std::vector<long_edge_rec>& table, u32 home, const long_edge_rec& rec) {
    std::size_t i = home;
    while (table[i].from != no_state) ++i;
    table[i] = rec;
    if (i + 1 == table.size()) table.push_back(long_edge_rec{});
  }
};

}  // namespace detail::cm

/// Table sizes of a compiled matcher: the template arguments of a fixed_matcher.
struct matcher_shape {
  std::size_t states = 0, edges = 0, long_edges = 0, pool = 0;
  friend constexpr bool operator==(const matcher_shape&, const matcher_shape&) = default;
};

/// A capability compiled for fast checks. Immutable after construction; any number of
/// threads may check concurrently. Answers equal capability::ops_for / allows exactly.
class matcher {
 public:
  /// A matcher that grants nothing.
  constexpr matcher() : matcher(capability{}) {}
  /// Compiles `cap` (constexpr: usable during constant evaluation).
  constexpr explicit matcher(const capability& cap, matcher_mode mode = matcher_mode::automatic)
      : s_(std::move(detail::cm::builder(cap, mode).out)), t_(s_.view()) {}
  // The view t_ points into s_'s vectors: copies and moves take a fresh one.
  constexpr matcher(const matcher& o) : s_(o.s_), t_(s_.view()) {}
  constexpr matcher(matcher&& o) noexcept : s_(std::move(o.s_)), t_(s_.view()) { o.t_ = o.s_.view(); }
  constexpr matcher& operator=(const matcher& o) {
    if (this != &o) {
      s_ = o.s_;
      t_ = s_.view();
    }
    return *this;
  }
  constexpr matcher& operator=(matcher&& o) noexcept {
    if (this != &o) {
      s_ = std::move(o.s_);
      t_ = s_.view();
      o.t_ = o.s_.view();
    }
    return *this;
  }
  constexpr ~matcher() = default;

  /// Union of the operations of every pattern that matches `name`; empty for an invalid name.
  [[nodiscard]] constexpr op_set ops_for(std::string_view name) const noexcept { return t_.ops_for(name); }
  /// True when `op` is allowed on `name`; app-wide operations never are (see allows_app_wide).
  [[nodiscard]] constexpr bool allows(std::string_view name, operation op) const noexcept {
    return !is_app_wide(op) && ops_for(name).contains(op);
  }
  /// True when `op` is granted on "*" or "[*]*" (SEMANTICS §12), as capability::allows_app_wide.
  [[nodiscard]] constexpr bool allows_app_wide(operation op) const noexcept {
    return op_set::from_bits(s_.app_wide).contains(op);
  }
  [[nodiscard]] constexpr bool allows_channel_enumeration() const noexcept {
    return allows_app_wide(operation::channel_metadata);
  }

  /// False when the automaton bound was exceeded (or trie_walk requested) and checks walk the trie.
  [[nodiscard]] constexpr bool determinised() const noexcept { return !s_.walk; }
  /// Number of patterns compiled.
  [[nodiscard]] constexpr std::size_t pattern_count() const noexcept { return s_.patterns; }
  /// Bytes of table memory (states, transitions, long-segment and run bytes), excluding this
  /// object (sizeof(matcher), which holds the quick-qualifier table and the tables' view).
  [[nodiscard]] constexpr std::size_t memory_bytes() const noexcept {
    return s_.states.size() * sizeof(detail::cm::state_rec) + s_.edges.size() * sizeof(detail::cm::edge_rec) +
           s_.long_edges.size() * sizeof(detail::cm::long_edge_rec) + s_.pool.size();
  }
  /// Number of automaton states (or trie nodes in trie-walk mode).
  [[nodiscard]] constexpr std::size_t state_count() const noexcept { return s_.states.size(); }
  /// Sizes of the tables, to copy them into a fixed_matcher.
  [[nodiscard]] constexpr matcher_shape shape() const noexcept {
    return {s_.states.size(), s_.edges.size(), s_.long_edges.size(), s_.pool.size()};
  }
  /// The flat tables (internal; used by fixed_matcher).
  [[nodiscard]] constexpr const detail::cm::storage& raw_tables() const noexcept { return s_; }

 private:
  detail::cm::storage s_;
  detail::cm::tables t_;  // what a check reads: pointers into s_
};

/// A matcher's tables in fixed-size arrays (static storage, no heap), e.g. computed during
/// compilation: `constexpr fixed_matcher<shape.states, shape.edges, shape.long_edges, shape.pool>
/// m{matcher{cap}};`. Checks run the same code as matcher's.
template <std::size_t States, std::size_t Edges, std::size_t LongEdges, std::size_t Pool>
class fixed_matcher {
 public:
  constexpr explicit fixed_matcher(const matcher& m) noexcept {
    const auto& s = m.raw_tables();
    for (std::size_t i = 0; i < States && i < s.states.size(); ++i) states_[i] = s.states[i];
    for (std::size_t i = 0; i < Edges && i < s.edges.size(); ++i) edges_[i] = s.edges[i];
    for (std::size_t i = 0; i < LongEdges && i < s.long_edges.size(); ++i) long_edges_[i] = s.long_edges[i];
    for (std::size_t i = 0; i < Pool && i < s.pool.size(); ++i) pool_[i] = s.pool[i];
    header_ = s;
  }
  [[nodiscard]] constexpr op_set ops_for(std::string_view name) const noexcept { return view().ops_for(name); }
  [[nodiscard]] constexpr bool allows(std::string_view name, operation op) const noexcept {
    return !is_app_wide(op) && ops_for(name).contains(op);
  }
  [[nodiscard]] constexpr bool allows_app_wide(operation op) const noexcept {
    return op_set::from_bits(header_.app_wide).contains(op);
  }

 private:
  [[nodiscard]] constexpr detail::cm::tables view() const noexcept {
    return detail::cm::tables(header_, states_, edges_, long_edges_, Pool ? pool_ : nullptr);
  }
  detail::cm::state_rec states_[States]{};
  detail::cm::edge_rec edges_[Edges ? Edges : 1]{};  // an empty table: one empty slot
  detail::cm::long_edge_rec long_edges_[LongEdges ? LongEdges : 1]{};
  char pool_[Pool ? Pool : 1]{};
  detail::cm::header header_{};
};

CAPMATCH_NAMESPACE_END
