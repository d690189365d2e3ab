// capmatch — matcher internals: the name scanner (segments, stops, qualifiers; docs/matcher.md, "A check").
// SPDX-License-Identifier: MIT
#pragma once

#include <bit>
#include <cstring>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "../detail/hash.hpp"
#include "../detail/swar.hpp"
#include "../detail/utf8.hpp"
#include "../limits.hpp"
#include "../operation.hpp"
#include "inline.hpp"
#include "layout.hpp"
#include "../detail/simd.hpp"

CAPMATCH_NAMESPACE_BEGIN
namespace detail::cm {

using detail::fold_multiply;
using detail::hash_p0;
using detail::hash_p1;
using detail::hash_p2;
using detail::hash_p3;

// ---- leaf helpers (load8, store8, bytes_equal, long_bytes_equal, copy_bytes): with this file's
// SIMD scans (name_stops, find_colon, scan_qualifier, validate_long) and layout.hpp's load_key,
// the only places that branch on constant evaluation ----

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

/// bytes_equal for n >= 16 (a long segment against the pool): at run time, 16-byte blocks
/// whose differences are gathered in one register and tested once, the last block the final
/// 16 bytes (overlapping its predecessor, so nothing outside either range is read).
[[nodiscard]] constexpr bool long_bytes_equal(const char* a, const char* b, std::size_t n) noexcept {
#if CAPMATCH_DETAIL_SSE2
  if (!std::is_constant_evaluated()) {
    const auto diff = [&](std::size_t i) {
      return _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i)),
                           _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i)));
    };
    __m128i d = diff(n - 16);
    for (std::size_t i = 0; i + 16 < n; i += 16) d = _mm_or_si128(d, diff(i));
    return _mm_movemask_epi8(_mm_cmpeq_epi8(d, _mm_setzero_si128())) == 0xFFFF;
  }
#endif
  return bytes_equal(a, b, n);
}

/// Stores w at p as 8 little-endian bytes (load8's inverse).
constexpr void store8(char* p, u64 w) noexcept {
  if (std::is_constant_evaluated() || std::endian::native == std::endian::big) {
    for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(static_cast<u8>(w >> (8 * i)));
  } else {
    std::memcpy(p, &w, 8);
  }
}

/// Copies [src, src+n) to dst (the ranges do not overlap).
constexpr void copy_bytes(char* dst, const char* src, std::size_t n) noexcept {
  if (std::is_constant_evaluated()) {
    for (std::size_t i = 0; i < n; ++i) dst[i] = src[i];
  } else if (n != 0) {
    std::memcpy(dst, src, n);
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

/// The len (1 to 8) bytes of text before `end` as a zero-padded word: one load of the word
/// ending at end, or for end < 8 of the word at text (shifted up, then down): the 8 bytes
/// before end, or the first 8 when end < 8, must be readable (a name of at least 8 bytes, or
/// padded); no branch on where the bytes lie.
[[nodiscard]] CAPMATCH_DETAIL_INLINE constexpr u64 word_before(const char* text, std::size_t end,
                                                                std::size_t len) noexcept {
  const std::size_t at = end >= 8 ? end - 8 : 0;
  return load8(text + at) << (8 * (at + 8 - end)) >> (64 - 8 * len);
}

#if CAPMATCH_DETAIL_SSE2
/// Bit i set when byte i of the 16 in v is ':' (every SSE2 scan for segment ends).
[[nodiscard]] CAPMATCH_DETAIL_INLINE u32 colon_bits(__m128i v) noexcept {
  return static_cast<u32>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(':'))));
}
[[nodiscard]] CAPMATCH_DETAIL_INLINE u32 colon_bits(const char* p) noexcept {
  return colon_bits(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
#endif

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
[[nodiscard]] CAPMATCH_DETAIL_INLINE constexpr name_stops_t name_stops(const char* s, std::size_t n) noexcept {
  name_stops_t r;
  if (!std::is_constant_evaluated()) {
#if CAPMATCH_DETAIL_SSE2
    if (n >= 16) {
      const __m128i zero = _mm_setzero_si128();
      u32 z = 0, h = 0;
      std::size_t i = 0;
      for (; i + 16 <= n; i += 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
        r.colons |= static_cast<u64>(colon_bits(v)) << i;
        z |= static_cast<u32>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, zero)));
        h |= static_cast<u32>(_mm_movemask_epi8(v));
      }
      if (i < n) {  // the last 16 bytes, overlapping the previous block
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + n - 16));
        r.colons |= static_cast<u64>(colon_bits(v)) << (n - 16);
        z |= static_cast<u32>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, zero)));
        h |= static_cast<u32>(_mm_movemask_epi8(v));
      }
      r.nul = z != 0;
      r.high = h != 0;
      return r;
    }
    if (n >= 8) {  // the first and the last 8 bytes (overlapping) in one register
      const __m128i v = _mm_set_epi64x(static_cast<long long>(load8(s + n - 8)), static_cast<long long>(load8(s)));
      const u32 c = colon_bits(v);
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
#if CAPMATCH_DETAIL_SSE2
/// find_colon at run time, for a body of at least 16 bytes.
[[nodiscard]] inline std::size_t find_colon_sse2(std::string_view body, std::size_t pos) noexcept {
  const std::size_t n = body.size();
  if (pos + 16 <= n) {
    const u32 bits = colon_bits(body.data() + pos);
    return bits != 0 ? pos + static_cast<std::size_t>(std::countr_zero(bits)) : body.find(':', pos + 16);
  }
  if (pos >= n) return std::string_view::npos;
  const u32 bits = colon_bits(body.data() + n - 16) >> (pos + 16 - n);  // the last 16, those before pos shifted out
  return bits != 0 ? pos + static_cast<std::size_t>(std::countr_zero(bits)) : std::string_view::npos;
}
#endif
/// body.find(':', pos), for splitting a pattern's body into segments: at run time (SSE2, a
/// body of at least 16 bytes) the next 16 bytes are searched in one compare first: most
/// segments end within them, without a memchr call; beyond them, find (memchr), as fast as a
/// byte or word loop is slow on long segments.
[[nodiscard]] constexpr std::size_t find_colon(std::string_view body, std::size_t pos) noexcept {
#if CAPMATCH_DETAIL_SSE2
  if (!std::is_constant_evaluated() && body.size() >= 16) return find_colon_sse2(body, pos);
#endif
  return body.find(':', pos);
}
/// The number of bits set in x: std::popcount where the target has the instruction, else
/// the SWAR sum (g++ without -mpopcnt calls a library function for std::popcount).
[[nodiscard]] constexpr std::size_t bit_count(u64 x) noexcept {
#if defined(__POPCNT__)
  return static_cast<std::size_t>(std::popcount(x));
#else
  x -= (x >> 1) & 0x5555555555555555ull;
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0Full;
  return static_cast<std::size_t>((x * ones) >> 56);
#endif
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
// (Forced inline: called out of line, the quick qualifiers' word test cost a name with
// parameters ~57 instructions, callgrind params/8; session 13, bench/RESULTS.md.)
CAPMATCH_DETAIL_INLINE constexpr qualifier_flags qualifier_word(u64 w, u64 in) noexcept {
  const u64 closes = zero_bytes(w ^ (ones * ']')) & in;
  const u64 close = closes & (0 - closes);
  const u64 before = close - 1;  // bytes before the first ']' (all when none)
  return {close, (zero_bytes(w ^ (ones * '[')) | zero_bytes(w)) & in & before,
          (zero_bytes(w ^ (ones * '=')) | zero_bytes(w ^ (ones * '?'))) & in & before};
}
[[nodiscard]] CAPMATCH_DETAIL_INLINE constexpr qualifier_scan scan_qualifier(const char* s, std::size_t n) noexcept {
  qualifier_scan q;
  if (!std::is_constant_evaluated()) {
#if CAPMATCH_DETAIL_SSE2
    if (n >= 16) {  // 16-byte blocks, the last one overlapping its predecessor
      u32 in = 0xFFFEu;  // the block's bytes to test: not s[0], nor (last block) bytes seen before
      for (std::size_t at = 0;;) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + at));
        const auto eq = [&](char c) { return _mm_cmpeq_epi8(v, _mm_set1_epi8(c)); };
        const auto bits = [](__m128i m) { return static_cast<u32>(_mm_movemask_epi8(m)); };
        const u32 cl = bits(eq(']')) & in;
        const u32 before = (cl & (0 - cl)) - 1;  // bytes before the first ']' (all when none)
        if ((bits(_mm_or_si128(eq('['), eq('\0'))) & in & before) != 0) return {};
        const u32 par = bits(_mm_or_si128(eq('='), eq('?'))) & in & before;
        if (q.params == 0 && par != 0) q.params = at + static_cast<std::size_t>(std::countr_zero(par));
        if (cl != 0) {
          q.close = at + static_cast<std::size_t>(std::countr_zero(cl));
          return q;
        }
        if (at + 16 == n) return {};
        const std::size_t next = n - at >= 32 ? at + 16 : n - 16;
        in = (0xFFFFu << (at + 16 - next)) & 0xFFFFu;
        at = next;
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

/// Hash of a segment longer than 16 bytes, s[begin, end): 16-byte blocks, the last one the
/// segment's last 16 bytes (overlapping its predecessor, so no byte outside [begin, end) is
/// read). A block is one folded 64x64 -> 128-bit multiply of its two words (independent of the
/// other blocks; the constants xored in are not UTF-8, so no word of a valid name zeroes it),
/// and joins the chain by a rotate and an add: 2 cycles of latency per 16 bytes, where the
/// serial multiply and shift-xor per 8 bytes this replaced cost ~5 per 8. A last folded
/// multiply spreads every bit into the high bits (slot, filter). docs/matcher.md, "Keys of
/// long segments".
CAPMATCH_DETAIL_INLINE constexpr u64 long_key(const char* s, std::size_t begin, std::size_t end) noexcept {
  const auto block = [](u64 a, u64 b) { return fold_multiply(a ^ hash_p0, b ^ hash_p1); };
  u64 h = static_cast<u64>(end - begin) * k_long;
  for (std::size_t p = begin, last = end - 16; p < last; p += 16)
    h = std::rotl(h, 41) + block(load8(s + p), load8(s + p + 8));
  h = std::rotl(h, 41) + block(load8(s + end - 16), load8(s + end - 8));
  return fold_multiply(h ^ hash_p2, h ^ hash_p3);
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

/// One segment of a name's body, as name_scanner::next finds it: where it lies and its key
/// (what segment_key computes from its bytes).
struct segment {
  u64 key = 0;
  u64 w0 = 0, w1 = 0;  // 9 to 16 bytes: the two zero-padded words (verified against the pool)
  std::size_t pos = 0, len = 0;
  bool last = false;  // the body's last segment
};

/// The name scanner: every check path (the automaton over any name, the trie walk) reads a
/// name's body through it; the grammar is name.hpp's (docs/semantics.md §2): segments separated
/// by ':', none empty, no U+0000, at most max_segments of them, the whole name well-formed
/// UTF-8. Construction validates the whole name from stop masks of 64-byte windows (bit i set
/// when byte i is ':'; one window for names of at most short_name_bytes); next() then finds
/// each segment's end from the mask (clear the lowest bit, count trailing zeros) and computes
/// its key with one or two word loads (more only for segments over 16 bytes).
class name_scanner {
 public:
  /// The ':' masks of a long name's 64-byte windows (filled by the scanner).
  using windows_t = u64[max_resource_bytes / 64];
  /// Scans the body s[pos, n) of a name of n bytes (1 <= n <= max_resource_bytes, pos < n; the
  /// bytes before pos, a qualifier, have been checked by scan_qualifier). `text` holds the
  /// same bytes as s, and the 8 bytes before text + n and the 8 from text are readable: s itself
  /// when n >= 8, else a copy after a zeroed 8-byte prefix in a zeroed 16-byte buffer. (A
  /// segment's key is a load of the word ending at its end, or for one in the first 8 bytes of
  /// the word at text; a run's last word ends at the run's end.) A name over short_name_bytes keeps its
  /// windows' masks in `windows`, which must outlive the scanner.
  CAPMATCH_DETAIL_INLINE constexpr name_scanner(const char* text, std::size_t n, std::size_t pos,
                                                windows_t& windows) noexcept
      : s_(text), n_(n), pos_(pos), windows_(windows) {
    if (n <= short_name_bytes) {
      start_short();
    } else {
      ok_ = validate_long(text, n, pos, windows);
      base_ = pos & ~std::size_t{63};
      m_ = windows[pos / 64];
    }
  }
  /// The same for a name known to have at most short_name_bytes bytes (one window; the check's
  /// inlined path).
  struct short_name_t {};
  CAPMATCH_DETAIL_INLINE constexpr name_scanner(const char* text, std::size_t n, std::size_t pos, short_name_t) noexcept
      : s_(text), n_(n), pos_(pos), windows_(nullptr) {
    start_short();
  }
  /// False when the name is invalid (then it is granted nothing).
  [[nodiscard]] constexpr bool ok() const noexcept { return ok_; }
  /// Where the next segment starts.
  [[nodiscard]] constexpr std::size_t position() const noexcept { return pos_; }

  /// The next segment (ok() and a previous one not `last`). Short: the name has at most
  /// short_name_bytes bytes (one window; the inlined check path, which then tests nothing per
  /// segment for windows).
  template <bool Short = false>
  CAPMATCH_DETAIL_INLINE constexpr segment next() noexcept {
    if constexpr (!Short) {
      while (m_ == 0 && base_ + 64 < n_) {  // names over short_name_bytes: the next window
        base_ += 64;
        m_ = windows_[base_ / 64];
        if (pos_ > base_) m_ &= pos_ - base_ >= 64 ? 0 : ~u64{0} << (pos_ - base_);  // after a seek
      }
    }
    segment g;
    g.pos = pos_;
    g.last = m_ == 0;
    const std::size_t end = g.last ? n_ : base_ + static_cast<std::size_t>(std::countr_zero(m_));
    g.len = end - pos_;
    if (g.len <= 8) {
      g.key = word_before(s_, end, g.len);  // (text is at least 8 bytes, or padded)
    } else if (g.len <= 16) {
      g.w0 = load8(s_ + pos_);
      g.w1 = word_from(s_, n_, pos_ + 8) & (~u64{0} >> (64 - 8 * (g.len - 8)));
      g.key = medium_key(g.w0, g.w1);
    } else {
      g.key = long_key(s_, pos_, end);
    }
    pos_ = end + 1;
    m_ &= m_ - 1;
    return g;
  }

  /// The ':' of the name after position(), for segment_end (two words, passed in registers:
  /// a reference to the scanner would keep it in memory in the check's loop).
  struct colons_t {
    const u64* windows;  // a name over short_name_bytes: its windows' masks; else null
    u64 mask;            // else: the name's ':' at or after position(), as bits from 0
  };
  [[nodiscard]] constexpr colons_t colons() const noexcept {
    return n_ <= short_name_bytes ? colons_t{nullptr, m_} : colons_t{windows_, 0};
  }
  /// Where the segment of a name of n bytes that starts at p (at or after the scanner's
  /// position() when `c` was taken) ends: its ':' or n.
  [[nodiscard]] static constexpr std::size_t segment_end(colons_t c, std::size_t n, std::size_t p) noexcept {
    if (c.windows == nullptr) {  // p < n <= short_name_bytes
      const u64 m = c.mask & (~u64{0} << p);
      return m == 0 ? n : static_cast<std::size_t>(std::countr_zero(m));
    }
    for (std::size_t base = p & ~std::size_t{63}; base < n; base += 64)
      if (const u64 m = c.windows[base / 64] & (base < p ? ~u64{0} << (p - base) : ~u64{0}); m != 0)
        return base + static_cast<std::size_t>(std::countr_zero(m));
    return n;
  }

  /// Goes on at `pos` (after a run that ended at a segment boundary, pos - 1; pos < n). Only
  /// next() moves to another window (so for a short name the window stays at 0, a constant).
  CAPMATCH_DETAIL_INLINE constexpr void seek(std::size_t pos) noexcept {
    pos_ = pos;
    m_ &= pos - base_ >= 64 ? 0 : ~u64{0} << (pos - base_);
  }

 private:
  // One window: the stop mask of the whole name.
  CAPMATCH_DETAIL_INLINE constexpr void start_short() noexcept {
    const name_stops_t w = name_stops(s_, n_);
    m_ = w.colons & (~u64{0} << pos_);  // pos < n <= 64
    // Invalid: U+0000, an empty segment (the body starts or ends with ':' or holds "::"),
    // or not well-formed UTF-8.
    ok_ = !w.nul && ((m_ >> pos_) & 1) == 0 && ((m_ >> (n_ - 1)) & 1) == 0 && (m_ & (m_ >> 1)) == 0 &&
          (!w.high || utf8_valid(std::string_view(s_, n_)));
  }

  // Validates a name over short_name_bytes window by window, keeping each window's ':' after
  // pos. (Static: a call that took `this` would keep the scanner in memory in the check's loop.)
  CAPMATCH_DETAIL_NOINLINE static constexpr bool validate_long(const char* s, std::size_t n, std::size_t pos,
                                                               windows_t& out) noexcept {
    bool nul = false, high = false, scanned = false;
    u64 pairs = 0, carry = 0;  // carry: the previous window ended with ':'
    std::size_t colons = 0;
    // One window's ':' mask, bits from base (the window's bytes at or after pos); the last
    // window is the name's last 64 bytes, shifted (its flags cover bytes before base too).
    const auto window = [&](std::size_t base, u64 c) {
      if (pos > base) c &= pos - base >= 64 ? 0 : ~u64{0} << (pos - base);  // the qualifier's bytes
      out[base / 64] = c;
      pairs |= c & ((c >> 1) | carry);
      carry = c >> 63;
      // More than max_segments segments take at least 2 * max_segments bytes.
      if (n >= 2 * max_segments) colons += bit_count(c);
    };
    if (!std::is_constant_evaluated()) {
#if CAPMATCH_DETAIL_SSE2
      // Four 16-byte blocks per window; U+0000 and bytes >= 0x80 are gathered across the whole
      // name in two registers (unsigned minimum, or) and tested once at the end. The whole
      // windows first, then the name's last 64 bytes for the rest (n > 64), shifted: one
      // loop without a test of where the window lies.
      __m128i least = _mm_set1_epi8(-1), any = _mm_setzero_si128();
      const auto scan64 = [&](const char* p) {
        const auto* b = reinterpret_cast<const __m128i*>(p);
        const __m128i v0 = _mm_loadu_si128(b), v1 = _mm_loadu_si128(b + 1), v2 = _mm_loadu_si128(b + 2),
                      v3 = _mm_loadu_si128(b + 3);
        least = _mm_min_epu8(_mm_min_epu8(_mm_min_epu8(_mm_min_epu8(least, v0), v1), v2), v3);
        any = _mm_or_si128(_mm_or_si128(_mm_or_si128(_mm_or_si128(any, v0), v1), v2), v3);
        return static_cast<u64>(colon_bits(v0)) | static_cast<u64>(colon_bits(v1)) << 16 |
               static_cast<u64>(colon_bits(v2)) << 32 | static_cast<u64>(colon_bits(v3)) << 48;
      };
      std::size_t base = 0;
      for (; n - base >= 64; base += 64) window(base, scan64(s + base));
      if (base < n) window(base, scan64(s + n - 64) >> (base - (n - 64)));
      nul = _mm_movemask_epi8(_mm_cmpeq_epi8(least, _mm_setzero_si128())) != 0;
      high = _mm_movemask_epi8(any) != 0;
      scanned = true;
#endif
    }
    if (!scanned)  // (constant evaluation, or no SSE2: the stop masks, a window at a time)
      for (std::size_t base = 0; base < n; base += 64) {
        const std::size_t at = n - base >= 64 ? base : n - 64;
        const name_stops_t w = name_stops(s + at, 64);
        window(base, w.colons >> (base - at));
        nul |= w.nul;
        high |= w.high;
      }
    return !nul && pairs == 0 && s[pos] != ':' && s[n - 1] != ':' && colons < max_segments &&
           (!high || utf8_valid(std::string_view(s, n)));
  }

  const char* s_;
  std::size_t n_, pos_, base_ = 0;
  const u64* windows_;  // long names: the windows' ':' masks
  u64 m_ = 0;  // the ':' of the window at base_ at or after pos_, as bits from base_
  bool ok_ = false;
};

}  // namespace detail::cm
CAPMATCH_NAMESPACE_END

