// capmatch — writing text as a JSON string, the way canonical capability text does
// (docs/semantics.md §1.5): only '"', '\\' and U+0000..U+001F are escaped.
// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>

#include "detail/json.hpp"
#include "version.hpp"

CAPMATCH_NAMESPACE_BEGIN

/// Appends `s` as a JSON string (quotes included) to `out`. Bytes that are not well-formed
/// UTF-8 are copied as they are: validate first (or escape) if the text may hold some.
inline void write_json_string(std::string_view s, std::string& out) {
  const std::size_t at = out.size();
  out.resize(at + detail::json_string_size(s));
  detail::write_json_string(s, out.data() + at);
}

/// `s` as a JSON string (quotes included).
[[nodiscard]] inline std::string to_json_string(std::string_view s) {
  std::string out;
  write_json_string(s, out);
  return out;
}

CAPMATCH_NAMESPACE_END
