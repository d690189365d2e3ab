// capmatch — matcher internals: constants, references and record layouts (docs/matcher.md, "Tables").
// SPDX-License-Identifier: MIT
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "../detail/swar.hpp"
#include "../limits.hpp"
#include "../version.hpp"
#include "inline.hpp"

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

inline constexpr u32 no_state = 0xFFFFFFFFu;  // empty slot marker in the long-edge table
inline constexpr u32 dead = 0;                // the state (or trie node) that matches nothing more
inline constexpr u32 qualifier_state = 1;     // builder: the pseudo-state of transitions on the qualifier name
// A run state (DFA only) keeps the length of its run in the high bits of `term`; op bits
// stay below bit 18 (op_set::from_bits drops the rest).
inline constexpr unsigned run_shift = 20;
static_assert(max_resource_bytes < (std::size_t{1} << (32 - run_shift)));
static_assert(max_segments < (std::size_t{1} << (32 - run_shift)));  // (a trie's star skip, the same bits)
// A state with a fallback (DFA only) has this bit in `term` (between the op bits and a run's
// length; finish() drops it): its link is then the fallback state, not the default transition.
inline constexpr u32 fallback_flag = u32{1} << 19;
static_assert(fallback_flag < (u32{1} << run_shift));
static_assert(fallback_flag << 1 == u32{1} << run_shift, "runs_or_falls_back tests both with one compare");
// A mid-run head whose chain was dropped (DFA only) holds its run in its record, as a start
// run does, with this bit in `term` (below the fallback flag: a head never has a fallback).
inline constexpr u32 held_run_flag = u32{1} << 18;
// A split record (DFA with fallbacks only) has both flags, which no other record has together:
// it stands for two states at once (state_rec::set_split; docs/matcher.md, "Split fallback
// targets").
inline constexpr u32 split_flags = fallback_flag | held_run_flag;

// The tables refer to a state by its reference: its offset in the words array (dead: 0), with
// the log2 of its table's entries above ref_shift (see state_ref), so that a step knows where
// to probe the next state's table without first reading that state's record (a load less on
// the check's critical path: anyq/512 +16 %, deep/512 +10 % with the size read from the record;
// bench/RESULTS.md "Session 21"). Offsets stay below 2^27 words (max_table_words).
inline constexpr unsigned ref_shift = 27;
inline constexpr u32 offset_mask = (u32{1} << ref_shift) - 1;
[[nodiscard]] constexpr u32 offset_of(u32 st) noexcept { return st & offset_mask; }
[[nodiscard]] constexpr u32 table_log2(u32 st) noexcept { return st >> ref_shift; }
/// The reference of the state at `offset` whose table has 2^k entries (k = 0 also for none).
[[nodiscard]] constexpr u32 make_ref(u32 offset, u32 k) noexcept { return offset | k << ref_shift; }
inline constexpr std::size_t max_table_words = offset_mask;
/// The automaton bound is at most this many states + transitions, whose words then stay below
/// max_table_words: a state takes 4 words and its table 3 per entry, and a table has fewer than
/// 3 entries per transition (or 1 for a state whose transitions are all long), so at most
/// 9 words per state or transition. A capability within max_resources never reaches it
/// (its trie has at most max_segments + 1 nodes and edges per pattern, and 4 nodes more).
inline constexpr std::size_t matcher_max_stored = (max_table_words - 3) / 9;
static_assert(matcher_dfa_growth * 2 * (max_resources * (max_segments + 1) + 4) + matcher_dfa_slack <=
                  matcher_max_stored,
              "the automaton bound of any capability within the limits stays below max_table_words");
// The long-edge table, shared by all states, hashes a state's reference as st * ref_mul (mod
// 2^32), a bijection that spreads the offsets (all multiples of small numbers).
inline constexpr u32 ref_mul = 0x9E3779B1u;
[[nodiscard]] constexpr u32 state_hash(u32 st) noexcept { return st * ref_mul; }
inline constexpr u64 k_mul = 0x9E3779B97F4A7C15ull;
inline constexpr u64 k_state = 0xC2B2AE3D27D4EB4Full;
inline constexpr u64 k_long = 0x165667B19E3779F9ull;
using swar::high_bits;
using swar::low7;
using swar::ones;
using swar::zero_bytes;

/// A mid-run record's pool offset (and a held run's, in its head's record) has this bit
/// when its run passes through `*` segments (star steps: states whose only way on is the
/// default transition), each written as one U+0000 byte in the pool, which matches one whole
/// segment of the name (docs/matcher.md, "Mid-runs").
inline constexpr u32 wild_run = u32{1} << 31;
static_assert(max_resource_bytes < wild_run);  // (and a pool offset: see matcher_run_text_factor)

/// The emitted automaton (or trie) is one array of 32-bit words. A state at an offset there
/// (its reference adds its table's size, see ref_shift) is its record (record_words: record_reads'
/// four words), then its table of short transitions: 2^k entries of entry_words (the segment's
/// key, zero-padded to 8 bytes, in two words, low first; the state after it), empty entries
/// zero (a segment is never empty, so no key is 0). The table is right after the record: a
/// step reads one or two cache lines, not a record and a slot of one table shared by every
/// state (docs/matcher.md, "Tables"). A state with a literal transition (short or long) has a
/// table (its filter may pass a short segment to it even when its transitions are all long);
/// one without has none (its filter is 0, and every lookup is behind the filter). A table of
/// up to four transitions is full (1, 2 or 4 entries), a larger one at load at most 3/4 (2/3
/// until session 29: 1-13 % less memory where states have more than four, +0.6 % instructions
/// per check at most; bench/RESULTS.md, "Session 29").
/// Transitions on longer segments are in the long-edge table.
inline constexpr u32 record_words = 4;
inline constexpr u32 entry_words = 3;
/// The trail word of a record: bit table_flag when the state has a table, its entries' log2
/// above table_shift (as in the state's reference; this copy is for walking the words). The op
/// bits stay below bit 18 and finish() drops these, so a check may accumulate the whole word
/// (state_ref::trail_bits).
inline constexpr unsigned table_shift = 24;
inline constexpr u32 table_flag = u32{1} << 23;
static_assert(table_flag > held_run_flag);
/// The entries of the table of a state with `transitions` short transitions.
[[nodiscard]] constexpr u32 table_entries(std::size_t transitions) noexcept {
  if (transitions == 0) return 0;
  u32 size = 1;
  if (transitions <= 4) {
    while (size < transitions) size *= 2;
  } else {
    while (3 * std::size_t{size} < 4 * transitions) size *= 2;
  }
  return size;
}

/// The segment key of a table entry (two words, low first) as one word.
[[nodiscard]] constexpr u64 load_key(const u32* p) noexcept {
  if (std::is_constant_evaluated() || std::endian::native != std::endian::little) {
    return u64{p[0]} | u64{p[1]} << 32;
  } else {
    u64 v;
    std::memcpy(&v, p, 8);
    return v;
  }
}

/// Where a short key's probe starts in a table of 2^k entries, from its hash hk = key * k_mul:
/// hk's top k bits, which depend on every bit of the key (a product's bit depends on the key's
/// bits below it only: bits 59-k..58 leave out the last byte's top bits, and keys that differ
/// there, as `tenant08` and `tenant00`, shared homes). A hit in a table of 32 entries or more
/// took 1.2-1.4 probes on bench/'s automata (1.1-2.4 from bits 59-k..58; bench/RESULTS.md,
/// "Session 21"). Two shifts, no multiply: the probe's address waits for k only.
[[nodiscard]] constexpr u32 table_home(u64 hk, u32 k) noexcept { return static_cast<u32>((hk >> 32) << k >> 32); }

/// The four words of a state's record (record_words), in both of its forms: the builder's
/// state_rec holds them, the emitted state_ref points at them. The bit layout lives here only,
/// one named accessor per meaning: the words mean different things in the two modes and in
/// run states.
/// A *run state* (DFA only; run_length() != 0) has no default transition and one way on: the
/// literal segments of its run, `a:b:c`, whose bytes are at `pool + run_offset()`; run_end()
/// is the state after them. See docs/matcher.md, "Runs". A mid-run head whose chain was
/// dropped holds its run the same way (holds_run(); docs/matcher.md, "Mid-runs through `*`").
///   w_[0]  DFA: default transition, fallback state, or a run's end; trie: the `*` child
///   w_[1]  op bits granted when one or more further segments follow; emitted, | the table's
///          bits (table_flag, its entries' log2 << table_shift)
///   w_[2]  op bits granted when the name ends here; | fallback_flag or held_run_flag; a run
///          state: | run length << run_shift; trie: | the `*` edge's star skip << run_shift
///   w_[3]  the filter of the literal transitions' key hashes, or (run state) the run's pool
///          offset, or (holds_run) the held run's pool offset | wild_run, or (split) the
///          state the second part stands on after the segment
/// A *split record* (DFA with fallbacks only; splits()) is a fallback target that stands for
/// the union of two parts run apart: w_[0] is the first part's state, which the segment is
/// looked up in as in a fallback, and w_[3] the state the second part moves to on any segment.
/// It has no transitions, no table and no ops of its own, and is never stood on: only a
/// fallback leads to it (docs/matcher.md, "Split fallback targets").
template <class Words>
class record_reads {
 public:
  /// DFA: the default transition (a segment that no literal transition names). For a state
  /// with a fallback (has_fallback()) this is the fallback state, whose default is this one's.
  [[nodiscard]] constexpr u32 default_next() const noexcept { return w_[0]; }
  /// DFA: true when a segment that none of this state's literal transitions names moves the
  /// automaton as it would move fallback() (docs/matcher.md, "Fallback transitions").
  [[nodiscard]] constexpr bool has_fallback() const noexcept { return (w_[2] & fallback_flag) != 0; }
  /// DFA, has_fallback(): the state whose transitions answer the segments this one's do not name.
  [[nodiscard]] constexpr u32 fallback() const noexcept { return w_[0]; }
  /// DFA: a split record (both fallback_flag and held_run_flag; see above). Its fallback() is
  /// the first part's state, split_second() the second part's state after any segment.
  [[nodiscard]] constexpr bool splits() const noexcept { return (w_[2] & split_flags) == split_flags; }
  /// DFA, splits(): the state the second part stands on after the segment looked up.
  [[nodiscard]] constexpr u32 split_second() const noexcept { return w_[3]; }
  /// Calls f on each state this record links to besides its transitions: the default
  /// transition, fallback or run end (dead when none), and a split record's second part (the
  /// links map_link maps; the passes that count or keep what leads where).
  template <class F>
  constexpr void for_each_link(F f) const {
    f(w_[0]);
    if (splits()) f(w_[3]);
  }
  /// Trie: the `*` child (the node at the end of the `*` edge's chain, see star_skip()).
  [[nodiscard]] constexpr u32 star_child() const noexcept { return w_[0]; }
  /// Trie: the segments the `*` edge passes over after its own. The nodes of a chain of `*`
  /// edges whose inner nodes grant nothing and have no literal edge are left out: the edge
  /// from the chain's first node leads to its last, past 1 + star_skip() segments
  /// (docs/matcher.md, "Star chains in the trie").
  [[nodiscard]] constexpr u32 star_skip() const noexcept { return w_[2] >> run_shift; }
  /// DFA, run state (or holds_run()): the state after the run.
  [[nodiscard]] constexpr u32 run_end() const noexcept { return w_[0]; }
  /// DFA: a mid-run head whose chain was dropped, with nothing else left: its run is in this
  /// record (run_end(), run_length(), held_run_offset()) instead of the long-edge table.
  /// (Read only when run_length() != 0: a split record, which has the flag too, has no run.)
  [[nodiscard]] constexpr bool holds_run() const noexcept { return (w_[2] & held_run_flag) != 0; }
  /// DFA, holds_run(): the pool offset of the run's bytes.
  [[nodiscard]] constexpr u32 held_run_offset() const noexcept { return w_[3] & ~wild_run; }
  /// DFA, holds_run(): true when the run passes through star steps (U+0000 bytes for `*`).
  [[nodiscard]] constexpr bool held_run_wild() const noexcept { return (w_[3] & wild_run) != 0; }
  /// The 32-bit filter of the literal transitions' (trie: edges') key hashes (see filter_bit).
  [[nodiscard]] constexpr u32 filter() const noexcept { return w_[3]; }
  /// DFA: true when this state starts a run or has a fallback (run_length() != 0 or
  /// has_fallback(): one compare of the word that holds both; held_run_flag is below them).
  [[nodiscard]] constexpr bool runs_or_falls_back() const noexcept { return w_[2] >= fallback_flag; }
  /// DFA: the length of this state's run in bytes; 0 when it starts no run. (An entry state's
  /// run replaces its transitions; any other state's is a mid-run, see mid_run_key.)
  [[nodiscard]] constexpr std::size_t run_length() const noexcept { return w_[2] >> run_shift; }
  /// DFA, run state: the pool offset of the run's bytes.
  [[nodiscard]] constexpr u32 run_offset() const noexcept { return w_[3]; }
  /// Ops granted when one or more further segments follow.
  [[nodiscard]] constexpr u32 trail_ops() const noexcept { return w_[1] & (held_run_flag - 1); }
  /// trail_ops() with an emitted record's table bits above them: for the check paths, whose
  /// finish() drops those bits (one instruction less).
  [[nodiscard]] constexpr u32 trail_bits() const noexcept { return w_[1]; }
  /// Ops granted when the name ends here, with a run state's length bits and the flags above
  /// them: for the check paths, whose finish() drops those bits (one instruction less).
  [[nodiscard]] constexpr u32 term_bits() const noexcept { return w_[2]; }
  /// Ops granted when the name ends here (without a run state's length bits or the flags).
  [[nodiscard]] constexpr u32 term_ops() const noexcept { return w_[2] & (held_run_flag - 1); }
  /// All four words zero: the dead state's record (no default, no ops, no filter, no run).
  [[nodiscard]] constexpr bool blank() const noexcept { return (w_[0] | w_[1] | w_[2] | w_[3]) == 0; }

 protected:
  Words w_{};
};

/// One automaton state (or, in trie-walk mode, one trie node) as the builder makes it: the four
/// words its emitted record holds (write()), read through record_reads as the check paths read
/// them through state_ref.
class state_rec : public record_reads<u32[record_words]> {
 public:
  /// DFA: sets the default transition (a state index while building, a reference once emitted).
  constexpr void set_default_next(u32 st) noexcept { w_[0] = st; }
  /// DFA: gives this state a fallback (a state index while building, a reference once emitted)
  /// instead of a default transition. Never a run state (a run state has no default).
  constexpr void set_fallback(u32 st) noexcept {
    w_[0] = st;
    w_[2] |= fallback_flag;
  }
  /// DFA: makes this a split record (a state index while building, a reference once emitted):
  /// a segment is looked up in `first` as through a fallback, and the second part moves to
  /// `second` (see splits()). No ops, no transitions.
  constexpr void set_split(u32 first, u32 second) noexcept {
    w_[0] = first;
    w_[1] = 0;
    w_[2] = split_flags;
    w_[3] = second;
  }
  /// Trie: sets the `*` child.
  constexpr void set_star_child(u32 node) noexcept { w_[0] = node; }
  /// Trie: makes the `*` edge lead to `node` past `skip` segments after its own (star_skip()).
  constexpr void set_star_chain(u32 node, u32 skip) noexcept {
    w_[0] = node;
    w_[2] = term_ops() | skip << run_shift;
  }
  /// Adds ops granted when one or more further segments follow.
  constexpr void add_trail_ops(u32 ops) noexcept { w_[1] |= ops; }
  /// Adds ops granted when the name ends here.
  constexpr void add_term_ops(u32 ops) noexcept { w_[2] |= ops; }
  /// Adds a literal transition's key hash to the filter (before any run is set).
  constexpr void add_filter_bit(u32 bit) noexcept { w_[3] |= bit; }
  /// DFA: makes this a run state: `size` bytes at pool offset `offset`, then state `end`.
  constexpr void set_run(u32 offset, u32 size, u32 end) noexcept {
    w_[0] = end;
    w_[2] = term_ops() | size << run_shift;
    w_[3] = offset;
  }
  /// DFA: marks this state as the head of a mid-run of `size` bytes (its transitions, filter
  /// and default stay; the run's bytes and end are its run record in the long-edge table).
  constexpr void set_mid_run(u32 size) noexcept { w_[2] = term_ops() | size << run_shift; }
  /// DFA: makes a mid-run head with nothing else left (no transition, no default) hold its run:
  /// `size` bytes at pool offset `offset` (`wild`: through star steps), then state `end`.
  constexpr void set_held_run(u32 offset, u32 size, u32 end, bool wild) noexcept {
    w_[0] = end;
    w_[2] = term_ops() | held_run_flag | size << run_shift;
    w_[3] = offset | (wild ? wild_run : 0);
  }
  /// Replaces the state links (default transition, fallback, run end or `*` child; a split
  /// record's two) by f(link): renumbering while building, state indices to references when
  /// emitting.
  template <class F>
  constexpr void map_link(F f) noexcept(noexcept(f(u32{}))) {
    w_[0] = f(w_[0]);
    if (splits()) w_[3] = f(w_[3]);
  }
  /// Emits the record as the four words a state_ref reads, its table's size (`entries`, a
  /// power of two, or 0: no table) above the trail ops (table_flag, log2 << table_shift).
  constexpr void write(u32* w, u32 entries) const noexcept {
    for (u32 i = 0; i < record_words; ++i) w[i] = w_[i];
    if (entries != 0) w[1] |= table_flag | static_cast<u32>(std::countr_zero(entries)) << table_shift;
  }
};
static_assert(sizeof(state_rec) == 4 * record_words);

/// A state of the emitted words (see record_words): what the check paths read, through
/// record_reads as the builder reads its state_rec, and its table.
class state_ref : public record_reads<const u32*> {
 public:
  constexpr explicit state_ref(const u32* w) noexcept { w_ = w; }
  /// Entries of this state's table of short transitions (0: none).
  [[nodiscard]] constexpr u32 entries() const noexcept { return has_table() ? u32{1} << entries_log2() : 0; }
  /// Entry i (< entries()): its key (0: empty) and the state after it.
  [[nodiscard]] constexpr u64 entry_key(u32 i) const noexcept { return load_key(w_ + record_words + entry_words * i); }
  [[nodiscard]] constexpr u32 entry_to(u32 i) const noexcept { return w_[record_words + entry_words * i + 2]; }
  /// The transition on a short segment (its key, and hk = key * k_mul), or `otherwise`, in a
  /// table of 2^k entries (k: table_log2 of the state's reference): a linear probe from
  /// table_home, ending at the key, an empty entry or after every entry. Only for a state
  /// with a table.
  [[nodiscard]] CAPMATCH_DETAIL_INLINE constexpr u32 find_short(u64 key, u64 hk, u32 otherwise, u32 k) const noexcept {
    const u32 mask = (u32{1} << k) - 1;
    const u32* const table = w_ + record_words;
    for (u32 j = table_home(hk, k), left = mask;; j = (j + 1) & mask, --left) {
      const u32* e = table + entry_words * j;
      const u64 v = load_key(e);
      if (v == key) return e[2];
      if (v == 0 || left == 0) return otherwise;
    }
  }
  /// Puts the transition on a short segment (key, hk = key * k_mul) to `to` into the table of
  /// 2^k entries at `table` (a record's words + record_words), where find_short's probe finds
  /// it: the first empty entry from table_home. The table has one.
  static constexpr void store_short(u32* table, u32 k, u64 key, u64 hk, u32 to) noexcept {
    const u32 mask = (u32{1} << k) - 1;
    u32 j = table_home(hk, k);
    while (load_key(table + entry_words * j) != 0) j = (j + 1) & mask;
    table[entry_words * j] = static_cast<u32>(key);
    table[entry_words * j + 1] = static_cast<u32>(key >> 32);
    table[entry_words * j + 2] = to;
  }
  /// The log2 of the table's entries (0 also when there is no table).
  [[nodiscard]] constexpr u32 entries_log2() const noexcept { return has_table() ? w_[1] >> table_shift : 0; }
  /// True when this state has a table of short transitions.
  [[nodiscard]] constexpr bool has_table() const noexcept { return (w_[1] & table_flag) != 0; }
  /// This state's reference, given its offset.
  [[nodiscard]] constexpr u32 reference(u32 offset) const noexcept { return make_ref(offset, entries_log2()); }
  /// Words of the record and its table: the next state's offset is this one's + size().
  [[nodiscard]] constexpr u32 size() const noexcept { return record_words + entry_words * entries(); }
};
/// The builder orders the states depth first (a check's next state then usually shares a cache
/// line with the one it stands on) only when their records exceed this many bytes, a typical
/// L1 data cache: below it they stay in L1 in any order, and the pass would only cost build
/// time (3-6 % more instructions where it runs, callgrind; docs/matcher.md, "State order").
inline constexpr std::size_t matcher_locality_bytes = 32 * 1024;
/// Where a mid-run's record is placed in the long-edge table: its home is that of this key
/// (as a segment's key) from its head. Its tag (mid_run_tag_of) tells it from the head's
/// transitions on long segments, whose tags never have mid_run_tag.
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
/// The long-edge table, shared by all states: a transition on a segment of more than 8 bytes
/// (its bytes in the pool), or a mid-run's record (the run's bytes in the pool; see
/// mid_run_key). 16 bytes: `tag` holds the length (either's, in bytes) in its low
/// long_length_bits, and above them, for a transition, 19 bits of the segment's key (a hash:
/// a probe compares the bytes only when the tag matches) or, for a mid-run, mid_run_tag.
/// (Session 22: 24 bytes before, a 64-bit key and a separate size; the tag is one compare.)
inline constexpr unsigned long_length_bits = 12;
inline constexpr u32 long_length_mask = (u32{1} << long_length_bits) - 1;
static_assert(max_resource_bytes <= long_length_mask, "a segment's or a run's length fits a tag");
inline constexpr u32 mid_run_tag = u32{1} << 31;
/// The tag of a transition on a segment of len (9 to max_resource_bytes) bytes with key `key`:
/// bit 31 is clear, so it never equals a mid-run's.
[[nodiscard]] constexpr u32 long_tag(u64 key, std::size_t len) noexcept {
  return static_cast<u32>(key >> 45) << long_length_bits | static_cast<u32>(len);
}
/// The tag of a mid-run of len bytes.
[[nodiscard]] constexpr u32 mid_run_tag_of(std::size_t len) noexcept { return mid_run_tag | static_cast<u32>(len); }
struct long_edge_rec {
  u32 tag = 0;
  u32 from = no_state;  // no_state: an empty slot
  u32 to = dead;
  u32 where = 0;  // the bytes' pool offset; a mid-run record: | wild_run through star steps

  /// True for a mid-run's record.
  [[nodiscard]] constexpr bool is_mid_run() const noexcept { return (tag & mid_run_tag) != 0; }
  /// The segment's (or run's) length in bytes.
  [[nodiscard]] constexpr u32 length() const noexcept { return tag & long_length_mask; }
  /// The pool offset of the segment's (or run's) bytes.
  [[nodiscard]] constexpr u32 offset() const noexcept { return where & ~wild_run; }
  /// A mid-run record: true when the run passes through star steps.
  [[nodiscard]] constexpr bool run_wild() const noexcept { return (where & wild_run) != 0; }
};
static_assert(sizeof(long_edge_rec) == 16);

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
  u32 state_count = 0;    // states (trie: nodes) in the words array
  u32 qualifier_root = dead;  // reference of the qualifier pseudo-state (transitions on qualifier names)
  u32 long_cap = 0;       // home range of long_edges
  u32 start = dead;       // reference of: DFA, the start state for unqualified names; trie, the unqualified root
  u32 any_root = dead;    // trie walk only: reference of the root of the [*] patterns
  u32 app_wide = 0;       // op bits granted on "*" or "[*]*"
  bool walk = false;      // true: trie-walk fallback; false: DFA
  bool chains = false;    // DFA: the states inside long mid-runs were dropped (see mid_run_drop_segments)
  bool fallbacks = false;  // DFA: some state has a fallback (state_rec::has_fallback); its loop follows them
  bool entry_fallbacks = false;  // DFA: only named qualifiers' entry states have fallbacks (their names' first step follows it)
  bool out_of_line = false;  // walk, chains or fallbacks: every check takes the out-of-line path
  quick_qualifier quick[quick_qualifiers] = {};  // the first few short qualifiers (see quick_qualifier)
  bool quick_all = false;  // true: every qualifier of at most quick_qualifier_bytes is in quick
  u32 filter_indices = 0;  // a star-led group's literal filter (prefilter.hpp): its segment indices; 0: none
  u32 filter_log2 = 0;     // log2 of its bits
};

}  // namespace detail::cm

CAPMATCH_NAMESPACE_END
