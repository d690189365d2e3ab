// capmatch benchmark: creating and verifying signed TokenRequests (issue 12), with ably-js
// createTokenRequest measured in the same run as the baseline.
//
//   capmatch_bench_token_request [--gate-only] [google-benchmark flags]
//
// Inputs: an 8-entry capability, ttl and clientId. `fixed` variants pass timestamp and nonce;
// `default` ones take the clock and a CSPRNG nonce (getrandom). Verification includes the
// replay guard: every verified request has its own nonce. BM_ably_js_* run
// bench/ably_create_token_request.js with node (skipped when node or tests/node/node_modules is
// missing) and report its wall time per call as the benchmark's time, and node's CPU time per call
// (all its threads) as the counter cpu_ns_per_call. Ratio = BM_ably_js_* time / BM_create_* time
// (wall), or on a loaded machine cpu_ns_per_call / BM_create_* CPU time.
// Before timing, a gate checks the published vector, that created requests verify, and that a
// second verification is refused as a replay.
#include <capmatch/replay_guard.hpp>
#include <capmatch/token_request.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#ifndef CAPMATCH_SOURCE_ROOT
#define CAPMATCH_SOURCE_ROOT "."
#endif

namespace {

using namespace capmatch;

constexpr std::string_view key_text = "xVLyHw.G-GITw:Y2FwbWF0Y2gtYmVuY2gtc2VjcmV0LWtleQ";
constexpr std::string_view cap8 =
    R"({"tenant0:room:*":["publish","subscribe","presence"],"tenant0:*:admin":["*"],)"
    R"("[queue]tenant0:jobs:*":["subscribe"],"[meta]tenant0:log":["subscribe"],"[*]tenant0:app:*":["presence"],)"
    R"("tenant0:user:u1:*":["subscribe","history"],"status":["subscribe"],"announcements:*":["subscribe","history"]})";
constexpr std::int64_t now_ms = 1'700'000'000'000;

std::int64_t fixed_clock() noexcept { return now_ms; }

const api_key& key() {
  static const api_key k = *api_key::parse(key_text);
  return k;
}
const token_request_signer& signer() {
  static const token_request_signer s = [] {
    token_signer_options o;
    o.clock = fixed_clock;
    return *token_request_signer::make(key(), o);
  }();
  return s;
}
const capability& parsed_cap8() {
  static const capability c = *capability::parse(cap8);
  return c;
}

token_params params(bool fixed, bool parsed) {
  token_params p;
  if (parsed) p.parsed_capability = &parsed_cap8();
  else p.capability = cap8;
  p.ttl_ms = 3'600'000;
  p.client_id = "user-42";
  if (fixed) {
    p.timestamp_ms = static_cast<std::uint64_t>(now_ms);
    p.nonce = "nonce1000000000000000";
  }
  return p;
}

std::string gate() {
  const token_request_fields v{"a_key_name", 1000, std::nullopt, "a_id", 1000, "abcde100"};
  if (v.mac(crypto::hmac_sha256_key("a_secret")) != "sYkCH0Un+WgzI7/Nhy0BoQIKq9HmjKynCRs4E3qAbGQ=")
    return "the published vector's mac differs";
  key_list keys;
  keys.add(key(), *capability::parse(R"({"[*]*":["*"]})"));
  memory_replay_guard guard(16, 1, 2, 1);
  token_request_verifier verifier(keys, guard, fixed_clock);
  for (bool parsed : {false, true}) {
    std::string json;
    if (signer().create_json(params(false, parsed), json).code() != errc::ok) return "create failed";
    auto r = verifier.verify(json);
    if (!r) return "a created request does not verify: " + std::string(r.error().message());
    if (r->effective != parsed_cap8()) return "the effective capability is not the requested one";
    if (verifier.verify(json).error().code() != errc::nonce_replayed) return "a replay was not refused";
  }
  std::string a, b;
  if (signer().create_json(params(true, false), a).code() != errc::ok ||
      signer().create_json(params(true, true), b).code() != errc::ok || a != b)
    return "capability text and parsed capability give different requests";
  return {};
}

void create(benchmark::State& state, bool fixed, bool parsed) {
  if (const std::string err = gate(); !err.empty()) return state.SkipWithError(err.c_str());
  const token_params p = params(fixed, parsed);
  std::string json;
  std::size_t bytes = 0;
  for (auto _ : state) {
    if (signer().create_json(p, json).code() != errc::ok) return state.SkipWithError("create failed");
    bytes += json.size();
    benchmark::DoNotOptimize(json.data());
  }
  benchmark::DoNotOptimize(bytes);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
void BM_create_fixed_cap_text(benchmark::State& s) { create(s, true, false); }
void BM_create_fixed_cap_parsed(benchmark::State& s) { create(s, true, true); }
void BM_create_default_cap_text(benchmark::State& s) { create(s, false, false); }
void BM_create_default_cap_parsed(benchmark::State& s) { create(s, false, true); }
BENCHMARK(BM_create_fixed_cap_text);
BENCHMARK(BM_create_fixed_cap_parsed);
BENCHMARK(BM_create_default_cap_text);
BENCHMARK(BM_create_default_cap_parsed);

/// Verifies distinct requests (one nonce each) against a key; the guard is replaced (untimed)
/// after each lap over the prepared requests, so no nonce is ever seen twice by one guard.
void verify(benchmark::State& state, bool with_capability) {
  if (const std::string err = gate(); !err.empty()) return state.SkipWithError(err.c_str());
  constexpr std::size_t lap = 1 << 15;
  std::vector<std::string> requests(lap);
  token_params p = params(true, false);
  if (!with_capability) p.capability.reset();
  for (std::size_t i = 0; i < lap; ++i) {
    const std::string nonce = "nonce" + std::to_string(1'000'000'000'000'000ull + i);
    p.nonce = nonce;
    if (signer().create_json(p, requests[i]).code() != errc::ok) return state.SkipWithError("create failed");
  }
  key_list keys;
  keys.add(key(), *capability::parse(R"({"tenant0:*":["*"],"[*]tenant0:*":["subscribe","presence"],"status":["*"],"announcements:*":["subscribe","history"]})"));
  auto guard = std::make_unique<memory_replay_guard>(2 * lap, 7, 8);
  std::size_t i = 0, ok = 0;
  for (auto _ : state) {
    auto r = token_request_verifier(keys, *guard, fixed_clock).verify(requests[i], now_ms);
    ok += r.has_value();
    if (++i == lap) {
      state.PauseTiming();
      guard = std::make_unique<memory_replay_guard>(2 * lap, 7, 8);
      i = 0;
      state.ResumeTiming();
    }
  }
  if (ok != static_cast<std::size_t>(state.iterations())) return state.SkipWithError("a request failed to verify");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
void BM_verify_with_replay_guard_cap8(benchmark::State& s) { verify(s, true); }
void BM_verify_with_replay_guard_no_cap(benchmark::State& s) { verify(s, false); }
BENCHMARK(BM_verify_with_replay_guard_cap8);
BENCHMARK(BM_verify_with_replay_guard_no_cap);

/// Runs the ably-js script once and reports its per-call time as this benchmark's time.
void ably_js(benchmark::State& state, const char* mode) {
  const std::string root = CAPMATCH_SOURCE_ROOT;
  const std::string cmd = "node '" + root + "/bench/ably_create_token_request.js' " + mode + " " +
                          std::to_string(state.range(0)) + " 2>/dev/null";
  for (auto _ : state) {
    std::FILE* f = ::popen(cmd.c_str(), "r");
    double ns = 0, cpu_ns = 0;
    long calls = 0;
    const bool read = f != nullptr && std::fscanf(f, "%lf %ld %lf", &ns, &calls, &cpu_ns) == 3;
    const int status = f != nullptr ? ::pclose(f) : -1;
    if (!read || status != 0 || calls <= 0)
      return state.SkipWithError("node or tests/node/node_modules missing (cd tests/node && npm ci)");
    state.SetIterationTime(ns * 1e-9);
    state.counters["ns_per_call"] = ns;
    state.counters["cpu_ns_per_call"] = cpu_ns;  // node's CPU time (all its threads): compare with CPU columns
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
void BM_ably_js_create_fixed(benchmark::State& s) { ably_js(s, "fixed"); }
void BM_ably_js_create_default(benchmark::State& s) { ably_js(s, "default"); }
BENCHMARK(BM_ably_js_create_fixed)->Arg(100000)->UseManualTime()->Iterations(1);
BENCHMARK(BM_ably_js_create_default)->Arg(100000)->UseManualTime()->Iterations(1);

}  // namespace

int main(int argc, char** argv) {
  if (const std::string err = gate(); !err.empty()) {
    std::fprintf(stderr, "correctness gate failed: %s\n", err.c_str());
    return 1;
  }
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--gate-only") == 0) {
      std::printf("correctness gate passed: published vector, create -> verify, replay refused\n");
      return 0;
    }
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
