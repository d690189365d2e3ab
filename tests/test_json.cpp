// Tests for json.hpp: the strict string reader (RFC 8259 escapes, \uXXXX, surrogate pairs,
// UTF-8 validation), JSON syntax errors with their exact messages and offsets (docs/semantics.md §1.1,
// §1.3), and the writer that escapes only what RFC 8259 requires (§1.5).
#include <capmatch/capability.hpp>
#include <capmatch/detail/json.hpp>
#include <capmatch/detail/json_object.hpp>
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "random.hpp"
#include "support.hpp"

using namespace capmatch;
using capmatch_test::canonical;
using capmatch_test::describe;
using capmatch_test::text;

namespace {

/// Reads one JSON string that must span all of `in`; its decoded bytes, or the error described.
constexpr text decode(std::string_view in) {
  detail::json_reader r(in);
  std::vector<char> out;
  error err;
  if (!r.read_string(out, err)) return describe(err);
  text t;
  t.put(std::string_view(out.data(), out.size()));
  if (r.pos() != in.size()) t.put("<stopped early>");
  return t;
}

/// The JSON text write_json_string produces for `s`.
constexpr text encode(std::string_view s) {
  std::vector<char> out;
  detail::write_json_string(s, out);
  text t;
  t.put(std::string_view(out.data(), out.size()));
  return t;
}

/// Independent UTF-8 encoder for the exhaustive tests.
std::string utf8(std::uint32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

std::string hex4(std::uint32_t v, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string s = "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) s += digits[(v >> shift) & 15];
  return s;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Reading strings

TEST_CASE("§1.1 JSON strings: the simple escapes decode") {
  CM_TEXT(decode(R"("plain")"), "plain");
  CM_TEXT(decode(R"("")"), "");
  CM_TEXT(decode(R"("a\"b\\c\/d")"), "a\"b\\c/d");
  CM_TEXT(decode(R"("\b\f\n\r\t")"), "\b\f\n\r\t");
}

TEST_CASE("§1.1 JSON strings: \\uXXXX escapes decode to UTF-8, either hex case") {
  CM_TEXT(decode(R"("\u0041")"), "A");
  CM_TEXT(decode(R"("\u00e9")"), "\xC3\xA9");
  CM_TEXT(decode(R"("\u00E9")"), "\xC3\xA9");
  CM_TEXT(decode(R"("\u007F")"), "\x7F");
  CM_TEXT(decode(R"("\u0080")"), "\xC2\x80");
  CM_TEXT(decode(R"("\u07FF")"), "\xDF\xBF");
  CM_TEXT(decode(R"("\u0800")"), "\xE0\xA0\x80");
  CM_TEXT(decode(R"("\u20AC")"), "\xE2\x82\xAC");
  CM_TEXT(decode(R"("\uFFFF")"), "\xEF\xBF\xBF");
  CM_TEXT(decode(R"("x\u0000y")"), std::string_view("x\0y", 3));
}

TEST_CASE("§1.1 JSON strings: surrogate pairs decode to one 4-byte UTF-8 sequence") {
  CM_TEXT(decode(R"("\uD83D\uDE00")"), "\xF0\x9F\x98\x80");  // U+1F600
  CM_TEXT(decode(R"("\ud83d\ude00")"), "\xF0\x9F\x98\x80");
  CM_TEXT(decode(R"("\uD800\uDC00")"), "\xF0\x90\x80\x80");  // U+10000, the first
  CM_TEXT(decode(R"("\uDBFF\uDFFF")"), "\xF4\x8F\xBF\xBF");  // U+10FFFF, the last
  CM_TEXT(decode(R"("a\uD834\uDD1Eb")"), "a\xF0\x9D\x84\x9E" "b");  // U+1D11E
}

TEST_CASE("§1.1 JSON strings: valid raw UTF-8 passes through unchanged at every length boundary") {
  CM_TEXT(decode("\"\xC2\x80\xDF\xBF\""), "\xC2\x80\xDF\xBF");                  // U+0080 U+07FF
  CM_TEXT(decode("\"\xE0\xA0\x80\xED\x9F\xBF\""), "\xE0\xA0\x80\xED\x9F\xBF");  // U+0800 U+D7FF
  CM_TEXT(decode("\"\xEE\x80\x80\xEF\xBF\xBF\""), "\xEE\x80\x80\xEF\xBF\xBF");  // U+E000 U+FFFF
  CM_TEXT(decode("\"\xF0\x90\x80\x80\xF4\x8F\xBF\xBF\""), "\xF0\x90\x80\x80\xF4\x8F\xBF\xBF");
  CM_TEXT(decode("\"\x7F\""), "\x7F");  // DEL is not a JSON control character
  CM_TEXT(decode("\"\xEF\xBB\xBF\""), "\xEF\xBB\xBF");  // U+FEFF inside a string is just a character
}

TEST_CASE("§1.1 JSON strings: every code point survives raw, as \\uXXXX (or a surrogate pair), and written back") {
  std::size_t bad = 0;
  std::string first_bad;
  for (std::uint32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    const std::string raw = utf8(cp);
    std::string escaped;
    if (cp < 0x10000) {
      escaped.append("\"").append(hex4(cp, (cp & 1) != 0)).append("\"");
    } else {
      const std::uint32_t v = cp - 0x10000;
      escaped.append("\"").append(hex4(0xD800 + (v >> 10), true)).append(hex4(0xDC00 + (v & 0x3FF), false)).append("\"");
    }
    const bool control = cp < 0x20 || cp == '"' || cp == '\\';
    const std::string written = encode(raw).str();
    const bool ok = decode(escaped).view() == raw && decode(written).view() == raw &&
                    (control || (written == "\"" + raw + "\"" && decode("\"" + raw + "\"").view() == raw));
    if (!ok && bad++ == 0) first_bad = escaped;
  }
  INFO("first failing code point: " << first_bad);
  CHECK(bad == 0);
}

// ---------------------------------------------------------------------------------------------
// Errors in strings (offsets relative to the reader's input)

TEST_CASE("§1.3 unterminated strings and escapes (invalid_json)") {
  CM_TEXT(decode(R"("abc)"), "invalid_json 40000/400 at 0: unterminated string starting at byte 0");
  CM_TEXT(decode(R"("a\)"), "invalid_json 40000/400 at 2: unterminated escape at byte 2");
}

TEST_CASE("§1.3 invalid escapes (invalid_escape)") {
  CM_TEXT(decode(R"("a\x")"),
          R"(invalid_escape 40000/400 at 2: invalid escape '\x' at byte 2; valid escapes are \" \\ \/ \b \f \n \r \t \uXXXX)");
  CM_TEXT(decode(R"("\')"),
          R"(invalid_escape 40000/400 at 1: invalid escape '\'' at byte 1; valid escapes are \" \\ \/ \b \f \n \r \t \uXXXX)");
  // Fewer than four hex digits before the end of the string, or a non-hex digit.
  CM_TEXT(decode(R"("\u12")"), R"(invalid_escape 40000/400 at 1: invalid \u escape at byte 1; expected four hex digits)");
  CM_TEXT(decode(R"("ab\u12G4")"), R"(invalid_escape 40000/400 at 3: invalid \u escape at byte 3; expected four hex digits)");
  CM_TEXT(decode(R"("\U0041")"),
          R"(invalid_escape 40000/400 at 1: invalid escape '\U' at byte 1; valid escapes are \" \\ \/ \b \f \n \r \t \uXXXX)");
  // A high surrogate followed by a broken second escape: the offset names the second escape.
  CM_TEXT(decode(R"("\uD800\uZZZZ")"),
          R"(invalid_escape 40000/400 at 7: invalid \u escape at byte 7; expected four hex digits)");
}

TEST_CASE("§1.1 lone surrogates are errors (lone_surrogate)") {
  CM_TEXT(decode(R"("\uDC00")"),
          R"(lone_surrogate 40000/400 at 1: lone surrogate '\uDC00' at byte 1; a \uD800-\uDBFF escape must be followed by a \uDC00-\uDFFF escape)");
  CM_TEXT(decode(R"("\uD800")"),
          R"(lone_surrogate 40000/400 at 1: lone surrogate '\uD800' at byte 1; a \uD800-\uDBFF escape must be followed by a \uDC00-\uDFFF escape)");
  CM_TEXT(decode(R"("x\uDBFFy")"),
          R"(lone_surrogate 40000/400 at 2: lone surrogate '\uDBFF' at byte 2; a \uD800-\uDBFF escape must be followed by a \uDC00-\uDFFF escape)");
  // High surrogate followed by an escape that is not a low surrogate, or by another high one.
  CM_TEXT(decode(R"("\uD800\u0041")"),
          R"(lone_surrogate 40000/400 at 1: lone surrogate '\uD800' at byte 1; a \uD800-\uDBFF escape must be followed by a \uDC00-\uDFFF escape)");
  CM_TEXT(decode(R"("\uD800\uD800")"),
          R"(lone_surrogate 40000/400 at 1: lone surrogate '\uD800' at byte 1; a \uD800-\uDBFF escape must be followed by a \uDC00-\uDFFF escape)");
  CM_TEXT(decode(R"("\uD800\n")"),
          R"(lone_surrogate 40000/400 at 1: lone surrogate '\uD800' at byte 1; a \uD800-\uDBFF escape must be followed by a \uDC00-\uDFFF escape)");
  // Reversed pair: the low half comes first and is alone.
  CM_TEXT(decode(R"("\uDE00\uD83D")"),
          R"(lone_surrogate 40000/400 at 1: lone surrogate '\uDE00' at byte 1; a \uD800-\uDBFF escape must be followed by a \uDC00-\uDFFF escape)");
}

TEST_CASE("§1.3 raw control characters in strings (control_character)") {
  CM_TEXT(decode("\"a\x01" "b\""),
          R"(control_character 40000/400 at 2: control character U+0001 in a string at byte 2; escape it (\n, \t, \u00XX))");
  CM_TEXT(decode("\"\tb\""),
          R"(control_character 40000/400 at 1: control character U+0009 in a string at byte 1; escape it (\n, \t, \u00XX))");
  CM_TEXT(decode("\"ab\n\""),
          R"(control_character 40000/400 at 3: control character U+000A in a string at byte 3; escape it (\n, \t, \u00XX))");
  CM_TEXT(decode(std::string_view("\"\0\"", 3)),
          R"(control_character 40000/400 at 1: control character U+0000 in a string at byte 1; escape it (\n, \t, \u00XX))");
  CM_TEXT(decode("\"\x1F\""),
          R"(control_character 40000/400 at 1: control character U+001F in a string at byte 1; escape it (\n, \t, \u00XX))");
}

TEST_CASE("§1.1 invalid UTF-8 is an error at the first byte of the bad sequence (invalid_utf8)") {
  CM_TEXT(decode("\"a\xC0\x80\""), "invalid_utf8 40000/400 at 2: invalid UTF-8 at byte 2");  // overlong NUL
  CM_TEXT(decode("\"\xC1\xBF\""), "invalid_utf8 40000/400 at 1: invalid UTF-8 at byte 1");   // overlong 2-byte
  CM_TEXT(decode("\"\xE0\x9F\xBF\""), "invalid_utf8 40000/400 at 1: invalid UTF-8 at byte 1");  // overlong 3-byte
  CM_TEXT(decode("\"\xED\xA0\x80\""), "invalid_utf8 40000/400 at 1: invalid UTF-8 at byte 1");  // U+D800 encoded
  CM_TEXT(decode("\"\xED\xBF\xBF\""), "invalid_utf8 40000/400 at 1: invalid UTF-8 at byte 1");  // U+DFFF encoded
  CM_TEXT(decode("\"\xF0\x8F\xBF\xBF\""), "invalid_utf8 40000/400 at 1: invalid UTF-8 at byte 1");  // overlong 4-byte
  CM_TEXT(decode("\"\xF4\x90\x80\x80\""), "invalid_utf8 40000/400 at 1: invalid UTF-8 at byte 1");  // > U+10FFFF
  CM_TEXT(decode("\"\xF5\x80\x80\x80\""), "invalid_utf8 40000/400 at 1: invalid UTF-8 at byte 1");
  CM_TEXT(decode("\"\xFF\""), "invalid_utf8 40000/400 at 1: invalid UTF-8 at byte 1");
  CM_TEXT(decode("\"ab\x80\""), "invalid_utf8 40000/400 at 3: invalid UTF-8 at byte 3");  // stray continuation
  CM_TEXT(decode("\"\xE2\x28\xA1\""), "invalid_utf8 40000/400 at 1: invalid UTF-8 at byte 1");  // bad 2nd byte
  CM_TEXT(decode("\"\xE2\x82\""), "invalid_utf8 40000/400 at 1: invalid UTF-8 at byte 1");  // cut short by '"'
  CM_TEXT(decode("\"\xF0\x9F\x98"), "invalid_utf8 40000/400 at 1: invalid UTF-8 at byte 1");  // cut short by the end
  CM_TEXT(decode("\"\xC3"), "invalid_utf8 40000/400 at 1: invalid UTF-8 at byte 1");
}

TEST_CASE("the reader stops right after the closing quote") {
  detail::json_reader r(R"(  "ab" , )");
  std::vector<char> out;
  error err;
  REQUIRE(r.read_string(out, err));
  CHECK(r.pos() == 6);
  CHECK(std::string(out.begin(), out.end()) == "ab");
}

// ---------------------------------------------------------------------------------------------
// Writing strings (docs/semantics.md §1.5: escape only what RFC 8259 requires)

TEST_CASE("§1.5 writer escapes only '\"', '\\\\' and U+0000..U+001F") {
  CM_TEXT(encode("plain"), R"("plain")");
  CM_TEXT(encode(""), R"("")");
  CM_TEXT(encode("a\"b\\c"), R"("a\"b\\c")");
  // '/' may be escaped in JSON but need not be: it is not.
  CM_TEXT(encode("a/b"), R"("a/b")");
  CM_TEXT(encode("\b\f\n\r\t"), R"("\b\f\n\r\t")");
  CM_TEXT(encode(std::string_view("\0\x01\x1F", 3)), R"("\u0000\u0001\u001f")");
  // DEL, non-ASCII, U+2028/U+2029 and U+FEFF are written raw.
  CM_TEXT(encode("\x7F"), "\"\x7F\"");
  CM_TEXT(encode("caf\xC3\xA9"), "\"caf\xC3\xA9\"");
  CM_TEXT(encode("\xE2\x80\xA8\xE2\x80\xA9"), "\"\xE2\x80\xA8\xE2\x80\xA9\"");
  CM_TEXT(encode("\xF0\x9F\x98\x80"), "\"\xF0\x9F\x98\x80\"");
  CM_TEXT(encode("\xEF\xBB\xBF"), "\"\xEF\xBB\xBF\"");
}

TEST_CASE("§1.5 every ASCII byte written by the writer reads back as itself") {
  std::size_t bad = 0;
  for (int c = 0; c < 0x80; ++c) {
    const std::string s = std::string("<") + static_cast<char>(c) + ">";
    if (decode(encode(s).view()).view() != s) ++bad;
    const bool must_escape = c < 0x20 || c == '"' || c == '\\';
    const bool escaped = encode(s).view().find('\\') != std::string_view::npos;
    if (must_escape != escaped) ++bad;
  }
  CHECK(bad == 0);
}

TEST_CASE("§1.1 the reader stops at every byte it must look at, at every position of its 8-byte scan") {
  // read_string copies runs of plain ASCII found eight bytes at a time (plain_ascii_end); the
  // byte that ends a run — a quote, a backslash, a control character, the start of a UTF-8
  // sequence — lands on every position of strings of 1 to 24 bytes.
  std::size_t bad = 0, checked = 0;
  for (std::size_t len = 1; len <= 24; ++len)
    for (std::size_t at = 0; at < len; ++at) {
      const std::string before(at, 'a'), after(len - at - 1, 'b');
      auto read = [&](std::string_view mid) { return decode("\"" + before + std::string(mid) + after + "\"").str(); };
      bad += read("\xC3\xA9") != before + "\xC3\xA9" + after;              // U+00E9, raw
      bad += read("\xF0\x9F\x98\x80") != before + "\xF0\x9F\x98\x80" + after;  // U+1F600, raw
      bad += read("\\n") != before + "\n" + after;                          // an escape
      bad += read("\x7F") != before + "\x7F" + after;                       // DEL is plain
      bad += read("\"") != before + "<stopped early>";                      // the string ends there
      bad += read("\x01").rfind("control_character", 0) != 0;              // raw control: an error
      bad += read("\x80").rfind("invalid_utf8", 0) != 0;                   // a lone continuation byte
      checked += 7;
    }
  CHECK(checked == 2100);
  CHECK(bad == 0);
  static_assert(detail::plain_ascii_end("abcdefghij\"k", 0) == 10);
  static_assert(detail::plain_ascii_end("abcdefghijk\xC3\xA9", 3) == 11);
}

TEST_CASE("§1.1 plain_ascii_end and printable_ascii_end: every byte value at every position, from every start") {
  // Reference: the first byte from `pos` that is '"', '\\', below 0x20 or at least 0x80 (and,
  // for printable_ascii_end, 0x7F), looked at one byte at a time.
  auto reference = [](std::string_view s, std::size_t pos, bool del) {
    for (; pos < s.size(); ++pos) {
      const auto c = static_cast<unsigned char>(s[pos]);
      if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80 || (del && c == 0x7F)) return pos;
    }
    return pos;
  };
  std::size_t bad = 0, checked = 0, stopped_on_del = 0;
  for (std::size_t len = 1; len <= 40; ++len)
    for (std::size_t at = 0; at < len; ++at)
      for (int b = 0; b < 256; ++b) {
        // (an exact-size heap copy: a sanitizer build sees any read past the end; the last
        // window of a scan ends at the string's end, and a start after `at` must not see it)
        const std::unique_ptr<char[]> heap(new char[len]);
        std::fill(heap.get(), heap.get() + len, 'a');
        heap[at] = static_cast<char>(b);
        const std::string_view s(heap.get(), len);
        for (std::size_t pos = 0; pos <= len; ++pos) {
          bad += detail::plain_ascii_end(s, pos) != reference(s, pos, false);
          bad += detail::printable_ascii_end(s, pos) != reference(s, pos, true);
          // both run-time scans, whichever of them plain_ascii_end uses on this target
          bad += detail::plain_ascii_end_words<false>(s, pos) != reference(s, pos, false);
          bad += detail::plain_ascii_end_words<true>(s, pos) != reference(s, pos, true);
#if CAPMATCH_DETAIL_SSE2
          bad += detail::plain_ascii_end_sse2<false>(s, pos) != reference(s, pos, false);
          bad += detail::plain_ascii_end_sse2<true>(s, pos) != reference(s, pos, true);
#endif
          stopped_on_del += b == 0x7F && pos <= at && detail::printable_ascii_end(s, pos) == at;
          checked += 2;
        }
      }
  CHECK(checked > 10'000'000);
  CHECK(stopped_on_del > 0);
  CHECK(bad == 0);
  static_assert(detail::printable_ascii_end("abcdefghij\x7fk", 0) == 10);
  static_assert(detail::plain_ascii_end("abcdefghij\x7fk", 0) == 12);
}

TEST_CASE("§1.5 the writer finds every byte it must escape, at every position of its 8-byte scan") {
  // write_json_string copies a string whole when json_plain finds nothing to escape, testing
  // eight bytes at a time at run time. Every byte value at every position of strings of 1 to
  // 24 bytes: the output must be the byte-by-byte escape of the input, and the size reported
  // by json_string_size must be what was written (run time and constant evaluation alike).
  auto reference = [](std::string_view s) {
    std::string out = "\"";
    for (char ch : s) {
      const auto c = static_cast<unsigned char>(ch);
      if (c == '"' || c == '\\') out.append("\\").push_back(ch);
      else if (c == '\b') out += "\\b";
      else if (c == '\f') out += "\\f";
      else if (c == '\n') out += "\\n";
      else if (c == '\r') out += "\\r";
      else if (c == '\t') out += "\\t";
      else if (c < 0x20) out.append("\\u00").append(1, "0123456789abcdef"[c >> 4]).append(1, "0123456789abcdef"[c & 15]);
      else out.push_back(ch);
    }
    return out + "\"";
  };
  std::size_t bad = 0, checked = 0;
  for (std::size_t len = 1; len <= 24; ++len)
    for (std::size_t at = 0; at < len; ++at)
      for (int c = 0; c < 256; ++c) {
        std::string s(len, 'a');
        s[at] = static_cast<char>(c);
        const std::string got = encode(s).str();
        if (got != reference(s) || detail::json_string_size(s) != got.size()) ++bad;
        ++checked;
      }
  CHECK(checked == 76800);
  CHECK(bad == 0);
  static_assert(detail::json_string_size("abcdefgh\"ijklmnop") == 20);
  static_assert(detail::json_plain("abcdefghijklmnopq") && !detail::json_plain("abcdefghijklmno\x1F"));
}

// ---------------------------------------------------------------------------------------------
// JSON syntax errors in whole documents (offsets into the document)

TEST_CASE("§1.3 empty input (empty_input)") {
  CM_TEXT(canonical(""),
          R"(empty_input 40000/400 at 0: empty input; a capability is a JSON object such as {"channel":["subscribe"]})");
  CM_TEXT(canonical(" \n\t\r "),
          R"(empty_input 40000/400 at 0: empty input; a capability is a JSON object such as {"channel":["subscribe"]})");
}

TEST_CASE("§1.3 a byte order mark is an error (byte_order_mark)") {
  CM_TEXT(canonical("\xEF\xBB\xBF{}"),
          "byte_order_mark 40000/400 at 0: byte order mark at byte 0; capability JSON must start with '{'");
  CM_TEXT(canonical("\xEF\xBB\xBF"),
          "byte_order_mark 40000/400 at 0: byte order mark at byte 0; capability JSON must start with '{'");
}

TEST_CASE("§1.1 insignificant whitespace is accepted anywhere, and only JSON's four whitespace bytes") {
  CM_TEXT(canonical(" \t\r\n{ \n\"a\" \t:\r [ \"subscribe\" ,\n\"publish\" ] , \"b\":[\"*\"]\t}\r\n "),
          R"({"a":["publish","subscribe"],"b":["*"]})");
  CM_TEXT(canonical("{ }"), "{}");
  // Form feed, vertical tab and NBSP are not JSON whitespace.
  CM_TEXT(canonical("\f{}"), "invalid_json 40000/400 at 0: unexpected byte 0x0C at byte 0; expected a JSON object");
  CM_TEXT(canonical("{\v}"), "invalid_json 40000/400 at 1: unexpected byte 0x0B at byte 1; expected a string");
  CM_TEXT(canonical("{\"a\":\xC2\xA0[\"*\"]}"),
          "invalid_json 40000/400 at 5: unexpected byte 0xC2 at byte 5; expected an array of operations");
}

TEST_CASE("§1.3 malformed JSON (invalid_json): exact messages and offsets") {
  CM_TEXT(canonical("x"), "invalid_json 40000/400 at 0: unexpected character 'x' at byte 0; expected a JSON object");
  CM_TEXT(canonical("{"), "invalid_json 40000/400 at 1: unexpected end of input at byte 1; expected a string");
  CM_TEXT(canonical(R"({a:["*"]})"),
          "invalid_json 40000/400 at 1: unexpected character 'a' at byte 1; expected a string");
  CM_TEXT(canonical(R"({"a")"),
          "invalid_json 40000/400 at 4: unexpected end of input at byte 4; expected ':' after the resource name");
  CM_TEXT(canonical(R"({"a" ["publish"]})"),
          "invalid_json 40000/400 at 5: unexpected character '[' at byte 5; expected ':' after the resource name");
  CM_TEXT(canonical(R"({"a":)"),
          "invalid_json 40000/400 at 5: unexpected end of input at byte 5; expected an array of operations");
  CM_TEXT(canonical(R"({"a":x})"),
          "invalid_json 40000/400 at 5: unexpected character 'x' at byte 5; expected an array of operations");
  CM_TEXT(canonical(R"({"a":[)"),
          "invalid_json 40000/400 at 6: unexpected end of input at byte 6; expected an operation name string");
  CM_TEXT(canonical(R"({"a":["publish" "subscribe"]})"),
          "invalid_json 40000/400 at 16: unexpected character '\"' at byte 16; expected ',' or ']'");
  CM_TEXT(canonical(R"({"a":["publish",]})"),
          "invalid_json 40000/400 at 16: unexpected character ']' at byte 16; expected an operation name string");
  CM_TEXT(canonical(R"({"a":["publish"])"),
          "invalid_json 40000/400 at 16: unexpected end of input at byte 16; expected ',' or '}'");
  CM_TEXT(canonical(R"({"a":["publish"],})"),
          "invalid_json 40000/400 at 17: unexpected character '}' at byte 17; expected a string");
  CM_TEXT(canonical(R"({"a":["publish"] "b":["*"]})"),
          "invalid_json 40000/400 at 17: unexpected character '\"' at byte 17; expected ',' or '}'");
  CM_TEXT(canonical("{\xC3\xA9}"),
          "invalid_json 40000/400 at 1: unexpected byte 0xC3 at byte 1; expected a string");
  CM_TEXT(canonical(R"({"abc)"), "invalid_json 40000/400 at 1: unterminated string starting at byte 1");
  CM_TEXT(canonical(R"({"a":["pub)"), "invalid_json 40000/400 at 6: unterminated string starting at byte 6");
  CM_TEXT(canonical(R"({"a\)"), "invalid_json 40000/400 at 3: unterminated escape at byte 3");
}

TEST_CASE("§1.3 string errors inside documents carry document offsets") {
  CM_TEXT(canonical(R"({"a\qb":["*"]})"),
          R"(invalid_escape 40000/400 at 3: invalid escape '\q' at byte 3; valid escapes are \" \\ \/ \b \f \n \r \t \uXXXX)");
  CM_TEXT(canonical(R"({"a":["\uDE00"]})"),
          R"(lone_surrogate 40000/400 at 7: lone surrogate '\uDE00' at byte 7; a \uD800-\uDBFF escape must be followed by a \uDC00-\uDFFF escape)");
  CM_TEXT(canonical(R"({"chat:\uD83D":["*"]})"),
          R"(lone_surrogate 40000/400 at 7: lone surrogate '\uD83D' at byte 7; a \uD800-\uDBFF escape must be followed by a \uDC00-\uDFFF escape)");
  CM_TEXT(canonical("{\"a\tb\":[\"*\"]}"),
          R"(control_character 40000/400 at 3: control character U+0009 in a string at byte 3; escape it (\n, \t, \u00XX))");
  CM_TEXT(canonical("{\"caf\xC3\":[\"*\"]}"), "invalid_utf8 40000/400 at 5: invalid UTF-8 at byte 5");
  CM_TEXT(canonical("{\"a\":[\"publish\xFF\"]}"), "invalid_utf8 40000/400 at 14: invalid UTF-8 at byte 14");
}

TEST_CASE("§1.3 trailing characters after the object (trailing_characters)") {
  CM_TEXT(canonical("{} {}"), "trailing_characters 40000/400 at 3: trailing characters after the capability at byte 3");
  CM_TEXT(canonical(R"({"a":["*"]}x)"),
          "trailing_characters 40000/400 at 11: trailing characters after the capability at byte 11");
  CM_TEXT(canonical("{}}"), "trailing_characters 40000/400 at 2: trailing characters after the capability at byte 2");
  // Trailing whitespace is fine; a NUL byte is not whitespace.
  CM_TEXT(canonical("{}\n\t "), "{}");
  CM_TEXT(canonical(std::string_view("{}\0", 3)),
          "trailing_characters 40000/400 at 2: trailing characters after the capability at byte 2");
}

namespace {

/// The first member i of `names` (decoded) equal to an earlier one, or names.size(): the
/// pair-by-pair definition of json_object's duplicate test.
std::size_t first_duplicate_by_pairs(const std::vector<std::string>& names) {
  for (std::size_t j = 0; j < names.size(); ++j)
    for (std::size_t i = 0; i < j; ++i)
      if (names[i] == names[j]) return j;
  return names.size();
}

}  // namespace

TEST_CASE("json_object: the duplicate-name test gives the pair-by-pair definition's error, pairwise and sorted") {
  // Objects of 0..60 members whose two-letter names come from a small alphabet (so duplicates
  // are common), written plainly or with the first letter as a \u escape (the same decoded name:
  // names compare decoded), sometimes broken after member e's name (a missing ':' or a bad
  // value) or before it (a bad name). Expected, by definition: the first duplicate j when its
  // name is read before the break, else the error of the same text with every name made
  // distinct (same lengths, same offsets), else success with the names in order.
  capmatch_test::splitmix64 rng{0xd0b1'0007};
  std::size_t duplicates = 0, sorted_duplicates = 0, breaks = 0;
  for (int round = 0; round < 4000; ++round) {
    const std::size_t n = rng.below(round % 3 == 0 ? 61 : 20);
    // (a large alphabet in the long objects: their first duplicate often comes after the
    // pairwise_members first members, where the sorted test finds it)
    const std::size_t letters = round % 3 == 0 ? 26 : 2 + rng.below(6);
    std::vector<std::string> names;
    std::vector<bool> escaped;
    for (std::size_t i = 0; i < n; ++i) {
      names.push_back({static_cast<char>('a' + rng.below(letters)), static_cast<char>('a' + rng.below(letters))});
      escaped.push_back(rng.chance(20));
    }
    // kind 0: none; 1: no ':' after member e's name; 2: bad value of e; 3: bad name of e
    const int kind = n != 0 && rng.chance(40) ? 1 + static_cast<int>(rng.below(3)) : 0;
    const std::size_t e = kind != 0 ? rng.below(n) : n;
    auto write = [&](auto name_of) {
      std::string t = "{";
      for (std::size_t i = 0; i < n; ++i) {
        if (i != 0) t += rng.chance(30) ? " , " : ",";
        const std::string name = name_of(i);
        if (kind == 3 && i == e) {
          t += "\"\\x" + name.substr(1) + "\"";  // (an invalid escape)
        } else if (escaped[i]) {
          char hex[8];
          std::snprintf(hex, sizeof hex, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(name[0])));
          t += "\"" + std::string(hex) + name.substr(1) + "\"";
        } else {
          t += "\"" + name + "\"";
        }
        if (kind == 1 && i == e) return t + " 1}";
        t += ":";
        if (kind == 2 && i == e) return t + "tru}";
        t += std::to_string(i);
      }
      return t + "}";
    };
    const std::uint64_t saved = rng.s;
    const std::string text = write([&](std::size_t i) { return names[i]; });
    rng.s = saved;  // (the same spacing)
    const std::string distinct = write([&](std::size_t i) {
      return std::string{static_cast<char>('A' + i % 26), static_cast<char>('A' + i / 26)};
    });
    const std::size_t dup = first_duplicate_by_pairs(names);
    const std::size_t read_names = kind == 3 ? e : kind != 0 ? e + 1 : n;  // names read before the break
    detail::json_object o;
    const error got = o.read(text);
    CAPTURE(text);
    if (dup < read_names) {
      ++duplicates;
      sorted_duplicates += dup >= detail::json_object::pairwise_members;
      REQUIRE(got.code() == errc::invalid_json);
      // at member dup's opening quote: count the members' opening quotes up to it
      std::size_t quote = 0, seen = 0;
      for (std::size_t k = 1; k < text.size() && seen <= dup; ++k) {
        if (text[k] == '"' && (text[k - 1] == '{' || text[k - 1] == ',' || text[k - 1] == ' ')) {
          quote = k;
          ++seen;
        }
      }
      CHECK(got.offset() == quote);
      CHECK(std::string(got.message()) == "member '" + names[dup] + "' listed twice at byte " + std::to_string(quote));
      CHECK(o.size() == 0);
    } else if (kind != 0) {
      ++breaks;
      detail::json_object d;
      const error want = d.read(distinct);
      REQUIRE(want.code() != errc::ok);
      CHECK(got.code() == want.code());
      CHECK(got.offset() == want.offset());
    } else {
      REQUIRE(got.code() == errc::ok);
      REQUIRE(o.size() == n);
      for (std::size_t i = 0; i < n; ++i) CHECK(o.key(i) == names[i]);
    }
  }
  CHECK(duplicates > 500);
  CHECK(sorted_duplicates > 50);
  CHECK(breaks > 200);
}
