// capmatch — matcher internals: the tables' emission (the depth-first order of large automata,
// the trie walk's states, the state records with their tables, the long-edge table, the pool of
// run text; docs/matcher.md, "Tables").
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "builder.hpp"

CAPMATCH_NAMESPACE_BEGIN
namespace detail::cm {

// Depth-first order: see builder::order_depth_first. After drop_chains, before emit.
constexpr void builder::order_depth_first(bvec<state_rec>& states, bvec<transition>& ts, u32& start) {
  const auto count = static_cast<u32>(states.size());
  if (count * sizeof(state_rec) <= matcher_locality_bytes) return;
  const u32* const first = ts_first.data();  // transitions of state i: [first[i], first[i+1]) in ts
  u32* const id = scratch_arrays<2>(count + 1);
  u32* const run_end = id + (count + 1);  // + 1: the state after a run or mid-run it heads
  for (const auto* list : {&runs, &mid_runs})
    for (const auto& r : *list) run_end[r.state] = r.target + 1;
  for (u32 st = 2; st < count; ++st) id[st] = no_state;  // (id[dead] = dead: zeroed)
  id[qualifier_state] = qualifier_state;
  // A state's successors in the order they are numbered: the fallback (read at every segment
  // the state's transitions do not name: beside its first source; numbered last, lead1/4096
  // checked 6 % slower); the literal transitions, in segment order (a kept chain's states
  // before its end); the state after a run (beside its head when the run replaced the
  // transitions into it); the default.
  auto successors = [&](u32 st, auto&& f) {
    if (states[st].has_fallback()) f(states[st].fallback());
    if (states[st].splits()) f(states[st].split_second());
    for (u32 k = first[st]; k < first[st + 1]; ++k) f(ts[k].to);
    if (run_end[st] != 0) f(run_end[st] - 1);
    if (states[st].default_next() != dead && !states[st].has_fallback()) f(states[st].default_next());
  };
  bvec<u32> stack(arena());
  auto push_successors = [&](u32 st) {  // (reversed on the stack: popped in successors' order)
    const std::size_t mark = stack.size();
    successors(st, [&](u32 next) { stack.push_back(next); });
    std::reverse(stack.begin() + static_cast<std::ptrdiff_t>(mark), stack.end());
  };
  // From the entry states in this order: the unqualified start, the other qualifiers' class,
  // the named ones. (Numbering the entry states and their successors first, breadth first, and
  // depth first below them was no faster: scoped and global at 32768 +4 %, deep +2 %.)
  for (u32 k = first[qualifier_state + 1]; k-- > first[qualifier_state];) stack.push_back(ts[k].to);
  stack.push_back(states[qualifier_state].default_next());
  stack.push_back(start);
  u32 next_id = 2;
  while (!stack.empty()) {
    const u32 st = stack.back();
    stack.pop_back();
    if (id[st] != no_state) continue;
    id[st] = next_id++;
    push_successors(st);
  }
  for (u32 st = 2; st < count; ++st)  // (none: every state is reachable; kept in order if not)
    if (id[st] == no_state) id[st] = next_id++;
  permute(states, ts, id, start);  // (ts in place: emit's order stays)
  renumber_runs(id);
}

// The trie walk: see builder::emit_walk. The trie's nodes and edges as they are (star chains
// skipped), emitted like an automaton.
constexpr void builder::emit_walk() {
  out.out_of_line = true;
  out.start = 2;
  out.any_root = 3;
  bvec<state_rec> states = nodes;
  states[qualifier_state].set_star_child(dead);
  const u32* const id = skip_star_chains(states);
  bvec<transition> ts(arena());
  ts.reserve(tedges.size() + qualifier_edges.size());
  for (const auto& e : qualifier_edges) ts.push_back(transition{id[e.node], e.sid, id[e.child]});
  for (const auto& e : tedges) ts.push_back(transition{id[e.node], e.sid, id[e.child]});
  emit(std::move(states), ts);
}

// Layout: see builder::emit.
constexpr void builder::emit(bvec<state_rec> states, const bvec<transition>& ts) {
  const std::size_t count = states.size();
  std::size_t n_long = 0;
  for (const auto& r : mid_runs) n_long += r.held ? 0 : 1;
  // In the scratch buffer (free once the passes are done): per state, its short transitions
  // (| any_transition when it has a literal transition), then its table's entries; per state,
  // its reference; per segment, a long segment's pool offset + 1 (0: not placed yet).
  const std::size_t width = std::max(count, segs.size());
  u32* const entries = scratch_arrays<3>(width);
  u32* const refs = entries + width;
  u32* const pool_at = refs + width;
  constexpr u32 any_transition = u32{1} << 31;
  for (const auto& t : ts) {
    entries[t.from] |= any_transition;
    if (segs[t.sid].size <= 8) ++entries[t.from];
    else ++n_long;
  }
  // The qualifier pseudo-state of a capability without named qualifiers or `[*]` patterns has
  // no transition and a blank record, the dead state's: it is emitted as the dead state (16
  // bytes less per matcher, a quarter of a one-pattern capability's tables). Any other state
  // like that is dead already (minimisation merges it); this one keeps its number while
  // building, since the passes find the qualifier classes through it.
  const bool qualifier_dead = entries[qualifier_state] == 0 && states[qualifier_state].blank();
  std::size_t words = 0;
  for (std::size_t i = 0; i < count && words <= max_table_words; ++i) {
    if (i == qualifier_state && qualifier_dead) {
      refs[i] = refs[dead];
      continue;
    }
    const u32 shorts = entries[i] & ~any_transition;
    entries[i] = entries[i] == 0 ? 0 : table_entries(shorts == 0 ? 1 : shorts);
    const u32 k = entries[i] == 0 ? 0 : static_cast<u32>(std::countr_zero(entries[i]));
    refs[i] = make_ref(static_cast<u32>(words), k);
    words += record_words + entry_words * std::size_t{entries[i]};
  }
  if (words > max_table_words) return;
  out.state_count = static_cast<u32>(count - (qualifier_dead ? 1 : 0));
  out.words.assign(words, 0);
  const auto reference = [refs](u32 st) { return refs[st]; };
  // An empty long-edge table stays empty: lookups then probe a shared empty slot (storage::view).
  // Load <= 3/4 (2/3 until session 23): 1-5 bytes per pattern less where tenant ids are 9
  // bytes or longer, +0.3-1.1 % instructions per check (bench/RESULTS.md, "Session 23").
  out.long_cap = n_long == 0 ? 0 : static_cast<u32>(n_long + n_long / 3 + 1);
  out.long_edges.assign(n_long == 0 ? 0 : out.long_cap + 1, long_edge_rec{});
  for (const auto& t : ts) {
    const seg_info& g = segs[t.sid];
    const u64 hk = g.key * k_mul;
    states[t.from].add_filter_bit(filter_bit(hk));
    if (g.size <= 8) {
      state_ref::store_short(out.words.data() + offset_of(refs[t.from]) + record_words, table_log2(refs[t.from]),
                             g.key, hk, refs[t.to]);
    } else {
      if (pool_at[t.sid] == 0) {  // each segment's bytes once
        const auto p = static_cast<u32>(out.pool.size());
        pool_at[t.sid] = p + 1;
        const std::string_view bytes = seg_view(t.sid);
        out.pool.insert(out.pool.end(), bytes.begin(), bytes.end());
        if (bytes.size() < 16) out.pool.resize(p + 16, '\0');  // compared as two padded words
      }
      const u32 off = pool_at[t.sid] - 1;
      place(out.long_edges, home_slot(hk, state_hash(refs[t.from]), out.long_cap),
            long_edge_rec{long_tag(g.key, g.size), refs[t.from], refs[t.to], off});
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
      states[r.state].set_run(static_cast<u32>(out.pool.size()), r.size, r.target);
      write_run(r);
    }
  // Mid-runs (at least two segments, so never under 3 bytes): held by their heads when the
  // chain was dropped, else their records in the long-edge table (the filter does not get
  // their bit: only a mid-run head's run_length() leads there). Their bytes go to the pool
  // once: a run whose bytes end another's (the runs through a suffix that minimisation
  // merged) points into that one's (mid_run_offsets).
  const bvec<u32> run_at = mid_run_offsets();
  for (std::size_t i = 0; i < mid_runs.size(); ++i) {
    const run_info& r = mid_runs[i];
    if (r.held) {
      states[r.state].set_held_run(run_at[i], r.size, r.target, r.wild);
    } else {
      states[r.state].set_mid_run(r.size);
      place(out.long_edges, home_slot(mid_run_key * k_mul, state_hash(refs[r.state]), out.long_cap),
            long_edge_rec{mid_run_tag_of(r.size), refs[r.state], refs[r.target], run_at[i] | (r.wild ? wild_run : 0)});
    }
  }
  // The records, their links (the default transition, trie: the `*` child) as references.
  for (std::size_t i = 0; i < count; ++i) {
    if (i == qualifier_state && qualifier_dead) continue;  // (dead's record)
    states[i].map_link(reference);
    states[i].write(out.words.data() + offset_of(refs[i]), entries[i]);
  }
  out.start = refs[out.start];
  out.any_root = refs[out.any_root];
  out.qualifier_root = refs[qualifier_state];
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
    out.quick[quick++] = quick_qualifier{key, ~u64{0} >> (64 - 8 * size), refs[t.to], static_cast<u32>(size)};
  }
}

// Mid-runs' bytes: see builder::mid_run_offsets.
constexpr bvec<u32> builder::mid_run_offsets() {
  const std::size_t n = mid_runs.size();
  // None (most small capabilities): nothing to place, and the pool is not reserved again
  // (O(1), before any setup). The search for shared run text below needs two runs or more.
  if (n == 0) return {};
  const u32* const steps = run_steps.data();
  bvec<u32> host(n, 0, arena()), at(n, 0, arena());  // (host[0] = 0: the first run is its own)
  // (one multiply a step: only equal steps need equal hashes, and index_map mixes h again)
  const auto step_hash = [](u64 h, u32 step) { return (h ^ step) * k_mul; };
  const auto steps_hash = [&](u32 b, u32 e) {
    u64 h = 0;
    for (u32 k = e; k-- > b;) h = step_hash(h, steps[k]);
    return h;
  };
  // Run j's steps equal [b, e)
  const auto same_steps = [&](u32 j, u32 b, u32 e) {
    const run_info& r = mid_runs[j];
    if (r.steps != e - b) return false;
    for (u32 k = 0; k < r.steps; ++k)
      if (steps[r.offset + k] != steps[b + k]) return false;
    return true;
  };
  // Which runs' bytes end another's (host[i] = i: its own), searched when there are two runs or
  // more (with one there is nothing to share: no index or filter to set up; 3.5 % of the
  // instructions of a one-pattern build whose `*:room:x` makes one mid-run, bench/ lead10/1).
  if (n > 1) {
    index_map& runs_by_steps = lookup;  // the constructions' index is no longer needed
    runs_by_steps.reset(n);  // (room for every run: it never grows, so never rehashes)
    const auto rehash = [&](u32 j) { return steps_hash(mid_runs[j].offset, mid_runs[j].offset + mid_runs[j].steps); };
    // One bit per indexed run's hash (its top bits), in 16 bits or more per run: most proper
    // suffixes are no run's steps, and a clear bit says so without a probe of the index (a
    // random read in a table of 8 bytes per run or more; deep/4096's mid_run_offsets read 8 %
    // of its build's samples).
    std::size_t filter_bits = 64;
    while (filter_bits < 16 * n) filter_bits *= 2;
    bvec<u64> filter(filter_bits / 64, 0, arena());
    const int filter_shift = 64 - std::countr_zero(filter_bits);
    for (std::size_t i = 0; i < n; ++i) {
      const u32 b = mid_runs[i].offset, e = b + mid_runs[i].steps;
      const u64 h = steps_hash(b, e);
      host[i] = runs_by_steps.find(h, [&](u32 j) { return same_steps(j, b, e); });  // the same steps: the same bytes
      if (host[i] == no_state) {
        host[i] = static_cast<u32>(i);
        runs_by_steps.insert(h, static_cast<u32>(i), rehash);
        filter[h >> filter_shift >> 6] |= u64{1} << (h >> filter_shift & 63);
      }
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (host[i] != i) continue;
      const u32 b = mid_runs[i].offset, e = b + mid_runs[i].steps;
      u64 h = 0;
      for (u32 k = e; k-- > b + 1;) {  // each proper suffix [k, e)
        h = step_hash(h, steps[k]);
        if ((filter[h >> filter_shift >> 6] >> (h >> filter_shift & 63) & 1) == 0) continue;
        const u32 j = runs_by_steps.find(h, [&](u32 r) { return host[r] == r && same_steps(r, k, e); });
        if (j != no_state) host[j] = static_cast<u32>(i);
      }
    }
  }
  // A host may be hosted in turn (its bytes the end of a longer run's): its root holds them.
  const auto root = [&](u32 i) {
    while (host[i] != i) i = host[i];
    return i;
  };
  std::size_t hosted_bytes = 8;  // (the pool grows once, not by doubling: each growth copies it)
  for (std::size_t i = 0; i < n; ++i) hosted_bytes += host[i] == i ? mid_runs[i].size : 0;
  out.pool.reserve(out.pool.size() + hosted_bytes);
  for (std::size_t i = 0; i < n; ++i) {
    const run_info& r = mid_runs[i];
    if (host[i] != i) continue;
    if (out.pool.size() + r.size < 8) out.pool.resize(8 - r.size, '\0');
    at[i] = static_cast<u32>(out.pool.size());
    write_run(r);
  }
  for (std::size_t i = 0; i < n; ++i)
    if (const u32 h = root(static_cast<u32>(i)); h != i) at[i] = at[h] + mid_runs[h].size - mid_runs[i].size;
  return at;
}

// Run text: see builder::write_run.
constexpr void builder::write_run(const run_info& r) {
  const std::size_t p = out.pool.size();
  out.pool.resize(p + r.size + 8, '\0');  // (with a value: clang cannot evaluate libstdc++'s default-initialising fill)
  char* o = out.pool.data() + p;
  for (u32 i = 0; i < r.steps; ++i) {
    if (i != 0) *o++ = ':';
    const u32 sid = run_steps[r.offset + i];
    if (sid == no_state) {
      *o++ = '\0';
      continue;
    }
    const u32 n = segs[sid].size;
    if (n <= 8) store8(o, segs[sid].key);
    else copy_bytes(o, seg_text.data() + segs[sid].offset, n);
    o += n;
  }
  out.pool.resize(p + r.size);
}

// The long-edge table's insertion: see builder::place.
constexpr void builder::place(std::vector<long_edge_rec>& table, u32 home, const long_edge_rec& rec) {
  std::size_t i = home;
  while (table[i].from != no_state) ++i;
  table[i] = rec;
  if (i + 1 == table.size()) table.push_back(long_edge_rec{});
}

}  // namespace detail::cm
CAPMATCH_NAMESPACE_END
