// Tests for include/capmatch/static_capability.hpp: capability literals checked during
// compilation. Each docs/semantics.md example is asserted at compile time (static_assert) and again
// at run time (CHECK). Invalid literals are compile errors: see tests/compile_fail/.
#include <capmatch/static_capability.hpp>

#include <capmatch/matcher.hpp>
#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <type_traits>

using namespace capmatch;
using namespace capmatch::literals;

namespace {

// ---- docs/semantics.md §1: parse and canonical text ----

// §1.5: canonical text sorts resources and operations and drops whitespace.
constexpr static_capability canon_key{R"({"private":["subscribe","publish","presence"],"*":["subscribe"]})"};
static_assert(canon_key.json() == R"({"*":["subscribe"],"private":["presence","publish","subscribe"]})");
static_assert(canon_key.size() == 2);
// Whitespace and escapes are accepted; canonical text has neither (RFC 8259: only what must be escaped).
constexpr auto spaced = R"( { "a\/b" : [ "history" , "stats" ] , "\u00e9" : ["*"] } )"_cap;
static_assert(spaced.json() == "{\"a/b\":[\"history\",\"stats\"],\"\xC3\xA9\":[\"*\"]}");
// §1.4: {} is a valid, empty capability.
constexpr auto empty_cap = "{}"_cap;
static_assert(empty_cap.empty() && empty_cap.json() == "{}");
// ["*"] is kept as ["*"].
static_assert(R"({"x":["*"]})"_cap.json() == R"({"x":["*"]})");
// The literal type and the run-time parser agree byte for byte.
static_assert(canon_key == capability::parse(R"({"*":["subscribe"],"private":["publish","subscribe","presence"]})"));
static_assert(canon_key == R"({"*":["subscribe"],"private":["presence","publish","subscribe"]})"_cap);
static_assert(!(canon_key == "{}"_cap));
// A capacity given explicitly takes a constexpr std::string_view.
constexpr std::string_view viewed = R"({"chat":["publish"]})";
constexpr static_capability<64> from_view{viewed};
static_assert(from_view.json() == viewed);

// ---- docs/semantics.md §2–3: checks ----

constexpr static_capability key{
    R"({"namespace:*":["subscribe"],"foo:*:baz":["history"],"foo*":["publish"],"[queue]*":["subscribe"],)"
    R"("[*]chan":["presence"],"*":["stats","channel-metadata"]})"};
// §8: a trailing * matches one or more segments; a middle * exactly one; * inside a segment is literal.
static_assert(key.allows("namespace:channel", operation::subscribe));
static_assert(key.allows("namespace:channel:other", operation::subscribe));
static_assert(!key.allows("namespace", operation::subscribe));
static_assert(key.allows("foo:bar:baz", operation::history));
static_assert(!key.allows("foo:bar:bam:baz", operation::history));
static_assert(key.allows("foo*", operation::publish));
static_assert(!key.allows("foobar", operation::publish));
// §9: * matches only unqualified names; [q]* all names qualified [q]; [*] any qualifier or none.
static_assert(key.allows("[queue]jobs", operation::subscribe));
static_assert(!key.allows("[meta]log", operation::subscribe));
static_assert(key.allows("chan", operation::presence) && key.allows("[meta]chan", operation::presence));
// §12: app-wide operations are checked without a resource.
static_assert(key.allows_app_wide(operation::stats) && !key.allows("anything", operation::stats));
static_assert(!key.allows_app_wide(operation::push_admin));
// §10: case-sensitive.
static_assert(!key.allows("Namespace:channel", operation::subscribe));

// ---- docs/semantics.md §4: intersection ----

// §18, the worked example from the source documents.
constexpr auto worked_key =
    R"({"chat:*":["publish","subscribe","presence"],"status":["subscribe","history"],"alerts":["subscribe"]})"_cap;
constexpr auto worked_request = R"({"chat:bob":["subscribe"],"status":["*"],"secret":["publish","subscribe"]})"_cap;
static_assert(intersect(worked_key, worked_request) == R"({"chat:bob":["subscribe"],"status":["history","subscribe"]})"_cap);
// ... and the 40160 case.
static_assert(intersect(R"({"chat":["*"]})"_cap, R"({"status":["*"]})"_cap).error().code() == errc::empty_intersection);
static_assert(intersect(R"({"chat":["*"]})"_cap, R"({"status":["*"]})"_cap).error().ably_code() == 40160);
static_assert(!(intersect(R"({"chat":["*"]})"_cap, R"({"status":["*"]})"_cap) == "{}"_cap));
// §15: pattern intersections.
static_assert(intersect(R"({"chat:*":["*"]})"_cap, R"({"chat:bob":["publish"]})"_cap) == R"({"chat:bob":["publish"]})"_cap);
static_assert(intersect(R"({"*":["*"]})"_cap, R"({"cansubscribe:*":["subscribe"]})"_cap) ==
              R"({"cansubscribe:*":["subscribe"]})"_cap);
static_assert(intersect(R"({"foo:*:baz":["*"]})"_cap, R"({"foo:bar:*":["*"]})"_cap) == R"({"foo:bar:baz":["*"]})"_cap);
static_assert(intersect(R"({"[*]*":["publish"]})"_cap, R"({"[queue]q":["*"]})"_cap) == R"({"[queue]q":["publish"]})"_cap);
// §14: no request = the key itself; {} requested is 40160 (§17).
static_assert(intersect(worked_key) == worked_key);
static_assert(!intersect(worked_key, empty_cap));
// Mixed with run-time capabilities.
static_assert(intersect(worked_key, capability::parse(R"({"alerts":["*"]})").value()) == R"({"alerts":["subscribe"]})"_cap);

// ---- the compiled matcher, built during compilation ----

static_assert(static_matcher<key>.allows("namespace:channel:other", operation::subscribe));
static_assert(!static_matcher<key>.allows("namespace", operation::subscribe));
static_assert(static_matcher<key>.allows("[meta]chan", operation::presence));
static_assert(!static_matcher<key>.allows("[meta]log", operation::subscribe));
static_assert(static_matcher<key>.allows_app_wide(operation::channel_metadata));
static_assert(static_matcher<worked_key>.ops_for("chat:bob") ==
              (op_set(operation::publish) | op_set(operation::subscribe) | op_set(operation::presence)));
static_assert(static_matcher<empty_cap>.ops_for("anything").empty());
// A literal segment and a middle "*" under the same prefix (the automaton merges both branches).
static constexpr static_capability mixed{R"({"foo:*:baz":["publish"],"foo:bar:x":["subscribe"],"foo:bar:*":["history"]})"};
static_assert(static_matcher<mixed>.ops_for("foo:bar:baz") == (op_set(operation::publish) | op_set(operation::history)));
static_assert(static_matcher<mixed>.ops_for("foo:bar:x") == (op_set(operation::subscribe) | op_set(operation::history)));
static_assert(static_matcher<mixed>.ops_for("foo:qux:baz") == op_set(operation::publish));
static_assert(static_matcher<mixed>.ops_for("foo:qux:x").empty());
// Static storage, no heap: the matcher is a literal type whose tables are arrays.
static_assert(std::is_trivially_destructible_v<std::remove_cvref_t<decltype(static_matcher<key>)>>);

// Each name with the operations `key` and `worked_key` grant on it, worked out by hand from
// docs/semantics.md §6-§10 (not computed by the library): "*" (stats, channel-metadata) matches
// every valid unqualified name; invalid names ("[*]chan", "", "a::b", ":a", "[queue]", "[]x")
// are granted nothing.
constexpr op_set sub{operation::subscribe}, pub{operation::publish}, pres{operation::presence},
    hist{operation::history}, app{op_set(operation::stats) | op_set(operation::channel_metadata)};
struct expected_ops {
  std::string_view name;
  op_set key_ops, worked_ops;
};
constexpr expected_ops names[] = {
    {"namespace", app, {}},
    {"namespace:channel", app | sub, {}},
    {"namespace:channel:other", app | sub, {}},
    {"foo:bar:baz", app | hist, {}},
    {"foo:bar:bam:baz", app, {}},
    {"foo*", app | pub, {}},
    {"foobar", app, {}},
    {"[queue]jobs", sub, {}},
    {"[meta]log", {}, {}},
    {"chan", app | pres, {}},
    {"[meta]chan", pres, {}},
    {"[filter=x]chan", pres, {}},
    {"[?rewind=1]chan", app | pres, {}},
    {"[*]chan", {}, {}},
    {"", {}, {}},
    {"a::b", {}, {}},
    {":a", {}, {}},
    {"Namespace:channel", app, {}},
    {"chat:bob", app, pub | sub | pres},
    {"status", app, sub | hist},
    {"[queue]", {}, {}},
    {"[]x", {}, {}},
    {"secret", app, {}},
    {"alerts", app, sub},
    {"chat:bob:x", app, pub | sub | pres},
};

}  // namespace

TEST_CASE("canonical text is a constant in static storage") {
  static_assert(std::is_trivially_copyable_v<decltype(canon_key)>);
  CHECK(canon_key.json() == R"({"*":["subscribe"],"private":["presence","publish","subscribe"]})");
  CHECK(std::string(canon_key.c_str()) == std::string(canon_key.json()));
  // The view points into the constexpr object itself: no allocation, nothing built at start-up.
  const char* begin = reinterpret_cast<const char*>(&canon_key);
  CHECK(canon_key.json().data() >= begin);
  CHECK(canon_key.json().data() + canon_key.json().size() <= begin + sizeof canon_key);
  CHECK(canon_key.to_capability().to_json() == canon_key.json());
  CHECK(spaced.json() == "{\"a/b\":[\"history\",\"stats\"],\"\xC3\xA9\":[\"*\"]}");
  CHECK(from_view.json() == viewed);
}

TEST_CASE("literal checks agree with the run-time capability") {
  const auto cap = capability::parse(key.json()).value();
  for (const expected_ops& e : names) {  // not a structured binding: clang 14 cannot capture one in INFO
    const std::string_view name = e.name;
    const op_set key_ops = e.key_ops, worked_ops = e.worked_ops;
    INFO(std::string(name));
    CHECK(key.ops_for(name) == key_ops);
    CHECK(cap.ops_for(name) == key_ops);
    CHECK(static_matcher<key>.ops_for(name) == key_ops);
    CHECK(static_matcher<worked_key>.ops_for(name) == worked_ops);
    CHECK(worked_key.ops_for(name) == worked_ops);
    for (std::size_t i = 0; i < operation_count; ++i) {
      const auto op = static_cast<operation>(i);
      const bool expected = !is_app_wide(op) && key_ops.contains(op);  // stats, push-admin: no resource
      CHECK(static_matcher<key>.allows(name, op) == expected);
      CHECK(cap.allows(name, op) == expected);
      CHECK(matcher(cap).allows(name, op) == expected);
    }
  }
  for (std::size_t i = 0; i < operation_count; ++i) {
    const auto op = static_cast<operation>(i);
    CHECK(static_matcher<key>.allows_app_wide(op) == cap.allows_app_wide(op));
  }
}

TEST_CASE("intersections of literals match the run-time intersection") {
  const auto r = intersect(worked_key, worked_request);
  REQUIRE(r);
  CHECK(r->to_json() == R"({"chat:bob":["subscribe"],"status":["history","subscribe"]})");
  CHECK(r == R"({"chat:bob":["subscribe"],"status":["history","subscribe"]})"_cap);
  const auto denied = intersect(R"({"chat":["*"]})"_cap, R"({"status":["*"]})"_cap);
  REQUIRE(!denied);
  CHECK(denied.error().message() == "Key does not support requested capabilities");
  CHECK(denied.error().status_code() == 401);
}

TEST_CASE("the run-time escape hatch takes what is not a literal") {
  // static_capability needs a literal; text known only at run time goes to capability::parse,
  // which reports the same errors as values (the compile-fail tests show them as compile errors).
  const std::string text = R"({"chat:*":["Publish"]})";
  const auto parsed = capability::parse(text);
  REQUIRE(!parsed);
  CHECK(parsed.error().message() ==
        "unknown operation 'Publish' at byte 11; operations are lower-case, did you mean 'publish'?");
  CHECK(parsed.error().offset() == 11);
}
