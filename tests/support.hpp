// Helpers shared by the core unit tests: constexpr functions that turn a library call into
// fixed-capacity text (canonical JSON, or the full error: code, Ably code, status, offset,
// message), so that one expected string can be checked both by static_assert and by CHECK.
// SPDX-License-Identifier: MIT
#pragma once

#include <capmatch/capmatch.hpp>
#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace capmatch_test {

using namespace capmatch;

/// Fixed-capacity text returnable from constant evaluation: the library's own fixed_text,
/// with a view that can never equal an expected value once something did not fit.
template <std::size_t N = 1024>
struct basic_text {
  detail::fixed_text<N> t;

  constexpr basic_text& put(std::string_view s) { return t.append(s), *this; }
  constexpr basic_text& put_number(std::uint64_t v) { return t.append_number(v), *this; }
  [[nodiscard]] constexpr std::string_view view() const {
    return t.truncated() ? std::string_view("<text overflow>") : t.view();
  }
  [[nodiscard]] std::string str() const { return std::string(view()); }
};
using text = basic_text<>;

/// "<name> <ably>/<status> at <offset>: <message>", offset "-" when the error has none.
constexpr text describe(const error& e) {
  text t;
  t.put(name_of(e.code())).put(" ").put_number(e.ably_code()).put("/").put_number(e.status_code());
  t.put(" at ");
  if (e.has_offset()) t.put_number(e.offset());
  else t.put("-");
  return t.put(": ").put(e.message()), t;
}

constexpr text describe(const capability& c) {
  std::vector<char> out;
  c.write_json(out);
  text t;
  t.put(std::string_view(out.data(), out.size()));
  return t;
}

/// Canonical text of the parsed document, or its error described.
constexpr text canonical(std::string_view json) {
  const auto r = capability::parse(json);
  return r ? describe(*r) : describe(r.error());
}

/// The effective capability key ∩ request as text, or the error described; "key: "/"request: "
/// prefix when an input does not parse.
constexpr text intersection(std::string_view key, std::string_view request) {
  const auto k = capability::parse(key);
  if (!k) return text{}.put("key: ").put(describe(k.error()).view());
  const auto q = capability::parse(request);
  if (!q) return text{}.put("request: ").put(describe(q.error()).view());
  const auto r = intersect(*k, *q);
  return r ? describe(*r) : describe(r.error());
}

/// intersect(key) (no request) as text.
constexpr text intersection(std::string_view key) {
  const auto k = capability::parse(key);
  if (!k) return text{}.put("key: ").put(describe(k.error()).view());
  const auto r = intersect(*k);
  return r ? describe(*r) : describe(r.error());
}

/// The outcome of a check; a capability that does not parse is its own outcome so that a
/// typo in a test's JSON can never pass as "denied".
enum class verdict { allowed, denied, bad_capability };

constexpr verdict check(std::string_view cap, std::string_view name, operation op) {
  const auto c = capability::parse(cap);
  if (!c) return verdict::bad_capability;
  return c->allows(name, op) ? verdict::allowed : verdict::denied;
}

/// Outcome of matching a pattern text against a name text.
enum class match { yes, no, bad_pattern, bad_name };

constexpr match matching(std::string_view pattern_text, std::string_view name_text) {
  const auto p = parse_pattern(pattern_text);
  if (!p) return match::bad_pattern;
  const auto n = parse_name(name_text);
  if (!n) return match::bad_name;
  return matches(*p, *n) ? match::yes : match::no;
}

/// The pattern intersection a ∩ b as text, "(empty)" when no name matches both, or the error
/// of an input that is not a pattern.
constexpr text pattern_and(std::string_view a, std::string_view b) {
  const auto pa = parse_pattern(a);
  if (!pa) return describe(pa.error());
  const auto pb = parse_pattern(b);
  if (!pb) return describe(pb.error());
  std::vector<char> out;
  text t;
  if (!intersect(*pa, *pb, out)) return t.put("(empty)"), t;
  t.put(std::string_view(out.data(), out.size()));
  return t;
}

/// A parsed capability at run time; aborts the test case (REQUIRE) on a parse error.
inline capability cap_of(std::string_view json) {
  auto r = capability::parse(json);
  if (!r) {
    const std::string msg = describe(r.error()).str();
    FAIL("capability does not parse: " << msg);
  }
  return *r;
}

}  // namespace capmatch_test

/// Checks a constexpr-capable expression both at compile time and at run time.
#define CM_BOTH(...)          \
  static_assert(__VA_ARGS__); \
  CHECK(__VA_ARGS__)

/// Checks that text-valued `expr` equals `expected`, at compile time and at run time.
#define CM_TEXT(expr, expected)                                   \
  static_assert((expr).view() == std::string_view(expected));     \
  CHECK((expr).str() == std::string(expected))
