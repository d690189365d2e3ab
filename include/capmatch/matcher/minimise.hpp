// capmatch — matcher internals: minimisation (docs/matcher.md, step 3).
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "builder.hpp"

CAPMATCH_NAMESPACE_BEGIN
namespace detail::cm {

// Merges equivalent states (same masks, same default, same transitions to equivalent
// states): the many states where one pattern ends and nothing follows collapse into one
// per op set. Transitions only go to higher-numbered states (or dead), so one pass from
// the last state down suffices. Renumbers `states` and `ts` in place.
constexpr void builder::minimise(bvec<state_rec>& states, bvec<transition>& ts, u32& start) {
  const auto count = static_cast<u32>(states.size());
  const u32* const first = ts_first.data();  // transitions of state i: [first[i], first[i+1]) in ts
  u32* const rep = scratch_arrays<2>(count + 1);
  u32* const id = rep + (count + 1);
  rep[qualifier_state] = qualifier_state;
  index_map& sigs = lookup;  // the state sets' index is no longer needed
  sigs.reset(count);
  // (a split record's second link is a link too: its flags and the class it leads to)
  auto second = [&](u32 st) { return states[st].splits() ? rep[states[st].split_second()] : no_state; };
  auto hash_of = [&](u32 st) {
    u64 h = mix2(mix2(states[st].trail_ops(), states[st].term_ops() | (states[st].has_fallback() ? fallback_flag : 0)),
                 rep[states[st].default_next()] ^ u64{second(st)} << 32);
    // (one mix per transition: which states are equal does not depend on the hash)
    // (one multiply a transition: mix2's second and its shift bought no fewer probes)
    for (u32 k = first[st]; k < first[st + 1]; ++k) h = (h ^ (u64{ts[k].sid} << 32 | rep[ts[k].to])) * k_state;
    return h;
  };
  auto same = [&](u32 a, u32 b) {
    if (states[a].trail_ops() != states[b].trail_ops() || states[a].term_ops() != states[b].term_ops() ||
        states[a].has_fallback() != states[b].has_fallback() || second(a) != second(b) ||
        rep[states[a].default_next()] != rep[states[b].default_next()] || first[a + 1] - first[a] != first[b + 1] - first[b])
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
    const u32 found = sigs.find_or_insert(hash_of(st), st, [&](u32 other) { return same(st, other); }, hash_of);
    rep[st] = found != no_state ? found : st;
  }
  // Renumber the representatives in order; drop the others. In place: a state's new number
  // is never above its old one, and both passes go up.
  u32 next_id = 2;
  id[qualifier_state] = qualifier_state;  // id[dead] = dead (zeroed), rep[dead] = dead too
  for (u32 st = 2; st < count; ++st) id[st] = rep[st] == st ? next_id++ : no_state;
  states[dead] = state_rec{};
  renumber(states, ts, id, [&](u32 next) { return id[rep[next]]; }, [](const transition&) { return true; });
  start = id[rep[start]];
}

}  // namespace detail::cm
CAPMATCH_NAMESPACE_END
