// Tests for capability_builder.hpp: building without JSON (same validation, same canonical text
// as capability::parse, docs/semantics.md Decisions B1-B2) and safe templating (Decision B3).
#include <capmatch/capability_builder.hpp>
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "algebra_support.hpp"
#include "random.hpp"
#include "support.hpp"

using namespace capmatch;
using capmatch_test::describe;

namespace {

using capmatch_test::splitmix64;
using capmatch_test::text;

/// The builder's result as text: canonical JSON or the error described.
constexpr text built(const capability_builder& b) {
  const auto r = b.build();
  return r ? describe(*r) : describe(r.error());
}

/// The template formatted with one binding, or the error described.
constexpr text formatted(std::string_view tmpl, std::string_view name, std::string_view value) {
  const auto t = resource_template::parse(tmpl);
  if (!t) return describe(t.error());
  std::vector<char> out;
  const binding values[] = {{name, value}};
  const auto r = t->format_to(out, values);
  if (!r) return describe(r.error());
  text s;
  s.put(std::string_view(out.data(), out.size()));
  return s;
}

constexpr text template_error(std::string_view tmpl) {
  const auto t = resource_template::parse(tmpl);
  return t ? text{}.put("(valid)") : describe(t.error());
}

}  // namespace

// --- building -------------------------------------------------------------------------------

TEST_CASE("B1: a built capability has the canonical text parse gives (§1.5 example)") {
  constexpr auto doc = R"({"private":["subscribe","publish","presence"],"*":["subscribe"]})";
  constexpr auto expected = R"({"*":["subscribe"],"private":["presence","publish","subscribe"]})";
  constexpr auto b = [] {
    capability_builder c;
    c.add("private", {"subscribe", "publish", "presence"}).add("*", {"subscribe"});
    return built(c);
  };
  static_assert(b().view() == expected);
  static_assert(capmatch_test::canonical(doc).view() == expected);
  CHECK(b().view() == expected);
}

TEST_CASE("B1: op_set and operation overloads; [\"*\"] kept as [\"*\"]") {
  constexpr auto b = [] {
    capability_builder c;
    c.add("[meta]*", operation::subscribe).add("chat:*", op_set::all());
    c.add("x", op_set(operation::publish) | op_set(operation::history));
    return built(c);
  };
  constexpr std::string_view expected = R"({"[meta]*":["subscribe"],"chat:*":["*"],"x":["history","publish"]})";
  static_assert(b().view() == expected);
  CHECK(b().view() == expected);
}

TEST_CASE("B1: an empty builder is {}") {
  static_assert(built(capability_builder{}).view() == "{}");
  CHECK(capability_builder{}.build().value().to_json() == "{}");
}

TEST_CASE("B2: errors are parse's for the equivalent document, offsets into it") {
  // Each expected text is parse's error for the document written out by hand.
  struct row {
    std::string_view resource;
    std::vector<std::string_view> ops;
    std::string_view document;  // first entry {"a":["publish"]}, then the one under test
    std::string_view expected;
  };
  const row rows[] = {
      {"chat", {"Publish"}, R"({"a":["publish"],"chat":["Publish"]})",
       "unknown_operation 40000/400 at 25: unknown operation 'Publish' at byte 25; operations are lower-case, did you mean 'publish'?"},
      {"chat", {"publish", "*"}, R"({"a":["publish"],"chat":["publish","*"]})",
       "wildcard_not_alone 40000/400 at 35: '*' must be the only operation for resource 'chat', found it after 'publish' at byte 35"},
      {"chat", {"*", "*"}, R"({"a":["publish"],"chat":["*","*"]})",
       "wildcard_not_alone 40000/400 at 29: '*' must be the only operation for resource 'chat', found it twice at byte 29"},
      {"chat", {}, R"({"a":["publish"],"chat":[]})",
       "empty_operations 40000/400 at 24: empty operation list for resource 'chat' at byte 24; list at least one operation, or \"*\" for all"},
      {"chat", {"publish", "publish"}, R"({"a":["publish"],"chat":["publish","publish"]})",
       "duplicate_operation 40000/400 at 35: operation 'publish' listed twice for resource 'chat' at byte 35"},
      {"", {"publish"}, R"({"a":["publish"],"":["publish"]})", "empty_resource 40000/400 at 17: empty resource at byte 17"},
      {"[]x", {"publish"}, R"({"a":["publish"],"[]x":["publish"]})",
       "invalid_resource 40000/400 at 17: resource '[]x' at byte 17 has an empty qualifier; write [queue], [meta], [*] or no brackets"},
      {"a", {"subscribe"}, R"({"a":["publish"],"a":["subscribe"]})",
       "duplicate_resource 40000/400 at 17: resource 'a' listed twice at byte 17 (first at byte 1)"},
  };
  for (const row& r : rows) {
    CAPTURE(r.document);
    capability_builder b;
    b.add("a", {"publish"}).add(r.resource, std::span<const std::string_view>(r.ops.data(), r.ops.size()));
    CHECK(built(b).view() == r.expected);
    CHECK(capmatch_test::canonical(r.document).view() == r.expected);
  }
}

TEST_CASE("B2: invalid UTF-8 and U+0000 in a resource or operation, as in a document") {
  capability_builder b;
  b.add(std::string_view("ch\xFF", 3), {"publish"});
  const std::string doc = "{\"ch\xFF\":[\"publish\"]}";
  CHECK(built(b).view() == capmatch_test::canonical(doc).view());
  CHECK(built(b).view().substr(0, 24) == "invalid_utf8 40000/400 a");
  capability_builder z;
  z.add(std::string_view("a\0b", 3), {"publish"});
  CHECK(built(z).view() == capmatch_test::canonical(R"({"a\u0000b":["publish"]})").view());
  CHECK(built(z).view() == "invalid_resource 40000/400 at 1: resource 'a\\u0000b' at byte 1 contains U+0000");
  capability_builder o;
  o.add("a", {std::string_view("pub\xC0", 4)});
  CHECK(built(o).view() == capmatch_test::canonical("{\"a\":[\"pub\xC0\"]}").view());
}

TEST_CASE("B2: an empty op_set is an empty list, as in a document") {
  capability_builder b;
  b.add("chat", op_set{});
  CHECK(built(b).view() ==
        "empty_operations 40000/400 at 8: empty operation list for resource 'chat' at byte 8; list at least one operation, or \"*\" for all");
  CHECK(built(b).view() == capmatch_test::canonical(R"({"chat":[]})").view());
}

TEST_CASE("B2: an invalid resource with an op_set, and a resource over the limit, as in a document") {
  capability_builder b;
  b.add("ok", op_set::all()).add("[meta]", operation::publish);
  CHECK(built(b).view() == capmatch_test::canonical(R"({"ok":["*"],"[meta]":["publish"]})").view());
  CHECK(built(b).view().substr(0, 35) == "empty_resource 40000/400 at 12: res");
  const std::string long_resource(max_resource_bytes + 1, 'x');
  capability_builder l;
  l.add(long_resource, {"publish"});
  CHECK(built(l).view() == capmatch_test::canonical("{\"" + long_resource + "\":[\"publish\"]}").view());
  CHECK(built(l).view() ==
        "limit_exceeded 40000/400 at 1: resource of 2049 bytes at byte 1 exceeds the limit of 2048 bytes (capmatch::max_resource_bytes)");
}

TEST_CASE("B2: the first error is kept; later adds are ignored") {
  capability_builder b;
  b.add("a", {"nope"}).add("", {"publish"});
  CHECK_FALSE(b.ok());
  CHECK(built(b).view() == capmatch_test::canonical(R"({"a":["nope"]})").view());
}

TEST_CASE("B2: max_resources, as in a document") {
  capability_builder b;
  std::string doc = "{";
  for (std::size_t i = 0; i <= max_resources; ++i) {
    const std::string r = "r" + std::to_string(i);
    b.add(r, operation::subscribe);
    doc += (i ? ",\"" : "\"") + r + "\":[\"subscribe\"]";
  }
  doc += "}";
  const auto e = built(b);
  CHECK(e.view() == capmatch_test::canonical(doc).view());
  CHECK(e.view().substr(0, 50) == "limit_exceeded 40000/400 at 218891: capability lis");
}

// --- property: built == parsed ----------------------------------------------------------------

namespace {

std::string json_string(std::string_view s) {
  std::string o = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') o += '\\', o += ch;
    else if (c == '\n') o += "\\n";
    else if (c < 0x20) {
      constexpr char hex[] = "0123456789abcdef";
      o += "\\u00", o += hex[c >> 4], o += hex[c & 15];
    } else o += ch;
  }
  return o + '"';
}

std::string random_resource(splitmix64& rng) {
  static constexpr const char* odd[] = {"", "[]x", "[x", "[meta]", "a\nb", "q\"uote", "[*]*", "*", "a::b", "\xC3\xA9t\xC3\xA9"};
  if (rng.chance(8)) return rng.pick(odd);
  if (rng.chance(2)) return std::string("a\0b", 3);
  if (rng.chance(2)) return "bad\xFF";
  static constexpr const char* segments[] = {"a", "b", "*"};
  static constexpr const char* qualifiers[] = {"", "", "", "[queue]", "[meta]", "[*]", "[?p=1]"};
  return capmatch_test::random_pattern(rng, qualifiers, segments);
}

std::vector<std::string> random_op_names(splitmix64& rng) {
  static constexpr const char* pool[] = {"subscribe", "publish", "presence", "stats", "*"};
  static constexpr const char* bad[] = {"Publish", "", "publish_", "\xFF"};
  std::vector<std::string> out;
  const std::size_t n = rng.chance(3) ? 0 : 1 + rng.below(3);
  for (std::size_t i = 0; i < n; ++i) out.push_back(rng.chance(4) ? rng.pick(bad) : rng.pick(pool));
  return out;
}

}  // namespace

TEST_CASE("B1/B2 property: random entries built and parsed give the same text, error and checks") {
  splitmix64 rng{0xB0B'1D3Eull};
  const auto names = capmatch_test::name_universe({"", "[queue]", "[meta]", "[x]"}, {"a", "b", "c"}, 3);
  std::size_t valid = 0, invalid = 0;
  for (int round = 0; round < 4000; ++round) {
    capability_builder b;
    std::string doc = "{";
    const std::size_t entries = rng.below(5);
    for (std::size_t k = 0; k < entries; ++k) {
      const std::string res = random_resource(rng);
      const std::vector<std::string> ops = random_op_names(rng);
      std::vector<std::string_view> views(ops.begin(), ops.end());
      b.add(res, std::span<const std::string_view>(views.data(), views.size()));
      doc += (k ? "," : "") + json_string(res) + ":[";
      for (std::size_t i = 0; i < ops.size(); ++i) doc += (i ? "," : "") + json_string(ops[i]);
      doc += "]";
      if (!b.ok()) break;  // the builder's document ends with the failing entry
    }
    doc += "}";
    CAPTURE(doc);
    const auto from_builder = b.build();
    const auto from_parse = capability::parse(doc);
    REQUIRE(from_builder.has_value() == from_parse.has_value());
    if (!from_parse) {
      ++invalid;
      CHECK(describe(from_builder.error()).view() == describe(from_parse.error()).view());
      continue;
    }
    ++valid;
    CHECK(from_builder->to_json() == from_parse->to_json());
    for (const auto& n : names)
      for (std::size_t o = 0; o < operation_count; ++o)
        CHECK(from_builder->allows(n, static_cast<operation>(o)) == from_parse->allows(n, static_cast<operation>(o)));
  }
  MESSAGE("valid: " << valid << ", invalid: " << invalid);
  CHECK(valid > 500);
  CHECK(invalid > 500);
}

// --- templates ------------------------------------------------------------------------------

TEST_CASE("B3: a template puts a value into one whole segment") {
  static_assert(formatted("chat:{room}:*", "room", "lobby").view() == "chat:lobby:*");
  CHECK(formatted("chat:{room}:*", "room", "lobby").view() == "chat:lobby:*");
  CHECK(formatted("{room}", "room", "r1").view() == "r1");
  CHECK(formatted("[queue]{q}", "q", "jobs").view() == "[queue]jobs");
  CHECK(formatted("[*]x:{id}", "id", "7").view() == "[*]x:7");
  const auto t = resource_template::parse("user:{u}:{room}:{u}").value();
  CHECK(t.placeholders() == 3);
  CHECK(t.format({{"room", "r"}, {"u", "bob"}}).value() == "user:bob:r:bob");
}

TEST_CASE("B3: valid Unicode values are kept byte for byte") {
  for (const std::string_view v : {"z\xC3\xBCrich", "\xE6\x97\xA5\xE6\x9C\xAC", "\xF0\x9F\x98\x80", "a\xC2\xA0" "b",
                                   "\xEF\xBF\xBD", "\xF4\x8F\xBF\xBF", "with space", "dash-dot.under_"}) {
    CAPTURE(v);
    CHECK(formatted("chat:{room}", "room", v).view() == "chat:" + std::string(v));
  }
}

TEST_CASE("B3: every forbidden ASCII character in a value is rejected, never widened") {
  for (const char c : std::string_view(":*[]?={}")) {
    const std::string v = std::string("ab") + c + "cd";
    CAPTURE(v);
    CHECK(formatted("chat:{room}:*", "room", v).view() ==
          "invalid_resource 40000/400 at 2: value for {room} contains '" + std::string(1, c) +
              "' at byte 2; a value fills one segment and may not hold : * [ ] ? = { } or control characters");
  }
  // Alone, as a wildcard or a qualifier would be.
  CHECK(formatted("chat:{room}", "room", "*").view().substr(0, 60) ==
        "invalid_resource 40000/400 at 0: value for {room} contains '");
  CHECK(formatted("{room}", "room", "[meta]x").view().substr(0, 30) == "invalid_resource 40000/400 at ");
}

TEST_CASE("B3: every control character (C0, DEL, C1) in a value is rejected") {
  constexpr char hex[] = "0123456789ABCDEF";
  std::vector<std::string> values;
  for (int c = 0; c < 0x20; ++c) values.push_back(std::string("x") + static_cast<char>(c));
  values.push_back("x\x7F");
  for (int c = 0x80; c < 0xA0; ++c) values.push_back(std::string("x\xC2") + static_cast<char>(c));
  for (const auto& v : values) {
    const unsigned cp = v.size() == 2 ? static_cast<unsigned char>(v[1]) : static_cast<unsigned char>(v[2]);
    const std::string expected = std::string("invalid_resource 40000/400 at 1: value for {room} contains the control character U+00") +
                                 hex[cp >> 4] + hex[cp & 15] + " at byte 1";
    CHECK(formatted("chat:{room}", "room", v).view() == expected);
  }
}

TEST_CASE("B3: invalid UTF-8 and empty values are rejected") {
  for (const std::string_view v : {"\x80", "\xC0\x80", "\xC3", "\xED\xA0\x80", "\xF5\x80\x80\x80", "\xE2\x82", "\xFF"}) {
    CAPTURE(v);
    CHECK(formatted("c:{v}", "v", std::string("ok") + std::string(v)).view() ==
          "invalid_resource 40000/400 at 2: value for {v} is not valid UTF-8 at byte 2");
  }
  CHECK(formatted("c:{v}", "v", "").view() ==
        "invalid_resource 40000/400 at 0: value for {v} is empty; a value fills exactly one segment");
}

TEST_CASE("B3 property: a formatted value is always exactly one literal segment") {
  splitmix64 rng{0x7E3Bull};
  const auto t = resource_template::parse("chat:{room}:end").value();
  std::size_t accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string v;
    const std::size_t n = rng.below(5);
    for (std::size_t k = 0; k < n; ++k) v += static_cast<char>(rng.chance(50) ? 0x20 + rng.below(0x60) : rng.below(256));
    const auto r = t.format({{"room", v}});
    if (!r) continue;
    ++accepted;
    // The pattern has three segments, the middle one is the value, and it matches that name only.
    CHECK(*r == "chat:" + v + ":end");
    const auto p = parse_pattern(*r).value();
    const auto name = parse_name(*r);
    REQUIRE(name.has_value());
    CHECK(matches(p, *name));
    CHECK(!matches(p, parse_name("chat:other:end").value()));
    CHECK(p.kind == qualifier_kind::none);
  }
  CHECK(accepted > 1000);
}

TEST_CASE("B3: template errors") {
  CHECK(template_error("chat:room-{id}").view() ==
        "invalid_resource 40000/400 at 10: template 'chat:room-{id}' has a placeholder that is not a whole segment, as in 'chat:{room}:*' at byte 10");
  CHECK(template_error("chat:{id}x").view() ==
        "invalid_resource 40000/400 at 5: template 'chat:{id}x' has a placeholder that is not a whole segment, as in 'chat:{room}:*' at byte 5");
  CHECK(template_error("[{q}]x").view() ==
        "invalid_resource 40000/400 at 1: template '[{q}]x' has a placeholder inside its qualifier; placeholders fill body segments only at byte 1");
  CHECK(template_error("chat:{room").view() ==
        "invalid_resource 40000/400 at 5: template 'chat:{room' has '{' without a closing '}' at byte 5");
  CHECK(template_error("chat:room}").view() ==
        "invalid_resource 40000/400 at 9: template 'chat:room}' has '}' without an opening '{' at byte 9");
  CHECK(template_error("chat:{}").view() ==
        "invalid_resource 40000/400 at 5: template 'chat:{}' has a placeholder name that is not 1-64 letters, digits or '_' at byte 5");
  CHECK(template_error("chat:{a-b}").view() ==
        "invalid_resource 40000/400 at 5: template 'chat:{a-b}' has a placeholder name that is not 1-64 letters, digits or '_' at byte 5");
  CHECK(template_error("").view() == "empty_resource 40000/400 at 0: empty resource at byte 0");
  CHECK(template_error("chat:{a{b}}").view().substr(0, 34) == "invalid_resource 40000/400 at 5: t");
  static_assert(template_error("x:{ok_1}:*").view() == "(valid)");
}

TEST_CASE("B3: binding errors") {
  const auto t = resource_template::parse("chat:{room}:*").value();
  CHECK(describe(t.format({{"rom", "x"}}).error()).view() ==
        "invalid_resource 40000/400 at -: template 'chat:{room}:*' has no placeholder 'rom'");
  CHECK(describe(t.format({}).error()).view() ==
        "invalid_resource 40000/400 at -: placeholder {room} of template 'chat:{room}:*' is not bound");
  CHECK(describe(t.format({{"room", "a"}, {"room", "b"}}).error()).view() ==
        "invalid_resource 40000/400 at -: placeholder {room} is bound twice");
  // The result's limits are those of any pattern.
  const std::string big(max_resource_bytes, 'x');
  CHECK(t.format({{"room", big}}).error().code() == errc::limit_exceeded);
  std::vector<char> out{'k'};
  CHECK_FALSE(t.format_to(out, {{"room", "a:b"}}));
  CHECK(out.size() == 1);  // nothing appended on error
}

TEST_CASE("B3 + builder: templated resources, and a template error becomes the builder's") {
  constexpr auto b = [] {
    const auto t = resource_template::parse("chat:{room}:*").value();
    capability_builder c;
    c.add(t, {{"room", "lobby"}}, {"publish"}).add(t, {{"room", "z\xC3\xBC"}}, operation::subscribe);
    return built(c);
  };
  static_assert(b().view() == "{\"chat:lobby:*\":[\"publish\"],\"chat:z\xC3\xBC:*\":[\"subscribe\"]}");
  CHECK(b().view() == "{\"chat:lobby:*\":[\"publish\"],\"chat:z\xC3\xBC:*\":[\"subscribe\"]}");
  const auto t = resource_template::parse("chat:{room}:*").value();
  capability_builder c;
  c.add(t, {{"room", "*"}}, {"publish"});
  CHECK(built(c).view().substr(0, 50) == "invalid_resource 40000/400 at 0: value for {room} ");
}
