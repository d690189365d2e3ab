// Tests for explain.hpp: the decision record of one check (docs/semantics.md §11-§13, design 8):
// which patterns matched and granted, or why the check was denied; as a log line and as JSON.
#include <capmatch/explain.hpp>
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "support.hpp"

using namespace capmatch;
using capmatch_test::cap_of;
using capmatch_test::text;

namespace {

constexpr std::string_view reason_name(denial d) {
  switch (d) {
    case denial::none: return "none";
    case denial::no_match: return "no_match";
    case denial::op_missing: return "op_missing";
    case denial::qualified_name: return "qualified_name";
    case denial::app_wide: return "app_wide";
    case denial::invalid_name: return "invalid_name";
  }
  return "?";
}

/// "allowed|denied <reason> matched=<res>:<op,op>;... near=<res>;..." — constexpr-comparable.
constexpr text summary(std::string_view cap_json, std::string_view name, operation op) {
  const auto c = capability::parse(cap_json);
  if (!c) return capmatch_test::describe(c.error());
  const decision d = explain(*c, name, op);
  text t;
  t.put(d.allowed ? "allowed " : "denied ").put(reason_name(d.reason)).put(" matched=");
  for (const auto& m : d.matched) {
    t.put(m.resource).put(":");
    bool first = true;
    m.ops.for_each_name([&](std::string_view n) {
      if (!first) t.put(",");
      first = false;
      t.put(n);
    });
    t.put(";");
  }
  if (!d.near.empty()) {
    t.put(" near=");
    for (auto n : d.near) t.put(n).put(";");
  }
  return t;
}

struct lines {
  std::string log, json;
};

lines render(std::string_view cap_json, std::string_view name, operation op) {
  const auto c = cap_of(cap_json);
  const decision d = explain(c, name, op);
  return {d.to_string(), d.to_json()};
}

}  // namespace

TEST_CASE("§11 allowed: every matching pattern is listed, the first granting one (canonical order) is named") {
  constexpr std::string_view cap = R"({"chat:*":["publish"],"*":["subscribe"]})";
  CM_TEXT(summary(cap, "chat:a", operation::publish), "allowed none matched=*:subscribe;chat:*:publish;");
  const auto r = render(cap, "chat:a", operation::publish);
  CHECK(r.log == "allowed: chat:* grants publish");
  CHECK(r.json ==
        R"({"allowed":true,"matched":[{"resource":"*","ops":["subscribe"]},{"resource":"chat:*","ops":["publish"]}],)"
        R"("reason":"chat:* grants publish"})");
}

TEST_CASE("design 8: with several granting patterns, the first in canonical order is reported") {
  constexpr std::string_view cap = R"({"chat:*":["*"],"*":["publish"]})";
  CM_TEXT(summary(cap, "chat:a", operation::publish), "allowed none matched=*:publish;chat:*:*;");
  CHECK(render(cap, "chat:a", operation::publish).log == "allowed: * grants publish");
  CHECK(render(cap, "chat:a", operation::subscribe).log == "allowed: chat:* grants subscribe");
}

TEST_CASE("§13 denied: no pattern matched") {
  constexpr std::string_view cap = R"({"chat:*":["*"],"[meta]*":["*"]})";
  CM_TEXT(summary(cap, "news", operation::subscribe), "denied no_match matched=");
  const auto r = render(cap, "news", operation::subscribe);
  CHECK(r.log == "denied: no resource in the capability matches 'news'");
  CHECK(r.json == R"({"allowed":false,"matched":[],"reason":"no resource in the capability matches 'news'"})");
  // A qualified name with only differently qualified patterns: plain no_match.
  CHECK(render(cap, "[queue]q", operation::subscribe).log ==
        "denied: no resource in the capability matches '[queue]q'");
  CM_TEXT(summary("{}", "chan", operation::subscribe), "denied no_match matched=");
}

TEST_CASE("§13 denied: patterns matched but none lists the operation (they are named)") {
  constexpr std::string_view cap = R"({"chat:*":["subscribe"],"*":["presence","history"],"other":["*"]})";
  CM_TEXT(summary(cap, "chat:a", operation::publish), "denied op_missing matched=*:history,presence;chat:*:subscribe;");
  const auto r = render(cap, "chat:a", operation::publish);
  CHECK(r.log ==
        "denied: no matching resource grants publish on 'chat:a' ('*' grants history, presence; 'chat:*' grants "
        "subscribe)");
  CHECK(r.json ==
        R"({"allowed":false,"matched":[{"resource":"*","ops":["history","presence"]},)"
        R"({"resource":"chat:*","ops":["subscribe"]}],"reason":"no matching resource grants publish on 'chat:a' )"
        R"x(('*' grants history, presence; 'chat:*' grants subscribe)"})x");
}

TEST_CASE("§13 denied: the name is qualified and the matching-looking pattern is not") {
  CM_TEXT(summary(R"({"x":["*"]})", "[queue]x", operation::subscribe), "denied qualified_name matched= near=x;");
  CHECK(render(R"({"x":["*"]})", "[queue]x", operation::subscribe).log ==
        "denied: '[queue]x' is a [queue] name and unqualified resources such as 'x' never match qualified names; "
        "grant '[queue]x', '[queue]*' or '[*]*'");
  // Params in the name are dropped in the advice.
  CHECK(render(R"({"chat:*":["subscribe"]})", "[filter=a?b=c]chat:1", operation::subscribe).log ==
        "denied: '[filter=a?b=c]chat:1' is a [filter] name and unqualified resources such as 'chat:*' never match "
        "qualified names; grant '[filter]chat:1', '[filter]*' or '[*]*'");
  // §9: even * does not match qualified names.
  CM_TEXT(summary(R"({"*":["*"],"log":["subscribe"]})", "[meta]log", operation::subscribe),
          "denied qualified_name matched= near=*;log;");
  CHECK(render(R"({"*":["*"]})", "[meta]log", operation::subscribe).log ==
        "denied: '[meta]log' is a [meta] name and unqualified resources such as '*' never match qualified names; "
        "grant '[meta]log', '[meta]*' or '[*]*'");
}

TEST_CASE("§13 op missing on a qualified name also points out unqualified look-alikes") {
  constexpr std::string_view cap = R"({"[queue]*":["subscribe"],"q":["*"]})";
  CM_TEXT(summary(cap, "[queue]q", operation::publish), "denied op_missing matched=[queue]*:subscribe; near=q;");
  CHECK(render(cap, "[queue]q", operation::publish).log ==
        "denied: no matching resource grants publish on '[queue]q' ('[queue]*' grants subscribe); unqualified "
        "resources such as 'q' never match qualified names");
}

TEST_CASE("§12 denied: app-wide operations are never allowed on a resource, even under [*]*") {
  constexpr std::string_view cap = R"({"[*]*":["*"]})";
  CM_TEXT(summary(cap, "chan", operation::stats), "denied app_wide matched=[*]*:*;");
  CM_TEXT(summary(cap, "chan", operation::push_admin), "denied app_wide matched=[*]*:*;");
  CHECK(render(cap, "chan", operation::stats).log ==
        "denied: stats is an app-wide operation: it is granted only on '*' or '[*]*' and is checked without a "
        "resource");
  CHECK(render(R"({"x":["subscribe"]})", "y", operation::push_admin).log ==
        "denied: push-admin is an app-wide operation: it is granted only on '*' or '[*]*' and is checked without "
        "a resource");
}

TEST_CASE("design 2: denied: the name is not a valid resource name") {
  CM_TEXT(summary(R"({"[*]*":["*"]})", "a::b", operation::subscribe), "denied invalid_name matched=");
  CHECK(render(R"({"[*]*":["*"]})", "a::b", operation::subscribe).log ==
        "denied: resource name 'a::b' has an empty segment at byte 2");
  CHECK(render(R"({"[*]*":["*"]})", "[*]x", operation::subscribe).log ==
        "denied: resource name '[*]x' at byte 0 cannot use the [*] qualifier; [*] is for capability patterns");
  CHECK(render(R"({"[*]*":["*"]})", "", operation::subscribe).log == "denied: empty resource name at byte 0");
}

TEST_CASE("explain output stays one line and is valid JSON for awkward names and resources") {
  const auto r = render(R"({"a\"b":["publish"]})", "a\"b", operation::publish);
  CHECK(r.log == "allowed: a\"b grants publish");
  CHECK(r.json == R"({"allowed":true,"matched":[{"resource":"a\"b","ops":["publish"]}],"reason":"a\"b grants publish"})");
  const auto n = render(R"({"x":["*"]})", "a\nb", operation::publish);
  CHECK(n.log == "denied: no resource in the capability matches 'a\\u000Ab'");
  CHECK(n.log.find('\n') == std::string::npos);
  CHECK(n.json == R"({"allowed":false,"matched":[],"reason":"no resource in the capability matches 'a\\u000Ab'"})");
}

TEST_CASE("explain agrees with allows (a grid; the property test covers much more)") {
  constexpr std::string_view cap =
      R"({"chat:*":["publish"],"*":["subscribe"],"[queue]*":["*"],"[*]x":["history"],"y":["stats"]})";
  const auto c = cap_of(cap);
  std::size_t disagreements = 0;
  for (std::string_view name : {"chat:a", "x", "[queue]x", "[meta]x", "[meta]y", "y", "a::b", "[*]x", "chat"})
    for (std::size_t o = 0; o < operation_count; ++o) {
      const auto op = static_cast<operation>(o);
      const auto d = explain(c, name, op);
      disagreements += d.allowed != c.allows(name, op);
      disagreements += d.allowed != (d.reason == denial::none);
    }
  CHECK(disagreements == 0);
}
