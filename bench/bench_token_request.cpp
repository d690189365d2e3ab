// capmatch benchmark: creating and verifying signed TokenRequests (issue 12), with ably-js
// createTokenRequest measured in the same run as the baseline.
//
//   capmatch_bench_token_request [--gate-only] [google-benchmark flags]
//
// Inputs: an 8-entry capability, ttl and clientId. `fixed` variants pass timestamp and nonce;
// `template` ones create from a token_request_template (key, ttl and capability fixed, the HMAC
// absorbed over the signed prefix once);
// `default` ones take the clock and a CSPRNG nonce (getrandom). Verification includes the
// replay guard: every verified request has its own nonce. BM_verify_with_replay_guard_* call
// verify_into with one reused result (a server's loop), BM_verify_new_result_* verify(). BM_ably_js_* run
// bench/ably_create_token_request.js with node (skipped when node or tests/node/node_modules is
// missing) and report its wall time per call as the benchmark's time, and node's CPU time per call
// (all its threads) as the counter cpu_ns_per_call. Ratio = BM_ably_js_* time / BM_create_* time
// (wall), or on a loaded machine cpu_ns_per_call / BM_create_* CPU time.
// Before timing, a gate checks the published vector, that created requests verify, and that a
// second verification is refused as a replay.
#include <capmatch/capability_cache.hpp>
#include <capmatch/detail/json.hpp>
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
#include "gated_main.hpp"

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

const prepared_capability& prepared_cap8() {
  static const prepared_capability c = *prepared_capability::parse(cap8);
  return c;
}

/// The template for the role of params(): key, ttl 1 h and cap8 fixed (token_request_template).
const token_request_template& template_cap8() {
  static const token_request_template t = [] {
    token_params p;
    p.prepared = &prepared_cap8();
    p.ttl_ms = 3'600'000;
    return *signer().prepare(p);
  }();
  return t;
}

enum class cap_form { text, parsed, prepared, templated };

token_params params(bool fixed, cap_form form) {
  token_params p;
  if (form == cap_form::parsed) p.parsed_capability = &parsed_cap8();
  else if (form == cap_form::prepared) p.prepared = &prepared_cap8();
  else if (form == cap_form::text) p.capability = cap8;
  if (form != cap_form::templated) p.ttl_ms = 3'600'000;  // (a template fixes capability and ttl)
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
  for (cap_form form : {cap_form::text, cap_form::parsed, cap_form::prepared}) {
    std::string json;
    if (signer().create_json(params(false, form), json).code() != errc::ok) return "create failed";
    auto r = verifier.verify(json);
    if (!r) return "a created request does not verify: " + std::string(r.error().message());
    if (r->effective != parsed_cap8()) return "the effective capability is not the requested one";
    if (verifier.verify(json).error().code() != errc::nonce_replayed) return "a replay was not refused";
  }
  std::string a, b, c, d;
  if (signer().create_json(params(true, cap_form::text), a).code() != errc::ok ||
      signer().create_json(params(true, cap_form::parsed), b).code() != errc::ok ||
      signer().create_json(params(true, cap_form::prepared), c).code() != errc::ok || a != b || a != c)
    return "capability text, parsed and prepared capability give different requests";
  if (template_cap8().create_json(params(true, cap_form::templated), d).code() != errc::ok || d != a)
    return "the template gives a different request than the signer";
  for (int i = 0; i < 3; ++i) {  // templated requests with fresh nonces verify, replays are refused
    if (template_cap8().create_json(params(false, cap_form::templated), d).code() != errc::ok) return "create failed";
    auto r = verifier.verify(d);
    if (!r || r->effective != parsed_cap8()) return "a templated request does not verify to cap8";
    if (verifier.verify(d).error().code() != errc::nonce_replayed) return "a replay was not refused";
  }
  return {};
}

void create(benchmark::State& state, bool fixed, cap_form form) {
  if (const std::string err = gate(); !err.empty()) return state.SkipWithError(err.c_str());
  const token_params p = params(fixed, form);
  std::string json;
  std::size_t bytes = 0;
  for (auto _ : state) {
    const error e = form == cap_form::templated ? template_cap8().create_json(p, json) : signer().create_json(p, json);
    if (e.code() != errc::ok) return state.SkipWithError("create failed");
    bytes += json.size();
    benchmark::DoNotOptimize(json.data());
  }
  benchmark::DoNotOptimize(bytes);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
void BM_create_fixed_cap_text(benchmark::State& s) { create(s, true, cap_form::text); }
void BM_create_fixed_cap_parsed(benchmark::State& s) { create(s, true, cap_form::parsed); }
void BM_create_fixed_cap_prepared(benchmark::State& s) { create(s, true, cap_form::prepared); }
void BM_create_default_cap_text(benchmark::State& s) { create(s, false, cap_form::text); }
void BM_create_default_cap_parsed(benchmark::State& s) { create(s, false, cap_form::parsed); }
void BM_create_default_cap_prepared(benchmark::State& s) { create(s, false, cap_form::prepared); }
void BM_create_fixed_template(benchmark::State& s) { create(s, true, cap_form::templated); }
void BM_create_default_template(benchmark::State& s) { create(s, false, cap_form::templated); }
BENCHMARK(BM_create_fixed_cap_text);
BENCHMARK(BM_create_fixed_cap_parsed);
BENCHMARK(BM_create_fixed_cap_prepared);
BENCHMARK(BM_create_default_cap_text);
BENCHMARK(BM_create_default_cap_parsed);
BENCHMARK(BM_create_default_cap_prepared);
BENCHMARK(BM_create_fixed_template);
BENCHMARK(BM_create_default_template);

/// The HMAC alone of the signed text BM_create_fixed_cap_prepared signs (session 5b): what any
/// implementation must spend per request; create minus this is capmatch's own work.
void BM_hmac_of_signed_text_only(benchmark::State& state) {
  const std::string cap = parsed_cap8().to_json();
  const token_request_fields f{key().name(), 3'600'000, std::string_view(cap), "user-42",
                               static_cast<std::uint64_t>(now_ms), "nonce1000000000000000"};
  for (auto _ : state) {
    auto d = f.digest(key().hmac());
    benchmark::DoNotOptimize(d.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_hmac_of_signed_text_only);

/// How the verify benchmarks run: the key's capability, and the capability cache.
enum class verify_mode {
  no_cap,       // the request has no capability: the key's own (key ∩ everything)
  cap8,         // 8-entry request ∩ 4-entry key, no cache
  cap8_hit,     // the same with a warm capability_cache: every lookup hits
  cap8_miss,    // the same with a 1-slot cache and two spellings of the text: every lookup misses
  cap8_all,     // 8-entry request under a key {"[*]*":["*"]}: the identity shortcut, no cache
};

/// Verifies distinct requests (one nonce each) against a key; the guard is replaced (untimed)
/// after each lap over the prepared requests, so no nonce is ever seen twice by one guard.
/// `reuse`: token_request_verifier::verify_into with one result object (a server's loop), else
/// verify() returning a new result each time.
void verify(benchmark::State& state, verify_mode mode, bool reuse = true) {
  if (const std::string err = gate(); !err.empty()) return state.SkipWithError(err.c_str());
  constexpr std::size_t lap = 1 << 15;
  std::vector<std::string> requests(lap);
  // Two spellings of cap8 (the second with a space): the same capability, different exact texts.
  const std::string cap8_spaced = "{ " + std::string(cap8.substr(1));
  token_params p = params(true, cap_form::text);
  if (mode == verify_mode::no_cap) p.capability.reset();
  for (std::size_t i = 0; i < lap; ++i) {
    const std::string nonce = "nonce" + std::to_string(1'000'000'000'000'000ull + i);
    p.nonce = nonce;
    if (mode == verify_mode::cap8_miss && i % 2 == 1) {
      // create_json canonicalises: sign the spaced text by hand so it is sent as written
      const token_request_fields f{key().name(), p.ttl_ms, std::string_view(cap8_spaced), p.client_id, *p.timestamp_ms, nonce};
      std::vector<char> cap_json, id_json, nonce_json;
      detail::write_json_string(cap8_spaced, cap_json);
      requests[i] = R"({"keyName":")" + std::string(key().name()) + R"(","ttl":)" + std::to_string(*p.ttl_ms) +
                    R"(,"capability":)" + std::string(cap_json.begin(), cap_json.end()) + R"(,"clientId":")" +
                    std::string(*p.client_id) + R"(","timestamp":)" + std::to_string(*p.timestamp_ms) +
                    R"(,"nonce":")" + nonce + R"(","mac":")" + f.mac(key().hmac()) + "\"}";
      continue;
    }
    if (signer().create_json(p, requests[i]).code() != errc::ok) return state.SkipWithError("create failed");
  }
  key_list keys;
  keys.add(key(), *capability::parse(mode == verify_mode::cap8_all
                                         ? std::string_view(R"({"[*]*":["*"]})")
                                         : std::string_view(R"({"tenant0:*":["*"],"[*]tenant0:*":["subscribe","presence"],"status":["*"],"announcements:*":["subscribe","history"]})")));
  capability_cache cache(mode == verify_mode::cap8_miss ? 1 : 1024);
  token_verifier_options opts;
  if (mode == verify_mode::cap8_hit || mode == verify_mode::cap8_miss) opts.cache = &cache;
  auto guard = std::make_unique<memory_replay_guard>(2 * lap, 7, 8);
  if (mode == verify_mode::cap8_hit) {  // warm: one verification of the text (its nonce is not reused)
    token_params w = params(true, cap_form::text);
    w.nonce = "warm-up-nonce-0000000";
    std::string json;
    if (signer().create_json(w, json).code() != errc::ok || !token_request_verifier(keys, *guard, opts, fixed_clock).verify(json, now_ms))
      return state.SkipWithError("warm-up failed");
  }
  std::size_t i = 0, ok = 0;
  verified_token_request out;
  for (auto _ : state) {
    const token_request_verifier v(keys, *guard, opts, fixed_clock);
    if (reuse) ok += v.verify_into(requests[i], now_ms, out).code() == errc::ok;
    else ok += v.verify(requests[i], now_ms).has_value();
    if (++i == lap) {
      state.PauseTiming();
      guard = std::make_unique<memory_replay_guard>(2 * lap, 7, 8);
      i = 0;
      state.ResumeTiming();
    }
  }
  if (ok != static_cast<std::size_t>(state.iterations())) return state.SkipWithError("a request failed to verify");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  if (opts.cache != nullptr) {
    state.counters["cache_hits"] = static_cast<double>(cache.hits());
    state.counters["cache_misses"] = static_cast<double>(cache.misses());
  }
}
void BM_verify_with_replay_guard_cap8(benchmark::State& s) { verify(s, verify_mode::cap8); }
void BM_verify_with_replay_guard_cap8_cache_hit(benchmark::State& s) { verify(s, verify_mode::cap8_hit); }
void BM_verify_with_replay_guard_cap8_cache_miss(benchmark::State& s) { verify(s, verify_mode::cap8_miss); }
void BM_verify_with_replay_guard_cap8_key_grants_all(benchmark::State& s) { verify(s, verify_mode::cap8_all); }
void BM_verify_with_replay_guard_no_cap(benchmark::State& s) { verify(s, verify_mode::no_cap); }
void BM_verify_new_result_cap8_cache_hit(benchmark::State& s) { verify(s, verify_mode::cap8_hit, false); }
void BM_verify_new_result_no_cap(benchmark::State& s) { verify(s, verify_mode::no_cap, false); }
BENCHMARK(BM_verify_with_replay_guard_cap8);
BENCHMARK(BM_verify_with_replay_guard_cap8_cache_hit);
BENCHMARK(BM_verify_with_replay_guard_cap8_cache_miss);
BENCHMARK(BM_verify_with_replay_guard_cap8_key_grants_all);
BENCHMARK(BM_verify_with_replay_guard_no_cap);
BENCHMARK(BM_verify_new_result_cap8_cache_hit);
BENCHMARK(BM_verify_new_result_no_cap);

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
  return capmatch_bench::gated_main(argc, argv, gate, [] { return "published vector, create -> verify, replay refused"; });
}
