// Complexity tests (issue 14): the work lint and intersect do, counted (trie nodes visited and
// entries examined; candidate pairs and bytes built), as the input doubles. A doubling may at
// most about double the work: each step's ratio must stay below 2.25 (n log n at n = 1000 gives
// 2.2; quadratic growth gives 4). No wall-clock thresholds.
#include <capmatch/covers.hpp>
#include <capmatch/intersect.hpp>
#include <capmatch/jwt.hpp>
#include <capmatch/lint.hpp>
#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "random.hpp"
#include "support.hpp"

using namespace capmatch;
using capmatch_test::cap_of;

namespace {

/// `work(n)` for n, 2n, 4n, 8n: checks that each doubling multiplies it by less than 2.25.
void check_linear(const char* what, std::size_t n, const std::function<std::size_t(std::size_t)>& work) {
  std::size_t prev = 0;
  for (std::size_t step = 0; step < 4; ++step, n *= 2) {
    const std::size_t w = work(n);
    const std::string shape(what);
    CAPTURE(shape);
    CAPTURE(n);
    CAPTURE(w);
    CHECK(w >= n);  // the counter counts (at least one unit per entry)
    MESSAGE(std::string(what) << ": n = " << n << ", work = " << w);
    if (step != 0) CHECK(static_cast<double>(w) < 2.25 * static_cast<double>(prev));
    prev = w;
  }
}

/// {"<f(0)>":<ops>, ..., "<f(n-1)>":<ops>}
template <class F>
capability doc(std::size_t n, F name, std::string_view ops) {
  std::string json = "{";
  for (std::size_t i = 0; i < n; ++i) json.append(i ? ",\"" : "\"").append(name(i)).append("\":").append(ops);
  return cap_of(json + "}");
}

/// Trie steps lint takes on `cap` with the given budget (default: lint_default_budget); with
/// the default budget, also checks that lint finished (no lint-incomplete finding).
std::size_t lint_work(const capability& cap, std::size_t budget = 0) {
  detail::linter l(cap, budget == 0 ? lint_default_budget(cap) : budget);
  const auto findings = l.run();
  if (budget == 0)
    for (const auto& f : findings) CHECK(f.code != lint_code::incomplete);
  return l.work();
}

constexpr std::size_t unlimited = static_cast<std::size_t>(-1);

/// n random distinct {x,*}^depth:z entries, then n entries x^depth:w<m>, all ["subscribe"]
/// (lint's orthogonal-vectors shape), appended to `json` (which ends with '{' or an entry).
void append_orthogonal(std::string& json, std::size_t n, int depth, std::uint64_t seed) {
  capmatch_test::splitmix64 r{seed};
  std::vector<std::string> seen;
  while (seen.size() < n) {
    std::string s;
    for (int d = 0; d < depth; ++d) s += r.below(2) ? "x:" : "*:";
    s += "z";
    if (std::find(seen.begin(), seen.end(), s) != seen.end()) continue;
    seen.push_back(s);
    json.append(json.size() > 1 ? ",\"" : "\"").append(s).append("\":[\"subscribe\"]");
  }
  std::string xs;
  for (int d = 0; d < depth; ++d) xs += "x:";
  for (std::size_t m = 0; m < n; ++m)
    json.append(",\"").append(xs).append("w").append(std::to_string(m)).append("\":[\"subscribe\"]");
}

}  // namespace

TEST_CASE("lint work is linear: many entries in one namespace") {
  // Issue 14 item 1: "chat:room0" ... took 13 s at 10 000 entries (every pair compared).
  check_linear("one namespace", 1250, [](std::size_t n) {
    return lint_work(doc(n, [](std::size_t i) { return "chat:room" + std::to_string(i); }, R"(["publish"])"));
  });
}

TEST_CASE("lint work is linear: 60 '*:' segments, a distinct literal and ':*', message-delete-any") {
  // Issue 14 item 1: 37 s at 4 000 entries. Each entry's containers lie on one trie path.
  check_linear("deep star chains", 500, [](std::size_t n) {
    return lint_work(doc(
        n,
        [](std::size_t i) {
          std::string s;
          for (int d = 0; d < 60; ++d) s += "*:";
          return s + "l" + std::to_string(i) + ":*";
        },
        R"(["message-delete-any"])"));
  });
}

TEST_CASE("lint work is linear: tenants with wildcards, shadowed entries, implied-op") {
  check_linear("tenants", 250, [](std::size_t n) {
    std::string json = "{";
    for (std::size_t t = 0; t < n; ++t)
      for (const char* tail : {":room:*", ":room:1", ":*:log", ":*"})
        json.append(json.size() > 1 ? ",\"" : "\"").append("tenant").append(std::to_string(t)).append(tail).append(
            "\":[\"subscribe\",\"message-delete-any\"]");
    json.append(",\"*:*:log\":[\"message-delete-own\"]}");
    return lint_work(cap_of(json));
  });
}

TEST_CASE("lint work is linear: one broad '*' over many entries, and '[*]' containers") {
  check_linear("broad containers", 1000, [](std::size_t n) {
    std::string json = R"({"*":["subscribe"],"[*]*":["publish"],"[*]a:*":["presence"])";
    for (std::size_t i = 0; i < n; ++i)
      json.append(",\"a:").append(std::to_string(i)).append("\":[\"subscribe\",\"presence\"]");
    return lint_work(cap_of(json + "}"));
  });
}

namespace {
std::size_t intersect_pairs_and_bytes(const capability& key, const capability& request) {
  detail::intersect_work work;
  (void)detail::intersect_counted(key, request, work);
  return work.pairs + work.bytes;
}
std::string long_name(std::size_t j) {
  std::string s;
  for (int k = 0; k < 100; ++k) s += "abcdefghijklmn:";
  return s + "r" + std::to_string(j);
}
}  // namespace

TEST_CASE("intersect work is linear in the request: 104 broad key entries against long requested names") {
  // Issue 14 item 3: "[?p0]*" ... "[?p103]*" against 10 000 entries of 1.6 KB took 11-22 s.
  const capability key = doc(104, [](std::size_t k) { return "[?p" + std::to_string(k) + "]*"; }, R"(["*"])");
  check_linear("broad key, growing request", 500, [&](std::size_t n) {
    return intersect_pairs_and_bytes(key, doc(n, long_name, R"(["subscribe"])"));
  });
}

TEST_CASE("intersect work does not grow with equal key patterns") {
  // Doubling the number of spellings of "*" in the key adds no pair and builds no byte.
  const capability request = doc(1000, long_name, R"(["subscribe"])");
  std::size_t first = 0;
  for (std::size_t k = 13; k <= 104; k *= 2) {
    const capability key = doc(k, [](std::size_t i) { return "[?p" + std::to_string(i) + "]*"; }, R"(["*"])");
    const std::size_t w = intersect_pairs_and_bytes(key, request);
    if (first == 0) first = w;
    CAPTURE(k);
    CHECK(w == first);
  }
  CHECK(first == 1000);  // one pair per requested entry, no text built
}

TEST_CASE("intersect work is linear: distinct broad key patterns whose intersections are the requested ones") {
  // "*", "*:*", ... contain each requested name: references, no text; pairs grow with the key.
  const capability request = doc(500, long_name, R"(["subscribe"])");
  check_linear("star depths", 8, [&](std::size_t k) {
    const capability key = doc(
        k,
        [](std::size_t d) {
          std::string s = "*";
          for (std::size_t i = 0; i < d; ++i) s += ":*";
          return s;
        },
        R"(["*"])");
    detail::intersect_work work;
    (void)detail::intersect_counted(key, request, work);
    CHECK(work.bytes == 0);
    return work.pairs;
  });
}

TEST_CASE("intersect bytes built stay within max_intersection_bytes however many pairs overlap properly") {
  // Every pair builds ~1.5 KB that merges away ("x:*"... against "*:y<j>:...:*"): the bytes
  // stop at the limit (then error 40000) instead of growing with key * request.
  for (std::size_t k : {4u, 8u, 16u}) {
    const capability key = doc(
        k,
        [](std::size_t d) {
          std::string s = "x";
          for (std::size_t i = 0; i <= d; ++i) s += ":*";
          return s;
        },
        R"(["*"])");
    const capability request = doc(
        4000, [](std::size_t j) { return "*:y" + std::to_string(j) + ":" + std::string(1500, 'f') + ":*"; },
        R"(["subscribe"])");
    detail::intersect_work work;
    const auto r = detail::intersect_counted(key, request, work);
    CAPTURE(k);
    CHECK(work.bytes <= max_intersection_bytes + max_resource_bytes + 8);
    if (k >= 8) {  // 8 * 4000 pairs of >= 1510 bytes: past the limit; 4 * 4000 * 1520 within it
      REQUIRE(!r);
      CHECK(r.error().code() == errc::limit_exceeded);
    } else {
      CHECK(r.has_value());
    }
  }
}

TEST_CASE("lint work: the counter sees the quadratic worst case (orthogonal-vectors shape)") {
  // Known limit (docs/limits.md): n random {x,*}^30:z entries and n entries x^30:w<m>. Each of
  // the latter shares a prefix with every trie path of the former yet none contains it: the
  // walk visits them all, so doubling n about quadruples the work. This shows the counter
  // detects superlinear growth; the cases above stay below 2.25.
  std::size_t prev = 0;
  for (std::size_t n = 100; n <= 400; n *= 2) {
    std::string json = "{";
    append_orthogonal(json, n, 30, 14);
    const std::size_t w = lint_work(cap_of(json + "}"), unlimited);
    CAPTURE(n);
    CAPTURE(w);
    if (prev != 0) CHECK(static_cast<double>(w) > 3.0 * static_cast<double>(prev));
    prev = w;
  }
}

TEST_CASE("lint stops at its work budget on the orthogonal-vectors shape, says so, and is exact before") {
  // Issue 14: 2 000 {x,*}^127:z and 2 000 x^127:w<m> took 122 s. With the default budget
  // (lint_steps_per_segment per segment plus lint_steps_base) the work is capped, linear in
  // the input, and one lint-incomplete finding marks where the shadowed/implied-op checks
  // stopped. Findings before it are those of the unlimited run.
  std::string json = R"({"*":["subscribe"],"a":["subscribe"],"m:*":["message-delete-any"])";
  append_orthogonal(json, 800, 30, 7);
  json += R"(,"b":["subscribe"],"n:*":["message-delete-any"],"[filter=x]q":["publish"]})";
  const capability cap = cap_of(json);
  std::size_t segments = 0;  // counted here from the JSON keys, not by the library
  for (std::size_t i = 0; i < cap.size(); ++i) {
    const std::string_view r = cap.resource(i);
    segments += 1 + static_cast<std::size_t>(std::count(r.begin(), r.end(), ':'));
  }
  const std::size_t budget = 16 * segments + 65536;
  CHECK(lint_default_budget(cap) == budget);

  detail::linter l(cap, budget);
  const auto capped = l.run();
  CHECK(l.work() == budget);
  const auto full = lint(cap, unlimited);
  REQUIRE(!full.empty());
  CHECK(full.back().code == lint_code::ignored_params);

  std::size_t incomplete = 0;
  std::uint32_t stop = 0;
  for (const auto& f : capped)
    if (f.code == lint_code::incomplete) ++incomplete, stop = f.offset;
  REQUIRE(incomplete == 1);
  const auto it = std::find_if(capped.begin(), capped.end(), [](const lint_finding& f) { return f.code == lint_code::incomplete; });
  CHECK(it->severity == lint_severity::warning);
  CHECK(it->message() == "lint incomplete: the shadowed and implied-op checks stopped after " + std::to_string(budget) +
                             " steps (the work budget); their findings before this entry are exact, this entry and"
                             " the later ones were not checked for them");
  CHECK(it->fix() == "lint with a larger budget (capmatch::lint(cap, steps)), or split the capability");
  // The capped findings are the full ones, minus shadowed/implied-op from the stop on.
  std::vector<std::string> expected, got;
  for (const auto& f : full)
    if (f.offset < stop || (f.code != lint_code::shadowed && f.code != lint_code::implied_op))
      expected.push_back(to_string(f));
  for (const auto& f : capped)
    if (f.code != lint_code::incomplete) got.push_back(to_string(f));
  CHECK(got == expected);
  // The early findings are there, the late shadowed/implied-op ones are not.
  const auto has = [](const std::vector<lint_finding>& v, std::string_view res, lint_code c) {
    return std::any_of(v.begin(), v.end(), [&](const lint_finding& f) { return f.resource == res && f.code == c; });
  };
  CHECK(has(capped, "a", lint_code::shadowed));
  CHECK(has(capped, "m:*", lint_code::implied_op));
  CHECK(has(full, "b", lint_code::shadowed));
  CHECK(!has(capped, "b", lint_code::shadowed));
  CHECK(has(full, "n:*", lint_code::implied_op));
  CHECK(!has(capped, "n:*", lint_code::implied_op));
  CHECK(has(capped, "[filter=x]q", lint_code::ignored_params));
}

TEST_CASE("lint work with the default budget is linear even on the orthogonal-vectors shape") {
  check_linear("orthogonal vectors, capped", 200, [](std::size_t n) {
    std::string json = "{";
    append_orthogonal(json, n, 30, 21);
    const capability cap = cap_of(json + "}");
    detail::linter l(cap, lint_default_budget(cap));
    (void)l.run();
    CHECK(l.work() <= lint_default_budget(cap));
    return l.work();
  });
}

TEST_CASE("intersect work is linear in the request: 104 deep '*:' key entries against names of 100 literal segments") {
  // Issue 14: 104 key entries of 100 "*:" segments then "z<k>", against 10 000 names of 100
  // literal segments then "r<j>": every pair is a candidate that differs only in its last
  // segment (31 s). Segments are interned once, so a pair costs at most 3 * max_segments
  // integer compares and reads no text; nothing is built (no name matches both).
  const capability key = doc(104, [](std::size_t k) {
    std::string s;
    for (int d = 0; d < 100; ++d) s += "*:";
    return s + "z" + std::to_string(k);
  }, R"(["*"])");
  const auto name = [](std::size_t j) {
    std::string s;
    for (int d = 0; d < 100; ++d) s += "seg" + std::to_string(d) + "abcdefghij:";
    return s + "r" + std::to_string(j);
  };
  check_linear("deep '*:' key, growing request", 125, [&](std::size_t n) {
    detail::intersect_work work;
    const auto r = detail::intersect_counted(key, doc(n, name, R"(["subscribe"])"), work);
    REQUIRE(!r);
    CHECK(r.error().code() == errc::empty_intersection);
    CHECK(work.pairs == 104 * n);
    CHECK(work.bytes == 0);
    CHECK(work.compares <= work.pairs * 3 * (max_segments + 1));
    return work.pairs + work.compares + work.bytes;
  });
}

TEST_CASE("covers work is linear: many near-miss deep '*:' entries in a, names of 100 literal segments in b") {
  // Pair by pair, each pattern of b was tested against every pattern of a (1000 x 1000 of
  // these: 11 s). covers now walks a's pattern trie: the trie steps per pattern of b are
  // bounded by the paths that can contain it. Counted with the trie covers() builds.
  check_linear("covers near misses", 125, [](std::size_t n) {
    std::string a = "{", b = "{";
    for (std::size_t k = 0; k < n; ++k) {
      a.append(k ? ",\"" : "\""), b.append(k ? ",\"" : "\"");
      for (int d = 0; d < 100; ++d) a.append("*:"), b.append("x:");
      a.append("z").append(std::to_string(k)).append("\":[\"subscribe\"]");
      b.append("r").append(std::to_string(k)).append("\":[\"subscribe\"]");
    }
    const capability ca = cap_of(a + R"(,"x:*":["subscribe"]})"), cb = cap_of(b + "}");
    CHECK(covers(ca, cb));
    detail::pattern_trie trie(ca);
    const std::uint32_t need = op_set(operation::subscribe).granted_bits();
    for (std::size_t j = 0; j < cb.size(); ++j) CHECK(trie.granted_over(cb.pattern_at(j), need) == need);
    return trie.work();
  });
}

namespace {

/// `count` claims c0..c{count-1}, each with the value 1.
jwt_request numbered_claims(std::size_t count, std::vector<std::string>& names) {
  names.clear();
  for (std::size_t i = 0; i < count; ++i) names.push_back("c" + std::to_string(i));
  jwt_request req;
  req.issued_at = 1000;
  for (const auto& n : names) req.claims.emplace_back(n, "1");
  return req;
}

jwt_key jwt_test_key() { return jwt_key{api_key::parse("appId.keyId:s3cret").value(), std::nullopt, false}; }

/// Length of unpadded base64url for n bytes (RFC 4648 §5 without '=').
std::size_t b64url_length(std::size_t n) { return (4 * n + 2) / 3; }

}  // namespace

TEST_CASE("issue_jwt is bounded: 10 000 claims and a repeat are refused by size before the repeat") {
  // Each claim name was compared with every earlier one (n^2/2) and every value parsed before the
  // size was checked (issue 14). Now the size is checked before each claim.
  std::vector<std::string> names;
  jwt_request req = numbered_claims(10000, names);
  names.emplace_back("c0");
  req.claims.emplace_back(names.back(), "1");
  std::size_t work = 0;
  const auto r = detail::issue_jwt_counted(jwt_test_key(), req, work);
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == errc::limit_exceeded);
  // Independently: the header and the body as JWS compact serialisation lays them out; the
  // token is refused before the first claim whose predecessors already make it too long.
  const std::size_t header = b64url_length(std::string_view(R"({"typ":"JWT","alg":"HS256","kid":"appId.keyId"})").size());
  std::string body = R"({"iat":1000,"exp":4600)";
  std::size_t read = 0, total = 0;
  for (;; ++read) {
    total = header + 1 + b64url_length(body.size() + 1) + 1 + 43;
    if (total > 8192) break;
    body += ",\"c" + std::to_string(read) + "\":1";
  }
  CHECK(read < 1000);
  CHECK(std::string(r.error().message()) == "the JWT would be at least " + std::to_string(total) +
                                                " bytes, more than the limit of 8192 bytes (capmatch::max_jwt_bytes; "
                                                "HTTP header limits)");
  CHECK(work >= read);
  CHECK(work <= 4 * read);  // one unit per claim read plus its hash bucket's names, not 10 001 claims
}

TEST_CASE("issue_jwt work is linear in the number of claims (duplicate check by hash)") {
  check_linear("issue_jwt claims", 50, [](std::size_t n) {
    std::vector<std::string> names;
    const jwt_request req = numbered_claims(n, names);
    std::size_t work = 0;
    const auto r = detail::issue_jwt_counted(jwt_test_key(), req, work);
    REQUIRE(r);
    CHECK(r->size() <= 8192);
    CHECK(work >= n);
    return work;
  });
}
