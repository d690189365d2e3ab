// An auth server and gateway built on capmatch, speaking Ably's REST protocol well enough for the
// real ably-js client (docs/auth_server.md). One process serves:
//
//   GET  /auth                          token endpoint for an Ably client's authUrl: a fresh signed
//                                       TokenRequest (or, with format=jwt, an Ably JWT)
//   POST /keys/{keyName}/requestToken   token exchange: TokenRequest in, TokenDetails (a JWT) out
//   POST /channels/{name}/messages      gateway: publish (needs `publish`)
//   GET  /channels/{name}/messages      gateway: history (needs `history`)
//   POST /keys/{keyName}/revokeTokens   revocation (Basic auth with the key)
//   GET  /time                          server time, for ably-js queryTime
//
// Usage: auth_server --config FILE [--host 127.0.0.1] [--port 0] [--redis HOST:PORT]
//                    [--threads N] [--verbose]
// Prints "listening on http://HOST:PORT" once it accepts connections; stops on SIGINT/SIGTERM.
#include <capmatch/capability.hpp>
#include <capmatch/crypto/base64.hpp>
#include <capmatch/crypto/compare.hpp>
#include <capmatch/crypto/random.hpp>
#include <capmatch/explain.hpp>
#include <capmatch/intersect.hpp>
#include <capmatch/jwt.hpp>
#include <capmatch/key.hpp>
#include <capmatch/replay_guard.hpp>
#include <capmatch/revocation.hpp>
#include <capmatch/signed_grant.hpp>
#include <capmatch/token_request.hpp>
#include <capmatch/union.hpp>

#if CAPMATCH_AUTH_SERVER_REDIS
#include "redis_backends.hpp"
#endif

#include <httplib.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

using json = nlohmann::json;
namespace cm = capmatch;

// ---------------------------------------------------------------------------------------------
// Configuration: the key, its capability, and the users (see examples/auth_server/config.json).

struct user {
  std::string session;        // the demo credential: `Authorization: Bearer <session>` or cookie `session=<session>`
  std::string client_id;
  cm::capability grants;      // what the user always has
  cm::capability may_request; // what the user may ask for one channel at a time (incremental authorization)
};

struct config {
  std::optional<cm::api_key> key;
  cm::capability key_capability;
  bool revocable = true;            // revocable tokens: ttl at most 1 h (docs/semantics.md §27)
  std::int64_t token_ttl_ms = 3'600'000;
  std::int64_t grant_ttl_ms = 86'400'000;
  std::string grant_secret;
  std::vector<user> users;
};

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "auth_server: %s\n", why.c_str());
  std::exit(2);
}

cm::capability parse_capability(const json& j, const std::string& what) {
  auto cap = cm::capability::parse(j.is_string() ? j.get<std::string>() : j.dump());
  if (!cap) die(what + ": " + std::string(cap.error().message()));
  return std::move(*cap);
}

config load_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) die("cannot read the config file " + path);
  json j;
  try {
    j = json::parse(in);
  } catch (const json::parse_error& e) {
    // Not e.what(): it quotes the text around the error, which may be the key's secret.
    die(path + " is not valid JSON (error at byte " + std::to_string(e.byte) + ")");
  }
  config c;
  try {
    auto key = cm::api_key::parse(j.at("key").get<std::string>());
    if (!key) die("key: " + std::string(key.error().message()));  // never echoes the secret
    c.key = std::move(*key);
    c.key_capability = parse_capability(j.at("keyCapability"), "keyCapability");
    c.revocable = j.value("revocableTokens", true);
    c.token_ttl_ms = j.value("tokenTtlMs", c.token_ttl_ms);
    c.grant_ttl_ms = j.value("grantTtlMs", c.grant_ttl_ms);
    c.grant_secret = j.at("grantSecret").get<std::string>();
    for (const auto& u : j.at("users")) {
      user x;
      x.session = u.at("session").get<std::string>();
      x.client_id = u.at("clientId").get<std::string>();
      x.grants = parse_capability(u.at("capability"), "capability of " + x.client_id);
      if (u.contains("mayRequest")) x.may_request = parse_capability(u.at("mayRequest"), "mayRequest of " + x.client_id);
      c.users.push_back(std::move(x));
    }
  } catch (const json::exception& e) {
    die(path + ": " + e.what());  // type and missing-member errors name members, never values
  }
  return c;
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers.

/// Ably's error body: {"error":{"message","code","statusCode","href"}}, with the HTTP status.
void send_error(httplib::Response& res, std::uint32_t code, std::uint16_t status, std::string_view message) {
  json body = {{"error",
                {{"message", message},
                 {"code", code},
                 {"statusCode", status},
                 {"href", "https://help.ably.io/error/" + std::to_string(code)}}}};
  res.status = status;
  res.set_header("X-Ably-ErrorCode", std::to_string(code));
  res.set_content(body.dump(), "application/json");
}

void send_error(httplib::Response& res, const cm::error& e) {
  send_error(res, e.ably_code(), e.status_code(), e.message());
}

/// The token endpoint's headers: nothing may cache a TokenRequest (rule 23).
void no_cache(httplib::Response& res) {
  for (const auto& h : cm::token_endpoint_headers)
    if (h.name != "Content-Type") res.set_header(std::string(h.name), std::string(h.value));
}

/// The value of cookie `name` in the request's Cookie header(s), or nullopt.
std::optional<std::string> cookie(const httplib::Request& req, std::string_view name) {
  const auto n = req.get_header_value_count("Cookie");
  for (std::size_t i = 0; i < n; ++i) {
    const std::string all = req.get_header_value("Cookie", i);
    std::size_t at = 0;
    while (at < all.size()) {
      std::size_t end = all.find(';', at);
      if (end == std::string::npos) end = all.size();
      std::string_view part(all.data() + at, end - at);
      while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
      const auto eq = part.find('=');
      if (eq != std::string_view::npos && part.substr(0, eq) == name) return std::string(part.substr(eq + 1));
      at = end + 1;
    }
  }
  return std::nullopt;
}

/// The credentials of an `Authorization: <scheme> <credentials>` header, or nullopt.
std::optional<std::string> auth_scheme(const httplib::Request& req, std::string_view scheme) {
  const std::string header = req.get_header_value("Authorization");
  if (header.size() > scheme.size() + 1 && std::string_view(header).substr(0, scheme.size()) == scheme &&
      header[scheme.size()] == ' ')
    return header.substr(scheme.size() + 1);
  return std::nullopt;
}

/// True when a name's body has a segment that is exactly "*" (a wildcard once used as a resource).
bool is_pattern(std::string_view body) {
  for (std::size_t at = 0;;) {
    const std::size_t end = std::min(body.find(':', at), body.size());
    if (body.substr(at, end - at) == "*") return true;
    if (end == body.size()) return false;
    at = end + 1;
  }
}

// ---------------------------------------------------------------------------------------------
// The service.

class service {
 public:
  service(config cfg, cm::replay_guard& guard, cm::revocation_store& revocations)
      : cfg_(std::move(cfg)), revocations_(&revocations), verifier_(keys_, guard) {
    keys_.add(*cfg_.key, cfg_.key_capability, cfg_.revocable);
    cm::token_signer_options so;
    so.revocable = cfg_.revocable;
    so.key_capability = cfg_.key_capability;  // requests are intersected with it (40160 early)
    auto signer = cm::token_request_signer::make(*cfg_.key, std::move(so));
    if (!signer) die("signer: " + std::string(signer.error().message()));
    signer_ = std::move(*signer);
    jwt_key_ = cm::jwt_key(*cfg_.key, cfg_.key_capability, cfg_.revocable);
    if (auto e = grants_.add("g1", cfg_.grant_secret); e.code() != cm::errc::ok)
      die("grantSecret: " + std::string(e.message()));
  }

  void route(httplib::Server& svr) {
    svr.Get("/auth", [this](const httplib::Request& q, httplib::Response& r) { auth(q, r); });
    svr.Post("/auth", [this](const httplib::Request& q, httplib::Response& r) { auth(q, r); });
    svr.Post(R"(/keys/([^/]+)/requestToken)", [this](const httplib::Request& q, httplib::Response& r) { exchange(q, r); });
    svr.Post(R"(/keys/([^/]+)/revokeTokens)", [this](const httplib::Request& q, httplib::Response& r) { revoke(q, r); });
    svr.Post(R"(/channels/(.+)/messages)", [this](const httplib::Request& q, httplib::Response& r) { publish(q, r); });
    svr.Get(R"(/channels/(.+)/messages)", [this](const httplib::Request& q, httplib::Response& r) { history(q, r); });
    svr.Get("/time", [](const httplib::Request&, httplib::Response& r) {
      r.set_content("[" + std::to_string(cm::system_clock_ms()) + "]", "application/json");
    });
  }

 private:
  // --- /auth --------------------------------------------------------------------------------

  const user* authenticate(const httplib::Request& req) const {
    std::optional<std::string> credential;
    if (auto b = auth_scheme(req, "Bearer")) credential = std::move(b);
    else credential = cookie(req, "session");
    if (!credential) return nullptr;
    for (const auto& u : cfg_.users)
      if (u.session.size() == credential->size() &&
          cm::crypto::equal_constant_time(std::string_view(u.session), std::string_view(*credential)))
        return &u;
    return nullptr;
  }

  void auth(const httplib::Request& req, httplib::Response& res) {
    no_cache(res);
    const user* u = authenticate(req);
    if (u == nullptr)
      return send_error(res, 40101, 401,
                        "Invalid credentials: /auth needs a demo bearer token (Authorization: Bearer <session>) or a "
                        "session cookie");
    const std::int64_t now = cm::system_clock_ms();

    // Incremental authorization (docs/semantics.md §28): the grants signed into the cookie,
    // plus one more channel when the client asks for it and the user may have it.
    cm::capability granted = u->grants;
    const auto grant_cookie = cookie(req, "capmatch_grant");
    std::optional<cm::issued_grant> new_grant;
    if (req.has_param("channel")) {
      const std::string channel = req.get_param_value("channel");
      // One channel, never a pattern: as a capability resource "room:*" would grant every room.
      auto name = cm::parse_name(channel);
      if (!name) return send_error(res, name.error());
      if (is_pattern(name->body)) {
        cm::error e(cm::errc::invalid_resource, cm::no_offset);
        e.append("channel ").append_quoted(channel).append(" has a '*' segment; ask for one channel, not a pattern");
        return send_error(res, e);
      }
      json one = {{channel, {"*"}}};
      auto asked = cm::capability::parse(one.dump());
      if (!asked) return send_error(res, asked.error());
      auto allowed = cm::intersect(u->may_request, *asked);
      if (!allowed) {
        cm::error e(cm::errc::capability_denied, cm::no_offset);
        e.append("user ").append_quoted(u->client_id).append(" may not request channel ").append_quoted(channel);
        return send_error(res, e);
      }
      auto g = grant_cookie ? cm::extend_grant(grants_, *grant_cookie, u->client_id, *allowed, now, cfg_.grant_ttl_ms)
                            : cm::issue_grant(grants_, u->client_id, *allowed, now, cfg_.grant_ttl_ms);
      if (!g) return send_error(res, g.error());
      new_grant.emplace(std::move(*g));
    } else if (grant_cookie) {
      auto g = cm::verify_grant(grants_, *grant_cookie, u->client_id, now);
      if (!g) return send_error(res, g.error());
      auto all = cm::unite(granted, g->granted);
      if (!all) return send_error(res, all.error());
      granted = std::move(*all);
    }
    if (new_grant) {
      auto all = cm::unite(granted, new_grant->granted);
      if (!all) return send_error(res, all.error());
      granted = std::move(*all);
      res.set_header("Set-Cookie", "capmatch_grant=" + new_grant->cookie + "; Path=/auth; HttpOnly; SameSite=Strict; Max-Age=" +
                                       std::to_string(cfg_.grant_ttl_ms / 1000));
    }
    // A capability the client asks for (ably-js sends tokenParams as query parameters) narrows it.
    if (req.has_param("capability")) {
      auto asked = cm::capability::parse(req.get_param_value("capability"));
      if (!asked) return send_error(res, asked.error());
      auto narrowed = cm::intersect(granted, *asked);
      if (!narrowed) return send_error(res, narrowed.error());
      granted = std::move(*narrowed);
    }
    // What the token may have: the user's grants ∩ the key's capability (40160 when nothing).
    auto effective = cm::intersect(cfg_.key_capability, granted);
    if (!effective) return send_error(res, effective.error());

    std::uint64_t ttl = static_cast<std::uint64_t>(cfg_.token_ttl_ms);
    if (req.has_param("ttl")) {
      const std::string t = req.get_param_value("ttl");
      if (t.empty() || t.size() > 15 || t.find_first_not_of("0123456789") != std::string::npos)
        return send_error(res, 40003, 400, "ttl must be a positive integer of milliseconds");
      ttl = std::stoull(t);
    }
    const std::string cap_text = effective->to_json();
    if (req.get_param_value("format") == "jwt") {
      std::int64_t issued = now;
      auto token = issue(*effective, u->client_id, ttl, issued);
      if (!token) return send_error(res, token.error());
      res.set_content(*token, "application/jwt");
      return;
    }
    cm::token_params p;
    p.parsed_capability = &*effective;
    p.client_id = u->client_id;
    p.ttl_ms = ttl;
    std::string body;
    if (auto e = signer_.create_json(p, body); e.code() != cm::errc::ok) return send_error(res, e);
    res.set_content(body, "application/json");
  }

  // An Ably JWT signed with the key. A revocation check takes a JWT as issued at the start of
  // its iat second (capmatch::revocation_issued_at_ms, docs/semantics.md §27), so a token signed
  // in the same second as a revocation covering it would be born revoked: then wait for the next
  // second (at most 1 s, only right after such a revocation). `now_ms` becomes the issue time.
  cm::result<std::string> issue(const cm::capability& cap, std::optional<std::string_view> client_id,
                                std::uint64_t ttl_ms, std::int64_t& now_ms) const {
    for (int tries = 0; tries < 3; ++tries) {
      const cm::revocation_subject s{client_id.value_or(std::string_view()), {}, &cap, cm::revocation_issued_at_ms(now_ms / 1000)};
      const auto e = revocations_->check(s, now_ms + cm::reauth_margin_ms);  // also a revocation with a margin
      if (e.code() == cm::errc::ok) break;
      if (e.code() != cm::errc::token_revoked) return e;  // the store cannot tell: refuse
      std::this_thread::sleep_for(std::chrono::milliseconds(1000 - now_ms % 1000));
      now_ms = cm::system_clock_ms();
    }
    cm::jwt_request r;
    r.issued_at = now_ms / 1000;
    r.ttl = static_cast<std::int64_t>(ttl_ms / 1000 == 0 ? 1 : ttl_ms / 1000);
    const std::string cap_text = cap.to_json();
    r.capability = cap_text;
    r.client_id = client_id;
    return cm::issue_jwt(jwt_key_, r);
  }

  // --- POST /keys/{keyName}/requestToken ------------------------------------------------------

  void exchange(const httplib::Request& req, httplib::Response& res) {
    std::int64_t now = cm::system_clock_ms();
    auto v = verifier_.verify(req.body, now);
    if (!v) return send_error(res, v.error());
    if (v->key_name != req.matches[1].str())
      return send_error(res, 40101, 401, "the keyName in the path is not the TokenRequest's keyName");
    const std::uint64_t ttl = v->ttl_ms.value_or(static_cast<std::uint64_t>(cfg_.token_ttl_ms));
    const std::string cap_text = v->effective.to_json();
    std::optional<std::string_view> client_id;
    if (v->client_id) client_id = *v->client_id;
    auto token = issue(v->effective, client_id, ttl, now);
    if (!token) return send_error(res, token.error());
    const std::int64_t iat = now / 1000;
    const std::int64_t ttl_s = static_cast<std::int64_t>(ttl / 1000 == 0 ? 1 : ttl / 1000);
    json details = {{"token", *token},
                    {"keyName", v->key_name},
                    {"issued", now},
                    {"expires", (iat + ttl_s) * 1000},
                    {"capability", cap_text}};
    if (v->client_id) details["clientId"] = *v->client_id;
    res.status = 200;
    res.set_content(details.dump(), "application/json");
  }

  // --- gateway ----------------------------------------------------------------------------------

  // The token's grant, or an error already sent.
  std::optional<cm::verified_jwt> bearer(const httplib::Request& req, httplib::Response& res, std::int64_t now_ms) const {
    const auto b64 = auth_scheme(req, "Bearer");
    if (!b64) {
      send_error(res, 40140, 401, "token required: send Authorization: Bearer <base64 of the token>");
      return std::nullopt;
    }
    auto token = cm::crypto::base64_decode(*b64);  // ably-js sends the token base64-encoded
    if (!token) {
      send_error(res, 40144, 401, "the bearer token is not base64");
      return std::nullopt;
    }
    cm::jwt_verify_options o;
    o.now = now_ms / 1000;
    o.compile_matcher = true;
    auto v = cm::verify_jwt(*token, jwt_key_, o);
    if (!v) {
      send_error(res, v.error());
      return std::nullopt;
    }
    const std::int64_t issued_ms = cm::revocation_issued_at_ms(v->issued_at);  // the library's rule (§27)
    const std::string_view client_id = v->client_id ? std::string_view(*v->client_id) : std::string_view();
    const std::string_view revocation_key = v->revocation_key ? std::string_view(*v->revocation_key) : std::string_view();
    if (auto e = revocations_->check(client_id, revocation_key, v->capability, issued_ms, now_ms); e.code() != cm::errc::ok) {
      send_error(res, e);
      return std::nullopt;
    }
    return std::optional<cm::verified_jwt>(std::move(*v));
  }

  bool allowed(const cm::verified_jwt& v, const std::string& channel, cm::operation op, httplib::Response& res) const {
    if (v.matcher->allows(channel, op)) return true;
    const auto d = cm::explain(v.capability, channel, op);
    send_error(res, 40160, 401, "Unable to perform channel operation (operation not permitted): " + d.reason_text());
    return false;
  }

  void publish(const httplib::Request& req, httplib::Response& res) {
    const std::int64_t now = cm::system_clock_ms();
    const auto v = bearer(req, res, now);
    if (!v) return;
    const std::string channel = req.matches[1].str();
    if (!allowed(*v, channel, cm::operation::publish, res)) return;
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !(body.is_object() || body.is_array()))
      return send_error(res, 40000, 400, "the body must be a message object or an array of messages (JSON)");
    if (body.is_object()) body = json::array({body});
    std::string last_id;
    {
      std::lock_guard lock(messages_mutex_);
      if (messages_.size() >= max_channels && messages_.find(channel) == messages_.end())
        return send_error(res, 50000, 500, "this demo gateway keeps history for at most 10000 channels");
      auto& log = messages_[channel];
      for (auto& m : body) {
        if (!m.is_object()) return send_error(res, 40000, 400, "each message must be a JSON object");
        last_id = "m" + std::to_string(++serial_);
        if (!m.contains("id")) m["id"] = last_id;
        m["timestamp"] = now;
        if (v->client_id && !m.contains("clientId")) m["clientId"] = *v->client_id;
        log.push_front(m);
        if (log.size() > max_history) log.pop_back();
      }
    }
    res.status = 201;
    res.set_content(json{{"channel", channel}, {"messageId", last_id}}.dump(), "application/json");
  }

  void history(const httplib::Request& req, httplib::Response& res) {
    const std::int64_t now = cm::system_clock_ms();
    const auto v = bearer(req, res, now);
    if (!v) return;
    const std::string channel = req.matches[1].str();
    if (!allowed(*v, channel, cm::operation::history, res)) return;
    json out = json::array();
    {
      std::lock_guard lock(messages_mutex_);
      if (auto it = messages_.find(channel); it != messages_.end())
        for (const auto& m : it->second) out.push_back(m);
    }
    res.set_content(out.dump(), "application/json");
  }

  // --- POST /keys/{keyName}/revokeTokens ----------------------------------------------------------

  void revoke(const httplib::Request& req, httplib::Response& res) {
    const auto b64 = auth_scheme(req, "Basic");
    const auto creds = b64 ? cm::crypto::base64_decode(*b64) : cm::result<std::string>(cm::error(cm::errc::invalid_base64, cm::no_offset));
    const std::string expected = std::string(cfg_.key->name()) + ":" + std::string(cfg_.key->reveal_secret());
    if (!creds || creds->size() != expected.size() ||
        !cm::crypto::equal_constant_time(std::string_view(*creds), std::string_view(expected)))
      return send_error(res, 40101, 401, "Invalid credentials: revokeTokens needs Basic auth with the key");
    if (req.matches[1].str() != cfg_.key->name())
      return send_error(res, 40101, 401, "the keyName in the path is not the authenticating key's");
    const std::int64_t now = cm::system_clock_ms();
    auto r = cm::parse_revocation_request(req.body, now);
    if (!r) return send_error(res, r.error());
    if (auto e = revocations_->revoke(*r, now); e.code() != cm::errc::ok) return send_error(res, e);
    const std::int64_t issued_before = r->issued_before_ms.value_or(now);
    const std::int64_t applies_at = now + (r->allow_reauth_margin ? cm::reauth_margin_ms : 0);
    json results = json::array();
    for (const auto& t : r->targets)
      results.push_back({{"target", t.to_string()}, {"issuedBefore", issued_before}, {"appliesAt", applies_at}});
    res.set_content(json{{"successCount", r->targets.size()}, {"failureCount", 0}, {"results", results}}.dump(),
                    "application/json");
  }

  static constexpr std::size_t max_history = 100;    // messages kept per channel
  static constexpr std::size_t max_channels = 10000;  // channels with history

  config cfg_;
  cm::revocation_store* revocations_;
  cm::key_list keys_;
  cm::token_request_verifier verifier_;
  cm::token_request_signer signer_;
  cm::jwt_key jwt_key_;
  cm::grant_keyring grants_;
  std::mutex messages_mutex_;
  std::unordered_map<std::string, std::deque<json>> messages_;
  std::uint64_t serial_ = 0;
};

std::uint64_t random_u64() {
  std::uint64_t v = 0;
  auto r = cm::crypto::random_bytes(reinterpret_cast<std::uint8_t*>(&v), sizeof v);
  if (!r) die("no secure random numbers: " + std::string(r.error().message()));
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path, host = "127.0.0.1", redis;
  int port = 0;
  std::size_t threads = 64;
  bool verbose = false;
  const std::string usage = "usage: auth_server --config FILE [--host H] [--port N] [--redis HOST:PORT] [--threads N] [--verbose]";
  auto number = [](const std::string& text, const std::string& what, long max) {
    if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos || std::stol(text) > max)
      die(what + " must be a number from 0 to " + std::to_string(max));
    return std::stol(text);
  };
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) die("option " + a + " needs a value");
      return argv[++i];
    };
    if (a == "--config") config_path = next();
    else if (a == "--host") host = next();
    else if (a == "--port") port = static_cast<int>(number(next(), "--port", 65535));
    else if (a == "--redis") redis = next();
    else if (a == "--threads") threads = static_cast<std::size_t>(number(next(), "--threads", 4096));
    else if (a == "--verbose") verbose = true;
    else die("unknown option " + a + "\n" + usage);
  }
  if (config_path.empty()) die(usage);
  if (threads == 0) threads = 1;
  config cfg = load_config(config_path);

  // Shared state: in this process's memory by default, in Redis with --redis.
  std::unique_ptr<cm::replay_guard> guard;
  std::unique_ptr<cm::revocation_store> revocations;
#if CAPMATCH_AUTH_SERVER_REDIS
  std::unique_ptr<auth_server::redis_pool> pool;
#endif
  if (!redis.empty()) {
#if CAPMATCH_AUTH_SERVER_REDIS
    const auto colon = redis.rfind(':');
    if (colon == std::string::npos) die("--redis needs HOST:PORT");
    pool = std::make_unique<auth_server::redis_pool>(redis.substr(0, colon),
                                                     static_cast<int>(number(redis.substr(colon + 1), "the Redis port", 65535)));
    std::string why;
    if (!pool->ping(why)) die("cannot reach Redis at " + redis + ": " + why);
    guard = std::make_unique<auth_server::redis_replay_guard>(*pool);
    revocations = std::make_unique<auth_server::redis_revocation_store>(*pool);
#else
    die("built without hiredis: --redis is not available");
#endif
  } else {
    // Room for 1000 TokenRequests a second over the 4 minutes a nonce stays claimable.
    guard = std::make_unique<cm::memory_replay_guard>(240'000, random_u64(), random_u64());
    revocations = std::make_unique<cm::revocation_list>();
  }

  // Stop cleanly on SIGINT/SIGTERM: a thread waits for them (no work in a signal handler).
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  service svc(std::move(cfg), *guard, *revocations);
  httplib::Server svr;
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  svr.set_keep_alive_max_count(1000);
  svr.set_tcp_nodelay(true);
  svr.set_payload_max_length(256u << 10);  // the largest body any endpoint reads (a revocation request)  // answers go out in two writes: without this, Nagle + delayed ACK add 40 ms
  // cpp-httplib (built with zlib and brotli, as Debian's is) compresses every JSON answer a client
  // accepts compressed, and ably-js (got) asks for "gzip, deflate, br": Brotli at its default
  // quality cost about 1 ms of CPU per answer of a few hundred bytes, 20 times the rest of the work.
  // Answers here are small: drop the request's Accept-Encoding so they go out as they are. (The
  // server owns the Request object; only the handler's view of it is const.)
  svr.set_pre_routing_handler([](const httplib::Request& req, httplib::Response&) {
    const_cast<httplib::Request&>(req).headers.erase("Accept-Encoding");
    return httplib::Server::HandlerResponse::Unhandled;
  });
  svc.route(svr);
  if (verbose)
    svr.set_logger([](const httplib::Request& q, const httplib::Response& r) {
      std::fprintf(stderr, "%s %s -> %d %s\n", q.method.c_str(), q.path.c_str(), r.status, r.status >= 400 ? r.body.c_str() : "");
    });
  const int bound = port == 0 ? svr.bind_to_any_port(host) : (svr.bind_to_port(host, port) ? port : -1);
  if (bound < 0) die("cannot listen on " + host + ":" + std::to_string(port));

  std::atomic<bool> signalled{false};
  std::thread stopper([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    signalled = true;
    svr.stop();
  });
  std::printf("listening on http://%s:%d\n", host.c_str(), bound);
  std::fflush(stdout);
  svr.listen_after_bind();
  if (!signalled) pthread_kill(stopper.native_handle(), SIGTERM);  // listen failed: wake the waiter
  stopper.join();
  return 0;
}
