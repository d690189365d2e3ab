// Tests for capability.hpp: parsing and validation (docs/semantics.md §1), canonical text (§1.5),
// checks (§11), app-wide operations (§12).
#include <capmatch/capability.hpp>
#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "random.hpp"
#include "support.hpp"

using namespace capmatch;
using capmatch_test::canonical;
using capmatch_test::cap_of;
using capmatch_test::check;
using capmatch_test::verdict;

namespace {

constexpr bool app_wide(std::string_view json, operation op) {
  const auto c = capability::parse(json);
  return c && c->allows_app_wide(op);
}

constexpr bool enumerates(std::string_view json) {
  const auto c = capability::parse(json);
  return c && c->allows_channel_enumeration();
}

constexpr bool equal(std::string_view a, std::string_view b) {
  const auto x = capability::parse(a);
  const auto y = capability::parse(b);
  return x && y && *x == *y;
}

/// The canonical text parses back to an equal capability with identical canonical text.
constexpr bool round_trips(std::string_view json) {
  const auto c = capability::parse(json);
  if (!c) return false;
  std::vector<char> once;
  c->write_json(once);
  const auto again = capability::parse(std::string_view(once.data(), once.size()));
  if (!again || !(*again == *c)) return false;
  std::vector<char> twice;
  again->write_json(twice);
  return once == twice;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// §1 documents

TEST_CASE("§1.1 a capability maps resources to non-empty arrays of operation names") {
  CM_TEXT(canonical(R"({"chat":["subscribe","publish"]})"), R"({"chat":["publish","subscribe"]})");
  CM_TEXT(canonical(R"({"a":["*"],"b":["history"]})"), R"({"a":["*"],"b":["history"]})");
  const auto c = cap_of(R"({"b":["presence"],"a":["publish","subscribe"]})");
  REQUIRE(c.size() == 2);
  CHECK(c.resource(0) == "a");
  CHECK(c.ops(0) == op_set(operation::publish).insert(operation::subscribe));
  CHECK(c.resource(1) == "b");
  CHECK(c.ops(1) == op_set(operation::presence));
  // Where each resource was in the document (the opening quote), for error messages and lint.
  CHECK(c.source_offset(0) == 18);
  CHECK(c.source_offset(1) == 1);
}

TEST_CASE("§1.1 full JSON string syntax in keys and values: escapes, \\uXXXX, surrogate pairs") {
  CM_TEXT(canonical(R"({"\u0063hat:*":["\u0070ublish","sub\u0073cribe"]})"), R"({"chat:*":["publish","subscribe"]})");
  CM_TEXT(canonical(R"({"a\/b":["*"]})"), R"({"a/b":["*"]})");
  CM_TEXT(canonical(R"({"\uD83D\uDE00":["*"]})"), "{\"\xF0\x9F\x98\x80\":[\"*\"]}");
  CM_TEXT(canonical(R"({"caf\u00e9":["\u002a"]})"), "{\"caf\xC3\xA9\":[\"*\"]}");
  CM_TEXT(canonical(R"({"[queue]\u0061pp":["subscribe"]})"), R"({"[queue]app":["subscribe"]})");
}

TEST_CASE("§1.2 every one of the 17 operations is accepted, and '*' alone") {
  CM_TEXT(canonical(R"({"x":["subscribe","publish","presence","history","stats","push-subscribe","push-admin",)"
                    R"("channel-metadata","privileged-headers","object-subscribe","object-publish",)"
                    R"("annotation-subscribe","annotation-publish","message-update-own","message-update-any",)"
                    R"("message-delete-own","message-delete-any"]})"),
          R"({"x":["annotation-publish","annotation-subscribe","channel-metadata","history","message-delete-any",)"
          R"("message-delete-own","message-update-any","message-update-own","object-publish","object-subscribe",)"
          R"("presence","privileged-headers","publish","push-admin","push-subscribe","stats","subscribe"]})");
  CM_TEXT(canonical(R"({"x":["*"]})"), R"({"x":["*"]})");
}

TEST_CASE("§1.4 {} is a valid, empty capability that grants nothing") {
  CM_TEXT(canonical("{}"), "{}");
  const auto c = cap_of("{}");
  CHECK(c.empty());
  CHECK(c.size() == 0);
  CM_BOTH(check("{}", "chan", operation::subscribe) == verdict::denied);
  CM_BOTH(!app_wide("{}", operation::stats));
}

// ---------------------------------------------------------------------------------------------
// §1.3 invalid capabilities: every structural error, exact message and offset

TEST_CASE("§1.3 unknown operations (publish_, Publish) are 40000 with a suggestion") {
  CM_TEXT(canonical(R"({"private":["Publish"]})"),
          "unknown_operation 40000/400 at 12: unknown operation 'Publish' at byte 12; operations are lower-case, "
          "did you mean 'publish'?");
  CM_TEXT(canonical(R"({"a":["publish_"]})"),
          "unknown_operation 40000/400 at 6: unknown operation 'publish_' at byte 6; did you mean 'publish'?");
  CM_TEXT(canonical(R"({"a": [ "subscribe", "bogus" ]})"),
          "unknown_operation 40000/400 at 21: unknown operation 'bogus' at byte 21; expected an operation such "
          "as 'subscribe' or 'publish', or '*' for all");
  // The decoded name is what is checked and quoted.
  CM_TEXT(canonical(R"({"a":["pub\u0000lish"]})"),
          "unknown_operation 40000/400 at 6: unknown operation 'pub\\u0000lish' at byte 6; did you mean 'publish'?");
  CM_TEXT(canonical(R"({"a":["\u0050ublish"]})"),
          "unknown_operation 40000/400 at 6: unknown operation 'Publish' at byte 6; operations are lower-case, "
          "did you mean 'publish'?");
}

TEST_CASE("§1.3 '*' mixed with other operations is 40000 (wildcard_not_alone)") {
  CM_TEXT(canonical(R"({"a":["*","publish"]})"),
          "wildcard_not_alone 40000/400 at 10: '*' must be the only operation for resource 'a', found 'publish' "
          "at byte 10");
  CM_TEXT(canonical(R"({"a":["publish","*"]})"),
          "wildcard_not_alone 40000/400 at 16: '*' must be the only operation for resource 'a', found it after "
          "'publish' at byte 16");
  CM_TEXT(canonical(R"({"a":["subscribe","publish","*"]})"),
          "wildcard_not_alone 40000/400 at 28: '*' must be the only operation for resource 'a', found it after "
          "'publish' at byte 28");
  // Design 4: "*" together with anything, even "*".
  CM_TEXT(canonical(R"({"a":["*","*"]})"),
          "wildcard_not_alone 40000/400 at 10: '*' must be the only operation for resource 'a', found it twice "
          "at byte 10");
  // Unknown after "*": still the "*" rule that is broken first.
  CM_TEXT(canonical(R"({"a":["*","nope"]})"),
          "wildcard_not_alone 40000/400 at 10: '*' must be the only operation for resource 'a', found 'nope' at "
          "byte 10");
}

TEST_CASE("§1.3 an empty operation array is 40000 (empty_operations)") {
  CM_TEXT(canonical(R"({"a":[]})"),
          "empty_operations 40000/400 at 5: empty operation list for resource 'a' at byte 5; list at least one "
          "operation, or \"*\" for all");
  CM_TEXT(canonical(R"({"ok":["*"], "b" : [ ] })"),
          "empty_operations 40000/400 at 19: empty operation list for resource 'b' at byte 19; list at least one "
          "operation, or \"*\" for all");
}

TEST_CASE("§1.3 a non-string operation is 40000 (operation_not_string)") {
  CM_TEXT(canonical(R"({"a":[1]})"),
          "operation_not_string 40000/400 at 6: operations for resource 'a' must be strings, found a number at "
          "byte 6");
  CM_TEXT(canonical(R"({"a":["publish",null]})"),
          "operation_not_string 40000/400 at 16: operations for resource 'a' must be strings, found null at byte 16");
  CM_TEXT(canonical(R"({"a":[["publish"]]})"),
          "operation_not_string 40000/400 at 6: operations for resource 'a' must be strings, found an array at "
          "byte 6");
  CM_TEXT(canonical(R"({"a":[{}]})"),
          "operation_not_string 40000/400 at 6: operations for resource 'a' must be strings, found an object at "
          "byte 6");
  CM_TEXT(canonical(R"({"a":[true]})"),
          "operation_not_string 40000/400 at 6: operations for resource 'a' must be strings, found a boolean at "
          "byte 6");
}

TEST_CASE("§1.3 operations that are not an array are 40000 (operations_not_array)") {
  CM_TEXT(canonical(R"({"a":"publish"})"),
          "operations_not_array 40000/400 at 5: operations for resource 'a' must be an array of strings, found a "
          "string at byte 5");
  CM_TEXT(canonical(R"({"a": {}})"),
          "operations_not_array 40000/400 at 6: operations for resource 'a' must be an array of strings, found an "
          "object at byte 6");
  CM_TEXT(canonical(R"({"a":null})"),
          "operations_not_array 40000/400 at 5: operations for resource 'a' must be an array of strings, found "
          "null at byte 5");
  CM_TEXT(canonical(R"({"a":-1})"),
          "operations_not_array 40000/400 at 5: operations for resource 'a' must be an array of strings, found a "
          "number at byte 5");
}

TEST_CASE("§1.3 a document that is not an object is 40000 (not_an_object)") {
  CM_TEXT(canonical("[]"),
          "not_an_object 40000/400 at 0: a capability must be a JSON object, found an array at byte 0");
  CM_TEXT(canonical(R"(["chat"])"),
          "not_an_object 40000/400 at 0: a capability must be a JSON object, found an array at byte 0");
  CM_TEXT(canonical(R"( "{}")"),
          "not_an_object 40000/400 at 1: a capability must be a JSON object, found a string at byte 1");
  CM_TEXT(canonical("42"), "not_an_object 40000/400 at 0: a capability must be a JSON object, found a number at byte 0");
  CM_TEXT(canonical("null"), "not_an_object 40000/400 at 0: a capability must be a JSON object, found null at byte 0");
  CM_TEXT(canonical("\ntrue"),
          "not_an_object 40000/400 at 1: a capability must be a JSON object, found a boolean at byte 1");
}

TEST_CASE("§1.3 an empty resource name is 40000 (empty_resource)") {
  CM_TEXT(canonical(R"({"":["*"]})"), "empty_resource 40000/400 at 1: empty resource at byte 1");
  CM_TEXT(canonical(R"({"a":["*"],"":["*"]})"), "empty_resource 40000/400 at 11: empty resource at byte 11");
  CM_TEXT(canonical(R"({"[meta]":["*"]})"),
          "empty_resource 40000/400 at 1: resource '[meta]' at byte 1 has a qualifier but no channel name after it; "
          "follow it with '*' for every such channel");
}

TEST_CASE("design 1: malformed qualifiers in a capability are 40000 (invalid_resource)") {
  CM_TEXT(canonical(R"({"[]x":["*"]})"),
          "invalid_resource 40000/400 at 1: resource '[]x' at byte 1 has an empty qualifier; write [queue], [meta], "
          "[*] or no brackets");
  CM_TEXT(canonical(R"({"a":["*"], "[queue":["*"]})"),
          "invalid_resource 40000/400 at 12: resource '[queue' at byte 12 has '[' without a closing ']'");
  CM_TEXT(canonical(R"({"[a][b]x":["*"]})"),
          "invalid_resource 40000/400 at 1: resource '[a][b]x' at byte 1 has more than one qualifier");
  CM_TEXT(canonical(R"({"a\u0000b":["*"]})"),
          "invalid_resource 40000/400 at 1: resource 'a\\u0000b' at byte 1 contains U+0000");
  // Patterns with empty segments are valid entries (design 3), [*] is a valid pattern qualifier.
  CM_TEXT(canonical(R"({"a::b":["*"],"[*]x":["publish"]})"), R"({"[*]x":["publish"],"a::b":["*"]})");
}

TEST_CASE("§1.3 decision: a resource listed twice is 40000, never last-wins (duplicate_resource)") {
  CM_TEXT(canonical(R"({"a":["*"],"a":["publish"]})"),
          "duplicate_resource 40000/400 at 11: resource 'a' listed twice at byte 11 (first at byte 1)");
  // Equal after JSON unescaping.
  CM_TEXT(canonical(R"({"a":["*"],"\u0061":["publish"]})"),
          "duplicate_resource 40000/400 at 11: resource 'a' listed twice at byte 11 (first at byte 1)");
  CM_TEXT(canonical(R"({"x":["*"],"y":["*"],"x":["*"],"x":["*"]})"),
          "duplicate_resource 40000/400 at 21: resource 'x' listed twice at byte 21 (first at byte 1)");
  // Different texts are different resources, even when they match the same names.
  CM_TEXT(canonical(R"({"chan":["publish"],"[?rewind=1]chan":["subscribe"]})"),
          R"({"[?rewind=1]chan":["subscribe"],"chan":["publish"]})");
}

TEST_CASE("design 4: an operation listed twice in one list is 40000 (duplicate_operation)") {
  CM_TEXT(canonical(R"({"a":["publish","publish"]})"),
          "duplicate_operation 40000/400 at 16: operation 'publish' listed twice for resource 'a' at byte 16");
  CM_TEXT(canonical(R"({"a":["publish","subscribe","\u0070ublish"]})"),
          "duplicate_operation 40000/400 at 28: operation 'publish' listed twice for resource 'a' at byte 28");
}

TEST_CASE("limits: a document over max_document_bytes is an error, not truncated (limit_exceeded)") {
  std::string doc = "{}";
  doc.resize(max_document_bytes, ' ');
  CHECK(canonical(doc).str() == "{}");
  doc.push_back(' ');
  CHECK(canonical(doc).str() ==
        "limit_exceeded 40000/400 at 16777216: capability document of 16777217 bytes exceeds the limit of "
        "16777216 bytes (capmatch::max_document_bytes)");
}

// ---------------------------------------------------------------------------------------------
// §1.5 canonical text

TEST_CASE("§1.5 the docs/semantics.md example canonicalises byte for byte") {
  CM_TEXT(canonical(R"({"private":["subscribe","publish","presence"],"*":["subscribe"]})"),
          R"({"*":["subscribe"],"private":["presence","publish","subscribe"]})");
  CM_TEXT(canonical(" { \"private\" : [ \"subscribe\" , \"publish\" , \"presence\" ] ,\n \"*\" : [ \"subscribe\" ] } "),
          R"({"*":["subscribe"],"private":["presence","publish","subscribe"]})");
}

TEST_CASE("§1.5 [\"*\"] stays [\"*\"]; 17 listed operations stay listed") {
  CM_TEXT(canonical(R"({"a":["*"]})"), R"({"a":["*"]})");
  CM_BOTH(!equal(R"({"a":["*"]})",
                 R"({"a":["subscribe","publish","presence","history","stats","push-subscribe","push-admin",)"
                 R"("channel-metadata","privileged-headers","object-subscribe","object-publish",)"
                 R"("annotation-subscribe","annotation-publish","message-update-own","message-update-any",)"
                 R"("message-delete-own","message-delete-any"]})"));
}

TEST_CASE("§1.5 resources sort ascending by byte value (UTF-8), not by UTF-16 or locale") {
  // '*' 0x2A < 'B' 0x42 < '[' 0x5B < 'a' 0x61 < 'b' < 'chat' < 'chat:*' < '~' 0x7E < U+00E9 (C3 A9)
  // < U+FFFD (EF BF BD) < U+1F600 (F0 9F 98 80). UTF-16 order would put U+1F600 (D83D) before U+FFFD.
  CM_TEXT(canonical(R"({"b":["*"],"B":["*"],"a":["*"],"[queue]x":["*"],"*":["*"],"\u00e9":["*"],"~":["*"],)"
                    R"("\uD83D\uDE00":["*"],"\uFFFD":["*"],"chat:*":["*"],"chat":["*"]})"),
          "{\"*\":[\"*\"],\"B\":[\"*\"],\"[queue]x\":[\"*\"],\"a\":[\"*\"],\"b\":[\"*\"],\"chat\":[\"*\"],"
          "\"chat:*\":[\"*\"],\"~\":[\"*\"],\"\xC3\xA9\":[\"*\"],\"\xEF\xBF\xBD\":[\"*\"],"
          "\"\xF0\x9F\x98\x80\":[\"*\"]}");
  // A prefix sorts first.
  CM_TEXT(canonical(R"({"ab":["*"],"a":["*"]})"), R"({"a":["*"],"ab":["*"]})");
}

TEST_CASE("§1.5 canonical text escapes only what RFC 8259 requires") {
  CM_TEXT(canonical(R"({"a\"b\\c\/d\u0001\u001F\u007f\u00e9\n\t":["*"]})"),
          "{\"a\\\"b\\\\c/d\\u0001\\u001f\x7F\xC3\xA9\\n\\t\":[\"*\"]}");
  CM_TEXT(canonical("{\"\xE2\x80\xA8\":[\"*\"]}"), "{\"\xE2\x80\xA8\":[\"*\"]}");
}

TEST_CASE("§1.5 canonical text round trips: parse(to_json(c)) == c and to_json is idempotent") {
  for (std::string_view doc : {
           R"({})",
           R"({"private":["subscribe","publish","presence"],"*":["subscribe"]})",
           R"({"a\"b\\c\/d\u0001\u001F\u007f\u00e9\n":["*"]})",
           R"({"[queue]*":["subscribe"],"[meta]log":["*"],"[*]chan":["history"],"[filter=x?y=1]c":["publish"]})",
           R"({"\uD83D\uDE00":["*"],"\uFFFD":["*"],"z":["stats","push-admin"]})",
           R"({"a::b":["*"],"foo*":["presence"]})",
       }) {
    CAPTURE(doc);
    CHECK(round_trips(doc));
    const auto c = cap_of(doc);
    const std::string once = c.to_json();
    const auto again = cap_of(once);
    CHECK(again == c);
    CHECK(again.to_json() == once);
  }
  CM_BOTH(round_trips(R"({"private":["subscribe","publish","presence"],"*":["subscribe"]})"));
  CM_BOTH(round_trips(R"({"a\"b\\c\/d\u0001\u001F\u007f\u00e9\n":["*"]})"));
}

TEST_CASE("§1.5 equal capabilities give identical bytes; equality is by canonical text") {
  CM_BOTH(equal(R"({"a":["publish","subscribe"],"b":["*"]})", R"( {"b":["*"], "a":["subscribe","publish"]} )"));
  CM_BOTH(equal(R"({"caf\u00e9":["*"]})", "{\"caf\xC3\xA9\":[\"*\"]}"));
  CM_BOTH(!equal(R"({"a":["publish"]})", R"({"a":["subscribe"]})"));
  CM_BOTH(!equal(R"({"a":["publish"]})", R"({"b":["publish"]})"));
  CM_BOTH(!equal(R"({"a":["publish"]})", R"({"a":["publish"],"b":["publish"]})"));
  CHECK(cap_of(R"({"b":["*"],"a":["subscribe","publish"]})").to_json() ==
        cap_of(R"({"a":["publish","subscribe"],"b":["*"]})").to_json());
}

// ---------------------------------------------------------------------------------------------
// §3 checks

TEST_CASE("§11 rights are the union over all matching patterns; no precedence, no deny") {
  constexpr std::string_view c = R"({"*":["subscribe"],"private":["publish"]})";
  CM_BOTH(check(c, "private", operation::subscribe) == verdict::allowed);
  CM_BOTH(check(c, "private", operation::publish) == verdict::allowed);
  CM_BOTH(check(c, "public", operation::subscribe) == verdict::allowed);
  CM_BOTH(check(c, "public", operation::publish) == verdict::denied);
  // A more specific pattern with fewer operations takes nothing away.
  constexpr std::string_view d = R"({"chat:*":["*"],"chat:secret":["subscribe"]})";
  CM_BOTH(check(d, "chat:secret", operation::publish) == verdict::allowed);
  CM_BOTH(check(d, "chat:secret", operation::presence) == verdict::allowed);
  const auto cap = cap_of(R"({"chat:*":["publish"],"*:b":["history"],"chat:b":["subscribe"]})");
  CHECK(cap.ops_for("chat:b") ==
        op_set(operation::publish).insert(operation::history).insert(operation::subscribe));
  CHECK(cap.ops_for("chat:c") == op_set(operation::publish));
  CHECK(cap.ops_for("x:b") == op_set(operation::history));
  CHECK(cap.ops_for("x:c").empty());
  CHECK(cap_of(R"({"a":["publish"],"*":["*"]})").ops_for("a") == op_set::all());
}

TEST_CASE("§11 checks apply §8-§10 matching through the capability") {
  constexpr std::string_view c = R"({"namespace:*":["subscribe"],"foo:*:baz":["publish"],"foo*":["history"]})";
  CM_BOTH(check(c, "namespace:channel", operation::subscribe) == verdict::allowed);
  CM_BOTH(check(c, "namespace:channel:other", operation::subscribe) == verdict::allowed);
  CM_BOTH(check(c, "namespace", operation::subscribe) == verdict::denied);
  CM_BOTH(check(c, "foo:bar:baz", operation::publish) == verdict::allowed);
  CM_BOTH(check(c, "foo:bar:bam:baz", operation::publish) == verdict::denied);
  CM_BOTH(check(c, "foo*", operation::history) == verdict::allowed);
  CM_BOTH(check(c, "foobar", operation::history) == verdict::denied);
  CM_BOTH(check(c, "Namespace:channel", operation::subscribe) == verdict::denied);
  constexpr std::string_view q = R"({"*":["*"],"[queue]q1":["subscribe"],"[*]shared":["presence"]})";
  CM_BOTH(check(q, "[queue]q1", operation::subscribe) == verdict::allowed);
  CM_BOTH(check(q, "[queue]q1", operation::publish) == verdict::denied);
  CM_BOTH(check(q, "[meta]log", operation::subscribe) == verdict::denied);
  CM_BOTH(check(q, "[meta]shared", operation::presence) == verdict::allowed);
  CM_BOTH(check(q, "[?rewind=1]anything", operation::publish) == verdict::allowed);
  CM_BOTH(check(q, "[filter=e]x", operation::publish) == verdict::denied);
  CM_BOTH(check(R"({"[*]*":["*"]})", "[filter=e]x", operation::publish) == verdict::allowed);
  CM_BOTH(check(R"({"[filter]chan":["subscribe"]})", "[filter=name == 'x'?rewind=1]chan", operation::subscribe) ==
          verdict::allowed);
}

TEST_CASE("design 2: an invalid name is granted nothing, even by [*]*") {
  constexpr std::string_view all = R"({"[*]*":["*"],"*":["*"]})";
  CM_BOTH(check(all, "a::b", operation::subscribe) == verdict::denied);
  CM_BOTH(check(all, ":a", operation::subscribe) == verdict::denied);
  CM_BOTH(check(all, "", operation::subscribe) == verdict::denied);
  CM_BOTH(check(all, "[*]x", operation::subscribe) == verdict::denied);
  CM_BOTH(check(all, "[]x", operation::subscribe) == verdict::denied);
  CM_BOTH(check(all, "[meta]", operation::subscribe) == verdict::denied);
  CHECK(cap_of(all).ops_for("a::b").empty());
  CM_BOTH(check(all, "a:b", operation::subscribe) == verdict::allowed);
}

TEST_CASE("§12 stats and push-admin are never allowed on a resource; only app-wide on * or [*]*") {
  CM_BOTH(check(R"({"*":["*"]})", "chan", operation::stats) == verdict::denied);
  CM_BOTH(check(R"({"[*]*":["*"]})", "chan", operation::push_admin) == verdict::denied);
  CM_BOTH(check(R"({"chan":["stats"]})", "chan", operation::stats) == verdict::denied);
  CM_BOTH(app_wide(R"({"*":["stats"]})", operation::stats));
  CM_BOTH(app_wide(R"({"[*]*":["stats"]})", operation::stats));
  CM_BOTH(app_wide(R"({"*":["*"]})", operation::stats));
  CM_BOTH(app_wide(R"({"*":["*"]})", operation::push_admin));
  CM_BOTH(app_wide(R"({"[*]*":["push-admin"]})", operation::push_admin));
  CM_BOTH(!app_wide(R"({"[*]*":["push-admin"]})", operation::stats));
  // Params ignored: [?x=1]* is the pattern *.
  CM_BOTH(app_wide(R"({"[?x=1]*":["stats"]})", operation::stats));
  // Anything narrower than every channel does not count.
  CM_BOTH(!app_wide(R"({"chat:*":["stats"]})", operation::stats));
  CM_BOTH(!app_wide(R"({"*:*":["stats"]})", operation::stats));
  CM_BOTH(!app_wide(R"({"[queue]*":["*"]})", operation::stats));
  CM_BOTH(!app_wide(R"({"[*]chat":["*"]})", operation::stats));
  CM_BOTH(!app_wide(R"({"stats":["stats"]})", operation::stats));
  CM_BOTH(!app_wide(R"({"*":["subscribe"]})", operation::stats));
}

TEST_CASE("§12 channel-metadata on * or [*]* also allows enumerating channels") {
  CM_BOTH(enumerates(R"({"*":["channel-metadata"]})"));
  CM_BOTH(enumerates(R"({"[*]*":["channel-metadata"]})"));
  CM_BOTH(enumerates(R"({"*":["*"]})"));
  CM_BOTH(!enumerates(R"({"chan":["channel-metadata"]})"));
  CM_BOTH(!enumerates(R"({"*":["subscribe"]})"));
  CM_BOTH(!enumerates(R"({"[meta]*":["channel-metadata"]})"));
  // channel-metadata is still an ordinary per-channel operation.
  CM_BOTH(check(R"({"chan":["channel-metadata"]})", "chan", operation::channel_metadata) == verdict::allowed);
}

TEST_CASE("pattern_at exposes the parsed pattern of each resource") {
  const auto c = cap_of(R"({"[queue=x]a:*":["*"],"[*]b":["*"],"c":["*"]})");
  REQUIRE(c.size() == 3);
  // Canonical order: "[*]b" < "[queue=x]a:*" < "c".
  CHECK(c.pattern_at(0).kind == qualifier_kind::any);
  CHECK(c.pattern_at(0).body == "b");
  CHECK(c.pattern_at(1).kind == qualifier_kind::named);
  CHECK(c.pattern_at(1).qualifier == "queue");
  CHECK(c.pattern_at(1).body == "a:*");
  CHECK(c.pattern_at(1).trailing_wildcard());
  CHECK(c.pattern_at(2).kind == qualifier_kind::none);
  CHECK(c.pattern_at(2).body == "c");
  // A copy owns its text: its views do not point into the original.
  capability copy = c;
  CHECK(copy == c);
  CHECK(copy.resource(1).data() != c.resource(1).data());
}

TEST_CASE("canonical order is byte order, decided by 8-byte prefixes and then by the rest") {
  // Entries are sorted by their first 8 bytes as one number before the full comparison:
  // prefixes of each other ("a", "a:b"), differences past byte 8, bytes above 0x7F, and
  // resources shorter than 8 bytes must still come out in plain byte order.
  capmatch_test::splitmix64 r{88};
  static const std::string_view pieces[] = {"a", "b", ":", "*", "\xC3\xA9", "tenant12", "z", "A", "~"};
  for (int round = 0; round < 300; ++round) {
    std::set<std::string> want;
    std::string json = "{";
    for (std::size_t n = 1 + r.below(40), k = 0; k < n; ++k) {
      std::string res;
      for (std::size_t len = 1 + r.below(5), i = 0; i < len; ++i) res.append(r.pick(pieces));
      if (!want.insert(res).second) continue;
      json.append(json.size() > 1 ? ",\"" : "\"").append(res).append("\":[\"publish\"]");
    }
    json += "}";
    const auto cap = capability::parse(json);
    REQUIRE_MESSAGE(cap.has_value(), json);
    std::vector<std::string> got;
    for (std::size_t i = 0; i < cap->size(); ++i) got.emplace_back(cap->resource(i));
    CHECK(got == std::vector<std::string>(want.begin(), want.end()));  // std::set: byte order
  }
}
