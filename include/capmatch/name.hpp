// capmatch — the resource-name grammar: qualifier, params, segments, UTF-8 (docs/semantics.md §2,
// rules 6, 7, 10), read by one scanner shared with patterns (pattern.hpp); parse_name.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "detail/utf8.hpp"
#include "error.hpp"
#include "limits.hpp"
#include "version.hpp"

CAPMATCH_NAMESPACE_BEGIN

/// How a name or pattern is qualified: not at all, "[*]" (patterns only: any qualifier
/// or none), or with a named qualifier such as "[queue]" or "[meta]".
enum class qualifier_kind : std::uint8_t { none, any, named };

/// A parsed resource name, e.g. "[meta]log" or "chat:room:7". A view: it points into
/// the text it was parsed from. Valid names are well-formed UTF-8 with a non-empty body, no
/// empty segment, and no U+0000. `=value` and `?params` in the qualifier are dropped
/// (docs/semantics.md §6).
struct resource_name {
  bool qualified = false;
  std::string_view qualifier;  // without brackets and params; empty when !qualified
  std::string_view body;       // the part after the qualifier, segments joined by ':'
};

namespace detail {

/// Which grammar the scanner reads: a capability pattern ("resource") or a name to check.
enum class resource_role : bool { pattern, name };

/// What one scan of a resource finds. Offsets `empty_segment` and `beyond` are in `body`.
struct scanned_resource {
  qualifier_kind kind = qualifier_kind::none;
  std::string_view qualifier;  // when kind == named: without brackets and params
  std::string_view body;
  std::size_t empty_segment = std::string_view::npos;  // start of the first empty segment
  std::size_t beyond = std::string_view::npos;         // the ':' that starts segment max_segments + 1
};

/// The one scanner of the resource grammar, for names and patterns: length limit, UTF-8,
/// U+0000, the qualifier "[q=v?p]" and the segments. It reports what it finds; parse_name and
/// parse_pattern decide which findings are errors. Errors point at byte `base` for a pattern
/// (in a document, the resource's opening quote) and at the offending byte for a name.
[[nodiscard]] constexpr result<scanned_resource> scan_resource(std::string_view text, resource_role role,
                                                               std::uint32_t base) noexcept {
  const bool name = role == resource_role::name;
  const std::string_view what = name ? "resource name" : "resource";
  auto fail = [&](error_reason why, std::string_view tail) {
    error e(why, base);
    e.append(what).append(' ').append_quoted(text).append_at().append(tail);
    return e;
  };
  if (text.size() > max_resource_bytes) {
    error e(error_reason::resource_too_long, name ? static_cast<std::uint32_t>(max_resource_bytes) : base);
    e.append(what).append(" of ").append_number(text.size()).append(" bytes");
    if (!name) e.append_at();
    return e.append(" exceeds the limit of ").append_number(max_resource_bytes).append(" bytes (capmatch::max_resource_bytes)");
  }
  if (const std::size_t bad = utf8_invalid_at(text); bad != text.size()) {
    error e(error_reason::name_invalid_utf8, name ? static_cast<std::uint32_t>(bad) : base);
    return e.append(what).append(' ').append_quoted(text).append(" is not well-formed UTF-8").append_at();
  }
  if (text.empty()) {
    error e(error_reason::empty_resource, base);
    return e.append("empty ").append(what).append_at();
  }
  for (char c : text)
    if (c == '\0') return fail(error_reason::resource_contains_nul, " contains U+0000");
  scanned_resource out;
  out.body = text;
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return fail(error_reason::unclosed_qualifier, " has '[' without a closing ']'");
    const std::string_view inside = text.substr(1, close - 1);
    if (inside.find('[') != std::string_view::npos)
      return fail(error_reason::bracket_in_qualifier, " has '[' inside its qualifier");
    out.body = text.substr(close + 1);
    const auto params = inside.find_first_of("=?");
    const std::string_view qname = inside.substr(0, params);
    if (qname.empty()) {
      // "[?rewind=1]chan" is the unqualified channel "chan" (docs/semantics.md §6).
      if (params == std::string_view::npos || inside[params] != '?')
        return fail(error_reason::empty_qualifier, " has an empty qualifier; write [queue], [meta], [*] or no brackets");
    } else {
      out.kind = qname == "*" ? qualifier_kind::any : qualifier_kind::named;
      if (out.kind == qualifier_kind::named) out.qualifier = qname;
    }
    if (out.body.empty())
      return fail(error_reason::qualifier_without_name,
                  name ? " has a qualifier but no channel name after it"
                       : " has a qualifier but no channel name after it; follow it with '*' for every such channel");
    if (out.body.front() == '[') return fail(error_reason::more_than_one_qualifier, " has more than one qualifier");
  }
  std::size_t segments = 1;
  for (std::size_t i = 0; i <= out.body.size(); ++i) {
    const bool boundary = i == out.body.size() || out.body[i] == ':';
    if (boundary && (i == 0 || out.body[i - 1] == ':') && out.empty_segment == std::string_view::npos)
      out.empty_segment = i;
    if (i < out.body.size() && out.body[i] == ':' && ++segments > max_segments && out.beyond == std::string_view::npos)
      out.beyond = i;
  }
  return out;
}

/// The segment of `s` starting at `pos`, up to the next ':' or the end.
[[nodiscard]] constexpr std::string_view segment_at(std::string_view s, std::size_t pos) noexcept {
  const auto end = s.find(':', pos);
  return s.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
}

}  // namespace detail

/// Parses a resource name to check (channel, queue or metachannel name). Error offsets are
/// byte offsets in `text`. Limits: max_resource_bytes, max_segments (errc::limit_exceeded).
[[nodiscard]] constexpr result<resource_name> parse_name(std::string_view text) noexcept {
  auto scan = detail::scan_resource(text, detail::resource_role::name, 0);
  if (!scan) return scan.error();
  if (scan->kind == qualifier_kind::any) {
    error e(error_reason::any_qualifier_in_name, 0);
    return e.append("resource name ").append_quoted(text).append_at().append(
        " cannot use the [*] qualifier; [*] is for capability patterns");
  }
  const std::string_view body = scan->body;
  const auto body_at = static_cast<std::uint32_t>(text.size() - body.size());
  if (scan->empty_segment != std::string_view::npos) {
    error e(error_reason::empty_segment, body_at + static_cast<std::uint32_t>(scan->empty_segment));
    return e.append("resource name ").append_quoted(text).append(" has an empty segment").append_at();
  }
  if (scan->beyond != std::string_view::npos) {
    error e(error_reason::too_many_segments, body_at + static_cast<std::uint32_t>(scan->beyond));
    e.append("resource name ").append_quoted(text).append(" has more than ").append_number(max_segments);
    return e.append(" segments").append_at().append(" (capmatch::max_segments)");
  }
  return resource_name{scan->kind == qualifier_kind::named, scan->qualifier, body};
}

CAPMATCH_NAMESPACE_END
