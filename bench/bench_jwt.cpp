// capmatch benchmark: Ably JWT verification against cpp-jwt (Debian libcpp-jwt-dev: OpenSSL HMAC
// and nlohmann-json). The user-claim lookup is measured in bench_revocation.cpp.
//
//   capmatch_bench_jwt [--gate-only] [google-benchmark flags]
//
// The token carries typical Ably claims: iat, exp, a 200-byte x-ably-capability string and a
// clientId. Before any timing, a correctness gate checks that both verifiers accept the token and
// decode the same claims and that both reject it under a wrong secret; a mismatch exits 1 (and every benchmark
// SkipWithError's). --gate-only runs the gate and exits (the meson test).
//
// What each verifier does per call:
// - capmatch_verify: everything verify_jwt does (size, split, strict base64url, header JSON, alg,
//   kid lookup, HMAC-SHA256 compared in constant time, claims JSON, iat/exp/ttl, capability parse
//   and key ∩ token, clientId).
// - capmatch_verify_key_grants_all: the same under a key without a capability (no intersection).
// - cppjwt_verify: jwt::decode with HS256 and the secret (base64url, two nlohmann parses, OpenSSL
//   HMAC, exp check); the capability stays an unparsed string.
// - cppjwt_verify_then_capability: the same plus capability::parse and intersect, i.e. the work an
//   auth server must add to cpp-jwt to get what capmatch_verify returns.
#include <capmatch/capability_cache.hpp>
#include <capmatch/jwt.hpp>
#include <capmatch/matcher.hpp>

#include <benchmark/benchmark.h>

#if CAPMATCH_BENCH_CPPJWT
#include <jwt/jwt.hpp>
#endif

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>
#include "gated_main.hpp"

namespace {

constexpr std::string_view key_text = "xVLyHw.G-GITw:MTpqOA76tsj31q8pLHhvQywyCV8oVdcfynzuwu9a0lQ";
constexpr std::string_view secret = "MTpqOA76tsj31q8pLHhvQywyCV8oVdcfynzuwu9a0lQ";
// 200 bytes of capability, in the shapes Ably's docs use.
constexpr std::string_view token_capability =
    R"({"chat:room:*":["presence","publish","subscribe"],"chat:lobby":["history","subscribe"],)"
    R"("notifications:user:alice-smith:*":["subscribe"],"[meta]channel.lifecycle":["subscribe"],"status":["subscribe"]})";
constexpr std::string_view key_capability =
    R"({"chat:*":["*"],"notifications:*":["subscribe"],"[meta]*":["subscribe"],"status":["history","subscribe"]})";

struct fixture {
  capmatch::jwt_key key;
  std::string token;
  std::int64_t now = 0;
  std::string expected_effective;
  std::string gate_failure;
};

fixture& fx() {
  static fixture f = [] {
    fixture x;
    x.key = capmatch::jwt_key(capmatch::api_key::parse(key_text).value(),
                              capmatch::capability::parse(key_capability).value());
    x.now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    capmatch::jwt_request req;
    req.issued_at = x.now - 5;
    req.ttl = 3600;
    req.capability = token_capability;
    req.client_id = "alice@example.com";
    x.token = capmatch::issue_jwt(x.key, req).value();
    x.expected_effective =
        capmatch::intersect(*x.key.capability(), capmatch::capability::parse(token_capability).value())->to_json();
    return x;
  }();
  return f;
}


bool gate() {
  fixture& f = fx();
  auto fail = [&](std::string what) {
    f.gate_failure = std::move(what);
    return false;
  };
  capmatch::jwt_verify_options opt;
  opt.now = f.now;
  const auto v = capmatch::verify_jwt(f.token, f.key, opt);
  if (!v) return fail("capmatch rejected the token: " + std::string(v.error().message()));
  if (v->capability.to_json() != f.expected_effective) return fail("capmatch effective capability differs");
  if (v->client_id != std::optional<std::string>("alice@example.com")) return fail("capmatch clientId differs");
  const capmatch::jwt_key wrong{capmatch::api_key::parse("xVLyHw.G-GITw:other").value(), f.key.capability(), false};
  if (capmatch::verify_jwt(f.token, wrong, opt)) return fail("capmatch accepted a wrong secret");
#if CAPMATCH_BENCH_CPPJWT
  std::error_code ec;
  auto dec = jwt::decode(f.token, jwt::params::algorithms({"HS256"}), ec, jwt::params::secret(std::string(secret)),
                         jwt::params::verify(true));
  if (ec) return fail("cpp-jwt rejected the token: " + ec.message());
  const auto& p = dec.payload();
  if (p.get_claim_value<std::string>("x-ably-capability") != capmatch::capability::parse(token_capability)->to_json() ||
      p.get_claim_value<std::string>("x-ably-clientId") != "alice@example.com" ||
      p.get_claim_value<std::int64_t>("iat") != v->issued_at || p.get_claim_value<std::int64_t>("exp") != v->expires_at)
    return fail("cpp-jwt decoded other claims");
  std::error_code ec2;
  (void)jwt::decode(f.token, jwt::params::algorithms({"HS256"}), ec2, jwt::params::secret("other"), jwt::params::verify(true));
  if (!ec2) return fail("cpp-jwt accepted a wrong secret");
#endif
  return true;
}

void BM_capmatch_verify(benchmark::State& st) {
  fixture& f = fx();
  if (!f.gate_failure.empty()) return st.SkipWithError(f.gate_failure.c_str());
  capmatch::jwt_verify_options opt;
  opt.now = f.now;
  for (auto _ : st) {
    auto v = capmatch::verify_jwt(f.token, f.key, opt);
    benchmark::DoNotOptimize(v);
  }
  st.SetItemsProcessed(st.iterations());
  st.SetBytesProcessed(st.iterations() * static_cast<std::int64_t>(f.token.size()));
}
BENCHMARK(BM_capmatch_verify);

// The same token under a key that grants everything (no key capability to intersect with).
void BM_capmatch_verify_key_grants_all(benchmark::State& st) {
  fixture& f = fx();
  if (!f.gate_failure.empty()) return st.SkipWithError(f.gate_failure.c_str());
  const capmatch::jwt_key all{f.key.key(), std::nullopt, false};
  capmatch::jwt_verify_options opt;
  opt.now = f.now;
  for (auto _ : st) {
    auto v = capmatch::verify_jwt(f.token, all, opt);
    benchmark::DoNotOptimize(v);
  }
  st.SetItemsProcessed(st.iterations());
  st.SetBytesProcessed(st.iterations() * static_cast<std::int64_t>(f.token.size()));
}
BENCHMARK(BM_capmatch_verify_key_grants_all);

// The same token and key with a capability_cache (capability_cache.hpp): `hit` after one warm-up
// verification, every lookup hits; `miss` uses a 1-slot cache and alternates two tokens whose
// capability claims are two spellings of the same capability, so every lookup misses and inserts.
void capmatch_verify_cached(benchmark::State& st, bool hit) {
  fixture& f = fx();
  if (!f.gate_failure.empty()) return st.SkipWithError(f.gate_failure.c_str());
  capmatch::capability_cache cache(hit ? 1024 : 1);
  capmatch::jwt_verify_options opt;
  opt.now = f.now;
  opt.cache = &cache;
  // The second token: the capability claim with a space after '{', re-signed with the same key
  // (issue_jwt would write the canonical text again).
  std::string other = f.token;
  if (!hit) {
    const std::size_t d1 = f.token.find('.'), d2 = f.token.rfind('.');
    auto claims = capmatch::crypto::base64url_decode(std::string_view(f.token).substr(d1 + 1, d2 - d1 - 1));
    const std::string needle = "\"x-ably-capability\":\"{";
    const std::size_t at = claims ? claims->find(needle) : std::string::npos;
    if (at == std::string::npos) return st.SkipWithError("no capability claim");
    claims->insert(at + needle.size(), " ");
    other = f.token.substr(0, d1 + 1) + capmatch::crypto::base64url_encode(*claims);
    const auto sig = capmatch::crypto::base64_encode_array<capmatch::crypto::base64_alphabet::url>(f.key.key().sign(other));
    other.append(".").append(sig.data(), sig.size());
  }
  if (!capmatch::verify_jwt(f.token, f.key, opt)) return st.SkipWithError("warm-up failed");
  std::size_t i = 0;
  for (auto _ : st) {
    auto v = capmatch::verify_jwt((i++ & 1) != 0 ? other : f.token, f.key, opt);
    benchmark::DoNotOptimize(v);
  }
  st.SetItemsProcessed(st.iterations());
  st.counters["cache_hits"] = static_cast<double>(cache.hits());
  st.counters["cache_misses"] = static_cast<double>(cache.misses());
}
void BM_capmatch_verify_cache_hit(benchmark::State& st) { capmatch_verify_cached(st, true); }
void BM_capmatch_verify_cache_miss(benchmark::State& st) { capmatch_verify_cached(st, false); }
BENCHMARK(BM_capmatch_verify_cache_hit);
BENCHMARK(BM_capmatch_verify_cache_miss);

#if CAPMATCH_BENCH_CPPJWT
void BM_cppjwt_verify(benchmark::State& st) {
  fixture& f = fx();
  if (!f.gate_failure.empty()) return st.SkipWithError(f.gate_failure.c_str());
  const std::string s(secret);
  for (auto _ : st) {
    std::error_code ec;
    auto dec = jwt::decode(f.token, jwt::params::algorithms({"HS256"}), ec, jwt::params::secret(s), jwt::params::verify(true));
    benchmark::DoNotOptimize(dec);
    if (ec) st.SkipWithError("cpp-jwt failed");
  }
  st.SetItemsProcessed(st.iterations());
  st.SetBytesProcessed(st.iterations() * static_cast<std::int64_t>(f.token.size()));
}
BENCHMARK(BM_cppjwt_verify);

void BM_cppjwt_verify_then_capability(benchmark::State& st) {
  fixture& f = fx();
  if (!f.gate_failure.empty()) return st.SkipWithError(f.gate_failure.c_str());
  const std::string s(secret);
  for (auto _ : st) {
    std::error_code ec;
    auto dec = jwt::decode(f.token, jwt::params::algorithms({"HS256"}), ec, jwt::params::secret(s), jwt::params::verify(true));
    auto cap = capmatch::capability::parse(dec.payload().get_claim_value<std::string>("x-ably-capability"));
    auto eff = capmatch::intersect(*f.key.capability(), *cap);
    benchmark::DoNotOptimize(eff);
  }
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_cppjwt_verify_then_capability);
#endif


}  // namespace

int main(int argc, char** argv) {
  const auto gate_text = [] { return gate() ? std::string() : fx().gate_failure; };
  return capmatch_bench::gated_main(argc, argv, gate_text, [] {
    return "capmatch (and cpp-jwt when built in) verify the typical token with the expected claims and refuse a wrong "
           "secret";
  });
}
