// Tests for intersect.hpp: the effective token capability key ∩ request (SEMANTICS §14-§18).
#include <capmatch/intersect.hpp>
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "support.hpp"

using namespace capmatch;
using capmatch_test::cap_of;
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

TEST_CASE("§14 no request: the key's full capability, as it is; an empty key is 40160") {
  CM_TEXT(intersection(R"({"[filter=x]chan":["publish"],"*":["subscribe"]})"),
          R"({"*":["subscribe"],"[filter=x]chan":["publish"]})");
  CM_TEXT(intersection(R"({"chat:*":["*"]})"), R"({"chat:*":["*"]})");
  CM_TEXT(intersection("{}"), empty_result);
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
