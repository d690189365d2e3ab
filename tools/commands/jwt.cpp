// capmatch CLI — the `jwt` and `verify-jwt` commands (docs/jwt.md, docs/cli.md). The key is given
// as --key KEYNAME:SECRET and never printed: key errors come from api_key::parse, which never
// quotes the secret, and bad usage quotes no argument of these commands (command.hpp).
// SPDX-License-Identifier: MIT
#include <capmatch/clock.hpp>
#include <capmatch/detail/json_object.hpp>
#include <capmatch/jwt.hpp>

#include <CLI/CLI.hpp>

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "command.hpp"

namespace capmatch_cli {
namespace {

/// The seconds option `opt` holds in `text` (a decimal integer, may be negative) into `out`;
/// `out` unchanged when the option is not given, false when the text is not such a number.
bool parse_seconds(const CLI::Option* opt, const std::string& text, std::int64_t& out) {
  if (opt->count() == 0) return true;
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return false;
  out = v;
  return true;
}

/// The clock in whole seconds since the epoch.
std::int64_t now_seconds() { return capmatch::system_clock_ms() / 1000; }

/// Splits NAME=JSON at the first '=' whose right-hand side is one JSON value (so names may
/// hold '=', as in "ably.channel.[filter=x]chan"); falls back to the first '='. A right-hand
/// side with a null data() means there is no '=' after the first byte.
std::pair<std::string_view, std::string_view> split_claim(std::string_view arg) {
  std::size_t first = std::string_view::npos;
  for (std::size_t eq = arg.find('='); eq != std::string_view::npos; eq = arg.find('=', eq + 1)) {
    if (eq == 0) continue;
    if (first == std::string_view::npos) first = eq;
    if (capmatch::detail::json_object::parse_value(arg.substr(eq + 1))) return {arg.substr(0, eq), arg.substr(eq + 1)};
  }
  if (first == std::string_view::npos) return {arg, {}};
  return {arg.substr(0, first), arg.substr(first + 1)};
}

action declare_jwt(CLI::App& app) {
  struct args {
    std::string key, capability, client_id, ttl, iat, revocation_key;
    std::vector<std::string> claims;
    bool revocable = false;
  };
  auto a = std::make_shared<args>();
  app.add_option("--key", a->key)->required();
  const CLI::Option* cap = add_document(app, "--capability", a->capability, false);
  const CLI::Option* client = app.add_option("--client-id", a->client_id);
  const CLI::Option* ttl = app.add_option("--ttl", a->ttl);
  const CLI::Option* iat = app.add_option("--iat", a->iat);
  const CLI::Option* revocation_key = app.add_option("--revocation-key", a->revocation_key);
  // --claim repeats; each takes exactly the one argument after it.
  app.add_option("--claim", a->claims)->allow_extra_args(false);
  app.add_flag("--revocable", a->revocable)->disable_flag_override();
  return [a, cap, client, ttl, iat, revocation_key](const documents& docs, outcome& out, failure& fail) {
    capmatch::jwt_request req;
    req.issued_at = now_seconds();
    if (!parse_seconds(iat, a->iat, req.issued_at)) return fail = usage_failure("--iat takes a whole number of seconds"), false;
    if (!parse_seconds(ttl, a->ttl, req.ttl)) return fail = usage_failure("--ttl takes a whole number of seconds"), false;
    for (const std::string& c : a->claims) {
      const auto [name, value] = split_claim(c);
      if (value.data() == nullptr) return fail = usage_failure("--claim takes NAME=JSON"), false;
      req.claims.emplace_back(name, value);
    }
    auto key = capmatch::api_key::parse(a->key);
    if (!key) return fail = from(key.error()), false;
    const capmatch::jwt_key k{std::move(*key), std::nullopt, a->revocable};
    std::string cap_text;
    if (cap->count() != 0) {
      if (!docs.load(a->capability, cap_text, fail)) return false;
      req.capability = cap_text;
    }
    if (client->count() != 0) req.client_id = a->client_id;
    if (revocation_key->count() != 0) req.revocation_key = a->revocation_key;
    auto token = capmatch::issue_jwt(k, req);
    if (!token) return fail = from(token.error()), false;
    out = {0, *token, "{\"jwt\":" + json_string(*token) + "}"};
    return true;
  };
}

action declare_verify_jwt(CLI::App& app) {
  struct args {
    std::string key, now, key_capability, token;
    bool revocable = false;
  };
  auto a = std::make_shared<args>();
  app.add_option("--key", a->key)->required();
  const CLI::Option* now = app.add_option("--now", a->now);
  const CLI::Option* key_cap = add_document(app, "--key-capability", a->key_capability, false);
  app.add_flag("--revocable", a->revocable)->disable_flag_override();
  app.add_option("TOKEN", a->token)->required();
  return [a, now, key_cap](const documents& docs, outcome& out, failure& fail) {
    capmatch::jwt_verify_options opt;
    opt.now = now_seconds();
    if (!parse_seconds(now, a->now, opt.now)) return fail = usage_failure("--now takes a whole number of seconds"), false;
    auto key = capmatch::api_key::parse(a->key);
    if (!key) return fail = from(key.error()), false;
    std::optional<capmatch::capability> cap;
    if (key_cap->count() != 0) {
      capmatch::capability c;
      if (!docs.load_capability(a->key_capability, c, fail)) return false;
      cap = std::move(c);
    }
    const capmatch::jwt_key k{std::move(*key), std::move(cap), a->revocable};
    auto v = capmatch::verify_jwt(a->token, k, opt);
    if (!v) return fail = from(v.error()), false;
    const std::string claims = v->to_json();
    out = {0, claims, claims};  // the claims are JSON already: the same line with --json
    return true;
  };
}

constexpr command commands[] = {
    {"jwt",
     "--key KEYNAME:SECRET [--capability CAP] [--client-id ID] [--ttl SECONDS] [--iat SECONDS] "
     "[--revocation-key KEY] [--claim NAME=JSON]... [--revocable]",
     "print a signed Ably JWT (HS256)", declare_jwt, true},
    {"verify-jwt", "--key KEYNAME:SECRET [--now SECONDS] [--key-capability CAP] [--revocable] TOKEN",
     "verify an Ably JWT; print its claims and effective capability", declare_verify_jwt, true},
};

}  // namespace

std::span<const command> jwt_commands() { return commands; }

}  // namespace capmatch_cli
