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
/// (many `*:*:x` patterns, many qualifiers beside `[*]` patterns). The matcher keeps a
/// deterministic automaton only while what it stores — states + transitions, before
/// minimisation — stays within
/// `matcher_dfa_growth` × (trie nodes + trie edges) + `matcher_dfa_slack`; beyond that it
/// tries fallback transitions, then groups, and a group that still exceeds its own bound is
/// answered by walking its trie (same answers, no allocation, work bounded by the trie).
/// Either way, memory is linear in the capability's size.
inline constexpr std::size_t matcher_dfa_growth = 4;
inline constexpr std::size_t matcher_dfa_slack = 1024;
/// The construction's work budget, separate from the bound on what it stores: its work counts
/// states, transitions, the trie nodes each state's set holds and the trie edges it gathers.
/// The plain construction (tried first) stops when that work exceeds the bound itself; the one
/// with fallback transitions (tried next) when it exceeds `matcher_fallback_work_factor` × the
/// bound, so a capability whose automaton cannot fit stops early while one whose stored
/// automaton fits is not refused for its transient work (docs/matcher.md, "The automaton bound
/// and the fallback"). Build time and transient memory stay linear in the capability's size.
inline constexpr std::size_t matcher_fallback_work_factor = 2;

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
// A run state (DFA only) keeps the length of its run in the high bits of `term`; op bits
// stay below bit 18 (op_set::from_bits drops the rest).
inline constexpr unsigned run_shift = 20;
static_assert(max_resource_bytes < (std::size_t{1} << (32 - run_shift)));
// A state with a fallback (DFA only) has this bit in `term` (between the op bits and a run's
// length; finish() drops it): its link is then the fallback state, not the default transition.
inline constexpr u32 fallback_flag = u32{1} << 19;
static_assert(fallback_flag < (u32{1} << run_shift));
// A mid-run head whose chain was dropped (DFA only) holds its run in its record, as a start
// run does, with this bit in `term` (below the fallback flag: a head never has a fallback).
inline constexpr u32 held_run_flag = u32{1} << 18;

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

/// A mid-run record's `size` (and a held run's offset in its head's state_rec) has this bit
/// when its run passes through `*` segments (star steps: states whose only way on is the
/// default transition), each written as one U+0000 byte in the pool, which matches one whole
/// segment of the name (docs/matcher.md, "Mid-runs").
inline constexpr u32 wild_run = u32{1} << 31;
static_assert(max_resource_bytes < wild_run);  // (and a pool offset: see matcher_run_text_factor)

/// One automaton state (or, in trie-walk mode, one trie node). 16 bytes. Its four words mean
/// different things in the two modes and in run states, so they are private: the check paths
/// read them, and the builder writes them, through one named accessor per meaning.
/// A *run state* (DFA only; run_length() != 0) has no default transition and one way on: the
/// literal segments of its run, `a:b:c`, whose bytes are at `pool + run_offset()`; run_end()
/// is the state after them. See docs/matcher.md, "Runs". A mid-run head whose chain was
/// dropped holds its run the same way (holds_run(); docs/matcher.md, "Mid-runs through `*`").
class state_rec {
 public:
  // ---- reads (the check paths) ----
  /// DFA: the default transition (a segment that no literal transition names). For a state
  /// with a fallback (has_fallback()) this is the fallback state, whose default is this one's.
  [[nodiscard]] constexpr u32 default_next() const noexcept { return next_; }
  /// DFA: true when a segment that none of this state's literal transitions names moves the
  /// automaton as it would move fallback() (docs/matcher.md, "Fallback transitions").
  [[nodiscard]] constexpr bool has_fallback() const noexcept { return (term_ & fallback_flag) != 0; }
  /// DFA, has_fallback(): the state whose transitions answer the segments this one's do not name.
  [[nodiscard]] constexpr u32 fallback() const noexcept { return next_; }
  /// Trie: the `*` child.
  [[nodiscard]] constexpr u32 star_child() const noexcept { return next_; }
  /// DFA, run state (or holds_run()): the state after the run.
  [[nodiscard]] constexpr u32 run_end() const noexcept { return next_; }
  /// DFA: a mid-run head whose chain was dropped, with nothing else left: its run is in this
  /// record (run_end(), run_length(), held_run_offset()) instead of the long-edge table.
  [[nodiscard]] constexpr bool holds_run() const noexcept { return (term_ & held_run_flag) != 0; }
  /// DFA, holds_run(): the pool offset of the run's bytes.
  [[nodiscard]] constexpr u32 held_run_offset() const noexcept { return aux_ & ~wild_run; }
  /// DFA, holds_run(): true when the run passes through star steps (U+0000 bytes for `*`).
  [[nodiscard]] constexpr bool held_run_wild() const noexcept { return (aux_ & wild_run) != 0; }
  /// The 32-bit filter of the literal transitions' (trie: edges') key hashes (see filter_bit).
  [[nodiscard]] constexpr u32 filter() const noexcept { return aux_; }
  /// DFA: the length of this state's run in bytes; 0 when it starts no run. (An entry state's
  /// run replaces its transitions; any other state's is a mid-run, see mid_run_key.)
  [[nodiscard]] constexpr std::size_t run_length() const noexcept { return term_ >> run_shift; }
  /// DFA, run state: the pool offset of the run's bytes.
  [[nodiscard]] constexpr u32 run_offset() const noexcept { return aux_; }
  /// Ops granted when one or more further segments follow (trailing `*`).
  [[nodiscard]] constexpr u32 trail_ops() const noexcept { return trail_; }
  /// Ops granted when the name ends here, with a run state's length bits above them: for the
  /// check paths, whose finish() drops those bits (one instruction less than term_ops()).
  [[nodiscard]] constexpr u32 term_bits() const noexcept { return term_; }
  /// Ops granted when the name ends here (without a run state's length bits or the flags).
  [[nodiscard]] constexpr u32 term_ops() const noexcept { return term_ & (held_run_flag - 1); }

  // ---- writes (the builder) ----
  /// DFA: sets the default transition (a state index while building, a reference once emitted).
  constexpr void set_default_next(u32 st) noexcept { next_ = st; }
  /// DFA: gives this state a fallback (a state index while building, a reference once emitted)
  /// instead of a default transition. Never a run state (a run state has no default).
  constexpr void set_fallback(u32 st) noexcept {
    next_ = st;
    term_ |= fallback_flag;
  }
  /// Trie: sets the `*` child.
  constexpr void set_star_child(u32 node) noexcept { next_ = node; }
  /// Adds ops granted when one or more further segments follow.
  constexpr void add_trail_ops(u32 ops) noexcept { trail_ |= ops; }
  /// Adds ops granted when the name ends here.
  constexpr void add_term_ops(u32 ops) noexcept { term_ |= ops; }
  /// Adds a literal transition's key hash to the filter (before any run is set).
  constexpr void add_filter_bit(u32 bit) noexcept { aux_ |= bit; }
  /// DFA: makes this a run state: `size` bytes at pool offset `offset`, then state `end`.
  constexpr void set_run(u32 offset, u32 size, u32 end) noexcept {
    next_ = end;
    term_ = term_ops() | size << run_shift;
    aux_ = offset;
  }
  /// DFA: marks this state as the head of a mid-run of `size` bytes (its transitions, filter
  /// and default stay; the run's bytes and end are its run record in the long-edge table).
  constexpr void set_mid_run(u32 size) noexcept { term_ = term_ops() | size << run_shift; }
  /// DFA: makes a mid-run head with nothing else left (no transition, no default) hold its run:
  /// `size` bytes at pool offset `offset` (`wild`: through star steps), then state `end`.
  constexpr void set_held_run(u32 offset, u32 size, u32 end, bool wild) noexcept {
    next_ = end;
    term_ = term_ops() | held_run_flag | size << run_shift;
    aux_ = offset | (wild ? wild_run : 0);
  }
  /// Replaces the state link (default transition, run end or `*` child) by f(link): renumbering
  /// while building, state indices to references when emitting.
  template <class F>
  constexpr void map_link(F f) noexcept(noexcept(f(u32{}))) {
    next_ = f(next_);
  }

 private:
  u32 next_ = dead;  // DFA: default transition, fallback state, or a run's end; trie: the `*` child
  u32 trail_ = 0;    // op bits granted when one or more further segments follow
  u32 term_ = 0;     // op bits granted when the name ends here; | fallback_flag; a run state: | run length << run_shift
  u32 aux_ = 0;      // the filter of the literal transitions' key hashes, or (run state) the run's pool offset
};
static_assert(sizeof(state_rec) == 16);
/// The builder orders the states depth first (a check's next state then usually shares a cache
/// line with the one it stands on) only when their records exceed this many bytes, a typical
/// L1 data cache: below it they stay in L1 in any order, and the pass would only cost build
/// time (3-6 % more instructions where it runs, callgrind; docs/matcher.md, "State order").
inline constexpr std::size_t matcher_locality_bytes = 32 * 1024;
/// A transition on a segment of at most 8 bytes: `key` is the segment's bytes, zero-padded
/// (segments never contain U+0000, so the padded word identifies the segment exactly).
struct edge_rec {
  u64 key = 0;
  u32 from = no_state;
  u32 to = dead;
};
/// The key of a mid-run's record in the long-edge table: {mid_run_key, head, run end, pool
/// offset, run length}. A run has at least two segments, so its length differs from that of
/// the head's one literal transition, the only other record `from` the head.
inline constexpr u64 mid_run_key = 0x6E75722D64696DFFull;
/// A run passes through a state that minimisation merged (a suffix several chains share) to
/// its end, so the runs' bytes are not bounded by the transitions' any more: the builder makes
/// no further mid-run once the run text exceeds matcher_run_text_factor × the patterns'
/// literal bytes + matcher_run_text_slack (a mid-run is optional: the check then steps). This
/// keeps memory linear in the capability and pool offsets far below wild_run.
inline constexpr std::size_t matcher_run_text_factor = 4;
inline constexpr std::size_t matcher_run_text_slack = 64 * 1024;
/// A mid-run of at least this many segments has the states inside it dropped (only the run's
/// record reaches its end), if that drops at least 1 / mid_run_drop_share of the automaton's
/// states: memory on deep names. Such a capability is checked on the out-of-line path, which
/// tests every state for a mid-run (docs/matcher.md, "Mid-runs").
inline constexpr std::size_t mid_run_drop_segments = 3;
inline constexpr std::size_t mid_run_drop_share = 4;
/// A transition on a longer segment: `key` is a hash, the bytes are verified in the pool.
struct long_edge_rec {
  u64 key = 0;
  u32 from = no_state;
  u32 to = dead;
  u32 offset = 0;
  u32 size = 0;  // the segment's bytes; a mid-run record: the run's, | wild_run through star steps

  /// A mid-run record: the run's length in bytes, and whether it passes through star steps.
  [[nodiscard]] constexpr u32 run_size() const noexcept { return size & ~wild_run; }
  [[nodiscard]] constexpr bool run_wild() const noexcept { return (size & wild_run) != 0; }
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
  bool chains = false;    // DFA: the states inside long mid-runs were dropped (see mid_run_drop_segments)
  bool fallbacks = false;  // DFA: some state has a fallback (state_rec::has_fallback); its loop follows them
  bool out_of_line = false;  // walk, chains or fallbacks: every check takes the out-of-line path
  quick_qualifier quick[quick_qualifiers] = {};  // the first few short qualifiers (see quick_qualifier)
  bool quick_all = false;  // true: every qualifier of at most quick_qualifier_bytes is in quick
};

}  // namespace detail::cm

CAPMATCH_NAMESPACE_END
