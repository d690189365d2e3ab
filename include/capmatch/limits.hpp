// capmatch — documented limits. Input beyond a limit is an error (errc::limit_exceeded,
// Ably code 40000, with a byte offset and a message naming the constant), never truncated.
// SPDX-License-Identifier: MIT
//
// With these limits every operation's worst-case time and memory are linear in the size of
// its input (for intersect: in the product the pair limit bounds), see README "Limits":
// - capability::parse: one pass over the document, no recursion (a capability is an object
//   of arrays of strings; anything nested deeper is an error at its first byte), then one
//   sort of at most max_resources entries.
// - parse_name / parse_pattern / matches: one pass over the text.
// - intersect: at most max_intersection_pairs pattern intersections, each linear in the
//   shorter pattern, building at most max_intersection_bytes of text; its result is bounded
//   like a parsed capability.
// - the compiled matcher (matcher.hpp) bounds its automaton by matcher_dfa_growth and
//   matcher_dfa_slack, its construction's work by matcher_fallback_work_factor × that bound
//   (matcher/layout.hpp), and otherwise splits into groups or walks the pattern trie.
#pragma once

#include <cstddef>

#include "version.hpp"

CAPMATCH_NAMESPACE_BEGIN

/// Largest capability document capability::parse accepts, in bytes.
inline constexpr std::size_t max_document_bytes = 16u << 20;

/// Most resources one capability may list; also the most an intersection may produce.
inline constexpr std::size_t max_resources = 10000;

/// Longest resource name or pattern, in bytes as written: UTF-8 after JSON unescaping,
/// qualifier and its params included.
inline constexpr std::size_t max_resource_bytes = 2048;

/// Most ':'-separated segments in a resource name or pattern (qualifier not counted).
inline constexpr std::size_t max_segments = 128;

/// Most (key resource, requested resource) pairs intersect examines: key.size() * request.size().
inline constexpr std::size_t max_intersection_pairs = std::size_t{1} << 20;

/// Most bytes of new resource text intersect builds, summed over the pairs whose intersection
/// is neither of their two patterns (before equal results are merged): twice the largest result.
inline constexpr std::size_t max_intersection_bytes = 2 * max_resources * max_resource_bytes;

CAPMATCH_NAMESPACE_END
