// The benchmark's strong sublist baseline (bench/baselines/sublist.hpp) answers exactly like
// capability::ops_for: on the spec's examples, on invalid names, and on every query of the
// benchmark's workload families (bench/workloads.hpp) at small N, plus invalid variants; the
// matcher and the sublist do on its shapes (shape_pattern), in every build variant of the suite.
#include <doctest/doctest.h>

#include <capmatch/capability.hpp>
#include <capmatch/matcher.hpp>

#include <string>
#include <vector>

#include "../bench/baselines/sublist.hpp"
#include "../bench/workloads.hpp"

namespace {

capmatch::capability parse(const std::string& json) {
  auto c = capmatch::capability::parse(json);
  REQUIRE(c.has_value());
  return std::move(*c);
}

// The bit of one operation, as a one-entry capability grants it.
std::uint32_t bit(const char* op) { return parse(std::string(R"({"x":[")") + op + "\"]}").ops(0).granted_bits(); }

}  // namespace

TEST_CASE("strong sublist: docs/semantics.md §6-10 examples") {
  // Each pattern grants its own operation, so the expected masks are read off the spec.
  const auto cap = parse(R"({"namespace:*":["subscribe"],"foo:*:baz":["publish"],"foo*":["presence"],)"
                         R"("[*]chan":["history"],"[queue]*":["channel-metadata"],"*":["push-subscribe"]})");
  const capmatch_bench::strong_sublist s(cap);
  const auto sub = bit("subscribe"), pub = bit("publish"), pres = bit("presence"), hist = bit("history"),
             meta = bit("channel-metadata"), push = bit("push-subscribe");
  CHECK(s.ops("namespace:channel") == (sub | push));  // `*` alone is a trailing `*`: every unqualified name
  CHECK(s.ops("namespace:channel:other") == (sub | push));
  CHECK(s.ops("namespace") == push);  // `namespace:*` needs one more segment
  CHECK(s.ops("foo:bar:baz") == (pub | push));
  CHECK(s.ops("foo:bar:bam:baz") == push);  // the middle `*` is exactly one segment
  CHECK(s.ops("foo*") == (pres | push));
  CHECK(s.ops("foox") == push);
  CHECK(s.ops("chan") == (hist | push));
  CHECK(s.ops("[filter]chan") == hist);
  CHECK(s.ops("[filter=name == 'x'?rewind=1]chan") == hist);
  CHECK(s.ops("[meta]chan") == hist);
  CHECK(s.ops("[?rewind=1]chan") == (hist | push));
  CHECK(s.ops("[queue]app:q") == meta);
  CHECK(s.ops("[queue?x=1]chan") == (meta | hist));
  // Invalid names grant nothing.
  for (const char* bad : {"", "[*]chan", "[]chan", "[=v]chan", "[queue]", "[queue][meta]chan", "[que[ue]chan",
                          "[queue", "a::b", ":a", "a:", "namespace:"})
    CHECK(s.ops(bad) == 0);
  CHECK(s.ops(std::string_view("cha\0n", 5)) == 0);
  std::string many = "namespace";
  for (int i = 0; i < 127; ++i) many += ":s";
  CHECK(s.ops(many) == (sub | push));  // 128 segments: the limit
  CHECK(s.ops(many + ":s") == 0);
  CHECK(s.ops("namespace:" + std::string(capmatch::max_resource_bytes - 10, 'x')) == (sub | push));
  CHECK(s.ops("namespace:" + std::string(capmatch::max_resource_bytes - 9, 'x')) == 0);
}

namespace {

// The query, and an invalid or re-qualified variant of it.
std::string variant_of(capmatch_test::splitmix64& r, const std::string& q) {
  std::string v = q;
  switch (r.below(6)) {
    case 0: v.insert(r.below(v.size() + 1), ":"); break;
    case 1: v.insert(r.below(v.size() + 1), std::string(1, '\0')); break;
    // (insert, not "[*]" + v: g++ 12 -O3 warns falsely on that)
    case 2: v.insert(0, "[*]"); break;
    case 3: v.insert(0, "]").insert(0, std::to_string(r.below(4))).insert(0, "[ns"); break;
    case 4: v.insert(0, "["); break;
    default: v += ":*"; break;
  }
  return v;
}

}  // namespace

TEST_CASE("strong sublist: equal to capability::ops_for on the benchmark's families") {
  std::size_t checked = 0;
  for (const auto& fi : capmatch_bench::families) {
    for (std::size_t n : {1, 8, 64, 512}) {
      const auto w = capmatch_bench::make_workload(fi.name, n);
      const auto cap = parse(w.json);
      const capmatch_bench::strong_sublist s(cap);
      capmatch_test::splitmix64 r{n};
      for (const auto& q : w.query_text) {
        for (const std::string& name : {q, variant_of(r, q)}) {
          INFO(fi.name, "/", n, " name '", name, "'");
          CHECK(s.ops(name) == cap.ops_for(name).granted_bits());
          ++checked;
        }
      }
    }
  }
  CHECK(checked == std::size(capmatch_bench::families) * 4 * 4096 * 2);
}

TEST_CASE("matcher and strong sublist: equal to capability::ops_for on the benchmark's shapes") {
  std::size_t checked = 0, granted = 0;
  for (const auto& fi : capmatch_bench::shapes) {
    for (std::size_t n : {64, 512}) {
      const auto w = capmatch_bench::make_workload(fi.name, n);
      REQUIRE(w.patterns.size() == n);
      const auto cap = parse(w.json);
      const capmatch::matcher m(cap);
      const capmatch_bench::strong_sublist s(cap);
      capmatch_test::splitmix64 r{n + 1};
      for (const auto& q : w.query_text) {
        for (const std::string& name : {q, variant_of(r, q)}) {
          INFO(fi.name, "/", n, " name '", name, "'");
          const std::uint32_t want = cap.ops_for(name).granted_bits();
          CHECK(m.ops_for(name).granted_bits() == want);
          CHECK(s.ops(name) == want);
          granted += want != 0 ? 1 : 0;
          ++checked;
        }
      }
    }
  }
  CHECK(checked == std::size(capmatch_bench::shapes) * 2 * 4096 * 2);
  CHECK(granted > checked / 4);  // the hits are hits: the half of the names instantiated from a pattern
}
