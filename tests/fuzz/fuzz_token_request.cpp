// Fuzz target 7: the TokenRequest verifier's parser and checks, and create -> verify round trips.
// The input is verified as a wire form (known key, fixed clock), and also split at 0xFF bytes into
// capability, clientId and nonce for the signer.
// Asserts: every verification error has a code of the documented set (40000, 40003, 40101, 40104,
// 40105, 40160) with a one-line UTF-8 message that does not contain the key secret (unless the
// input does: messages quote input) and an offset
// inside the input; a request that verifies is refused the second time (40105). A request the
// signer creates verifies, gives key ∩ requested capability, and fails once any byte is changed.
// SPDX-License-Identifier: MIT
#include <capmatch/detail/escape.hpp>
#include <capmatch/detail/json.hpp>
#include <capmatch/replay_guard.hpp>
#include <capmatch/token_request.hpp>

#include "common.hpp"

namespace {
using namespace capmatch;
using fuzz::one_line_utf8;

constexpr std::string_view secret = "FUZZ-SECRET-7f3a";
constexpr std::int64_t now = 1'700'000'000'000;
std::int64_t clock_ms() noexcept { return now; }

const key_list& keys() {
  static const key_list k = [] {
    key_list l;
    l.add(token_key{"app.key", crypto::hmac_sha256_key(secret), *capability::parse(R"({"chat:*":["*"],"[*]*":["subscribe"]})"), true});
    return l;
  }();
  return k;
}

// The secret is never in a message, unless the input itself carried it (messages quote input).
// Quoted input is escaped, and an escape can complete the secret: "\x7FUZZ-SECRET-7f3a" is quoted
// as "\u007FUZZ-SECRET-7f3a" (regression seed quoted_escape_completes_secret). So the input
// carries the secret when it, its one-line escaped form or its JSON-escaped form contains it.
bool secret_free(std::string_view message, std::string_view input) {
  if (message.find(secret) == std::string_view::npos || input.find(secret) != std::string_view::npos) return true;
  std::string quoted;
  detail::escape_one_line(input, [&](std::string_view piece) {
    quoted.append(piece);
    return true;
  });
  std::vector<char> json;
  detail::write_json_string(input, json);
  return quoted.find(secret) != std::string::npos ||
         std::string_view(json.data(), json.size()).find(secret) != std::string_view::npos;
}

void check_verify_error(const error& e, std::string_view input) {
  const std::size_t input_size = input.size();
  FUZZ_CHECK(e.code() != errc::ok);
  const auto c = e.ably_code();
  FUZZ_CHECK(c == 40000 || c == 40003 || c == 40101 || c == 40104 || c == 40105 || c == 40160);
  FUZZ_CHECK(!e.message().empty());
  FUZZ_CHECK(one_line_utf8(e.message()));
  FUZZ_CHECK(secret_free(e.message(), input));
  FUZZ_CHECK(!e.has_offset() || e.offset() <= input_size);
}

std::vector<std::string_view> split_ff(std::string_view s) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || static_cast<unsigned char>(s[i]) == 0xFF) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  {
    memory_replay_guard guard(8, 1, 2, 1);
    token_request_verifier v(keys(), guard, clock_ms);
    auto r = v.verify(in);
    if (r) {
      auto again = v.verify(in);
      FUZZ_CHECK(!again && again.error().code() == errc::nonce_replayed);
      FUZZ_CHECK(!r->effective.empty());
    } else {
      check_verify_error(r.error(), in);
    }
  }
  // Round trip through the signer.
  const auto parts = split_ff(in);
  token_params p;
  if (parts.size() > 0 && !parts[0].empty()) p.capability = parts[0];
  if (parts.size() > 1) p.client_id = parts[1];
  if (parts.size() > 2) p.nonce = parts[2];
  if (parts.size() > 3 && !parts[3].empty()) p.ttl_ms = static_cast<unsigned char>(parts[3][0]) * 100000ull;
  static const token_request_signer signer = [] {
    token_signer_options o;
    o.clock = clock_ms;
    o.revocable = true;
    return *token_request_signer::make("app.key", secret, o);
  }();
  auto created = signer.create(p);
  if (!created) {
    const error& e = created.error();
    FUZZ_CHECK(e.ably_code() == 40000 || e.ably_code() == 40003);
    FUZZ_CHECK(one_line_utf8(e.message()));
    FUZZ_CHECK(secret_free(e.message(), in));
    return 0;
  }
  FUZZ_CHECK(secret_free(created->json, in));
  memory_replay_guard guard(8, 1, 2, 1);
  token_request_verifier v(keys(), guard, clock_ms);
  auto r = v.verify(created->json);
  if (!r) {  // only an empty intersection with the key may fail
    FUZZ_CHECK(r.error().ably_code() == 40160);
    return 0;
  }
  if (p.capability) {
    const auto req = capability::parse(*p.capability);
    FUZZ_CHECK(req.has_value());
    const auto eff = intersect(keys().find("app.key")->key_capability(), *req);
    FUZZ_CHECK(eff.has_value() && *eff == r->effective);
  }
  // One changed byte (position and flip from the input) fails.
  std::string changed = created->json;
  const std::size_t at = size == 0 ? 0 : (data[0] * 131u + size) % changed.size();
  changed[at] = static_cast<char>(changed[at] ^ (size > 1 && data[1] != 0 ? data[1] : 1));
  memory_replay_guard guard2(8, 1, 2, 1);
  FUZZ_CHECK(!token_request_verifier(keys(), guard2, clock_ms).verify(changed).has_value());
  return 0;
}
