// capmatch — lint: findings about a valid capability that probably does not mean what its
// author intended (docs/lint.md lists every code with an example and its fix).
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "capability.hpp"
#include "detail/pattern_trie.hpp"
#include "detail/escape.hpp"
#include "detail/fixed_text.hpp"
#include "detail/suggest.hpp"
#include "error.hpp"
#include "detail/json.hpp"
#include "operation.hpp"
#include "pattern.hpp"
#include "version.hpp"

CAPMATCH_NAMESPACE_BEGIN

/// How much a finding matters, most severe first.
enum class lint_severity : std::uint8_t {
  error,             ///< the entry cannot work as written
  security_warning,  ///< grants far more than is usually intended
  warning,           ///< probably not what was meant
  suggestion,        ///< works, but could be clearer
};

/// Stable finding codes; docs/lint.md describes each. Values never change meaning.
enum class lint_code : std::uint8_t {
  never_matches,          ///< an empty segment (":a", "a:", "a::b"): matches no name
  super_grant,            ///< "*" or "[*]*" granted ["*"]
  literal_star,           ///< '*' inside a segment ("foo*") is a literal character
  unknown_qualifier,      ///< a qualifier other than queue, meta, filter or *
  app_wide_no_effect,     ///< stats or push-admin granted where they do nothing
  shadowed,               ///< a broader entry already grants everything this one does
  channel_enumeration,    ///< channel-metadata on every channel also allows listing them
  implied_op,             ///< an "-any"/admin op granted without the narrower op it covers
  ignored_params,         ///< "=value"/"?params" in a qualifier are ignored for matching
  incomplete,             ///< the work budget ran out: later entries not checked for shadowed/implied-op
};

/// The wire name of a severity: "error", "security-warning", "warning" or "suggestion".
[[nodiscard]] constexpr std::string_view name_of(lint_severity s) noexcept {
  switch (s) {
    case lint_severity::error: return "error";
    case lint_severity::security_warning: return "security-warning";
    case lint_severity::warning: return "warning";
    case lint_severity::suggestion: return "suggestion";
  }
  return "unknown";
}

/// The stable code of a finding, e.g. "literal-star".
[[nodiscard]] constexpr std::string_view name_of(lint_code c) noexcept {
  switch (c) {
    case lint_code::never_matches: return "never-matches";
    case lint_code::super_grant: return "super-grant";
    case lint_code::literal_star: return "literal-star";
    case lint_code::unknown_qualifier: return "unknown-qualifier";
    case lint_code::app_wide_no_effect: return "app-wide-no-effect";
    case lint_code::shadowed: return "shadowed";
    case lint_code::channel_enumeration: return "channel-enumeration";
    case lint_code::implied_op: return "implied-op";
    case lint_code::ignored_params: return "ignored-params";
    case lint_code::incomplete: return "lint-incomplete";
  }
  return "unknown";
}

/// The severity every finding with code `c` has.
[[nodiscard]] constexpr lint_severity severity_of(lint_code c) noexcept {
  switch (c) {
    case lint_code::never_matches: return lint_severity::error;
    case lint_code::super_grant: return lint_severity::security_warning;
    case lint_code::literal_star:
    case lint_code::unknown_qualifier:
    case lint_code::app_wide_no_effect:
    case lint_code::shadowed:
    case lint_code::incomplete: return lint_severity::warning;
    case lint_code::channel_enumeration:
    case lint_code::implied_op:
    case lint_code::ignored_params: return lint_severity::suggestion;
  }
  return lint_severity::suggestion;
}

namespace detail {
/// Text of a finding's message or fix (no std::string: usable in constant evaluation).
using lint_text = fixed_text<320>;
}  // namespace detail

/// One finding: what is wrong with which resource, where, and a one-line fix.
struct lint_finding {
  lint_code code{};
  lint_severity severity{};
  std::string_view resource;  ///< as written in the document (a view into the capability)
  std::uint32_t offset = 0;   ///< byte offset of the resource in the parsed document
  detail::lint_text message_text, fix_text;

  /// What is wrong, as one sentence.
  [[nodiscard]] constexpr std::string_view message() const noexcept { return message_text.view(); }
  /// A one-line fix.
  [[nodiscard]] constexpr std::string_view fix() const noexcept { return fix_text.view(); }
};

namespace detail {

/// The first segment of `body` that holds '*' without being exactly "*", or empty.
[[nodiscard]] constexpr std::string_view starred_segment(std::string_view body) noexcept {
  for (std::size_t i = 0; i <= body.size();) {
    const std::string_view seg = segment_at(body, i);
    if (seg != "*" && seg.find('*') != std::string_view::npos) return seg;
    i += seg.size() + 1;
  }
  return {};
}

inline constexpr std::string_view known_qualifiers[] = {"queue", "meta", "filter"};

/// Collects findings for one capability; see lint() below.
class linter {
 public:
  /// `budget`: trie steps the shadowed and implied-op checks may take in all (see lint()).
  constexpr linter(const capability& cap, std::size_t budget) : cap_(cap) { trie_.set_budget(budget); }

  [[nodiscard]] constexpr std::vector<lint_finding> run() {
    // Report in document order: entries are stored in canonical order.
    std::vector<std::size_t> order;  // not order(n): clang 14 cannot value-initialize it in constexpr
    for (std::size_t i = 0; i < cap_.size(); ++i) order.push_back(i);
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) {
                // Built capabilities (intersect) have offset 0 throughout: keep canonical order.
                const auto oa = cap_.source_offset(a), ob = cap_.source_offset(b);
                return oa != ob ? oa < ob : a < b;
              });
    for (std::size_t i : order) check(i);
    return std::move(out_);
  }

  /// Trie nodes visited and entries examined by the shadowed and implied-op checks: the
  /// work the complexity tests count (tests/test_lint_complexity.cpp).
  [[nodiscard]] constexpr std::size_t work() const noexcept { return trie_.work(); }

 private:
  constexpr lint_finding& add(std::size_t i, lint_code code) {
    lint_finding f;
    f.code = code;
    f.severity = severity_of(code);
    f.resource = cap_.resource(i);
    f.offset = cap_.source_offset(i);
    out_.push_back(f);
    return out_.back();
  }

  // True when `op` is granted on entry i itself or on an entry whose pattern contains it.
  [[nodiscard]] constexpr bool granted_over(std::size_t i, operation op) {
    if (cap_.ops(i).contains(op)) return true;
    // An exhausted budget answers "granted": no implied-op finding from an unfinished search.
    return trie_.least_container(cap_.pattern_at(i), op_set(op).granted_bits(), [](std::uint32_t) { return true; }) !=
               pattern_trie::none ||
           trie_.exhausted();
  }

  constexpr void check(std::size_t i) {
    const bool exhausted_before = trie_.exhausted();
    const pattern p = cap_.pattern_at(i);
    const op_set ops = cap_.ops(i);
    const std::string_view res = cap_.resource(i);
    const std::string_view prefix = res.substr(0, res.size() - p.body.size());

    if (p.matches_nothing()) never_matches(i, p, prefix);
    if (p.covers_all_channels() && ops.is_all()) {
      auto& f = add(i, lint_code::super_grant);
      f.message_text.append("grants every operation, including stats, push-admin and privileged-headers, on every ")
          .append(p.kind == qualifier_kind::any ? "channel, queue and metachannel" : "channel");
      f.fix_text.append("list only the operations needed, on the channels or namespaces needed (e.g. 'chat:*')");
    }
    if (const auto seg = starred_segment(p.body); !seg.empty()) literal_star(i, p, prefix, seg);
    if (p.kind == qualifier_kind::named) unknown_qualifier(i, p);
    if (!ops.is_all() && !p.covers_all_channels()) {
      for (operation op : {operation::stats, operation::push_admin}) {
        if (!ops.contains(op)) continue;
        auto& f = add(i, lint_code::app_wide_no_effect);
        f.message_text.append(name_of(op)).append(" is app-wide and takes effect only when granted on '*' or '[*]*'; ")
            .append("here it grants nothing");
        f.fix_text.append("remove ").append_quoted(name_of(op)).append(" here, or grant it on '*'");
      }
    }
    shadowed(i, p, ops);
    if (!ops.is_all() && p.covers_all_channels() && ops.contains(operation::channel_metadata)) {
      auto& f = add(i, lint_code::channel_enumeration);
      f.message_text.append("channel-metadata on every channel also allows enumerating all the app's channels");
      f.fix_text.append("grant channel-metadata on narrower namespaces (e.g. 'chat:*') if clients must not list channels");
    }
    if (!ops.is_all()) {
      if (p.covers_all_channels()) implied(i, operation::push_admin, operation::push_subscribe,
                                           "push-admin can already subscribe any device to any channel");
      implied(i, operation::message_update_any, operation::message_update_own,
              "message-update-any already lets a client update its own messages");
      implied(i, operation::message_delete_any, operation::message_delete_own,
              "message-delete-any already lets a client delete its own messages");
    }
    if (!is_normal(i)) {
      std::vector<char> normal;
      append_text(p, normal);
      auto& f = add(i, lint_code::ignored_params);
      f.message_text.append("'=value' and '?params' in the qualifier ").append_quoted(prefix)
          .append(" are ignored when matching");
      f.fix_text.append("write ").append_quoted(std::string_view(normal.data(), normal.size()));
    }
    if (!exhausted_before && trie_.exhausted()) incomplete(i);
  }

  // The budget ran out while checking entry i: its shadowed and implied-op findings, and
  // those of every later entry, are unknown (the searches return nothing once exhausted).
  constexpr void incomplete(std::size_t i) {
    auto& f = add(i, lint_code::incomplete);
    f.message_text.append("lint incomplete: the shadowed and implied-op checks stopped after ")
        .append_number(trie_.work())
        .append(" steps (the work budget); their findings before this entry are exact, this entry and the later ones")
        .append(" were not checked for them");
    f.fix_text.append("lint with a larger budget (capmatch::lint(cap, steps)), or split the capability");
  }

  constexpr void never_matches(std::size_t i, const pattern& p, std::string_view prefix) {
    auto& f = add(i, lint_code::never_matches);
    f.message_text.append("an empty segment (leading ':', trailing ':' or '::') means this can never match a name");
    std::vector<char> fixed;
    fixed.insert(fixed.end(), prefix.begin(), prefix.end());
    bool any = false;
    for (std::size_t k = 0; k <= p.body.size();) {
      const std::string_view seg = segment_at(p.body, k);
      if (!seg.empty()) {
        if (any) fixed.push_back(':');
        fixed.insert(fixed.end(), seg.begin(), seg.end());
        any = true;
      }
      k += seg.size() + 1;
    }
    if (!any) {
      f.fix_text.append("remove this entry");
      return;
    }
    if (p.body.back() == ':') fixed.push_back(':'), fixed.push_back('*');
    f.fix_text.append("did you mean ").append_quoted(std::string_view(fixed.data(), fixed.size())).append("?");
  }

  constexpr void literal_star(std::size_t i, const pattern& p, std::string_view prefix, std::string_view seg) {
    auto& f = add(i, lint_code::literal_star);
    f.message_text.append("'*' inside the segment ").append_quoted(seg)
        .append(" is a literal character, not a wildcard: this matches only a name spelled exactly so");
    const bool last = seg.data() + seg.size() == p.body.data() + p.body.size();
    if (last && seg.size() > 1 && seg.back() == '*' && seg.find('*') == seg.size() - 1) {
      // "foo*" -> "foo:*"
      std::vector<char> fixed;
      fixed.insert(fixed.end(), prefix.begin(), prefix.end());
      const std::string_view head = p.body.substr(0, p.body.size() - 1);
      fixed.insert(fixed.end(), head.begin(), head.end());
      fixed.push_back(':'), fixed.push_back('*');
      f.fix_text.append("did you mean ").append_quoted(std::string_view(fixed.data(), fixed.size())).append("?");
    } else {
      f.fix_text.append("use '*' only as a whole segment between ':' separators (e.g. 'chat:*'), or rename the channel");
    }
  }

  constexpr void unknown_qualifier(std::size_t i, const pattern& p) {
    for (std::string_view q : known_qualifiers)
      if (p.qualifier == q) return;
    auto& f = add(i, lint_code::unknown_qualifier);
    f.message_text.append("unknown qualifier ").append_quoted(p.qualifier)
        .append(": it matches only names with that qualifier, and Ably defines queue, meta and filter");
    const std::string_view best = closest_name(p.qualifier, known_qualifiers);
    if (!best.empty())
      f.fix_text.append("did you mean '[").append(best).append("]'?");
    else
      f.fix_text.append("use [queue], [meta], [filter], [*] or no qualifier");
  }

  // Reports the first entry in index order (canonical order) that shadows entry i: its
  // pattern contains i's, it grants all of i's operations, and, when the two shadow each
  // other (same names, same ops), it is the one kept: in normal form, then earlier.
  constexpr void shadowed(std::size_t i, const pattern& p, op_set ops) {
    const std::uint32_t mine = ops.granted_bits();
    const std::uint32_t j = trie_.least_container(p, mine, [&](std::uint32_t k) {
      if (k == i) return false;
      if (mine == cap_.ops(k).granted_bits() && contains(p, cap_.pattern_at(k))) {
        const bool i_normal = is_normal(i), k_normal = is_normal(k);
        if (i_normal != k_normal ? i_normal : cap_.source_offset(i) < cap_.source_offset(k)) return false;
      }
      return true;
    });
    if (j == pattern_trie::none) return;
    auto& f = add(i, lint_code::shadowed);
    f.message_text.append("shadowed by ").append_quoted(cap_.resource(j)).append(" (at byte ")
        .append_number(cap_.source_offset(j))
        .append("), which matches every name this does and grants all its operations; there is no precedence or deny");
    f.fix_text.append("remove this entry, or narrow ").append_quoted(cap_.resource(j))
        .append(" if this entry was meant to restrict access");
  }

  // True when resource i is written in normal form (no "=value" or "?params" in a qualifier).
  [[nodiscard]] constexpr bool is_normal(std::size_t i) const {
    std::vector<char> normal;
    append_text(cap_.pattern_at(i), normal);
    return std::string_view(normal.data(), normal.size()) == cap_.resource(i);
  }

  constexpr void implied(std::size_t i, operation broad, operation narrow, std::string_view why) {
    if (!cap_.ops(i).contains(broad) || granted_over(i, narrow)) return;
    auto& f = add(i, lint_code::implied_op);
    f.message_text.append("grants ").append(name_of(broad)).append(" but not ").append(name_of(narrow))
        .append("; ").append(why);
    f.fix_text.append("add ").append_quoted(name_of(narrow)).append(" to make the grant explicit, or remove ")
        .append_quoted(name_of(broad));
  }

  const capability& cap_;
  pattern_trie trie_{cap_};  // finds the entries whose pattern contains a given one
  std::vector<lint_finding> out_;
};

}  // namespace detail

/// Trie steps per segment of the capability in lint's default work budget.
inline constexpr std::size_t lint_steps_per_segment = 16;
/// Trie steps every capability gets in lint's default work budget, however small.
inline constexpr std::size_t lint_steps_base = 65536;

/// lint's default work budget for `cap`: lint_steps_per_segment steps per ':'-separated
/// segment of its resources, plus lint_steps_base (docs/lint.md, "Cost").
[[nodiscard]] constexpr std::size_t lint_default_budget(const capability& cap) noexcept {
  std::size_t segments = 0;
  for (std::size_t i = 0; i < cap.size(); ++i)
    segments += 1 + static_cast<std::size_t>(std::count(cap.pattern_at(i).body.begin(), cap.pattern_at(i).body.end(), ':'));
  return lint_steps_base + lint_steps_per_segment * segments;
}

/// Findings about `cap`, in document order (by resource offset), each entry's findings in
/// lint_code order. Resource views point into `cap`. An empty vector means nothing to report.
/// The shadowed and implied-op checks take at most `budget` trie steps in all; when they
/// run out, one lint-incomplete finding marks the entry where they stopped (findings before
/// it are exact, it and later entries are not checked for those two codes).
[[nodiscard]] constexpr std::vector<lint_finding> lint(const capability& cap, std::size_t budget) {
  return detail::linter(cap, budget).run();
}

/// lint(cap, lint_default_budget(cap)): enough for every ordinary capability (docs/lint.md).
[[nodiscard]] constexpr std::vector<lint_finding> lint(const capability& cap) {
  return lint(cap, lint_default_budget(cap));
}

/// Deleted: the findings would keep views into a temporary capability. Keep it alive for as
/// long as the findings are used.
std::vector<lint_finding> lint(capability&& cap) = delete;
/// Deleted, as above.
std::vector<lint_finding> lint(capability&& cap, std::size_t budget) = delete;

/// True when some finding has severity error (`capmatch lint` then exits 1).
[[nodiscard]] constexpr bool has_errors(const std::vector<lint_finding>& findings) noexcept {
  for (const auto& f : findings)
    if (f.severity == lint_severity::error) return true;
  return false;
}

/// One line: "<severity> <code> <resource> at byte N: <message>; fix: <fix>" (control
/// characters in the resource shown as \u00XX so it stays one line).
[[nodiscard]] inline std::string to_string(const lint_finding& f) {
  std::string s(name_of(f.severity));
  s.append(" ").append(name_of(f.code)).append(" ");
  detail::escape_one_line(f.resource, [&](std::string_view piece) {
    s.append(piece);
    return true;
  });
  s.append(" at byte ").append(std::to_string(f.offset)).append(": ");
  s.append(f.message()).append("; fix: ").append(f.fix());
  return s;
}

/// {"findings":[{"severity":...,"code":...,"resource":...,"offset":N,"message":...,"fix":...}]}
[[nodiscard]] inline std::string to_json(const std::vector<lint_finding>& findings) {
  std::vector<char> out;
  auto put = [&](std::string_view v) { out.insert(out.end(), v.begin(), v.end()); };
  put("{\"findings\":[");
  for (std::size_t i = 0; i < findings.size(); ++i) {
    const auto& f = findings[i];
    if (i != 0) put(",");
    put("{\"severity\":");
    detail::write_json_string(name_of(f.severity), out);
    put(",\"code\":");
    detail::write_json_string(name_of(f.code), out);
    put(",\"resource\":");
    detail::write_json_string(f.resource, out);
    put(",\"offset\":");
    put(std::to_string(f.offset));
    put(",\"message\":");
    detail::write_json_string(f.message(), out);
    put(",\"fix\":");
    detail::write_json_string(f.fix(), out);
    put("}");
  }
  put("]}");
  return std::string(out.begin(), out.end());
}

CAPMATCH_NAMESPACE_END
