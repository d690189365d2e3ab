// capmatch CLI — token-request and verify-token-request (docs/token_requests.md). The key is
// given as --key KEYNAME:SECRET and never printed: key errors come from api_key::parse, which
// never quotes the secret, and bad usage quotes no argument of these commands (command.hpp).
// SPDX-License-Identifier: MIT
#include <capmatch/capability.hpp>
#include <capmatch/detail/json_object.hpp>
#include <capmatch/key.hpp>
#include <capmatch/replay_guard.hpp>
#include <capmatch/token_request.hpp>

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "command.hpp"

namespace capmatch_cli {
namespace {

/// The milliseconds option `opt` holds in `text`: nullopt when not given; false when it is not a
/// decimal number of at most capmatch::max_timestamp_ms.
bool parse_ms(const CLI::Option* opt, const std::string& text, std::optional<std::uint64_t>& out) {
  if (opt->count() == 0) return true;
  std::uint64_t v = 0;
  if (!capmatch::detail::parse_decimal(text, capmatch::max_timestamp_ms, v)) return false;
  out = v;
  return true;
}

action declare_token_request(CLI::App& app) {
  struct args {
    std::string key, capability, client_id, ttl, timestamp, nonce;
  };
  auto a = std::make_shared<args>();
  app.add_option("--key", a->key)->required();
  const CLI::Option* cap = add_document(app, "--capability", a->capability, false);
  const CLI::Option* client = app.add_option("--client-id", a->client_id);
  const CLI::Option* ttl = app.add_option("--ttl", a->ttl);
  const CLI::Option* timestamp = app.add_option("--timestamp", a->timestamp);
  const CLI::Option* nonce = app.add_option("--nonce", a->nonce);
  return [a, cap, client, ttl, timestamp, nonce](const documents& docs, outcome& out, failure& fail) {
    capmatch::token_params p;
    if (!parse_ms(ttl, a->ttl, p.ttl_ms)) return fail = usage_failure("--ttl takes a decimal number of milliseconds"), false;
    if (!parse_ms(timestamp, a->timestamp, p.timestamp_ms))
      return fail = usage_failure("--timestamp takes a decimal number of milliseconds since the Unix epoch"), false;
    auto key = capmatch::api_key::parse(a->key);
    if (!key) return fail = from(key.error()), false;
    std::string cap_text;
    if (cap->count() != 0) {
      if (!docs.load(a->capability, cap_text, fail)) return false;
      p.capability = cap_text;
    }
    if (client->count() != 0) p.client_id = a->client_id;
    if (nonce->count() != 0) p.nonce = a->nonce;
    auto signer = capmatch::token_request_signer::make(*key);
    if (!signer) return fail = from(signer.error()), false;
    std::string wire;
    if (auto e = signer->create_json(p, wire); e.code() != capmatch::errc::ok) return fail = from(e), false;
    out = {0, wire, wire};  // the wire form is JSON already: the same line with --json
    return true;
  };
}

action declare_verify_token_request(CLI::App& app) {
  struct args {
    std::string key, key_capability, now, request;
    bool revocable = false;
  };
  auto a = std::make_shared<args>();
  app.add_option("--key", a->key)->required();
  const CLI::Option* key_cap = add_document(app, "--key-capability", a->key_capability, false);
  app.add_flag("--revocable", a->revocable)->disable_flag_override();
  const CLI::Option* now = app.add_option("--now", a->now);
  add_document(app, "REQUEST", a->request);
  return [a, key_cap, now](const documents& docs, outcome& out, failure& fail) {
    std::optional<std::uint64_t> clock;
    if (!parse_ms(now, a->now, clock)) return fail = usage_failure("--now takes a decimal number of milliseconds"), false;
    auto key = capmatch::api_key::parse(a->key);
    if (!key) return fail = from(key.error()), false;
    std::string key_cap_text = R"({"[*]*":["*"]})";  // default: the key may do everything
    if (key_cap->count() != 0) {
      key_cap_text.clear();
      if (!docs.load(a->key_capability, key_cap_text, fail)) return false;
    }
    auto cap = capmatch::capability::parse(key_cap_text);
    if (!cap) {
      fail = from(cap.error());
      fail.message.insert(0, "--key-capability: ");
      return false;
    }
    std::string request;
    if (!docs.load(a->request, request, fail)) return false;

    capmatch::key_list keys;
    keys.add(*key, std::move(*cap), a->revocable);
    capmatch::memory_replay_guard guard(16, 1, 2, 1);  // one request per run: nothing to remember
    capmatch::token_request_verifier verifier(keys, guard);
    auto v = clock ? verifier.verify(request, static_cast<std::int64_t>(*clock)) : verifier.verify(request);
    if (!v) return fail = from(v.error()), false;
    const std::string effective = v->effective.to_json();
    std::string json = "{\"capability\":" + effective + ",\"keyName\":" + json_string(v->key_name);
    if (v->client_id) json += ",\"clientId\":" + json_string(*v->client_id);
    if (v->ttl_ms) json += ",\"ttl\":" + std::to_string(*v->ttl_ms);
    json += ",\"timestamp\":" + std::to_string(v->timestamp_ms) + ",\"nonce\":" + json_string(v->nonce) + "}";
    out = {0, effective, std::move(json)};
    return true;
  };
}

constexpr command commands[] = {
    {"token-request", "--key KEYNAME:SECRET [--capability CAP] [--client-id ID] [--ttl MS] [--timestamp MS] [--nonce NONCE]",
     "print a signed TokenRequest as one JSON line", declare_token_request, true},
    {"verify-token-request", "--key KEYNAME:SECRET [--key-capability CAP] [--revocable] [--now MS] REQUEST",
     "check a TokenRequest; print the effective capability", declare_verify_token_request, true},
};

}  // namespace

std::span<const command> token_request_commands() { return commands; }

}  // namespace capmatch_cli
