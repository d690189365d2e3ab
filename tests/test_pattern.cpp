// Tests for pattern.hpp: patterns (docs/semantics.md §2: §8 wildcards, §9 qualifier matching,
// §10 exact comparison), parse_pattern's checks, and exact pattern intersection (§15).
#include <capmatch/capability_builder.hpp>
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

/// "[q] body", "[*] body" or "body" for a pattern, or the error described.
constexpr text pattern_parts(std::string_view s, std::uint32_t base = 0) {
  const auto p = parse_pattern(s, base);
  if (!p) return describe(p.error());
  text t;
  if (p->kind == qualifier_kind::any) t.put("[*] ");
  if (p->kind == qualifier_kind::named) t.put("[").put(p->qualifier).put("] ");
  return t.put(p->body), t;
}

constexpr bool matches_nothing(std::string_view s) {
  const auto p = parse_pattern(s);
  return p && p->matches_nothing();
}

// --- an independent reference for §6-§9, used by the exhaustive test ---------------------

struct ref_resource {
  int kind = 0;  // 0 none, 1 any ([*]), 2 named
  std::string qualifier;
  std::vector<std::string> segments;
};

ref_resource ref_parse(const std::string& s) {
  ref_resource r;
  std::string body = s;
  if (!s.empty() && s[0] == '[') {
    const auto close = s.find(']');
    const std::string inside = s.substr(1, close - 1);
    const std::string q = inside.substr(0, inside.find_first_of("=?"));
    r.kind = q.empty() ? 0 : q == "*" ? 1 : 2;
    if (r.kind == 2) r.qualifier = q;
    body = s.substr(close + 1);
  }
  std::size_t start = 0;
  for (;;) {
    const auto colon = body.find(':', start);
    r.segments.push_back(body.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return r;
}

bool ref_match(const ref_resource& p, const ref_resource& n) {
  const bool n_qualified = n.kind == 2;
  if (p.kind == 0 && n_qualified) return false;
  if (p.kind == 2 && (!n_qualified || n.qualifier != p.qualifier)) return false;
  const auto& ps = p.segments;
  const auto& ns = n.segments;
  for (std::size_t i = 0; i < ps.size(); ++i) {
    if (ps[i] == "*" && i + 1 == ps.size()) return ns.size() >= ps.size();  // trailing: one or more
    if (i >= ns.size()) return false;
    if (ps[i] == "*") continue;  // exactly one segment
    if (ps[i] != ns[i]) return false;
  }
  return ns.size() == ps.size();
}

/// Every body of 1..max_len segments over `alphabet`, joined with ':'.
std::vector<std::string> bodies(const std::vector<std::string>& alphabet, std::size_t max_len) {
  std::vector<std::string> out, layer{""};
  for (std::size_t len = 1; len <= max_len; ++len) {
    std::vector<std::string> next;
    for (const auto& prefix : layer)
      for (const auto& seg : alphabet) next.push_back(prefix.empty() ? seg : prefix + ":" + seg);
    out.insert(out.end(), next.begin(), next.end());
    layer = next;
  }
  return out;
}

}  // namespace

TEST_CASE("design 3: patterns with an empty segment are valid but match nothing") {
  CM_TEXT(pattern_parts(":a"), ":a");
  CM_TEXT(pattern_parts("a::b"), "a::b");
  CM_BOTH(matches_nothing(":a"));
  CM_BOTH(matches_nothing("a:"));
  CM_BOTH(matches_nothing("a::b"));
  CM_BOTH(matches_nothing("[queue]*:"));
  CM_BOTH(!matches_nothing("a:b"));
  CM_BOTH(!matches_nothing("[*]*"));
  CM_BOTH(matching("a:", "a:b") == match::no);
  CM_BOTH(matching("a::b", "a:x:b") == match::no);
  CM_BOTH(matching(":*", "x:y") == match::no);
  CM_BOTH(matching("*:", "x:y") == match::no);
  CM_BOTH(matching("a:*:", "a:b:c") == match::no);
}


// ---------------------------------------------------------------------------------------------
// §8 wildcards

TEST_CASE("§8 namespace:* matches namespace:channel and namespace:channel:other") {
  CM_BOTH(matching("namespace:*", "namespace:channel") == match::yes);
  CM_BOTH(matching("namespace:*", "namespace:channel:other") == match::yes);
  CM_BOTH(matching("namespace:*", "other:channel") == match::no);
  CM_BOTH(matching("namespace:*", "namespaces:channel") == match::no);
}

TEST_CASE("§8 decision: foo:* does not match the bare foo") {
  CM_BOTH(matching("foo:*", "foo") == match::no);
  CM_BOTH(matching("foo:bar:*", "foo:bar") == match::no);
  CM_BOTH(matching("*:*", "foo") == match::no);
}

TEST_CASE("§8 a middle * matches exactly one segment: foo:*:baz matches foo:bar:baz, not foo:bar:bam:baz") {
  CM_BOTH(matching("foo:*:baz", "foo:bar:baz") == match::yes);
  CM_BOTH(matching("foo:*:baz", "foo:bar:bam:baz") == match::no);
  CM_BOTH(matching("foo:*:baz", "foo:baz") == match::no);
  CM_BOTH(matching("foo:*:baz", "foo:bar:baz:qux") == match::no);
  CM_BOTH(matching("*:b", "a:b") == match::yes);
  CM_BOTH(matching("*:b", "b") == match::no);
  CM_BOTH(matching("*:b", "a:x:b") == match::no);
  CM_BOTH(matching("*:*:c", "a:b:c") == match::yes);
}

TEST_CASE("§8 a trailing * matches one or more segments") {
  CM_BOTH(matching("*", "a") == match::yes);
  CM_BOTH(matching("*", "a:b:c") == match::yes);
  CM_BOTH(matching("a:*:*", "a:b:c") == match::yes);
  CM_BOTH(matching("a:*:*", "a:b:c:d") == match::yes);
  CM_BOTH(matching("a:*:*", "a:b") == match::no);
  CM_BOTH(matching("*:*", "a:b:c") == match::yes);
}

TEST_CASE("§8 * inside a segment is literal: foo* matches only the channel named foo*") {
  CM_BOTH(matching("foo*", "foo*") == match::yes);
  CM_BOTH(matching("foo*", "foo") == match::no);
  CM_BOTH(matching("foo*", "foobar") == match::no);
  CM_BOTH(matching("foo*", "foo:bar") == match::no);
  CM_BOTH(matching("a:*b", "a:*b") == match::yes);
  CM_BOTH(matching("a:*b", "a:xb") == match::no);
  CM_BOTH(matching("**", "ab") == match::no);
  CM_BOTH(matching("**", "**") == match::yes);
  // A name may be literally "*"; the pattern "*" matches it like any other segment.
  CM_BOTH(matching("*", "*") == match::yes);
  CM_BOTH(matching("a", "*") == match::no);
}

// ---------------------------------------------------------------------------------------------
// §9 qualifiers in matching

TEST_CASE("§9 an unqualified pattern (including *) matches only unqualified names") {
  CM_BOTH(matching("*", "[queue]app-q") == match::no);
  CM_BOTH(matching("*", "[meta]log") == match::no);
  CM_BOTH(matching("*", "[filter]chan") == match::no);
  CM_BOTH(matching("chan", "[filter]chan") == match::no);
  CM_BOTH(matching("chan", "chan") == match::yes);
}

TEST_CASE("§9 [queue]* is all queues and [meta]* all metachannels; other qualifiers do not match") {
  CM_BOTH(matching("[queue]*", "[queue]app-q") == match::yes);
  CM_BOTH(matching("[queue]*", "[queue]a:b") == match::yes);
  CM_BOTH(matching("[queue]*", "app-q") == match::no);
  CM_BOTH(matching("[queue]*", "[meta]log") == match::no);
  CM_BOTH(matching("[meta]*", "[meta]log") == match::yes);
  CM_BOTH(matching("[meta]*", "log") == match::no);
  CM_BOTH(matching("[meta]log", "[meta]log") == match::yes);
  CM_BOTH(matching("[meta]log", "[meta]other") == match::no);
  // Qualifier names compare exactly, like segments.
  CM_BOTH(matching("[Queue]*", "[queue]a") == match::no);
}

TEST_CASE("§9 [*]* matches everything; [*]chan matches chan, [filter]chan, [meta]chan") {
  CM_BOTH(matching("[*]*", "a") == match::yes);
  CM_BOTH(matching("[*]*", "a:b:c") == match::yes);
  CM_BOTH(matching("[*]*", "[queue]a") == match::yes);
  CM_BOTH(matching("[*]*", "[meta]x:y") == match::yes);
  CM_BOTH(matching("[*]*", "[filter=e?rewind=1]chan") == match::yes);
  CM_BOTH(matching("[*]chan", "chan") == match::yes);
  CM_BOTH(matching("[*]chan", "[filter]chan") == match::yes);
  CM_BOTH(matching("[*]chan", "[meta]chan") == match::yes);
  CM_BOTH(matching("[*]chan", "[meta]other") == match::no);
  CM_BOTH(matching("[*]chan", "chan:x") == match::no);
}

TEST_CASE("§6/§9 params are dropped when matching") {
  // [?rewind=1]chan is the unqualified chan.
  CM_BOTH(matching("chan", "[?rewind=1]chan") == match::yes);
  CM_BOTH(matching("*", "[?rewind=1]chan") == match::yes);
  CM_BOTH(matching("[?rewind=1]chan", "chan") == match::yes);
  CM_BOTH(matching("[queue]*", "[?rewind=1]chan") == match::no);
  // [filter=e]chan is [filter]chan.
  CM_BOTH(matching("[filter]chan", "[filter=e]chan") == match::yes);
  CM_BOTH(matching("[filter=other]chan", "[filter=e]chan") == match::yes);
  CM_BOTH(matching("[filter=x?y=z]*", "[filter]chan") == match::yes);
  CM_BOTH(matching("chan", "[filter=e]chan") == match::no);
  CM_BOTH(matching("*", "[filter=e]chan") == match::no);
  CM_BOTH(matching("[meta]chan", "[filter=e]chan") == match::no);
}

TEST_CASE("§10 segment comparison is exact, case-sensitive, byte for byte") {
  CM_BOTH(matching("chat", "Chat") == match::no);
  CM_BOTH(matching("chat:Bob", "chat:bob") == match::no);
  CM_BOTH(matching("chat:*", "CHAT:bob") == match::no);
  CM_BOTH(matching("caf\xC3\xA9", "caf\xC3\xA9") == match::yes);
  CM_BOTH(matching("caf\xC3\xA9", "cafe\xCC\x81") == match::no);  // no Unicode normalization
  CM_BOTH(matching("chat ", "chat") == match::no);
  CM_BOTH(matching("a:b", "a:b ") == match::no);
}

TEST_CASE("matching an invalid name or pattern is reported, never a silent match") {
  CM_BOTH(matching("*", "a::b") == match::bad_name);
  CM_BOTH(matching("[*]*", "[*]x") == match::bad_name);
  CM_BOTH(matching("[]*", "a") == match::bad_pattern);
}

// ---------------------------------------------------------------------------------------------
// §15 pattern intersection

TEST_CASE("§15 pattern intersection examples from docs/semantics.md") {
  CM_TEXT(pattern_and("chat:*", "chat:bob"), "chat:bob");
  CM_TEXT(pattern_and("*", "cansubscribe:*"), "cansubscribe:*");
  CM_TEXT(pattern_and("foo:*", "*"), "foo:*");
  CM_TEXT(pattern_and("foo:*:baz", "foo:bar:*"), "foo:bar:baz");
  CM_TEXT(pattern_and("foo:bar:*", "foo:*:baz"), "foo:bar:baz");
}

TEST_CASE("§15 [*]* ∩ K = K for any K, both ways round") {
  for (std::string_view k : {"chat", "*", "chat:*", "[queue]*", "[meta]log", "[*]chan", "[*]*", "a:*:c"}) {
    CAPTURE(k);
    CHECK(pattern_and("[*]*", k).str() == std::string(k));
    CHECK(pattern_and(k, "[*]*").str() == std::string(k));
  }
  CM_TEXT(pattern_and("[*]*", "[queue]*"), "[queue]*");
  CM_TEXT(pattern_and("chat:*", "[*]*"), "chat:*");
}

TEST_CASE("§15 empty pattern intersections") {
  CM_TEXT(pattern_and("chat:*", "chat"), "(empty)");  // foo:* does not match foo
  CM_TEXT(pattern_and("a", "b"), "(empty)");
  CM_TEXT(pattern_and("a:*:c", "a:b"), "(empty)");
  CM_TEXT(pattern_and("a:*:c", "a:*:d"), "(empty)");
  CM_TEXT(pattern_and("*:b", "*:*:b"), "(empty)");
  CM_TEXT(pattern_and("*", "[queue]x"), "(empty)");
  CM_TEXT(pattern_and("[queue]*", "[meta]*"), "(empty)");
  CM_TEXT(pattern_and("[queue]*", "chan"), "(empty)");
  CM_TEXT(pattern_and("foo*", "foo:*"), "(empty)");
  CM_TEXT(pattern_and("chat", "Chat"), "(empty)");
  // Design 3: a pattern with an empty segment intersects nothing, even itself.
  CM_TEXT(pattern_and("a::b", "a::b"), "(empty)");
  CM_TEXT(pattern_and("a:", "*"), "(empty)");
  CM_TEXT(pattern_and("[*]*", ":a"), "(empty)");
}

TEST_CASE("§15 more exact intersections: lengths, middle and trailing wildcards, literal stars") {
  CM_TEXT(pattern_and("a:b:c", "a:*"), "a:b:c");
  CM_TEXT(pattern_and("*:b", "a:*"), "a:b");
  CM_TEXT(pattern_and("*", "*:*"), "*:*");
  CM_TEXT(pattern_and("a:*", "*:*"), "a:*");
  CM_TEXT(pattern_and("*:*", "*"), "*:*");
  CM_TEXT(pattern_and("a:*:*", "*:b"), "(empty)");
  CM_TEXT(pattern_and("a:*:*", "*:b:*"), "a:b:*");
  CM_TEXT(pattern_and("a:*", "*:b:*"), "a:b:*");
  CM_TEXT(pattern_and("a:*:c", "a:*"), "a:*:c");
  CM_TEXT(pattern_and("*", "x:*:y"), "x:*:y");
  CM_TEXT(pattern_and("foo*", "*"), "foo*");
  CM_TEXT(pattern_and("a", "a"), "a");
}

TEST_CASE("§15 qualifiers in pattern intersection; results are in normal form (design 7)") {
  CM_TEXT(pattern_and("[*]chan", "[queue]*"), "[queue]chan");
  CM_TEXT(pattern_and("[queue]*", "[*]chan"), "[queue]chan");
  CM_TEXT(pattern_and("[*]chan", "*"), "chan");
  CM_TEXT(pattern_and("[*]a:*", "[*]*:b"), "[*]a:b");
  CM_TEXT(pattern_and("[queue]a:*", "[queue]*:b"), "[queue]a:b");
  // Params dropped in the result.
  CM_TEXT(pattern_and("[filter=e]chan", "[*]*"), "[filter]chan");
  CM_TEXT(pattern_and("[?rewind=1]chan", "chan"), "chan");
  CM_TEXT(pattern_and("[filter=a]*", "[filter=b?x=1]chan"), "[filter]chan");
  CM_TEXT(pattern_and("[*?x=1]*", "[*]*"), "[*]*");
}

TEST_CASE("§15 exhaustive: pattern intersection is exact set intersection and matching follows §8-§9") {
  std::vector<std::string> pattern_texts;
  auto pattern_bodies = bodies({"a", "b", "*"}, 3);
  for (const char* odd : {":a", "a:", "a::b", "*:", "a*"}) pattern_bodies.emplace_back(odd);
  for (const char* q : {"", "[q]", "[r]", "[*]", "[?p=1]", "[q=v]"})
    for (const auto& b : pattern_bodies) pattern_texts.push_back(q + b);
  std::vector<std::string> name_texts;
  auto name_bodies = bodies({"a", "b", "*"}, 4);
  name_bodies.emplace_back("a*");
  for (const char* q : {"", "[q]", "[r]", "[q=x?y]", "[?z]"})
    for (const auto& b : name_bodies) name_texts.push_back(q + b);

  constexpr std::size_t max_names = 700;
  REQUIRE(name_texts.size() <= max_names);
  std::vector<resource_name> names;
  std::vector<ref_resource> ref_names;
  for (const auto& n : name_texts) {
    names.push_back(parse_name(n).value());
    ref_names.push_back(ref_parse(n));
  }
  std::vector<pattern> patterns;
  std::vector<std::bitset<max_names>> sets;
  std::size_t ref_mismatch = 0;
  std::string first_ref_mismatch;
  for (const auto& pt : pattern_texts) {
    const auto p = parse_pattern(pt);
    REQUIRE(p);
    patterns.push_back(*p);
    std::bitset<max_names> set;
    const auto rp = ref_parse(pt);
    for (std::size_t i = 0; i < names.size(); ++i) {
      const bool m = matches(*p, names[i]);
      set[i] = m;
      if (m != ref_match(rp, ref_names[i]) && ref_mismatch++ == 0) first_ref_mismatch = pt + " vs " + name_texts[i];
    }
    sets.push_back(set);
  }
  CHECK_MESSAGE(ref_mismatch == 0, "matches() disagrees with the reference, first: " << first_ref_mismatch);

  std::size_t wrong = 0, nonempty = 0;
  std::string first_wrong;
  std::vector<char> out;
  for (std::size_t a = 0; a < patterns.size(); ++a) {
    for (std::size_t b = 0; b < patterns.size(); ++b) {
      out.clear();
      const bool some = intersect(patterns[a], patterns[b], out);
      const auto expected = sets[a] & sets[b];
      std::bitset<max_names> got;
      bool ok = true;
      if (some) {
        ++nonempty;
        const std::string_view result(out.data(), out.size());
        const auto p = parse_pattern(result);
        ok = p.has_value();
        if (ok)
          for (std::size_t i = 0; i < names.size(); ++i) got[i] = matches(*p, names[i]);
      }
      // An empty result must mean "no name matches both"; a result must match exactly those.
      if (!ok || got != expected) {
        if (wrong++ == 0)
          first_wrong = pattern_texts[a] + " ∩ " + pattern_texts[b] + " = " +
                        (some ? std::string(out.begin(), out.end()) : std::string("(empty)"));
      }
    }
  }
  CHECK_MESSAGE(wrong == 0, wrong << " wrong intersections, first: " << first_wrong);
  CHECK(nonempty > 1000);  // the universe is not degenerate
}
TEST_CASE("parse_pattern refuses text that is not well-formed UTF-8 (a direct call, not only a document)") {
  // An overlong ':' (C0 BA) must not read as a segment separator, nor a stray byte as a name.
  CM_TEXT(pattern_parts("x:p\xc0\xbaq:*"),
          "invalid_resource 40000/400 at 0: resource 'x:p\\xC0\\xBAq:*' is not well-formed UTF-8 at byte 0");
  CM_TEXT(pattern_parts("ch\xff", 9), "invalid_resource 40000/400 at 9: resource 'ch\\xFF' is not well-formed UTF-8 at byte 9");
  CM_TEXT(pattern_parts("[q\xed\xa0\x80]*"),
          "invalid_resource 40000/400 at 0: resource '[q\\xED\\xA0\\x80]*' is not well-formed UTF-8 at byte 0");
  CM_TEXT(pattern_parts("caf\xc3\xa9:*"), "caf\xc3\xa9:*");  // well-formed: accepted
  // The builder takes patterns through the same check: it never accepts invalid UTF-8.
  capability_builder b;
  b.add(std::string_view("ok:\xc0\xba", 5), op_set(operation::publish));
  const auto built = b.build();
  REQUIRE(!built);
  CHECK(built.error().code() == errc::invalid_utf8);
}
