// capmatch CLI — the capability commands: parse, check, intersect, lint.
// SPDX-License-Identifier: MIT
#include <capmatch/lint.hpp>

#include <CLI/CLI.hpp>

#include "command.hpp"

namespace capmatch_cli {
namespace {

outcome capability_outcome(const capmatch::capability& cap) {
  const std::string canonical = cap.to_json();
  return {0, canonical, "{\"capability\":" + canonical + "}"};
}

action declare_parse(CLI::App& app) {
  auto cap = std::make_shared<std::string>();
  add_document(app, "CAP", *cap);
  return [cap](const documents& docs, outcome& out, failure& fail) {
    capmatch::capability c;
    if (!docs.load_capability(*cap, c, fail)) return false;
    out = capability_outcome(c);
    return true;
  };
}

action declare_check(CLI::App& app) {
  struct args {
    std::string cap, resource, op;
  };
  auto a = std::make_shared<args>();
  add_document(app, "CAP", a->cap);
  app.add_option("RESOURCE", a->resource)->required();
  app.add_option("OP", a->op)->required();
  return [a](const documents& docs, outcome& out, failure& fail) {
    capmatch::capability cap;
    if (!docs.load_capability(a->cap, cap, fail)) return false;
    if (auto name = capmatch::parse_name(a->resource); !name) return fail = from(name.error()), false;
    const auto op = capmatch::parse_operation(a->op);
    if (!op) return fail = from(op.error()), false;
    const capmatch::decision d = capmatch::explain(cap, a->resource, *op);
    out = {d.allowed ? 0 : 1, d.to_string(), d.to_json()};
    return true;
  };
}

action declare_intersect(CLI::App& app) {
  struct args {
    std::string key, request;
  };
  auto a = std::make_shared<args>();
  add_document(app, "KEY", a->key);
  const CLI::Option* request = add_document(app, "REQUEST", a->request, false);
  return [a, request](const documents& docs, outcome& out, failure& fail) {
    capmatch::capability key;
    if (!docs.load_capability(a->key, key, fail)) return false;
    capmatch::result<capmatch::capability> effective = capmatch::intersect(key);
    if (request->count() != 0) {
      capmatch::capability req;
      if (!docs.load_capability(a->request, req, fail)) return false;
      effective = capmatch::intersect(key, req);
    }
    if (!effective) return fail = from(effective.error()), false;
    out = capability_outcome(*effective);
    return true;
  };
}

action declare_lint(CLI::App& app) {
  auto cap = std::make_shared<std::string>();
  add_document(app, "CAP", *cap);
  return [cap](const documents& docs, outcome& out, failure& fail) {
    capmatch::capability c;
    if (!docs.load_capability(*cap, c, fail)) return false;
    const auto findings = capmatch::lint(c);
    std::string text;
    for (const auto& f : findings) text.append(text.empty() ? "" : "\n").append(capmatch::to_string(f));
    out = {capmatch::has_errors(findings) ? 1 : 0, text, capmatch::to_json(findings)};
    return true;
  };
}

constexpr command commands[] = {
    {"parse", "CAP", "print the canonical JSON of a capability", declare_parse},
    {"check", "CAP RESOURCE OP", "say whether CAP allows OP on RESOURCE (exit 1 when denied)", declare_check},
    {"intersect", "KEY [REQUEST]", "print the effective token capability (KEY intersected with REQUEST)",
     declare_intersect},
    {"lint", "CAP", "report likely mistakes, one per line (exit 1 on any error finding)", declare_lint},
};

}  // namespace

std::span<const command> capability_commands() { return commands; }

}  // namespace capmatch_cli
