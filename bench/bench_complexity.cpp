// capmatch benchmark: how lint, intersect and capability::parse scale on the pathological
// shapes of issue 14, with Google Benchmark's complexity reporting (SetComplexityN and
// Complexity(): the fitted big-O and RMS are printed after each family).
//
//   capmatch_bench_complexity [--gate-only] [google-benchmark flags]
//
// Shapes (N = entries): lint of "chat:room<i>" (one namespace) and of 60 "*:" segments, a
// literal and ":*" granting message-delete-any; intersect of 104 "[?pK]*" key entries with N
// requested names of ~1.6 KB; parse of the same requested document; lint of the
// orthogonal-vectors shape (capped by the default work budget); intersect of 104 key entries
// of 100 "*:" segments then "z<k>" with the same requested names (every pair a candidate). Before any timing, a
// correctness gate checks each operation against a pair-by-pair reference on a small instance
// of each shape; a mismatch exits 1 (and each benchmark SkipWithError's).
#include <capmatch/capability.hpp>
#include <capmatch/intersect.hpp>
#include <capmatch/lint.hpp>

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>
#include "gated_main.hpp"

namespace {

using capmatch::capability;

std::string namespace_doc(std::size_t n) {
  std::string json = "{";
  for (std::size_t i = 0; i < n; ++i) json.append(i ? ",\"chat:room" : "\"chat:room").append(std::to_string(i)).append("\":[\"publish\"]");
  return json + "}";
}

std::string star_chain_doc(std::size_t n) {
  std::string chain;
  for (int d = 0; d < 60; ++d) chain += "*:";
  std::string json = "{";
  for (std::size_t i = 0; i < n; ++i)
    json.append(i ? ",\"" : "\"").append(chain).append("l").append(std::to_string(i)).append(":*\":[\"message-delete-any\"]");
  return json + "}";
}

std::string broad_key_doc() {
  std::string json = "{";
  for (int k = 0; k < 104; ++k) json.append(k ? ",\"[?p" : "\"[?p").append(std::to_string(k)).append("]*\":[\"*\"]");
  return json + "}";
}

std::string long_request_doc(std::size_t n) {
  std::string json = "{";
  for (std::size_t j = 0; j < n; ++j) {
    json.append(j ? ",\"" : "\"");
    for (int s = 0; s < 100; ++s) json.append("abcdefghijklmn").append(std::to_string(j % 10)).append(":");
    json.append("r").append(std::to_string(j)).append("\":[\"subscribe\"]");
  }
  return json + "}";
}

// lint's orthogonal-vectors shape: n/2 distinct {x,*}^127:z (a fixed pseudo-random sequence)
// and n/2 entries x^127:w<m>. With the default budget lint stops (lint-incomplete).
std::string orthogonal_doc(std::size_t n, int depth = 127) {
  std::uint64_t state = 14;
  auto bit = [&] {  // splitmix64
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return ((z ^ (z >> 31)) & 1) != 0;
  };
  std::string json = "{";
  std::vector<std::string> seen;
  while (seen.size() < n / 2) {
    std::string s;
    for (int d = 0; d < depth; ++d) s += bit() ? "x:" : "*:";
    s += "z";
    bool dup = false;
    for (const auto& t : seen) dup = dup || t == s;
    if (dup) continue;
    seen.push_back(s);
    json.append(json.size() > 1 ? ",\"" : "\"").append(s).append("\":[\"subscribe\"]");
  }
  std::string xs;
  for (int d = 0; d < depth; ++d) xs += "x:";
  for (std::size_t m = 0; m < n / 2; ++m) json.append(",\"").append(xs).append("w").append(std::to_string(m)).append("\":[\"subscribe\"]");
  return json + "}";
}

// intersect's worst candidate shape: 104 key entries of 100 "*:" segments then "z<k>".
std::string late_key_doc() {
  std::string json = "{";
  for (int k = 0; k < 104; ++k) {
    json.append(k ? ",\"" : "\"");
    for (int d = 0; d < 100; ++d) json.append("*:");
    json.append("z").append(std::to_string(k)).append("\":[\"*\"]");
  }
  return json + "}";
}

capability parsed(const std::string& json) { return capability::parse(json).value(); }

// Shadowed findings by their definition (every pair), for the gate.
std::size_t shadowed_pairwise(const capability& cap) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < cap.size(); ++i) {
    const std::uint32_t mine = cap.ops(i).granted_bits();
    for (std::size_t j = 0; j < cap.size(); ++j)
      if (j != i && (mine & cap.ops(j).granted_bits()) == mine &&
          capmatch::contains(cap.pattern_at(j), cap.pattern_at(i)) &&
          !capmatch::contains(cap.pattern_at(i), cap.pattern_at(j))) {
        ++n;
        break;
      }
  }
  return n;
}

std::string gate() {
  // lint: the shapes have no shadowed entry but one with a broad entry has one per entry.
  for (const std::string& json : {namespace_doc(300), star_chain_doc(300),
                                  namespace_doc(300).insert(1, "\"chat:*\":[\"publish\",\"subscribe\"],")}) {
    const capability cap = parsed(json);
    std::size_t shadowed = 0;
    for (const auto& f : capmatch::lint(cap)) shadowed += f.code == capmatch::lint_code::shadowed;
    if (shadowed != shadowed_pairwise(cap)) return "lint shadowed count differs from the pairwise definition";
  }
  // intersect: the broad key contains every requested name, so the result is the request.
  const capability request = parsed(long_request_doc(300));
  const auto r = capmatch::intersect(parsed(broad_key_doc()), request);
  if (!r || r->to_json() != request.to_json()) return "intersect of '*' spellings is not the request";
  // intersect: the deep key's last segments z<k> never equal r<j>: no name is granted by both.
  const auto late = capmatch::intersect(parsed(late_key_doc()), request);
  if (late || late.error().code() != capmatch::errc::empty_intersection) return "deep '*:' key against names is not 40160";
  // lint, orthogonal shape small enough to finish: no entry is shadowed (none contains another).
  const capability ortho = parsed(orthogonal_doc(100, 20));
  std::size_t shadowed = 0, incomplete = 0;
  for (const auto& f : capmatch::lint(ortho)) {
    shadowed += f.code == capmatch::lint_code::shadowed;
    incomplete += f.code == capmatch::lint_code::incomplete;
  }
  if (shadowed != shadowed_pairwise(ortho) || incomplete != 0) return "lint of the small orthogonal shape is wrong";
  return {};
}

bool gate_ok() {
  static const bool ok = gate().empty();
  return ok;
}

void BM_lint_namespace(benchmark::State& state) {
  if (!gate_ok()) state.SkipWithError("correctness gate failed");
  const capability cap = parsed(namespace_doc(static_cast<std::size_t>(state.range(0))));
  for (auto _ : state) benchmark::DoNotOptimize(capmatch::lint(cap));
  state.SetComplexityN(state.range(0));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_lint_namespace)->RangeMultiplier(2)->Range(625, 10000)->Complexity()->Unit(benchmark::kMillisecond);

void BM_lint_star_chain(benchmark::State& state) {
  if (!gate_ok()) state.SkipWithError("correctness gate failed");
  const capability cap = parsed(star_chain_doc(static_cast<std::size_t>(state.range(0))));
  for (auto _ : state) benchmark::DoNotOptimize(capmatch::lint(cap));
  state.SetComplexityN(state.range(0));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_lint_star_chain)->RangeMultiplier(2)->Range(625, 10000)->Complexity()->Unit(benchmark::kMillisecond);

void BM_intersect_broad_key(benchmark::State& state) {
  if (!gate_ok()) state.SkipWithError("correctness gate failed");
  const capability key = parsed(broad_key_doc());
  const capability request = parsed(long_request_doc(static_cast<std::size_t>(state.range(0))));
  for (auto _ : state) benchmark::DoNotOptimize(capmatch::intersect(key, request));
  state.SetComplexityN(state.range(0));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_intersect_broad_key)->RangeMultiplier(2)->Range(625, 10000)->Complexity()->Unit(benchmark::kMillisecond);

void BM_lint_orthogonal_budget(benchmark::State& state) {
  if (!gate_ok()) state.SkipWithError("correctness gate failed");
  const capability cap = parsed(orthogonal_doc(static_cast<std::size_t>(state.range(0))));
  for (auto _ : state) benchmark::DoNotOptimize(capmatch::lint(cap));
  state.SetComplexityN(state.range(0));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_lint_orthogonal_budget)->RangeMultiplier(2)->Range(250, 4000)->Complexity()->Unit(benchmark::kMillisecond);

void BM_intersect_late_key(benchmark::State& state) {
  if (!gate_ok()) state.SkipWithError("correctness gate failed");
  const capability key = parsed(late_key_doc());
  const capability request = parsed(long_request_doc(static_cast<std::size_t>(state.range(0))));
  for (auto _ : state) benchmark::DoNotOptimize(capmatch::intersect(key, request));
  state.SetComplexityN(state.range(0));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_intersect_late_key)->RangeMultiplier(2)->Range(625, 10000)->Complexity()->Unit(benchmark::kMillisecond);

void BM_parse_long_request(benchmark::State& state) {
  if (!gate_ok()) state.SkipWithError("correctness gate failed");
  const std::string json = long_request_doc(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(capability::parse(json));
  state.SetComplexityN(state.range(0));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(json.size()));
}
BENCHMARK(BM_parse_long_request)->RangeMultiplier(2)->Range(625, 10000)->Complexity()->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  return capmatch_bench::gated_main(argc, argv, gate, [] { return "lint and intersect agree with their pairwise definitions"; });
}
