// Hostile input and limits (issue 5): every malformed or oversized input gets a clear error
// with its exact code, offset and message (or a documented acceptance), never a crash, a hang
// or truncation; the documented limits (limits.hpp) are enforced; and the large inputs are big
// enough that a quadratic algorithm would not finish within the test timeout, while the
// linear ones take milliseconds (that is the linearity test: no timing thresholds).
// Regression tests for fuzzing findings are marked "fuzz finding".
#include <capmatch/capmatch.hpp>
#include <capmatch/matcher.hpp>
#include <doctest/doctest.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support.hpp"

// One macro chooses every header's SSE2 path (detail/simd.hpp) and no header removes it: after the
// umbrella header it still holds on x86-64. (Two headers once #undef'd their own copy of the test;
// a header included after such an #undef would have taken its portable path without a word.)
#if defined(__x86_64__) || defined(_M_X64)
static_assert(CAPMATCH_DETAIL_SSE2 == 1);
#endif

using namespace capmatch;
using namespace std::literals;
using capmatch_test::canonical;
using capmatch_test::describe;

namespace {

std::string outcome(std::string_view json) { return canonical(json).str(); }

constexpr capmatch_test::text name_outcome(std::string_view name) {
  const auto r = parse_name(name);
  if (!r) return describe(r.error());
  capmatch_test::text t;
  return t.put("ok"), t;
}

std::string pattern_outcome(std::string_view text, std::uint32_t base = 0) {
  const auto r = parse_pattern(text, base);
  return r ? std::string("ok") : describe(r.error()).str();
}

std::string repeat(std::string_view s, std::size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (std::size_t i = 0; i < n; ++i) out.append(s);
  return out;
}

// "s:s:...:s" with n segments.
std::string segments(std::string_view s, std::size_t n) {
  std::string out(s);
  for (std::size_t i = 1; i < n; ++i) out.append(":").append(s);
  return out;
}

bool one_line_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20) return false;
    const std::size_t len = detail::utf8_length(s, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

constexpr std::string_view utf8_error = "invalid_utf8 40000/400 at 2: invalid UTF-8 at byte 2";

}  // namespace

TEST_CASE("invalid UTF-8 in keys and operations is 40000 at the first bad byte") {
  // overlong forms of '/' in two, three and four bytes
  CM_TEXT(canonical("{\"\xC0\xAF\":[\"subscribe\"]}"), utf8_error);
  CM_TEXT(canonical("{\"\xE0\x80\xAF\":[\"subscribe\"]}"), utf8_error);
  CM_TEXT(canonical("{\"\xF0\x80\x80\xAF\":[\"subscribe\"]}"), utf8_error);
  CM_TEXT(canonical("{\"\xC1\xBF\":[\"subscribe\"]}"), utf8_error);
  // surrogates U+D800 and U+DFFF encoded in UTF-8 (CESU-style)
  CM_TEXT(canonical("{\"a\xED\xA0\x80\":[\"subscribe\"]}"), "invalid_utf8 40000/400 at 3: invalid UTF-8 at byte 3");
  CM_TEXT(canonical("{\"a\xED\xBF\xBF\":[\"subscribe\"]}"), "invalid_utf8 40000/400 at 3: invalid UTF-8 at byte 3");
  // truncated sequences: before the closing quote, and at the end of the input
  CM_TEXT(canonical("{\"\xE2\x82\":[\"subscribe\"]}"), utf8_error);
  CM_TEXT(canonical("{\"\xF0\x9F\x98\":[\"subscribe\"]}"), utf8_error);
  CM_TEXT(canonical("{\"\xE2\x82"), utf8_error);
  // above U+10FFFF, bytes that never occur, a lone continuation byte
  CM_TEXT(canonical("{\"\xF4\x90\x80\x80\":[\"subscribe\"]}"), utf8_error);
  CM_TEXT(canonical("{\"\xF5\x80\x80\x80\":[\"subscribe\"]}"), utf8_error);
  CM_TEXT(canonical("{\"\xFF\":[\"subscribe\"]}"), utf8_error);
  CM_TEXT(canonical("{\"\x80\":[\"subscribe\"]}"), utf8_error);
  // in an operation name
  CM_TEXT(canonical("{\"a\":[\"sub\xC0\xAFscribe\"]}"), "invalid_utf8 40000/400 at 10: invalid UTF-8 at byte 10");
  // the largest code point is fine, raw or escaped
  CM_TEXT(canonical("{\"\xF4\x8F\xBF\xBF\":[\"subscribe\"]}"), "{\"\xF4\x8F\xBF\xBF\":[\"subscribe\"]}");
  CM_TEXT(canonical(R"({"\uDBFF\uDFFF":["subscribe"]})"), "{\"\xF4\x8F\xBF\xBF\":[\"subscribe\"]}");
}

TEST_CASE("lone surrogate escapes are 40000 lone_surrogate") {
  constexpr std::string_view tail = "; a \\uD800-\\uDBFF escape must be followed by a \\uDC00-\\uDFFF escape";
  CHECK(outcome(R"({"\uD800":["subscribe"]})") ==
        "lone_surrogate 40000/400 at 2: lone surrogate '\\uD800' at byte 2"s + std::string(tail));
  CHECK(outcome(R"({"\uDC00":["subscribe"]})") ==
        "lone_surrogate 40000/400 at 2: lone surrogate '\\uDC00' at byte 2"s + std::string(tail));
  CHECK(outcome(R"({"\uD800\u0041":["subscribe"]})") ==
        "lone_surrogate 40000/400 at 2: lone surrogate '\\uD800' at byte 2"s + std::string(tail));
  CHECK(outcome(R"({"a\uD800"})") ==
        "lone_surrogate 40000/400 at 3: lone surrogate '\\uD800' at byte 3"s + std::string(tail));
  CHECK(outcome(R"({"a\uD800x":["subscribe"]})") ==
        "lone_surrogate 40000/400 at 3: lone surrogate '\\uD800' at byte 3"s + std::string(tail));
  CHECK(outcome(R"({"a":["\uD800"]})") ==
        "lone_surrogate 40000/400 at 7: lone surrogate '\\uD800' at byte 7"s + std::string(tail));
  CM_TEXT(canonical(R"({"\uD800\uZZZZ":["subscribe"]})"),
          "invalid_escape 40000/400 at 8: invalid \\u escape at byte 8; expected four hex digits");
}

TEST_CASE("NUL bytes: raw ones are control characters, escaped ones are invalid names and operations") {
  CHECK(outcome("{\"a\0b\":[\"subscribe\"]}"sv) ==
        "control_character 40000/400 at 3: control character U+0000 in a string at byte 3; escape it (\\n, \\t, \\u00XX)");
  CHECK(outcome("{\"a\":[\"sub\0\"]}"sv) ==
        "control_character 40000/400 at 10: control character U+0000 in a string at byte 10; escape it (\\n, \\t, \\u00XX)");
  CM_TEXT(canonical(R"({"a\u0000b":["subscribe"]})"),
          "invalid_resource 40000/400 at 1: resource 'a\\u0000b' at byte 1 contains U+0000");
  CM_TEXT(canonical(R"({"a":["subscribe\u0000"]})"),
          "unknown_operation 40000/400 at 6: unknown operation 'subscribe\\u0000' at byte 6; did you mean 'subscribe'?");
  CHECK(name_outcome("a\0b"sv).str() == "invalid_resource 40000/400 at 0: resource name 'a\\u0000b' at byte 0 contains U+0000");
  const auto cap = capmatch_test::cap_of(R"({"*":["*"]})");
  CHECK(cap.ops_for("a\0b"sv).empty());
  CHECK(matcher(cap).ops_for("a\0b"sv).empty());
}

TEST_CASE("deep nesting is an error at its first byte: the reader never recurses") {
  const std::size_t deep = 100000;
  CHECK(outcome(std::string(deep, '[')) ==
        "not_an_object 40000/400 at 0: a capability must be a JSON object, found an array at byte 0");
  CHECK(outcome(std::string(deep, '{')) ==
        "invalid_json 40000/400 at 1: unexpected character '{' at byte 1; expected a string");
  CHECK(outcome("{\"a\":" + std::string(deep, '[')) ==
        "operation_not_string 40000/400 at 6: operations for resource 'a' must be strings, found an array at byte 6");
  CHECK(outcome("{\"a\":" + std::string(deep, '{')) ==
        "operations_not_array 40000/400 at 5: operations for resource 'a' must be an array of strings, found an object at byte 5");
  CHECK(outcome("{\"a\":[\"subscribe\"]," + repeat("{\"b\":", deep)) ==
        "invalid_json 40000/400 at 19: unexpected character '{' at byte 19; expected a string");
}

TEST_CASE("numbers where strings belong are reported by kind, never parsed") {
  CM_TEXT(canonical("{\"a\":[1e999999]}"),
          "operation_not_string 40000/400 at 6: operations for resource 'a' must be strings, found a number at byte 6");
  CM_TEXT(canonical("{1e999:[\"subscribe\"]}"), "invalid_json 40000/400 at 1: unexpected character '1' at byte 1; expected a string");
  CM_TEXT(canonical("-1e99999"), "not_an_object 40000/400 at 0: a capability must be a JSON object, found a number at byte 0");
  CHECK(outcome("{\"a\":" + std::string(1000000, '9') + "}") ==
        "operations_not_array 40000/400 at 5: operations for resource 'a' must be an array of strings, found a number at byte 5");
  CHECK(outcome("{\"a\":[" + std::string(1000000, '9') + "]}") ==
        "operation_not_string 40000/400 at 6: operations for resource 'a' must be strings, found a number at byte 6");
}

TEST_CASE("duplicate keys are 40000, also when equal only after unescaping") {
  CM_TEXT(canonical(R"({"a":["subscribe"],"a":["publish"]})"),
          "duplicate_resource 40000/400 at 19: resource 'a' listed twice at byte 19 (first at byte 1)");
  CM_TEXT(canonical(R"({"a":["subscribe"],"\u0061":["publish"]})"),
          "duplicate_resource 40000/400 at 19: resource 'a' listed twice at byte 19 (first at byte 1)");
  CM_TEXT(canonical(R"({"a:b":["subscribe"],"a\u003ab":["publish"]})"),
          "duplicate_resource 40000/400 at 21: resource 'a:b' listed twice at byte 21 (first at byte 1)");
  CM_TEXT(canonical(R"({"\/":["subscribe"],"/":["publish"]})"),
          "duplicate_resource 40000/400 at 20: resource '/' listed twice at byte 20 (first at byte 1)");
  CM_TEXT(canonical(R"({"a":["publish","\u0070ublish"]})"),
          "duplicate_operation 40000/400 at 16: operation 'publish' listed twice for resource 'a' at byte 16");
  // Different texts that normalise alike are different resources (params are dropped for
  // matching only); both are kept.
  CM_TEXT(canonical(R"({"[?rewind=1]a":["subscribe"],"a":["publish"]})"),
          R"({"[?rewind=1]a":["subscribe"],"a":["publish"]})");
}

TEST_CASE("BOM, trailing garbage, empty input, whitespace only") {
  CM_TEXT(canonical("\xEF\xBB\xBF{}"), "byte_order_mark 40000/400 at 0: byte order mark at byte 0; capability JSON must start with '{'");
  CM_TEXT(canonical(" \xEF\xBB\xBF{}"), "invalid_json 40000/400 at 1: unexpected byte 0xEF at byte 1; expected a JSON object");
  // Documented acceptance: U+FEFF inside a string is an ordinary character.
  CM_TEXT(canonical("{\"\xEF\xBB\xBF" "a\":[\"subscribe\"]}"), "{\"\xEF\xBB\xBF" "a\":[\"subscribe\"]}");
  CM_TEXT(canonical("{}x"), "trailing_characters 40000/400 at 2: trailing characters after the capability at byte 2");
  CM_TEXT(canonical("{} {}"), "trailing_characters 40000/400 at 3: trailing characters after the capability at byte 3");
  CHECK(outcome("{}\0"sv) == "trailing_characters 40000/400 at 2: trailing characters after the capability at byte 2");
  CM_TEXT(canonical(""), "empty_input 40000/400 at 0: empty input; a capability is a JSON object such as {\"channel\":[\"subscribe\"]}");
  CM_TEXT(canonical(" \n\t\r "), "empty_input 40000/400 at 0: empty input; a capability is a JSON object such as {\"channel\":[\"subscribe\"]}");
  CM_TEXT(canonical("{"), "invalid_json 40000/400 at 1: unexpected end of input at byte 1; expected a string");
  CM_TEXT(canonical("{\"a\""), "invalid_json 40000/400 at 4: unexpected end of input at byte 4; expected ':' after the resource name");
  CM_TEXT(canonical("{\"a"), "invalid_json 40000/400 at 1: unterminated string starting at byte 1");
  CM_TEXT(canonical("{\"a\\"), "invalid_json 40000/400 at 3: unterminated escape at byte 3");
}

TEST_CASE("names of only colons, empty segments, brackets, nested qualifiers") {
  CM_TEXT(name_outcome(":"), "invalid_resource 40000/400 at 0: resource name ':' has an empty segment at byte 0");
  CM_TEXT(name_outcome(":::"), "invalid_resource 40000/400 at 0: resource name ':::' has an empty segment at byte 0");
  CM_TEXT(name_outcome("a::b"), "invalid_resource 40000/400 at 2: resource name 'a::b' has an empty segment at byte 2");
  CM_TEXT(name_outcome(":a"), "invalid_resource 40000/400 at 0: resource name ':a' has an empty segment at byte 0");
  CM_TEXT(name_outcome("a:"), "invalid_resource 40000/400 at 2: resource name 'a:' has an empty segment at byte 2");
  CM_TEXT(name_outcome("[queue]a::b"), "invalid_resource 40000/400 at 9: resource name '[queue]a::b' has an empty segment at byte 9");
  CM_TEXT(name_outcome("[queue"), "invalid_resource 40000/400 at 0: resource name '[queue' at byte 0 has '[' without a closing ']'");
  CM_TEXT(name_outcome("["), "invalid_resource 40000/400 at 0: resource name '[' at byte 0 has '[' without a closing ']'");
  CM_TEXT(name_outcome("[queue]"),
          "empty_resource 40000/400 at 0: resource name '[queue]' at byte 0 has a qualifier but no channel name after it");
  CM_TEXT(name_outcome("[a[b]]c"), "invalid_resource 40000/400 at 0: resource name '[a[b]]c' at byte 0 has '[' inside its qualifier");
  CM_TEXT(name_outcome("[a][b]c"), "invalid_resource 40000/400 at 0: resource name '[a][b]c' at byte 0 has more than one qualifier");
  CM_TEXT(name_outcome("[*]c"),
          "invalid_resource 40000/400 at 0: resource name '[*]c' at byte 0 cannot use the [*] qualifier; [*] is for capability patterns");
  CM_TEXT(name_outcome(""), "empty_resource 40000/400 at 0: empty resource name at byte 0");
  // As capability entries, colon-only and empty-segment patterns are valid and match nothing.
  CM_TEXT(canonical(R"({":":["subscribe"],":::":["publish"],"a::b":["history"]})"),
          R"({":":["subscribe"],":::":["publish"],"a::b":["history"]})");
  CM_TEXT(canonical(R"({"[queue":["subscribe"]})"),
          "invalid_resource 40000/400 at 1: resource '[queue' at byte 1 has '[' without a closing ']'");
  CM_TEXT(canonical(R"({"[a][b]c":["subscribe"]})"),
          "invalid_resource 40000/400 at 1: resource '[a][b]c' at byte 1 has more than one qualifier");
  const auto cap = capmatch_test::cap_of(R"({":":["subscribe"],":*":["publish"],"*:":["history"],"[*]*":["presence"]})");
  for (std::string_view n : {":", "a:", ":a", "a::b", "[", "[a][b]c", "[*]c", ""}) {
    CHECK(cap.ops_for(n).empty());
    CHECK(matcher(cap).ops_for(n).empty());
  }
  // A name must be well-formed UTF-8 (issue 14): otherwise an overlong '[' or ':' could pass
  // for a plain byte and be matched by a wildcard. Invalid names are granted nothing.
  CM_TEXT(name_outcome("a\xFF"), "invalid_resource 40000/400 at 1: resource name 'a\\xFF' is not well-formed UTF-8 at byte 1");
  CHECK(cap.ops_for("a\xFF").empty());
  CHECK(matcher(cap).ops_for("a\xFF").empty());
}

TEST_CASE("limit: resource length (max_resource_bytes)") {
  static_assert(max_resource_bytes == 2048);
  CHECK(name_outcome(std::string(2048, 'a')).str() == "ok");
  CHECK(name_outcome(std::string(2049, 'a')).str() ==
        "limit_exceeded 40000/400 at 2048: resource name of 2049 bytes exceeds the limit of 2048 bytes (capmatch::max_resource_bytes)");
  CHECK(pattern_outcome(std::string(2049, '*'), 7) ==
        "limit_exceeded 40000/400 at 7: resource of 2049 bytes at byte 7 exceeds the limit of 2048 bytes (capmatch::max_resource_bytes)");
  CHECK(outcome("{\"" + std::string(2049, 'a') + "\":[\"subscribe\"]}") ==
        "limit_exceeded 40000/400 at 1: resource of 2049 bytes at byte 1 exceeds the limit of 2048 bytes (capmatch::max_resource_bytes)");
  // Counted after unescaping: 2047 bytes plus "\u00e9" (two bytes of UTF-8).
  CHECK(outcome("{\"" + std::string(2047, 'a') + "\\u00e9\":[\"subscribe\"]}") ==
        "limit_exceeded 40000/400 at 1: resource of 2049 bytes at byte 1 exceeds the limit of 2048 bytes (capmatch::max_resource_bytes)");
  CHECK(capability::parse("{\"" + std::string(2046, 'a') + "\\u00e9\":[\"subscribe\"]}").has_value());
  // A name beyond the limit is granted nothing, even by "*".
  const auto cap = capmatch_test::cap_of(R"({"*":["*"],"[*]*":["*"]})");
  CHECK(cap.ops_for(std::string(2049, 'a')).empty());
  CHECK(matcher(cap).ops_for(std::string(2049, 'a')).empty());
  CHECK(cap.ops_for(std::string(2048, 'a')) == op_set::all());
  CHECK(matcher(cap).ops_for(std::string(2048, 'a')) == op_set::all());
  CHECK(!cap.allows(std::string(2049, 'a'), operation::subscribe));
  const std::string long_name(2049, 'a');
  CHECK(explain(cap, long_name, operation::subscribe).to_string() ==
        "denied: resource name of 2049 bytes exceeds the limit of 2048 bytes (capmatch::max_resource_bytes)");
}

TEST_CASE("limit: segments (max_segments)") {
  static_assert(max_segments == 128);
  CHECK(name_outcome(segments("a", 128)).str() == "ok");
  CHECK(name_outcome(segments("a", 129)).str() ==
        "limit_exceeded 40000/400 at 255: resource name 'a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:...' "
        "has more than 128 segments at byte 255 (capmatch::max_segments)");
  CHECK(name_outcome("[queue]" + segments("a", 129)).str() ==
        "limit_exceeded 40000/400 at 262: resource name '[queue]a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a...' "
        "has more than 128 segments at byte 262 (capmatch::max_segments)");
  CHECK(pattern_outcome(segments("*", 128)) == "ok");
  CHECK(pattern_outcome(segments("*", 129), 7) ==
        "limit_exceeded 40000/400 at 7: resource '*:*:*:*:*:*:*:*:*:*:*:*:*:*:*:*:*:*:*:*:*:*:*:*:...' "
        "has more than 128 segments at byte 7 (capmatch::max_segments)");
  CHECK(outcome("{\"" + segments("a", 129) + "\":[\"subscribe\"]}") ==
        "limit_exceeded 40000/400 at 1: resource 'a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:...' "
        "has more than 128 segments at byte 1 (capmatch::max_segments)");
  // A name beyond the limit is granted nothing, by the capability and the compiled matcher alike.
  const auto cap = capmatch_test::cap_of(R"({"*":["*"],"[*]*":["*"]})");
  CHECK(cap.ops_for(segments("a", 128)) == op_set::all());
  CHECK(matcher(cap).ops_for(segments("a", 128)) == op_set::all());
  CHECK(cap.ops_for(segments("a", 129)).empty());
  CHECK(matcher(cap).ops_for(segments("a", 129)).empty());
  CHECK(matcher(cap, matcher_mode::trie_walk).ops_for(segments("a", 129)).empty());
  // Colons inside the qualifier are not segments.
  CHECK(name_outcome("[" + std::string(200, ':') + "]a").str() == "ok");
}

TEST_CASE("limit: resources per capability (max_resources)") {
  static_assert(max_resources == 10000);
  auto doc = [](std::size_t n) {
    std::string d = "{";
    for (std::size_t i = 0; i < n; ++i) d += (i ? ",\"r" : "\"r") + std::to_string(i) + "\":[\"subscribe\"]";
    return d + "}";
  };
  CHECK(capability::parse(doc(10000)).value().size() == 10000);
  CHECK(outcome(doc(10001)) ==
        "limit_exceeded 40000/400 at 218891: capability lists more than 10000 resources at byte 218891 (capmatch::max_resources)");
}

TEST_CASE("limit: document size (max_document_bytes) and a 10 MB valid document") {
  static_assert(max_document_bytes == 16u << 20);
  // 5000 resources of 2000 bytes each: 10 MB, every resource at the length limit's scale.
  std::string big = "{";
  for (int i = 0; i < 5000; ++i) {
    std::string r = "r";  // appended, not "r" + ...: g++ 12 -O3 misreports -Wrestrict on that
    r.append(std::to_string(i)).append(":");
    r += std::string(2000 - r.size(), static_cast<char>('a' + i % 26));
    big += (i ? ",\"" : "\"") + r + "\":[\"subscribe\",\"publish\"]";
  }
  big += "}";
  REQUIRE(big.size() > 10'000'000);
  const auto cap = capability::parse(big);
  REQUIRE(cap.has_value());
  CHECK(cap->size() == 5000);
  CHECK(cap->ops_for("r4999:" + std::string(1994, 'a' + 4999 % 26)).contains(operation::publish));
  CHECK(capability::parse(cap->to_json()).value() == *cap);
  // 10 MB of whitespace around an empty object, and inside an operation list.
  CHECK(outcome(std::string(5'000'000, ' ') + "{}" + std::string(5'000'000, '\n')) == "{}");
  CHECK(outcome("{\"a\":[" + std::string(10'000'000, '\t') + "\"history\"]}") == R"({"a":["history"]})");
  // A 10 MB string where an operation belongs: one error, its excerpt clipped.
  CHECK(outcome("{\"a\":[\"" + std::string(10'000'000, 'x') + "\"]}") ==
        "unknown_operation 40000/400 at 6: unknown operation 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' at byte 6; "
        "expected an operation such as 'subscribe' or 'publish', or '*' for all");
  // One byte over the limit is refused before reading.
  CHECK(outcome(std::string(max_document_bytes + 1, ' ')) ==
        "limit_exceeded 40000/400 at 16777216: capability document of 16777217 bytes exceeds the limit of 16777216 bytes "
        "(capmatch::max_document_bytes)");
}

TEST_CASE("a 100,000-segment name: refused by parse_name, and matched in linear time by matches()") {
  const std::string name = segments("a", 100000);
  CHECK(name_outcome(name).str() ==
        "limit_exceeded 40000/400 at 2048: resource name of 199999 bytes exceeds the limit of 2048 bytes (capmatch::max_resource_bytes)");
  const auto cap = capmatch_test::cap_of(R"({"*":["*"],"a:*":["subscribe"]})");
  CHECK(cap.ops_for(name).empty());
  // matches() itself has no limit: one pass over both texts. It counts the segment positions
  // it compares: never more than the name's 1,000,000 segments (a quadratic algorithm would
  // need ~10^12), and exactly as many as it takes to decide.
  constexpr std::size_t n_segments = 1000000;
  const std::string big = segments("a", n_segments);
  const std::string stars = segments("*", n_segments);
  const resource_name n{false, {}, big};
  auto steps_for = [&](const std::string& body, bool expected) {
    std::size_t steps = 0;
    CHECK(detail::matches_counted(pattern{qualifier_kind::none, {}, body}, n, steps) == expected);
    CHECK(matches(pattern{qualifier_kind::none, {}, body}, n) == expected);
    CHECK(steps <= n_segments);
    return steps;
  };
  CHECK(steps_for(stars, true) == n_segments - 1);  // the last, trailing '*' decides at once
  CHECK(steps_for("*", true) == 0);
  CHECK(steps_for("a:*", true) == 1);
  CHECK(steps_for(big, true) == n_segments - 1);
  CHECK(steps_for(stars + ":*", false) == n_segments - 1);  // the name ends first
  const std::string starts_b = "b:" + stars.substr(2), ends_b = big.substr(0, big.size() - 1) + "b";
  CHECK(steps_for(starts_b, false) == 0);
  CHECK(steps_for(ends_b, false) == n_segments - 1);
  std::vector<char> out;
  CHECK(intersect(pattern{qualifier_kind::none, {}, stars}, pattern{qualifier_kind::none, {}, "a:*"}, out));
  CHECK(std::string(out.data(), out.size()) == "a:" + stars.substr(2));
}

TEST_CASE("10,000 patterns of *:*:*:...: parse, check, compile and intersect within the limits") {
  // Pattern i: (i % 64) wildcard segments, a literal "x<i>", then a trailing wildcard; it grants
  // operation i % 17.
  std::string doc = "{";
  for (int i = 0; i < 10000; ++i) {
    doc += i ? ",\"" : "\"";
    doc += repeat("*:", static_cast<std::size_t>(i % 64)) + "x" + std::to_string(i) + ":*\":[\"";
    doc += name_of(static_cast<operation>(i % 17));
    doc += "\"]";
  }
  doc += "}";
  const auto cap = capability::parse(doc);
  REQUIRE(cap.has_value());
  REQUIRE(cap->size() == 10000);
  const matcher fast(*cap);
  for (int i : {0, 1, 63, 64, 4095, 9999}) {
    const std::string name = repeat("s:", static_cast<std::size_t>(i % 64)) + "x" + std::to_string(i) + ":tail";
    const op_set want(static_cast<operation>(i % 17));
    CHECK(cap->ops_for(name) == want);
    CHECK(fast.ops_for(name) == want);
    CHECK(fast.ops_for(name + ":more") == want);
    CHECK(cap->ops_for(repeat("s:", 64) + "x1") == op_set{});
    CHECK(fast.ops_for(repeat("s:", 64) + "x1") == op_set{});
  }
  // Key of 10,000 wildcard patterns against one request: 10,000 pairs.
  const auto req = capmatch_test::cap_of(R"({"[*]*":["*"]})");
  const auto both = intersect(*cap, req);
  REQUIRE(both.has_value());
  CHECK(*both == *cap);
}

TEST_CASE("limit: intersection pairs and result size") {
  static_assert(max_intersection_pairs == 1048576);
  auto doc = [](std::string_view prefix, std::string_view suffix, std::size_t n) {
    std::string d = "{";
    for (std::size_t i = 0; i < n; ++i)
      d += (i ? ",\"" : "\"") + std::string(prefix) + std::to_string(i) + std::string(suffix) + "\":[\"subscribe\"]";
    return d + "}";
  };
  const auto key = capmatch_test::cap_of(doc("k", ":*", 1025));
  const auto req = capmatch_test::cap_of(doc("*:r", "", 1024));
  const auto over = intersect(key, req);
  REQUIRE(!over);
  CHECK(describe(over.error()).str() ==
        "limit_exceeded 40000/400 at -: intersecting 1025 key resources with 1024 requested resources exceeds the limit "
        "of 1048576 pairs (capmatch::max_intersection_pairs)");
  // 1024 x 1024 pairs is within the pair limit, but every pair intersects (k<i>:r<j>): the
  // result would have 1,048,576 resources. Memory stays bounded; the error comes early.
  const auto key2 = capmatch_test::cap_of(doc("k", ":*", 1024));
  const auto many = intersect(key2, req);
  REQUIRE(!many);
  CHECK(describe(many.error()).str() ==
        "limit_exceeded 40000/400 at -: the intersection has more than 10000 resources (capmatch::max_resources)");
  // An intersection longer than max_resource_bytes matches no valid name: left out.
  const std::string a(1500, 'a'), b(1500, 'b');
  const auto long_key = capmatch_test::cap_of("{\"" + a + ":*\":[\"subscribe\"],\"x\":[\"publish\"]}");
  const auto long_req = capmatch_test::cap_of("{\"*:" + b + "\":[\"subscribe\"],\"x\":[\"*\"]}");
  CHECK(describe(intersect(long_key, long_req).value()).str() == R"({"x":["publish"]})");
  // ... unless it is a [*] pattern whose body alone is within the limit: an error, not a silent drop.
  const auto any_key = capmatch_test::cap_of("{\"[*]" + std::string(2040, 'a') + ":*\":[\"subscribe\"]}");
  const auto any_req = capmatch_test::cap_of(R"({"[*]*:bbbbbbb":["subscribe"]})");
  const auto any = intersect(any_key, any_req);
  REQUIRE(!any);
  CHECK(describe(any.error()).str() ==
        "limit_exceeded 40000/400 at -: the intersection of '[*]aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' and "
        "'[*]*:bbbbbbb' is a resource of 2051 bytes, more than the limit of 2048 bytes (capmatch::max_resource_bytes)");
}

TEST_CASE("error messages stay one line of valid UTF-8 whatever the input") {
  const auto op = parse_operation("publish\xFF\n");
  CHECK(describe(op.error()).str() ==
        "unknown_operation 40000/400 at 0: unknown operation 'publish\\xFF\\u000A' at byte 0; did you mean 'publish'?");
  const auto nl = parse_operation(std::string(1000, '\n'));
  CHECK(one_line_utf8(nl.error().message()));
  CHECK(nl.error().message() ==
        "unknown operation '" + repeat("\\u000A", 16) +
            "...' at byte 0; expected an operation such as 'subscribe' or 'publish', or '*' for all");
  // A message longer than the capacity is cut on a UTF-8 boundary and stays cut.
  error e(errc::invalid_json, 0);
  e.append(std::string(error::capacity - 1, 'x')).append("\xC3\xA9").append("tail");
  CHECK(e.message() == std::string(error::capacity - 1, 'x'));
  error f(errc::invalid_json, 0);
  f.append(std::string(error::capacity - 2, 'x')).append("\xC3\xA9").append("tail");
  CHECK(f.message() == std::string(error::capacity - 2, 'x') + "\xC3\xA9");
}

TEST_CASE("fuzz finding: explain output is one line of valid UTF-8 for any name and resource") {
  // Found by fuzz_cli: a qualified name whose qualifier holds newlines and invalid UTF-8 put
  // them unescaped into decision::to_string(); so did a granting resource with a newline.
  const auto cap = capmatch_test::cap_of(R"({"*":["subscribe"],"a\nb":["publish"]})");
  // (Names must be well-formed UTF-8 since issue 14: the qualifier holds U+00A2 and a newline.)
  const auto q = explain(cap, "[\xC2\xA2\n]x", operation::subscribe);
  CHECK(q.reason == denial::qualified_name);
  CHECK(q.to_string() ==
        "denied: '[\xC2\xA2\\u000A]x' is a [\xC2\xA2\\u000A] name and unqualified resources such as '*' never match qualified "
        "names; grant '[\xC2\xA2\\u000A]x', '[\xC2\xA2\\u000A]*' or '[*]*'");
  const auto g = explain(cap, "a\nb", operation::publish);
  CHECK(g.allowed);
  CHECK(g.to_string() == "allowed: a\\u000Ab grants publish");
  for (const auto* d : {&q, &g}) {
    CHECK(one_line_utf8(d->to_string()));
    CHECK(one_line_utf8(d->to_json()));
  }
  const auto bad = explain(cap, "\xFF:", operation::subscribe);
  CHECK(bad.to_string() == "denied: resource name '\\xFF:' is not well-formed UTF-8 at byte 0");
  CHECK(one_line_utf8(bad.to_json()));
}

TEST_CASE("issue 14: lint at max_resources in one namespace and on deep '*:' chains does linear work") {
  // Each entry's containers lie on one trie path: the walk visits at most (segments + 2)
  // nodes and entries per entry (chat:room<i>: 3 segments; the chain: 62).
  std::string rooms = "{", chains = "{";
  for (int i = 0; i < 10000; ++i) {
    rooms.append(i ? ",\"" : "\"").append("chat:room").append(std::to_string(i)).append("\":[\"publish\"]");
    chains.append(i ? ",\"" : "\"").append(repeat("*:", 60)).append("l").append(std::to_string(i)).append(
        ":*\":[\"message-delete-any\"]");
  }
  for (const auto& [doc, per_entry] : {std::pair<std::string, std::size_t>{rooms + "}", 5},
                                       std::pair<std::string, std::size_t>{chains + "}", 64}}) {
    const capability cap = capmatch_test::cap_of(doc);
    REQUIRE(cap.size() == max_resources);
    detail::linter l(cap, lint_default_budget(cap));
    const auto findings = l.run();
    CHECK(l.work() <= per_entry * cap.size());
    std::size_t implied = 0;
    for (const auto& f : findings) implied += f.code == lint_code::implied_op;
    CHECK(implied == (per_entry == 64 ? cap.size() : 0));  // no entry grants message-delete-own
    CHECK(findings.size() == implied);
  }
}

TEST_CASE("issue 14: 104 spellings of '*' against 10 000 requested entries of 1.6 KB build no text") {
  std::string key = "{", req = "{";
  for (int k = 0; k < 104; ++k) key.append(k ? ",\"[?p" : "\"[?p").append(std::to_string(k)).append("]*\":[\"*\"]");
  for (int j = 0; j < 10000; ++j)
    req.append(j ? ",\"" : "\"").append(repeat("abcdefghijklmn:", 105)).append("r").append(std::to_string(j)).append(
        "\":[\"subscribe\"]");
  const capability k = capmatch_test::cap_of(key + "}"), r = capmatch_test::cap_of(req + "}");
  detail::intersect_work work;
  const auto both = detail::intersect_counted(k, r, work);
  REQUIRE(both.has_value());
  CHECK(*both == r);
  CHECK(work.pairs == 10000);
  CHECK(work.bytes == 0);
}
