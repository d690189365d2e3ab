// Tests for lint.hpp: every finding code, its severity, offset, message and fix; document
// order; the text and JSON forms. Checked at compile time (static_assert) and at run time.
#include <capmatch/capmatch.hpp>
#include <capmatch/lint.hpp>
#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "random.hpp"
#include "support.hpp"

using namespace capmatch;

namespace {

using text = capmatch_test::basic_text<4096>;

/// "code@offset code@offset ..." for the findings of `doc` ("" when clean), or the parse error.
constexpr text codes(std::string_view doc) {
  text t;
  const auto cap = capability::parse(doc);
  if (!cap) return t.put("parse error: ").put(cap.error().message()), t;
  const auto findings = lint(*cap);
  for (std::size_t i = 0; i < findings.size(); ++i) {
    if (i != 0) t.put(" ");
    t.put(name_of(findings[i].code)).put("@").put_number(findings[i].offset);
  }
  return t;
}

/// Finding k of `doc` as "<severity> <code> <resource> at byte N: <message>; fix: <fix>".
constexpr text line(std::string_view doc, std::size_t k = 0) {
  text t;
  const auto cap = capability::parse(doc);
  if (!cap) return t.put("parse error: ").put(cap.error().message()), t;
  const auto findings = lint(*cap);
  if (k >= findings.size()) return t.put("no finding ").put_number(k), t;
  const auto& f = findings[k];
  t.put(name_of(f.severity)).put(" ").put(name_of(f.code)).put(" ").put(f.resource);
  t.put(" at byte ").put_number(f.offset).put(": ").put(f.message()).put("; fix: ").put(f.fix());
  return t;
}

/// Just the fix of finding k.
constexpr text fix(std::string_view doc, std::size_t k = 0) {
  text t;
  const auto cap = capability::parse(doc);
  if (!cap) return t.put("parse error"), t;
  const auto findings = lint(*cap);
  if (k >= findings.size()) return t.put("no finding"), t;
  return t.put(findings[k].fix()), t;
}

constexpr bool errors(std::string_view doc) {
  const auto cap = capability::parse(doc);
  return cap && has_errors(lint(*cap));
}

std::vector<lint_finding> run_lint(const capability& cap) { return lint(cap); }

capability parsed(std::string_view doc) {
  auto r = capability::parse(doc);
  REQUIRE(r.has_value());
  return *r;
}

}  // namespace

#define LINT_BOTH(expr, expected)                             \
  static_assert((expr).view() == std::string_view(expected)); \
  CHECK((expr).str() == std::string(expected))

TEST_CASE("lint: names of codes and severities are stable") {
  static_assert(name_of(lint_severity::error) == "error");
  static_assert(name_of(lint_severity::security_warning) == "security-warning");
  static_assert(name_of(lint_severity::warning) == "warning");
  static_assert(name_of(lint_severity::suggestion) == "suggestion");
  static_assert(name_of(lint_code::never_matches) == "never-matches");
  static_assert(name_of(lint_code::super_grant) == "super-grant");
  static_assert(name_of(lint_code::literal_star) == "literal-star");
  static_assert(name_of(lint_code::unknown_qualifier) == "unknown-qualifier");
  static_assert(name_of(lint_code::app_wide_no_effect) == "app-wide-no-effect");
  static_assert(name_of(lint_code::shadowed) == "shadowed");
  static_assert(name_of(lint_code::channel_enumeration) == "channel-enumeration");
  static_assert(name_of(lint_code::implied_op) == "implied-op");
  static_assert(name_of(lint_code::ignored_params) == "ignored-params");
  static_assert(name_of(lint_code::incomplete) == "lint-incomplete");
  static_assert(severity_of(lint_code::never_matches) == lint_severity::error);
  static_assert(severity_of(lint_code::super_grant) == lint_severity::security_warning);
  static_assert(severity_of(lint_code::literal_star) == lint_severity::warning);
  static_assert(severity_of(lint_code::unknown_qualifier) == lint_severity::warning);
  static_assert(severity_of(lint_code::app_wide_no_effect) == lint_severity::warning);
  static_assert(severity_of(lint_code::shadowed) == lint_severity::warning);
  static_assert(severity_of(lint_code::channel_enumeration) == lint_severity::suggestion);
  static_assert(severity_of(lint_code::implied_op) == lint_severity::suggestion);
  static_assert(severity_of(lint_code::ignored_params) == lint_severity::suggestion);
  static_assert(severity_of(lint_code::incomplete) == lint_severity::warning);
}

TEST_CASE("lint: ordinary capabilities have no findings") {
  LINT_BOTH(codes("{}"), "");
  LINT_BOTH(codes(R"({"chat:*":["publish","subscribe","presence"],"status":["subscribe","history"],"alerts":["subscribe"]})"), "");
  LINT_BOTH(codes(R"({"chat:bob":["subscribe"],"status":["*"],"secret":["publish","subscribe"]})"), "");
  LINT_BOTH(codes(R"({"*":["subscribe","stats"],"[queue]*":["*"],"[meta]log":["subscribe"],"[filter]c":["*"]})"), "");
  LINT_BOTH(codes(R"({"foo:*:baz":["subscribe"],"foo:bar:*":["subscribe"]})"), "");  // overlap, not containment
  LINT_BOTH(codes(R"({"chat:*":["subscribe"],"chat:bob":["publish"]})"), "");       // ops not a superset
  LINT_BOTH(codes(R"({"*":["*"],"[queue]jobs":["subscribe"]})"), "super-grant@1");  // '*' never covers queues
  CHECK(run_lint(parsed(R"({"a":["*"]})")).empty());
}

TEST_CASE("lint never-matches: empty segments are errors") {
  LINT_BOTH(line(R"({":a":["subscribe"]})"),
            "error never-matches :a at byte 1: an empty segment (leading ':', trailing ':' or '::') means this can "
            "never match a name; fix: did you mean 'a'?");
  LINT_BOTH(fix(R"({"chat:":["subscribe"]})"), "did you mean 'chat:*'?");
  LINT_BOTH(fix(R"({"a::b":["subscribe"]})"), "did you mean 'a:b'?");
  LINT_BOTH(fix(R"({"[queue]a:":["subscribe"]})"), "did you mean '[queue]a:*'?");
  LINT_BOTH(fix(R"({":":["subscribe"]})"), "remove this entry");
  LINT_BOTH(fix(R"({"[meta]::":["subscribe"]})"), "remove this entry");
  static_assert(errors(R"({"a:":["subscribe"]})"));
  CHECK(errors(R"({"a:":["subscribe"]})"));
  static_assert(!errors(R"({"*":["*"],"foo*":["*"]})"));
  CHECK(!errors(R"({"*":["*"],"foo*":["*"]})"));
  // A never-matching entry is not also reported as shadowed (it is already an error).
  LINT_BOTH(codes(R"({"*":["*"],"a::b":["subscribe"]})"), "super-grant@1 never-matches@11");
}

TEST_CASE("lint super-grant: '*' or '[*]*' granted [\"*\"]") {
  LINT_BOTH(line(R"({"*":["*"]})"),
            "security-warning super-grant * at byte 1: grants every operation, including stats, push-admin and "
            "privileged-headers, on every channel; fix: list only the operations needed, on the channels or "
            "namespaces needed (e.g. 'chat:*')");
  LINT_BOTH(line(R"({"[*]*":["*"]})"),
            "security-warning super-grant [*]* at byte 1: grants every operation, including stats, push-admin and "
            "privileged-headers, on every channel, queue and metachannel; fix: list only the operations needed, on "
            "the channels or namespaces needed (e.g. 'chat:*')");
  LINT_BOTH(codes(R"({"[?rewind=1]*":["*"]})"), "super-grant@1 ignored-params@1");
  LINT_BOTH(codes(R"({"*":["subscribe","publish"]})"), "");
  LINT_BOTH(codes(R"({"[queue]*":["*"],"[meta]*":["*"],"chat:*":["*"]})"), "");
}

TEST_CASE("lint literal-star: '*' inside a segment is literal") {
  LINT_BOTH(line(R"({"foo*":["subscribe"]})"),
            "warning literal-star foo* at byte 1: '*' inside the segment 'foo*' is a literal character, not a "
            "wildcard: this matches only a name spelled exactly so; fix: did you mean 'foo:*'?");
  LINT_BOTH(fix(R"({"chat:room*":["subscribe"]})"), "did you mean 'chat:room:*'?");
  LINT_BOTH(fix(R"({"[queue]jobs*":["subscribe"]})"), "did you mean '[queue]jobs:*'?");
  LINT_BOTH(fix(R"({"*foo":["subscribe"]})"),
            "use '*' only as a whole segment between ':' separators (e.g. 'chat:*'), or rename the channel");
  LINT_BOTH(fix(R"({"a*b:c":["subscribe"]})"),
            "use '*' only as a whole segment between ':' separators (e.g. 'chat:*'), or rename the channel");
  LINT_BOTH(fix(R"({"a**":["subscribe"]})"),
            "use '*' only as a whole segment between ':' separators (e.g. 'chat:*'), or rename the channel");
  LINT_BOTH(fix(R"({"x:foo*:y":["subscribe"]})"),
            "use '*' only as a whole segment between ':' separators (e.g. 'chat:*'), or rename the channel");
  LINT_BOTH(codes(R"({"*":["subscribe"],"a:*:b":["publish"],"[*]*":["history"]})"), "");
}

TEST_CASE("lint unknown-qualifier") {
  LINT_BOTH(line(R"({"[quue]jobs":["subscribe"]})"),
            "warning unknown-qualifier [quue]jobs at byte 1: unknown qualifier 'quue': it matches only names with "
            "that qualifier, and Ably defines queue, meta and filter; fix: did you mean '[queue]'?");
  LINT_BOTH(fix(R"({"[metta]log":["subscribe"]})"), "did you mean '[meta]'?");
  LINT_BOTH(fix(R"({"[Filter]c":["subscribe"]})"), "did you mean '[filter]'?");
  LINT_BOTH(fix(R"({"[channels]c":["subscribe"]})"), "use [queue], [meta], [filter], [*] or no qualifier");
  LINT_BOTH(codes(R"({"[queue]a":["*"],"[meta]b":["*"],"[filter]c":["*"],"[*]d":["*"]})"), "");
}

TEST_CASE("lint app-wide-no-effect: stats and push-admin on a resource") {
  LINT_BOTH(line(R"({"room":["stats","subscribe"]})"),
            "warning app-wide-no-effect room at byte 1: stats is app-wide and takes effect only when granted on "
            "'*' or '[*]*'; here it grants nothing; fix: remove 'stats' here, or grant it on '*'");
  LINT_BOTH(codes(R"({"room":["stats","push-admin"]})"), "app-wide-no-effect@1 app-wide-no-effect@1");
  LINT_BOTH(line(R"({"room":["stats","push-admin"]})", 1),
            "warning app-wide-no-effect room at byte 1: push-admin is app-wide and takes effect only when granted "
            "on '*' or '[*]*'; here it grants nothing; fix: remove 'push-admin' here, or grant it on '*'");
  LINT_BOTH(codes(R"({"[queue]*":["stats"]})"), "app-wide-no-effect@1");
  LINT_BOTH(codes(R"({"*":["stats"],"[*]*":["stats"]})"), "shadowed@1");  // "*" is inside "[*]*"
  LINT_BOTH(codes(R"({"room":["*"]})"), "");  // "*" grants them too, but names no op in particular
}

TEST_CASE("lint shadowed: a broader entry with a superset of operations") {
  LINT_BOTH(line(R"({"chat:*":["subscribe","publish"],"chat:bob":["subscribe"]})", 0),
            "warning shadowed chat:bob at byte 34: shadowed by 'chat:*' (at byte 1), which matches every name this "
            "does and grants all its operations; there is no precedence or deny; fix: remove this entry, or narrow "
            "'chat:*' if this entry was meant to restrict access");
  // The classic misreading: a narrower entry does not restrict a broader one.
  LINT_BOTH(codes(R"({"*":["*"],"private":["subscribe"]})"), "super-grant@1 shadowed@11");
  LINT_BOTH(codes(R"({"*":["subscribe"],"chat:*":["subscribe"],"chat:a:b":["subscribe"]})"),
            "shadowed@19 shadowed@42");
  LINT_BOTH(codes(R"({"[*]chan":["subscribe"],"chan":["subscribe"],"[meta]chan":["subscribe"]})"),
            "shadowed@25 shadowed@46");
  LINT_BOTH(codes(R"({"[*]*":["publish"],"[queue]jobs:*":["publish"]})"), "shadowed@20");
  LINT_BOTH(codes(R"({"a:*:c":["publish"],"a:b:c":["publish"]})"), "shadowed@21");
  LINT_BOTH(codes(R"({"a:*":["publish"],"a":["publish"]})"), "");  // "a:*" does not match "a"
  LINT_BOTH(codes(R"({"*":["publish"],"[queue]x":["publish"]})"), "");
  LINT_BOTH(codes(R"({"chat:*":["subscribe"],"chat:bob":["subscribe","publish"]})"), "");
  // Same names and operations: report one of the two, keeping the one in normal form.
  LINT_BOTH(codes(R"({"[filter=a]b":["*"],"[filter]b":["*"]})"), "shadowed@1 ignored-params@1");
  LINT_BOTH(codes(R"({"[filter]b":["*"],"[filter=a]b":["*"]})"), "shadowed@19 ignored-params@19");
  LINT_BOTH(codes(R"({"[?x=1]b":["history"],"[?y=2]b":["history"]})"),
            "ignored-params@1 shadowed@23 ignored-params@23");
}

namespace {
/// The definition lint's containment must agree with: a ∩ b is b itself in normal form.
bool contains_by_intersection(const pattern& a, const pattern& b) {
  if (a.matches_nothing() || b.matches_nothing()) return false;
  std::vector<char> both, normal_b;
  if (!intersect(a, b, both)) return false;
  append_text(b, normal_b);
  return both == normal_b;
}

std::vector<std::string> universe(const std::vector<std::string>& qualifiers, const std::vector<std::string>& segs,
                                  std::size_t max_segments) {
  std::vector<std::string> bodies{""}, out, next;
  for (std::size_t n = 1; n <= max_segments; ++n) {
    next.clear();
    for (const auto& b : bodies)
      for (const auto& s : segs) next.push_back(b.empty() ? s : b + ":" + s);
    bodies = next;
    for (const auto& q : qualifiers)
      for (const auto& b : bodies) out.push_back(q + b);
  }
  return out;
}
}  // namespace

TEST_CASE("lint: pattern containment is exact") {
  std::vector<std::string> patterns = universe({"", "[*]", "[queue]", "[meta]", "[?p=1]"}, {"a", "b", "*"}, 3);
  for (const char* odd : {":a", "a:", "a::*", "[*]:"}) patterns.push_back(odd);
  const std::vector<std::string> names = universe({"", "[queue]", "[meta]"}, {"a", "b", "c"}, 4);
  std::vector<resource_name> parsed_names;
  for (const auto& n : names) parsed_names.push_back(parse_name(n).value());
  std::size_t contained = 0, checked = 0;
  for (const auto& ta : patterns) {
    const pattern a = parse_pattern(ta).value();
    for (const auto& tb : patterns) {
      const pattern b = parse_pattern(tb).value();
      const bool got = contains(a, b);
      // Same answer as the definition by intersection...
      if (got != contains_by_intersection(a, b)) FAIL_CHECK(ta << " contains " << tb << ": " << got);
      // ...and as brute force over a universe of names (for patterns that match something).
      if (!a.matches_nothing() && !b.matches_nothing()) {
        bool subset = true;
        for (const auto& n : parsed_names) subset = subset && (!matches(b, n) || matches(a, n));
        if (got != subset) FAIL_CHECK(ta << " contains " << tb << " by brute force: " << subset);
      }
      contained += got;
      ++checked;
    }
  }
  CHECK(checked == patterns.size() * patterns.size());
  CHECK(contained > 1000);
  static_assert(contains(parse_pattern("[*]*").value(), parse_pattern("[queue]a:*").value()));
  static_assert(!contains(parse_pattern("a:*").value(), parse_pattern("a").value()));
}

namespace {

/// The shadowed and implied-op findings of `cap` by their definition, every pair of entries
/// compared (docs/lint.md): "resource by shadowing-resource" and "resource implied broad".
std::vector<std::string> pairwise_findings(const capability& cap) {
  std::vector<std::string> want;
  auto normal = [&](std::size_t e) {
    std::vector<char> t;
    append_text(cap.pattern_at(e), t);
    return std::string_view(t.data(), t.size()) == cap.resource(e);
  };
  for (std::size_t i = 0; i < cap.size(); ++i) {
    const pattern p = cap.pattern_at(i);
    const std::uint32_t mine = cap.ops(i).granted_bits();
    for (std::size_t j = 0; j < cap.size(); ++j) {
      const pattern q = cap.pattern_at(j);
      if (j == i || (mine & cap.ops(j).granted_bits()) != mine || !contains(q, p)) continue;
      if (mine == cap.ops(j).granted_bits() && contains(p, q)) {
        const bool i_normal = normal(i), j_normal = normal(j);
        if (i_normal != j_normal ? i_normal : cap.source_offset(i) < cap.source_offset(j)) continue;
      }
      want.push_back(std::string(cap.resource(i)) + " by " + std::string(cap.resource(j)));
      break;
    }
    if (cap.ops(i).is_all()) continue;
    const std::pair<operation, operation> implied[] = {{operation::push_admin, operation::push_subscribe},
                                                       {operation::message_update_any, operation::message_update_own},
                                                       {operation::message_delete_any, operation::message_delete_own}};
    for (const auto& [broad, narrow] : implied) {
      if (!cap.ops(i).contains(broad) || cap.ops(i).contains(narrow)) continue;
      if (broad == operation::push_admin && !p.covers_all_channels()) continue;
      bool over = false;
      for (std::size_t j = 0; j < cap.size() && !over; ++j)
        over = cap.ops(j).contains(narrow) && contains(cap.pattern_at(j), p);
      if (!over) want.push_back(std::string(cap.resource(i)) + " implied " + std::string(name_of(broad)));
    }
  }
  std::sort(want.begin(), want.end());
  return want;
}

/// The same findings as lint reports them.
std::vector<std::string> linted_findings(const capability& cap) {
  std::vector<std::string> got;
  for (const auto& f : run_lint(cap)) {
    const std::string m(f.message());
    if (f.code == lint_code::shadowed) {
      const auto open = m.find('\'') + 1;
      got.push_back(std::string(f.resource) + " by " + m.substr(open, m.find('\'', open) - open));
    } else if (f.code == lint_code::implied_op) {
      got.push_back(std::string(f.resource) + " implied " + m.substr(7, m.find(' ', 7) - 7));  // "grants X but"
    }
  }
  std::sort(got.begin(), got.end());
  return got;
}

/// A random capability in one of several shapes, chosen so that containment is frequent and
/// the trie's pruning is exercised: shared first segments and qualifiers, deep "*:" chains,
/// patterns over {a, *} (many containers per entry), equal patterns spelled with different
/// qualifier params (written in reverse order), and operations that make implied-op fire.
std::string lint_shape(capmatch_test::splitmix64& r, int shape) {
  static const std::string_view quals[] = {"", "", "", "[*]", "[queue]", "[meta]", "[queue?x=1]", "[?p]", "[*?q]"};
  static const std::string_view segs[] = {"a", "b", "*", "a*", "c"};
  static const std::string_view opsets[] = {
      R"(["subscribe"])", R"(["subscribe","publish"])", R"(["*"])", R"(["publish"])",
      R"(["message-delete-any"])", R"(["message-delete-own"])", R"(["message-delete-any","subscribe"])",
      R"(["message-update-any","message-delete-own"])", R"(["message-update-own","subscribe"])",
      R"(["push-admin"])", R"(["push-subscribe","publish"])"};
  std::string json = "{";
  std::vector<std::string> seen;
  const std::size_t n = 1 + r.below(shape == 0 ? 30 : 60);
  for (std::size_t k = 0; k < n; ++k) {
    std::string res;
    if (shape == 0) {  // the original mix
      res = r.pick(quals);
      for (std::size_t depth = 1 + r.below(3), d = 0; d < depth; ++d) res.append(d ? ":" : "").append(r.pick(segs));
    } else if (shape == 1) {  // deep "*:" chains with a literal somewhere and maybe a trailing "*"
      res = r.below(4) == 0 ? "[*]" : "";
      const std::size_t depth = 1 + r.below(12), lit = r.below(depth);
      for (std::size_t d = 0; d < depth; ++d)
        res.append(d ? ":" : "").append(d == lit ? "l" + std::to_string(r.below(3)) : "*");
      if (r.below(2) == 0) res.append(":*");
    } else if (shape == 2) {  // {a, *}^d: every entry has many containers
      res = r.below(6) == 0 ? "[*]" : "";
      for (std::size_t depth = 1 + r.below(6), d = 0; d < depth; ++d) res.append(d ? ":" : "").append(r.below(2) ? "a" : "*");
    } else if (shape == 3) {  // one namespace, rooms, wildcards within it
      res = "chat:";
      res.append(r.below(5) == 0 ? "*" : "room" + std::to_string(r.below(20)));
      if (r.below(3) == 0) res.append(r.below(2) ? ":*" : ":x");
    } else {  // the same pattern spelled with different params, in reverse order
      res = "[queue?v=" + std::to_string(99 - k) + "]" + (r.below(3) == 0 ? "a:*" : "a:b");
      if (r.below(4) == 0) res = r.below(2) ? "[queue]a:b" : "[*]a:*";
    }
    if (std::find(seen.begin(), seen.end(), res) != seen.end()) continue;
    seen.push_back(res);
    json.append(json.size() > 1 ? ",\"" : "\"").append(res).append("\":").append(r.pick(opsets));
  }
  return json + "}";
}

}  // namespace

TEST_CASE("lint shadowed and implied-op: the pattern trie finds what a scan of every pair finds") {
  // lint walks a trie of the patterns (detail::pattern_trie) instead of comparing every pair.
  // Against the definition — every other entry, in index order — on random capabilities of
  // several adversarial shapes.
  capmatch_test::splitmix64 r{2611};
  std::size_t shadowed = 0, implied = 0;
  for (int round = 0; round < 2000; ++round) {
    const std::string json = lint_shape(r, round % 5);
    const capability cap = parsed(json);
    const auto want = pairwise_findings(cap);
    const auto got = linted_findings(cap);
    CHECK_MESSAGE(got == want, json);
    for (const auto& g : got) (g.find(" implied ") != std::string::npos ? implied : shadowed) += 1;
  }
  MESSAGE("shadowed: " << shadowed << ", implied-op: " << implied);
  CHECK(shadowed > 5000);
  CHECK(implied > 500);
}

TEST_CASE("lint shadowed: the first shadowing entry in canonical order among many equal patterns") {
  // 200 spellings of [queue]a:b, written in reverse canonical order: each one is shadowed by
  // the first spelling in canonical order that comes before it in the document.
  std::string json = "{";
  for (int k = 199; k >= 0; --k)
    json.append(json.size() > 1 ? ",\"" : "\"").append("[queue?v=").append(std::to_string(1000 + k)).append(
        "]a:b\":[\"subscribe\"]");
  json += "}";
  const capability cap = parsed(json);
  CHECK(linted_findings(cap) == pairwise_findings(cap));
}

TEST_CASE("lint at max_resources: 10 000 entries over many first segments") {
  // Linear in practice: entries are compared only within their first segment's group.
  std::string json = "{";
  for (int t = 0; t < 2000; ++t)
    for (const char* tail : {":room:*", ":room:1", ":user:*", ":log", ":*"})
      json.append(json.size() > 1 ? ",\"" : "\"").append("tenant").append(std::to_string(t)).append(tail).append(
          "\":[\"subscribe\"]");
  json += "}";
  const capability cap = parsed(json);
  REQUIRE(cap.size() == max_resources);
  std::size_t shadowed = 0;
  for (const auto& f : run_lint(cap)) shadowed += f.code == lint_code::shadowed;
  CHECK(shadowed == 8000);  // every tenant's four narrower entries, by its "tenantN:*"
}

TEST_CASE("lint channel-enumeration") {
  LINT_BOTH(line(R"({"*":["channel-metadata"]})"),
            "suggestion channel-enumeration * at byte 1: channel-metadata on every channel also allows enumerating "
            "all the app's channels; fix: grant channel-metadata on narrower namespaces (e.g. 'chat:*') if clients "
            "must not list channels");
  LINT_BOTH(codes(R"({"[*]*":["subscribe","channel-metadata"]})"), "channel-enumeration@1");
  LINT_BOTH(codes(R"({"chat:*":["channel-metadata"]})"), "");
}

TEST_CASE("lint implied-op: an -any or admin op without the op it covers") {
  LINT_BOTH(line(R"({"m:*":["message-update-any"]})"),
            "suggestion implied-op m:* at byte 1: grants message-update-any but not message-update-own; "
            "message-update-any already lets a client update its own messages; fix: add 'message-update-own' to "
            "make the grant explicit, or remove 'message-update-any'");
  LINT_BOTH(codes(R"({"m:*":["message-update-any","message-delete-any"]})"), "implied-op@1 implied-op@1");
  LINT_BOTH(codes(R"({"m:*":["message-update-any","message-update-own"]})"), "");
  // The narrower op granted on a containing entry counts.
  LINT_BOTH(codes(R"({"*":["message-delete-own"],"m:*":["message-delete-any"]})"), "");
  LINT_BOTH(line(R"({"*":["subscribe","push-admin"]})"),
            "suggestion implied-op * at byte 1: grants push-admin but not push-subscribe; push-admin can already "
            "subscribe any device to any channel; fix: add 'push-subscribe' to make the grant explicit, or remove "
            "'push-admin'");
  LINT_BOTH(codes(R"({"*":["push-admin","push-subscribe"]})"), "");
  LINT_BOTH(codes(R"({"[*]*":["push-subscribe"],"*":["push-admin"]})"), "");
  // On a channel push-admin has no effect at all; that is the finding, not this one.
  LINT_BOTH(codes(R"({"room":["push-admin"]})"), "app-wide-no-effect@1");
}

TEST_CASE("lint ignored-params") {
  LINT_BOTH(line(R"({"[filter=name == 'x']chan":["subscribe"]})"),
            "suggestion ignored-params [filter=name == 'x']chan at byte 1: '=value' and '?params' in the qualifier "
            "'[filter=name == 'x']' are ignored when matching; fix: write '[filter]chan'");
  LINT_BOTH(fix(R"({"[?rewind=1]chan":["subscribe"]})"), "write 'chan'");
  LINT_BOTH(fix(R"({"[meta?x=y]log":["subscribe"]})"), "write '[meta]log'");
}

TEST_CASE("lint: findings come in document order, each entry's in code order") {
  // Canonical order would put "*" first; the findings follow the document.
  constexpr std::string_view doc = R"({
  "room":["stats"],
  "foo*":["subscribe"],
  "*":["*"]
})";
  LINT_BOTH(codes(doc), "app-wide-no-effect@4 shadowed@4 literal-star@24 shadowed@24 super-grant@48");
}

TEST_CASE("lint: a built capability (offsets all 0) is reported in canonical order") {
  const capability key = parsed(R"({"*":["*"]})");
  const capability request = parsed(R"({"b*":["stats","subscribe"],"a*":["subscribe"]})");
  const auto effective = intersect(key, request);
  REQUIRE(effective.has_value());
  std::string got;
  for (const auto& f : run_lint(*effective))
    got += std::string(name_of(f.code)) + ":" + std::string(f.resource) + "@" + std::to_string(f.offset) + " ";
  CHECK(got == "literal-star:a*@0 literal-star:b*@0 app-wide-no-effect:b*@0 ");
}

TEST_CASE("lint: to_string and to_json") {
  const capability cap = parsed(R"({"foo*":["subscribe"],"a:":["publish"]})");
  const auto findings = run_lint(cap);
  REQUIRE(findings.size() == 2);
  CHECK(has_errors(findings));
  CHECK(to_string(findings[0]) ==
        "warning literal-star foo* at byte 1: '*' inside the segment 'foo*' is a literal character, not a wildcard: "
        "this matches only a name spelled exactly so; fix: did you mean 'foo:*'?");
  CHECK(to_json(findings) ==
        R"({"findings":[{"severity":"warning","code":"literal-star","resource":"foo*","offset":1,)"
        R"("message":"'*' inside the segment 'foo*' is a literal character, not a wildcard: this matches only a name )"
        R"(spelled exactly so","fix":"did you mean 'foo:*'?"},)"
        R"({"severity":"error","code":"never-matches","resource":"a:","offset":22,)"
        R"("message":"an empty segment (leading ':', trailing ':' or '::') means this can never match a name",)"
        R"("fix":"did you mean 'a:*'?"}]})");
  CHECK(to_json(std::vector<lint_finding>{}) == R"({"findings":[]})");
  // A control character in a resource stays on one line in text and is escaped in JSON.
  const capability odd = parsed(R"({"a\nb*":["subscribe"]})");
  const auto f = run_lint(odd);
  REQUIRE(f.size() == 1);
  CHECK(to_string(f[0]).find('\n') == std::string::npos);
  CHECK(to_string(f[0]).rfind("warning literal-star a\\u000Ab* at byte 1: ", 0) == 0);
  CHECK(to_json(f).find(R"("resource":"a\nb*")") != std::string::npos);
}

TEST_CASE("lint: long resources are clipped in messages, not in the resource field") {
  const std::string longname(100, 'x');
  const capability cap = parsed("{\"" + longname + "*\":[\"subscribe\"]}");
  const auto f = run_lint(cap);
  REQUIRE(f.size() == 1);
  CHECK(f[0].resource == longname + "*");
  CHECK(f[0].message().size() < detail::lint_text::capacity);
  CHECK(f[0].fix() == "did you mean '" + longname.substr(0, 48) + "...'?");
}
