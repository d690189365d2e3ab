// capmatch — "did you mean ...?": the closest of a few known names. Internal.
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <cstddef>
#include <string_view>

#include "../version.hpp"

CAPMATCH_NAMESPACE_BEGIN
namespace detail {

/// Levenshtein distance, capped: returns > limit as limit + 1.
[[nodiscard]] constexpr std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit) noexcept {
  if (a.size() > 32 || b.size() > 32) return limit + 1;
  std::size_t row[33]{};
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      const std::size_t sub = diag + (a[i - 1] == b[j - 1] ? 0 : 1);
      row[j] = std::min(std::min(row[j - 1] + 1, up + 1), sub);
      diag = up;
    }
  }
  return row[b.size()] > limit ? limit + 1 : row[b.size()];
}

/// The first of `names` nearest to `word` within two edits, or empty when none is.
template <class Names>
[[nodiscard]] constexpr std::string_view closest_name(std::string_view word, const Names& names) noexcept {
  std::string_view best;
  std::size_t best_d = 3;
  for (std::string_view name : names) {
    const std::size_t d = edit_distance(word, name, 2);
    if (d < best_d) best_d = d, best = name;
  }
  return best;
}

}  // namespace detail
CAPMATCH_NAMESPACE_END
