// capmatch benchmark: the matcher built during compilation (static_matcher<key>) against the
// run-time matcher built from the same capability, and capability::allows as the baseline.
//
//   capmatch_bench_static [--gate-only] [google-benchmark flags]
//
// The capability is a literal (checked during compilation); the queries come from a
// deterministic generator: names each pattern matches and near misses (a segment changed,
// added or dropped, or another qualifier). Before any timing, a correctness gate checks that
// both matchers answer every query like capability::ops_for (the simple reference);
// a mismatch names the query and exits 1 (and each benchmark SkipWithError's).
#include <capmatch/capability.hpp>
#include <capmatch/matcher.hpp>
#include <capmatch/static_capability.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "../tests/random.hpp"
#include "gated_main.hpp"

namespace {

using capmatch::capability;
using capmatch::operation;

// 48 patterns in the shapes auth servers hard-code: per-tenant rooms, wildcards in the middle
// and at the end, queues, metachannels, [*] patterns.
constexpr capmatch::static_capability key{
    R"({"tenant0:room:*":["publish","subscribe","presence"],"tenant0:*:admin":["*"],)"
    R"("tenant0:user:u1:*":["subscribe"],"tenant0:chat:1:lobby":["history"],"[queue]tenant0:jobs:*":["subscribe"],)"
    R"("[meta]tenant0:log":["subscribe"],"[*]tenant0:app:*":["presence"],"tenant0:room:7:thread1":["publish"],)"
    R"("tenant1:room:*":["publish","subscribe"],"tenant1:*:admin":["subscribe"],"tenant1:user:u2:*":["subscribe"],)"
    R"("tenant1:chat:2:lobby":["history"],"[queue]tenant1:jobs:3":["subscribe"],"[meta]tenant1:log:4":["subscribe"],)"
    R"("[*]tenant1:app:*":["presence"],"tenant1:room*:5":["publish"],"tenant2:room:*":["subscribe"],)"
    R"("tenant2:*:admin":["*"],"tenant2:user:u3:*":["publish","subscribe"],"tenant2:chat:3:typing":["presence"],)"
    R"("[queue]tenant2:jobs:*":["subscribe"],"[meta]tenant2:log":["subscribe"],"[*]tenant2:app:*":["history"],)"
    R"("tenant2:lobby*":["publish"],"tenant3:room:*:typing":["presence"],"tenant3:*:admin":["subscribe"],)"
    R"("tenant3:user:u4:*":["subscribe"],"tenant3:chat:4:msg12":["history"],"[queue]tenant3:jobs:5":["subscribe"],)"
    R"("[meta]tenant3:log:6":["subscribe"],"[*]tenant3:app:*":["presence"],"tenant3:room:9":["publish"],)"
    R"("tenant4:room:*":["publish","subscribe","presence","history"],"tenant4:*:admin":["*"],)"
    R"("tenant4:user:u5:*":["subscribe"],"tenant4:chat:5:u77":["history"],"[queue]tenant4:jobs:*":["subscribe"],)"
    R"("[meta]tenant4:log":["subscribe"],"[*]tenant4:app:*":["presence"],"tenant4:room:11:thread2":["publish"],)"
    R"("tenant5:room:*":["subscribe"],"tenant5:*:admin":["publish"],"tenant5:user:u6:*":["subscribe"],)"
    R"("tenant5:chat:6:lobby":["history"],"[queue]tenant5:jobs:7":["subscribe"],"[meta]tenant5:log:8":["subscribe"],)"
    R"("[*]tenant5:app:*":["presence"],"status":["subscribe"],"announcements:*":["subscribe","history"]})"};

using capmatch_test::splitmix64;

std::string token(splitmix64& r) {
  static const char* const words[] = {"room", "lobby", "admin", "typing", "user", "jobs", "log", "app", "chat"};
  switch (r.below(3)) {
    case 0: return words[r.below(sizeof words / sizeof words[0])];
    case 1: return "u" + std::to_string(r.below(100000));
    default: return std::to_string(r.below(100));
  }
}

// A name the pattern matches: wildcards filled in, [*] replaced by some qualifier or none.
std::string instantiate(splitmix64& r, std::string_view p) {
  std::string name;
  if (p.substr(0, 3) == "[*]") {
    static const char* const qs[] = {"", "[queue]", "[meta]"};
    name = qs[r.below(3)];
    p.remove_prefix(3);
  } else if (p[0] == '[') {
    const auto close = p.find(']') + 1;
    name = std::string(p.substr(0, close));
    p.remove_prefix(close);
  }
  for (std::size_t pos = 0, i = 0;; ++i) {
    const auto colon = p.find(':', pos);
    const std::string_view seg = p.substr(pos, colon == std::string_view::npos ? colon : colon - pos);
    if (i != 0) name += ':';
    name += seg == "*" ? token(r) : std::string(seg);
    if (colon == std::string_view::npos) break;
    pos = colon + 1;
  }
  return name;
}

// One segment changed or added, or the qualifier changed.
std::string near_miss(splitmix64& r, std::string name) {
  switch (r.below(3)) {
    case 0: return name + ":" + token(r);
    case 1: return name[0] == '[' ? name.substr(name.find(']') + 1) : "[queue]" + name;
    default: {
      const auto colon = name.rfind(':');
      return colon == std::string::npos ? name + "x" : name.substr(0, colon + 1) + token(r);
    }
  }
}

struct queries {
  std::vector<std::string> text;
  std::vector<std::string_view> views;
  std::vector<operation> ops;
};

const queries& workload() {
  static const queries q = [] {
    queries w;
    splitmix64 r{0x5EED};
    const capability cap = key.to_capability();
    static const operation ops[] = {operation::subscribe, operation::publish, operation::presence, operation::history};
    for (std::size_t i = 0; i < 4096; ++i) {
      const std::string hit = instantiate(r, cap.resource(r.below(cap.size())));
      w.text.push_back(i % 2 == 0 ? hit : near_miss(r, hit));
      w.ops.push_back(ops[r.below(4)]);
    }
    for (const auto& t : w.text) w.views.emplace_back(t);
    return w;
  }();
  return q;
}

const capability& runtime_capability() {
  static const capability cap = capability::parse(key.json()).value();
  return cap;
}
const capmatch::matcher& runtime_matcher() {
  static const capmatch::matcher m(runtime_capability());
  return m;
}
constexpr const auto& compiled = capmatch::static_matcher<key>;

// Every implementation against capability::ops_for. Returns an empty string when all agree.
std::string gate() {
  const auto& w = workload();
  const capability& cap = runtime_capability();
  std::size_t allowed = 0;
  for (std::size_t i = 0; i < w.views.size(); ++i) {
    const auto want = cap.ops_for(w.views[i]);
    if (runtime_matcher().ops_for(w.views[i]) != want) return "matcher disagrees on '" + w.text[i] + "'";
    if (compiled.ops_for(w.views[i]) != want) return "static_matcher disagrees on '" + w.text[i] + "'";
    allowed += cap.allows(w.views[i], w.ops[i]);
  }
  if (allowed == 0 || allowed == w.views.size()) return "degenerate workload: every query has the same answer";
  return {};
}

template <class Check>
void run(benchmark::State& state, Check&& check) {
  if (const std::string err = gate(); !err.empty()) {
    state.SkipWithError(err.c_str());
    return;
  }
  const auto& w = workload();
  std::size_t i = 0, allowed = 0;
  for (auto _ : state) {
    allowed += check(w.views[i], w.ops[i]);
    if (++i == w.views.size()) i = 0;
  }
  benchmark::DoNotOptimize(allowed);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_static_matcher(benchmark::State& state) {
  run(state, [](std::string_view n, operation op) { return compiled.allows(n, op); });
}
void BM_runtime_matcher(benchmark::State& state) {
  run(state, [](std::string_view n, operation op) { return runtime_matcher().allows(n, op); });
}
void BM_capability_allows(benchmark::State& state) {
  run(state, [](std::string_view n, operation op) { return runtime_capability().allows(n, op); });
}
BENCHMARK(BM_static_matcher);
BENCHMARK(BM_runtime_matcher);
BENCHMARK(BM_capability_allows);

}  // namespace

int main(int argc, char** argv) {
  return capmatch_bench::gated_main(argc, argv, gate, [] {
    return std::to_string(workload().views.size()) + " queries, static_matcher and matcher agree with capability::ops_for";
  });
}
