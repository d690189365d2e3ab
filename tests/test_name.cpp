// Tests for name.hpp: the resource-name grammar read by one scanner for names and patterns
// (docs/semantics.md §2: §6 qualifiers, §7 segments), its limits and its exact error messages.
#include <capmatch/name.hpp>
#include <capmatch/pattern.hpp>
#include <doctest/doctest.h>

#include <bitset>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "support.hpp"

using namespace capmatch;
using capmatch_test::describe;
using capmatch_test::match;
using capmatch_test::matching;
using capmatch_test::pattern_and;
using capmatch_test::text;


namespace {

/// "[q] body" for a qualified name, "body" for an unqualified one, or the error described.
constexpr text name_parts(std::string_view s) {
  const auto n = parse_name(s);
  if (!n) return describe(n.error());
  text t;
  if (n->qualified) t.put("[").put(n->qualifier).put("] ");
  return t.put(n->body), t;
}

/// "[q] body", "[*] body" or "body" for a pattern, or the error described.
constexpr text pattern_parts(std::string_view s, std::uint32_t base = 0) {
  const auto p = parse_pattern(s, base);
  if (!p) return describe(p.error());
  text t;
  if (p->kind == qualifier_kind::any) t.put("[*] ");
  if (p->kind == qualifier_kind::named) t.put("[").put(p->qualifier).put("] ");
  return t.put(p->body), t;
}

}  // namespace


// ---------------------------------------------------------------------------------------------
// Parsing names and patterns

TEST_CASE("§6 qualifiers in names: [queue], [meta], [filter], any other name (the set is open)") {
  CM_TEXT(name_parts("[queue]app-q"), "[queue] app-q");
  CM_TEXT(name_parts("[meta]log"), "[meta] log");
  CM_TEXT(name_parts("[filter]chan"), "[filter] chan");
  CM_TEXT(name_parts("[product-x]chan:1"), "[product-x] chan:1");
  CM_TEXT(name_parts("chan"), "chan");
}

TEST_CASE("§6 qualifier values and params are dropped: [?rewind=1]chan is chan, [filter=e]chan is [filter]chan") {
  CM_TEXT(name_parts("[?rewind=1]chan"), "chan");
  CM_TEXT(name_parts("[filter=e]chan"), "[filter] chan");
  CM_TEXT(name_parts("[filter=expr?rewind=1]chan"), "[filter] chan");
  CM_TEXT(name_parts("[meta?x=y]log"), "[meta] log");
  CM_TEXT(name_parts("[?]chan"), "chan");
  CM_TEXT(pattern_parts("[?rewind=1]chan"), "chan");
  CM_TEXT(pattern_parts("[filter=e]chan"), "[filter] chan");
  CM_TEXT(pattern_parts("[*?rewind=1]chan"), "[*] chan");
}

TEST_CASE("§9 [*] is a pattern qualifier: valid in patterns, invalid in names (design 1)") {
  CM_TEXT(pattern_parts("[*]*"), "[*] *");
  CM_TEXT(pattern_parts("[*]chan"), "[*] chan");
  CM_TEXT(name_parts("[*]chan"),
          "invalid_resource 40000/400 at 0: resource name '[*]chan' at byte 0 cannot use the [*] qualifier; [*] is for "
          "capability patterns");
}

TEST_CASE("§7 the rest of the name splits into segments on ':'") {
  CM_TEXT(name_parts("chat:room:7"), "chat:room:7");
  CM_BOTH(matching("chat:*:7", "chat:room:7") == match::yes);
  CM_BOTH(matching("chat:room", "chat:room:7") == match::no);
  // ':' inside the qualifier is not a segment separator.
  CM_TEXT(name_parts("[a:b]c"), "[a:b] c");
}

TEST_CASE("design 1: malformed qualifiers are errors with exact messages (invalid_resource, empty_resource)") {
  CM_TEXT(name_parts("[]x"),
          "invalid_resource 40000/400 at 0: resource name '[]x' at byte 0 has an empty qualifier; write [queue], "
          "[meta], [*] or no brackets");
  CM_TEXT(name_parts("[=v]x"),
          "invalid_resource 40000/400 at 0: resource name '[=v]x' at byte 0 has an empty qualifier; write [queue], "
          "[meta], [*] or no brackets");
  CM_TEXT(name_parts("[a[b]x"),
          "invalid_resource 40000/400 at 0: resource name '[a[b]x' at byte 0 has '[' inside its qualifier");
  CM_TEXT(name_parts("[a][b]x"),
          "invalid_resource 40000/400 at 0: resource name '[a][b]x' at byte 0 has more than one qualifier");
  CM_TEXT(name_parts("[queue"),
          "invalid_resource 40000/400 at 0: resource name '[queue' at byte 0 has '[' without a closing ']'");
  CM_TEXT(name_parts("[meta]"),
          "empty_resource 40000/400 at 0: resource name '[meta]' at byte 0 has a qualifier but no channel name "
          "after it");
  CM_TEXT(name_parts("[?rewind=1]"),
          "empty_resource 40000/400 at 0: resource name '[?rewind=1]' at byte 0 has a qualifier but no channel "
          "name after it");
  // Patterns report the same problems as "resource", offset by where the resource starts.
  CM_TEXT(pattern_parts("[]x", 12),
          "invalid_resource 40000/400 at 12: resource '[]x' at byte 12 has an empty qualifier; write [queue], "
          "[meta], [*] or no brackets");
  CM_TEXT(pattern_parts("[queue]", 1),
          "empty_resource 40000/400 at 1: resource '[queue]' at byte 1 has a qualifier but no channel name after "
          "it; follow it with '*' for every such channel");
}

TEST_CASE("§1.3 an empty resource name is an error (empty_resource)") {
  CM_TEXT(name_parts(""), "empty_resource 40000/400 at 0: empty resource name at byte 0");
  CM_TEXT(pattern_parts("", 5), "empty_resource 40000/400 at 5: empty resource at byte 5");
}

TEST_CASE("design 2: names with an empty segment or U+0000 are invalid, offset at the empty segment") {
  CM_TEXT(name_parts(":a"), "invalid_resource 40000/400 at 0: resource name ':a' has an empty segment at byte 0");
  CM_TEXT(name_parts("a:"), "invalid_resource 40000/400 at 2: resource name 'a:' has an empty segment at byte 2");
  CM_TEXT(name_parts("a::b"), "invalid_resource 40000/400 at 2: resource name 'a::b' has an empty segment at byte 2");
  CM_TEXT(name_parts(":"), "invalid_resource 40000/400 at 0: resource name ':' has an empty segment at byte 0");
  CM_TEXT(name_parts("[queue]a::b"),
          "invalid_resource 40000/400 at 9: resource name '[queue]a::b' has an empty segment at byte 9");
  CM_TEXT(name_parts("[filter=x]a:"),
          "invalid_resource 40000/400 at 12: resource name '[filter=x]a:' has an empty segment at byte 12");
  CM_TEXT(name_parts(std::string_view("a\0b", 3)),
          "invalid_resource 40000/400 at 0: resource name 'a\\u0000b' at byte 0 contains U+0000");
}


TEST_CASE("ordinary names may contain '[' and ']' after the first byte, and '*' literally") {
  CM_TEXT(name_parts("a[b]"), "a[b]");
  CM_TEXT(name_parts("[q]a]b"), "[q] a]b");
  CM_TEXT(name_parts("*"), "*");
  CM_BOTH(matching("a[b]", "a[b]") == match::yes);
}
