// Tests for covers.hpp: covers(a, b) is true exactly when a grants everything b grants
// (docs/semantics.md Decision C1), checked against a brute-force reference.
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

namespace {

using capmatch_test::splitmix64;

/// covers on two documents; false also when either does not parse (each test's documents do).
constexpr bool covers_json(std::string_view a, std::string_view b) {
  const auto ca = capability::parse(a);
  const auto cb = capability::parse(b);
  return ca && cb && covers(*ca, *cb);
}

/// covers(a, b, budget) on two documents.
constexpr bool covers_within(std::string_view a, std::string_view b, std::size_t budget) {
  const auto ca = capability::parse(a);
  const auto cb = capability::parse(b);
  return ca && cb && covers(*ca, *cb, budget);
}

}  // namespace

TEST_CASE("C1 work budget: out of budget the answer is false, never true (docs/semantics.md Decision C1)") {
  // "x:1" under "x:*": the walk visits the root's child "x" (step 1), then that node's child
  // "*" (step 2; it has no child "1"), where the container ends: 2 steps, counted by hand.
  constexpr std::string_view a = R"({"x:*":["publish"]})", b = R"({"x:1":["publish"]})";
  static_assert(covers_within(a, b, 2));
  static_assert(!covers_within(a, b, 1));
  static_assert(!covers_within(a, b, 0));
  CHECK(covers_within(a, b, 2));
  CHECK_FALSE(covers_within(a, b, 1));
  // Not covered stays false under any budget; nothing to cover is true under any budget.
  CHECK_FALSE(covers_within(b, a, 1000));
  CHECK(covers_within(a, "{}", 0));
  CHECK(covers_within(a, R"({"a::b":["*"]})", 0));  // matches no name: needs no step
  // The default budget is covers_steps_base plus covers_steps_per_segment per segment.
  const auto ca = capability::parse(a).value(), cb = capability::parse(R"({"p:q:r":["*"],"s":["*"]})").value();
  CHECK(covers_default_budget(ca, cb) == 65536 + 16 * (2 + 3 + 1));
}

TEST_CASE("C1: a pattern is covered by one that contains it") {
  static_assert(covers_json(R"({"chat:*":["publish"]})", R"({"chat:bob":["publish"]})"));
  static_assert(!covers_json(R"({"chat:bob":["publish"]})", R"({"chat:*":["publish"]})"));
  CHECK(covers_json(R"({"chat:*":["publish"]})", R"({"chat:bob":["publish"]})"));
  CHECK(covers_json(R"({"foo:*":["*"]})", R"({"foo:*:baz":["publish"]})"));
  CHECK(covers_json(R"({"foo:*":["*"]})", R"({"foo:*:*":["publish"]})"));
  CHECK_FALSE(covers_json(R"({"foo:*:*":["*"]})", R"({"foo:*":["publish"]})"));   // foo:x is not foo:*:*
  CHECK_FALSE(covers_json(R"({"foo:*:baz":["*"]})", R"({"foo:*":["publish"]})"));
  CHECK_FALSE(covers_json(R"({"foo":["*"]})", R"({"foo:*":["publish"]})"));      // §8: foo:* is not foo
  CHECK_FALSE(covers_json(R"({"foo:*":["*"]})", R"({"foo":["publish"]})"));
  CHECK(covers_json(R"({"*":["subscribe"]})", R"({"a:b:c":["subscribe"]})"));
  CHECK_FALSE(covers_json(R"({"foo*":["*"]})", R"({"foo:bar":["publish"]})"));   // '*' inside a segment is literal
}

TEST_CASE("C1: no union of patterns covers a pattern none contains") {
  // x:* is x followed by one or more segments; x:a, x:b and x:*:* leave x:other uncovered.
  CHECK_FALSE(covers_json(R"({"x:a":["*"],"x:b":["*"],"x:*:*":["*"]})", R"({"x:*":["publish"]})"));
  // The qualifier set is open: [*]* also matches [filter]..., [anything]...
  CHECK_FALSE(covers_json(R"({"*":["*"],"[queue]*":["*"],"[meta]*":["*"],"[filter]*":["*"]})", R"({"[*]*":["publish"]})"));
  CHECK_FALSE(covers_json(R"({"x":["*"],"[meta]x":["*"]})", R"({"[*]x":["publish"]})"));
  CHECK(covers_json(R"({"[*]x":["publish"]})", R"({"x":["publish"],"[meta]x":["publish"],"[filter=e]x":["publish"]})"));
  CHECK(covers_json(R"({"[*]*":["*"]})", R"({"[*]x":["publish"],"*":["*"],"[queue]q:*":["history"]})"));
}

TEST_CASE("C1: operations may come from different patterns of a") {
  CHECK(covers_json(R"({"chat:*":["publish"],"*:bob":["subscribe"]})", R"({"chat:bob":["publish","subscribe"]})"));
  CHECK_FALSE(covers_json(R"({"chat:*":["publish"],"*:bob":["subscribe"]})", R"({"chat:ann":["publish","subscribe"]})"));
  // ["*"] grants the same as all 17 listed.
  constexpr auto all17 = R"({"a":["annotation-publish","annotation-subscribe","channel-metadata","history","message-delete-any","message-delete-own","message-update-any","message-update-own","object-publish","object-subscribe","presence","privileged-headers","publish","push-admin","push-subscribe","stats","subscribe"]})";
  CHECK(covers_json(all17, R"({"a":["*"]})"));
  CHECK(covers_json(R"({"a":["*"]})", all17));
}

TEST_CASE("C1: app-wide operations (§12) and patterns that match nothing") {
  CHECK_FALSE(covers_json(R"({"[*]*":["subscribe"]})", R"({"*":["stats"]})"));
  CHECK(covers_json(R"({"[*]*":["stats"]})", R"({"*":["stats"]})"));
  CHECK(covers_json(R"({"*":["push-admin"]})", R"({"[*?x=1]*":["push-admin"]})"));
  CHECK_FALSE(covers_json(R"({"chat:*":["*"]})", R"({"*":["channel-metadata"]})"));
  CHECK(covers_json(R"({})", R"({"chat":["stats"]})"));     // stats on a channel grants nothing
  CHECK(covers_json(R"({})", R"({"a::b":["*"],"a:":["*"]})"));  // no valid name has an empty segment
  CHECK(covers_json(R"({"a":["publish"]})", R"({})"));
  CHECK_FALSE(covers_json(R"({})", R"({"a":["publish"]})"));
}

namespace {

std::string random_pattern(splitmix64& rng) {
  static constexpr const char* segments[] = {"a", "b", "*", "*", "c"};
  static constexpr const char* qualifiers[] = {"", "", "", "[queue]", "[meta]", "[*]", "[*]", "[queue=v]", "[?p=1]"};
  std::string s = capmatch_test::random_pattern(rng, qualifiers, segments);
  if (rng.chance(3)) s += ":";  // matches nothing
  return s;
}

std::string random_doc(splitmix64& rng, std::size_t max_entries) {
  static constexpr const char* pool[] = {"subscribe", "publish", "stats", "channel-metadata"};
  return capmatch_test::random_document(rng, max_entries, random_pattern, pool, 40);
}

/// Every name whose segments are the patterns' literals (a, b, c) or a fresh one (f), 1 to 4
/// segments (one more than the longest pattern), unqualified, [queue], [meta] or a fresh [zz]:
/// enough to hold a witness for every non-containment (docs/semantics.md Decision C1).
std::vector<std::string> universe() {
  return capmatch_test::name_universe({"", "[queue]", "[meta]", "[zz]"}, {"a", "b", "c", "f"}, 4);
}

/// The reference: every (name, op) b allows, a allows; every app-wide grant of b, a has.
bool covers_brute(const capability& a, const capability& b, const std::vector<resource_name>& names) {
  for (std::size_t o = 0; o < operation_count; ++o)
    if (b.allows_app_wide(static_cast<operation>(o)) && !a.allows_app_wide(static_cast<operation>(o))) return false;
  for (const auto& n : names)
    for (std::size_t o = 0; o < operation_count; ++o)
      if (b.allows(n, static_cast<operation>(o)) && !a.allows(n, static_cast<operation>(o))) return false;
  return true;
}

}  // namespace

TEST_CASE("C1 property: covers(a, b) agrees with the brute-force reference") {
  const auto texts = universe();
  std::vector<resource_name> names;
  for (const auto& t : texts) names.push_back(parse_name(t).value());
  splitmix64 rng{0xC0'7E25ull};
  std::size_t yes = 0, no = 0;
  for (int round = 0; round < 3000; ++round) {
    const capability a0 = cap_of(random_doc(rng, 4));
    const capability b = cap_of(random_doc(rng, 3));
    // A third of the time a also holds b (then covers is true), or b's entries narrowed.
    capability a = a0;
    if (round % 3 == 1) a = unite(a0, b).value();
    CAPTURE(a.to_json());
    CAPTURE(b.to_json());
    const bool expected = covers_brute(a, b, names);
    CHECK(covers(a, b) == expected);
    (expected ? yes : no) += 1;
    CHECK(covers(a, a));
  }
  MESSAGE("covered: " << yes << ", not covered: " << no);
  CHECK(yes > 750);
  CHECK(no > 750);
}
