// capmatch CLI — the `jwt` and `verify-jwt` commands.
// SPDX-License-Identifier: MIT
#include "cmd_jwt.hpp"

#include <capmatch/jwt.hpp>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

namespace capmatch_cli {
namespace {

std::string json_text(std::string_view s) {
  std::vector<char> out;
  capmatch::detail::write_json_string(s, out);
  return std::string(out.begin(), out.end());
}

jwt_outcome usage(std::string_view command, std::string_view problem) {
  jwt_outcome o;
  o.status = 2;
  o.err = "capmatch " + std::string(command) + ": " + std::string(problem) + "\n\nusage:\n" + std::string(jwt_usage_text);
  return o;
}

jwt_outcome failed(const capmatch::error& e, bool json) {
  jwt_outcome o;
  o.status = 1;
  if (json) {
    o.out = "{\"error\":{\"code\":" + std::to_string(e.ably_code()) + ",\"statusCode\":" +
            std::to_string(e.status_code()) + ",\"message\":" + json_text(e.message()) + "}}\n";
  } else {
    o.err = "capmatch: error " + std::to_string(e.ably_code()) + ": " + std::string(e.message()) + "\n";
  }
  return o;
}

/// A decimal integer argument (seconds), or nullopt.
std::optional<std::int64_t> seconds(std::string_view s) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

/// A CAP argument: inline JSON or @path (the whole file).
bool load(std::string_view arg, std::string& out, std::string& problem) {
  if (arg.empty() || arg.front() != '@') {
    out.assign(arg);
    return true;
  }
  const std::string path(arg.substr(1));
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    problem = "cannot read " + path + ": " + std::strerror(errno);
    return false;
  }
  char buf[1 << 16];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) != 0) out.append(buf, n);
  const bool ok = std::ferror(f) == 0;
  std::fclose(f);
  if (!ok) problem = "cannot read " + path;
  return ok;
}

/// Options of the form --name VALUE or --name=VALUE, flags, and positionals.
struct parsed_args {
  std::vector<std::pair<std::string_view, std::string_view>> options;
  std::vector<std::string_view> flags, positional;
  std::string problem;
};

parsed_args parse_args(const std::vector<std::string_view>& args, std::initializer_list<std::string_view> with_value,
                       std::initializer_list<std::string_view> flags) {
  parsed_args p;
  bool done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (done || a.size() < 2 || a.substr(0, 2) != "--") {
      p.positional.push_back(a);
      continue;
    }
    if (a == "--") {
      done = true;
      continue;
    }
    const auto eq = a.find('=');
    const std::string_view name = a.substr(0, eq);
    bool known = false;
    for (auto w : with_value) {
      if (name != w) continue;
      known = true;
      if (eq != std::string_view::npos) {
        p.options.emplace_back(name, a.substr(eq + 1));
      } else if (i + 1 < args.size()) {
        p.options.emplace_back(name, args[++i]);
      } else {
        p.problem = "option " + std::string(name) + " needs a value";
        return p;
      }
    }
    for (auto f : flags) {
      if (a != f) continue;
      known = true;
      p.flags.push_back(a);
    }
    if (!known) {
      p.problem = "unknown option " + std::string(name);
      return p;
    }
  }
  return p;
}

bool has_flag(const parsed_args& p, std::string_view f) {
  for (auto x : p.flags)
    if (x == f) return true;
  return false;
}

/// The one value of option `name`; `*twice` when given more than once.
std::optional<std::string_view> option(const parsed_args& p, std::string_view name, bool* twice) {
  std::optional<std::string_view> v;
  for (const auto& [n, value] : p.options) {
    if (n != name) continue;
    if (v) *twice = true;
    v = value;
  }
  return v;
}

/// Splits NAME=JSON at the first '=' whose right-hand side is one JSON value (so names may
/// hold '=', as in "ably.channel.[filter=x]chan"); falls back to the first '='.
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

}  // namespace

jwt_outcome jwt_command(const std::vector<std::string_view>& args, std::int64_t now) {
  const auto p = parse_args(args, {"--key", "--capability", "--client-id", "--ttl", "--iat", "--revocation-key", "--claim"},
                            {"--revocable", "--json"});
  if (!p.problem.empty()) return usage("jwt", p.problem);
  if (!p.positional.empty()) return usage("jwt", "unexpected argument (claims go in --claim NAME=JSON)");
  bool twice = false;
  const auto key_text = option(p, "--key", &twice);
  const auto cap_arg = option(p, "--capability", &twice);
  const auto client_id = option(p, "--client-id", &twice);
  const auto ttl = option(p, "--ttl", &twice);
  const auto iat = option(p, "--iat", &twice);
  const auto revocation_key = option(p, "--revocation-key", &twice);
  if (twice) return usage("jwt", "an option other than --claim given twice");
  if (!key_text) return usage("jwt", "--key KEYNAME:SECRET is required");
  const bool json = has_flag(p, "--json");
  auto key = capmatch::api_key::parse(*key_text);
  if (!key) return failed(key.error(), json);
  capmatch::jwt_key k{std::move(*key), std::nullopt, has_flag(p, "--revocable")};
  capmatch::jwt_request req;
  req.issued_at = now;
  if (iat) {
    const auto v = seconds(*iat);
    if (!v) return usage("jwt", "--iat takes a whole number of seconds");
    req.issued_at = *v;
  }
  if (ttl) {
    const auto v = seconds(*ttl);
    if (!v) return usage("jwt", "--ttl takes a whole number of seconds");
    req.ttl = *v;
  }
  std::string cap_text, problem;
  if (cap_arg) {
    if (!load(*cap_arg, cap_text, problem)) return usage("jwt", problem);
    req.capability = cap_text;
  }
  req.client_id = client_id;
  req.revocation_key = revocation_key;
  for (const auto& [name, value] : p.options) {
    if (name != "--claim") continue;
    const auto [claim, json_value] = split_claim(value);
    if (json_value.data() == nullptr) return usage("jwt", "--claim takes NAME=JSON");
    req.claims.emplace_back(claim, json_value);
  }
  auto token = capmatch::issue_jwt(k, req);
  if (!token) return failed(token.error(), json);
  jwt_outcome o;
  o.out = json ? "{\"jwt\":" + json_text(*token) + "}\n" : *token + "\n";
  return o;
}

jwt_outcome verify_jwt_command(const std::vector<std::string_view>& args, std::int64_t now) {
  const auto p = parse_args(args, {"--key", "--now", "--key-capability"}, {"--revocable", "--json"});
  if (!p.problem.empty()) return usage("verify-jwt", p.problem);
  if (p.positional.size() != 1) return usage("verify-jwt", "expected exactly one TOKEN");
  bool twice = false;
  const auto key_text = option(p, "--key", &twice);
  const auto now_arg = option(p, "--now", &twice);
  const auto key_cap = option(p, "--key-capability", &twice);
  if (twice) return usage("verify-jwt", "an option given twice");
  if (!key_text) return usage("verify-jwt", "--key KEYNAME:SECRET is required");
  const bool json = has_flag(p, "--json");
  capmatch::jwt_verify_options opt;
  opt.now = now;
  if (now_arg) {
    const auto v = seconds(*now_arg);
    if (!v) return usage("verify-jwt", "--now takes a whole number of seconds");
    opt.now = *v;
  }
  auto key = capmatch::api_key::parse(*key_text);
  if (!key) return failed(key.error(), json);
  capmatch::jwt_key k{std::move(*key), std::nullopt, has_flag(p, "--revocable")};
  if (key_cap) {
    std::string text, problem;
    if (!load(*key_cap, text, problem)) return usage("verify-jwt", problem);
    auto cap = capmatch::capability::parse(text);
    if (!cap) return failed(cap.error(), json);
    k.capability = std::move(*cap);
  }
  auto v = capmatch::verify_jwt(p.positional[0], k, opt);
  if (!v) return failed(v.error(), json);
  jwt_outcome o;
  o.out = v->to_json() + "\n";
  return o;
}

}  // namespace capmatch_cli
