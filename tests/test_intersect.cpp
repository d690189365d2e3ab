// Tests for intersect.hpp: the effective token capability key ∩ request (docs/semantics.md §14-§18).
#include <capmatch/intersect.hpp>
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support.hpp"
#include "random.hpp"

using namespace capmatch;
using capmatch_test::cap_of;
using capmatch_test::describe;
using capmatch_test::intersection;

namespace {
constexpr std::string_view empty_result =
    "empty_intersection 40160/401 at -: Key does not support requested capabilities";

constexpr bool result_round_trips(std::string_view key, std::string_view request) {
  const auto r = intersect(capability::parse(key).value(), capability::parse(request).value());
  if (!r) return false;
  std::vector<char> text;
  r->write_json(text);
  const auto back = capability::parse(std::string_view(text.data(), text.size()));
  return back && *back == *r;
}
}  // namespace

TEST_CASE("§18 worked example: chat:*, status, alerts key with chat:bob, status, secret request") {
  CM_TEXT(intersection(R"({"chat:*":["publish","subscribe","presence"],"status":["subscribe","history"],"alerts":["subscribe"]})",
                       R"({"chat:bob":["subscribe"],"status":["*"],"secret":["publish","subscribe"]})"),
          R"({"chat:bob":["subscribe"],"status":["history","subscribe"]})");
}

TEST_CASE("§18 worked example: key {chat:[*]} with request {status:[*]} is 40160") {
  CM_TEXT(intersection(R"({"chat":["*"]})", R"({"status":["*"]})"), empty_result);
}

TEST_CASE("§17 an empty result is 40160/401 'Key does not support requested capabilities'") {
  // Request {}.
  CM_TEXT(intersection(R"({"*":["*"]})", "{}"), empty_result);
  // Patterns overlap but operations do not.
  CM_TEXT(intersection(R"({"a":["publish"]})", R"({"a":["subscribe"]})"), empty_result);
  // Operations overlap but patterns do not.
  CM_TEXT(intersection(R"({"a:*":["*"]})", R"({"a":["*"]})"), empty_result);
  // §9: * does not cover qualified names.
  CM_TEXT(intersection(R"({"*":["*"]})", R"({"[queue]q":["*"]})"), empty_result);
  // Design 3: a pattern with an empty segment intersects nothing.
  CM_TEXT(intersection(R"({"a::b":["*"]})", R"({"[*]*":["*"]})"), empty_result);
  // The error record itself.
  const auto r = intersect(cap_of(R"({"a":["publish"]})"), cap_of("{}"));
  REQUIRE(!r);
  CHECK(r.error().code() == errc::empty_intersection);
  CHECK(r.error().ably_code() == 40160);
  CHECK(r.error().status_code() == 401);
  CHECK(!r.error().has_offset());
  CHECK(r.error().message() == "Key does not support requested capabilities");
}

TEST_CASE("§14 no request: the key's full capability in normal form; a key that grants nothing is 40160") {
  // Issue 14 item 5: absent and {"[*]*":["*"]} are one request. Qualifier params are ignored
  // when matching (§6), so "[filter=x]chan" grants what "[filter]chan" grants; "a::b" has an
  // empty segment and matches no name (design 3), so it grants nothing and is left out.
  CM_TEXT(intersection(R"({"[filter=x]chan":["publish"],"*":["subscribe"]})"),
          R"({"*":["subscribe"],"[filter]chan":["publish"]})");
  CM_TEXT(intersection(R"({"chat:*":["*"]})"), R"({"chat:*":["*"]})");
  CM_TEXT(intersection(R"({"a::b":["*"]})"), empty_result);
  CM_TEXT(intersection(R"({"a::b":["*"],"x":["publish"],":y":["subscribe"]})"), R"({"x":["publish"]})");
  // Two spellings of one pattern merge, their operations united.
  CM_TEXT(intersection(R"({"[queue?a=1]q":["publish"],"[queue]q":["subscribe"]})"),
          R"({"[queue]q":["publish","subscribe"]})");
  CM_TEXT(intersection("{}"), empty_result);
}

TEST_CASE("§14 no request and {\"[*]*\":[\"*\"]} give byte-identical results and errors") {
  for (std::string_view key : {R"({"a::b":["*"]})", R"({"[filter=x]c":["publish"]})",
                               R"({"[filter=x]chan":["publish"],"*":["subscribe"]})", R"({"[*]*":["*"]})",
                               R"({"[*?x]*":["publish"],"[*]*":["subscribe"],"a:":["*"]})", "{}"}) {
    CAPTURE(key);
    CHECK(intersection(key).str() == intersection(key, R"({"[*]*":["*"]})").str());
    CHECK(intersection(key).str() == intersection(key, R"({"[*?rewind=1]*":["*"]})").str());
  }
}

TEST_CASE("§14 no request means the same as requesting {\"[*]*\":[\"*\"]}") {
  const std::string_view names[] = {"chan", "[filter=e]chan", "[queue]q", "chat:a", "chat:a:b", "x", "[meta]chan"};
  for (std::string_view key : {R"({"[filter=x]chan":["publish"],"*":["subscribe"]})",
                               R"({"chat:*":["presence"],"[queue]*":["*"],"[*]chan":["history"]})"}) {
    CAPTURE(key);
    const auto k = cap_of(key);
    const auto absent = intersect(k).value();
    const auto all = intersect(k, cap_of(R"({"[*]*":["*"]})")).value();
    for (std::string_view n : names)
      for (std::size_t o = 0; o < operation_count; ++o) {
        const auto op = static_cast<operation>(o);
        CHECK(absent.allows(n, op) == all.allows(n, op));
        CHECK(absent.allows(n, op) == k.allows(n, op));
      }
  }
  // With the explicit request, resources come out in normal form (design 7).
  CM_TEXT(intersection(R"({"[filter=x]chan":["publish"],"*":["subscribe"]})", R"({"[*]*":["*"]})"),
          R"({"*":["subscribe"],"[filter]chan":["publish"]})");
}

TEST_CASE("§15 pattern intersection examples through whole capabilities") {
  CM_TEXT(intersection(R"({"chat:*":["publish","subscribe"]})", R"({"chat:bob":["subscribe"]})"),
          R"({"chat:bob":["subscribe"]})");
  CM_TEXT(intersection(R"({"*":["*"]})", R"({"cansubscribe:*":["subscribe"]})"), R"({"cansubscribe:*":["subscribe"]})");
  CM_TEXT(intersection(R"({"foo:*":["publish"]})", R"({"*":["*"]})"), R"({"foo:*":["publish"]})");
  CM_TEXT(intersection(R"({"[*]*":["*"]})", R"({"[queue]*":["subscribe"],"a":["publish"],"[*]b":["history"]})"),
          R"({"[*]b":["history"],"[queue]*":["subscribe"],"a":["publish"]})");
  CM_TEXT(intersection(R"({"foo:*:baz":["*"]})", R"({"foo:bar:*":["publish"]})"), R"({"foo:bar:baz":["publish"]})");
  CM_TEXT(intersection(R"({"[*]chan":["*"]})", R"({"[queue]*":["subscribe"],"*":["publish"]})"),
          R"({"[queue]chan":["subscribe"],"chan":["publish"]})");
}

TEST_CASE("§15 op intersection: [*] ∩ X = X, X ∩ [*] = X, [*] ∩ [*] = [*], otherwise the common ops") {
  CM_TEXT(intersection(R"({"a":["*"]})", R"({"a":["*"]})"), R"({"a":["*"]})");
  CM_TEXT(intersection(R"({"a":["*"]})", R"({"a":["presence","history"]})"), R"({"a":["history","presence"]})");
  CM_TEXT(intersection(R"({"a":["presence","history"]})", R"({"a":["*"]})"), R"({"a":["history","presence"]})");
  CM_TEXT(intersection(R"({"a":["presence","history","publish"]})", R"({"a":["publish","history","subscribe"]})"),
          R"({"a":["history","publish"]})");
}

TEST_CASE("§15 results with the same resource are merged (union of ops); nothing else is merged") {
  CM_TEXT(intersection(R"({"*":["publish"],"chat:*":["subscribe"]})", R"({"chat:a":["*"]})"),
          R"({"chat:a":["publish","subscribe"]})");
  // "*" absorbs in the union.
  CM_TEXT(intersection(R"({"*":["*"],"a":["publish"]})", R"({"a":["*"]})"), R"({"a":["*"]})");
  // A result may hold both * and private.
  CM_TEXT(intersection(R"({"*":["subscribe"],"private":["publish"]})", R"({"[*]*":["*"]})"),
          R"({"*":["subscribe"],"private":["publish"]})");
  CM_TEXT(intersection(R"({"*":["subscribe"],"private":["publish"]})", R"({"*":["subscribe","publish"]})"),
          R"({"*":["subscribe"],"private":["publish"]})");
  // Resources that are equal only in normal form merge too (params dropped, design 7).
  CM_TEXT(intersection(R"({"chan":["publish"],"[?rewind=1]chan":["subscribe"]})", R"({"*":["*"]})"),
          R"({"chan":["publish","subscribe"]})");
  CM_TEXT(intersection(R"({"[?rewind=1]chan":["*"]})", R"({"chan":["subscribe"]})"), R"({"chan":["subscribe"]})");
}

TEST_CASE("§16 requested entries that overlap nothing are dropped silently") {
  CM_TEXT(intersection(R"({"a":["*"]})", R"({"a":["publish"],"b":["publish"],"[meta]*":["*"]})"),
          R"({"a":["publish"]})");
  CM_TEXT(intersection(R"({"a":["subscribe"],"b":["publish"]})", R"({"a":["publish"],"b":["publish"]})"),
          R"({"b":["publish"]})");
}

TEST_CASE("intersection results are canonical capabilities that round trip") {
  CM_BOTH(result_round_trips(R"({"chat:*":["publish","subscribe","presence"],"status":["subscribe","history"]})",
                             R"({"chat:bob":["subscribe"],"status":["*"],"secret":["publish"]})"));
  CM_BOTH(result_round_trips(R"({"[*]*":["*"]})", R"({"[filter=x?y=1]a:*":["publish"],"\u00e9":["*"]})"));
}

// ---- differential test: intersect against the pairwise definition ----

namespace {

/// docs/semantics.md §15 read literally: every (key, request) pair, each pattern pair through the
/// public intersect(pattern, pattern), results merged by one sort at the end. No limits: the
/// value every successful intersect must equal.
result<capability> literal_reference(const capability& key, const capability& request) {
  capability out;
  std::vector<char> text;
  for (std::size_t i = 0; i < key.size(); ++i) {
    for (std::size_t j = 0; j < request.size(); ++j) {
      const op_set ops = key.ops(i) & request.ops(j);
      text.clear();
      if (ops.empty() || !intersect(key.pattern_at(i), request.pattern_at(j), text)) continue;
      if (text.size() > max_resource_bytes) continue;  // matches no valid name (or is an error, below)
      detail::capability_access::add(out, std::string_view(text.data(), text.size()), ops, 0);
    }
  }
  detail::capability_access::sort(out, true);
  detail::capability_access::compact(out);
  if (out.empty()) return error(errc::empty_intersection, no_offset, "Key does not support requested capabilities");
  return out;
}

/// `cap` in normal form with equal patterns merged, written independently of
/// detail::normalised: through canonical JSON text rebuilt resource by resource.
capability normal_form(const capability& cap) {
  capability out;
  for (std::size_t i = 0; i < cap.size(); ++i) {
    std::vector<char> t;
    append_text(cap.pattern_at(i), t);
    detail::capability_access::add(out, std::string_view(t.data(), t.size()), cap.ops(i), cap.source_offset(i));
  }
  detail::capability_access::sort(out, true);
  detail::capability_access::compact(out);
  return out;
}

// The reference's limit errors, written out from docs/limits.md independently of intersect.hpp's
// own error builders (so that a change to either is caught by the differential tests).
error ref_limit_error(const std::string& message) { return error(errc::limit_exceeded, no_offset, message); }
error ref_too_many_pairs(std::size_t keys, std::size_t requested) {
  return ref_limit_error("intersecting " + std::to_string(keys) + " key resources with " + std::to_string(requested) +
                         " requested resources exceeds the limit of 1048576 pairs (capmatch::max_intersection_pairs)");
}
error ref_too_many_results() {
  return ref_limit_error("the intersection has more than 10000 resources (capmatch::max_resources)");
}
error ref_too_many_bytes() {
  return ref_limit_error("the intersection builds more than 40960000 bytes of resource text "
                         "(capmatch::max_intersection_bytes)");
}

/// intersect's documented definition with its limits and errors, pair by pair: both inputs in
/// normal form with equal patterns merged, then every pair in key-major order; a pair where
/// one pattern contains the other contributes that pattern; the others build their text,
/// counted against max_intersection_bytes; results merged as they pass twice the result limit
/// (when intersect reports that limit) and at the end.
result<capability> pairwise_reference(const capability& key_in, const capability& request_in) {
  if (key_in.size() != 0 && request_in.size() > max_intersection_pairs / key_in.size())
    return ref_too_many_pairs(key_in.size(), request_in.size());
  const capability key = normal_form(key_in), request = normal_form(request_in);
  capability out;
  std::vector<char> text;
  std::size_t built = 0;
  std::vector<std::pair<std::string, op_set>> kept;
  for (std::size_t i = 0; i < key.size(); ++i) {
    for (std::size_t j = 0; j < request.size(); ++j) {
      const op_set ops = key.ops(i) & request.ops(j);
      if (ops.empty()) continue;
      const pattern kp = key.pattern_at(i), rp = request.pattern_at(j);
      if (contains(kp, rp) || contains(rp, kp)) {
        kept.emplace_back(contains(kp, rp) ? request.resource(j) : key.resource(i), ops);
        continue;
      }
      text.clear();
      if (!intersect(kp, rp, text)) continue;
      if ((built += text.size()) > max_intersection_bytes) return ref_too_many_bytes();
      if (text.size() > max_resource_bytes) {
        const bool any = text.size() >= 3 && text[0] == '[' && text[1] == '*' && text[2] == ']';
        if (!any || text.size() - 3 > max_resource_bytes) continue;
        error e(errc::limit_exceeded, no_offset);  // quoting (clipped) as error::append_quoted does
        e.append("the intersection of ").append_quoted(key.resource(i)).append(" and ").append_quoted(request.resource(j));
        e.append(" is a resource of ").append_number(text.size()).append(" bytes, more than the limit of ");
        return e.append("2048 bytes (capmatch::max_resource_bytes)");
      }
      detail::capability_access::add(out, std::string_view(text.data(), text.size()), ops, 0);
      if (out.size() >= 2 * max_resources) {
        detail::capability_access::sort(out, true);
        detail::capability_access::compact(out);
        if (out.size() > max_resources) return ref_too_many_results();
      }
    }
  }
  for (const auto& [res, ops] : kept) detail::capability_access::add(out, res, ops, 0);
  detail::capability_access::sort(out, true);
  detail::capability_access::compact(out);
  if (out.size() > max_resources) return ref_too_many_results();
  if (out.empty()) return error(errc::empty_intersection, no_offset, "Key does not support requested capabilities");
  return out;
}

using diff_rng = capmatch_test::splitmix64;

// Segments: literals shared by both sides (so that patterns overlap often), "*", a literal
// containing '*', a literal starting with "*", an empty segment (a pattern that matches
// nothing), and long literals (intersections beyond max_resource_bytes).
std::string diff_segment(diff_rng& r, bool allow_long) {
  static constexpr const char* pool[] = {"a", "b", "c", "a", "b", "*", "*", "*", "a*", "*a", "", "room", "k1", "k2"};
  if (allow_long && r.below(8) == 0) return std::string(300 + r.below(700), static_cast<char>('p' + r.below(3)));
  return pool[r.below(std::size(pool))];
}

std::string diff_pattern(diff_rng& r, bool allow_long) {
  static constexpr const char* qualifiers[] = {"", "", "", "", "", "[*]", "[*]", "[queue]", "[meta]",
                                               "[queue=v]", "[?rewind=1]", "[meta?x=1]", "[q2]"};
  std::string s = qualifiers[r.below(std::size(qualifiers))];
  const std::size_t n = 1 + r.below(r.below(5) == 0 ? 7 : 4);
  std::string body;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string seg = diff_segment(r, allow_long);
    if (i != 0 && body.size() + seg.size() > 2000) break;  // within max_resource_bytes
    if (i != 0) body += ':';
    if (n == 1 && seg.empty()) body += '*';  // a body must not be empty
    else body += seg;
  }
  return s + body;
}

std::string diff_ops(diff_rng& r) {
  static constexpr const char* names[] = {"subscribe", "publish", "presence", "history"};
  if (r.below(4) == 0) return R"(["*"])";
  std::string o = "[";
  for (const char* n : names)
    if (r.below(2) == 0) o.append(o.size() > 1 ? ",\"" : "\"").append(n).append("\"");
  if (o.size() == 1) o += "\"subscribe\"";
  return o + "]";
}

capability diff_capability(diff_rng& r, std::size_t n, bool allow_long, std::string_view family) {
  std::vector<std::string> seen;
  std::string doc = "{";
  for (std::size_t k = 0; k < n; ++k) {
    // A family gives many distinct intersections: k<i>:* (key) against *:r<j> (request).
    const bool in_family = !family.empty() && r.below(4) != 0;
    std::string p;
    if (!in_family) p = diff_pattern(r, allow_long);
    else p.append(family).append(std::to_string(r.below(400))).append(family == "k" ? ":*" : "");
    if (std::find(seen.begin(), seen.end(), p) != seen.end()) continue;
    seen.push_back(p);
    doc.append(doc.size() > 1 ? ",\"" : "\"").append(p).append("\":").append(diff_ops(r));
  }
  doc += "}";
  return cap_of(doc);
}

}  // namespace

TEST_CASE("differential: intersect equals the pairwise definition on 20,000 random key/request pairs") {
  diff_rng r{0xD1FF'15EC'7000'0001ull};
  std::size_t results = 0, empties = 0, limit_errors = 0, large = 0;
  for (int t = 0; t < 20000; ++t) {
    const std::size_t mode = r.below(100);
    std::size_t nk = 1 + r.below(12), nr = 1 + r.below(12);
    std::string_view fk, fr;
    bool allow_long = r.below(10) == 0;
    if (mode < 3) {  // large
      nk = 100 + r.below(400);
      nr = 50 + r.below(300);
      ++large;
    } else if (mode < 4) {  // past the result limit, or a long [*] intersection first
      nk = 120 + r.below(60);
      nr = 120 + r.below(60);
      fk = "k";
      fr = "*:r";
      allow_long = true;
      ++large;
    } else if (mode < 8) {  // one side large, the other tiny
      (r.below(2) ? nk : nr) = 200 + r.below(300);
      ++large;
    }
    const capability key = diff_capability(r, nk, allow_long, fk);
    const capability request = diff_capability(r, nr, allow_long, fr);
    const auto fast = intersect(key, request);
    const auto slow = pairwise_reference(key, request);
    bool same = fast.has_value() == slow.has_value();
    if (same && fast) {
      const auto literal = literal_reference(key, request);
      same = *fast == *slow && fast->to_json() == slow->to_json() && literal && literal->to_json() == fast->to_json();
      ++results;
    } else if (same) {
      same = fast.error().code() == slow.error().code() && fast.error().message() == slow.error().message() &&
             fast.error().has_offset() == slow.error().has_offset();
      (fast.error().code() == errc::empty_intersection ? empties : limit_errors) += 1;
    }
    if (!same) {
      CAPTURE(t);
      CAPTURE(key.to_json());
      CAPTURE(request.to_json());
      FAIL_CHECK("intersect differs from the pairwise definition: "
                 << (fast ? fast->to_json() : describe(fast.error()).str()) << " vs "
                 << (slow ? slow->to_json() : describe(slow.error()).str()));
      break;
    }
  }
  MESSAGE("results: " << results << ", empty: " << empties << ", limit errors: " << limit_errors
                      << ", large cases: " << large);
  CHECK(results > 5000);
  CHECK(empties > 1000);
  CHECK(limit_errors > 20);
}

TEST_CASE("differential: first segments chosen to collide in the index's table still give the pairwise result") {
  // 80 requested patterns whose first segments all hash to one slot of the 256-slot table:
  // the index gives up (degenerate) and every requested pattern becomes a candidate.
  std::vector<std::string> firsts;
  for (std::uint32_t n = 0; firsts.size() < 80; ++n) {
    std::string s = "s";
    s.append(std::to_string(n));
    if ((detail::request_index::hash(s) & 255u) == 7u) firsts.push_back(s);
  }
  std::string req = "{", key = "{";
  for (std::size_t i = 0; i < firsts.size(); ++i) {
    req.append(i ? ",\"" : "\"").append(firsts[i]).append(i % 2 ? ":*" : ":x").append("\":[\"subscribe\",\"publish\"]");
    if (i % 3 == 0) key.append(i ? ",\"" : "\"").append(firsts[i]).append(":x\":[\"publish\"]");
  }
  req.append(",\"*:y\":[\"presence\"]}");
  key.append(",\"*\":[\"subscribe\"],\"[*]*:*\":[\"presence\"]}");
  const capability k = cap_of(key), r = cap_of(req);
  CHECK(detail::request_index(r).degenerate);
  const auto fast = intersect(k, r);
  const auto slow = pairwise_reference(k, r);
  REQUIRE(fast.has_value());
  REQUIRE(slow.has_value());
  CHECK(fast->to_json() == slow->to_json());
  CHECK(fast->size() > 80);
  // The same shape with first segments that do not collide: the index is used.
  CHECK(!detail::request_index(cap_of(R"({"a:*":["*"],"b":["*"],"*:c":["*"]})")).degenerate);
}

TEST_CASE("differential: segments chosen to collide in the interning table still give the pairwise result") {
  // 60 distinct segments whose hashes share one slot of the 256-slot table (80 texts): the
  // table gives up past 8 probes per text and the texts are sorted instead; same answers.
  std::vector<std::string> segs;
  for (std::uint32_t n = 0; segs.size() < 60; ++n) {
    std::string s = "g" + std::to_string(n);
    if ((detail::interned_patterns::hash(s) & 255u) == 7u) segs.push_back(s);
  }
  std::string key = "{", req = "{";
  for (std::size_t i = 0; i < segs.size(); ++i) {
    req.append(i ? ",\"" : "\"").append(segs[i]).append("\":[\"subscribe\",\"publish\"]");
    if (i < 20) key.append(i ? ",\"" : "\"").append(segs[i]).append("\":[\"publish\"]");
  }
  key.append(",\"*\":[\"presence\"]}");
  req.append(",\"[*]*\":[\"presence\"]}");
  const capability k = cap_of(key), r = cap_of(req);
  CHECK(detail::interned_patterns(k, r).by_sort());
  const auto fast = intersect(k, r);
  const auto slow = pairwise_reference(k, r);
  REQUIRE(fast.has_value());
  REQUIRE(slow.has_value());
  CHECK(fast->to_json() == slow->to_json());
  CHECK(fast->size() == 21);  // 20 segments with publish, "*" with presence
  // Texts that do not collide: the table is used.
  const capability plain = cap_of(R"({"a":["*"],"b:*":["*"],"c":["*"],"[q]d":["*"]})");
  CHECK(!detail::interned_patterns(plain, plain).by_sort());
}

TEST_CASE("§14 no request equals {\"[*]*\":[\"*\"]} byte for byte on 3,000 random keys") {
  diff_rng r{0x5EC'14'0005ull};
  capability everything = cap_of(R"({"[*]*":["*"]})");
  std::size_t values = 0;
  for (int t = 0; t < 3000; ++t) {
    const capability key = diff_capability(r, 1 + r.below(20), r.below(10) == 0, {});
    const auto absent = intersect(key), all = intersect(key, everything);
    REQUIRE(absent.has_value() == all.has_value());
    if (absent) {
      CHECK(absent->to_json() == all->to_json());
      // Never more than the key grants, never less: the same as the literal definition.
      const auto literal = literal_reference(key, everything);
      REQUIRE(literal.has_value());
      CHECK(literal->to_json() == absent->to_json());
      ++values;
    } else {
      CHECK(absent.error().message() == all.error().message());
    }
  }
  CHECK(values > 2000);
}

namespace {
/// {"x:*":..., "x:*:*":..., ...} (k entries) and n requested "*:y<j>:<long>:*": every pair
/// overlaps properly and all k pairs of one requested entry give the same text.
std::pair<capability, capability> proper_overlap_shape(std::size_t k, std::size_t n, std::size_t long_bytes) {
  std::string key = "{", req = "{";
  for (std::size_t d = 1; d <= k; ++d) {
    key.append(key.size() > 1 ? ",\"x" : "\"x");
    for (std::size_t s = 0; s < d; ++s) key.append(":*");
    key.append("\":[\"*\"]");
  }
  const std::string filler(long_bytes, 'f');
  for (std::size_t j = 0; j < n; ++j)
    req.append(req.size() > 1 ? ",\"*:y" : "\"*:y").append(std::to_string(j)).append(":").append(filler).append(
        ":*\":[\"subscribe\"]");
  return {cap_of(key + "}"), cap_of(req + "}")};
}
}  // namespace

TEST_CASE("max_intersection_bytes: text built for proper overlaps is bounded, then 40000") {
  // Each pair builds "x:y<j>:<1950 f>:*" (about 1960 bytes); 3 * 7000 pairs build ~41 MB,
  // more than 2 * max_resources * max_resource_bytes = 40 960 000 bytes.
  const auto [key3, req] = proper_overlap_shape(3, 7000, 1950);
  const auto r = intersect(key3, req);
  REQUIRE(!r);
  CHECK(r.error().code() == errc::limit_exceeded);
  CHECK(r.error().ably_code() == 40000);
  CHECK(r.error().message() ==
        "the intersection builds more than 40960000 bytes of resource text (capmatch::max_intersection_bytes)");
  // Two key entries build ~27 MB: within the limit, 7000 results, as the literal definition says.
  const auto [key2, req2] = proper_overlap_shape(2, 7000, 1950);
  const auto ok = intersect(key2, req2);
  REQUIRE(ok.has_value());
  CHECK(ok->size() == 7000);
  CHECK(ok->to_json() == literal_reference(key2, req2)->to_json());
}

TEST_CASE("issue 14: 104 broad key entries that normalise to '*' build no text") {
  // "[?p0]*" ... "[?p103]*" are one pattern, "*": merged before pairing, each requested entry
  // meets it once, and the intersection is the requested pattern itself (no text built).
  std::string key = "{", req = "{";
  for (int k = 0; k < 104; ++k) key.append(k ? ",\"[?p" : "\"[?p").append(std::to_string(k)).append("]*\":[\"*\"]");
  const std::string seg(15, 's');
  for (int j = 0; j < 2000; ++j) {
    req.append(j ? ",\"" : "\"");
    for (int s = 0; s < 100; ++s) req.append(seg).append(":");
    req.append("r").append(std::to_string(j)).append("\":[\"subscribe\"]");
  }
  const capability k = cap_of(key + "}"), q = cap_of(req + "}");
  detail::intersect_work work;
  const auto r = detail::intersect_counted(k, q, work);
  REQUIRE(r.has_value());
  CHECK(r->to_json() == q.to_json());
  CHECK(work.pairs == 2000);
  CHECK(work.bytes == 0);
}

// ---- the pairwise path (small inputs) against the general path ----

namespace {
/// A pattern with a long chain of "*" segments (deep wildcards), sometimes ending in a literal
/// or a trailing "*", for the pairwise/general differential below.
std::string deep_pattern(diff_rng& r) {
  static constexpr const char* qualifiers[] = {"", "", "[*]", "[queue]", "[meta]"};
  std::string s = qualifiers[r.below(std::size(qualifiers))];
  const std::size_t n = 2 + r.below(10);
  for (std::size_t i = 0; i < n; ++i) {
    if (i != 0) s += ':';
    s += r.below(4) == 0 ? (r.below(2) ? "a" : "b") : "*";
  }
  return s;
}

/// 1..16 resources (sometimes 0): diff_pattern's shapes (qualifiers with params, "*", "[*]",
/// literals containing '*', empty segments, long literals) mixed with deep wildcard chains. With
/// allow_long, sometimes "[*]<1000 p>:*" (key) or "[*]*:<1045..1050 q>" (request): such a pair builds
/// "[*]" and a body of 2046..2051 bytes, the limit error up to a body of max_resource_bytes (2048)
/// and a pair left out beyond it.
capability small_capability(diff_rng& r, bool allow_long, bool key_side) {
  const std::size_t n = r.below(40) == 0 ? 0 : 1 + r.below(detail::small_intersection_resources);
  std::vector<std::string> seen;
  std::string doc = "{";
  for (std::size_t k = 0; k < n; ++k) {
    std::string p = r.below(4) == 0 ? deep_pattern(r) : diff_pattern(r, allow_long);
    if (allow_long && r.below(6) == 0)
      p = key_side ? "[*]" + std::string(1000, 'p') + ":*" : "[*]*:" + std::string(1045 + r.below(6), 'q');
    if (std::find(seen.begin(), seen.end(), p) != seen.end()) continue;
    seen.push_back(p);
    doc.append(doc.size() > 1 ? ",\"" : "\"").append(p).append("\":").append(diff_ops(r));
  }
  return cap_of(doc + "}");
}
}  // namespace

TEST_CASE("differential: the pairwise path equals the general path byte for byte on 30,000 small pairs") {
  diff_rng r{0x5A11'9A7E'0006ull};
  std::size_t results = 0, empties = 0, limit_errors = 0, built = 0;
  for (int t = 0; t < 30000; ++t) {
    const bool allow_long = r.below(12) == 0;
    const capability key = small_capability(r, allow_long, true), request = small_capability(r, allow_long, false);
    REQUIRE(key.size() <= detail::small_intersection_resources);
    REQUIRE(request.size() <= detail::small_intersection_resources);
    detail::intersect_work wp, wg;
    const auto pairwise = detail::intersect_counted(key, request, wp, detail::intersect_path::pairwise);
    const auto general = detail::intersect_counted(key, request, wg, detail::intersect_path::general);
    // The automatic choice for inputs this small is the pairwise path: same answer.
    const auto automatic = intersect(key, request);
    bool same = pairwise.has_value() == general.has_value() && automatic.has_value() == general.has_value() &&
                wp.pairs == wg.pairs && wp.bytes == wg.bytes;
    if (same && general) {
      same = pairwise->to_json() == general->to_json() && *pairwise == *general &&
             automatic->to_json() == general->to_json();
      ++results;
      built += wp.bytes != 0;
    } else if (same) {
      const error& a = pairwise.error();
      const error& b = general.error();
      same = a.code() == b.code() && a.ably_code() == b.ably_code() && a.message() == b.message() &&
             a.has_offset() == b.has_offset() && automatic.error().message() == b.message();
      (b.code() == errc::empty_intersection ? empties : limit_errors) += 1;
    }
    if (!same) {
      CAPTURE(t);
      CAPTURE(key.to_json());
      CAPTURE(request.to_json());
      FAIL_CHECK("pairwise path differs from the general path: "
                 << (pairwise ? pairwise->to_json() : describe(pairwise.error()).str()) << " vs "
                 << (general ? general->to_json() : describe(general.error()).str()) << "; pairs " << wp.pairs
                 << " vs " << wg.pairs << ", bytes " << wp.bytes << " vs " << wg.bytes);
      break;
    }
  }
  MESSAGE("results: " << results << " (" << built << " building text), empty: " << empties
                      << ", limit errors: " << limit_errors);
  // Every kind of outcome was exercised.
  CHECK(results > 10000);
  CHECK(built > 2000);
  CHECK(empties > 1000);
  CHECK(limit_errors > 10);
}

TEST_CASE("the pairwise path: 40160 exactly, and at compile time") {
  // Disjoint first segments, disjoint qualifiers, disjoint operations: no pair survives.
  for (const auto& [key, req] : {std::pair{R"({"a:*":["*"]})", R"({"b:*":["*"]})"},
                                 std::pair{R"({"[queue]*":["*"]})", R"({"[meta]*":["*"]})"},
                                 std::pair{R"({"*":["publish"]})", R"({"x":["subscribe"]})"}}) {
    detail::intersect_work w;
    const auto p = detail::intersect_counted(cap_of(key), cap_of(req), w, detail::intersect_path::pairwise);
    REQUIRE(!p);
    CHECK(describe(p.error()).str() == empty_result);
  }
  // Constant evaluation runs the same pairwise code (the facts on the stack are literal types).
  static_assert(result_round_trips(R"({"a:*":["publish","subscribe"],"[*]b:*:c":["*"]})",
                                   R"({"*:x":["subscribe"],"[queue]b:y:*":["publish"],"a:q":["*"]})"));
}
