// capmatch — effective token capability = key ∩ request (SEMANTICS §4).
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "capability.hpp"
#include "error.hpp"
#include "resource.hpp"
#include "version.hpp"

CAPMATCH_NAMESPACE_BEGIN

namespace detail {
[[nodiscard]] constexpr error empty_intersection_error() noexcept {
  return error(errc::empty_intersection, no_offset, "Key does not support requested capabilities");
}
}  // namespace detail

/// The effective capability of a token whose key has capability `key` and whose request
/// asked for `request`: for every pair of entries whose patterns and operations overlap,
/// their exact intersection; equal resources merged. An empty result is error 40160/401
/// "Key does not support requested capabilities". Resources in the result are written in
/// normal form (qualifier params dropped).
[[nodiscard]] constexpr result<capability> intersect(const capability& key, const capability& request) {
  capability out;
  std::vector<char> text;
  for (std::size_t i = 0; i < key.size(); ++i) {
    const pattern kp = key.pattern_at(i);
    for (std::size_t j = 0; j < request.size(); ++j) {
      const op_set ops = key.ops(i) & request.ops(j);
      if (ops.empty()) continue;
      text.clear();
      if (!intersect(kp, request.pattern_at(j), text)) continue;
      detail::capability_access::add(out, std::string_view(text.data(), text.size()), ops, 0);
    }
  }
  detail::capability_access::sort(out, true);
  if (out.empty()) return detail::empty_intersection_error();
  return out;
}

/// The effective capability when no capability was requested: the key's own (SEMANTICS §14).
/// A key that grants nothing gives error 40160 like any empty result.
[[nodiscard]] constexpr result<capability> intersect(const capability& key) {
  if (key.empty()) return detail::empty_intersection_error();
  return key;
}

CAPMATCH_NAMESPACE_END
