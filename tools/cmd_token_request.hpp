// capmatch CLI — the token-request and verify-token-request commands (docs/token_requests.md).
// Self-contained: each takes the arguments after the command name and fills `out` (stdout)
// and `err` (stderr); the return value is the exit status (0 ok, 1 failed with an Ably code,
// 2 bad usage).
// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace capmatch_cli {

/// `token-request --key KEYNAME:SECRET [--capability CAP] [--client-id ID] [--ttl MS]
/// [--timestamp MS] [--nonce NONCE]`: prints a signed TokenRequest as one JSON line.
int token_request_command(const std::vector<std::string_view>& args, bool json, std::string& out, std::string& err);

/// `verify-token-request --key KEYNAME:SECRET [--key-capability CAP] [--revocable] [--now MS] REQUEST`:
/// prints the effective capability, or fails with the Ably code (40000, 40003, 40101, 40104, 40105, 40160).
int verify_token_request_command(const std::vector<std::string_view>& args, bool json, std::string& out,
                                 std::string& err);

/// The usage lines of both commands (for the tool's help text).
extern const std::string_view token_request_usage;

}  // namespace capmatch_cli
