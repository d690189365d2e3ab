// Generators shared by the capability-algebra tests (builder, covers, union): random pattern
// documents and the finite universes of names their properties are checked over.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <vector>

#include "random.hpp"

namespace capmatch_test {

/// A pattern: a qualifier drawn from `qualifiers`, then 1-3 segments drawn from `segments`.
template <std::size_t Q, std::size_t S>
std::string random_pattern(splitmix64& rng, const char* const (&qualifiers)[Q], const char* const (&segments)[S]) {
  std::string s = rng.pick(qualifiers);
  const std::size_t n = 1 + rng.below(3);
  for (std::size_t i = 0; i < n; ++i) s += (i ? ":" : "") + std::string(rng.pick(segments));
  return s;
}

/// A capability document of 0..max_entries distinct resources made by `pattern(rng)`, each with
/// random_ops_json(rng, ops, 15, percent).
template <class Pattern, std::size_t N>
std::string random_document(splitmix64& rng, std::size_t max_entries, Pattern&& pattern, const char* const (&ops)[N],
                            unsigned percent) {
  std::vector<std::string> used;
  std::string doc = "{";
  const std::size_t n = rng.below(max_entries + 1);
  while (used.size() < n) {
    const std::string p = pattern(rng);
    bool dup = false;
    for (const auto& u : used) dup = dup || u == p;
    if (dup) continue;
    doc += (used.empty() ? "\"" : ",\"") + p + "\":" + random_ops_json(rng, ops, 15, percent);
    used.push_back(p);
  }
  return doc + "}";
}

/// Every name with 1..max_segments segments drawn from `segments`, under each of `qualifiers`.
inline std::vector<std::string> name_universe(std::initializer_list<const char*> qualifiers,
                                              std::initializer_list<const char*> segments, int max_segments) {
  std::vector<std::string> bodies, layer{""};
  for (int len = 1; len <= max_segments; ++len) {
    std::vector<std::string> next;
    for (const auto& prefix : layer)
      for (const char* seg : segments) next.push_back(prefix.empty() ? seg : prefix + ":" + seg);
    bodies.insert(bodies.end(), next.begin(), next.end());
    layer = next;
  }
  std::vector<std::string> names;
  for (const char* q : qualifiers)
    for (const auto& b : bodies) names.push_back(q + b);
  return names;
}

}  // namespace capmatch_test
