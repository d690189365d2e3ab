// capmatch — resource names, patterns, matching and pattern intersection (SEMANTICS §2, §15).
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "detail/utf8.hpp"
#include "error.hpp"
#include "limits.hpp"
#include "version.hpp"

CAPMATCH_NAMESPACE_BEGIN

/// How a name or pattern is qualified: not at all, "[*]" (patterns only: any qualifier
/// or none), or with a named qualifier such as "[queue]" or "[meta]".
enum class qualifier_kind : std::uint8_t { none, any, named };

/// A parsed resource name, e.g. "[meta]log" or "chat:room:7". A view: it points into
/// the text it was parsed from. Valid names have a non-empty body, no empty segment,
/// and no U+0000. `=value` and `?params` in the qualifier are dropped (SEMANTICS §6).
struct resource_name {
  bool qualified = false;
  std::string_view qualifier;  // without brackets and params; empty when !qualified
  std::string_view body;       // the part after the qualifier, segments joined by ':'
};

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
    return kind != qualifier_kind::named && body == "*";
  }
};

namespace detail {

struct split_result {
  qualifier_kind kind = qualifier_kind::none;
  std::string_view qualifier;
  std::string_view body;
};

/// Splits "[q=v?p]body" into its parts, shared by names and patterns. `what` is "resource"
/// or "resource name" for messages; `base` is the byte offset of `text` in the document.
[[nodiscard]] constexpr result<split_result> split_qualifier(std::string_view text, std::string_view what,
                                                             std::uint32_t base) noexcept {
  auto fail = [&](error_reason why, std::string_view tail) {
    error e(why, base);
    e.append(what).append(' ').append_quoted(text).append_at().append(tail);
    return e;
  };
  if (text.empty()) {
    error e(error_reason::empty_resource, base);
    return e.append("empty ").append(what).append_at();
  }
  for (char c : text)
    if (c == '\0') return fail(error_reason::resource_contains_nul, " contains U+0000");
  split_result out;
  if (text.front() != '[') {
    out.body = text;
    return out;
  }
  const auto close = text.find(']');
  if (close == std::string_view::npos) return fail(error_reason::unclosed_qualifier, " has '[' without a closing ']'");
  const std::string_view inside = text.substr(1, close - 1);
  if (inside.find('[') != std::string_view::npos)
    return fail(error_reason::bracket_in_qualifier, " has '[' inside its qualifier");
  out.body = text.substr(close + 1);
  const auto params = inside.find_first_of("=?");
  const std::string_view qname = inside.substr(0, params);
  if (qname.empty()) {
    // "[?rewind=1]chan" is the unqualified channel "chan" (SEMANTICS §6).
    if (params == std::string_view::npos || inside[params] != '?')
      return fail(error_reason::empty_qualifier, " has an empty qualifier; write [queue], [meta], [*] or no brackets");
    out.kind = qualifier_kind::none;
  } else {
    out.kind = qname == "*" ? qualifier_kind::any : qualifier_kind::named;
    if (out.kind == qualifier_kind::named) out.qualifier = qname;
  }
  if (out.body.empty())
    return fail(error_reason::qualifier_without_name, what == "resource"
                                          ? " has a qualifier but no channel name after it; follow it with '*' for every such channel"
                                          : " has a qualifier but no channel name after it");
  if (out.body.front() == '[') return fail(error_reason::more_than_one_qualifier, " has more than one qualifier");
  return out;
}

/// The segment of `s` starting at `pos`, up to the next ':' or the end.
[[nodiscard]] constexpr std::string_view segment_at(std::string_view s, std::size_t pos) noexcept {
  const auto end = s.find(':', pos);
  return s.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
}

}  // namespace detail

namespace detail {
/// The number of ':'-separated segments in `body`, counting no further than max_segments + 1;
/// `*beyond` gets the index of the ':' that starts segment max_segments + 1.
[[nodiscard]] constexpr std::size_t count_segments(std::string_view body, std::size_t* beyond) noexcept {
  std::size_t n = 1;
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] != ':') continue;
    if (++n > max_segments) {
      *beyond = i;
      return n;
    }
  }
  return n;
}
}  // namespace detail

/// Parses a capability resource into a pattern. `base` offsets error positions: every error
/// about a pattern points at `base` (in a document, the resource's opening quote).
/// Limits: max_resource_bytes, max_segments (errc::limit_exceeded).
[[nodiscard]] constexpr result<pattern> parse_pattern(std::string_view text, std::uint32_t base = 0) noexcept {
  if (text.size() > max_resource_bytes) {
    error e(error_reason::resource_too_long, base);
    e.append("resource of ").append_number(text.size()).append(" bytes").append_at();
    return e.append(" exceeds the limit of ").append_number(max_resource_bytes).append(" bytes (capmatch::max_resource_bytes)");
  }
  auto split = detail::split_qualifier(text, "resource", base);
  if (!split) return split.error();
  std::size_t beyond = 0;
  if (detail::count_segments(split->body, &beyond) > max_segments) {
    error e(error_reason::too_many_segments, base);
    e.append("resource ").append_quoted(text).append(" has more than ").append_number(max_segments);
    return e.append(" segments").append_at().append(" (capmatch::max_segments)");
  }
  return pattern{split->kind, split->qualifier, split->body};
}

/// Parses a resource name to check (channel, queue or metachannel name). Error offsets are
/// byte offsets in `text`. Limits: max_resource_bytes, max_segments (errc::limit_exceeded).
[[nodiscard]] constexpr result<resource_name> parse_name(std::string_view text) noexcept {
  if (text.size() > max_resource_bytes) {
    error e(error_reason::resource_too_long, static_cast<std::uint32_t>(max_resource_bytes));
    e.append("resource name of ").append_number(text.size()).append(" bytes exceeds the limit of ");
    return e.append_number(max_resource_bytes).append(" bytes (capmatch::max_resource_bytes)");
  }
  if (const std::size_t bad = detail::utf8_invalid_at(text); bad != text.size()) {
    error e(error_reason::name_invalid_utf8, static_cast<std::uint32_t>(bad));
    return e.append("resource name ").append_quoted(text).append(" is not well-formed UTF-8").append_at();
  }
  auto split = detail::split_qualifier(text, "resource name", 0);
  if (!split) return split.error();
  if (split->kind == qualifier_kind::any) {
    error e(error_reason::any_qualifier_in_name, 0);
    return e.append("resource name ").append_quoted(text).append_at().append(
        " cannot use the [*] qualifier; [*] is for capability patterns");
  }
  const std::string_view body = split->body;
  const auto body_at = static_cast<std::uint32_t>(text.size() - body.size());
  for (std::size_t i = 0; i <= body.size(); ++i) {
    const bool boundary = i == body.size() || body[i] == ':';
    const bool starts_segment = i == 0 || body[i - 1] == ':';
    if (boundary && starts_segment) {
      error e(error_reason::empty_segment, body_at + static_cast<std::uint32_t>(i));
      return e.append("resource name ").append_quoted(text).append(" has an empty segment").append_at();
    }
  }
  std::size_t beyond = 0;
  if (detail::count_segments(body, &beyond) > max_segments) {
    error e(error_reason::too_many_segments, body_at + static_cast<std::uint32_t>(beyond));
    e.append("resource name ").append_quoted(text).append(" has more than ").append_number(max_segments);
    return e.append(" segments").append_at().append(" (capmatch::max_segments)");
  }
  return resource_name{split->kind == qualifier_kind::named, split->qualifier, body};
}

/// True when pattern `p` matches name `n` (SEMANTICS §8–10).
[[nodiscard]] constexpr bool matches(const pattern& p, const resource_name& n) noexcept {
  if (p.kind == qualifier_kind::none ? n.qualified
      : p.kind == qualifier_kind::named ? (!n.qualified || n.qualifier != p.qualifier)
                                         : false)
    return false;
  std::size_t i = 0, j = 0;
  for (;;) {
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

/// Exact set intersection of two patterns (SEMANTICS §15): appends the text of the one
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
