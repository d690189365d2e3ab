// capmatch CLI — the `jwt` and `verify-jwt` commands (docs/jwt.md, docs/cli.md).
// Self-contained: a dispatcher passes the arguments after the command name and prints what
// comes back. No command writes a key secret anywhere.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace capmatch_cli {

/// What a command produced: exit status (0 ok, 1 error, 2 bad usage), stdout and stderr text.
struct jwt_outcome {
  int status = 0;
  std::string out;
  std::string err;
};

/// `capmatch jwt --key KEYNAME:SECRET [--capability CAP] [--client-id ID] [--ttl SECONDS]
/// [--iat SECONDS] [--revocation-key KEY] [--claim NAME=JSON]... [--revocable] [--json]`:
/// the signed JWT on one line. `now` is the default iat.
[[nodiscard]] jwt_outcome jwt_command(const std::vector<std::string_view>& args, std::int64_t now);

/// `capmatch verify-jwt --key KEYNAME:SECRET [--now SECONDS] [--key-capability CAP] [--revocable]
/// [--json] TOKEN`: one JSON object with the verified claims and the effective capability, or the
/// Ably error. `now` is the default for --now.
[[nodiscard]] jwt_outcome verify_jwt_command(const std::vector<std::string_view>& args, std::int64_t now);

/// Usage lines of both commands, for the tool's help text.
inline constexpr std::string_view jwt_usage_text =
    "  jwt --key KEYNAME:SECRET [--capability CAP] [--client-id ID] [--ttl SECONDS] [--iat SECONDS]\n"
    "      [--revocation-key KEY] [--claim NAME=JSON]... [--revocable]\n"
    "                            print a signed Ably JWT (HS256)\n"
    "  verify-jwt --key KEYNAME:SECRET [--now SECONDS] [--key-capability CAP] [--revocable] TOKEN\n"
    "                            verify an Ably JWT; print its claims and effective capability\n";

}  // namespace capmatch_cli
