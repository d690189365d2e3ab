// capmatch — covers(a, b): does capability a grant everything b grants? (docs/semantics.md
// Decision C1). An auth server uses it to verify that an issued token holds what it needs.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>

#include "capability.hpp"
#include "detail/pattern_trie.hpp"
#include "operation.hpp"
#include "pattern.hpp"
#include "version.hpp"

CAPMATCH_NAMESPACE_BEGIN

/// Trie steps per segment of a and b in covers' default work budget.
inline constexpr std::size_t covers_steps_per_segment = 16;
/// Trie steps every covers call gets in its default work budget, however small a and b are.
inline constexpr std::size_t covers_steps_base = 65536;

/// covers' default work budget: covers_steps_per_segment steps per ':'-separated segment of
/// the patterns of a and b, plus covers_steps_base (docs/limits.md, "covers").
[[nodiscard]] constexpr std::size_t covers_default_budget(const capability& a, const capability& b) noexcept {
  return covers_steps_base + covers_steps_per_segment * (detail::segment_count(a) + detail::segment_count(b));
}

namespace detail {

/// What covers_counted did: trie steps taken, and whether the budget ran out first.
struct covers_work {
  std::size_t steps = 0;
  bool exhausted = false;
};

/// covers(a, b, budget), reporting its work (the complexity tests count it).
[[nodiscard]] constexpr bool covers_counted(const capability& a, const capability& b, std::size_t budget,
                                            covers_work& work) noexcept {
  constexpr std::uint32_t app_wide = op_set(operation::stats).bits() | op_set(operation::push_admin).bits();
  std::uint32_t app_a = 0, app_b = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a.pattern_at(i).covers_all_channels()) app_a |= a.ops(i).granted_bits();
  for (std::size_t j = 0; j < b.size(); ++j)
    if (b.pattern_at(j).covers_all_channels()) app_b |= b.ops(j).granted_bits();
  if ((app_b & ~app_a) != 0) return false;
  // The entries of `a` that contain b's pattern are found by a walk of a's pattern trie
  // (detail::pattern_trie), not by testing every entry of `a` (issue 14).
  pattern_trie trie(a);
  trie.set_budget(budget);
  bool covered = true;
  for (std::size_t j = 0; j < b.size() && covered; ++j) {
    const pattern p = b.pattern_at(j);
    if (p.matches_nothing()) continue;  // grants nothing
    const std::uint32_t need = b.ops(j).granted_bits() & ~app_wide;  // allows() never grants these
    // Out of budget, granted_over returns part of what it would: "unknown" counts as not covered.
    covered = trie.granted_over(p, need) == need && !trie.exhausted();
  }
  work.steps = trie.work();
  work.exhausted = trie.exhausted();
  return covered;
}

}  // namespace detail

/// True when `a` grants everything `b` grants: for every valid name r and operation o,
/// b.allows(r, o) implies a.allows(r, o), and b.allows_app_wide(o) implies a.allows_app_wide(o).
///
/// The rule (docs/semantics.md Decision C1): each pattern P of b that matches some name must,
/// for each operation o it grants on resources, be contained in a single pattern Q of a that
/// grants o (contains in pattern.hpp, the exact pattern containment). Several patterns of a never
/// jointly cover a P that none contains alone: P matches a name built from P by writing a fresh
/// literal (one no pattern of a mentions) for each '*' and, when P is "[*]...", a fresh
/// qualifier; a pattern Q of a that matches that name must hold '*' wherever P does, P's
/// literals or '*' elsewhere, and a qualifier that holds P's, so Q contains all of P.
/// Near max_resource_bytes, where the names of a pattern are few enough to list, covers may
/// answer false where listing them all would cover it (never true where it should be false).
///
/// Time: a's patterns go in a trie (detail::pattern_trie, a sort), and each pattern of b walks
/// only the trie paths that can contain it, at most `budget` trie steps in all. The search is
/// as hard as orthogonal vectors in the worst case, so when the budget runs out the answer is
/// unknown and covers returns false: it may under-report coverage, never over-report it.
/// Allocates the trie (an allocation failure terminates: noexcept).
[[nodiscard]] constexpr bool covers(const capability& a, const capability& b, std::size_t budget) noexcept {
  detail::covers_work work;
  return detail::covers_counted(a, b, budget, work);
}

/// covers(a, b, covers_default_budget(a, b)): linear in the sizes of a and b; enough for every
/// ordinary pair of capabilities (docs/limits.md).
[[nodiscard]] constexpr bool covers(const capability& a, const capability& b) noexcept {
  return covers(a, b, covers_default_budget(a, b));
}

CAPMATCH_NAMESPACE_END
