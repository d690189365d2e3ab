// capmatch — the exact shortcut of intersect(key, request) when the key is one resource that
// grants every operation and contains every requested pattern: the result is the request
// itself. Internal; the verifiers try it before the general intersection.
// SPDX-License-Identifier: MIT
#pragma once

#include <optional>

#include "../capability.hpp"
#include "../intersect.hpp"
#include "../version.hpp"

CAPMATCH_NAMESPACE_BEGIN
namespace detail {

/// intersect(key, request) byte for byte when it is the request itself, else nullopt (then the
/// caller takes the general path). Applies when `key` is a single normal resource granting all
/// operations (`{"[*]*":["*"]}`, `{"*":["*"]}`, `{"tenant:*":["*"]}`, ...), `request` is
/// non-empty and in normal form, and the key's pattern contains every requested pattern. Then
/// every pair is "the key contains the request" (intersect keeps the requested pattern with its
/// own operations), no key pattern is kept for itself (it would have to lie inside a requested
/// pattern that it contains, hence equal it, and that pair is counted as the request's), and the
/// request is already sorted with unique resources: the result is the request. Source offsets
/// are 0 as in every intersection. Cost: one containment test per requested resource.
[[nodiscard]] constexpr std::optional<capability> intersect_identity(const capability& key, const capability& request) {
  if (key.size() != 1 || !key.ops(0).is_all() || request.empty() || !all_normal(key) || !all_normal(request))
    return std::nullopt;
  const pattern k = key.pattern_at(0);
  for (std::size_t j = 0; j < request.size(); ++j)
    if (!contains(k, request.pattern_at(j))) return std::nullopt;
  capability out;
  for (std::size_t j = 0; j < request.size(); ++j)
    capability_access::add(out, request.resource(j), request.pattern_at(j), request.ops(j), 0);
  return out;
}

}  // namespace detail
CAPMATCH_NAMESPACE_END
