// capmatch — matcher internals: the check paths over the flat tables (docs/matcher.md, "A check").
// SPDX-License-Identifier: MIT
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "../operation.hpp"
#include "inline.hpp"
#include "layout.hpp"
#include "prefilter.hpp"
#include "scan.hpp"


CAPMATCH_NAMESPACE_BEGIN
namespace detail::cm {

static_assert((u32{2} << operation_count) <= held_run_flag, "op bits and the star bit stay below the state flags");

/// Flat tables of a compiled matcher, as spans: what a check reads. Built by `matcher`
/// (std::vector storage) or copied into static storage (fixed_matcher); the same code
/// queries both, at run time and in constant evaluation.
struct tables : header {
  const u32* words = nullptr;  // the states' records and their tables of short transitions (state_ref)
  const long_edge_rec* long_edges = nullptr;
  const char* pool = nullptr;
  const u32* filter = nullptr;  // the literal filter's bits (filter_indices != 0)

  constexpr tables() = default;
  constexpr tables(const header& h, const u32* w, const long_edge_rec* le, const char* p,
                   const u32* f = nullptr) noexcept
      : header(h), words(w), long_edges(le), pool(p), filter(f) {}

  [[nodiscard]] constexpr state_ref state(u32 st) const noexcept { return state_ref(words + offset_of(st)); }

  // The transition from `from` on segment g, or `otherwise`, behind the state's filter (DFA
  // state or trie node alike).
  [[nodiscard]] CAPMATCH_DETAIL_INLINE constexpr u32 find(u32 from, const segment& g, const char* s,
                                                          u32 otherwise) const noexcept {
    const u64 hk = g.key * k_mul;
    if ((state(from).filter() & filter_bit(hk)) == 0) return otherwise;
    return lookup(from, g, s, hk, otherwise);
  }
  // Segments of at most 8 bytes: the key is the segment itself, in the state's own table.
  CAPMATCH_DETAIL_INLINE constexpr u32 find_short(u32 from, u64 key, u64 hk, u32 otherwise) const noexcept {
    return state(from).find_short(key, hk, otherwise, table_log2(from));
  }
  // Segments of 9 to 16 bytes: compared as two words (the pool holds them padded to 16
  // bytes). Inlined in the automaton's step: these are common (tenant ids) and the call cost
  // 10 % of a check at N = 4096 (scoped, global, params; bench/RESULTS.md "Session 16").
  CAPMATCH_DETAIL_INLINE constexpr u32 find_medium(u32 from, u64 key, u64 w0, u64 w1, std::size_t len, u32 otherwise,
                                                   u64 hk) const noexcept {
    const u32 tag = long_tag(key, len);
    for (const long_edge_rec* e = long_edges + home_slot(hk, state_hash(from), long_cap);; ++e) {
      if (e->tag == tag && e->from == from && load8(pool + e->where) == w0 && load8(pool + e->where + 8) == w1)
        return e->to;
      if (e->from == no_state) return otherwise;
    }
  }
  // Segments over 8 bytes: up to 16 as find_medium, longer ones byte by byte. (Arguments by
  // value: a segment passed by reference would have to live in memory in the caller's loop.)
  CAPMATCH_DETAIL_NOINLINE constexpr u32 find_long(u32 from, u64 key, u64 w0, u64 w1, std::size_t len,
                                                   const char* s, std::size_t pos, u32 otherwise,
                                                   u64 hk) const noexcept {
    if (len <= 16) return find_medium(from, key, w0, w1, len, otherwise, hk);
    const u32 tag = long_tag(key, len);
    for (const long_edge_rec* e = long_edges + home_slot(hk, state_hash(from), long_cap);; ++e) {
      if (e->tag == tag && e->from == from && long_bytes_equal(pool + e->where, s + pos, len)) return e->to;
      if (e->from == no_state) return otherwise;
    }
  }
  // The literal transition from `from` on segment g of the name s, or `otherwise`: by the
  // segment's length, short (the inlined probe), medium (inlined) or long (a call).
  CAPMATCH_DETAIL_INLINE constexpr u32 lookup(u32 from, const segment& g, const char* s, u64 hk,
                                              u32 otherwise) const noexcept {
    if (g.len <= 8) return find_short(from, g.key, hk, otherwise);
    if (g.len <= 16) return find_medium(from, g.key, g.w0, g.w1, g.len, otherwise, hk);
    return find_long(from, g.key, g.w0, g.w1, g.len, s, g.pos, otherwise, hk);
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

  // Where the mid-run `run` of len bytes through star steps (a U+0000 byte for each `*`
  // segment) ends in the name s when it matches from pos (a segment's start), else n + 1.
  // Compared eight bytes at a time; the last word, as in run_equal, is the one ending at the
  // run's end. A `*` differs from every byte of a name, so the first difference is either a
  // mismatch or a `*`, which takes the name's segment there (valid names have no empty
  // segment, so at least one byte) up to its ':', found in the scanner's stop masks `c`. The
  // name must have at least as many bytes left as the run: nothing past either end is read.
  CAPMATCH_DETAIL_INLINE static constexpr std::size_t wild_run_end(const char* s, std::size_t n, std::size_t pos,
                                                                  const char* run, std::size_t len,
                                                                  name_scanner::colons_t c) noexcept {
    std::size_t p = pos, r = 0;
    for (;;) {
      if (n - p < len - r) return n + 1;
      u64 x = 0;
      while (r + 8 <= len && (x = load8(s + p) ^ load8(run + r)) == 0) p += 8, r += 8;
      if (x == 0) {  // fewer than 8 bytes of the run left
        const std::size_t k = len - r, end = p + k;
        if (k == 0) return p;
        if (n < 8) {
          while (r < len && s[p] == run[r]) ++p, ++r;
          if (r == len) return p;
        } else {
          const std::size_t at = end >= 8 ? end - 8 : 0;
          x = ((load8(s + at) << (8 * (at + 8 - end))) ^ load8(run + len - 8)) >> (8 * (8 - k));
          if (x == 0) return end;
        }
      }
      if (x != 0) {
        const auto i = static_cast<std::size_t>(std::countr_zero(x)) >> 3;
        p += i, r += i;
      }
      if (run[r] != '\0') return n + 1;  // s[p] != run[r]: a mismatch, unless a `*`
      ++r;
      p = name_scanner::segment_end(c, n, p);
      if (r == len) return p;
    }
  }

  // A check at mid-run head st (record r, run_length() != 0) with the name's next segment at
  // pos: `to`, the state after the run (no_state when st has no run, and the check steps on),
  // and `end`, where the run ends in the name (at its end or a ':'; n + 1 when the run is not
  // the name's next bytes). The run is held by r (a head whose chain was dropped) or is the
  // record in the long-edge table. One call, out of line: inlined, this code cost the loop of
  // tables with fallbacks instructions without executing more (quals/512 +10 per check;
  // bench/RESULTS.md "Session 17").
  struct run_pass {
    std::size_t end;
    u32 to;
  };
  CAPMATCH_DETAIL_NOINLINE constexpr run_pass pass_mid_run(u32 st, state_ref r, const char* s, std::size_t n,
                                                           std::size_t pos, name_scanner::colons_t c) const noexcept {
    const std::size_t len = r.run_length();
    const char* run = nullptr;
    bool wild = false;
    u32 to = no_state;
    if (r.holds_run()) {
      run = pool + r.held_run_offset();
      wild = r.held_run_wild();
      to = r.run_end();
    } else if (const long_edge_rec* e = mid_run(st, len); e != nullptr) {
      run = pool + e->offset();
      wild = e->run_wild();
      to = e->to;
    } else {
      return {0, no_state};
    }
    const std::size_t end = wild ? wild_run_end(s, n, pos, run, len, c) : pos + len;
    if (end > n || (end != n && s[end] != ':') || (!wild && !run_equal(s, n, pos, run, len))) return {n + 1, to};
    return {end, to};
  }

  // True when the run of run state r is the name's next bytes from pos: the whole run, and
  // then the end of the name or ':' (a run ends at a segment boundary).
  CAPMATCH_DETAIL_INLINE constexpr bool run_matches(state_ref r, const char* s, std::size_t n,
                                                    std::size_t pos) const noexcept {
    const std::size_t len = r.run_length(), end = pos + len;
    return end <= n && (end == n || s[end] == ':') && run_equal(s, n, pos, pool + r.run_offset(), len);
  }

  // One transition of the automaton (DFA mode) on segment g of the name s: the state's
  // trailing-`*` ops join acc, then the automaton moves along the segment's literal transition,
  // or the default one. The filter spares the table probe for most segments that no literal
  // transition names. Fallbacks: the loop of tables with fallback transitions (header::fallbacks;
  // the others keep this one, without the test): a state with a fallback has no default, and a
  // segment its transitions do not name moves the automaton as it moves the fallback state (whose
  // trailing-`*` ops are already the state's), which may have a fallback in turn (a smaller set
  // each time; docs/matcher.md, "Fallback transitions"). A fallback may lead to a split
  // record: the segment is looked up in its first part's state, and *second is set to the
  // state its second part moves to (the caller runs the rest of the name from there too;
  // docs/matcher.md, "Split fallback targets").
  // (EntryFallback's step, Splits false, leaves the test out: the plain construction makes no
  // split record.)
  template <bool Fallbacks = false, bool Splits = Fallbacks>
  CAPMATCH_DETAIL_INLINE constexpr u32 step(u32 st, state_ref r, const segment& g, const char* s, u32& acc,
                                            u32* second = nullptr) const noexcept {
    acc |= r.trail_bits();
    const u64 hk = g.key * k_mul;
    if constexpr (Fallbacks) {
      for (state_ref at = r;;) {
        const u32 miss = at.has_fallback() ? no_state : at.default_next();
        const u32 to = (at.filter() & filter_bit(hk)) == 0 ? miss : lookup(st, g, s, hk, miss);
        if (to != no_state) return to;
        st = at.fallback();
        at = state(st);
        if constexpr (Splits) {
          if (at.splits()) {  // (its filter word is its second link: never tested)
            *second = at.split_second();
            st = at.fallback();
            at = state(st);
          }
        }
      }
    } else {
      if ((r.filter() & filter_bit(hk)) == 0) return r.default_next();
      return lookup(st, g, s, hk, r.default_next());
    }
  }

  // The check from a named qualifier's entry state that falls back (header::entry_fallbacks)
  // in tables without fallbacks elsewhere: out of line, so that the inlined path keeps its
  // code (with the step inlined there, every check took 0.5 % more instructions: scoped/512,
  // global/512); the first step with fallbacks, then the loop without (with fallbacks all the
  // way, quals/512 took 10 % more).
  template <bool AnyLength, bool OneWindow>
  CAPMATCH_DETAIL_NOINLINE constexpr op_set from_fallback_entry(name_scanner sc, const char* s, std::size_t n,
                                                                u32 st) const noexcept {
    return automaton<AnyLength, OneWindow, false, true>(sc, s, n, st);
  }

  // Parses "[q=v?p]" at the start of s: sets *body to the first byte of the body and returns
  // the state (DFA) or root (trie) for the qualifier, or no_state if the name is invalid.
  // AfterQuick: no quick qualifier starts the name (n >= 9 and the quick test missed), so when
  // every short qualifier (at most quick_qualifier_bytes) the patterns name is a quick one
  // (quick_all), a short one without parameters is the "other qualifiers" class without a
  // lookup. One scan
  // (scan_qualifier, inlined: its 16-byte block holds most qualifiers) and one call per
  // qualified name that the quick test does not take; until session 31 a word test for short
  // qualifiers ran first, inlined, and a name with parameters then paid it, a second call and
  // the scan (bench/ params: ~160 instructions per check for its parameters). (Defined before
  // its caller: clang 14 cannot evaluate a member template, in constant evaluation, that is
  // instantiated before its definition.)
  template <bool AfterQuick>
  CAPMATCH_DETAIL_NOINLINE constexpr u32 qualifier(const char* s, std::size_t n, std::size_t* body) const noexcept {
    const qualifier_scan q = scan_qualifier(s, n);
    if (q.close == 0) return no_state;
    const std::size_t close = q.close, params = q.params, qend = params == 0 ? close : params;
    *body = close + 1;
    if (close + 1 == n || s[close + 1] == '[') return no_state;  // no body, or a second qualifier
    if (qend == 1) return params != 0 && s[params] == '?' ? start : no_state;  // "[?p]x" is unqualified
    if (qend == 2 && s[1] == '*') return no_state;  // [*] is for patterns only
    if constexpr (AfterQuick)
      if (quick_all && params == 0 && qend <= quick_qualifier_bytes + 1) return state(qualifier_root).default_next();
    segment g;
    g.pos = 1;
    g.len = qend - 1;
    if (g.len <= 8) {
      g.key = (AfterQuick ? load8(s + 1) : word_from(s, n, 1)) & (~u64{0} >> (64 - 8 * g.len));  // (AfterQuick: n >= 9)
    } else {
      const std::string_view name(s + 1, g.len);
      g.key = segment_key(name);
      if (g.len <= 16) g.w0 = word_at(name, 0), g.w1 = word_at(name, 8);
    }
    return find(qualifier_root, g, s, state(qualifier_root).default_next());
  }

  // A name's qualifier: one of the quick ones when the name starts with it (the word holds
  // the whole qualifier, so it has no parameters, '[' or U+0000, and n >= 9 leaves a body);
  // else parsed. Sets *body to the first byte of the body; returns no_state if the name is
  // invalid.
  CAPMATCH_DETAIL_INLINE constexpr u32 quick_qualifiers_or_parse(const char* s, std::size_t n,
                                                                 std::size_t* body) const noexcept {
    if (n >= 9) {
      const u64 w = load8(s);
      for (const quick_qualifier& q : quick)
        if ((w & q.mask) == q.key) {
          *body = q.size;
          return s[q.size] == '[' ? no_state : q.to;  // a second qualifier
        }
      return qualifier<true>(s, n, body);
    }
    return qualifier<false>(s, n, body);
  }

  // The record of mid-run head st's run of len bytes (builder::mid_runs: always present; were
  // it not, the check would step through the chain instead).
  [[nodiscard]] CAPMATCH_DETAIL_INLINE constexpr const long_edge_rec* mid_run(u32 st, std::size_t len) const noexcept {
    const u32 tag = mid_run_tag_of(len);
    for (const long_edge_rec* e = long_edges + home_slot(mid_run_key * k_mul, state_hash(st), long_cap);; ++e) {
      if (e->tag == tag && e->from == st) return e;
      if (e->from == no_state) return nullptr;
    }
  }

  // (Defined before its callers: clang 14 cannot evaluate a member template, in constant
  // evaluation, that is instantiated before its definition.)
  // The automaton over a valid name's body, from state st (DFA mode). A start state may begin
  // a run: its segments are the name's next bytes, or the automaton is dead. AnyLength: the
  // out-of-line path of one automaton (names over short_name_bytes or under 8), where a
  // mid-run head compares its chain's bytes in one go instead of stepping through it
  // (docs/matcher.md, "Mid-runs"). Without it the loop steps through a chain's states: the
  // inlined path of names of 8 to short_name_bytes bytes (OneWindow), and groups (where the
  // mid-run test cost 6-9 % more instructions per check, callgrind, lead1/4096, lead10/512).
  // EntryFallback (from_fallback_entry): st is a named qualifier's entry state that falls
  // back, in tables whose other states do not: its first segment takes the step with
  // fallbacks, the others the loop without.
  template <bool AnyLength = false, bool OneWindow = !AnyLength, bool Fallbacks = false, bool EntryFallback = false>
  CAPMATCH_DETAIL_INLINE constexpr op_set automaton(name_scanner& sc, const char* s, std::size_t n,
                                                    u32 st) const noexcept {
    u32 acc = 0;
    if constexpr (EntryFallback) {
      const segment g = sc.template next<OneWindow>();
      st = step<true, false>(st, state(st), g, s, acc);
      if (g.last) return finish(acc | state(st).term_bits());
      if (st == dead) return finish(acc);
    } else if (state_ref r = state(st); Fallbacks ? r.run_length() != 0 : r.runs_or_falls_back()) {
      // (one test of the entry state's record; the loop with fallbacks takes an entry's own)
      if constexpr (!Fallbacks)
        if (r.has_fallback()) return from_fallback_entry<AnyLength, OneWindow>(sc, s, n, st);
      const std::size_t pos = sc.position(), end = pos + r.run_length();
      acc = r.trail_bits();
      if (!run_matches(r, s, n, pos)) return finish(acc);  // (the name is valid)
      st = r.run_end();
      if (end == n) return finish(acc | state(st).term_bits());
      if (st == dead) return finish(acc);
      sc.seek(end + 1);  // < n: the name does not end with ':'
    }
    return finish(steps<AnyLength, OneWindow, Fallbacks>(sc, s, n, st, acc));
  }

  // The automaton's loop over the rest of a valid name's body from state st (not an entry's
  // start run: a mid-run head is passed as a mid-run), the op bits acc gathered so far: the
  // op bits with the last state's (automaton's caller finishes them). Splits (tables with
  // fallbacks): a fallback may lead to a split record, whose second part runs in split_rest.
  template <bool AnyLength, bool OneWindow, bool Fallbacks, bool Splits = Fallbacks>
  CAPMATCH_DETAIL_INLINE constexpr u32 steps(name_scanner& sc, const char* s, std::size_t n, u32 st,
                                             u32 acc) const noexcept {
    for (;;) {
      state_ref r = state(st);
      if constexpr (AnyLength) {
        if (r.run_length() != 0) {  // a mid-run head (never an entry state)
          if (const run_pass p = pass_mid_run(st, r, s, n, sc.position(), sc.colons()); p.to != no_state) {
            acc |= r.trail_bits();
            if (p.end > n) return acc;  // the automaton dies inside the run; the name is valid
            st = p.to;
            if (p.end == n) return acc | state(st).term_bits();
            if (st == dead) return acc;
            sc.seek(p.end + 1);
            continue;
          }
        }
      }
      const segment g = sc.template next<OneWindow>();
      if constexpr (Splits) {
        u32 second = no_state;
        st = step<true>(st, r, g, s, acc, &second);
        if (second != no_state) [[unlikely]] acc |= split_rest(sc, s, n, second, g.last);
      } else if constexpr (Fallbacks) {
        st = step<true, false>(st, r, g, s, acc);
      } else {
        st = step(st, r, g, s, acc);
      }
      if (g.last) return acc | state(st).term_bits();
      if (st == dead) return acc;  // nothing more can be granted; the name is valid
    }
  }

  // A split record's second part (tables with fallbacks): the op bits of the rest of the name
  // after the segment just looked up (`last`: that was the name's last), from state st, on a
  // copy of the scanner; the first part goes on in the caller's loop (docs/matcher.md, "Split
  // fallback targets"). The second part holds only nodes below `*` children of primary nodes,
  // and no state of such nodes falls back, so its loop has no split test, and it is inlined
  // (as a call, with the scanner copied: lead10/512 +0.9 % instructions per check, and deep and
  // longseg +0.7 %, whose names other_ops checks beside the loop with fallbacks; callgrind).
  CAPMATCH_DETAIL_INLINE constexpr u32 split_rest(name_scanner sc, const char* s, std::size_t n, u32 st,
                                                  bool last) const noexcept {
    if (last) return state(st).term_bits();
    if (st == dead) return 0;
    return steps<true, false, true, false>(sc, s, n, st, 0);
  }

  // A check. The common case — a DFA and a name of 8 to short_name_bytes bytes — is inlined
  // into the caller; qualifiers, other names, tables with chains or fallbacks and the trie walk
  // are calls.
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
    if (out_of_line || n > short_name_bytes || n < 8) return other_ops(s, n, pos, st);
    if (st == dead) return {};  // no pattern covers this qualifier class: nothing to validate for
    name_scanner sc(s, n, pos, name_scanner::short_name_t{});
    if (!sc.ok()) return {};
    return automaton(sc, s, n, st);
  }

  // ops_for, as a call (a grouped check with filters runs each admitted group's whole check).
  CAPMATCH_DETAIL_NOINLINE constexpr op_set ops_for_call(std::string_view name) const noexcept { return ops_for(name); }

  // Where a name's check starts in these tables: the state (DFA) or root (trie) of its
  // qualifier class, *body set to the first byte of its body; no_state if the name is invalid.
  // (Whether a name is invalid and where its body starts do not depend on the tables.)
  CAPMATCH_DETAIL_INLINE constexpr u32 entry(const char* s, std::size_t n, std::size_t* body) const noexcept {
    *body = 0;
    return s[0] == '[' ? quick_qualifiers_or_parse(s, n, body) : start;
  }
  // The rest of a check from entry()'s state, over a scanned valid name (a copy of the scanner:
  // several tables can resume from one scan, see groups_ops).
  CAPMATCH_DETAIL_INLINE constexpr op_set resume(name_scanner sc, const char* s, std::size_t n,
                                                 u32 st) const noexcept {
    if (walk) return walk_ops(sc, s, st);
    if (st == dead) return op_set{};
    if (out_of_line) return resume_out_of_line(sc, s, n, st);  // (not walk: chains or fallbacks)
    return automaton<false, false>(sc, s, n, st);
  }
  // resume for tables whose long chains were dropped (only the mid-run records lead through
  // them) or that have fallbacks: out of line (inlined, the mid-run test cost the grouped checks
  // 5-7 % more instructions).
  CAPMATCH_DETAIL_NOINLINE constexpr op_set resume_out_of_line(name_scanner sc, const char* s, std::size_t n,
                                                               u32 st) const noexcept {
    if (fallbacks) return automaton<true, false, true>(sc, s, n, st);
    return automaton<true, false>(sc, s, n, st);
  }

  // Names under 8 bytes (scanned from a zero-padded copy) or over short_name_bytes, every name
  // of tables with chains or fallbacks, and the trie walk: the same scanner, out of line.
  // (Names of 8 to short_name_bytes bytes of tables with fallbacks scanned here as in the inlined
  // path cost as many instructions per check: quals/512 563.7, quals/4096 613.6, callgrind.)
  CAPMATCH_DETAIL_NOINLINE constexpr op_set other_ops(const char* s, std::size_t n, std::size_t pos,
                                                      u32 st) const noexcept {
    if (!walk && st == dead) return {};
    char tiny[16] = {};  // a name under 8 bytes, after 8 zero bytes (see name_scanner)
    const char* text = s;
    if (n < 8) {
      for (std::size_t i = 0; i < n; ++i) tiny[8 + i] = s[i];
      text = tiny + 8;
    }
    name_scanner::windows_t windows;  // written by the scanner before it reads them
    name_scanner sc(text, n, pos, windows);
    if (!sc.ok()) return {};
    if (walk) return walk_ops(sc, s, st);
    if (fallbacks) return automaton<true, false, true>(sc, s, n, st);
    return automaton<true>(sc, s, n, st);
  }

  // The fallback, structured like a NATS sublist: the name is split once into its segments
  // (validated, keys computed once), then the trie is walked from the qualifier's root and
  // from the [*] root, following literal edges in a loop and recursing only where a node has
  // both a literal child and a `*` child; a `*` edge may pass over a chain of segments
  // (star_skip). The trie is a tree, so each node is visited at most once per root; the
  // recursion is at most max_segments deep.
  struct walk_segment {
    u64 key, w0, w1;
    u32 pos, len;
  };
  CAPMATCH_DETAIL_NOINLINE constexpr op_set walk_ops(name_scanner sc, const char* s, u32 root) const noexcept {
    walk_segment segs[max_segments];  // only the first `count` are written and read
    std::size_t count = 0;
    for (;;) {  // a valid name has at most max_segments segments
      const segment g = sc.next();
      segs[count++] = walk_segment{g.key, g.w0, g.w1, static_cast<u32>(g.pos), static_cast<u32>(g.len)};
      if (g.last) break;
    }
    u32 acc = 0;
    if (root != dead) acc = walk_from(root, segs, 0, count, s);
    if (any_root != dead) acc |= walk_from(any_root, segs, 0, count, s);
    return finish(acc);
  }
  // The op bits the walk from `node`, at segment i of the name, grants.
  constexpr u32 walk_from(u32 node, const walk_segment* segs, std::size_t i, std::size_t count,
                          const char* s) const noexcept {
    u32 acc = 0;
    for (;; ++i) {
      state_ref r = state(node);
      if (i >= count)  // (past count: the name ended inside a star chain, whose nodes grant nothing)
        return i == count ? acc | r.term_ops() : acc;
      acc |= r.trail_bits();
      const walk_segment& w = segs[i];
      const u64 hk = w.key * k_mul;
      // The node's filter spares the probe for most segments no literal edge names (a miss in
      // the table costs several probes).
      const u32 child = (r.filter() & filter_bit(hk)) == 0 ? dead
                        : w.len <= 8                       ? find_short(node, w.key, hk, dead)
                                : find_long(node, w.key, w.w0, w.w1, w.len, s, w.pos, dead, hk);
      const u32 star = r.star_child();
      if (child == dead) {
        if (star == dead) return acc;
        node = star;
        i += r.star_skip();
        continue;
      }
      if (star != dead) acc |= walk_from(star, segs, i + 1 + r.star_skip(), count, s);
      node = child;
    }
  }
};

/// The segment indices the literal filters (prefilter.hpp) of a matcher's 2 to 4 groups use
/// (`d` or `c` and `d` empty tables when there are fewer); 0 when no group has a filter.
[[nodiscard]] constexpr u32 filter_indices_of(const tables& a, const tables& b, const tables& c,
                                              const tables& d) noexcept {
  return a.filter_indices | b.filter_indices | c.filter_indices | d.filter_indices;
}
/// Whether group t runs for a name whose filter hashes are `hashes` (at the indices in `have`).
/// (Forced inline: as a lambda g++ called it out of line, three times per grouped check.)
[[nodiscard]] CAPMATCH_DETAIL_INLINE constexpr bool group_admits(const tables& t, const u64* hashes, u32 have) noexcept {
  return t.filter_indices == 0 || filter_admits(t.filter, t.filter_log2, t.filter_indices, hashes, have);
}
/// Which of the groups a check of `name` runs when some group has a literal filter (`want`,
/// filter_indices_of the groups, is not 0): bit g for the g-th, set unless the group's filter
/// misses the name's segments.
[[nodiscard]] CAPMATCH_DETAIL_INLINE constexpr u32 admitted_groups(const tables& a, const tables& b, const tables& c,
                                                                   const tables& d, std::size_t count, u32 want,
                                                                   std::string_view name) noexcept {
  u64 hashes[filter_indices_max];  // only those at the indices in `have` are written and read
  const u32 have = name.empty() ? 0 : body_hashes(name.data(), name.size(), want, hashes);
  return (group_admits(a, hashes, have) ? 1u : 0u) | (group_admits(b, hashes, have) ? 2u : 0u) |
         (count > 2 && group_admits(c, hashes, have) ? 4u : 0u) | (count > 3 && group_admits(d, hashes, have) ? 8u : 0u);
}

/// A check over several tables (a matcher's 2 to 4 groups, docs/matcher.md "Groups"; `d` or
/// `c` and `d` empty tables when there are fewer): the union of their answers. When some group
/// has a literal filter, each group that admitted_groups admits runs its own check; else the
/// name is scanned and validated once for all of them, and a group whose qualifier class has
/// no pattern is skipped.
CAPMATCH_DETAIL_NOINLINE constexpr op_set groups_ops(const tables& a, const tables& b, const tables& c,
                                                     const tables& d, std::size_t count,
                                                     std::string_view name) noexcept {
  const char* s = name.data();
  const std::size_t n = name.size();
  if (n == 0 || n > max_resource_bytes) return {};
  if (const u32 want = filter_indices_of(a, b, c, d); want != 0) {
    const u32 run = admitted_groups(a, b, c, d, count, want, name);
    op_set r;
    if ((run & 1) != 0) r = a.ops_for_call(name);
    if ((run & 2) != 0) r = r | b.ops_for_call(name);
    if ((run & 4) != 0) r = r | c.ops_for_call(name);
    if ((run & 8) != 0) r = r | d.ops_for_call(name);
    return r;
  }
  std::size_t pos = 0;
  const u32 sa = a.entry(s, n, &pos), sb = b.entry(s, n, &pos);
  const u32 sc = count > 2 ? c.entry(s, n, &pos) : dead, sd = count > 3 ? d.entry(s, n, &pos) : dead;
  if (sa == no_state || sb == no_state || sc == no_state || sd == no_state) return {};  // invalid (all agree)
  const auto live = [](const tables& t, u32 st) { return t.walk || st != dead; };
  if (!live(a, sa) && !live(b, sb) && !live(c, sc) && !live(d, sd)) return {};
  char tiny[16] = {};  // as in tables::other_ops
  const char* text = s;
  if (n < 8) {
    for (std::size_t i = 0; i < n; ++i) tiny[8 + i] = s[i];
    text = tiny + 8;
  }
  name_scanner::windows_t windows;
  const name_scanner scan(text, n, pos, windows);
  if (!scan.ok()) return {};
  op_set r = a.resume(scan, s, n, sa) | b.resume(scan, s, n, sb);
  if (live(c, sc)) r = r | c.resume(scan, s, n, sc);
  if (live(d, sd)) r = r | d.resume(scan, s, n, sd);
  return r;
}

}  // namespace detail::cm
CAPMATCH_NAMESPACE_END

