// capmatch CLI — revocation: revoke-request builds and validates the body of
// POST /keys/{keyName}/revokeTokens (docs/revocation.md). It takes no key: the secret never
// passes through the tool; send the body with your HTTP client and the key's Basic auth.
// SPDX-License-Identifier: MIT
#include <capmatch/revocation.hpp>

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
    const std::int64_t clock = now->count() != 0 ? a->now : capmatch::system_now_ms();
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

constexpr command commands[] = {
    {"revoke-request", "[--issued-before MS] [--allow-reauth-margin] [--now MS] TARGET...",
     "print the validated JSON body of POST /keys/{keyName}/revokeTokens", declare_revoke_request},
};

}  // namespace

std::span<const command> revocation_commands() { return commands; }

}  // namespace capmatch_cli
