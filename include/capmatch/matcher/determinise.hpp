// capmatch — matcher internals: subset construction under the automaton bound, the proof that
// skips a construction bound to fail, the depth order of an automaton with fallbacks
// (docs/matcher.md, step 2).
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "builder.hpp"

CAPMATCH_NAMESPACE_BEGIN
namespace detail::cm {

// Subset construction over the trie. Returns false (leaving `out` untouched) when the states +
// transitions it stores would exceed the documented bound (dfa_bound), or its work would exceed
// its budget: the bound itself for the plain construction, matcher_fallback_work_factor × the
// bound with fallbacks (layout.hpp). With `fallbacks`, a state S = T ∪ W (primary nodes T:
// literal-led, not `[*]`, and everything below them) holds only the transitions on T's segments
// and falls back, for every other segment, to W's state when T has no `*` child, else to W plus
// a stand-in per `*` child of T (docs/matcher.md, "Fallback transitions").
template <bool Fallbacks>
constexpr bool builder::determinise() {
  constexpr bool fallbacks = Fallbacks;
  const std::size_t limit = dfa_bound();
  const std::size_t budget = fallbacks ? matcher_fallback_work_factor * limit : limit;
  // Primary nodes: the roots of unqualified and named-qualifier patterns and what their literal
  // edges lead to (a child always comes after its parent, so one pass in node order).
  // Everything below a primary node that is not a root is primary too, `*` children included
  // (a root's `*` child leads the star-led patterns, which are W).
  bvec<u8> primary(fallbacks ? nodes.size() : 0, 0, arena());
  if (fallbacks) {
    bvec<u8> root(nodes.size(), 0, arena());
    root[2] = primary[2] = 1;
    for (const auto& q : qualifier_edges) root[q.child] = primary[q.child] = 1;
    // A child always comes after its parent, and tedges is sorted by node: one pass in node order.
    std::size_t k = 0;
    for (u32 node = 0; node < nodes.size(); ++node) {
      for (; k < tedges.size() && tedges[k].node == node; ++k)
        if (primary[node]) primary[tedges[k].child] = 1;
      if (const u32 star = nodes[node].star_child(); star != dead && primary[node] && !root[node]) primary[star] = 1;
    }
  }

  bvec<u32> set_items(arena());    // the trie nodes of every state, concatenated
  bvec<u32> set_offsets(arena());  // state i: [set_offsets[i], set_offsets[i+1]); 0 dead, 1 qualifier
  index_map& set_index = lookup;
  set_index.reset(nodes.size());
  set_items.reserve(2 * nodes.size());
  // (The states and transitions often exceed the trie's nodes and edges a little: deep/4096
  // makes 76 057 states of 75 325 nodes, 70 786 transitions of 67 935 edges. Sized at 3/2 of
  // those, most constructions copy none of the three arrays to grow them.)
  set_offsets.reserve(nodes.size() + nodes.size() / 2 + 3);
  for (int i = 0; i < 3; ++i) set_offsets.push_back(0);
  // (one multiply an item: only equal sets need equal hashes, and index_map mixes h again)
  auto set_hash = [](const u32* p, std::size_t n) {
    u64 h = n;
    for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * k_mul;
    return h;
  };
  auto hash_of_state = [&](u32 st) {
    return set_hash(set_items.data() + set_offsets[st], set_offsets[st + 1] - set_offsets[st]);
  };
  set_index.insert(set_hash(nullptr, 0), dead, hash_of_state);
  bvec<transition> ts(arena());
  std::size_t stored = 2;  // states (dead and the qualifier pseudo-state so far) + transitions: what the bound limits
  std::size_t work = 2;
  bool over = false;
  bvec<u32> depth(fallbacks ? 2 : 0, 0, arena());  // per state: segments from an entry state (fallbacks only)
  u32 at_depth = 0;              // the depth of the states state_of creates
  // A set of one trie node (most sets: every state of a path that no wildcard reaches) is
  // interned by the node, in a direct array: no hash, no probe. Other sets go through set_index,
  // a set of one fallback stand-in (x | star_only, not a node number) too. The states and their
  // numbers are the same either way: only the lookup differs. The array is the scratch buffer's
  // (state + 1, 0 when none; its first use, so the later passes reuse its memory).
  u32* const single_state = scratch_arrays<1>(nodes.size());
  // A new state for the set [p, p + n) (not interned yet): its number.
  auto new_state = [&](const u32* p, std::size_t n) -> u32 {
    const auto id = static_cast<u32>(set_offsets.size() - 1);
    set_items.append(p, p + n);
    set_offsets.push_back(static_cast<u32>(set_items.size()));
    if (fallbacks) depth.push_back(at_depth);
    work += 1 + n;  // a state, and the set elements that stand for it
    if (++stored > limit || work > budget) over = true;
    return id;
  };
  // The state for the set of one trie node (interned).
  auto single_of = [&](u32 node) -> u32 {
    if (const u32 found = single_state[node]; found != 0) return found - 1;
    const u32 id = new_state(&node, 1);
    single_state[node] = id + 1;
    return id;
  };
  // The state for a sorted, duplicate-free set of trie nodes [p, p + n) (interned).
  auto state_of_items = [&](const u32* p, std::size_t n) -> u32 {
    if (n == 0) return dead;  // the empty set, interned first (every state with no `*` child defaults to it)
    if (n == 1 && p[0] < nodes.size()) return single_of(p[0]);
    const u64 h = set_hash(p, n);
    const u32 found = set_index.find_or_insert(
        h, static_cast<u32>(set_offsets.size() - 1),  // new_state's number
        [&](u32 st) {
          const u32 b = set_offsets[st], e = set_offsets[st + 1];
          if (e - b != n) return false;
          for (u32 i = 0; i < n; ++i)
            if (set_items[b + i] != p[i]) return false;
          return true;
        },
        hash_of_state);
    if (found != no_state) return found;
    return new_state(p, n);
  };
  auto state_of = [&](const bvec<u32>& set) -> u32 { return state_of_items(set.data(), set.size()); };
  // Leaves (fallbacks only): trie nodes with no live edge and no live `*` child, which add
  // only their ops to a state.
  bvec<u8> leaf(fallbacks ? nodes.size() : 0, 0, arena());
  for (u32 node = 0; node < leaf.size(); ++node) {
    const u32 star = nodes[node].star_child();
    bool leads = star != dead && live(star);
    for (u32 k = node_edges[node]; k < node_edges[node + 1] && !leads; ++k) leads = live(tedges[k].child);
    leaf[node] = leads ? 0 : 1;
  }
  bvec<u32> set(arena());
  set.reserve(8);  // one allocation for the sets of small capabilities instead of a growth sequence
  auto start_set = [&](u32 a, u32 b) {
    set.clear();
    if (a != dead && live(a)) set.push_back(a);
    if (b != dead && live(b)) set.push_back(b);
    std::sort(set.begin(), set.end());
    return state_of(set);
  };

  bvec<state_rec> states(arena());
  states.reserve(nodes.size() + nodes.size() / 2 + 3);
  states.resize(3);
  ts.reserve(tedges.size() + tedges.size() / 2 + qualifier_edges.size());
  const u32 start = start_set(2, 3);
  for (const auto& q : qualifier_edges) ts.push_back(transition{qualifier_state, q.sid, start_set(q.child, 3)});
  stored += qualifier_edges.size();
  // The named qualifiers' entry states are made before the other qualifiers' one: an entry
  // {q, [*] root} of the plain construction falls back to it (below), and a link leads to a
  // higher number.
  const u32 entries_end = static_cast<u32>(set_offsets.size() - 1);
  const u32 other = start_set(3, dead);
  states[qualifier_state].set_default_next(other);
  const std::size_t any_edges = live_edges(3);  // (entry_falls_back)

  // In a fallback target's set, a `*` child x of one of T's nodes stands as x | star_only: a
  // node with no edges and no grants whose `*` child is x (trie nodes are fewer than 2^31).
  constexpr u32 star_only = u32{1} << 31;
  bvec<u32> stars(arena()), tstars(arena()), rest(arena()), named_sids(arena());
  bvec<trie_edge> gathered(arena());
  // Each node's edges are gathered in (segment, child) order, so `gathered` is a few sorted
  // runs: many edges are merged run by run (`blocks`: where each run begins; through `merged`).
  bvec<trie_edge> merged(arena());
  bvec<u32> blocks(arena()), merged_blocks(arena());
  const auto by_segment = [](const trie_edge& x, const trie_edge& y) {
    return x.sid != y.sid ? x.sid < y.sid : x.child < y.child;
  };
  // The size of the sets the one-node path takes: 1, or (no set is empty) none when the tests
  // compare it with the general case (build_options::one_node_sets).
  const u32 one_node = options.one_node_sets ? 1 : 0;
  for (u32 st = 2; st + 1 < set_offsets.size() && !over; ++st) {
    const u32 b = set_offsets[st], e = set_offsets[st + 1];
    state_rec rec;
    if (!fallbacks && e - b == one_node) {
      // One trie node (most states: a path below a node that no wildcard reaches): its live
      // edges are already in segment order, each leads to {child} ∪ {its `*` child}. The same
      // states, numbers, transitions and counts as the general case below, without gathering
      // and sorting.
      const u32 node = set_items[b];
      rec.add_trail_ops(nodes[node].trail_ops());
      rec.add_term_ops(nodes[node].term_ops());
      const u32 star = nodes[node].star_child();
      const bool has_star = star != dead && live(star);
      const u32 kb = node_edges[node], ke = node_edges[node + 1];
      // (The general case counts the gathered edges into `work` before making the default's
      // state; counted as each transition is made here, `over` ends the same: every
      // transition's own test sees at least the work that test saw.)
      rec.set_default_next(has_star ? single_of(star) : dead);
      for (u32 k = kb; k < ke; ++k) {
        const u32 child = tedges[k].child;
        if (!live(child)) continue;
        ++work;
        u32 to;
        if (!has_star) {
          to = single_of(child);
        } else {
          const u32 pair[2] = {child < star ? child : star, child < star ? star : child};
          to = child == star ? single_of(child) : state_of_items(pair, 2);
        }
        ts.push_back(transition{st, tedges[k].sid, to});
        if (++stored > limit || ++work > budget) over = true;
      }
      if (states.size() == st) states.push_back(rec);
      else states[st] = rec;
      continue;
    }
    // A fallback target with stand-ins, F = W ∪ {x̂ : x a `*` child of T}: a split record
    // instead of F's transitions. A segment moves F to W's move on it ∪ {x : x̂ in F}, so a
    // check looks the segment up in W's state (as through a fallback) and runs the rest of
    // the name from the state of the x's apart, or-ing the answers. F's own transitions, one
    // per segment W names, and every state below them copied W's part once per tenant with a
    // `*` child (docs/matcher.md, "Split fallback targets"). The stand-ins sort last.
    if (fallbacks && (set_items[e - 1] & star_only) != 0 && (set_items[b] & star_only) == 0) {
      u32 j = b;
      while ((set_items[j] & star_only) == 0) ++j;
      rest.clear();
      for (u32 i = b; i < j; ++i) rest.push_back(set_items[i]);  // (copied: state_of may grow set_items)
      set.clear();
      for (u32 i = j; i < e; ++i) set.push_back(set_items[i] & ~star_only);  // (sorted, distinct)
      at_depth = depth[st];
      const u32 first_part = state_of(rest);
      at_depth = depth[st] + 1;
      rec.set_split(first_part, state_of(set));
      if (states.size() == st) states.push_back(rec);
      else states[st] = rec;
      continue;
    }
    // A named qualifier's entry state {q, [*] root}, q without a `*` child, in the plain
    // construction (entry_falls_back): a segment q's edges do not name moves it as it moves
    // {[*] root}, the other qualifiers' entry state. It takes the fallback construction's
    // path below with T = {q} and W = {[*] root}: only the transitions on q's segments, and a
    // fallback to W's state. Without this, every named qualifier's entry copies the [*] root's
    // edges (bench/ quals). Only entry states fall back in this construction: a check of a
    // name of such a class steps its first segment with the fallback and the rest in the
    // plain loop (header::entry_fallbacks, tables::from_fallback_entry; docs/matcher.md,
    // "Entry fallbacks in the plain construction").
    const u32 entry_t = !fallbacks && st < entries_end && st < other && e - b == 2 && set_items[b] == 3 &&
                                entry_falls_back(set_items[b + 1], live_edges(set_items[b + 1]), any_edges)
                            ? set_items[b + 1]
                            : no_state;
    // T's nodes: with fallbacks the primary ones; in the plain construction such an entry's q.
    const auto in_t = [&](u32 node) { return fallbacks ? primary[node] != 0 : node == entry_t; };
    stars.clear();
    gathered.clear();
    rest.clear();  // with a fallback: the nodes that are not primary (W)
    bool fallback = fallbacks || entry_t != no_state;
    std::size_t primaries = 0, others = 0;
    tstars.clear();
    for (u32 i = b; i < e; ++i) {
      const u32 node = set_items[i];
      if (node & star_only) {  // a fallback target's stand-in for a `*` child of T (below)
        stars.push_back(node & ~star_only);
        continue;
      }
      rec.add_trail_ops(nodes[node].trail_ops());
      rec.add_term_ops(nodes[node].term_ops());
      if (const u32 star = nodes[node].star_child(); star != dead && live(star)) {
        stars.push_back(star);
        if (fallback && in_t(node)) tstars.push_back(star | star_only);
      }
      if (fallback) {
        if (in_t(node)) ++primaries;
        else ++others, rest.push_back(node);
      }
    }
    fallback = fallback && primaries != 0 && others != 0;
    // Leaves (no live edge, no live `*` child) add only their ops to S, which S already has:
    // a fallback target needs none of them (its own ops are never read through a fallback).
    // A state of leaves and other nodes, nothing primary among them, falls back to the others'
    // state with no transitions of its own (`[*]*:y` beside `*:*:x`: the state after `y`
    // otherwise copies every `x`).
    bool leaf_fallback = false;
    if (fallbacks) {
      std::size_t leaves = 0;
      for (u32 i = b; i < e; ++i)
        if ((set_items[i] & star_only) == 0 && leaf[set_items[i]]) ++leaves;
      if (leaves != 0) {
        if (fallback) {
          rest.erase(std::remove_if(rest.begin(), rest.end(), [&](u32 node) { return leaf[node] != 0; }), rest.end());
          // W all leaves and no `*` child in T: a segment T does not name leads nowhere (the
          // default, dead, without the fallback's out-of-line check).
          fallback = !rest.empty() || !tstars.empty();
        } else if (leaves != e - b) {
          leaf_fallback = true;
          rest.clear();
          for (u32 i = b; i < e; ++i)
            if ((set_items[i] & star_only) != 0 || !leaf[set_items[i]]) rest.push_back(set_items[i]);
        }
      }
    }
    if (leaf_fallback) {
      // no transitions and no default: the fallback answers every segment
    } else if (!fallback) {
      for (u32 i = b; i < e; ++i)
        if ((set_items[i] & star_only) == 0)
          for (u32 k = node_edges[set_items[i]]; k < node_edges[set_items[i] + 1]; ++k)
            if (live(tedges[k].child)) gathered.push_back(tedges[k]);
    } else {
      // Only the edges on T's segments are kept: T's, then W's on those segments, each
      // found in its node's range (sorted by segment) instead of gathering and sorting all of W's.
      named_sids.clear();
      for (u32 i = b; i < e; ++i)
        if (in_t(set_items[i]))
          for (u32 k = node_edges[set_items[i]]; k < node_edges[set_items[i] + 1]; ++k)
            if (live(tedges[k].child)) gathered.push_back(tedges[k]), named_sids.push_back(tedges[k].sid);
      std::sort(named_sids.begin(), named_sids.end());
      named_sids.erase(std::unique(named_sids.begin(), named_sids.end()), named_sids.end());
      for (u32 i = b; i < e; ++i) {
        const u32 node = set_items[i];
        if (in_t(node) || node_edges[node] == node_edges[node + 1]) continue;
        const auto first = tedges.begin() + node_edges[node], last = tedges.begin() + node_edges[node + 1];
        for (const u32 sid : named_sids) {
          const auto it = std::lower_bound(first, last, sid, [](const trie_edge& x, u32 v) { return x.sid < v; });
          if (it != last && it->sid == sid && live(it->child)) gathered.push_back(*it);
        }
      }
    }
    std::sort(stars.begin(), stars.end());
    // Many edges: bottom-up merges of the sorted runs (found where the order breaks), two at a
    // time (n log(runs) where sorting takes n log n); up to 16: sorted (std::sort's insertion
    // sort, cheaper than the merges' bookkeeping). Either gives the one order: an edge is the
    // only way into its child, so no two edges share (segment, child).
    if (gathered.size() <= 16) {
      if (e - b > 1) std::sort(gathered.begin(), gathered.end(), by_segment);
    } else {
      blocks.assign(1, 0);
      for (u32 k = 1; k < gathered.size(); ++k)
        if (by_segment(gathered[k], gathered[k - 1])) blocks.push_back(k);
      while (blocks.size() > 1) {
        const std::size_t n = gathered.size();
        merged.resize(n);
        merged_blocks.clear();
        for (std::size_t k = 0; k < blocks.size(); k += 2) {
          const std::size_t lo = blocks[k], mid = k + 1 < blocks.size() ? blocks[k + 1] : n,
                            hi = k + 2 < blocks.size() ? blocks[k + 2] : n;
          merged_blocks.push_back(static_cast<u32>(lo));
          std::merge(gathered.begin() + lo, gathered.begin() + mid, gathered.begin() + mid, gathered.begin() + hi,
                     merged.begin() + lo, by_segment);
        }
        gathered.swap(merged);
        blocks.swap(merged_blocks);
      }
    }
    if (fallbacks) at_depth = depth[st];
    if (leaf_fallback) rec.set_fallback(state_of(rest));
    if (fallback) {
      // A segment T's edges do not name moves S as it moves W ∪ {a stand-in for each of T's `*`
      // children}: only the transitions on T's segments were gathered (each still goes to T's
      // children ∪ every `*` child ∪ W's move). Without `*` children in T that is W's state.
      if (!tstars.empty()) {
        std::sort(tstars.begin(), tstars.end());
        tstars.erase(std::unique(tstars.begin(), tstars.end()), tstars.end());
        rest.append(tstars.begin(), tstars.end());  // after every node: still sorted
      }
      rec.set_fallback(state_of(rest));
    }
    work += gathered.size();
    if (fallbacks) at_depth = depth[st] + 1;
    if (!fallback && !leaf_fallback) rec.set_default_next(state_of(stars));
    for (std::size_t i = 0; i < gathered.size();) {
      std::size_t j = i;
      set.clear();
      while (j < gathered.size() && gathered[j].sid == gathered[i].sid) set.push_back(gathered[j++].child);
      if (!stars.empty()) {
        set.append(stars.begin(), stars.end());
        // Not std::inplace_merge: it is not constexpr (it may allocate), and construction must be.
        std::sort(set.begin(), set.end());
      }
      ts.push_back(transition{st, gathered[i].sid, state_of(set)});
      if (++stored > limit || ++work > budget) over = true;
      i = j;
    }
    if (states.size() == st) states.push_back(rec);  // states come in order (2 exists already)
    else states[st] = rec;
  }
  if (over) return false;
  states.resize(set_offsets.size() - 1);
  u32 first_state = start;
  // The transitions' ranges per state, for every pass after this one (ts_first): the plain
  // construction emits them grouped by state (the qualifier state's, then state 2's, ... each
  // by segment); with fallbacks, the depth order regroups them and yields the ranges.
  // node_edges is not read after a construction that succeeded: its memory serves ts_first.
  ts_first.swap(node_edges);
  if (fallbacks) order_by_depth(states, ts, first_state, depth, set_offsets.data(), ts_first);
  else owner_ranges(ts, ts_first, states.size(), [](const transition& t) { return t.from; });
  minimise(states, ts, first_state);
  compress_runs(states, ts, first_state);
  find_mid_runs(states, ts, first_state, true);
  drop_chains(states, ts, first_state);
  order_depth_first(states, ts, first_state);
  out.walk = false;
  bool any_fallback = false;
  for (const auto& st : states) any_fallback = any_fallback || st.has_fallback();
  // (the plain construction's fallbacks are at named qualifiers' entry states only)
  out.fallbacks = fallbacks && any_fallback;
  out.entry_fallbacks = !fallbacks && any_fallback;
  out.out_of_line = out.chains || out.fallbacks;
  out.start = first_state;
  emit(std::move(states), ts);
  return true;
}

constexpr bool builder::determinise_plain() { return determinise<false>(); }
constexpr bool builder::determinise_with_fallbacks() { return determinise<true>(); }

// Lower bounds on what the two constructions must make, from states each distinct from every
// other counted (each holds a trie node that no other one holds). A construction stops only
// beyond its budget, and what it counts only grows, so a lower bound beyond the budget means it
// returns false: skipping it changes no result, only the build's time.
//
// determinise<false>(), its work (budget: the bound):
// - the entry state {q, [*] root} of each named qualifier q: 1 + its gathered edges (q's and
//   the `[*]` root's live edges) + one transition per distinct segment among them (at least
//   the larger count); when it falls back to {[*] root} (entry_falls_back), 1 + q's live edges
//   gathered + a transition for each. The `[*]`-beside-many-qualifiers shape (bench/ quals at
//   N = 4096).
// - the state after each literal path of d segments from a root R (unqualified or named) to a
//   live node n: it holds n and, as `*` matches any segment, R's and the `[*]` root's star
//   chains at depth d, R.*^d and [*].*^d, when live: 1 + those nodes + their live edges
//   gathered + one transition per distinct segment (at least the largest count). `*:*:x` or
//   `[*]*:y` beside many tenant-scoped paths (bench/ lead1, lead10): the plain construction
//   copies the chains' edges into every path's state.
// - the state after each literal path from the `[*]` root to a live node m, in the run of the
//   other qualifiers' class (entry {[*] root}): m and [*].*^d, counted as above.
// determinise<true>(), what it stores (budget: the bound; its work's budget is larger):
// - the state after each such path from R: n is primary, so its state keeps n's transitions:
//   1 + n's live edges;
// - the state after each literal path from the `[*]` root to a node m that is not a leaf:
//   the unqualified name's run stands on m with [*].*^d and the unqualified root's *^d, and
//   the state that holds them without a primary node (the run's own, or its fallback target,
//   or that one's leafless target, or a split record's first part) copies every transition of
//   theirs: 1 + the largest count; where the unqualified *^d has edges, the other qualifiers'
//   run (without it) makes a second such state. `[*]tenantK:…` beside `[*]*:y` (bench/ lead1
//   and lead10 at 32768, lead10 at 4096). But when the unqualified root has a `*` child and
//   does not name the path's first segment, the unqualified run splits at its first segment
//   (a split record: the `[*]` part and the unqualified root's `*` part run apart), and only
//   the other qualifiers' state is made: counted once.
constexpr builder::bounds builder::bounds_exceeded() const {
  const std::size_t limit = dfa_bound();
  bounds out;
  const std::size_t any = live(3) ? live_edges(3) : 0;
  std::size_t plain = 2;
  for (const auto& q : qualifier_edges) {
    if (!live(q.child)) continue;  // its entry state is {[*] root}, shared
    const std::size_t own = live_edges(q.child);
    // (an entry that falls back gathers q's edges, at most as many of the [*] root's, and
    // makes a transition per q's edge)
    plain += entry_falls_back(q.child, own, any) ? 1 + 2 * own : 1 + own + any + std::max(own, any);
    if (plain > limit) {
      out.plain = true;
      break;
    }
  }
  // The star chains' live edges by depth: root r's R.*^d at chain[chain_at[r] + d - 1] (0
  // beyond its chain, chain_at[r + 1]); r = 0 the `[*]` root, 1 the unqualified one, then each
  // named one (its index in qualifier_edges + 2). One flat array, as long as the chains: linear
  // in the capability however many roots and however long one chain.
  const std::size_t roots = qualifier_edges.size() + 2;
  auto root_node = [&](std::size_t r) { return r == 0 ? u32{3} : r == 1 ? u32{2} : qualifier_edges[r - 2].child; };
  std::size_t links = 0, most = 0;  // chain nodes; the most edges of one
  for (std::size_t r = 0; r < roots; ++r)
    for (u32 at = nodes[root_node(r)].star_child(); at != dead && live(at); at = nodes[at].star_child())
      ++links, most = std::max(most, live_edges(at));
  // Below, upper bounds on the sums decide whether the pass over the paths can prove anything;
  // first the loosest (each chain node as wide as the widest), before any allocation.
  if (plain + (4 + 4 * most) * nodes.size() + 2 * tedges.size() <= limit) return out;
  bvec<std::size_t> chain(arena());
  bvec<u32> chain_at(roots + 1, 0, arena());
  chain.reserve(links);
  for (std::size_t r = 0; r < roots; ++r) {
    chain_at[r] = static_cast<u32>(chain.size());
    for (u32 at = nodes[root_node(r)].star_child(); at != dead && live(at); at = nodes[at].star_child())
      chain.push_back(live_edges(at));
  }
  chain_at[roots] = static_cast<u32>(chain.size());
  auto at_depth = [&](std::size_t r, u32 d) {  // d >= 1
    return chain_at[r] + d - 1 < chain_at[r + 1] ? chain[chain_at[r] + d - 1] : std::size_t{0};
  };
  // Upper bounds on the two sums, from the widest chains: where one stays within the bound
  // (small capabilities, narrow chains), the pass over the paths is not made for it. A path's
  // term is at most 4 + 2 × (its node's edges + both chains' edges) for the plain
  // construction, 2 + 2 × (its node's edges + both chains' edges) for the other. (A root
  // without a chain pairs the `[*]` root's with nothing.)
  std::size_t widest = 0, widest_unqualified = 0;
  for (u32 d = 1; d <= chain_at[1]; ++d) widest = std::max(widest, at_depth(0, d));
  for (std::size_t r = 1; r < roots; ++r) {
    const u32 longest = std::max(chain_at[r + 1] - chain_at[r], chain_at[1]);
    for (u32 d = 1; chain_at[r + 1] != chain_at[r] && d <= longest; ++d)
      widest = std::max(widest, at_depth(r, d) + at_depth(0, d));
    if (r == 1)
      for (u32 d = 1; d <= longest; ++d) widest_unqualified = std::max(widest_unqualified, at_depth(1, d) + at_depth(0, d));
  }
  bool want_plain = !out.plain && plain + (4 + 2 * widest) * nodes.size() + 2 * tedges.size() > limit;
  bool want_fallback = (2 + 2 * widest_unqualified) * nodes.size() + 2 * tedges.size() > limit;
  // Literal paths from each root, in node order (a child comes after its parent): per node its
  // root's chain index + 1 (0: not on a literal path from a root) and its depth.
  bvec<u32> root_of(want_plain || want_fallback ? nodes.size() : 0, 0, arena());
  bvec<u32> depth(root_of.size(), 0, arena());
  if (root_of.empty()) return out;
  for (std::size_t r = 0; r < roots; ++r) root_of[root_node(r)] = static_cast<u32>(r + 1);
  // Per node on a path from the `[*]` root: 1 when the unqualified run splits at its first
  // segment (the unqualified root has a live `*` child and no live edge on that segment).
  bvec<u8> apart(root_of.size(), 0, arena());
  const u32 unqualified_star = nodes[2].star_child();
  const bool splits_first = unqualified_star != dead && live(unqualified_star);
  const auto unqualified_names = [&](u32 sid) {
    const auto first = tedges.begin() + node_edges[2], last = tedges.begin() + node_edges[3];
    const auto it = std::lower_bound(first, last, sid, [](const trie_edge& x, u32 v) { return x.sid < v; });
    return it != last && it->sid == sid && live(it->child);
  };
  std::size_t stored = 2;
  for (u32 node = 0; node < nodes.size() && (want_plain || want_fallback); ++node) {
    const u32 r = root_of[node];
    if (r == 0) continue;
    const u32 d = depth[node];
    std::size_t own = 0;
    for (u32 k = node_edges[node]; k < node_edges[node + 1]; ++k) {
      const u32 child = tedges[k].child;
      root_of[child] = r;
      depth[child] = d + 1;
      own += live(child) ? 1 : 0;
      if (r == 1) apart[child] = d == 0 ? (splits_first && !unqualified_names(tedges[k].sid) ? 1 : 0) : apart[node];
    }
    if (d == 0 || !live(node)) continue;
    const std::size_t all = at_depth(0, d);
    if (r == 1) {
      plain += 2 + (all != 0) + own + all + std::max(own, all);  // the other qualifiers' run: m and [*].*^d
      const u32 star = nodes[node].star_child();
      if (own != 0 || (star != dead && live(star))) {  // not a leaf
        const std::size_t unqualified = apart[node] ? 0 : at_depth(1, d);
        stored += 1 + std::max({own, unqualified, all});
        if (unqualified != 0) stored += 1 + std::max(own, all);  // the other qualifiers' run: without *^d
      }
    } else {
      const std::size_t mine = at_depth(r - 1, d);
      plain += 2 + (mine != 0) + (all != 0) + own + mine + all + std::max({own, mine, all});
      stored += 1 + own;
    }
    if (want_plain && plain > limit) out.plain = true, want_plain = false;
    if (want_fallback && stored > limit) out.fallbacks = true, want_fallback = false;
  }
  return out;
}

// A state and its place in an order as one number (order_by_depth).
struct keyed {
  u64 key = 0;
  u32 state = 0;
};

// Sorts `n` keyed states by key, equal keys by state, when they start in state order: a
// least-significant-digit radix sort, which is stable, one pass per byte of the key that some
// two of them differ in (usually three or four). std::sort with the two-field comparison was
// 8 % of bench/ lead0.1/32768's build.
CAPMATCH_DETAIL_NOINLINE constexpr void sort_by_key(keyed* const a, const std::size_t n) {
  if (n < 2) return;
  bvec<keyed> buffer(n, keyed{});
  keyed *src = a, *dst = buffer.data();
  u64 differ = 0;
  for (std::size_t i = 1; i < n; ++i) differ |= a[i].key ^ a[0].key;
  for (unsigned shift = 0; shift < 64; shift += 8) {
    if (((differ >> shift) & 0xff) == 0) continue;
    std::size_t at[257] = {};
    for (std::size_t i = 0; i < n; ++i) ++at[((src[i].key >> shift) & 0xff) + 1];
    for (std::size_t d = 1; d < 257; ++d) at[d] += at[d - 1];
    for (std::size_t i = 0; i < n; ++i) dst[at[(src[i].key >> shift) & 0xff]++] = src[i];
    std::swap(src, dst);
  }
  if (src != a)
    for (std::size_t i = 0; i < n; ++i) a[i] = src[i];
}

// Renumbers the states of an automaton with fallbacks so that every link leads to a higher
// number, as minimise and compress_runs expect: by depth (a transition or default goes one
// deeper), then by set size, larger first (a fallback goes to a smaller set at the same depth).
constexpr void builder::order_by_depth(bvec<state_rec>& states, bvec<transition>& ts, u32& start,
                                       const bvec<u32>& depth, const u32* set_offsets, bvec<u32>& first) {
  const auto count = static_cast<u32>(states.size());
  // A fallback target's set is never larger than its source's (a stand-in per `*` child of T
  // replaces T's nodes): at equal sizes the state with the fallback comes first. The order as
  // one number per state (depth, then set size larger first, then the fallback first), then
  // the state number.
  bvec<keyed> order(count, keyed{}, states.arena());
  for (u32 i = 0; i < count; ++i) {
    const u32 size = set_offsets[i + 1] - set_offsets[i];
    order[i] = keyed{u64{depth[i]} << 33 | u64{~size} << 1 | (states[i].has_fallback() ? 0u : 1u), i};
  }
  sort_by_key(order.data() + 2, count - 2);
  bvec<u32> id(count, 0, states.arena());
  for (u32 i = 0; i < count; ++i) id[order[i].state] = i;
  permute(states, ts, id.data(), start);
  // minimise and the passes after it read a state's transitions as one range, in segment order.
  group_by_owner(ts, first, count, [](const transition& t) { return t.from; });
}

}  // namespace detail::cm
CAPMATCH_NAMESPACE_END
