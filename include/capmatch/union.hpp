// capmatch — the union of two capabilities (docs/semantics.md Decision U1), e.g. to extend a
// signed grant with a newly requested capability (§5 rule 28).
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <vector>

#include "capability.hpp"
#include "error.hpp"
#include "limits.hpp"
#include "version.hpp"

CAPMATCH_NAMESPACE_BEGIN

/// The capability that grants exactly what `a` or `b` grants: every entry of both, the same
/// resource (byte-equal text) once with the union of its operations ("*" absorbs the rest),
/// in canonical order. Nothing else is merged or removed (as in intersect, docs/semantics.md
/// rule 15). Errors (limit_exceeded, 40000): more than max_resources resources, or canonical
/// text longer than max_document_bytes (the union must parse again); never truncated.
[[nodiscard]] constexpr result<capability> unite(const capability& a, const capability& b) {
  capability out;
  for (const capability* c : {&a, &b})
    for (std::size_t i = 0; i < c->size(); ++i)
      detail::capability_access::add(out, c->resource(i), c->pattern_at(i), c->ops(i), 0);
  detail::capability_access::sort(out, true);
  detail::capability_access::compact(out);
  if (out.size() > max_resources) {
    error e(errc::limit_exceeded, no_offset);
    e.append("the union has ").append_number(out.size()).append(" resources, more than the limit of ");
    return e.append_number(max_resources).append(" (capmatch::max_resources)");
  }
  // Canonical text is at most 6 bytes per resource byte (\u00XX) plus the list of all 17
  // operations (about 300 bytes): measure it only when that bound is over the limit.
  std::size_t bound = 2;
  for (std::size_t i = 0; i < out.size(); ++i) bound += 6 * out.resource(i).size() + 320;
  if (bound > max_document_bytes) {
    std::vector<char> text;
    out.write_json(text);
    if (text.size() > max_document_bytes) {
      error e(errc::limit_exceeded, no_offset);
      e.append("the union's canonical text of ").append_number(text.size()).append(" bytes exceeds the limit of ");
      return e.append_number(max_document_bytes).append(" bytes (capmatch::max_document_bytes)");
    }
  }
  return out;
}

CAPMATCH_NAMESPACE_END
