// Fuzz target 4: intersection soundness and completeness (docs/semantics.md §18). The input bytes
// build a key and a request from a small alphabet of segments, qualifiers and operations;
// then for a set of names (instances of every pattern plus fixed and fuzzer-given names)
// ops(key ∩ req, n) == ops(key, n) & ops(req, n), checked with the library and the naive
// reference. The intersection's canonical text re-parses to an equal capability. covers is
// sound on key and request, and both cover their intersection (issue 14 round 2).
// SPDX-License-Identifier: MIT
#include <utility>

#include "common.hpp"


extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::bytes in(data, size);
  std::vector<std::string> patterns;
  const std::string key_doc = gen::make_doc(in, patterns, 5);
  const std::string req_doc = gen::make_doc(in, patterns, 5);
  const std::uint8_t choice = in.next();
  const auto key = capmatch::capability::parse(key_doc);
  const auto req = capmatch::capability::parse(req_doc);
  FUZZ_CHECK(key.has_value() && req.has_value());

  std::vector<std::string> names = {"a", "b", "a:b", "a:a:a", "zz", "[queue]a", "[meta]a:b", "a*", "ab:c"};
  for (const auto& p : patterns) gen::instances(p, choice, names);
  if (!in.rest().empty()) names.emplace_back(in.rest());

  // covers (docs/semantics.md Decision C1) is sound: when it says a covers b, every operation b
  // allows on a name, and every app-wide one, a allows. (allows, not ops_for: stats and
  // push-admin listed on a channel pattern are in ops_for but grant nothing, Decision D6.)
  // Completeness is checked below on key ∩ req.
  for (const auto& [a, b] : {std::pair{&*key, &*req}, std::pair{&*req, &*key}}) {
    if (!capmatch::covers(*a, *b)) continue;
    for (std::size_t o = 0; o < capmatch::operation_count; ++o) {
      const auto op = static_cast<capmatch::operation>(o);
      for (const auto& n : names) FUZZ_CHECK(!b->allows(n, op) || a->allows(n, op));
      FUZZ_CHECK(!b->allows_app_wide(op) || a->allows_app_wide(op));
    }
  }
  const auto both = capmatch::intersect(*key, *req);
  const naive::cap kref = naive::read_cap(fuzz::entries(*key)), rref = naive::read_cap(fuzz::entries(*req));
  if (!both) {
    FUZZ_CHECK(both.error().code() == capmatch::errc::empty_intersection ||
               both.error().code() == capmatch::errc::limit_exceeded);
    if (both.error().code() == capmatch::errc::limit_exceeded) return 0;
    FUZZ_CHECK(both.error().ably_code() == 40160 && both.error().status_code() == 401);
    for (const auto& n : names)
      FUZZ_CHECK((key->ops_for(n).granted_bits() & req->ops_for(n).granted_bits()) == 0);
    return 0;
  }
  const naive::cap bref = naive::read_cap(fuzz::entries(*both));
  for (const auto& n : names) {
    const std::uint32_t k = key->ops_for(n).granted_bits(), r = req->ops_for(n).granted_bits();
    const std::uint32_t b = both->ops_for(n).granted_bits();
    FUZZ_CHECK(b == (k & r));
    FUZZ_CHECK(k == naive::ops_for(kref, n) && r == naive::ops_for(rref, n) && b == naive::ops_for(bref, n));
    for (const auto op : {static_cast<capmatch::operation>(n.size() % capmatch::operation_count), capmatch::operation::stats})
      FUZZ_CHECK(both->allows(n, op) == (key->allows(n, op) && req->allows(n, op)));
  }
  for (std::size_t o = 0; o < capmatch::operation_count; ++o) {
    const auto op = static_cast<capmatch::operation>(o);
    // App-wide grants are intersected like any other (docs/semantics.md §12, §18).
    FUZZ_CHECK(both->allows_app_wide(op) == (key->allows_app_wide(op) && req->allows_app_wide(op)));
  }
  // Each pattern of key ∩ req lies inside a pattern of the key (and of the request) that grants
  // its operations, so both cover it, unless covers ran out of its work budget (then false).
  for (const auto* outer : {&*key, &*req}) {
    capmatch::detail::covers_work work;
    FUZZ_CHECK(capmatch::detail::covers_counted(*outer, *both, capmatch::covers_default_budget(*outer, *both), work) ||
               work.exhausted);
  }
  const std::string text = both->to_json();
  const auto again = capmatch::capability::parse(text);
  FUZZ_CHECK(again.has_value() && *again == *both && again->to_json() == text);
  // The absent request is the request {"[*]*":["*"]} (docs/semantics.md §14, issue 14 item 5): the
  // same result byte for byte, or the same error, and the key's own grants.
  const auto whole = capmatch::intersect(*key);
  const auto spelled = capmatch::intersect(*key, *capmatch::capability::parse(R"({"[*]*":["*"]})"));
  FUZZ_CHECK(whole.has_value() == spelled.has_value());
  if (!whole) {
    FUZZ_CHECK(whole.error().code() == spelled.error().code() && whole.error().message() == spelled.error().message());
    if (whole.error().code() == capmatch::errc::empty_intersection)
      for (const auto& n : names) FUZZ_CHECK(key->ops_for(n).empty());
    return 0;
  }
  FUZZ_CHECK(whole->to_json() == spelled->to_json());
  for (const auto& n : names) FUZZ_CHECK(whole->ops_for(n).granted_bits() == key->ops_for(n).granted_bits());
  for (std::size_t o = 0; o < capmatch::operation_count; ++o) {
    const auto op = static_cast<capmatch::operation>(o);
    FUZZ_CHECK(whole->allows_app_wide(op) == key->allows_app_wide(op));
  }
  return 0;
}
