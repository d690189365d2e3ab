// capmatch — matcher internals: runs and mid-runs (chains of one-way states compared as bytes)
// and the chains they drop (docs/matcher.md, step 4, "Runs", "Mid-runs").
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "builder.hpp"

CAPMATCH_NAMESPACE_BEGIN
namespace detail::cm {

// One run's walk: see builder::walk_run.
constexpr builder::run_info builder::walk_run(const bvec<state_rec>& states, const bvec<transition>& ts,
                                              u32 head, bool stars, const u32* pairs) {
  const u32* const first = ts_first.data();
  // (room for the automaton's states and half as many again, reserved at the first run:
  // deep/4096 has 91 000 steps of runs through 70 000 states, so the list seldom grows)
  run_steps.reserve(states.size() + states.size() / 2);
  run_info r{head, 0, static_cast<u32>(run_steps.size()), 0, 0};
  // Each step's segment is read once: by the test whether the run goes
  // on (its size), then as the step.
  bool way = one_way(states, head);  // (the head is a mid-run step: one-way, or a star step)
  u32 at = head, sid = way ? ts[first[head]].sid : no_state;
  std::size_t size = way ? segs[sid].size : 1;
  const auto step = [&](u32 st) {
    return pairs != nullptr ? step_pair{pairs[2 * st], pairs[2 * st + 1]} : step_of(states, ts, st, stars);
  };
  for (;;) {
    run_steps.push_back(sid);
    if (way) ++r.segments;
    else r.wild = true;  // a star step (stars only)
    at = step(at).next - 1;  // (the head is a step, and so is every state inside)
    r.target = at;
    const u32 inside = step(at).inside;
    if (inside == 0) break;
    way = inside != star_step_segment;
    sid = way ? inside - 1 : no_state;
    const std::size_t bytes = way ? segs[sid].size : 1;
    if (size + 1 + bytes > max_resource_bytes) break;
    size += 1 + bytes;  // ':' and the step
  }
  r.steps = static_cast<u32>(run_steps.size()) - r.offset;
  r.size = static_cast<u32>(size);
  return r;
}

// Runs: see builder::runs.
constexpr void builder::compress_runs(bvec<state_rec>& states, bvec<transition>& ts, u32& start) {
  const auto count = static_cast<u32>(states.size());
  const u32* const first = ts_first.data();  // transitions of state i: [first[i], first[i+1]) in ts
  // No entry state one-way: no run. Then every state is kept (each is reachable: the
  // construction makes only reachable states, minimisation keeps one of each class, and
  // links lead to higher numbers, which the pass below relies on too), so the renumbering
  // would be the identity: return before any setup (deep, and most capabilities whose
  // entry states branch).
  bool any_run = one_way(states, start) || one_way(states, states[qualifier_state].default_next());
  for (u32 k = first[qualifier_state]; k < first[qualifier_state + 1] && !any_run; ++k)
    any_run = one_way(states, ts[k].to);
  if (!any_run) return;
  u32* const entry = scratch_arrays<5>(count + 1);
  u32* const entered = entry + (count + 1);
  u32* const run_of = entered + (count + 1);  // the run a state starts
  u32* const keep = run_of + (count + 1);
  u32* const id = keep + (count + 1);
  // Entry states: where a check starts (per qualifier class). Only those that nothing else
  // leads to start runs, so the check looks for a run once, before its loop.
  entry[start] = 1;
  entry[states[qualifier_state].default_next()] = 1;
  for (const auto& t : ts) (t.from == qualifier_state ? entry : entered)[t.to] = 1;
  for (u32 st = 2; st < count; ++st) states[st].for_each_link([&](u32 to) { entered[to] = 1; });
  for (u32 st = 0; st < count; ++st) run_of[st] = no_state;
  for (u32 st = 2; st < count; ++st) {
    if (!entry[st] || entered[st] || !one_way(states, st)) continue;
    run_of[st] = static_cast<u32>(runs.size());
    runs.push_back(walk_run(states, ts, st, false));
    run_bytes += runs.back().size;
  }
  // Keep the states still reachable: from the start states, through defaults, transitions
  // of non-run states, and runs (states are numbered in breadth order of depth: one pass).
  keep[dead] = keep[qualifier_state] = 1;
  keep[start] = 1;
  keep[states[qualifier_state].default_next()] = 1;
  for (u32 st = 1; st < count; ++st) {
    if (!keep[st]) continue;
    states[st].for_each_link([&](u32 to) { keep[to] = 1; });
    if (run_of[st] != no_state) {
      keep[runs[run_of[st]].target] = 1;
      continue;
    }
    for (u32 k = first[st]; k < first[st + 1]; ++k) keep[ts[k].to] = 1;
  }
  // Renumbered in place; a run state's transitions go (its run replaces them).
  u32 next_id = 0;
  for (u32 st = 0; st < count; ++st) id[st] = keep[st] ? next_id++ : no_state;
  renumber(states, ts, id, [&](u32 next) { return id[next]; },
           [&](const transition& t) { return run_of[t.from] == no_state; });
  renumber_runs(id);  // (no mid-runs yet)
  start = id[start];
}

// How many ways lead into each state, into a zeroed array `entered`: transitions, the
// records' links (defaults, fallbacks, split records' second parts), and from outside the
// tables the start state and the start runs' ends (the qualifier classes' entry states are
// entered by the qualifier pseudo-state). The one count of find_mid_runs and drop_chains.
constexpr void builder::count_entries(const bvec<state_rec>& states, const bvec<transition>& ts,
                                      u32 start, u32* entered) const {
  for (const auto& t : ts) ++entered[t.to];
  for (u32 st = 1; st < states.size(); ++st) states[st].for_each_link([&](u32 to) { ++entered[to]; });
  ++entered[start];
  for (const auto& r : runs) ++entered[r.target];
}

// Mid-runs: see builder::mid_runs. After compress_runs (state numbers final; an entry state's
// run has already taken its transitions away, so it is not one-way here).
constexpr void builder::find_mid_runs(const bvec<state_rec>& states, const bvec<transition>& ts,
                                      u32 start, bool stars) {
  // Without a literal transition there are only star steps, which the loop steps as fast.
  if (ts.empty()) return;  // (O(1), before any setup)
  const auto count = static_cast<u32>(states.size());
  scratch_arrays<5>(count + 1);
  const mid_run_arrays a = mid_run_scratch(count);
  u32* const pairs = a.step_pairs;
  u32* const entry = a.spare;
  u32* const after_step = entry + (count + 1);  // some mid-run step (not an entry) leads here
  count_entries(states, ts, start, a.entered);
  entry[start] = 1;
  entry[states[qualifier_state].default_next()] = 1;
  for (const auto& t : ts)
    if (t.from == qualifier_state) entry[t.to] = 1;
  for (u32 st = 2; st < count; ++st) {
    const step_pair p = step_of(states, ts, st, stars);
    if (p.next == 0) continue;
    pairs[2 * st] = p.next;
    pairs[2 * st + 1] = p.inside;
    if (!entry[st]) after_step[p.next - 1] = 1;
  }
  // (a step inside a mid-run, or a one-way one inside a run without `stars`: marked above)
  const auto inside = [&](u32 st) { return pairs[2 * st + 1] != 0; };
  // A head: a mid-run step, not an entry, the next state inside a mid-run too (two segments at
  // least), and not inside a chain that an earlier head covers (a step before it is a head or
  // inside a chain, whose walk goes on into this state). A covered state that more than one
  // state leads to (a suffix that minimisation merged) is kept in merged_heads: the runs
  // through it go on to their end (a check compares on instead of looking up another record:
  // deep/4096 checks 12 % faster than with runs that end there, for 15 % more memory), but
  // they cannot drop it, so drop_chains makes it a head too when it drops chains.
  merged_heads.clear();
  for (u32 st = 2; st < count; ++st) {
    if (entry[st] || pairs[2 * st] == 0 || !inside(pairs[2 * st] - 1)) continue;
    if (inside(st) && after_step[st]) {
      if (a.entered[st] > 1) merged_heads.push_back(st);
      continue;
    }
    add_mid_run(states, ts, st, stars, pairs);
  }
}

// The mid-run that `head` starts, unless it has fewer than two literal segments (stepping
// through star steps costs no more than comparing them) or the run text would exceed
// run_text_limit (a mid-run is optional: without one the check steps). True when added.
constexpr bool builder::add_mid_run(const bvec<state_rec>& states, const bvec<transition>& ts,
                                    u32 head, bool stars, const u32* pairs) {
  const run_info r = walk_run(states, ts, head, stars, pairs);
  if (r.segments < 2 || run_bytes + r.size > run_text_limit) {
    run_steps.resize(r.offset);
    return false;
  }
  run_bytes += r.size;
  mid_runs.push_back(r);
  return true;
}

// Long chains: see builder::drop_chains. After find_mid_runs.
constexpr void builder::drop_chains(bvec<state_rec>& states, bvec<transition>& ts, u32& start) {
  if (mid_runs.empty()) return;  // nothing to drop (O(1), before any setup)
  const auto count = static_cast<u32>(states.size());
  const mid_run_arrays a = mid_run_scratch(count);  // (find_mid_runs': the states are the same)
  const u32* const pairs = a.step_pairs;
  const u32* const entered = a.entered;
  u32* const read_by_fallback = a.spare;
  u32* const drop = read_by_fallback + (count + 1);  // then, in place, the new numbers
  std::fill(read_by_fallback, drop + (count + 1), u32{0});
  // A dropped chain's head loses its transition into the chain: only a check standing at the
  // head may then pass it (by the mid-run record). A fallback reads its target's transitions
  // from another state (tables::step), one segment at a time, so a fallback target keeps all
  // of its transitions: its chain is never dropped.
  for (u32 st = 2; st < count; ++st)
    if (states[st].has_fallback()) read_by_fallback[states[st].fallback()] = 1;
  u32 dropped = 0;
  const auto drop_chain = [&](const run_info& r) {
    if (read_by_fallback[r.state] || r.segments < mid_run_drop_segments) return;
    // The states after the head, up to the first that something else enters too.
    for (u32 at = pairs[2 * r.state] - 1; at != r.target && entered[at] == 1; at = pairs[2 * at] - 1) {
      drop[at] = 1;
      ++dropped;
    }
  };
  for (const auto& r : mid_runs) drop_chain(r);
  // Worth the out-of-line path for every check only when it saves a good share of the states.
  // Otherwise the mid-runs are found again without star steps: those are there to drop
  // chains, and where none are dropped a check of 8 to 64 bytes steps through them anyway
  // (with them, anyq kept 4 bytes per pattern more), while the literal runs they took in help
  // the names over 64 bytes. (find_mid_runs takes the scratch arrays: nothing here reads
  // them after it.)
  if (dropped * mid_run_drop_share < count) {
    if (std::any_of(mid_runs.begin(), mid_runs.end(), [](const run_info& r) { return r.wild; })) {
      run_steps.resize(mid_runs.front().offset);  // (mid-runs come after the start runs' steps)
      for (const auto& r : mid_runs) run_bytes -= r.size;
      mid_runs.clear();
      find_mid_runs(states, ts, start, false);
    }
    return;
  }
  out.chains = true;
  // The merged states inside chains head runs of their own, so that what follows them goes too.
  for (const u32 m : merged_heads)
    if (add_mid_run(states, ts, m, true, pairs)) drop_chain(mid_runs.back());
  // A head whose next state goes loses its one way on: it then holds its run (emit).
  for (auto& r : mid_runs) r.held = drop[pairs[2 * r.state] - 1] != 0;
  // Renumbered in place. A dropped state has one entry, its head's transition or (a star step
  // head) default: the transition goes, the default becomes dead (the record leads on).
  u32* const id = drop;
  u32 next_id = 0;
  for (u32 st = 0; st < count; ++st) id[st] = drop[st] ? no_state : next_id++;
  renumber(states, ts, id, [&](u32 next) { return id[next] == no_state ? dead : id[next]; },
           [&](const transition& t) { return id[t.to] != no_state; });
  renumber_runs(id);
  start = id[start];
}

}  // namespace detail::cm
CAPMATCH_NAMESPACE_END
