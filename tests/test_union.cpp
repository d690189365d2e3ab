// Tests for union.hpp: unite(a, b) grants exactly what a or b grants (docs/semantics.md
// Decision U1; issue 13 §4), canonical, within the document limits.
#include <capmatch/covers.hpp>
#include <capmatch/union.hpp>
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "algebra_support.hpp"
#include "random.hpp"
#include "support.hpp"

using namespace capmatch;
using capmatch_test::cap_of;
using capmatch_test::describe;

namespace {

using capmatch_test::splitmix64;

constexpr capmatch_test::text united(std::string_view a, std::string_view b) {
  const auto r = unite(capability::parse(a).value(), capability::parse(b).value());
  return r ? describe(*r) : describe(r.error());
}

}  // namespace

TEST_CASE("U1: same resource, union of operations; canonical order") {
  constexpr std::string_view expected = R"({"a":["publish","subscribe"],"b":["publish"],"c":["*"]})";
  static_assert(united(R"({"b":["publish"],"a":["subscribe"]})", R"({"c":["*"],"a":["publish"]})").view() == expected);
  CHECK(united(R"({"b":["publish"],"a":["subscribe"]})", R"({"c":["*"],"a":["publish"]})").view() == expected);
  CHECK(united(R"({"a":["*"]})", R"({"a":["publish"]})").view() == R"({"a":["*"]})");
  CHECK(united(R"({})", R"({})").view() == "{}");
  // Nothing else is merged: * and private both stay; [queue=v]x and [queue]x are two resources.
  CHECK(united(R"({"*":["subscribe"]})", R"({"private":["subscribe"]})").view() == R"({"*":["subscribe"],"private":["subscribe"]})");
  CHECK(united(R"({"[queue=v]x":["publish"]})", R"({"[queue]x":["publish"]})").view() ==
        R"({"[queue=v]x":["publish"],"[queue]x":["publish"]})");
}

TEST_CASE("U1: limits: more than max_resources is an error, exactly max_resources is not") {
  auto doc = [](std::size_t from, std::size_t n) {
    std::string d = "{";
    for (std::size_t i = from; i < from + n; ++i) d += (i != from ? ",\"r" : "\"r") + std::to_string(i) + "\":[\"publish\"]";
    return cap_of(d + "}");
  };
  CHECK(unite(doc(0, 6000), doc(6000, 4000)).value().size() == 10000);
  CHECK(describe(unite(doc(0, 6000), doc(6000, 4001)).error()).view() ==
        "limit_exceeded 40000/400 at -: the union has 10001 resources, more than the limit of 10000 (capmatch::max_resources)");
  CHECK(unite(doc(0, 6000), doc(0, 6000)).value().size() == 6000);
}

TEST_CASE("U1: limits: canonical text over max_document_bytes is an error") {
  // 1300 resources of 2048 bytes, each byte a control character written \u0001: about 16 MB
  // of canonical text each, twice that together.
  auto big = [](char tag) {
    capability_builder b;
    for (std::size_t i = 0; i < 1300; ++i) {
      std::string r = std::string(1, tag) + std::to_string(i);
      r.resize(max_resource_bytes, '\x01');
      b.add(r, operation::publish);
    }
    return b.build().value();
  };
  const capability a = big('a'), b = big('b');
  CHECK(a.to_json().size() < max_document_bytes);
  const std::size_t expected = a.to_json().size() + b.to_json().size() - 1;  // "{...}" + "{...}" share one comma
  CHECK(describe(unite(a, b).error()).view() ==
        "limit_exceeded 40000/400 at -: the union's canonical text of " + std::to_string(expected) +
            " bytes exceeds the limit of 16777216 bytes (capmatch::max_document_bytes)");
}

namespace {

std::string random_pattern(splitmix64& rng) {
  static constexpr const char* segments[] = {"a", "b", "c", "*"};
  static constexpr const char* qualifiers[] = {"", "", "", "[queue]", "[meta]", "[*]", "[?p=1]", "[queue=v]"};
  return capmatch_test::random_pattern(rng, qualifiers, segments);
}

std::string random_doc(splitmix64& rng) {
  static constexpr const char* pool[] = {"subscribe", "publish", "presence", "stats", "channel-metadata"};
  return capmatch_test::random_document(rng, 4, random_pattern, pool, 35);
}

}  // namespace

TEST_CASE("U1 property: allowed(a ∪ b, r, o) == allowed(a, r, o) || allowed(b, r, o)") {
  const auto all = capmatch_test::name_universe({"", "[queue]", "[meta]", "[filter]"}, {"a", "b", "c", "d"}, 4);
  std::vector<resource_name> names;
  for (const auto& t : all) names.push_back(parse_name(t).value());
  splitmix64 rng{0x0017'E5ull};
  for (int round = 0; round < 1500; ++round) {
    const capability a = cap_of(random_doc(rng)), b = cap_of(random_doc(rng));
    const auto u = unite(a, b);
    REQUIRE(u.has_value());
    CAPTURE(a.to_json());
    CAPTURE(b.to_json());
    std::size_t mismatches = 0;  // counted, then checked once: a CHECK per pair is slow
    for (std::size_t o = 0; o < operation_count; ++o) {
      const auto op = static_cast<operation>(o);
      mismatches += u->allows_app_wide(op) != (a.allows_app_wide(op) || b.allows_app_wide(op));
      for (const auto& n : names) mismatches += u->allows(n, op) != (a.allows(n, op) || b.allows(n, op));
    }
    CHECK(mismatches == 0);
    // Canonical: parsing the canonical text gives it back; symmetric; idempotent.
    CHECK(capability::parse(u->to_json()).value().to_json() == u->to_json());
    CHECK(unite(b, a).value() == *u);
    CHECK(unite(a, a).value() == a);
    CHECK(covers(*u, a));
    CHECK(covers(*u, b));
  }
}
