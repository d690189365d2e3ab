// capmatch — capability patterns (docs/semantics.md §2, rules 7-10): parse_pattern, matching
// a name, pattern intersection (rule 15) and containment. The grammar is name.hpp's scanner.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "error.hpp"
#include "limits.hpp"
#include "name.hpp"
#include "version.hpp"

CAPMATCH_NAMESPACE_BEGIN

/// A parsed capability resource (a pattern), e.g. "chat:*" or "[*]*". A view into its text.
/// Segments split on ':'; a segment that is exactly "*" is a wildcard: one segment in the
/// middle, one or more as the last segment. A pattern with an empty segment (":a", "a::b",
/// "a:") is valid but matches no name.
struct pattern {
  qualifier_kind kind = qualifier_kind::none;
  std::string_view qualifier;  // when kind == named: without brackets and params
  std::string_view body;

  /// True when the last segment is "*" (it then matches one or more segments).
  [[nodiscard]] constexpr bool trailing_wildcard() const noexcept {
    return body == "*" || (body.size() >= 2 && body.substr(body.size() - 2) == ":*");
  }
  /// True when some segment is empty, so that no valid name matches.
  [[nodiscard]] constexpr bool matches_nothing() const noexcept {
    return body.empty() || body.front() == ':' || body.back() == ':' ||
           body.find("::") != std::string_view::npos;
  }
  /// True when it matches every unqualified name ("*" or "[*]*"): where app-wide ops count.
  [[nodiscard]] constexpr bool covers_all_channels() const noexcept {
    return kind != qualifier_kind::named && body.size() == 1 && body[0] == '*';  // (not == "*": a memcmp call)
  }
};

/// Parses a capability resource into a pattern. `base` offsets error positions: every error
/// about a pattern points at `base` (in a document, the resource's opening quote). The text
/// must be well-formed UTF-8. Limits: max_resource_bytes, max_segments (errc::limit_exceeded).
[[nodiscard]] constexpr result<pattern> parse_pattern(std::string_view text, std::uint32_t base = 0) noexcept {
  auto scan = detail::scan_resource(text, detail::resource_role::pattern, base);
  if (!scan) return scan.error();
  if (scan->beyond != std::string_view::npos) {
    error e(error_reason::too_many_segments, base);
    e.append("resource ").append_quoted(text).append(" has more than ").append_number(max_segments);
    return e.append(" segments").append_at().append(" (capmatch::max_segments)");
  }
  return pattern{scan->kind, scan->qualifier, scan->body};
}

namespace detail {
/// matches() below, adding to `steps` one per segment position compared: at most the name's
/// segment count, so the work is linear (the tests bound it with this count).
[[nodiscard]] constexpr bool matches_counted(const pattern& p, const resource_name& n, std::size_t& steps) noexcept {
  if (p.kind == qualifier_kind::none ? n.qualified
      : p.kind == qualifier_kind::named ? (!n.qualified || n.qualifier != p.qualifier)
                                         : false)
    return false;
  std::size_t i = 0, j = 0;
  for (;; ++steps) {
    const std::string_view ps = detail::segment_at(p.body, i);
    const std::string_view ns = detail::segment_at(n.body, j);
    const bool last_p = i + ps.size() == p.body.size();
    const bool last_n = j + ns.size() == n.body.size();
    if (ps == "*") {
      if (last_p) return true;  // a trailing "*" takes this and any further segments
    } else if (ps != ns) {
      return false;
    }
    if (last_p || last_n) return last_p && last_n;
    i += ps.size() + 1;
    j += ns.size() + 1;
  }
}
}  // namespace detail

/// True when pattern `p` matches name `n` (docs/semantics.md §8–10). One pass over both texts.
[[nodiscard]] constexpr bool matches(const pattern& p, const resource_name& n) noexcept {
  std::size_t steps = 0;
  return detail::matches_counted(p, n, steps);
}

/// Appends the text of a pattern in normal form ("[q]body", "[*]body" or "body", params dropped).
constexpr void append_text(const pattern& p, std::vector<char>& out) {
  auto put = [&](std::string_view s) { out.insert(out.end(), s.begin(), s.end()); };
  if (p.kind == qualifier_kind::any) put("[*]");
  if (p.kind == qualifier_kind::named) {
    put("[");
    put(p.qualifier);
    put("]");
  }
  put(p.body);
}

namespace detail {
/// contains(outer, inner) with each pattern's matches_nothing() and trailing_wildcard() given
/// (pattern_facts holds them: intersect asks about many pairs of the same patterns).
[[nodiscard]] constexpr bool contains_known(const pattern& a, bool a_nothing, bool ta, const pattern& b, bool b_nothing,
                                            bool tb) noexcept {
  if (a_nothing || b_nothing) return false;
  // Qualifiers: [*] holds every qualifier and none; otherwise they must be the same.
  if (a.kind != qualifier_kind::any &&
      (a.kind != b.kind || (a.kind == qualifier_kind::named && a.qualifier != b.qualifier)))
    return false;
  std::size_t i = 0, j = 0;
  for (;;) {
    const std::string_view sa = detail::segment_at(a.body, i), sb = detail::segment_at(b.body, j);
    const bool last_a = i + sa.size() == a.body.size(), last_b = j + sb.size() == b.body.size();
    if (last_a && ta) return true;         // a's trailing '*' takes b's remaining segments, wildcards too
    if (sa != "*" && (sa != sb || sb == "*")) return false;  // a literal holds only that literal
    if (last_a || last_b) return last_a && last_b && !tb;    // same length; b unbounded only if a is
    i += sa.size() + 1;
    j += sb.size() + 1;
  }
}
}  // namespace detail

/// True when `outer` matches every name `inner` matches (pattern containment). Exact, and
/// equivalent to "outer ∩ inner is inner itself in normal form" (tests check the two agree);
/// decided segment by segment without allocating, since lint and covers compare many pairs.
/// Patterns that match nothing are never contained and contain nothing.
[[nodiscard]] constexpr bool contains(const pattern& outer, const pattern& inner) noexcept {
  return detail::contains_known(outer, outer.matches_nothing(), outer.trailing_wildcard(), inner,
                                inner.matches_nothing(), inner.trailing_wildcard());
}

namespace detail {
/// A pattern with the facts intersect needs, computed once (each is a pass over the body).
struct pattern_facts {
  pattern p;
  std::size_t segments = 0;
  bool trailing = false;
  bool nothing = false;
  constexpr explicit pattern_facts(const pattern& q) noexcept
      : p(q), segments(1), trailing(q.trailing_wildcard()), nothing(q.matches_nothing()) {
    for (char c : q.body) segments += c == ':';
  }
};
constexpr bool intersect(const pattern_facts& fa, const pattern_facts& fb, std::vector<char>& out);
}  // namespace detail

/// Exact set intersection of two patterns (docs/semantics.md §15): appends the text of the one
/// pattern that matches exactly the names both match and returns true, or returns false
/// (appending nothing) when no name matches both. Linear in the shorter pattern.
constexpr bool intersect(const pattern& a, const pattern& b, std::vector<char>& out) {
  return detail::intersect(detail::pattern_facts(a), detail::pattern_facts(b), out);
}

namespace detail {
constexpr bool intersect(const pattern_facts& fa, const pattern_facts& fb, std::vector<char>& out) {
  const pattern& a = fa.p;
  const pattern& b = fb.p;
  if (fa.nothing || fb.nothing) return false;
  pattern q;
  if (a.kind == qualifier_kind::any) {
    q = b;
  } else if (b.kind == qualifier_kind::any || a.kind == b.kind) {
    q = a;
    if (a.kind == qualifier_kind::named && b.kind == qualifier_kind::named && a.qualifier != b.qualifier)
      return false;
  } else {
    return false;
  }
  const std::size_t na = fa.segments, nb = fb.segments;
  const bool ta = fa.trailing, tb = fb.trailing;
  if (!ta && !tb && na != nb) return false;
  if (!ta && tb && na < nb) return false;
  if (ta && !tb && nb < na) return false;
  const std::size_t len = (ta && tb) ? (na > nb ? na : nb) : (ta ? nb : na);
  const std::size_t mark = out.size();
  q.body = {};
  append_text(q, out);
  std::size_t i = 0, j = 0;
  for (std::size_t k = 0; k < len; ++k) {
    // Past its last segment, a pattern with a trailing "*" still covers any segment.
    const std::string_view sa = k < na ? segment_at(a.body, i) : std::string_view("*");
    const std::string_view sb = k < nb ? segment_at(b.body, j) : std::string_view("*");
    std::string_view s;
    if (sa == "*") s = sb;
    else if (sb == "*" || sa == sb) s = sa;
    else {
      out.resize(mark);
      return false;
    }
    if (k != 0) out.push_back(':');
    out.insert(out.end(), s.begin(), s.end());
    if (k < na) i += sa.size() + 1;
    if (k < nb) j += sb.size() + 1;
  }
  return true;
}
}  // namespace detail

CAPMATCH_NAMESPACE_END
