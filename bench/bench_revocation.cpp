// Revocation checks against a list of 100,000 targets (issue 13 goal: under 50 ns per check), and
// signed-grant verify / extend with a typical 200-byte capability.
//   capmatch_bench_revocation [--gate-only] [google-benchmark flags]
// The correctness gate runs first: the list against a naive reference (a std::set of target
// texts, scanned the obvious way) on tokens that hit and miss every kind; the grants against a
// round trip. Any disagreement stops the program before anything is timed.
// SPDX-License-Identifier: MIT
#include <benchmark/benchmark.h>
#include <capmatch/revocation.hpp>
#include <capmatch/signed_grant.hpp>

#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <vector>

namespace {
using namespace capmatch;

constexpr std::int64_t now = 1'700'000'000'000;
constexpr std::size_t list_targets = 100'000;

// 40 % clientIds, 30 % revocation keys, 30 % channel resources, 100 per request.
std::vector<std::string> target_texts() {
  std::vector<std::string> t;
  t.reserve(list_targets);
  for (std::size_t i = 0; i < list_targets; ++i) {
    const std::size_t k = i % 10;
    if (k < 4) t.push_back("clientId:user-" + std::to_string(i) + "@example.com");
    else if (k < 7) t.push_back("revocationKey:group-" + std::to_string(i));
    else t.push_back("channel:tenant-" + std::to_string(i) + ":room:*");
  }
  return t;
}

struct fixture {
  revocation_list list;
  std::set<std::string> reference;  // target texts, all with issuedBefore = now
  capability typical;               // a token's capability: 4 resources, 190 bytes canonical
  fixture() {
    const auto texts = target_texts();
    for (std::size_t i = 0; i < texts.size(); i += max_revocation_targets) {
      std::vector<std::string_view> views(texts.begin() + static_cast<std::ptrdiff_t>(i),
                                          texts.begin() + static_cast<std::ptrdiff_t>(i + max_revocation_targets));
      auto r = make_revocation_request(std::span<const std::string_view>(views), now);
      if (!r || list.revoke(*r, now).code() != errc::ok) std::abort();
    }
    reference.insert(texts.begin(), texts.end());
    typical = *capability::parse(R"({"tenant-5:room:*":["subscribe","presence"],"notifications:user-5":["subscribe"],"public:*":["subscribe","history"],"tenant-5:room:lobby:announcements":["history","presence","subscribe"]})");
  }
  // The naive answer: does any of the token's facts name a target?
  bool naive(std::string_view client, std::string_view key, const capability& cap) const {
    if (!client.empty() && reference.count("clientId:" + std::string(client))) return true;
    if (!key.empty() && reference.count("revocationKey:" + std::string(key))) return true;
    for (std::size_t i = 0; i < cap.size(); ++i)
      if (reference.count("channel:" + std::string(cap.resource(i)))) return true;
    return false;
  }
};

fixture& fx() {
  static fixture f;
  return f;
}

const capability& hit_capability() {
  static const capability c = *capability::parse(R"({"tenant-7:room:*":["subscribe"],"x":["publish"]})");
  return c;
}

std::string gate() {
  auto& f = fx();
  if (f.list.size() != list_targets) return "the list holds " + std::to_string(f.list.size()) + " targets";
  const capability empty;
  struct token {
    std::string client, key;
    const capability* cap;
  };
  std::vector<token> tokens;
  for (std::size_t i = 0; i < 2000; ++i) {
    tokens.push_back({"user-" + std::to_string(i) + "@example.com", "", &empty});
    tokens.push_back({"nobody-" + std::to_string(i), "group-" + std::to_string(i), &empty});
    tokens.push_back({"", "", &f.typical});
  }
  tokens.push_back({"", "", &hit_capability()});
  for (const auto& t : tokens) {
    for (std::int64_t issued : {now - 1, now}) {
      const bool want = issued < now && f.naive(t.client, t.key, *t.cap);
      const bool got = f.list.is_revoked(revocation_subject{t.client, t.key, t.cap, issued}, now);
      if (got != want) return "revocation check disagrees with the reference for clientId '" + t.client + "'";
    }
  }
  grant_keyring keys;
  if (keys.add("k1", "Qz7xWv3kP9tJ8rLm2Nb5Hc6Yd4Fg1Ks0").code() != errc::ok) return "keyring";
  auto g = issue_grant(keys, "user-5@example.com", f.typical, now, 3'600'000);
  if (!g) return "issue_grant failed";
  auto v = verify_grant(keys, g->cookie, "user-5@example.com", now);
  if (!v || !(v->granted == f.typical)) return "verify_grant does not round-trip";
  if (verify_grant(keys, g->cookie, "user-6@example.com", now)) return "verify_grant accepted another clientId";
  return {};
}

// A token whose clientId, revocation key and 4 resources all miss: 6 lookups, the common case.
void BM_revocation_check_miss(benchmark::State& state) {
  auto& f = fx();
  const revocation_subject s{"user-5@example.com", "group-8", &f.typical, now - 1};
  for (auto _ : state) {
    auto e = f.list.check(s, now);
    benchmark::DoNotOptimize(e);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_revocation_check_miss);

// A token with a clientId only (no revocation key, empty capability): one lookup.
void BM_revocation_check_client_only(benchmark::State& state) {
  auto& f = fx();
  static const capability empty;
  const revocation_subject s{"user-5@example.com", {}, &empty, now - 1};
  for (auto _ : state) {
    auto e = f.list.check(s, now);
    benchmark::DoNotOptimize(e);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_revocation_check_client_only);

// 4,096 different clientIds in turn, half of them revoked (cache-unfriendly; includes the error text).
void BM_revocation_check_mixed(benchmark::State& state) {
  auto& f = fx();
  static const capability empty;
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < 4096; ++i) ids.push_back("user-" + std::to_string(i * 5) + "@example.com");
  std::size_t i = 0;
  for (auto _ : state) {
    const revocation_subject s{ids[i++ & 4095], {}, &empty, now - 1};
    auto e = f.list.check(s, now);
    benchmark::DoNotOptimize(e);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_revocation_check_mixed);

const std::string& typical_cookie(const grant_keyring& keys) {
  static const std::string c = issue_grant(keys, "user-5@example.com", fx().typical, now, 3'600'000)->cookie;
  return c;
}
const grant_keyring& bench_keys() {
  static const grant_keyring k = [] {
    grant_keyring r;
    (void)r.add("k1", "Qz7xWv3kP9tJ8rLm2Nb5Hc6Yd4Fg1Ks0");
    return r;
  }();
  return k;
}

void BM_grant_verify(benchmark::State& state) {
  const auto& keys = bench_keys();
  const std::string& c = typical_cookie(keys);
  for (auto _ : state) {
    auto v = verify_grant(keys, c, "user-5@example.com", now);
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(c.size()));
  state.counters["cookie_bytes"] = static_cast<double>(c.size());
}
BENCHMARK(BM_grant_verify);

void BM_grant_extend(benchmark::State& state) {
  const auto& keys = bench_keys();
  const std::string& c = typical_cookie(keys);
  const capability more = *capability::parse(R"({"tenant-5:room:lobby":["publish"]})");
  for (auto _ : state) {
    auto v = extend_grant(keys, c, "user-5@example.com", more, now, 3'600'000);
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_grant_extend);
}  // namespace

int main(int argc, char** argv) {
  const std::string err = gate();
  if (!err.empty()) {
    std::fprintf(stderr, "correctness gate failed: %s\n", err.c_str());
    return 1;
  }
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--gate-only") == 0) {
      std::printf("correctness gate passed: revocation list of %zu targets agrees with the reference on 12,002 checks; "
                  "grants round-trip\n", list_targets);
      return 0;
    }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
