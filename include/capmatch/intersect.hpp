// capmatch — effective token capability = key ∩ request (docs/semantics.md §4).
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
#include "pattern.hpp"
#include "version.hpp"

CAPMATCH_NAMESPACE_BEGIN

namespace detail {
[[nodiscard]] constexpr error empty_intersection_error() noexcept {
  return error(error_reason::empty_intersection, no_offset, "Key does not support requested capabilities");
}

/// The requested patterns indexed by their first segment, so that a key pattern meets only
/// the requested patterns it can overlap: a name matched by both starts with a segment both
/// first segments accept, so they are equal or one of them is "*". A literal first segment
/// finds its bucket in an open-addressing table; patterns whose first segment is "*" are
/// kept apart (they can overlap anything), and patterns that match nothing are left out.
/// Every list holds request indices in increasing order, so a key pattern's candidates come
/// out in the order the pairwise loop would visit them (limits and errors depend on it).
/// Qualifier classes, segment counts and the remaining segments are checked per candidate
/// by detail::intersect; bucketing by them as well did not pay (see bench/RESULTS.md).
/// The hash is not keyed, so first segments chosen to collide could make the table slow:
/// a bucket never sits more than max_probe slots past its hash's slot, and when one would,
/// the index gives up (`degenerate`) and every requested pattern is a candidate, as in the
/// pairwise loop, so the time stays within what max_intersection_pairs allows.
struct request_index {
  static constexpr std::uint32_t none = 0xFFFFFFFFu;
  static constexpr std::size_t max_probe = 64;

  bool degenerate = false;                  // candidates: every requested pattern
  std::vector<pattern_facts> facts;         // every requested pattern, in order
  std::vector<std::uint32_t> star_first;    // requested patterns whose first segment is "*"
  std::vector<std::uint32_t> next;          // per pattern: the next one in its bucket, or none
  std::vector<std::uint32_t> bucket_head;   // per bucket: its first pattern
  std::vector<std::uint32_t> bucket_tail;   // per bucket: its last pattern
  std::vector<std::string_view> bucket_key; // per bucket: the first segment
  std::vector<std::uint32_t> slots;         // open addressing: bucket + 1, 0 when free
  std::vector<std::uint32_t> slot_hash;     // the bucket key's hash (saves most compares)

  [[nodiscard]] static constexpr std::string_view first_segment(std::string_view body) noexcept {
    return body.substr(0, body.find(':'));
  }
  [[nodiscard]] static constexpr std::uint32_t hash(std::string_view s) noexcept {
    std::uint64_t h = 0x9E3779B97F4A7C15ull ^ s.size();
    for (const char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001B3ull;
    return static_cast<std::uint32_t>(h >> 32) ^ static_cast<std::uint32_t>(h);
  }

  constexpr explicit request_index(const capability& request) {
    const std::size_t m = request.size();
    facts.reserve(m);
    next.assign(m, none);
    std::size_t cap = 8;
    while (cap < 2 * m) cap *= 2;
    slots.assign(cap, 0);
    slot_hash.assign(cap, 0);
    for (std::size_t j = 0; j < m; ++j) {
      facts.push_back(pattern_facts(request.pattern_at(j)));
      if (facts.back().nothing || degenerate) continue;
      const std::string_view first = first_segment(facts.back().p.body);
      const auto jj = static_cast<std::uint32_t>(j);
      if (first == "*") {
        star_first.push_back(jj);
        continue;
      }
      const std::uint32_t h = hash(first);
      for (std::size_t s = h & (cap - 1), probe = 0;; s = (s + 1) & (cap - 1), ++probe) {
        if (probe > max_probe) {
          degenerate = true;
          break;
        }
        if (slots[s] == 0) {
          slots[s] = static_cast<std::uint32_t>(bucket_key.size()) + 1;
          slot_hash[s] = h;
          bucket_key.push_back(first);
          bucket_head.push_back(jj);
          bucket_tail.push_back(jj);
          break;
        }
        const std::uint32_t b = slots[s] - 1;
        if (slot_hash[s] == h && bucket_key[b] == first) {
          next[bucket_tail[b]] = jj;
          bucket_tail[b] = jj;
          break;
        }
      }
    }
  }

  /// The first requested pattern whose first segment is `first` (a literal), or none.
  /// Not for a degenerate index.
  [[nodiscard]] constexpr std::uint32_t head(std::string_view first) const noexcept {
    const std::uint32_t h = hash(first);
    const std::size_t mask = slots.size() - 1;
    for (std::size_t s = h & mask, probe = 0; probe <= max_probe; s = (s + 1) & mask, ++probe) {
      if (slots[s] == 0) return none;
      const std::uint32_t b = slots[s] - 1;
      if (slot_hash[s] == h && bucket_key[b] == first) return bucket_head[b];
    }
    return none;  // every bucket is within max_probe slots of its hash's slot
  }
};
}  // namespace detail

namespace detail {
/// The limit errors of intersect (docs/limits.md; the tests spell them out independently).
[[nodiscard]] constexpr error too_many_pairs(std::size_t keys, std::size_t requested) noexcept {
  error e(error_reason::too_many_pairs, no_offset);
  e.append("intersecting ").append_number(keys).append(" key resources with ").append_number(requested);
  e.append(" requested resources exceeds the limit of ").append_number(max_intersection_pairs);
  return e.append(" pairs (capmatch::max_intersection_pairs)");
}
[[nodiscard]] constexpr error too_many_results() noexcept {
  error e(error_reason::intersection_too_many_resources, no_offset);
  e.append("the intersection has more than ").append_number(max_resources);
  return e.append(" resources (capmatch::max_resources)");
}
[[nodiscard]] constexpr error too_many_bytes() noexcept {
  error e(errc::limit_exceeded, no_offset);
  e.append("the intersection builds more than ").append_number(max_intersection_bytes);
  return e.append(" bytes of resource text (capmatch::max_intersection_bytes)");
}

/// True when every resource of `cap` is written in normal form: no qualifier params, so no
/// two resources are one pattern (normal text has no params, which only add bytes).
[[nodiscard]] constexpr bool all_normal(const capability& cap) noexcept {
  for (std::size_t i = 0; i < cap.size(); ++i) {
    const pattern p = cap.pattern_at(i);
    const std::size_t prefix =
        p.kind == qualifier_kind::any ? 3 : p.kind == qualifier_kind::named ? p.qualifier.size() + 2 : 0;
    if (cap.resource(i).size() != prefix + p.body.size()) return false;
  }
  return true;
}

/// `cap` with every resource in normal form (qualifier params dropped) and equal resources
/// merged, their operations united: the same grants, each pattern once.
[[nodiscard]] constexpr capability normalised(const capability& cap) {
  capability out;
  std::vector<char> text;
  for (std::size_t i = 0; i < cap.size(); ++i) {
    const pattern p = cap.pattern_at(i);
    text.clear();
    append_text(p, text);  // add() takes only the sizes of p's qualifier and body
    capability_access::add(out, std::string_view(text.data(), text.size()), p, cap.ops(i), cap.source_offset(i));
  }
  capability_access::sort(out, true);
  capability_access::compact(out);
  return out;
}

/// Work done by intersect, for the complexity tests (tests/test_complexity.cpp): candidate
/// pairs examined and bytes of resource text built. Pass one to detail::intersect_counted.
struct intersect_work {
  std::size_t pairs = 0, bytes = 0;
};
}  // namespace detail

namespace detail {
/// intersect(key, request), adding its work to `work`. Pairs are visited in key-major order,
/// but each key pattern meets only the requested patterns with a compatible first segment
/// (found through detail::request_index): time is linear in the inputs plus the candidate
/// pairs, each linear in its shorter pattern, plus the bytes built (max_intersection_bytes).
[[nodiscard]] constexpr result<capability> intersect_counted(const capability& key_in, const capability& request_in,
                                                             intersect_work& work) {
  if (key_in.size() != 0 && request_in.size() > max_intersection_pairs / key_in.size())
    return too_many_pairs(key_in.size(), request_in.size());
  // Normal forms, merged; a capability already in normal form is used as it is (no copy).
  capability key_copy, request_copy;
  const capability& key = all_normal(key_in) ? key_in : (key_copy = normalised(key_in));
  const capability& request = all_normal(request_in) ? request_in : (request_copy = normalised(request_in));
  const request_index index(request);
  const auto& star_first = index.star_first;
  capability out;
  std::vector<char> text;
  std::vector<std::uint32_t> candidates;  // request indices, increasing
  // Ops granted on key pattern i or request pattern j itself (added after the loop, so that
  // the result limit is checked during the loop on built text only, as the definition says).
  std::vector<op_set> key_kept, requested_kept;  // not (n): clang 14 cannot value-initialize them in constexpr
  key_kept.assign(key.size(), op_set{});
  requested_kept.assign(request.size(), op_set{});
  std::size_t built = 0;
  for (std::size_t i = 0; i < key.size(); ++i) {
    const pattern kpat = key.pattern_at(i);
    const std::string_view first = request_index::first_segment(kpat.body);
    candidates.clear();
    if (first == "*" || index.degenerate) {
      for (std::size_t j = 0; j < request.size(); ++j)
        if (!index.facts[j].nothing) candidates.push_back(static_cast<std::uint32_t>(j));
    } else {
      // Merge the bucket of `first` with the "*"-first patterns (both increasing).
      std::uint32_t a = index.head(first);
      std::size_t b = 0;
      while (a != request_index::none || b != star_first.size()) {
        if (b == star_first.size() || (a != request_index::none && a < star_first[b])) {
          candidates.push_back(a);
          a = index.next[a];
        } else {
          candidates.push_back(star_first[b++]);
        }
      }
    }
    if (candidates.empty()) continue;
    const pattern_facts kp(kpat);
    for (const std::uint32_t j : candidates) {
      ++work.pairs;
      const op_set ops = key.ops(i) & request.ops(j);
      if (ops.empty()) continue;
      const pattern_facts& rp = index.facts[j];
      // The intersection is one of the two patterns: keep a reference, build nothing.
      if (contains(kp.p, rp.p)) {
        requested_kept[j] = requested_kept[j] | ops;
        continue;
      }
      if (contains(rp.p, kp.p)) {
        key_kept[i] = key_kept[i] | ops;
        continue;
      }
      text.clear();
      if (!detail::intersect(kp, rp, text)) continue;
      work.bytes += text.size();
      if ((built += text.size()) > max_intersection_bytes) return too_many_bytes();
      if (text.size() > max_resource_bytes) {
        // A pattern matches only names at least as long as its text (its body, for "[*]"), and
        // no valid name is longer than max_resource_bytes: such a pair grants nothing checkable.
        const bool any = text.size() >= 3 && text[0] == '[' && text[1] == '*' && text[2] == ']';
        if (!any || text.size() - 3 > max_resource_bytes) continue;
        error e(error_reason::intersection_resource_too_long, no_offset);
        e.append("the intersection of ").append_quoted(key.resource(i)).append(" and ").append_quoted(request.resource(j));
        e.append(" is a resource of ").append_number(text.size()).append(" bytes, more than the limit of ");
        return e.append_number(max_resource_bytes).append(" bytes (capmatch::max_resource_bytes)");
      }
      // The text is "[q]body", "[*]body" or "body" with the qualifier of whichever side is not
      // "[*]" (detail::intersect): its pattern is known without parsing it again.
      const pattern& q = kp.p.kind == qualifier_kind::any ? rp.p : kp.p;
      const std::size_t prefix =
          q.kind == qualifier_kind::any ? 3 : q.kind == qualifier_kind::named ? q.qualifier.size() + 2 : 0;
      const std::string_view res(text.data(), text.size());
      capability_access::add(out, res, pattern{q.kind, q.qualifier, res.substr(prefix)}, ops, 0);
      // Merge duplicates as we go so that memory stays bounded by the result limit.
      if (out.size() >= 2 * max_resources) {
        capability_access::sort(out, true);
        capability_access::compact(out);
        if (out.size() > max_resources) return too_many_results();
      }
    }
  }
  for (std::size_t i = 0; i < key.size(); ++i)
    if (!key_kept[i].empty()) capability_access::add(out, key.resource(i), key.pattern_at(i), key_kept[i], 0);
  for (std::size_t j = 0; j < request.size(); ++j)
    if (!requested_kept[j].empty()) capability_access::add(out, request.resource(j), request.pattern_at(j), requested_kept[j], 0);
  capability_access::sort(out, true);
  capability_access::compact(out);
  if (out.size() > max_resources) return too_many_results();
  if (out.empty()) return empty_intersection_error();
  return out;
}
}  // namespace detail

/// The effective capability of a token whose key has capability `key` and whose request
/// asked for `request`: for every pair of entries whose patterns and operations overlap,
/// their exact intersection; equal resources merged. An empty result is error 40160/401
/// "Key does not support requested capabilities". Resources in the result are written in
/// normal form (qualifier params dropped). Limits (errc::limit_exceeded, 40000):
/// key.size() * request.size() <= max_intersection_pairs; the result has at most
/// max_resources resources of at most max_resource_bytes each (a pair whose intersection is
/// longer matches no valid name and is left out; a "[*]" one that still could is an error);
/// at most max_intersection_bytes of resource text is built (see below).
///
/// Both inputs are first put in normal form with equal patterns merged (their operations
/// united), which changes no grant; the pairs are then taken in key-major order of these
/// normal forms, and errors quote resources in normal form. A pair whose intersection is one
/// of its two patterns (one contains the other) contributes that input pattern, which is
/// never rebuilt: only pairs that overlap properly ("a:*" and "*:b" give "a:b") build new
/// text, and the bytes they build count against max_intersection_bytes.
[[nodiscard]] constexpr result<capability> intersect(const capability& key, const capability& request) {
  detail::intersect_work work;
  return detail::intersect_counted(key, request, work);
}

/// The effective capability when no capability was requested: the key's own (docs/semantics.md §14),
/// defined as intersect(key, {"[*]*":["*"]}) so that the two spellings of "everything" give
/// byte-identical results: the key in normal form (qualifier params dropped, which changes no
/// grant), equal patterns merged, and patterns that match no name (an empty segment, as in
/// "a::b") left out. A key that grants nothing gives error 40160 like any empty result.
[[nodiscard]] constexpr result<capability> intersect(const capability& key) {
  capability everything;
  detail::capability_access::add(everything, "[*]*", pattern{qualifier_kind::any, {}, "*"}, op_set::all(), 0);
  return intersect(key, everything);
}

CAPMATCH_NAMESPACE_END
