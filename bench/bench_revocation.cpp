// Revocation checks against a list of 100,000 targets (issue 13 goal: under 50 ns per check), user-
// claim lookups against one matcher check on the same patterns (goal: about one check), and
// signed-grant verify / extend with a typical 200-byte capability.
//   capmatch_bench_revocation [--gate-only] [google-benchmark flags]
// The correctness gate runs first: the list against a naive reference (a std::set of target
// texts, scanned the obvious way) on tokens that hit and miss every kind, through the plain and
// the prepared paths; user claims against rule 26 read directly; the grants against a round trip. Any disagreement stops the program before anything is timed.
// SPDX-License-Identifier: MIT
#include <benchmark/benchmark.h>
#include <capmatch/revocation.hpp>
#include <capmatch/signed_grant.hpp>
#include <capmatch/user_claims.hpp>

#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <vector>
#include "gated_main.hpp"

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
    std::vector<received_revocation_request> requests;  // 1,000 requests, published once
    for (std::size_t i = 0; i < texts.size(); i += max_revocation_targets) {
      std::vector<std::string_view> views(texts.begin() + static_cast<std::ptrdiff_t>(i),
                                          texts.begin() + static_cast<std::ptrdiff_t>(i + max_revocation_targets));
      auto r = make_revocation_request(std::span<const std::string_view>(views), now);
      if (!r) std::abort();
      requests.push_back({std::move(*r), now});
    }
    if (list.revoke(std::span<const received_revocation_request>(requests)).code() != errc::ok) std::abort();
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

// User claims: the 12 patterns of bench_jwt.cpp; the baseline matcher compiles the same patterns
// (one operation each) and answers "does any apply?", the claims answer "which one applies?".
struct claims_fixture {
  user_claims claims;
  matcher claim_matcher;
  std::vector<std::string> channels;
  claims_fixture() {
    const std::vector<user_claim> uc = {
        {"chat:*", "member"}, {"chat:lobby", "guest"}, {"chat:*:mods", "moderator"}, {"*", "visitor"},
        {"support:*", "customer"}, {"support:tier1:*", "agent"}, {"support:tier1:escalations", "lead"},
        {"[meta]*", "ops"}, {"chat:room:7", "owner"}, {"game:*:*:board", "player"}, {"game:*", "spectator"},
        {"news:*", "reader"}};
    claims = user_claims::compile(uc).value();
    std::string doc = "{";
    for (std::size_t i = 0; i < uc.size(); ++i) doc += (i ? ",\"" : "\"") + uc[i].pattern + "\":[\"subscribe\"]";
    claim_matcher = matcher(capability::parse(doc + "}").value());
    channels = {"chat:lobby", "chat:room:7", "chat:room:8", "chat:room:8:mods", "support:tier1:escalations",
                "support:tier1:q", "support:tier2", "[meta]log", "game:g1:r2:board", "game:g1", "news:today",
                "lobby", "status", "chat:a:b:c", "[queue]x", "other:thing"};
  }
};
const claims_fixture& claims_fx() {
  static const claims_fixture f;
  return f;
}
// Rule 26 read directly: every matching claim, the most specific wins (no ties in this set).
const user_claim* claims_brute_force(const user_claims& u, std::string_view channel) {
  const auto name = parse_name(channel);
  const user_claim* best = nullptr;
  claim_specificity bs;
  for (std::size_t i = 0; i < u.size(); ++i) {
    const auto p = parse_pattern(u.claim(i).pattern).value();
    if (!matches(p, *name)) continue;
    const auto s = specificity_of(p);
    if (best == nullptr || bs < s) best = &u.claim(i), bs = s;
  }
  return best;
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
      const revocation_subject subject{t.client, t.key, t.cap, issued};
      const bool got = f.list.is_revoked(subject, now);
      if (got != want) return "revocation check disagrees with the reference for clientId '" + t.client + "'";
      const prepared_revocation_subject prepared(subject);
      if (f.list.is_revoked(prepared, now) != want || (f.list.check(prepared, now).code() == errc::token_revoked) != want)
        return "prepared revocation check disagrees with the reference for clientId '" + t.client + "'";
    }
  }
  const claims_fixture& c = claims_fx();
  for (const auto& ch : c.channels) {
    const auto got = c.claims.find(ch);
    if (!got || *got != claims_brute_force(c.claims, ch)) return "user claim lookup differs from rule 26 for " + ch;
    if (c.claim_matcher.ops_for(ch).empty() != (claims_brute_force(c.claims, ch) == nullptr))
      return "the baseline matcher disagrees with the claims on " + ch;
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

// The typical token prepared once (its 6 facts hashed): 6 probes, no hashing, no message.
void BM_revocation_check_prepared(benchmark::State& state) {
  auto& f = fx();
  const prepared_revocation_subject p(revocation_subject{"user-5@example.com", "group-8", &f.typical, now - 1});
  for (auto _ : state) {
    bool r = f.list.is_revoked(p, now);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_revocation_check_prepared);

// The same through check(), which returns an error value (a 264-byte object) even when not revoked.
void BM_revocation_check_prepared_error_value(benchmark::State& state) {
  auto& f = fx();
  const prepared_revocation_subject p(revocation_subject{"user-5@example.com", "group-8", &f.typical, now - 1});
  for (auto _ : state) {
    auto e = f.list.check(p, now);
    benchmark::DoNotOptimize(e);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_revocation_check_prepared_error_value);

// Preparing the typical token (hashing its 6 facts, one allocation): paid once per verified token.
void BM_revocation_prepare(benchmark::State& state) {
  auto& f = fx();
  const revocation_subject s{"user-5@example.com", "group-8", &f.typical, now - 1};
  for (auto _ : state) {
    prepared_revocation_subject p(s);
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_revocation_prepare);

// The typical token against a list holding clientId targets only: the revocation-key and the
// resource probes are skipped (no target of those kinds).
void BM_revocation_check_prepared_clients_only_list(benchmark::State& state) {
  static revocation_list list;
  if (list.size() == 0) {
    std::vector<std::string> texts;
    for (std::size_t i = 0; i < 100; ++i) texts.push_back("clientId:user-" + std::to_string(i * 7 + 1) + "@example.com");
    std::vector<std::string_view> views(texts.begin(), texts.end());
    if (list.revoke(*make_revocation_request(std::span<const std::string_view>(views), now), now).code() != errc::ok) std::abort();
  }
  auto& f = fx();
  const prepared_revocation_subject p(revocation_subject{"user-5@example.com", "group-8", &f.typical, now - 1});
  for (auto _ : state) {
    bool r = list.is_revoked(p, now);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_revocation_check_prepared_clients_only_list);

// An empty list: the early exit.
void BM_revocation_check_empty_list(benchmark::State& state) {
  static const revocation_list empty_list;
  auto& f = fx();
  const prepared_revocation_subject p(revocation_subject{"user-5@example.com", "group-8", &f.typical, now - 1});
  for (auto _ : state) {
    bool r = empty_list.is_revoked(p, now);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_revocation_check_empty_list);

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

// The most specific user claim for 16 channels in turn (hits on every rule-26 level, one miss).
void BM_user_claim_find(benchmark::State& state) {
  const auto& c = claims_fx();
  std::size_t i = 0;
  for (auto _ : state) {
    auto r = c.claims.find(c.channels[i++ & 15]);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_user_claim_find);

// The baseline: one matcher check (ops_for) on the same patterns and channels.
void BM_matcher_check_same_patterns(benchmark::State& state) {
  const auto& c = claims_fx();
  std::size_t i = 0;
  for (auto _ : state) {
    auto r = c.claim_matcher.ops_for(c.channels[i++ & 15]);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_matcher_check_same_patterns);

// Rule 26 read directly (parse and match every pattern): what compiling saves.
void BM_user_claim_brute_force(benchmark::State& state) {
  const auto& c = claims_fx();
  std::size_t i = 0;
  for (auto _ : state) {
    auto r = claims_brute_force(c.claims, c.channels[i++ & 15]);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_user_claim_brute_force);

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
  return capmatch_bench::gated_main(argc, argv, gate, [] {
    return "revocation list of " + std::to_string(list_targets) +
           " targets agrees with the reference on 12,002 checks (plain and prepared); user claims agree with rule 26 "
           "on 16 channels; grants round-trip";
  });
}
