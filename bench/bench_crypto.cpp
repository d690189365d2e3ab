// Benchmarks: capmatch's SHA-256 and HMAC-SHA256 against OpenSSL in the same run.
//   capmatch_bench_crypto [--gate-only] [google-benchmark flags]
// HMAC with a reused key (the TokenRequest case: one key, many short texts) at 32-256 bytes
// against OpenSSL's one-shot HMAC() and a reused EVP_MAC context; SHA-256 of 16 KiB against
// OpenSSL's SHA256(). Every implementation is checked against OpenSSL before timing.
// SPDX-License-Identifier: MIT
#include <benchmark/benchmark.h>
#include <capmatch/crypto/hmac.hpp>
#include <capmatch/crypto/sha256.hpp>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/sha.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>
#include "gated_main.hpp"

namespace {
using namespace capmatch::crypto;

// A key the shape of an Ably key secret (43 characters).
const std::string key = "wL6XSwDtgMM5C8wT1w3YYSeKobkpQbNkJzv0TyxzKIk";

std::vector<std::uint8_t> message(std::size_t n) {
  std::vector<std::uint8_t> m(n);
  std::uint32_t x = 2463534242u;  // xorshift32: fixed bytes, same in every run
  for (auto& b : m) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    b = static_cast<std::uint8_t>(x);
  }
  return m;
}

sha256_digest openssl_hmac(const std::vector<std::uint8_t>& m) {
  sha256_digest d{};
  unsigned len = 32;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), m.data(), m.size(), d.data(), &len);
  return d;
}
sha256_digest openssl_sha(const std::vector<std::uint8_t>& m) {
  sha256_digest d{};
  SHA256(m.data(), m.size(), d.data());
  return d;
}

// A keyed EVP_MAC context, re-initialised per message without re-keying.
struct evp_hmac {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  evp_hmac() {
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_construct_end()};
    EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(), params);
  }
  ~evp_hmac() {
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
  }
  sha256_digest sign(const std::vector<std::uint8_t>& m) {
    sha256_digest d{};
    std::size_t len = 0;
    EVP_MAC_init(ctx, nullptr, 0, nullptr);
    EVP_MAC_update(ctx, m.data(), m.size());
    EVP_MAC_final(ctx, d.data(), &len, d.size());
    return d;
  }
};

constexpr std::size_t hmac_sizes[] = {32, 64, 128, 256};

// The correctness gate: every implementation against OpenSSL's one-shot, on every benchmarked size
// and on 0..1000 bytes. Returns an empty string or what failed.
std::string gate() {
  evp_hmac evp;
  for (std::size_t n = 0; n <= 1000; ++n) {
    const auto m = message(n);
    const auto want = openssl_hmac(m);
    for (auto b : {sha256_backend::portable, sha256_backend::sha_ni, sha256_backend::automatic}) {
      if (hmac_sha256_key(key, b).sign(m.data(), m.size()) != want) return "capmatch HMAC, " + std::to_string(n) + " bytes";
      if (sha256_of(m.data(), m.size(), b) != openssl_sha(m)) return "capmatch SHA-256, " + std::to_string(n) + " bytes";
    }
    if (evp.sign(m) != want) return "EVP_MAC reused context, " + std::to_string(n) + " bytes";
  }
  const auto big = message(16384);
  for (auto b : {sha256_backend::portable, sha256_backend::sha_ni})
    if (sha256_of(big.data(), big.size(), b) != openssl_sha(big)) return "capmatch SHA-256, 16 KiB";
  return {};
}

void hmac_capmatch(benchmark::State& state, sha256_backend b) {
  const auto m = message(static_cast<std::size_t>(state.range(0)));
  const hmac_sha256_key k(key, b);
  if (k.sign(m.data(), m.size()) != openssl_hmac(m)) return state.SkipWithError("mismatch with OpenSSL");
  for (auto _ : state) {
    auto d = k.sign(m.data(), m.size());
    benchmark::DoNotOptimize(d);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * m.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
void BM_hmac_capmatch(benchmark::State& s) { hmac_capmatch(s, sha256_backend::automatic); }
void BM_hmac_capmatch_portable(benchmark::State& s) { hmac_capmatch(s, sha256_backend::portable); }

void BM_hmac_openssl_oneshot(benchmark::State& state) {
  const auto m = message(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    sha256_digest d{};
    unsigned len = 32;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), m.data(), m.size(), d.data(), &len);
    benchmark::DoNotOptimize(d);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * m.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_hmac_openssl_evp_reused(benchmark::State& state) {
  const auto m = message(static_cast<std::size_t>(state.range(0)));
  evp_hmac evp;
  if (evp.sign(m) != openssl_hmac(m)) return state.SkipWithError("EVP_MAC disagrees with HMAC()");
  for (auto _ : state) {
    auto d = evp.sign(m);
    benchmark::DoNotOptimize(d);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * m.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void sha_capmatch(benchmark::State& state, sha256_backend b) {
  const auto m = message(static_cast<std::size_t>(state.range(0)));
  if (sha256_of(m.data(), m.size(), b) != openssl_sha(m)) return state.SkipWithError("mismatch with OpenSSL");
  for (auto _ : state) {
    auto d = sha256_of(m.data(), m.size(), b);
    benchmark::DoNotOptimize(d);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * m.size()));
}
void BM_sha256_capmatch(benchmark::State& s) { sha_capmatch(s, sha256_backend::automatic); }
void BM_sha256_capmatch_portable(benchmark::State& s) { sha_capmatch(s, sha256_backend::portable); }

void BM_sha256_openssl(benchmark::State& state) {
  const auto m = message(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto d = openssl_sha(m);
    benchmark::DoNotOptimize(d);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * m.size()));
}

void hmac_args(benchmark::internal::Benchmark* b) {
  for (auto n : hmac_sizes) b->Arg(static_cast<std::int64_t>(n));
}
BENCHMARK(BM_hmac_capmatch)->Apply(hmac_args);
BENCHMARK(BM_hmac_capmatch_portable)->Apply(hmac_args);
BENCHMARK(BM_hmac_openssl_oneshot)->Apply(hmac_args);
BENCHMARK(BM_hmac_openssl_evp_reused)->Apply(hmac_args);
BENCHMARK(BM_sha256_capmatch)->Arg(16384);
BENCHMARK(BM_sha256_capmatch_portable)->Arg(16384);
BENCHMARK(BM_sha256_openssl)->Arg(16384);
}  // namespace

int main(int argc, char** argv) {
  return capmatch_bench::gated_main(argc, argv, gate, [] {
    return std::string("HMAC-SHA256 and SHA-256 (portable, SHA-NI") + (has_sha_ni() ? "" : " unavailable: portable twice") +
           ") agree with OpenSSL on 0..1000 bytes and 16 KiB";
  });
}
