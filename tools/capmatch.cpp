// capmatch — the command-line tool: parse, check, intersect and lint capabilities.
// See docs/cli.md for the full reference.
// SPDX-License-Identifier: MIT
#include <capmatch/capmatch.hpp>
#include <capmatch/lint.hpp>

#include "cmd_jwt.hpp"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

constexpr std::string_view usage_text =
    "usage: capmatch [--json] COMMAND ARGS...\n"
    "\n"
    "commands:\n"
    "  parse CAP                 print the canonical JSON of a capability\n"
    "  check CAP RESOURCE OP     say whether CAP allows OP on RESOURCE (exit 1 when denied)\n"
    "  intersect KEY [REQUEST]   print the effective token capability (KEY intersected with REQUEST)\n"
    "  lint CAP                  report likely mistakes, one per line (exit 1 on any error finding)\n"
    "  jwt, verify-jwt           issue and verify Ably JWTs (capmatch jwt --help; docs/jwt.md)\n"
    "\n"
    "CAP, KEY and REQUEST are inline JSON, @path (read a file) or - (read stdin, at most once).\n"
    "\n"
    "options:\n"
    "  --json      print exactly one JSON object on stdout (errors too)\n"
    "  --help      print this help and exit\n"
    "  --version   print the version and exit\n"
    "  --          end of options (for a RESOURCE that starts with '-')\n"
    "\n"
    "exit status: 0 success or allowed, 1 denied or error, 2 bad usage\n";

/// What a command failed with: the Ably code, HTTP status and a one-line message.
struct failure {
  std::uint32_t code = 40000;
  std::uint16_t status = 400;
  std::string message;
};

failure from(const capmatch::error& e) {
  return {e.ably_code(), e.status_code(), std::string(e.message())};
}

/// `s` with each byte that is not part of valid UTF-8 replaced by U+FFFD.
std::string valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    std::size_t len = b0 < 0x80 ? 1 : (b0 >= 0xC2 && b0 <= 0xDF) ? 2 : (b0 >= 0xE0 && b0 <= 0xEF) ? 3
                                      : (b0 >= 0xF0 && b0 <= 0xF4) ? 4 : 0;
    bool ok = len != 0 && i + len <= s.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      unsigned lo = 0x80, hi = 0xBF;
      if (k == 1 && b0 == 0xE0) lo = 0xA0;
      if (k == 1 && b0 == 0xED) hi = 0x9F;
      if (k == 1 && b0 == 0xF0) lo = 0x90;
      if (k == 1 && b0 == 0xF4) hi = 0x8F;
      ok = b >= lo && b <= hi;
    }
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  return out;
}

/// `s` in single quotes, with control characters as \u00XX and invalid UTF-8 as U+FFFD,
/// so that a message quoting it stays one valid UTF-8 line.
std::string quoted(std::string_view s) {
  std::string out = "'";
  for (char c : valid_utf8(s)) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      constexpr char hex[] = "0123456789ABCDEF";
      out.append("\\u00").append(1, hex[u >> 4]).append(1, hex[u & 15]);
    } else {
      out += c;
    }
  }
  return out + "'";
}

/// `s` as a JSON string literal (valid UTF-8 guaranteed).
std::string json_string(std::string_view s) {
  const std::string v = valid_utf8(s);
  std::vector<char> out;
  capmatch::detail::write_json_string(v, out);
  return std::string(out.begin(), out.end());
}

/// Reads all of `f` as bytes; false on a read error (errno says why).
bool read_all(std::FILE* f, std::string& out) {
  char buf[1 << 16];
  for (;;) {
    const std::size_t n = std::fread(buf, 1, sizeof buf, f);
    out.append(buf, n);
    if (n < sizeof buf) return std::ferror(f) == 0;
  }
}

/// The text of a CAP/KEY/REQUEST argument: inline JSON, @path or - (stdin).
bool load(std::string_view arg, std::string& out, failure& fail) {
  if (arg == "-") {
    if (read_all(stdin, out)) return true;
    fail.message = std::string("cannot read standard input: ") + std::strerror(errno);
    return false;
  }
  if (arg.empty() || arg.front() != '@') {
    out.assign(arg);
    return true;
  }
  const std::string path(arg.substr(1));
  std::FILE* f = std::fopen(path.c_str(), "rb");
  bool ok = f != nullptr && read_all(f, out);
  const int saved = errno;
  if (f != nullptr) std::fclose(f);
  if (!ok) fail.message = "cannot read " + quoted(path) + ": " + std::strerror(saved);
  return ok;
}

bool load_capability(std::string_view arg, capmatch::capability& out, failure& fail) {
  std::string text;
  if (!load(arg, text, fail)) return false;
  auto cap = capmatch::capability::parse(text);
  if (!cap) return fail = from(cap.error()), false;
  out = std::move(*cap);
  return true;
}

/// What a command produced: text or JSON for stdout, and the exit status.
struct outcome {
  int status = 0;
  std::string text;  // for stdout without --json
  std::string json;  // for stdout with --json
};

outcome capability_outcome(const capmatch::capability& cap) {
  const std::string canonical = cap.to_json();
  return {0, canonical, "{\"capability\":" + canonical + "}"};
}

bool run_parse(const std::vector<std::string_view>& args, outcome& out, failure& fail) {
  capmatch::capability cap;
  if (!load_capability(args[0], cap, fail)) return false;
  out = capability_outcome(cap);
  return true;
}

bool run_check(const std::vector<std::string_view>& args, outcome& out, failure& fail) {
  capmatch::capability cap;
  if (!load_capability(args[0], cap, fail)) return false;
  if (auto name = capmatch::parse_name(args[1]); !name) return fail = from(name.error()), false;
  const auto op = capmatch::parse_operation(args[2]);
  if (!op) return fail = from(op.error()), false;
  const capmatch::decision d = capmatch::explain(cap, args[1], *op);
  out = {d.allowed ? 0 : 1, d.to_string(), valid_utf8(d.to_json())};
  return true;
}

bool run_intersect(const std::vector<std::string_view>& args, outcome& out, failure& fail) {
  capmatch::capability key;
  if (!load_capability(args[0], key, fail)) return false;
  capmatch::result<capmatch::capability> effective = capmatch::intersect(key);
  if (args.size() == 2) {
    capmatch::capability request;
    if (!load_capability(args[1], request, fail)) return false;
    effective = capmatch::intersect(key, request);
  }
  if (!effective) return fail = from(effective.error()), false;
  out = capability_outcome(*effective);
  return true;
}

bool run_lint(const std::vector<std::string_view>& args, outcome& out, failure& fail) {
  capmatch::capability cap;
  if (!load_capability(args[0], cap, fail)) return false;
  const auto findings = capmatch::lint(cap);
  std::string text;
  for (const auto& f : findings) text.append(text.empty() ? "" : "\n").append(capmatch::to_string(f));
  out = {capmatch::has_errors(findings) ? 1 : 0, text, valid_utf8(capmatch::to_json(findings))};
  return true;
}

struct command {
  std::string_view name;
  std::size_t min_args, max_args;
  bool (*run)(const std::vector<std::string_view>&, outcome&, failure&);
};

constexpr command commands[] = {
    {"parse", 1, 1, run_parse},
    {"check", 3, 3, run_check},
    {"intersect", 1, 2, run_intersect},
    {"lint", 1, 1, run_lint},
};

int usage_error(std::string_view problem) {
  std::cerr << "capmatch: " << problem << "\n\n" << usage_text;
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  // jwt / verify-jwt: self-contained commands (tools/cmd_jwt.cpp) taking every other argument.
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a.size() >= 1 && a.front() == '-') continue;
    if (a != "jwt" && a != "verify-jwt") break;
    std::vector<std::string_view> rest;
    for (int j = 1; j < argc; ++j)
      if (j != i) rest.emplace_back(argv[j]);
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    const auto o = a == "jwt" ? capmatch_cli::jwt_command(rest, now) : capmatch_cli::verify_jwt_command(rest, now);
    std::cout << o.out;
    std::cerr << o.err;
    return o.status;
  }
  bool json = false, options_done = false;
  std::vector<std::string_view> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (options_done || a.size() < 2 || a.front() != '-') {
      positional.push_back(a);
    } else if (a == "--") {
      options_done = true;
    } else if (a == "--json") {
      json = true;
    } else if (a == "--help" || a == "-h") {
      std::cout << usage_text;
      return 0;
    } else if (a == "--version") {
      std::cout << "capmatch " CAPMATCH_VERSION_STRING "\n";
      return 0;
    } else {
      return usage_error("unknown option " + quoted(a));
    }
  }
  if (positional.empty()) return usage_error("no command given");
  const command* cmd = nullptr;
  for (const command& c : commands)
    if (c.name == positional[0]) cmd = &c;
  if (cmd == nullptr) return usage_error("unknown command " + quoted(positional[0]));
  const std::vector<std::string_view> args(positional.begin() + 1, positional.end());
  if (args.size() < cmd->min_args || args.size() > cmd->max_args)
    return usage_error("wrong number of arguments for " + std::string(cmd->name));
  std::size_t stdin_args = 0;
  for (std::size_t i = 0; i < args.size(); ++i)
    stdin_args += args[i] == "-" && !(cmd->name == "check" && i != 0);
  if (stdin_args > 1) return usage_error("at most one argument may be - (standard input)");

  outcome out;
  failure fail;
  if (!cmd->run(args, out, fail)) {
    if (json) {
      std::cout << "{\"error\":{\"code\":" << fail.code << ",\"statusCode\":" << fail.status
                << ",\"message\":" << json_string(fail.message) << "}}\n";
    } else {
      std::cerr << "capmatch: error " << fail.code << ": " << fail.message << "\n";
    }
    return 1;
  }
  const std::string& text = json ? out.json : out.text;
  if (!text.empty()) std::cout << text << "\n";
  return out.status;
}
