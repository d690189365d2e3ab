// capmatch — effective token capability = key ∩ request (SEMANTICS §4).
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "capability.hpp"
#include "error.hpp"
#include "limits.hpp"
#include "resource.hpp"
#include "version.hpp"

CAPMATCH_NAMESPACE_BEGIN

namespace detail {
[[nodiscard]] constexpr error empty_intersection_error() noexcept {
  return error(errc::empty_intersection, no_offset, "Key does not support requested capabilities");
}

/// The patterns of a capability pair with each segment replaced by a small integer (equal
/// segments, equal ids; "*" is id 0), so that testing a pair for overlap compares integers
/// and costs one step per segment whatever the segments' lengths.
struct interned_patterns {
  struct entry {
    pattern_facts facts;
    std::uint32_t first = 0;  // ids[first, first + facts.segments)
  };
  std::vector<entry> entries;  // key entries, then request entries
  std::vector<std::uint32_t> ids;

  constexpr interned_patterns(const capability& a, const capability& b) {
    std::vector<std::string_view> segs;
    auto collect = [&](const capability& c) {
      for (std::size_t i = 0; i < c.size(); ++i) {
        entry e{pattern_facts(c.pattern_at(i)), static_cast<std::uint32_t>(segs.size())};
        const std::string_view body = e.facts.p.body;
        for (std::size_t pos = 0;;) {
          const std::string_view seg = segment_at(body, pos);
          segs.push_back(seg);
          pos += seg.size() + 1;
          if (pos > body.size()) break;
        }
        entries.push_back(e);
      }
    };
    collect(a);
    collect(b);
    std::vector<std::string_view> distinct = segs;
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    ids.reserve(segs.size());
    for (const std::string_view seg : segs) {
      const auto at = static_cast<std::uint32_t>(std::lower_bound(distinct.begin(), distinct.end(), seg) - distinct.begin());
      ids.push_back(seg == "*" ? 0 : at + 1);
    }
  }

  /// False when no name matches both x and y (the test intersect() makes, without the text).
  [[nodiscard]] constexpr bool overlap(const entry& x, const entry& y) const noexcept {
    const pattern_facts &a = x.facts, &b = y.facts;
    if (a.nothing || b.nothing) return false;
    if (a.p.kind == qualifier_kind::named && b.p.kind == qualifier_kind::named) {
      if (a.p.qualifier != b.p.qualifier) return false;
    } else if (a.p.kind != b.p.kind && a.p.kind != qualifier_kind::any && b.p.kind != qualifier_kind::any) {
      return false;
    }
    const std::size_t na = a.segments, nb = b.segments;
    if (!a.trailing && !b.trailing && na != nb) return false;
    if (!a.trailing && b.trailing && na < nb) return false;
    if (a.trailing && !b.trailing && nb < na) return false;
    // Branch-free over the common length so that the compiler can vectorise it.
    const std::size_t n = na < nb ? na : nb;
    const std::uint32_t* pa = ids.data() + x.first;
    const std::uint32_t* pb = ids.data() + y.first;
    unsigned clash = 0;
    for (std::size_t k = 0; k < n; ++k)
      clash |= static_cast<unsigned>(pa[k] != pb[k]) & static_cast<unsigned>(pa[k] != 0) & static_cast<unsigned>(pb[k] != 0);
    return clash == 0;
  }
};
}  // namespace detail

/// The effective capability of a token whose key has capability `key` and whose request
/// asked for `request`: for every pair of entries whose patterns and operations overlap,
/// their exact intersection; equal resources merged. An empty result is error 40160/401
/// "Key does not support requested capabilities". Resources in the result are written in
/// normal form (qualifier params dropped). Limits (errc::limit_exceeded, 40000):
/// key.size() * request.size() <= max_intersection_pairs; the result has at most
/// max_resources resources of at most max_resource_bytes each (a pair whose intersection is
/// longer matches no valid name and is left out; a "[*]" one that still could is an error).
[[nodiscard]] constexpr result<capability> intersect(const capability& key, const capability& request) {
  if (key.size() != 0 && request.size() > max_intersection_pairs / key.size()) {
    error e(errc::limit_exceeded, no_offset);
    e.append("intersecting ").append_number(key.size()).append(" key resources with ").append_number(request.size());
    e.append(" requested resources exceeds the limit of ").append_number(max_intersection_pairs);
    return e.append(" pairs (capmatch::max_intersection_pairs)");
  }
  auto too_many = [] {
    error e(errc::limit_exceeded, no_offset);
    e.append("the intersection has more than ").append_number(max_resources);
    return e.append(" resources (capmatch::max_resources)");
  };
  const detail::interned_patterns in(key, request);
  capability out;
  std::vector<char> text;
  for (std::size_t i = 0; i < key.size(); ++i) {
    const auto& kp = in.entries[i];
    for (std::size_t j = 0; j < request.size(); ++j) {
      const op_set ops = key.ops(i) & request.ops(j);
      if (ops.empty()) continue;
      const auto& rp = in.entries[key.size() + j];
      if (!in.overlap(kp, rp)) continue;
      text.clear();
      if (!detail::intersect(kp.facts, rp.facts, text)) continue;
      if (text.size() > max_resource_bytes) {
        // A pattern matches only names at least as long as its text (its body, for "[*]"), and
        // no valid name is longer than max_resource_bytes: such a pair grants nothing checkable.
        const bool any = text.size() >= 3 && text[0] == '[' && text[1] == '*' && text[2] == ']';
        if (!any || text.size() - 3 > max_resource_bytes) continue;
        error e(errc::limit_exceeded, no_offset);
        e.append("the intersection of ").append_quoted(key.resource(i)).append(" and ").append_quoted(request.resource(j));
        e.append(" is a resource of ").append_number(text.size()).append(" bytes, more than the limit of ");
        return e.append_number(max_resource_bytes).append(" bytes (capmatch::max_resource_bytes)");
      }
      detail::capability_access::add(out, std::string_view(text.data(), text.size()), ops, 0);
      // Merge duplicates as we go so that memory stays bounded by the result limit.
      if (out.size() >= 2 * max_resources) {
        detail::capability_access::sort(out, true);
        detail::capability_access::compact(out);
        if (out.size() > max_resources) return too_many();
      }
    }
  }
  detail::capability_access::sort(out, true);
  detail::capability_access::compact(out);
  if (out.size() > max_resources) return too_many();
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
