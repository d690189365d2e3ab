// capmatch — effective token capability = key ∩ request (docs/semantics.md §4).
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
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
/// pairs examined, segment ids compared and bytes of resource text built. Pass one to
/// detail::intersect_counted.
struct intersect_work {
  std::size_t pairs = 0, bytes = 0, compares = 0;
};

/// The segments and qualifiers of intersect's two inputs, interned once (a hash table of
/// their texts, or a sort): equal texts get equal ids and "*" is id 0, so a candidate pair is decided with at
/// most 3 * max_segments integer compares instead of re-reading up to max_resource_bytes of
/// text per pair (issue 14: 104 key entries of 100 "*:" segments then a literal, against
/// 10 000 names of 100 literal segments, made each of 1 040 000 pairs read 3 KB). Only a
/// pair that overlaps properly reads its text again, to build the result (bytes bounded by
/// max_intersection_bytes). contains() and overlaps() are contains (pattern.hpp) and
/// detail::intersect's "is there a common name" decided on ids, rule for rule. With fewer
/// than min_keys key patterns each requested pattern meets at most min_keys - 1 of them, so
/// reading the texts per pair is linear in the request already: nothing is interned then
/// (active() is false), which keeps small token requests as fast as before.
class interned_patterns {
 public:
  static constexpr std::uint32_t star = 0;
  static constexpr std::size_t min_keys = 4;
  struct facts {
    std::uint32_t begin = 0, count = 0;  // segment ids: ids_[begin, begin + count)
    std::uint32_t qualifier = 0;         // id of the qualifier text when kind == named
    qualifier_kind kind = qualifier_kind::none;
    bool trailing = false, nothing = false;
  };

  constexpr interned_patterns(const capability& key, const capability& request) {
    if (key.size() < min_keys) return;
    std::vector<item> items;
    add(key, key_, items);
    add(request, request_, items);
    if (!intern_by_table(items)) intern_by_sort(items), by_sort_ = true;
  }

  /// The hash of a segment or qualifier text in the interning table (FNV-1a, size mixed in).
  [[nodiscard]] static constexpr std::uint64_t hash(std::string_view s) noexcept {
    std::uint64_t h = 0xCBF29CE484222325ull ^ s.size();
    for (const char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001B3ull;
    return h;
  }
  /// True when the table gave up on colliding hashes and the texts were sorted instead.
  [[nodiscard]] constexpr bool by_sort() const noexcept { return by_sort_; }

  /// True when the ids were built (key.size() >= min_keys); the functions below need them.
  [[nodiscard]] constexpr bool active() const noexcept { return !key_.empty(); }
  [[nodiscard]] constexpr const facts& key(std::size_t i) const noexcept { return key_[i]; }
  [[nodiscard]] constexpr const facts& request(std::size_t j) const noexcept { return request_[j]; }

  /// contains(a, b) on ids: every name b matches, a matches.
  [[nodiscard]] constexpr bool contains(const facts& a, const facts& b, std::size_t& compares) const noexcept {
    if (a.nothing || b.nothing) return false;
    if (a.kind != qualifier_kind::any &&
        (a.kind != b.kind || (a.kind == qualifier_kind::named && a.qualifier != b.qualifier)))
      return false;
    for (std::uint32_t k = 0;; ++k) {
      ++compares;
      const std::uint32_t sa = ids_[a.begin + k], sb = ids_[b.begin + k];
      const bool last_a = k + 1 == a.count, last_b = k + 1 == b.count;
      if (last_a && a.trailing) return true;
      if (sa != star && (sa != sb || sb == star)) return false;
      if (last_a || last_b) return last_a && last_b && !b.trailing;
    }
  }

  /// True when some name matches both a and b (when detail::intersect builds a pattern).
  [[nodiscard]] constexpr bool overlaps(const facts& a, const facts& b, std::size_t& compares) const noexcept {
    if (a.nothing || b.nothing) return false;
    if (a.kind != qualifier_kind::any && b.kind != qualifier_kind::any &&
        (a.kind != b.kind || (a.kind == qualifier_kind::named && a.qualifier != b.qualifier)))
      return false;
    if (!a.trailing && !b.trailing && a.count != b.count) return false;
    if (!a.trailing && b.trailing && a.count < b.count) return false;
    if (a.trailing && !b.trailing && b.count < a.count) return false;
    // Past the shorter pattern's end the longer one meets a trailing "*".
    for (std::uint32_t k = 0; k < a.count && k < b.count; ++k) {
      ++compares;
      const std::uint32_t sa = ids_[a.begin + k], sb = ids_[b.begin + k];
      if (sa != star && sb != star && sa != sb) return false;
    }
    return true;
  }

 private:
  static constexpr std::uint32_t none = 0xFFFFFFFFu;
  struct item {
    std::string_view text;
    std::uint64_t hash = 0;
    std::uint32_t at = 0;                // where its id goes in ids_ (a segment)
    std::uint32_t qualifier_of = none;   // or: the pattern whose qualifier it is
    bool in_key = false;
  };

  constexpr void assign(const item& it, std::uint32_t id) noexcept {
    if (it.qualifier_of != none)
      (it.in_key ? key_ : request_)[it.qualifier_of].qualifier = id;
    else
      ids_[it.at] = id;
  }

  // Open addressing on the texts' hashes: one probe per text unless hashes collide. The hash
  // is not keyed, so texts chosen to collide could make the probes quadratic: past
  // 8 probes per text on average it gives up (false) and intern_by_sort decides instead.
  constexpr bool intern_by_table(const std::vector<item>& items) {
    std::size_t size = 16;
    while (size < 2 * items.size()) size *= 2;
    std::vector<std::uint32_t> slots;  // index in items of the first item with that text, + 1
    slots.assign(size, 0);
    std::vector<std::uint32_t> id_of;  // per slot
    id_of.assign(size, 0);
    std::uint32_t next = star;
    std::size_t probes = 0;
    for (std::size_t k = 0; k < items.size(); ++k) {
      for (std::size_t s = items[k].hash & (size - 1);; s = (s + 1) & (size - 1)) {
        if (++probes > 8 * items.size() + 64) return false;
        if (slots[s] == 0) {
          slots[s] = static_cast<std::uint32_t>(k) + 1;
          id_of[s] = ++next;
          assign(items[k], next);
          break;
        }
        const item& first = items[slots[s] - 1];
        if (first.hash == items[k].hash && first.text == items[k].text) {
          assign(items[k], id_of[s]);
          break;
        }
      }
    }
    return true;
  }

  // O(n log n) compares of at most max_resource_bytes each, whatever the texts.
  constexpr void intern_by_sort(std::vector<item>& items) {
    std::sort(items.begin(), items.end(),
              [](const item& x, const item& y) { return x.hash != y.hash ? x.hash < y.hash : x.text < y.text; });
    std::uint32_t next = star;
    for (std::size_t k = 0; k < items.size(); ++k) {
      if (k == 0 || items[k].hash != items[k - 1].hash || items[k].text != items[k - 1].text) ++next;
      assign(items[k], next);
    }
  }

  constexpr void add(const capability& cap, std::vector<facts>& out, std::vector<item>& items) {
    out.reserve(cap.size());
    const bool in_key = &out == &key_;
    for (std::size_t i = 0; i < cap.size(); ++i) {
      const pattern p = cap.pattern_at(i);
      facts f;
      f.kind = p.kind;
      f.trailing = p.trailing_wildcard();
      f.nothing = p.matches_nothing();
      f.begin = static_cast<std::uint32_t>(ids_.size());
      if (p.kind == qualifier_kind::named)
        items.push_back({p.qualifier, hash(p.qualifier), 0, static_cast<std::uint32_t>(i), in_key});
      for (std::size_t pos = 0; pos <= p.body.size();) {
        const std::string_view seg = segment_at(p.body, pos);
        if (seg != "*") items.push_back({seg, hash(seg), static_cast<std::uint32_t>(ids_.size()), none, in_key});
        ids_.push_back(star);
        pos += seg.size() + 1;
      }
      f.count = static_cast<std::uint32_t>(ids_.size()) - f.begin;
      out.push_back(f);
    }
  }

  std::vector<facts> key_, request_;
  std::vector<std::uint32_t> ids_;
  bool by_sort_ = false;
};
}  // namespace detail

namespace detail {
/// contains(a.p, b.p) from the facts already known.
[[nodiscard]] constexpr bool contains(const pattern_facts& a, const pattern_facts& b) noexcept {
  return contains_known(a.p, a.nothing, a.trailing, b.p, b.nothing, b.trailing);
}

/// Up to this many key resources and this many requested resources, intersect takes the
/// pairwise path: every pair is visited directly, with the pattern facts on the stack, instead
/// of building the request index and the interned ids (which cost more than they save when
/// there are at most 16 x 16 pairs: bench/RESULTS.md "Session 6").
inline constexpr std::size_t small_intersection_resources = 16;

/// Which loop intersect_counted runs (the tests compare the two; automatic picks by size).
enum class intersect_path { automatic, general, pairwise };

/// One pair of intersect's loop whose patterns overlap properly: writes their intersection
/// (detail::intersect) straight into `out`'s text as a new resource with operations `ops`, or
/// nothing when no name matches both or the intersection is too long to match a valid name.
/// Returns the limit error that stops intersect (max_intersection_bytes, or a "[*]" resource
/// longer than max_resource_bytes), else nothing. Shared by both loops of intersect_counted.
[[nodiscard]] constexpr std::optional<error> build_pair(const capability& key, std::size_t i, const pattern_facts& kp,
                                                        const capability& request, std::size_t j,
                                                        const pattern_facts& rp, op_set ops, capability& out,
                                                        std::size_t& built, intersect_work& work) {
  std::vector<char>& text = capability_access::text(out);
  const std::size_t at = text.size();
  if (!detail::intersect(kp, rp, text)) return std::nullopt;
  const std::size_t size = text.size() - at;
  work.bytes += size;
  if ((built += size) > max_intersection_bytes) return too_many_bytes();
  if (size > max_resource_bytes) {
    // A pattern matches only names at least as long as its text (its body, for "[*]"), and
    // no valid name is longer than max_resource_bytes: such a pair grants nothing checkable.
    const bool any = size >= 3 && text[at] == '[' && text[at + 1] == '*' && text[at + 2] == ']';
    if (!any || size - 3 > max_resource_bytes) {
      text.resize(at);
      return std::nullopt;
    }
    error e(error_reason::intersection_resource_too_long, no_offset);
    e.append("the intersection of ").append_quoted(key.resource(i)).append(" and ").append_quoted(request.resource(j));
    e.append(" is a resource of ").append_number(size).append(" bytes, more than the limit of ");
    return e.append_number(max_resource_bytes).append(" bytes (capmatch::max_resource_bytes)");
  }
  // The text is "[q]body", "[*]body" or "body" with the qualifier of whichever side is not
  // "[*]" (detail::intersect): its pattern is known without parsing it again.
  const pattern& q = kp.p.kind == qualifier_kind::any ? rp.p : kp.p;
  const std::size_t prefix =
      q.kind == qualifier_kind::any ? 3 : q.kind == qualifier_kind::named ? q.qualifier.size() + 2 : 0;
  capability_access::add_text_end(out, at, pattern{q.kind, q.qualifier, std::string_view(text.data() + at + prefix, size - prefix)}, ops);
  return std::nullopt;
}

/// The end of intersect_counted: the kept input patterns added with the operations granted on
/// them (key_kept[i], requested_kept[j]), canonical order with equal resources merged, limits.
[[nodiscard]] constexpr result<capability> finish_intersection(const capability& key, const op_set* key_kept,
                                                               const capability& request, const op_set* requested_kept,
                                                               capability& out) {
  for (std::size_t i = 0; i < key.size(); ++i)
    if (!key_kept[i].empty()) capability_access::add(out, key.resource(i), key.pattern_at(i), key_kept[i], 0);
  for (std::size_t j = 0; j < request.size(); ++j)
    if (!requested_kept[j].empty()) capability_access::add(out, request.resource(j), request.pattern_at(j), requested_kept[j], 0);
  capability_access::sort(out, true);
  capability_access::compact(out);
  if (out.size() > max_resources) return too_many_results();
  if (out.empty()) return empty_intersection_error();
  return std::move(out);
}

/// The pairwise loop of intersect_counted for inputs of at most small_intersection_resources
/// resources each, already in normal form: the same candidate pairs in the same key-major order
/// as the general loop (work.pairs counts them alike), the same per-pair rules, and no
/// allocation but the result's (its text and entries, reserved once).
[[nodiscard]] constexpr result<capability> intersect_pairwise(const capability& key, const capability& request,
                                                              intersect_work& work) {
  constexpr std::size_t n = small_intersection_resources;
  // Facts built in place only for the resources there are: the arrays are left uninitialised
  // (no default construction or zeroing of n entries; only the first size() are written, then read).
  union slot {
    pattern_facts f;
    constexpr slot() noexcept {}
  };
  // The first segment of each body, as its length and its first 8 bytes in a word (zero padded):
  // most first segments compare equal or not on the word alone.
  struct segment {
    std::string_view text;
    std::uint64_t word;
    [[nodiscard]] constexpr bool operator==(const segment& o) const noexcept {
      return word == o.word && text.size() == o.text.size() && (text.size() <= 8 || text == o.text);
    }
  };
  union segment_slot {
    segment s;
    constexpr segment_slot() noexcept {}
  };
  slot kf[n], rf[n];
  segment_slot kfirst[n], rfirst[n];
  op_set key_kept[n], requested_kept[n];  // (op_set() is the empty set)
  std::size_t bytes = 0;
  auto fill = [&](slot* slots, segment_slot* first, const capability& c) {
    for (std::size_t i = 0; i < c.size(); ++i) {
      const pattern p = c.pattern_at(i);
      std::construct_at(&slots[i].f, p);
      const std::string_view f = request_index::first_segment(p.body);
      std::uint64_t w = 0;
      for (std::size_t k = 0; k < f.size() && k < 8; ++k) w |= std::uint64_t{static_cast<unsigned char>(f[k])} << (8 * k);
      std::construct_at(&first[i].s, segment{f, w});
      bytes += c.resource(i).size();
    }
  };
  fill(kf, kfirst, key);
  fill(rf, rfirst, request);
  capability out;
  capability_access::reserve(out, key.size() + request.size(), bytes);
  std::size_t built = 0;
  constexpr std::uint64_t star_word = '*';
  for (std::size_t i = 0; i < key.size(); ++i) {
    const pattern_facts& kp = kf[i].f;  // (one that matches nothing meets candidates too, as in the general loop)
    const segment& first = kfirst[i].s;
    const bool star = first.word == star_word && first.text.size() == 1;
    for (std::size_t j = 0; j < request.size(); ++j) {
      const pattern_facts& rp = rf[j].f;
      const segment& rfirst_j = rfirst[j].s;
      // The general loop's candidates (request_index): a common name starts with a segment
      // both first segments accept, so they are equal or one is "*".
      if (rp.nothing || !(star || (rfirst_j.word == star_word && rfirst_j.text.size() == 1) || rfirst_j == first))
        continue;
      ++work.pairs;
      const op_set ops = key.ops(i) & request.ops(j);
      if (ops.empty()) continue;
      // The intersection is one of the two patterns: keep a reference, build nothing.
      if (contains(kp, rp)) {
        requested_kept[j] = requested_kept[j] | ops;
      } else if (contains(rp, kp)) {
        key_kept[i] = key_kept[i] | ops;
      } else if (auto e = build_pair(key, i, kp, request, j, rp, ops, out, built, work)) {
        return *e;
      }
    }
  }
  return finish_intersection(key, key_kept, request, requested_kept, out);
}

/// intersect(key, request), adding its work to `work`. Small inputs take the pairwise loop;
/// otherwise pairs are visited in key-major order, but each key pattern meets only the
/// requested patterns with a compatible first segment (found through detail::request_index):
/// time is linear in the inputs plus the candidate pairs, each linear in its shorter pattern,
/// plus the bytes built (max_intersection_bytes). `path` forces a loop (pairwise only applies
/// to small inputs; larger ones take the general loop whatever `path` says).
[[nodiscard]] constexpr result<capability> intersect_counted(const capability& key_in, const capability& request_in,
                                                             intersect_work& work,
                                                             intersect_path path = intersect_path::automatic) {
  if (key_in.size() != 0 && request_in.size() > max_intersection_pairs / key_in.size())
    return too_many_pairs(key_in.size(), request_in.size());
  // Normal forms, merged; a capability already in normal form is used as it is (no copy).
  capability key_copy, request_copy;
  const capability& key = all_normal(key_in) ? key_in : (key_copy = normalised(key_in));
  const capability& request = all_normal(request_in) ? request_in : (request_copy = normalised(request_in));
  if (path != intersect_path::general && key.size() <= small_intersection_resources &&
      request.size() <= small_intersection_resources)
    return intersect_pairwise(key, request, work);
  const request_index index(request);
  const interned_patterns interned(key, request);
  const auto& star_first = index.star_first;
  capability out;
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
    const bool by_ids = interned.active();
    for (const std::uint32_t j : candidates) {
      ++work.pairs;
      const op_set ops = key.ops(i) & request.ops(j);
      if (ops.empty()) continue;
      const pattern_facts& rp = index.facts[j];
      // The intersection is one of the two patterns: keep a reference, build nothing.
      if (by_ids ? interned.contains(interned.key(i), interned.request(j), work.compares) : contains(kp, rp)) {
        requested_kept[j] = requested_kept[j] | ops;
        continue;
      }
      if (by_ids ? interned.contains(interned.request(j), interned.key(i), work.compares) : contains(rp, kp)) {
        key_kept[i] = key_kept[i] | ops;
        continue;
      }
      // Build text only for a pair that has a common name (then detail::intersect succeeds).
      if (by_ids && !interned.overlaps(interned.key(i), interned.request(j), work.compares)) continue;
      if (auto e = build_pair(key, i, kp, request, j, rp, ops, out, built, work)) return *e;
      // Merge duplicates as we go so that memory stays bounded by the result limit.
      if (out.size() >= 2 * max_resources) {
        capability_access::sort(out, true);
        capability_access::compact(out);
        if (out.size() > max_resources) return too_many_results();
      }
    }
  }
  return finish_intersection(key, key_kept.data(), request, requested_kept.data(), out);
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
