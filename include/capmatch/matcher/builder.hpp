// capmatch — matcher internals: the builder, its trie and interning (docs/matcher.md, "From patterns to
// an automaton"); the passes after the trie are in determinise.hpp, minimise.hpp, runs.hpp, emit.hpp.
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "../capability.hpp"
#include "../pattern.hpp"
#include "arena.hpp"
#include "layout.hpp"
#include "prefilter.hpp"
#include "query.hpp"
#include "scan.hpp"

CAPMATCH_NAMESPACE_BEGIN
namespace detail::cm {

// ---- construction ----

/// A growable open-addressing index of items 0..n-1 by 64-bit hash (construction only). An
/// item's first slot is bits 32 and up of h * k_mul, which depend only on h's bits below them:
/// h must differ in its low bits where items differ (segment_hash, below). (The top bits, taken
/// by a shift of 64 - log2(slots), cost every build 0.5-1.7 % more instructions.)
struct index_map {
  bvec<u32> slots;  // item + 1, 0 when empty
  std::size_t count = 0;

  constexpr explicit index_map(build_arena* a = nullptr) : slots(a) {}

  template <class Same>
  [[nodiscard]] constexpr u32 find(u64 h, Same&& same) const {
    if (slots.empty()) return no_state;
    const std::size_t mask = slots.size() - 1;
    for (std::size_t i = static_cast<std::size_t>((h * k_mul) >> 32) & mask;; i = (i + 1) & mask) {
      if (slots[i] == 0) return no_state;
      if (same(slots[i] - 1)) return slots[i] - 1;
    }
  }
  /// Sizes an empty table for `n` items up front (one allocation instead of a growth sequence).
  constexpr void reserve(std::size_t n) {
    if (!slots.empty()) return;
    std::size_t size = 16;
    while (size < 2 * n) size *= 2;
    slots.assign(size, 0);  // within the capacity of a reset() table: no allocation
  }
  /// Empties the table and sizes it for `n` items, reusing its memory when that is enough.
  constexpr void reset(std::size_t n) {
    slots.clear();
    count = 0;
    reserve(n);
  }
  template <class HashOf>
  constexpr void insert(u64 h, u32 item, HashOf&& hash_of) {
    make_room(hash_of);
    place(h, item);
    ++count;
  }
  /// find(h, same), and when nothing is found, insert(h, item) in the same probe: no_state
  /// then (the caller makes item exist before the table is used again).
  template <class Same, class HashOf>
  constexpr u32 find_or_insert(u64 h, u32 item, Same&& same, HashOf&& hash_of) {
    make_room(hash_of);  // (before the probe: growing moves the slots)
    const std::size_t mask = slots.size() - 1;
    for (std::size_t i = static_cast<std::size_t>((h * k_mul) >> 32) & mask;; i = (i + 1) & mask) {
      if (slots[i] == 0) {
        slots[i] = item + 1;
        ++count;
        return no_state;
      }
      if (same(slots[i] - 1)) return slots[i] - 1;
    }
  }

 private:
  // Grows the table when one more item would fill it beyond half.
  template <class HashOf>
  constexpr void make_room(HashOf&& hash_of) {
    if (2 * (count + 1) > slots.size()) {
      bvec<u32> old(slots.size() < 16 ? 16 : 2 * slots.size(), 0, slots.arena());
      old.swap(slots);
      for (const u32 v : old)
        if (v != 0) place(hash_of(v - 1), v - 1);
    }
  }
  constexpr void place(u64 h, u32 item) {
    const std::size_t mask = slots.size() - 1;
    std::size_t i = static_cast<std::size_t>((h * k_mul) >> 32) & mask;
    while (slots[i] != 0) i = (i + 1) & mask;
    slots[i] = item + 1;
  }
};

/// A segment's hash in the builder's segment index, from its key (segment_key) and size: the key
/// with its high half folded into its low one. index_map places an item by bits 32 and up of
/// h * k_mul, and a segment of up to 8 bytes is its own key: without the fold, segments that
/// differ only in their last bytes (`tenant12`, `tenant13`, ...) shared their first slot, and
/// each was interned along a cluster of them (10-15 slots per intern on bench/'s tenant ids).
[[nodiscard]] constexpr u64 segment_hash(u64 key, std::size_t size) noexcept {
  return key ^ (key >> 32) ^ (size << 56);
}

/// The one slot of an empty long-edge table (home range 0): every probe ends there.
inline constexpr long_edge_rec empty_long_edge{};
/// The dead state of a matcher that grants nothing (header{}: every reference is dead).
inline constexpr u32 empty_words[record_words]{};

/// Everything a matcher owns; built by build(), queried through view().
struct storage : header {
  std::vector<u32> words;  // the states' records and tables (state_ref)
  std::vector<long_edge_rec> long_edges;
  std::vector<char> pool;
  std::size_t patterns = 0;  // of the capability
  std::size_t in_group = 0;  // compiled here (the builder's group; empty patterns left out)
  std::vector<u32> filter;   // a star-led group's literal filter (header::filter_indices)

  [[nodiscard]] constexpr tables view() const noexcept {
    if (words.empty())  // moved from: grants nothing
      return tables(header{}, empty_words, &empty_long_edge, nullptr);
    return tables(*this, words.data(), long_edges.empty() ? &empty_long_edge : long_edges.data(), pool.data(),
                  filter.data());
  }
  /// Calls f(reference, state_ref) for every state (trie: node) in order.
  template <class F>
  constexpr void for_each_state(F f) const {
    const tables t = view();
    for (u32 at = 0; at < words.size();) {
      const state_ref st = t.state(at);
      f(st.reference(at), st);
      at += st.size();
    }
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

/// The ranges of `items` grouped by owner (a node or state number below `owners`): owner o's
/// items are [first[o], first[o + 1]) (`first` gets owners + 1 entries). The one place the
/// builder counts owner ranges: group_by_owner uses it, and builder::ts_first starts from it
/// and is kept true by builder::renumber.
template <class T, class Owner>
constexpr void owner_ranges(const bvec<T>& items, bvec<u32>& first, std::size_t owners, Owner owner) {
  first.assign(owners + 1, 0);
  for (const T& x : items) ++first[owner(x) + 1];
  for (std::size_t i = 1; i < first.size(); ++i) first[i] += first[i - 1];
}

/// Sorts `items` (trie edges or transitions: no two with the same owner and segment) by owner,
/// then segment: a counting sort on the owner (a node or state number below `owners`), then a
/// sort by segment within each owner's range that is not in order already. Items already in
/// that order are left where they are (no copy). `first` gets the ranges (owner_ranges).
template <class T, class Owner>
constexpr void group_by_owner(bvec<T>& items, bvec<u32>& first, std::size_t owners, Owner owner) {
  owner_ranges(items, first, owners, owner);
  const bool in_order = std::is_sorted(items.begin(), items.end(), [&](const T& a, const T& b) {
    return owner(a) != owner(b) ? owner(a) < owner(b) : a.sid < b.sid;
  });
  if (in_order) return;
  // Placing an item advances its owner's start, which ends as the start of the next owner's
  // range: shifted back by one entry afterwards.
  bvec<T> grouped(items.size(), T{}, items.arena());
  for (const T& x : items) grouped[first[owner(x)]++] = x;
  for (std::size_t o = owners; o > 0; --o) first[o] = first[o - 1];
  first[0] = 0;
  auto by_sid = [](const T& a, const T& b) { return a.sid < b.sid; };
  for (std::size_t o = 0; o < owners; ++o) {
    const auto b = grouped.begin() + first[o], e = grouped.begin() + first[o + 1];
    if (e - b > 1 && !std::is_sorted(b, e, by_sid)) std::sort(b, e, by_sid);
  }
  items = std::move(grouped);
}

/// segment_key of body's segment [pos, pos + len): a segment of up to 8 bytes is its bytes,
/// zero-padded, read as one word from the body (word_from) and cut to len bytes.
[[nodiscard]] constexpr u64 body_segment_key(std::string_view body, std::size_t pos, std::size_t len) noexcept {
  if (len > 8) return segment_key(body.substr(pos, len));
  const u64 w = word_from(body.data(), body.size(), pos);
  return len == 8 ? w : w & ((u64{1} << (8 * len)) - 1);
}

/// A `*` segment (a wildcard), not a literal. (Not seg == "*": an out-of-line compare call.)
[[nodiscard]] constexpr bool star_segment(std::string_view seg) noexcept { return seg.size() == 1 && seg[0] == '*'; }

/// Which of a capability's patterns a builder compiles (docs/matcher.md, "Groups"). "Star-led":
/// the first segment of the body is `*`; "literal-led": it is a literal.
enum class pattern_group : u8 {
  all,
  literal_led,      ///< literal-led, any qualifier (`[*]` included)
  plain_literal,    ///< literal-led, not `[*]`
  any_literal,      ///< literal-led, `[*]`
  star_led,         ///< star-led, not `[*]`
  any_star_led,     ///< star-led, `[*]`
  all_star_led,     ///< star-led, any qualifier (`[*]` included)
};
[[nodiscard]] constexpr bool in_group(const pattern& p, pattern_group g) noexcept {
  // (The first segment is `*`; by characters, as star_segment: `body == "*"` is a memcmp call,
  // and every builder asks this of every pattern of the capability.)
  const bool star = !p.body.empty() && p.body[0] == '*' && (p.body.size() == 1 || p.body[1] == ':');
  const bool any = p.kind == qualifier_kind::any;
  switch (g) {
    case pattern_group::all: return true;
    case pattern_group::literal_led: return !star;
    case pattern_group::plain_literal: return !star && !any;
    case pattern_group::any_literal: return !star && any;
    case pattern_group::star_led: return star && !any;
    case pattern_group::any_star_led: return star && any;
    case pattern_group::all_star_led: return star;
  }
  return true;
}

/// What the tests vary in a build; every default is what a matcher is built with.
struct build_options {
  static constexpr std::size_t default_run_text = ~std::size_t{0};  ///< run_text_bytes: run_text_limit's formula
  /// A bound on the run text other than run_text_limit's formula (the tests reach the bound's
  /// path with ordinary capabilities).
  std::size_t run_text_bytes = default_run_text;
  /// Skip the constructions that bounds_exceeded proves would fail (false: the tests check
  /// that the proof holds).
  bool skip_proven = true;
  /// The subset construction's one-node path (false: every state set takes the general case;
  /// the tests check that both give the same tables).
  bool one_node_sets = true;
  /// A bound on the automaton's stored units (states + transitions) below dfa_bound's formula
  /// (a larger one changes nothing: the option only tightens the memory bound). With a small
  /// one the tests and the fuzz target reach the construction with fallback transitions, split
  /// records, the groups and the trie walk with capabilities of a few patterns.
  std::size_t dfa_units = ~std::size_t{0};
};

class builder {
 public:
  constexpr builder(const capability& cap, matcher_mode mode, pattern_group group = pattern_group::all,
                    build_options opt = {}) {
    build(cap, mode, group, opt);
  }
  /// With `walk_on_demand`, a capability beyond both constructions gets `out.walk` and keeps
  /// its trie, but emits the walk's tables only when emit_walk() is called: the matcher tries
  /// the groups first and keeps the whole capability's walk only when they do no better.
  constexpr builder(const capability& cap, matcher_mode mode, pattern_group group, build_options opt,
                    bool walk_on_demand)
      : defer_walk(walk_on_demand) {
    build(cap, mode, group, opt);
  }
  storage out;
  /// The trie walk's tables (docs/matcher.md, "The trie walk") of a builder made with
  /// `walk_on_demand` whose build() fell back to it (out.walk); emit.hpp.
  constexpr void emit_walk();
  /// Which constructions would certainly return false: a lower bound on what each must make,
  /// computed from the trie, exceeds its budget (determinise.hpp, bounds_exceeded).
  struct bounds {
    bool plain = false, fallbacks = false;
  };
  bounds skipped;  ///< the constructions build() skipped

 private:
  // The short-lived arrays' memory (arena.hpp): first, so that it outlives them. (Mutable: a
  // const pass, bounds_exceeded, makes arrays too; the arena is not the builder's state.)
  mutable build_arena arena_;
  [[nodiscard]] constexpr build_arena* arena() const noexcept { return &arena_; }
  // Segments (and qualifier names), interned.
  bvec<char> seg_text{arena()};
  bvec<seg_info> segs{arena()};
  index_map seg_index{arena()};
  // The trie. Node 0 is the dead node, 1 the qualifier pseudo-node, 2 the unqualified root,
  // 3 the [*] root; named roots and inner nodes follow.
  bvec<state_rec> nodes{arena()};
  bvec<trie_edge> tedges{arena()};
  // The trie edges' index while the trie grows; then, reset, the state sets' (determinise) and
  // the state signatures' (minimise): one table's memory for the three.
  index_map lookup{arena()};
  bvec<trie_edge> qualifier_edges{arena()};  // (1, qualifier sid, named root)
  bvec<u32> node_edges{arena()};  // per node: its range in tedges once grouped (group_by_owner)
  // Zeroed u32 arrays for one construction pass at a time (scratch_arrays): one buffer,
  // reused by every pass, instead of an allocation per array and pass.
  bvec<u32> scratch{arena()};
  // Per state of the automaton being built: its transitions are ts[ts_first[st], ts_first[st + 1])
  // (ts grouped by state, each state's by segment). Counted once (owner_ranges, or
  // group_by_owner after the depth order), then kept true by every pass that renumbers (renumber).
  bvec<u32> ts_first{arena()};

 public:
  /// The most arrays a pass takes from the scratch buffer at once (compress_runs). Every call
  /// of scratch_arrays is checked against it at compile time.
  static constexpr std::size_t scratch_arrays_max = 5;

 private:
  /// `K` zeroed arrays of `count` u32 each, back to back in `scratch` (valid until the next call).
  /// The first call makes room for scratch_arrays_max arrays, so that the later passes, over no
  /// more states, reuse it.
  template <std::size_t K>
  constexpr u32* scratch_arrays(std::size_t count) {
    static_assert(K >= 1 && K <= scratch_arrays_max, "a pass takes more scratch arrays than scratch_arrays_max");
    if (scratch.capacity() < K * count) {
      scratch.clear();
      scratch.reserve(scratch_arrays_max * count);
    }
    scratch.assign(K * count, 0);
    return scratch.data();
  }

  [[nodiscard]] constexpr std::string_view seg_view(u32 sid) const noexcept {
    return std::string_view(seg_text.data() + segs[sid].offset, segs[sid].size);
  }

  constexpr u32 intern(std::string_view seg) { return intern(seg, segment_key(seg)); }
  // (key: segment_key(seg). Forced inline: g++ called it out of line from add_pattern once
  // segment_hash took two more operations, deep/4096 +2 % instructions per build.)
  CAPMATCH_DETAIL_INLINE constexpr u32 intern(std::string_view seg, u64 key) {
    const u64 h = segment_hash(key, seg.size());
    // A key of up to 8 bytes is the bytes themselves (segment_key): equal keys and sizes are equal segments.
    const auto id = static_cast<u32>(segs.size());
    const u32 found = seg_index.find_or_insert(
        h, id,
        [&](u32 i) {
          return segs[i].key == key && segs[i].size == seg.size() && (seg.size() <= 8 || seg_view(i) == seg);
        },
        [&](u32 i) { return segment_hash(segs[i].key, segs[i].size); });
    if (found != no_state) return found;
    segs.push_back(seg_info{key, static_cast<u32>(seg_text.size()), static_cast<u32>(seg.size())});
    seg_text.append(seg.data(), seg.data() + seg.size());
    return id;
  }

  constexpr u32 new_node() {
    const auto id = static_cast<u32>(nodes.size());
    nodes.push_back(state_rec{});
    return id;
  }

  constexpr u32 literal_child(u32 node, u32 sid) {
    // (the edge's key as its hash: index_map's probe multiplies it by k_mul)
    const u64 h = u64{node} << 32 | sid;
    const auto id = static_cast<u32>(tedges.size());
    const u32 found = lookup.find_or_insert(
        h, id, [&](u32 i) { return tedges[i].node == node && tedges[i].sid == sid; },
        [&](u32 i) { return u64{tedges[i].node} << 32 | tedges[i].sid; });
    if (found != no_state) return tedges[found].child;
    const u32 child = new_node();
    tedges.push_back(trie_edge{node, sid, child});
    return child;
  }

  constexpr u32 star_child(u32 node) {
    if (nodes[node].star_child() == dead) {
      const u32 child = new_node();
      nodes[node].set_star_child(child);
    }
    return nodes[node].star_child();
  }

  constexpr void add_pattern(u32 root, std::string_view body, u32 ops) {
    u32 node = root;
    std::size_t pos = 0;
    for (;;) {
      const auto colon = find_colon(body, pos);
      const bool last = colon == std::string_view::npos;
      const std::string_view seg = body.substr(pos, last ? std::string_view::npos : colon - pos);
      const bool star = star_segment(seg);
      if (last && star) {
        nodes[node].add_trail_ops(ops);
        return;
      }
      node = star ? star_child(node) : literal_child(node, intern(seg, body_segment_key(body, pos, seg.size())));
      if (last) {
        nodes[node].add_term_ops(ops);
        return;
      }
      pos = colon + 1;
    }
  }

  constexpr void build(const capability& cap, matcher_mode mode, pattern_group group, const build_options& opt) {
    out.patterns = cap.size();
    options = opt;
    // Sized up front from the group's own patterns (segments and bytes): building a small
    // matcher is mostly allocation otherwise, and a small group sized for the whole capability
    // paid for all of it (bench/RESULTS.md, "Session 36"). A pattern that matches nothing is
    // counted: it is rare, and matches_nothing() is a search.
    std::size_t segments = 0, bytes = 0;  // literal segments (and qualifier names), their bytes
    std::size_t star_segments = 0;  // (each may make a node too: the nodes are reserved for both)
    for (std::size_t i = 0; i < cap.size(); ++i) {
      const pattern p = cap.pattern_at(i);
      if (!in_group(p, group)) continue;
      if (!p.qualifier.empty()) ++segments, bytes += p.qualifier.size();
      for (std::size_t pos = 0, end; pos <= p.body.size(); pos = end + 1) {
        end = std::min(find_colon(p.body, pos), p.body.size());
        if (!star_segment(std::string_view(p.body.data() + pos, end - pos))) ++segments, bytes += end - pos;
        else ++star_segments;
      }
    }
    seg_text.reserve(bytes);
    run_text_limit = opt.run_text_bytes != build_options::default_run_text
                         ? opt.run_text_bytes
                         : matcher_run_text_factor * bytes + matcher_run_text_slack;
    segs.reserve(segments);
    seg_index.reserve(segments);
    nodes.reserve(segments + star_segments + 4);
    tedges.reserve(segments);
    lookup.reserve(segments);
    nodes.resize(4);
    bvec<u32> qualifier_roots(arena());  // indexed by sid: root + 1, 0 when absent
    // A group of star-led patterns gets a literal filter (prefilter.hpp).
    const bool star_led = group == pattern_group::star_led || group == pattern_group::any_star_led ||
                          group == pattern_group::all_star_led;
    literal_filter_builder filter;
    for (std::size_t i = 0; i < cap.size(); ++i) {
      const pattern p = cap.pattern_at(i);
      const u32 ops = cap.ops(i).bits();
      if (p.covers_all_channels()) out.app_wide |= ops;
      if (!in_group(p, group) || p.matches_nothing()) continue;
      ++out.in_group;
      u32 root = p.kind == qualifier_kind::none ? 2u : 3u;
      if (p.kind == qualifier_kind::named) {
        const u32 q = intern(p.qualifier);
        if (qualifier_roots.size() <= q) qualifier_roots.resize(q + 1, 0);
        if (qualifier_roots[q] == 0) {
          qualifier_roots[q] = new_node() + 1;
          qualifier_edges.push_back(trie_edge{qualifier_state, q, qualifier_roots[q] - 1});
        }
        root = qualifier_roots[q] - 1;
      }
      add_pattern(root, p.body, ops);
      if (star_led) filter.add(p.body);
    }
    if (star_led) {
      literal_filter_builder::result f = filter.finish();
      out.filter_indices = f.indices;
      out.filter_log2 = f.log2;
      out.filter = std::move(f.bits);
    }
    // Literal edges grouped by node, each node's by segment, for determinisation and for the trie tables.
    group_by_owner(tedges, node_edges, nodes.size(), [](const trie_edge& e) { return e.node; });
    // The plain automaton; beyond its bound, the one with fallback transitions (docs/matcher.md,
    // "Fallback transitions"); beyond that too, the trie (and, at run time, groups: matcher.hpp).
    // A construction is skipped when a lower bound on what it must make, from the trie, exceeds
    // its budget (docs/matcher.md, "Build without the wasted runs").
    if (mode == matcher_mode::automatic) {
      if (opt.skip_proven) skipped = bounds_exceeded();
      if ((!skipped.plain && determinise_plain()) || (!skipped.fallbacks && determinise_with_fallbacks())) return;
    }
    // Fallback: the trie itself.
    out.walk = true;
    if (!defer_walk) emit_walk();
  }

  // Star chains in the trie (docs/matcher.md): a node reached by a `*` edge that grants nothing,
  // has no literal edge and has a `*` child only passes the walk on, one segment later. Each
  // `*` edge into such nodes leads instead to the first node after them that does something,
  // past as many more segments (state_rec::set_star_chain), and the nodes are left out.
  // Adversarial capabilities (`*:a1:*:*:*:x1`), the ones that reach the trie, are mostly such
  // chains. Returns each node's new number (in the scratch buffer, valid until the next pass);
  // the roots (0-3) keep theirs, since the nodes before them are never inside a chain.
  constexpr const u32* skip_star_chains(bvec<state_rec>& states) {
    const std::size_t count = states.size();
    u32* const id = scratch_arrays<1>(count);  // 0 while kept, then the new number; no_state: left out
    // (A chain's nodes come after the node being visited, whose record alone changes here: the
    // trie's records are theirs.)
    const auto passes_on = [&](u32 node) { return nodes[node].star_child() != dead && bare(node); };
    for (u32 node = 0; node < count; ++node) {  // (a child's number is above its parent's)
      if (id[node] == no_state) continue;
      u32 to = states[node].star_child(), skip = 0;
      for (; to != dead && passes_on(to); to = nodes[to].star_child(), ++skip) id[to] = no_state;
      if (skip != 0) states[node].set_star_chain(to, skip);
    }
    u32 kept = 0;
    for (u32 node = 0; node < count; ++node) {
      if (id[node] == no_state) continue;
      id[node] = kept;
      states[kept++] = states[node];
    }
    states.resize(kept);
    for (auto& r : states) r.map_link([id](u32 node) { return id[node]; });
    return id;
  }

  // The automaton bound on states + transitions (layout.hpp): one formula for every construction
  // (a test may tighten it: build_options::dfa_units).
  [[nodiscard]] constexpr std::size_t dfa_bound() const noexcept {
    return std::min({matcher_dfa_growth * (nodes.size() + tedges.size()) + matcher_dfa_slack, matcher_max_stored,
                     options.dfa_units});
  }
  // Subset construction over the trie; false (leaving `out` untouched) beyond the bound or
  // beyond its work budget. A template so that the plain construction carries none of the
  // fallback construction's tests (they cost it 1-2 % of its instructions as a run-time flag).
  template <bool Fallbacks>
  constexpr bool determinise();
  // determinise<false>() and determinise<true>(), as plain functions defined after the template
  // (determinise.hpp): clang 14 cannot evaluate, in a constant expression, a member template
  // whose first use comes before its definition.
  constexpr bool determinise_plain();
  constexpr bool determinise_with_fallbacks();
  // The constructions proven to fail (determinise.hpp).
  constexpr bounds bounds_exceeded() const;
  // A trie node that grants nothing and has no literal edge (once the trie's edges are grouped,
  // node_edges): at most a `*` child leads on from it.
  [[nodiscard]] CAPMATCH_DETAIL_INLINE constexpr bool bare(u32 node) const noexcept {
    const auto& r = nodes[node];
    return r.trail_ops() == 0 && r.term_ops() == 0 && node_edges[node + 1] == node_edges[node];
  }
  // A trie node worth tracking: it grants something or leads somewhere. The one rule of
  // determinise and bounds_exceeded.
  [[nodiscard]] CAPMATCH_DETAIL_INLINE constexpr bool live(u32 node) const noexcept {
    return nodes[node].star_child() != dead || !bare(node);
  }
  // The plain construction's entry fallbacks (determinise.hpp): whether the entry state
  // {q, [*] root} of named root q falls back to {[*] root}, the other qualifiers' entry, given
  // q's and the [*] root's live edges (`own`, `any`). Only when the capability names more
  // qualifiers than there are quick ones (layout.hpp, quick_qualifiers): with fewer, the
  // entries copy the [*] root's edges at most that many times, their names take the inlined
  // quick path, and a fallback there (a name whose first segment q does not name misses in
  // the entry's table first) cost scoped/512 and anyq/512 7-10 % more instructions per check
  // for 1-5 bytes per pattern less; with more, the copies grow as qualifiers × `[*]` heads
  // (bench/ quals) and those names are looked up out of line anyway (bench/RESULTS.md,
  // "Session 30"). And only where the [*] root has at least twice as many live edges as q
  // (what the entry keeps is at most half of what it would copy), none of them q's `*` child
  // (a segment q does not name would move it to that child too), and two at least (with
  // one, {[*] root} may start a run, which a state that a fallback enters cannot). The one
  // rule of determinise and bounds_exceeded.
  [[nodiscard]] constexpr bool entry_falls_back(u32 q, std::size_t own, std::size_t any) const noexcept {
    const u32 star = nodes[q].star_child();
    return qualifier_edges.size() > quick_qualifiers && any >= 2 && 2 * own <= any && (star == dead || !live(star));
  }
  // How many of a trie node's edges lead to live nodes.
  [[nodiscard]] constexpr std::size_t live_edges(u32 node) const noexcept {
    std::size_t n = 0;
    for (u32 k = node_edges[node]; k < node_edges[node + 1]; ++k) n += live(tedges[k].child) ? 1 : 0;
    return n;
  }
  // Renumbers an automaton with fallbacks so that every link leads to a higher number (determinise.hpp).
  // Its transitions' ranges go to `first` (group_by_owner).
  static constexpr void order_by_depth(bvec<state_rec>& states, bvec<transition>& ts, u32& start,
                                       const bvec<u32>& depth, const u32* set_offsets, bvec<u32>& first);
  // Renumbers every state st as id[st] (a permutation: all kept), with its link, the
  // transitions (in place, in their order) and `start`: the one rule of order_by_depth and
  // order_depth_first. ts_first is left to the caller.
  static constexpr void permute(bvec<state_rec>& states, bvec<transition>& ts, const u32* id,
                                u32& start) {
    bvec<state_rec> out(states.size(), state_rec{}, states.arena());
    for (u32 st = 0; st < states.size(); ++st) {
      out[id[st]] = states[st];
      out[id[st]].map_link([&](u32 link) { return id[link]; });
    }
    states = std::move(out);
    for (auto& t : ts) t = transition{id[t.from], t.sid, id[t.to]};
    start = id[start];
  }
  // Merges equivalent states (minimise.hpp).
  constexpr void minimise(bvec<state_rec>& states, bvec<transition>& ts, u32& start);
  // Renumbers `states` and `ts` in place after a pass and keeps ts_first true (defined after the class).
  template <class To, class Keep>
  constexpr void renumber(bvec<state_rec>& states, bvec<transition>& ts, const u32* id, To to, Keep keep);

  // Runs. A state with one literal transition and no default one (a path through the
  // patterns, such as every state of "tenant7:room:42" when nothing else shares it) does not
  // need the transition table: the check compares the name's bytes with the segment's. Going
  // on while the next state is the same and grants nothing (trail and term 0), the literal
  // segments join into one run "tenant7:room:42", compared as bytes in one go; the states
  // inside a run are then only reachable through it and are dropped. Runs are written to the
  // pool by emit. Renumbers `states` and `ts` in place. (The run passes: runs.hpp.)
  struct run_info {
    u32 state = 0, target = 0;
    u32 offset = 0, steps = 0;  // its steps: run_steps[offset, offset + steps)
    u32 size = 0;  // bytes of its text (the steps' segments, ':'-joined; a star step is one U+0000 byte)
    u32 segments = 0;  // the literal segments joined in those bytes (a star step's `*` is not one)
    bool wild = false;  // a mid-run through star steps: a U+0000 byte in its text per `*` segment
    bool held = false;  // a mid-run whose chain was dropped: its head holds it (state_rec::holds_run)
  };
  bvec<run_info> runs{arena()};
  // Every run's steps, back to back: each literal step's segment, no_state for a star step.
  // A run's text (its bytes in the pool) is written from them once, by emit; until then, only
  // their total size counts (run_bytes: the start runs' and the mid-runs' text).
  bvec<u32> run_steps{arena()};
  std::size_t run_bytes = 0;

  constexpr void compress_runs(bvec<state_rec>& states, bvec<transition>& ts, u32& start);
  // The run rule, shared by compress_runs, walk_run and find_mid_runs. One-way: one literal
  // transition (ts[ts_first[st]]), no default; inside a run: one-way and granting nothing.
  [[nodiscard]] constexpr bool one_way(const bvec<state_rec>& states, u32 st) const noexcept {
    return st >= 2 && ts_first[st + 1] - ts_first[st] == 1 && states[st].default_next() == dead;
  }
  [[nodiscard]] static constexpr bool grants_nothing(const state_rec& s) noexcept {
    return s.trail_ops() == 0 && s.term_ops() == 0;
  }
  // Mid-runs also pass through star steps: no literal transition, a default one, no fallback
  // (every segment leads to the default: a pattern's `*` that nothing beside it names).
  [[nodiscard]] constexpr bool star_step(const bvec<state_rec>& states, u32 st) const noexcept {
    return st >= 2 && ts_first[st + 1] == ts_first[st] && states[st].default_next() != dead &&
           !states[st].has_fallback();
  }
  // A state's step in a run, as two words: `next`, the state after it + 1 when st is a step
  // (one-way; with `stars`, a mid-run's step, one-way or a star step), else 0; `inside`, when st
  // is a step inside a run (granting nothing), its segment + 1, or star_step_segment for a star
  // step, else 0. The one step rule of walk_run and find_mid_runs (its step_pairs).
  static constexpr u32 star_step_segment = ~u32{0};
  struct step_pair {
    u32 next = 0, inside = 0;
  };
  [[nodiscard]] constexpr step_pair step_of(const bvec<state_rec>& states, const bvec<transition>& ts,
                                            u32 st, bool stars) const noexcept {
    if (one_way(states, st)) {
      const transition& t = ts[ts_first[st]];
      return {t.to + 1, grants_nothing(states[st]) ? t.sid + 1 : 0};
    }
    if (stars && star_step(states, st))
      return {states[st].default_next() + 1, grants_nothing(states[st]) ? star_step_segment : 0};
    return {};
  }
  // Walks the run from `head` while the next state is inside a run and the text stays within
  // max_resource_bytes, appending its steps to run_steps (the caller counts its size into
  // run_bytes or takes the steps back). A start run is literal; a mid-run (`stars`) also
  // passes through star steps, each written as one U+0000 byte.
  // `pairs` (find_mid_runs' step_pairs, or null): the walk reads each state's step there
  // instead of testing the state and reading its transition.
  constexpr run_info walk_run(const bvec<state_rec>& states, const bvec<transition>& ts, u32 head,
                              bool stars, const u32* pairs = nullptr);
  // Appends run r's text to the pool: its segments' bytes, ':'-joined, U+0000 for a star step.
  // A segment of up to 8 bytes is its key (its bytes, zero-padded) in one 8-byte store, into 8
  // bytes of room past the run that are cut off at the end; a longer one is copied.
  constexpr void write_run(const run_info& r);

  // Mid-runs (docs/matcher.md, "Mid-runs"): the same chains of one-way states found anywhere
  // below the entry states, of at least two segments, keeping their states and transitions
  // (a name of at most short_name_bytes still steps through them). A check over a longer
  // name compares the chain's bytes in one go. A state is inside a mid-run only through the
  // states before it, so their bytes are at most those of the paths into them.
  bvec<run_info> mid_runs{arena()};
  // The runs' and mid-runs' states after a pass renumbered them (state st is now id[st]).
  constexpr void renumber_runs(const u32* id) {
    for (auto* list : {&runs, &mid_runs})
      for (auto& r : *list) {
        r.state = id[r.state];
        r.target = id[r.target];
      }
  }
  // With `stars`, mid-runs also pass through star steps (drop_chains finds them again without
  // when it drops nothing). Leaves in the scratch buffer, for drop_chains (mid_run_arrays), per
  // state st its step_of as [2 st] and [2 st + 1] (a run's walk reads the one pair, not the
  // state's record and transition: on deep names those are a cache miss a step); then how many
  // ways lead into st (count_entries).
  constexpr void find_mid_runs(const bvec<state_rec>& states, const bvec<transition>& ts, u32 start,
                               bool stars);
  struct mid_run_arrays {
    u32* step_pairs;  // 2 (count + 1)
    u32* entered;     // count + 1
    u32* spare;       // 2 (count + 1): find_mid_runs' entry and after_step, then drop_chains' (it zeroes them)
  };
  // find_mid_runs' arrays in the scratch buffer, for an automaton of `count` states.
  constexpr mid_run_arrays mid_run_scratch(std::size_t count) noexcept {
    u32* const p = scratch.data();
    return {p, p + 2 * (count + 1), p + 3 * (count + 1)};
  }
  // States inside mid-runs that more than one state leads to (find_mid_runs), for drop_chains.
  bvec<u32> merged_heads{arena()};
  // The most bytes of run text (start runs and mid-runs): matcher_run_text_factor × the
  // patterns' literal bytes + matcher_run_text_slack (layout.hpp). Runs through merged suffix
  // states copy the suffix once per run; beyond this, further mid-runs are not made.
  std::size_t run_text_limit = 0;
  // What the tests vary (one_node_sets, dfa_units are read past build()).
  build_options options;
  bool defer_walk = false;  // walk_on_demand: build() does not call emit_walk
  constexpr bool add_mid_run(const bvec<state_rec>& states, const bvec<transition>& ts, u32 head,
                             bool stars, const u32* pairs);
  // How many ways lead into each state, into `entered` (zeroed).
  constexpr void count_entries(const bvec<state_rec>& states, const bvec<transition>& ts, u32 start,
                               u32* entered) const;
  // Drops the states inside mid-runs of at least mid_run_drop_segments segments that nothing
  // else enters, with their transitions (the head's into the chain included): then only the
  // run's record leads through the chain, and out.chains is set. Not a chain whose head is a
  // fallback target (a fallback follows the head's transitions). Renumbers in place. Right
  // after find_mid_runs (with `stars`), whose arrays it reads.
  constexpr void drop_chains(bvec<state_rec>& states, bvec<transition>& ts, u32& start);
  // The last pass, for automata whose state records exceed matcher_locality_bytes: renumbers
  // the states in depth-first order from the entry states, so that a check's next state is
  // usually beside the one it stands on (a chain's states, a run's head and end, a tenant's
  // subtree share cache lines). Links may then lead to lower numbers, and ts_first no longer
  // describes ts: no pass after it relies on either (emit does not).
  constexpr void order_depth_first(bvec<state_rec>& states, bvec<transition>& ts, u32& start);

  // Lays the states out in the words array, each with its table of short transitions
  // (state_ref), and the transitions on longer segments in the long-edge table (load factor
  // <= 3/4). States become references (offset and table size, see ref_shift): the links, the
  // tables' targets, the entry states. The automaton bound keeps the words of an automaton
  // below max_table_words (dfa_bound); a trie beyond it — over a capability far beyond
  // max_resources, reachable only through detail:: — leaves the tables empty: it grants nothing.
  // (emit.hpp, as the three below.)
  constexpr void emit(bvec<state_rec> states, const bvec<transition>& ts);

  // Writes the mid-runs' bytes to the pool and returns each one's offset. A run whose bytes are
  // the end of another's (the runs through a suffix that minimisation merged) takes that one's
  // last bytes. A run's text is its steps, ':'-joined (segments never hold ':' or U+0000, and
  // equal segments are one sid), so two runs' texts are equal exactly when their steps are,
  // and a suffix of the text that starts a segment is the text of a suffix of the steps: the
  // search works on steps. The runs are indexed by a hash of their steps taken from the last
  // back; each run's proper suffixes are then looked up with the same hash, one step more at
  // a time, so the search reads each run's steps twice (linear in the runs' steps). The others
  // are written in their order; a check reads a run's last word back from its end, which
  // stays in the pool (the bytes before a run of fewer than 8 are the pool's zero bytes or
  // another run's).
  constexpr bvec<u32> mid_run_offsets();

  // Linear probing without wrap-around: overflow slots are appended, and the table always
  // ends with an empty slot, so a lookup needs no bounds check.
  static constexpr void place(std::vector<long_edge_rec>& table, u32 home, const long_edge_rec& rec);
};

// Renumbers in place after a pass: state st stays when id[st] != no_state, as state id[st]
// (ids ascending in st from 0, so a state's new number is never above its old one), its link
// mapped by `to`; of its transitions, those with keep(t) stay (in their order), with their
// targets mapped by `to`. ts is grouped by state (ts_first), so the ranges are rewritten in
// the same pass: a state's new range starts where the kept transitions have got to.
template <class To, class Keep>
constexpr void builder::renumber(bvec<state_rec>& states, bvec<transition>& ts, const u32* id, To to,
                                 Keep keep) {
  const auto count = static_cast<u32>(states.size());
  u32 kept_states = 0, kept = 0;
  for (u32 st = 0; st < count; ++st) {
    // Read before writing: the writes go to indices at most st (states, ts_first) and at most
    // the transition being read (ts).
    const u32 b = ts_first[st], e = ts_first[st + 1];
    if (id[st] == no_state) continue;
    kept_states = id[st] + 1;
    ts_first[id[st]] = kept;
    for (u32 k = b; k < e; ++k)
      if (keep(ts[k])) ts[kept++] = transition{id[st], ts[k].sid, to(ts[k].to)};
    state_rec r = states[st];
    r.map_link(to);
    states[id[st]] = r;
  }
  ts_first[kept_states] = kept;
  ts_first.resize(kept_states + 1);
  states.resize(kept_states);
  ts.resize(kept);
}

}  // namespace detail::cm
CAPMATCH_NAMESPACE_END

// The passes after the trie, one file each, in the order build() runs them (docs/matcher.md,
// "From patterns to an automaton"); a TU that includes only this header gets them too.
// (The member template they share, renumber, is defined above, before any of them: clang 14
// cannot evaluate, in a constant expression, a member template whose first use comes before
// its definition.)
#include "determinise.hpp"
#include "minimise.hpp"
#include "runs.hpp"
#include "emit.hpp"
