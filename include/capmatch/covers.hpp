// capmatch — covers(a, b): does capability a grant everything b grants? (docs/semantics.md
// Decision C1). An auth server uses it to verify that an issued token holds what it needs.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>

#include "capability.hpp"
#include "lint.hpp"
#include "operation.hpp"
#include "resource.hpp"
#include "version.hpp"

CAPMATCH_NAMESPACE_BEGIN

/// True when `a` grants everything `b` grants: for every valid name r and operation o,
/// b.allows(r, o) implies a.allows(r, o), and b.allows_app_wide(o) implies a.allows_app_wide(o).
///
/// The rule (docs/semantics.md Decision C1): each pattern P of b that matches some name must,
/// for each operation o it grants on resources, be contained in a single pattern Q of a that
/// grants o (detail::contains, the exact pattern containment). Several patterns of a never
/// jointly cover a P that none contains alone: P matches a name built from P by writing a fresh
/// literal (one no pattern of a mentions) for each '*' and, when P is "[*]...", a fresh
/// qualifier; a pattern Q of a that matches that name must hold '*' wherever P does, P's
/// literals or '*' elsewhere, and a qualifier that holds P's, so Q contains all of P. The
/// qualifier set is open, so no finite set of qualified patterns covers "[*]x" either.
/// Exact over names of any length; near max_resource_bytes, where the names of a pattern are
/// few enough to list, covers may answer false where listing them all would cover it (never
/// true where it should be false). Time: at most a.size() * b.size() containment tests, each
/// linear in the shorter pattern; no allocation.
[[nodiscard]] constexpr bool covers(const capability& a, const capability& b) noexcept {
  constexpr std::uint32_t app_wide = op_set(operation::stats).bits() | op_set(operation::push_admin).bits();
  std::uint32_t app_a = 0, app_b = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a.pattern_at(i).covers_all_channels()) app_a |= a.ops(i).granted_bits();
  for (std::size_t j = 0; j < b.size(); ++j)
    if (b.pattern_at(j).covers_all_channels()) app_b |= b.ops(j).granted_bits();
  if ((app_b & ~app_a) != 0) return false;
  for (std::size_t j = 0; j < b.size(); ++j) {
    const pattern p = b.pattern_at(j);
    if (p.matches_nothing()) continue;  // grants nothing
    std::uint32_t need = b.ops(j).granted_bits() & ~app_wide;  // allows() never grants these
    for (std::size_t i = 0; i < a.size() && need != 0; ++i)
      if ((need & a.ops(i).granted_bits()) != 0 && detail::contains(a.pattern_at(i), p))
        need &= ~a.ops(i).granted_bits();
    if (need != 0) return false;
  }
  return true;
}

CAPMATCH_NAMESPACE_END
