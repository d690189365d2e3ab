// capmatch — the compiled matcher: capability::ops_for in one pass over the name (docs/semantics.md §2–3).
// SPDX-License-Identifier: MIT
//
// A matcher is compiled once from a capability and answers exactly what capability::ops_for
// and capability::allows answer. A check reads the name once, allocates nothing and does work
// independent of the number of patterns: the patterns' segment trie is determinised into a
// segment-level automaton laid out as one array of words, each state's record followed by its
// own small table of transitions. Design, bounds and costs: docs/matcher.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <utility>

#include "capability.hpp"
#include "matcher/builder.hpp"
#include "matcher/determinise.hpp"
#include "matcher/layout.hpp"
#include "matcher/query.hpp"
#include "operation.hpp"
#include "pattern.hpp"
#include "version.hpp"

CAPMATCH_NAMESPACE_BEGIN

class matcher;

namespace detail::cm {
/// Internal access to a matcher's tables (fixed_matcher, tests): not part of the public type.
struct matcher_access {
  /// The tables of group `group` (0 to m.groups() - 1; 0: all patterns when not grouped).
  [[nodiscard]] static constexpr const storage& tables(const matcher& m, std::size_t group = 0) noexcept;
  /// A matcher built with options other than the defaults (the tests and fuzz targets tighten
  /// the automaton bound, build_options::dfa_units, to reach the groups and fallbacks with
  /// small capabilities).
  [[nodiscard]] static constexpr matcher build(const capability& cap, matcher_mode mode, const build_options& opt);
};
/// Called (in constant evaluation, a compile error naming it) when a fixed_matcher is declared
/// with sizes other than its matcher's shape(); at run time such a fixed_matcher grants nothing.
inline void fixed_matcher_sizes_differ_from_the_matcher_shape() noexcept {}
}  // namespace detail::cm

/// Table sizes of a compiled matcher: the template arguments of a fixed_matcher. `words`: the
/// 32-bit words of the states and their tables of short transitions (it replaces `states` and
/// `edges` of 0.1.0, whose short transitions were in one shared table; CHANGELOG.md).
struct matcher_shape {
  std::size_t words = 0, long_edges = 0, pool = 0;
  friend constexpr bool operator==(const matcher_shape&, const matcher_shape&) = default;
};

/// A capability compiled for fast checks. Immutable after construction; any number of
/// threads may check concurrently. Answers equal capability::ops_for / allows exactly.
class matcher {
 public:
  /// A matcher that grants nothing.
  constexpr matcher() : matcher(capability{}) {}
  /// Compiles `cap` (constexpr: usable during constant evaluation).
  constexpr explicit matcher(const capability& cap, matcher_mode mode = matcher_mode::automatic)
      : matcher(cap, mode, detail::cm::build_options{}) {}
  // The views point into the storages' vectors: copies and moves take fresh ones.
  constexpr matcher(const matcher& o) : s_(o.s_), s2_(o.s2_), s3_(o.s3_), s4_(o.s4_), groups_(o.groups_) { refresh(); }
  constexpr matcher(matcher&& o) noexcept
      : s_(std::move(o.s_)), s2_(std::move(o.s2_)), s3_(std::move(o.s3_)), s4_(std::move(o.s4_)), groups_(o.groups_) {
    refresh();
    o.refresh();
  }
  constexpr matcher& operator=(const matcher& o) {
    if (this != &o) {
      s_ = o.s_;
      s2_ = o.s2_;
      s3_ = o.s3_;
      s4_ = o.s4_;
      groups_ = o.groups_;
      refresh();
    }
    return *this;
  }
  constexpr matcher& operator=(matcher&& o) noexcept {
    if (this != &o) {
      s_ = std::move(o.s_);
      s2_ = std::move(o.s2_);
      s3_ = std::move(o.s3_);
      s4_ = std::move(o.s4_);
      groups_ = o.groups_;
      refresh();
      o.refresh();
    }
    return *this;
  }
  constexpr ~matcher() = default;

  /// Union of the operations of every pattern that matches `name`; empty for an invalid name.
  [[nodiscard]] constexpr op_set ops_for(std::string_view name) const noexcept {
    if (groups_ == 1) return t_.ops_for(name);
    return detail::cm::groups_ops(t_, t2_, t3_, t4_, groups_, name);
  }
  /// True when `op` is allowed on `name`; app-wide operations never are (see allows_app_wide).
  [[nodiscard]] constexpr bool allows(std::string_view name, operation op) const noexcept {
    return !is_app_wide(op) && ops_for(name).contains(op);
  }
  /// True when `op` is granted on "*" or "[*]*" (docs/semantics.md §12), as capability::allows_app_wide.
  [[nodiscard]] constexpr bool allows_app_wide(operation op) const noexcept {
    return op_set::from_bits(s_.app_wide).contains(op);
  }
  [[nodiscard]] constexpr bool allows_channel_enumeration() const noexcept {
    return allows_app_wide(operation::channel_metadata);
  }

  /// False when the automaton bound was exceeded (or trie_walk requested) and checks walk the trie.
  [[nodiscard]] constexpr bool determinised() const noexcept {
    return !s_.walk && (groups_ < 2 || !s2_.walk) && (groups_ < 3 || !s3_.walk) && (groups_ < 4 || !s4_.walk);
  }
  /// Number of automata a check runs: 1, or 2–4 when the patterns, together beyond the
  /// automaton bound, were split by what leads them (docs/matcher.md, "Groups").
  [[nodiscard]] constexpr std::size_t groups() const noexcept { return groups_; }
  /// Number of patterns compiled.
  [[nodiscard]] constexpr std::size_t pattern_count() const noexcept { return s_.patterns; }
  /// Bytes of table memory (states with their tables, long-segment transitions, long-segment
  /// and run bytes, the star-led groups' literal filters), excluding this object
  /// (sizeof(matcher), which holds the quick-qualifier table and the tables' view).
  [[nodiscard]] constexpr std::size_t memory_bytes() const noexcept {
    const auto bytes = [](const detail::cm::storage& s) {
      return s.words.size() * sizeof(std::uint32_t) + s.long_edges.size() * sizeof(detail::cm::long_edge_rec) +
             s.pool.size() + s.filter.size() * sizeof(std::uint32_t);
    };
    return bytes(s_) + bytes(s2_) + bytes(s3_) + bytes(s4_);  // unused groups are empty
  }
  /// Number of automaton states (or trie nodes in trie-walk mode), over both groups.
  [[nodiscard]] constexpr std::size_t state_count() const noexcept {
    return std::size_t{s_.state_count} + s2_.state_count + s3_.state_count + s4_.state_count;  // unused: 0
  }
  /// Sizes of the tables, to copy them into a fixed_matcher.
  [[nodiscard]] constexpr matcher_shape shape() const noexcept {
    return {s_.words.size(), s_.long_edges.size(), s_.pool.size()};
  }
 private:
  friend struct detail::cm::matcher_access;
  // The public constructor's work, with the builder's options (matcher_access::build).
  constexpr matcher(const capability& cap, matcher_mode mode, const detail::cm::build_options& opt)
      : matcher(detail::cm::builder(cap, mode, detail::cm::pattern_group::all, opt, grouping(mode)), cap, mode, opt) {}
  // Beyond the automaton bound the patterns are split into groups (build_groups), but not in
  // constant evaluation: fixed_matcher holds one table set. So the whole capability's trie
  // walk is emitted only when the groups do no better (the builder lives until this returns).
  constexpr matcher(detail::cm::builder&& whole, const capability& cap, matcher_mode mode,
                    const detail::cm::build_options& opt)
      : s_(std::move(whole.out)), t_(s_.view()) {
    if (!s_.walk || !grouping(mode) || build_groups(cap, mode, opt)) return;
    whole.out = std::move(s_);  // emit_walk() writes the builder's storage: it goes back for that
    whole.emit_walk();
    s_ = std::move(whole.out);
    refresh();
  }
  static constexpr bool grouping(matcher_mode mode) noexcept {
    return mode == matcher_mode::automatic && !std::is_constant_evaluated();
  }
  // Beyond the automaton bound: the patterns are split by what leads them, each group
  // determinised under its own bound, and a check ors the groups' answers (docs/matcher.md,
  // "Groups"): first literal-led, `*`-led and `[*]*`-led; if the literal-led group still
  // exceeds its bound, its `[*]` patterns go apart. False, with this matcher untouched, when
  // the groups do no better than the one trie walk.
  constexpr bool build_groups(const capability& cap, matcher_mode mode, const detail::cm::build_options& opt) {
    using detail::cm::builder;
    using detail::cm::pattern_group;
    // A split with an empty half would rebuild the same group: it is not tried.
    auto any_in = [&cap](pattern_group g) {
      for (std::size_t i = 0; i < cap.size(); ++i)
        if (const auto p = cap.pattern_at(i); !p.matches_nothing() && detail::cm::in_group(p, g)) return true;
      return false;
    };
    // Nor is a first-level group that holds every pattern: it is the whole capability again,
    // whose constructions have just failed (it would walk its trie); only its split is tried.
    // (Whether any pattern is literal-led, and star-led with any qualifier.)
    const bool literal_led = any_in(pattern_group::literal_led), star_led = any_in(pattern_group::all_star_led);
    detail::cm::storage parts[4];
    if (star_led) parts[0] = std::move(builder(cap, mode, pattern_group::literal_led, opt).out);
    if ((!star_led || parts[0].walk) && any_in(pattern_group::plain_literal) && any_in(pattern_group::any_literal)) {
      parts[0] = std::move(builder(cap, mode, pattern_group::plain_literal, opt).out);
      parts[3] = std::move(builder(cap, mode, pattern_group::any_literal, opt).out);
    }
    // The star-led patterns in one group when that one fits its bound without fallback
    // transitions (one automaton pass less per check), else `*`-led and `[*]*`-led apart,
    // unless only the one group is an automaton (two plain passes over these small tables
    // cost fewer instructions than one with fallbacks: lead10/4096 824 against 859).
    if (literal_led) parts[1] = std::move(builder(cap, mode, pattern_group::all_star_led, opt).out);
    if ((!literal_led || parts[1].walk || parts[1].fallbacks) && any_in(pattern_group::star_led) &&
        any_in(pattern_group::any_star_led)) {
      detail::cm::storage star = std::move(builder(cap, mode, pattern_group::star_led, opt).out);
      detail::cm::storage any_star = std::move(builder(cap, mode, pattern_group::any_star_led, opt).out);
      if (!literal_led || parts[1].walk || (!star.walk && !any_star.walk)) {
        parts[1] = std::move(star);
        parts[2] = std::move(any_star);
      }
    }
    std::size_t count = 0, walked = 0;
    for (detail::cm::storage& part : parts) {
      if (part.in_group == 0) continue;  // an empty group is left out
      walked += part.walk ? 1 : 0;
      if (&part != &parts[count]) parts[count] = std::move(part);
      ++count;
    }
    if (count < 2 || walked == count) return false;  // no better than the one trie walk
    for (std::size_t i = count; i < 4; ++i) parts[i] = detail::cm::storage{};
    s_ = std::move(parts[0]);
    s2_ = std::move(parts[1]);
    s3_ = std::move(parts[2]);
    s4_ = std::move(parts[3]);
    groups_ = static_cast<std::uint8_t>(count);
    refresh();
    return true;
  }
  constexpr void refresh() noexcept {
    t_ = s_.view();
    t2_ = s2_.view();
    t3_ = s3_.view();
    t4_ = s4_.view();
  }
  detail::cm::storage s_;   // all patterns, or the first group
  detail::cm::storage s2_;  // the second group (groups_ >= 2)
  detail::cm::storage s3_;  // the third group (groups_ >= 3)
  detail::cm::storage s4_;  // the fourth group (groups_ == 4)
  detail::cm::tables t_;    // what a check reads: pointers into s_
  detail::cm::tables t2_, t3_, t4_;
  std::uint8_t groups_ = 1;
};

constexpr const detail::cm::storage& detail::cm::matcher_access::tables(const matcher& m, std::size_t group) noexcept {
  return group == 0 ? m.s_ : group == 1 ? m.s2_ : group == 2 ? m.s3_ : m.s4_;
}
constexpr matcher detail::cm::matcher_access::build(const capability& cap, matcher_mode mode, const build_options& opt) {
  return matcher(cap, mode, opt);
}

/// A matcher's tables in fixed-size arrays (static storage, no heap), e.g. computed during
/// compilation: `constexpr fixed_matcher<shape.words, shape.long_edges, shape.pool>
/// m{matcher{cap}};` (static_matcher in static_capability.hpp does this for a key). The sizes
/// must be m.shape()'s: otherwise constant evaluation fails (naming
/// detail::cm::fixed_matcher_sizes_differ_from_the_matcher_shape) and at run time the
/// fixed_matcher grants nothing. Checks run the same code as matcher's.
template <std::size_t Words, std::size_t LongEdges, std::size_t Pool>
class fixed_matcher {
 public:
  constexpr explicit fixed_matcher(const matcher& m) noexcept {
    if (m.groups() != 1 || m.shape() != matcher_shape{Words, LongEdges, Pool}) {
      detail::cm::fixed_matcher_sizes_differ_from_the_matcher_shape();
      return;  // header_ stays empty: every start state is dead, nothing is granted
    }
    const auto& s = detail::cm::matcher_access::tables(m);
    for (std::size_t i = 0; i < Words; ++i) words_[i] = s.words[i];
    for (std::size_t i = 0; i < LongEdges; ++i) long_edges_[i] = s.long_edges[i];
    for (std::size_t i = 0; i < Pool; ++i) pool_[i] = s.pool[i];
    header_ = s;
    shaped_ = true;
  }
  [[nodiscard]] constexpr op_set ops_for(std::string_view name) const noexcept { return view().ops_for(name); }
  [[nodiscard]] constexpr bool allows(std::string_view name, operation op) const noexcept {
    return !is_app_wide(op) && ops_for(name).contains(op);
  }
  [[nodiscard]] constexpr bool allows_app_wide(operation op) const noexcept {
    return op_set::from_bits(header_.app_wide).contains(op);
  }

 private:
  [[nodiscard]] constexpr detail::cm::tables view() const noexcept {
    if (!shaped_) return detail::cm::storage{}.view();  // the wrong sizes: grants nothing
    return detail::cm::tables(header_, words_, long_edges_, Pool ? pool_ : nullptr);
  }
  std::uint32_t words_[Words ? Words : 1]{};
  detail::cm::long_edge_rec long_edges_[LongEdges ? LongEdges : 1]{};
  char pool_[Pool ? Pool : 1]{};
  detail::cm::header header_{};
  bool shaped_ = false;
};

CAPMATCH_NAMESPACE_END

// Defined once in matcher/inline.hpp for the matcher's internals.
#undef CAPMATCH_DETAIL_INLINE
#undef CAPMATCH_DETAIL_NOINLINE
