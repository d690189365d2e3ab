// capmatch — explain a check: which patterns granted, or why it was denied (docs/semantics.md §13).
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "capability.hpp"
#include "detail/escape.hpp"
#include "detail/fixed_text.hpp"
#include "error.hpp"
#include "detail/json.hpp"
#include "operation.hpp"
#include "pattern.hpp"
#include "version.hpp"

CAPMATCH_NAMESPACE_BEGIN

/// Why a check was denied.
enum class denial : std::uint8_t {
  none,            ///< allowed
  no_match,        ///< no pattern matches the name
  op_missing,      ///< patterns match, none lists the operation
  qualified_name,  ///< the name is qualified; only unqualified patterns would match its body
  app_wide,        ///< the operation is app-wide and cannot be checked on a resource
  invalid_name,    ///< the name is not a valid resource name
};

/// One pattern that matched the name, with the operations it lists.
struct matched_resource {
  std::string_view resource;
  op_set ops;
};

/// The record of one check. Views point into the capability and the name passed to explain.
struct decision {
  bool allowed = false;
  operation op{};
  std::string_view name;
  denial reason = denial::none;
  std::vector<matched_resource> matched;  ///< every pattern matching the name, canonical order
  std::vector<std::string_view> near;     ///< qualified_name: unqualified patterns matching the body
  error name_error;                       ///< invalid_name: why

  /// The reason as a sentence: "'chat:*' grants publish" or why it was denied.
  [[nodiscard]] std::string reason_text() const;
  /// One log line: "allowed: chat:* grants publish" or "denied: <reason>".
  [[nodiscard]] std::string to_string() const {
    return (allowed ? "allowed: " : "denied: ") + reason_text();
  }
  /// {"allowed":...,"matched":[{"resource":...,"ops":[...]}],"reason":"..."}
  [[nodiscard]] std::string to_json() const;
};

/// Explains whether `cap` allows `op` on `name`; agrees with capability::allows.
[[nodiscard]] constexpr decision explain(const capability& cap, std::string_view name, operation op) {
  decision d;
  d.op = op;
  d.name = name;
  const auto parsed = parse_name(name);
  if (!parsed) {
    d.reason = denial::invalid_name;
    d.name_error = parsed.error();
    return d;
  }
  for (std::size_t i = 0; i < cap.size(); ++i) {
    const pattern p = cap.pattern_at(i);
    if (matches(p, *parsed)) {
      d.matched.push_back({cap.resource(i), cap.ops(i)});
      if (cap.ops(i).contains(op)) d.allowed = true;
    } else if (parsed->qualified && p.kind == qualifier_kind::none) {
      pattern as_any = p;
      as_any.kind = qualifier_kind::any;
      if (matches(as_any, *parsed)) d.near.push_back(cap.resource(i));
    }
  }
  if (is_app_wide(op)) {
    d.allowed = false;
    d.reason = denial::app_wide;
  } else if (!d.allowed) {
    d.reason = !d.matched.empty() ? denial::op_missing : !d.near.empty() ? denial::qualified_name : denial::no_match;
  }
  return d;
}

/// Deleted: the decision would keep views into a temporary name or capability. Keep both
/// alive for as long as the decision is used.
template <class Traits, class Alloc>
decision explain(const capability& cap, std::basic_string<char, Traits, Alloc>&& name, operation op) = delete;
decision explain(capability&& cap, std::string_view name, operation op) = delete;

namespace detail {
inline void append_ops(std::string& s, op_set ops) {
  bool first = true;
  ops.for_each_name([&](std::string_view n) {
    if (!first) s += ", ";
    first = false;
    s += n;
  });
}
inline std::string quoted(std::string_view v) {
  fixed_text<error::capacity> t;
  return std::string(t.append_quoted(v).view());
}
/// `v` with control characters written as \u00XX and bytes that are not well-formed UTF-8 as
/// \xXX (as error::append_quoted does), so that text from the input cannot break a log line or
/// the JSON output; unlike quoted, not clipped and without quotes.
inline std::string one_line(std::string_view v) {
  std::string s;
  escape_one_line(v, [&](std::string_view piece) {
    s.append(piece);
    return true;
  });
  return s;
}
}  // namespace detail

inline std::string decision::reason_text() const {
  std::string s;
  const std::string_view opname = name_of(op);
  switch (reason) {
    case denial::none:
      for (const auto& m : matched) {
        if (m.ops.contains(op)) {
          s.append(detail::one_line(m.resource)).append(" grants ").append(opname);
          break;
        }
      }
      break;
    case denial::no_match:
      s.append("no resource in the capability matches ").append(detail::quoted(name));
      break;
    case denial::op_missing: {
      s.append("no matching resource grants ").append(opname).append(" on ").append(detail::quoted(name)).append(" (");
      for (std::size_t i = 0; i < matched.size(); ++i) {
        if (i != 0) s += "; ";
        s.append(detail::quoted(matched[i].resource)).append(" grants ");
        detail::append_ops(s, matched[i].ops);
      }
      s += ')';
      if (!near.empty()) {
        s.append("; unqualified resources such as ").append(detail::quoted(near.front()));
        s.append(" never match qualified names");
      }
      break;
    }
    case denial::qualified_name: {
      const auto parsed = parse_name(name).value();
      std::string q = "[";  // appended, not "[" + ...: g++ 12 -O3 misreports -Wrestrict on that
      q.append(detail::one_line(parsed.qualifier)).append("]");
      s.append(detail::quoted(name)).append(" is a ").append(q).append(" name and unqualified resources such as ");
      s.append(detail::quoted(near.front())).append(" never match qualified names; grant ");
      s.append(detail::quoted(q + std::string(parsed.body))).append(", ").append(detail::quoted(q + "*"));
      s.append(" or '[*]*'");
      break;
    }
    case denial::app_wide:
      s.append(opname).append(" is an app-wide operation: it is granted only on '*' or '[*]*' and is checked without a resource");
      break;
    case denial::invalid_name:
      s.append(name_error.message());
      break;
  }
  return s;
}

inline std::string decision::to_json() const {
  std::vector<char> out;
  auto put = [&](std::string_view v) { out.insert(out.end(), v.begin(), v.end()); };
  put(allowed ? "{\"allowed\":true,\"matched\":[" : "{\"allowed\":false,\"matched\":[");
  for (std::size_t i = 0; i < matched.size(); ++i) {
    if (i != 0) put(",");
    put("{\"resource\":");
    detail::write_json_string(matched[i].resource, out);
    put(",\"ops\":[");
    bool first = true;
    matched[i].ops.for_each_name([&](std::string_view n) {
      if (!first) put(",");
      first = false;
      detail::write_json_string(n, out);
    });
    put("]}");
  }
  put("],\"reason\":");
  detail::write_json_string(reason_text(), out);
  put("}");
  return std::string(out.begin(), out.end());
}

CAPMATCH_NAMESPACE_END
