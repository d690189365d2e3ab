// capmatch — matcher internals: constants, references and record layouts (docs/matcher.md, "Tables").
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>

#include "../detail/swar.hpp"
#include "../limits.hpp"
#include "../version.hpp"

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
  u32 aux = 0;      ///< the 32-bit filter of the literal transitions' hashes, or (DFA) a run's pool offset
                    ///< (while building the trie: parent | star flag)

  // Named reads: one per meaning of a field (the check paths use these, never the fields).
  /// DFA: the default transition (a segment that no literal transition names).
  [[nodiscard]] constexpr u32 default_next() const noexcept { return next; }
  /// The 32-bit filter of the literal transitions' (trie: edges') key hashes (see filter_bit).
  [[nodiscard]] constexpr u32 filter() const noexcept { return aux; }
  /// DFA: the length of this state's run in bytes; 0 when it starts no run.
  [[nodiscard]] constexpr std::size_t run_length() const noexcept { return term >> run_shift; }
  /// DFA, run state: the pool offset of the run's bytes.
  [[nodiscard]] constexpr u32 run_offset() const noexcept { return aux; }
  /// DFA, run state: the state after the run.
  [[nodiscard]] constexpr u32 run_end() const noexcept { return next; }
  /// Ops granted when one or more further segments follow (trailing `*`).
  [[nodiscard]] constexpr u32 trail_ops() const noexcept { return trail; }
  /// Ops granted when the name ends here (a run state's length bits are dropped by op_set).
  [[nodiscard]] constexpr u32 term_ops() const noexcept { return term; }
  /// Trie: the `*` child.
  [[nodiscard]] constexpr u32 star_child() const noexcept { return next; }
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

}  // namespace detail::cm

CAPMATCH_NAMESPACE_END
