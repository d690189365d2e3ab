// Driver for instruction counts (callgrind) and thread CPU time of TokenRequest create and
// verify on the inputs of bench_token_request.cpp (8-entry capability, 4-entry key):
//
//   capmatch_callgrind_token_request MODE N [LAPS]
//   MODE: no_cap | cap8 | cap8_hit (verify N distinct requests, a fresh replay guard per lap)
//         create_prepared | create_template (create N requests; fixed timestamp and nonce)
//         create_template_default (the template with the clock and pooled CSPRNG nonces)
//
// bench/RESULTS.md "Session 6" counts verify with
//   valgrind --tool=callgrind --toggle-collect='capmatch::v0_1::token_request_verifier::verify(*' ... MODE 2000
// (divided by 2001: one warm-up), and create as (run(2000) - run(1000)) / 1000. Since session 7
// the timed loop calls verify_into with one reused result: count it with
//   --toggle-collect='capmatch::v0_1::token_request_verifier::verify_into(*' ... MODE 2000  (divided by 2000)
#include <capmatch/capability_cache.hpp>
#include <capmatch/replay_guard.hpp>
#include <capmatch/token_request.hpp>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>
using namespace capmatch;
constexpr std::string_view key_text = "xVLyHw.G-GITw:Y2FwbWF0Y2gtYmVuY2gtc2VjcmV0LWtleQ";
constexpr std::string_view cap8 =
    R"({"tenant0:room:*":["publish","subscribe","presence"],"tenant0:*:admin":["*"],)"
    R"("[queue]tenant0:jobs:*":["subscribe"],"[meta]tenant0:log":["subscribe"],"[*]tenant0:app:*":["presence"],)"
    R"("tenant0:user:u1:*":["subscribe","history"],"status":["subscribe"],"announcements:*":["subscribe","history"]})";
constexpr std::int64_t now_ms = 1'700'000'000'000;
std::int64_t fixed_clock() noexcept { return now_ms; }
int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s no_cap|cap8|cap8_hit|create_prepared|create_template[_default] N [LAPS]\n", argv[0]);
    return 2;
  }
  const std::string mode = argv[1];
  const std::size_t n = std::strtoul(argv[2], nullptr, 10);
  const api_key key = *api_key::parse(key_text);
  token_signer_options o; o.clock = fixed_clock;
  const auto signer = *token_request_signer::make(key, o);
  token_params p; p.capability = cap8; p.ttl_ms = 3'600'000; p.client_id = "user-42"; p.timestamp_ms = now_ms;
  if (mode == "no_cap") p.capability.reset();
  if (mode.rfind("create", 0) == 0) {
    const auto prepared = *prepared_capability::parse(cap8);
    token_params q; q.prepared = &prepared; q.ttl_ms = 3'600'000;
    const auto tmpl = *signer.prepare(q);
    token_params r; r.client_id = "user-42"; r.timestamp_ms = now_ms; r.nonce = "nonce1000000000000000";
    if (mode == "create_template_default") r.timestamp_ms.reset(), r.nonce.reset();
    if (mode != "create_template") q.client_id = "user-42", q.timestamp_ms = now_ms, q.nonce = "nonce1000000000000000";
    std::string json;
    timespec a{}, b{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
    for (std::size_t i = 0; i < n; ++i) {
      const error e = mode.rfind("create_template", 0) == 0 ? tmpl.create_json(r, json) : signer.create_json(q, json);
      if (e.code() != errc::ok) return 4;
    }
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
    std::printf("%.1f ns/create %s\n", (double(b.tv_sec - a.tv_sec) * 1e9 + double(b.tv_nsec - a.tv_nsec)) / double(n), json.c_str());
    return 0;
  }
  std::vector<std::string> reqs(n + 1);
  for (std::size_t i = 0; i <= n; ++i) {
    const std::string nonce = "nonce" + std::to_string(1'000'000'000'000'000ull + i);
    p.nonce = nonce;
    if (signer.create_json(p, reqs[i]).code() != errc::ok) return 2;
  }
  key_list keys;
  keys.add(key, *capability::parse(R"({"tenant0:*":["*"],"[*]tenant0:*":["subscribe","presence"],"status":["*"],"announcements:*":["subscribe","history"]})"));
  capability_cache cache(1024);
  token_verifier_options opts;
  if (mode == "cap8_hit") opts.cache = &cache;
  memory_replay_guard guard(2 * n + 16, 7, 8);
  token_request_verifier v(keys, guard, opts, fixed_clock);
  if (!v.verify(reqs[n], now_ms)) return 3;  // warm
  std::size_t ok = 0;
  const std::size_t laps = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 1;
  double ns = 0;
  for (std::size_t l = 0; l < laps; ++l) {
    memory_replay_guard g(2 * n + 16, 7 + l, 8);
    token_request_verifier w(keys, g, opts, fixed_clock);
    timespec a{}, b{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
    verified_token_request out;
    for (std::size_t i = 0; i < n; ++i) ok += w.verify_into(reqs[i], now_ms, out).code() == errc::ok;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
    ns += double(b.tv_sec - a.tv_sec) * 1e9 + double(b.tv_nsec - a.tv_nsec);
  }
  std::printf("%zu/%zu %.1f ns/verify\n", ok, n * laps, ns / double(n * laps));
  return ok == n * laps ? 0 : 1;
}
