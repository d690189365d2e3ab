// capmatch CLI — what a command is, and the helpers every command shares. A command is one
// `command` entry: its usage line and a function that declares its arguments on a CLI11 app
// and returns what runs once they are parsed. Commands are grouped one file per group
// (capability.cpp: parse, check, intersect, lint); cli.cpp lists the groups. Every command
// goes through the same parsing, usage-error, --json and error path in run_cli (cli.cpp).
// SPDX-License-Identifier: MIT
#pragma once

#include <capmatch/capmatch.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../cli.hpp"

namespace CLI {
class App;
class Option;
}

namespace capmatch_cli {

/// What a command failed with: the Ably code, HTTP status and a one-line message; or, with
/// `usage` set, bad usage found once the arguments are parsed (an option value that is not a
/// number): exit 2 with `message` as the problem and the usage, like any other bad usage.
struct failure {
  std::uint32_t code = 40000;
  std::uint16_t status = 400;
  std::string message;
  bool usage = false;
};

/// The bad-usage failure `problem` (exit 2, see failure).
[[nodiscard]] inline failure usage_failure(std::string problem) { return {40000, 400, std::move(problem), true}; }

/// The failure a library error stands for.
[[nodiscard]] failure from(const capmatch::error& e);

/// What a command produced: the exit status, and the line for stdout without and with --json
/// (nothing is printed for an empty text).
struct outcome {
  int status = 0;
  std::string text;
  std::string json;
};

/// `s` in single quotes as one line of valid UTF-8 (capmatch::detail::escape_one_line).
[[nodiscard]] std::string quote(std::string_view s);

/// `s` as a JSON string literal; `s` must be valid UTF-8 (the library's messages are).
[[nodiscard]] std::string json_string(std::string_view s);

/// Reads the documents commands take: inline text, `@path` or `-` (standard input), each at
/// most capmatch::max_document_bytes long; reading stops one byte past the limit.
class documents {
 public:
  explicit documents(const input& in) : in_(in) {}
  /// The text `arg` stands for; false with `fail` set when it cannot be read or is too long.
  [[nodiscard]] bool load(std::string_view arg, std::string& text, failure& fail) const;
  /// The capability `arg` stands for (see load), parsed.
  [[nodiscard]] bool load_capability(std::string_view arg, capmatch::capability& out, failure& fail) const;

 private:
  const input& in_;
};

/// Runs a command whose arguments have been parsed: fills `out`, or `fail` and returns false.
using action = std::function<bool(const documents& docs, outcome& out, failure& fail)>;

/// Declares a command's own arguments on `app` (options and positionals). Positionals that
/// name a document (inline, @path or -) go through add_document, so that at most one of them
/// reads standard input. Returns the action, which owns the variables the arguments fill.
using declare_fn = action (*)(CLI::App& app);

/// Adds the positional document argument `name` (CAP, KEY, REQUEST, ...) filling `into`.
CLI::Option* add_document(CLI::App& app, const std::string& name, std::string& into, bool required = true);

/// One command: `capmatch [--json] NAME SYNOPSIS`.
struct command {
  std::string_view name;
  std::string_view synopsis;  // the arguments after the name, as the usage shows them
  std::string_view summary;   // one line for the usage
  declare_fn declare;
  /// It takes a key secret (--key, --secret): a bad-usage message quotes none of its arguments
  /// but option names, since a misplaced argument may be the secret.
  bool takes_secret = false;
};

/// parse, check, intersect, lint (capability.cpp).
[[nodiscard]] std::span<const command> capability_commands();

/// revoke-request, grant, verify-grant, extend-grant (revocation.cpp).
[[nodiscard]] std::span<const command> revocation_commands();

/// token-request, verify-token-request (token_request.cpp).
[[nodiscard]] std::span<const command> token_request_commands();

/// jwt, verify-jwt (jwt.cpp).
[[nodiscard]] std::span<const command> jwt_commands();

}  // namespace capmatch_cli
