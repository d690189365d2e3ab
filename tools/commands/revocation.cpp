// capmatch CLI — revocation and signed grants: revoke-request builds and validates the body of
// POST /keys/{keyName}/revokeTokens (docs/revocation.md; it takes no key, so no key secret passes
// through the tool); grant, verify-grant and extend-grant issue, check and extend signed grant
// cookies (docs/incremental_authorization.md) with one key given as --key-id and --secret
// (inline, @path or -; one trailing newline of a file is dropped). No output holds the secret.
// SPDX-License-Identifier: MIT
#include <capmatch/revocation.hpp>
#include <capmatch/signed_grant.hpp>

#include <CLI/CLI.hpp>

#include <optional>

#include "command.hpp"

namespace capmatch_cli {
namespace {

action declare_revoke_request(CLI::App& app) {
  struct args {
    std::vector<std::string> targets;
    std::int64_t now = 0, issued_before = 0;
    bool margin = false;
  };
  auto a = std::make_shared<args>();
  const CLI::Option* now = app.add_option("--now", a->now, "the receiver's clock, ms since the epoch (default: system clock)");
  const CLI::Option* before = app.add_option("--issued-before", a->issued_before, "revoke tokens issued before this, ms");
  app.add_flag("--allow-reauth-margin", a->margin, "postpone enforcement by 30 s")->disable_flag_override();
  app.add_option("TARGET", a->targets, "clientId:<id>, revocationKey:<key> or channel:<resource>")->required();
  return [a, now, before](const documents&, outcome& out, failure& fail) {
    const std::int64_t clock = now->count() != 0 ? a->now : capmatch::system_clock_ms();
    std::vector<std::string_view> views(a->targets.begin(), a->targets.end());
    auto req = capmatch::make_revocation_request(std::span<const std::string_view>(views), clock,
                                                 before->count() != 0 ? std::optional<std::int64_t>(a->issued_before)
                                                                      : std::nullopt,
                                                 a->margin);
    if (!req) return fail = from(req.error()), false;
    const std::string body = capmatch::to_json(*req);
    out = {0, body, body};
    return true;
  };
}

// The options every grant command takes; fills a one-key keyring when run.
struct grant_args {
  std::string key_id, secret, client_id;
  std::int64_t now = 0, ttl = 86'400'000;
  const CLI::Option* now_opt = nullptr;

  void declare(CLI::App& app, bool ttl_option) {
    app.add_option("--key-id", key_id, "the signing key's id")->required();
    app.add_option("--secret", secret, "the key's secret: inline, @path or -")->required();
    app.add_option("--client-id", client_id, "the clientId the grant is bound to")->required();
    now_opt = app.add_option("--now", now, "ms since the epoch (default: system clock)");
    if (ttl_option) app.add_option("--ttl", ttl, "grant lifetime in ms (default 86400000)");
  }
  [[nodiscard]] std::int64_t clock() const { return now_opt->count() != 0 ? now : capmatch::system_clock_ms(); }
  [[nodiscard]] bool keyring(const documents& docs, capmatch::grant_keyring& keys, failure& fail) const {
    std::string text;
    if (!docs.load(secret, text, fail)) return false;
    if (secret != text && !text.empty() && text.back() == '\n') text.pop_back();
    if (auto e = keys.add(key_id, text); e.code() != capmatch::errc::ok) return fail = from(e), false;
    return true;
  }
};

outcome grant_outcome(const capmatch::issued_grant& g) {
  return {0, g.cookie,
          "{\"cookie\":" + json_string(g.cookie) + ",\"capability\":" + g.granted.to_json() +
              ",\"expiresMs\":" + std::to_string(g.expires_ms) + "}"};
}

action declare_grant(CLI::App& app) {
  struct args : grant_args {
    std::string cap;
  };
  auto a = std::make_shared<args>();
  a->declare(app, true);
  add_document(app, "CAP", a->cap);
  return [a](const documents& docs, outcome& out, failure& fail) {
    capmatch::grant_keyring keys;
    capmatch::capability cap;
    if (!a->keyring(docs, keys, fail) || !docs.load_capability(a->cap, cap, fail)) return false;
    auto g = capmatch::issue_grant(keys, a->client_id, cap, a->clock(), a->ttl);
    if (!g) return fail = from(g.error()), false;
    out = grant_outcome(*g);
    return true;
  };
}

action declare_verify_grant(CLI::App& app) {
  struct args : grant_args {
    std::string cookie;
  };
  auto a = std::make_shared<args>();
  a->declare(app, false);
  app.add_option("COOKIE", a->cookie)->required();
  return [a](const documents& docs, outcome& out, failure& fail) {
    capmatch::grant_keyring keys;
    if (!a->keyring(docs, keys, fail)) return false;
    auto v = capmatch::verify_grant(keys, a->cookie, a->client_id, a->clock());
    if (!v) return fail = from(v.error()), false;
    const std::string canonical = v->granted.to_json();
    out = {0, canonical,
           "{\"capability\":" + canonical + ",\"expiresMs\":" + std::to_string(v->expires_ms) +
               ",\"keyId\":" + json_string(v->key_id) + "}"};
    return true;
  };
}

action declare_extend_grant(CLI::App& app) {
  struct args : grant_args {
    std::string cookie, cap;
  };
  auto a = std::make_shared<args>();
  a->declare(app, true);
  app.add_option("COOKIE", a->cookie)->required();
  add_document(app, "CAP", a->cap);
  return [a](const documents& docs, outcome& out, failure& fail) {
    capmatch::grant_keyring keys;
    capmatch::capability more;
    if (!a->keyring(docs, keys, fail) || !docs.load_capability(a->cap, more, fail)) return false;
    auto g = capmatch::extend_grant(keys, a->cookie, a->client_id, more, a->clock(), a->ttl);
    if (!g) return fail = from(g.error()), false;
    out = grant_outcome(*g);
    return true;
  };
}

constexpr command commands[] = {
    {"revoke-request", "[--issued-before MS] [--allow-reauth-margin] [--now MS] TARGET...",
     "print the validated JSON body of POST /keys/{keyName}/revokeTokens", declare_revoke_request},
    {"grant", "--key-id ID --secret S --client-id C [--ttl MS] [--now MS] CAP",
     "print a signed grant cookie holding CAP for clientId C", declare_grant, true},
    {"verify-grant", "--key-id ID --secret S --client-id C [--now MS] COOKIE",
     "print the capability a grant cookie holds (exit 1 when it does not verify)", declare_verify_grant, true},
    {"extend-grant", "--key-id ID --secret S --client-id C [--ttl MS] [--now MS] COOKIE CAP",
     "print the grant cookie for COOKIE's capability united with CAP", declare_extend_grant, true},
};

}  // namespace

std::span<const command> revocation_commands() { return commands; }

}  // namespace capmatch_cli
