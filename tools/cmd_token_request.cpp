// capmatch CLI — token-request and verify-token-request (see cmd_token_request.hpp).
// SPDX-License-Identifier: MIT
#include "cmd_token_request.hpp"

#include <capmatch/capability.hpp>
#include <capmatch/detail/json_value.hpp>
#include <capmatch/json.hpp>
#include <capmatch/key.hpp>
#include <capmatch/replay_guard.hpp>
#include <capmatch/token_request.hpp>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace capmatch_cli {

const std::string_view token_request_usage =
    "  token-request --key KEYNAME:SECRET [--capability CAP] [--client-id ID] [--ttl MS]\n"
    "                [--timestamp MS] [--nonce NONCE]\n"
    "                            print a signed TokenRequest as one JSON line\n"
    "  verify-token-request --key KEYNAME:SECRET [--key-capability CAP] [--revocable] [--now MS] REQUEST\n"
    "                            check a TokenRequest; print the effective capability\n";

namespace {

/// `s` as a JSON string literal.
std::string json_string(std::string_view s) {
  std::vector<char> out;
  capmatch::detail::write_json_string(s, out);
  return std::string(out.begin(), out.end());
}

/// The one line a failure prints: on stderr, or as a JSON object on stdout with --json.
int fail(const capmatch::error& e, bool json, std::string& out, std::string& err) {
  if (json) {
    out += "{\"error\":{\"code\":" + std::to_string(e.ably_code()) + ",\"statusCode\":" +
           std::to_string(e.status_code()) + ",\"message\":" + json_string(e.message()) + "}}\n";
  } else {
    err += "capmatch: error " + std::to_string(e.ably_code()) + ": " + std::string(e.message()) + "\n";
  }
  return 1;
}

int usage(std::string_view command, std::string_view problem, std::string& err) {
  err += "capmatch " + std::string(command) + ": " + std::string(problem) + "\n\nusage:\n" +
         std::string(token_request_usage);
  return 2;
}

bool read_all(std::FILE* f, std::string& out) {
  char buf[1 << 16];
  for (;;) {
    const std::size_t n = std::fread(buf, 1, sizeof buf, f);
    out.append(buf, n);
    if (n < sizeof buf) return std::ferror(f) == 0;
  }
}

/// The text of a CAP/REQUEST argument: inline JSON, @path or - (stdin). The message on failure
/// names the path (never key material: keys are not read through here).
bool load(std::string_view arg, std::string& out, std::string& problem) {
  if (arg == "-") {
    if (read_all(stdin, out)) return true;
    problem = std::string("cannot read standard input: ") + std::strerror(errno);
    return false;
  }
  if (arg.empty() || arg.front() != '@') {
    out.assign(arg);
    return true;
  }
  const std::string path(arg.substr(1));
  std::FILE* f = std::fopen(path.c_str(), "rb");
  const bool ok = f != nullptr && read_all(f, out);
  const int saved = errno;
  if (f != nullptr) std::fclose(f);
  if (!ok) problem = "cannot read " + json_string(path) + ": " + std::strerror(saved);
  return ok;
}

/// Options of the form `--name VALUE` (or `--name=VALUE`), flags, and positionals.
struct parsed_args {
  std::vector<std::pair<std::string_view, std::string_view>> options;
  std::vector<std::string_view> flags, positional;
  std::optional<std::string_view> get(std::string_view name) const {
    for (const auto& o : options)
      if (o.first == name) return o.second;
    return std::nullopt;
  }
  bool has(std::string_view flag) const {
    for (auto f : flags)
      if (f == flag) return true;
    return false;
  }
};

bool parse_args(const std::vector<std::string_view>& args, const std::vector<std::string_view>& valued,
                const std::vector<std::string_view>& flag_names, parsed_args& out, std::string& problem) {
  bool done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (done || a.size() < 2 || a.front() != '-') {
      out.positional.push_back(a);
      continue;
    }
    if (a == "--") {
      done = true;
      continue;
    }
    std::string_view name = a, value;
    bool inline_value = false;
    if (const auto eq = a.find('='); eq != std::string_view::npos) {
      name = a.substr(0, eq), value = a.substr(eq + 1), inline_value = true;
    }
    bool known = false;
    for (auto v : valued) {
      if (v != name) continue;
      known = true;
      if (!inline_value) {
        if (i + 1 == args.size()) return problem = "option " + std::string(name) + " needs a value", false;
        value = args[++i];
      }
      if (out.get(name)) return problem = "option " + std::string(name) + " given twice", false;
      out.options.emplace_back(name, value);
    }
    for (auto f : flag_names) {
      if (f != name || inline_value) continue;
      known = true;
      out.flags.push_back(name);
    }
    if (!known) return problem = "unknown option " + json_string(name), false;
  }
  return true;
}

bool parse_ms(std::optional<std::string_view> text, std::optional<std::uint64_t>& out) {
  if (!text) return true;
  std::uint64_t v = 0;
  if (!capmatch::detail::parse_decimal(*text, capmatch::max_timestamp_ms, v)) return false;
  out = v;
  return true;
}

}  // namespace

int token_request_command(const std::vector<std::string_view>& args, bool json, std::string& out, std::string& err) {
  constexpr std::string_view cmd = "token-request";
  parsed_args a;
  std::string problem;
  if (!parse_args(args, {"--key", "--capability", "--client-id", "--ttl", "--timestamp", "--nonce"}, {}, a, problem))
    return usage(cmd, problem, err);
  if (!a.positional.empty()) return usage(cmd, "unexpected argument " + json_string(a.positional[0]), err);
  const auto key_text = a.get("--key");
  if (!key_text) return usage(cmd, "--key KEYNAME:SECRET is required", err);
  auto key = capmatch::api_key::parse(*key_text);
  if (!key) return fail(key.error(), json, out, err);
  capmatch::token_params p;
  std::string cap_text;
  if (auto c = a.get("--capability")) {
    if (!load(*c, cap_text, problem)) return usage(cmd, problem, err);
    p.capability = cap_text;
  }
  p.client_id = a.get("--client-id");
  p.nonce = a.get("--nonce");
  if (!parse_ms(a.get("--ttl"), p.ttl_ms)) return usage(cmd, "--ttl takes a decimal number of milliseconds", err);
  if (!parse_ms(a.get("--timestamp"), p.timestamp_ms))
    return usage(cmd, "--timestamp takes a decimal number of milliseconds since the Unix epoch", err);
  auto signer = capmatch::token_request_signer::make(*key);
  if (!signer) return fail(signer.error(), json, out, err);
  std::string wire;
  if (auto e = signer->create_json(p, wire); e.code() != capmatch::errc::ok) return fail(e, json, out, err);
  out += wire + "\n";
  return 0;
}

int verify_token_request_command(const std::vector<std::string_view>& args, bool json, std::string& out,
                                 std::string& err) {
  constexpr std::string_view cmd = "verify-token-request";
  parsed_args a;
  std::string problem;
  if (!parse_args(args, {"--key", "--key-capability", "--now"}, {"--revocable"}, a, problem))
    return usage(cmd, problem, err);
  if (a.positional.size() != 1) return usage(cmd, "expected exactly one REQUEST argument", err);
  const auto key_text = a.get("--key");
  if (!key_text) return usage(cmd, "--key KEYNAME:SECRET is required", err);
  const auto key_cap_arg = a.get("--key-capability");
  if (key_cap_arg && *key_cap_arg == "-" && a.positional[0] == "-")
    return usage(cmd, "at most one argument may be - (standard input)", err);
  auto key = capmatch::api_key::parse(*key_text);
  if (!key) return fail(key.error(), json, out, err);
  std::string key_cap_text = R"({"[*]*":["*"]})";  // default: the key may do everything
  if (key_cap_arg) {
    key_cap_text.clear();
    if (!load(*key_cap_arg, key_cap_text, problem)) return usage(cmd, problem, err);
  }
  auto key_cap = capmatch::capability::parse(key_cap_text);
  if (!key_cap) {
    capmatch::error e(key_cap.error().code(), capmatch::no_offset);
    e.append("--key-capability: ").append(key_cap.error().message());
    return fail(e, json, out, err);
  }
  std::optional<std::uint64_t> now;
  if (!parse_ms(a.get("--now"), now)) return usage(cmd, "--now takes a decimal number of milliseconds", err);
  std::string request;
  if (!load(a.positional[0], request, problem)) return usage(cmd, problem, err);

  capmatch::key_list keys;
  keys.add(*key, std::move(*key_cap), a.has("--revocable"));
  capmatch::memory_replay_guard guard(16, 1, 2, 1);  // one request per run: nothing to remember
  capmatch::token_request_verifier verifier(keys, guard);
  auto v = now ? verifier.verify(request, static_cast<std::int64_t>(*now)) : verifier.verify(request);
  if (!v) return fail(v.error(), json, out, err);
  const std::string effective = v->effective.to_json();
  if (!json) {
    out += effective + "\n";
    return 0;
  }
  out += "{\"capability\":" + effective + ",\"keyName\":" + json_string(v->key_name);
  if (v->client_id) out += ",\"clientId\":" + json_string(*v->client_id);
  if (v->ttl_ms) out += ",\"ttl\":" + std::to_string(*v->ttl_ms);
  out += ",\"timestamp\":" + std::to_string(v->timestamp_ms) + ",\"nonce\":" + json_string(v->nonce) + "}\n";
  return 0;
}

}  // namespace capmatch_cli
