// Property test for docs/semantics.md §18 (soundness and completeness of key ∩ request) and for
// explain agreeing with allows. Fixed seed, own PRNG: the run is the same on every machine.
#include <capmatch/capmatch.hpp>
#include <doctest/doctest.h>

#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "support.hpp"
#include "random.hpp"

using namespace capmatch;

namespace {

using capmatch_test::splitmix64;

constexpr std::uint64_t seed = 0x5EED'CAB1'1171'0018ull;
constexpr std::size_t pair_count = 100'000;

// Operations drawn into capabilities (stats is app-wide: never allowed on a resource).
constexpr operation op_pool[] = {operation::subscribe, operation::publish, operation::presence, operation::stats};
// Operations checked: the pool, one never listed (only "*" grants it), and channel-metadata.
constexpr operation checked_ops[] = {operation::subscribe, operation::publish, operation::presence,
                                     operation::stats, operation::history, operation::channel_metadata};

std::string random_pattern(splitmix64& rng) {
  static constexpr const char* segments[] = {"a", "b", "c", "*"};
  static constexpr const char* qualifiers[] = {"", "", "", "", "[queue]", "[queue]", "[meta]", "[meta]",
                                               "[*]", "[*]", "[?p=1]", "[queue=v]"};
  std::string s = qualifiers[rng.below(12)];
  const std::uint32_t n = 1 + rng.below(3);
  for (std::uint32_t i = 0; i < n; ++i) {
    if (i != 0) s += ':';
    s += segments[rng.below(4)];
  }
  return s;
}

std::string random_ops(splitmix64& rng) {
  if (rng.below(4) == 0) return R"(["*"])";
  std::uint32_t mask = 0;
  while (mask == 0) mask = rng.below(16);
  std::string s = "[";
  for (std::uint32_t i = 0; i < 4; ++i) {
    if (((mask >> i) & 1u) == 0) continue;
    if (s.size() > 1) s += ',';
    s += '"';
    s += name_of(op_pool[i]);
    s += '"';
  }
  return s + "]";
}

/// A capability document with 0..3 distinct resources (0 rarely: {} must be handled too).
std::string random_capability(splitmix64& rng) {
  const std::uint32_t entries = rng.below(50) == 0 ? 0 : 1 + rng.below(3);
  std::vector<std::string> used;
  std::string doc = "{";
  while (used.size() < entries) {
    const std::string p = random_pattern(rng);
    bool dup = false;
    for (const auto& u : used) dup = dup || u == p;
    if (dup) continue;
    used.push_back(p);
    if (doc.size() > 1) doc += ',';
    doc += '"' + p + "\":" + random_ops(rng);
  }
  return doc + "}";
}

/// Every concrete name: no qualifier, [queue], [meta], [filter]; 1-4 segments over a, b, c.
std::vector<std::string> universe() {
  std::vector<std::string> bodies, layer{""};
  for (int len = 1; len <= 4; ++len) {
    std::vector<std::string> next;
    for (const auto& prefix : layer)
      for (const char* seg : {"a", "b", "c"}) next.push_back(prefix.empty() ? seg : prefix + ":" + seg);
    bodies.insert(bodies.end(), next.begin(), next.end());
    layer = next;
  }
  std::vector<std::string> names;
  for (const char* q : {"", "[queue]", "[meta]", "[filter]"})
    for (const auto& b : bodies) names.push_back(q + b);
  return names;
}

/// The operations in checked_ops that `c` allows on `n`, as a bit mask (bit i = checked_ops[i]).
std::uint32_t allowed_mask(const capability& c, const resource_name& n) {
  const op_set granted = c.ops_for(n);
  std::uint32_t mask = 0;
  for (std::size_t i = 0; i < std::size(checked_ops); ++i)
    if (!is_app_wide(checked_ops[i]) && granted.contains(checked_ops[i])) mask |= 1u << i;
  return mask;
}

}  // namespace

TEST_CASE("§18 property: allowed(key ∩ req, r, o) == allowed(key, r, o) && allowed(req, r, o); explain == allows") {
  splitmix64 rng{seed};
  const std::vector<std::string> name_texts = universe();
  std::vector<resource_name> names;
  for (const auto& t : name_texts) names.push_back(parse_name(t).value());

  std::size_t failures = 0, reported = 0;
  std::size_t empty_results = 0, allowed_checks = 0, explain_checks = 0;
  auto report = [&](const std::string& what) {
    ++failures;
    if (reported < 5) {
      ++reported;
      FAIL_CHECK(what);
    }
  };

  for (std::size_t iter = 0; iter < pair_count; ++iter) {
    const std::string key_doc = random_capability(rng);
    const std::string req_doc = random_capability(rng);
    const auto key = capability::parse(key_doc);
    const auto req = capability::parse(req_doc);
    if (!key || !req) {
      report("generated capability does not parse: " + key_doc + " / " + req_doc);
      continue;
    }
    const auto both = intersect(*key, *req);
    const std::string result_text = both ? both->to_json() : std::string("40160");
    if (!both) {
      ++empty_results;
      if (both.error().code() != errc::empty_intersection)
        report("unexpected error from intersect: " + std::string(both.error().message()));
    } else {
      // The result is a canonical capability: its text parses back to it.
      const auto back = capability::parse(result_text);
      if (!back || !(*back == *both)) report("result does not round trip: " + result_text);
    }

    // Soundness and completeness on every name of the universe, for every checked op.
    for (std::size_t i = 0; i < names.size(); ++i) {
      const std::uint32_t expected = allowed_mask(*key, names[i]) & allowed_mask(*req, names[i]);
      const std::uint32_t got = both ? allowed_mask(*both, names[i]) : 0u;
      allowed_checks += expected != 0;
      if (got != expected) {
        std::ostringstream msg;
        msg << "key " << key_doc << " ∩ request " << req_doc << " = " << result_text << " on '" << name_texts[i]
            << "': allowed ops mask " << got << ", expected " << expected;
        report(msg.str());
      }
    }

    // App-wide operations: granted by the result iff granted by both.
    for (operation op : {operation::stats, operation::channel_metadata, operation::subscribe}) {
      const bool expected = key->allows_app_wide(op) && req->allows_app_wide(op);
      const bool got = both && both->allows_app_wide(op);
      if (got != expected)
        report("app-wide " + std::string(name_of(op)) + ": key " + key_doc + " ∩ request " + req_doc + " = " +
               result_text);
    }

    // explain agrees with allows, and a direct allows call agrees with ops_for, on a sample.
    for (int k = 0; k < 3; ++k) {
      const std::string& name = name_texts[rng.below(static_cast<std::uint32_t>(name_texts.size()))];
      const operation op = checked_ops[rng.below(static_cast<std::uint32_t>(std::size(checked_ops)))];
      for (const capability* c : {&*key, &*req, both ? &*both : nullptr}) {
        if (c == nullptr) continue;
        ++explain_checks;
        const decision d = explain(*c, name, op);
        const bool allowed = c->allows(name, op);
        const bool via_ops = !is_app_wide(op) && c->ops_for(name).contains(op);
        if (d.allowed != allowed || allowed != via_ops || (d.reason == denial::none) != allowed)
          report("explain/allows disagree on '" + name + "' " + std::string(name_of(op)) + " under " + c->to_json());
      }
    }
  }

  MESSAGE("pairs: " << pair_count << ", empty intersections: " << empty_results
                    << ", (pair, name) checks where both allow something: " << allowed_checks
                    << ", explain checks: " << explain_checks);
  CHECK(failures == 0);
  // The generator is not degenerate: both outcomes are common, and many checks grant something.
  CHECK(empty_results > pair_count / 20);
  CHECK(empty_results < pair_count * 19 / 20);
  CHECK(allowed_checks > pair_count);
  CHECK(explain_checks >= pair_count * 6);
}

TEST_CASE("§18 property on both loops of intersect: the pairwise path (small inputs) and the general path") {
  // intersect() takes the pairwise path for inputs this small; the general loop (request index,
  // interned ids) is forced here so that the soundness property holds for each path by itself.
  splitmix64 rng{seed ^ 0x6A11'0000'0000'0006ull};
  const std::vector<std::string> name_texts = universe();
  std::vector<resource_name> names;
  for (const auto& t : name_texts) names.push_back(parse_name(t).value());
  std::size_t failures = 0, granting = 0;
  for (std::size_t iter = 0; iter < pair_count / 5; ++iter) {
    const std::string key_doc = random_capability(rng), req_doc = random_capability(rng);
    const capability key = capability::parse(key_doc).value(), req = capability::parse(req_doc).value();
    for (const auto path : {detail::intersect_path::pairwise, detail::intersect_path::general}) {
      detail::intersect_work work;
      const auto both = detail::intersect_counted(key, req, work, path);
      if (!both && both.error().code() != errc::empty_intersection) {
        ++failures;
        continue;
      }
      for (std::size_t i = 0; i < names.size(); ++i) {
        const std::uint32_t expected = allowed_mask(key, names[i]) & allowed_mask(req, names[i]);
        const std::uint32_t got = both ? allowed_mask(*both, names[i]) : 0u;
        granting += expected != 0;
        if (got != expected && ++failures <= 5)
          FAIL_CHECK((path == detail::intersect_path::general ? "general" : "pairwise")
                     << " path: " << key_doc << " ∩ " << req_doc << " on '" << name_texts[i] << "': " << got
                     << " vs " << expected);
      }
    }
  }
  CHECK(failures == 0);
  CHECK(granting > pair_count / 5);
}

TEST_CASE("§14 property: intersect(key) allows exactly what the key allows") {
  splitmix64 rng{seed ^ 0xABCDEFull};
  const std::vector<std::string> name_texts = universe();
  std::size_t failures = 0;
  for (std::size_t iter = 0; iter < 2'000; ++iter) {
    const std::string key_doc = random_capability(rng);
    const auto key = capability::parse(key_doc);
    REQUIRE(key);
    const auto alone = intersect(*key);
    if (key->empty()) {
      failures += alone.has_value();
      continue;
    }
    // Issue 14 item 5: no request and {"[*]*":["*"]} are one request, byte for byte; the
    // result is the key in normal form, so compare what it allows, not its text.
    const auto all = intersect(*key, capability::parse(R"({"[*]*":["*"]})").value());
    if (alone.has_value() != all.has_value() || (alone && alone->to_json() != all->to_json())) {
      ++failures;
      continue;
    }
    for (const auto& n : name_texts) {
      const auto parsed = parse_name(n).value();
      if ((alone ? allowed_mask(*alone, parsed) : 0u) != allowed_mask(*key, parsed)) {
        ++failures;
        if (failures < 5) FAIL_CHECK("key " << key_doc << " with no request differs on " << n);
      }
    }
  }
  CHECK(failures == 0);
}
