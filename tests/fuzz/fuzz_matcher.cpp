// Fuzz target 3: differential matching. The compiled matcher (automaton and trie-walk
// modes) against capability::ops_for against the naive reference in common.hpp, on
// capabilities built from the input (even first byte: a structured capability of up to 24
// patterns from a small alphabet and names derived from its patterns; odd: raw capability
// JSON and raw names separated by 0xFF bytes), and (a third matcher) under an automaton bound
// tightened to 6-261 stored units by the last byte.
// The work per input is capped so that the target runs at thousands of inputs a second: the names
// derived from patterns come from at most kPatternsNamed patterns spread over the capability, at
// most kRawNames raw names are read, and run.sh gives this target -max_len=2048 (a capability of
// up to ~100 patterns). Every name is still checked against every pattern by all three.
// SPDX-License-Identifier: MIT
#include <capmatch/matcher.hpp>

#include "common.hpp"

namespace {
constexpr std::size_t kPatternsNamed = 32;
constexpr std::size_t kRawNames = 64;

// The grouped check (docs/matcher.md, "Groups"), which capabilities this small never reach
// through the matcher: the literal-led, `*`-led and `[*]*`-led groups built apart and checked
// by groups_ops, the star-led ones with their literal filters (prefilter.hpp). The groups
// partition the patterns, so the union of their answers is the capability's; a group that
// grants a name is never skipped by its filter.
void compare_grouped(const capmatch::capability& cap, const std::vector<std::string>& names) {
  namespace cm = capmatch::detail::cm;
  const cm::pattern_group kinds[3] = {cm::pattern_group::literal_led, cm::pattern_group::star_led,
                                      cm::pattern_group::any_star_led};
  cm::storage parts[3];
  cm::tables t[4];
  for (std::size_t g = 0; g < 3; ++g) {
    parts[g] = std::move(cm::builder(cap, capmatch::matcher_mode::automatic, kinds[g]).out);
    t[g] = parts[g].view();
  }
  const std::uint32_t want = cm::filter_indices_of(t[0], t[1], t[2], t[3]);
  const auto check = [&](std::string_view n) {
    FUZZ_CHECK(cm::groups_ops(t[0], t[1], t[2], t[3], 3, n) == cap.ops_for(n));
    if (want == 0) return;
    const std::uint32_t run = cm::admitted_groups(t[0], t[1], t[2], t[3], 3, want, n);
    for (std::size_t g = 0; g < 3; ++g) FUZZ_CHECK(t[g].ops_for(n).empty() || (run >> g & 1) != 0);
  };
  for (const auto& n : names) {
    check(n);
    // The filters count segments from the qualifier's end, and a qualifier may hold ':'.
    if (n.empty() || n[0] != '[') check("[q:a:b]" + n);
  }
}

// `units`: a tightened automaton bound (build_options::dfa_units) for a third matcher, so that
// capabilities this small take the paths only thousands of patterns take with the default bound:
// the construction with fallback transitions, split records, the groups, the trie walk.
void compare(const capmatch::capability& cap, const std::vector<std::string>& names, std::size_t units) {
  compare_grouped(cap, names);
  const capmatch::matcher fast(cap);
  const capmatch::matcher walk(cap, capmatch::matcher_mode::trie_walk);
  const capmatch::matcher tight =
      capmatch::detail::cm::matcher_access::build(cap, capmatch::matcher_mode::automatic, {.dfa_units = units});
  const naive::cap ref = naive::read_cap(fuzz::entries(cap));
  for (const auto& n : names) {
    const capmatch::op_set want = cap.ops_for(n);
    FUZZ_CHECK(fast.ops_for(n) == want);
    FUZZ_CHECK(walk.ops_for(n) == want);
    FUZZ_CHECK(tight.ops_for(n) == want);
    FUZZ_CHECK(want.granted_bits() == naive::ops_for(ref, n));
    // allows() is ops_for plus the app-wide rule, written out from docs/semantics.md §12: an
    // app-wide operation is never allowed on a resource. One ordinary and one app-wide operation.
    for (const auto op : {static_cast<capmatch::operation>(n.size() % capmatch::operation_count), capmatch::operation::stats}) {
      const bool expected = !capmatch::is_app_wide(op) && want.contains(op);
      FUZZ_CHECK(fast.allows(n, op) == expected);
      FUZZ_CHECK(walk.allows(n, op) == expected);
    }
  }
  for (std::size_t o = 0; o < capmatch::operation_count; ++o) {
    const auto op = static_cast<capmatch::operation>(o);
    FUZZ_CHECK(fast.allows_app_wide(op) == cap.allows_app_wide(op));
    FUZZ_CHECK(walk.allows_app_wide(op) == cap.allows_app_wide(op));
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t units = 6 + data[size - 1];  // the tight matcher's bound: 6 to 261 stored units
  std::vector<std::string> names = {"a", "b", "a:b", "a:a:a", "zz", "[queue]a", "[meta]a:b", "a*", "ab:c",
                                    "[?x]a", "[queue=v]a:b", "[*]a", "a::b", ":a", "a:", "[a", "[]a"};
  if (data[0] % 2 == 0) {
    fuzz::bytes in(data + 1, size - 1);
    std::vector<std::string> patterns;
    const std::string doc = gen::make_doc(in, patterns, 24);
    const auto cap = capmatch::capability::parse(doc);
    FUZZ_CHECK(cap.has_value());
    const std::uint8_t choice = in.next();
    for (const auto& p : patterns) gen::instances(p, choice, names);
    if (!in.rest().empty()) names.emplace_back(in.rest());
    compare(*cap, names, units);
    return 0;
  }
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  auto sep = in.find('\xFF');
  const auto cap = capmatch::capability::parse(in.substr(0, sep));
  if (!cap) return 0;
  for (std::size_t raw = 0; sep != std::string_view::npos && raw < kRawNames; ++raw) {
    in = in.substr(sep + 1);
    sep = in.find('\xFF');
    names.emplace_back(in.substr(0, sep));
  }
  // Names from at most kPatternsNamed patterns, evenly spread (first and last included).
  const std::size_t n = cap->size(), step = n <= kPatternsNamed ? 1 : (n + kPatternsNamed - 1) / kPatternsNamed;
  for (std::size_t i = 0; i < n; i += step) gen::instances(std::string(cap->resource(i)), 0, names);
  if (n != 0 && (n - 1) % step != 0) gen::instances(std::string(cap->resource(n - 1)), 0, names);
  compare(*cap, names, units);
  return 0;
}
