// capmatch — Ably JWTs: issue and verify HS256 tokens with Ably's claims (SEMANTICS §5 rules 24–26).
// Design, limits and what is and is not checked: docs/jwt.md.
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <vector>

#include "capability.hpp"
#include "capability_cache.hpp"
#include "crypto/base64.hpp"
#include "crypto/compare.hpp"
#include "crypto/hmac.hpp"
#include "detail/intersect_identity.hpp"
#include "detail/json_object.hpp"
#include "error.hpp"
#include "intersect.hpp"
#include "detail/json.hpp"
#include "detail/utf8.hpp"
#include "key.hpp"
#include "matcher.hpp"
#include "user_claims.hpp"
#include "version.hpp"

CAPMATCH_NAMESPACE_BEGIN

/// Longest JWT issued or verified, in bytes: what fits an HTTP header with room to spare.
inline constexpr std::size_t max_jwt_bytes = 8192;
/// Longest token lifetime (exp - iat), in seconds: 24 h.
inline constexpr std::int64_t max_jwt_ttl = 86400;
/// Longest lifetime for a key with revocable tokens, in seconds: 1 h.
inline constexpr std::int64_t max_revocable_jwt_ttl = 3600;

/// A key as JWTs use it: the API key (name and HMAC key), its capability, whether its tokens
/// are revocable (which caps their lifetime at 1 h), and its identity in a capability_cache.
/// Immutable: the identity (key_fingerprint over the name, the capability and the secret, the
/// same as a token_key's for the same key) is computed once here, so a key whose capability or
/// secret changes is a new jwt_key and never hits the entries cached under the old one.
class jwt_key {
 public:
  /// The empty key (no name): issue_jwt refuses it and no token's kid names it.
  jwt_key() = default;
  /// `key` with capability `key_capability` (absent: it grants everything, `{"[*]*":["*"]}`),
  /// revocable or not.
  explicit jwt_key(api_key key, std::optional<capmatch::capability> key_capability = std::nullopt,
                   bool revocable = false)
      : key_(std::move(key)),
        capability_(std::move(key_capability)),
        revocable_(revocable),
        fingerprint_(key_fingerprint::of(key_.name(), capability_ ? &*capability_ : nullptr, &key_.hmac())) {}

  [[nodiscard]] const api_key& key() const noexcept { return key_; }
  /// The key's capability; absent means it grants everything.
  [[nodiscard]] const std::optional<capmatch::capability>& capability() const noexcept { return capability_; }
  [[nodiscard]] bool revocable() const noexcept { return revocable_; }
  /// The key's identity in a capability_cache (name, capability and secret).
  [[nodiscard]] const key_fingerprint& fingerprint() const noexcept { return fingerprint_; }

 private:
  api_key key_;
  std::optional<capmatch::capability> capability_;
  bool revocable_ = false;
  key_fingerprint fingerprint_;
};

/// What to put in a token (issue_jwt).
struct jwt_request {
  std::int64_t issued_at = 0;  ///< iat, seconds since the epoch
  std::int64_t ttl = 3600;     ///< exp - iat, seconds
  std::optional<std::string_view> capability;      ///< JSON text; absent: no claim (the key's)
  std::optional<std::string_view> client_id;       ///< x-ably-clientId
  std::optional<std::string_view> revocation_key;  ///< x-ably-revocation-key
  /// More claims as (name, JSON value): user claims `ably.channel.<pattern>` (strings),
  /// `ably.limits.*` (numbers), or anything else but iat, exp and x-ably-*.
  std::vector<std::pair<std::string_view, std::string_view>> claims;
};

/// How verify_jwt judges time and what it builds.
struct jwt_verify_options {
  std::int64_t now = 0;          ///< the verifier's clock, seconds since the epoch
  std::int64_t iat_leeway = 60;  ///< iat may be this far in the future (Decision, rule 24); < 0 is 0
  std::int64_t exp_leeway = 0;   ///< a token stays valid this long after exp; < 0 is 0
  bool compile_matcher = false;  ///< fill verified_jwt::matcher
  /// Reject an embedded x-ably-token whose expiry cannot be read (an opaque Ably token).
  bool require_embedded_expiry = false;
  /// Optional, shared: remembers verified (key, x-ably-capability text) results (capability_cache.hpp).
  capability_cache* cache = nullptr;
};

/// What a verified token says, with the effective capability (key ∩ token).
struct verified_jwt {
  std::string key_name;
  std::int64_t issued_at = 0, expires_at = 0;
  capmatch::capability capability;  ///< effective: the key's ∩ the token's
  bool capability_claimed = false;  ///< false when the token had no x-ably-capability
  std::optional<capmatch::matcher> matcher;  ///< `capability` compiled, on request
  std::optional<std::string> client_id, revocation_key;
  capmatch::user_claims user_claims;  ///< ably.channel.* (ties: an error at lookup)
  /// ably.limits.* claims (name, number as written) and every other claim (name, JSON as written
  /// without insignificant whitespace).
  std::vector<std::pair<std::string, std::string>> limits, other_claims;
  std::optional<std::string> embedded_token;  ///< x-ably-token (header or claim)
  std::optional<std::int64_t> embedded_expires_at;  ///< its exp, when it is a JWT

  /// One JSON object: keyName, iat, exp, capability (canonical object), and the rest when present.
  [[nodiscard]] std::string to_json() const;
};

namespace detail {

[[nodiscard]] inline error jwt_error(errc code, std::string_view text) { return error(code, no_offset, text); }

[[nodiscard]] constexpr bool valid_utf8(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

[[nodiscard]] constexpr std::string_view kind_name(json_type k) noexcept {
  switch (k) {
    case json_type::string: return "a string";
    case json_type::number: return "a number";
    case json_type::boolean: return "a boolean";
    case json_type::null: return "null";
    case json_type::object: return "an object";
    case json_type::array: return "an array";
  }
  return "a value";
}

[[nodiscard]] constexpr bool starts_with(std::string_view s, std::string_view p) noexcept {
  return s.substr(0, p.size()) == p;
}

inline constexpr std::string_view limits_prefix = "ably.limits.";

/// Limits for JWT claims: the whole token is at most max_jwt_bytes.
inline constexpr json_object_limits jwt_json_limits{max_jwt_bytes, 1024, 32, {}};
/// Limits for the JOSE header, read before the signature is checked: a header has a handful of
/// members, so more than 32 (or nesting beyond 8) are refused before any more unauthenticated
/// input is read.
inline constexpr json_object_limits jwt_header_limits{max_jwt_bytes, 32, 8, {}};

/// The integer seconds of claim `name` (iat, exp) at index i (o.size(): absent), or the error
/// saying why not.
[[nodiscard]] inline result<std::int64_t> integer_claim_at(const json_object& o, std::size_t i, std::string_view name) {
  if (i == o.size()) {
    error e(errc::invalid_jwt, no_offset);
    return e.append("JWT has no '").append(name).append("' claim; Ably JWTs need iat and exp (integer seconds)");
  }
  const auto& m = o.at(i);
  if (m.kind != json_type::number || !m.integer) {
    error e(errc::invalid_jwt, no_offset);
    e.append("JWT claim '").append(name).append("' must be an integer number of seconds, found ");
    return e.append(m.kind == json_type::number ? std::string_view("a number with a fraction or exponent")
                                                : kind_name(m.kind));
  }
  return m.int_value;
}
/// integer_claim_at for the member named `name`.
[[nodiscard]] inline result<std::int64_t> integer_claim(const json_object& o, std::string_view name) {
  return integer_claim_at(o, o.find(name), name);
}

/// An optional non-empty string claim or header member (x-ably-clientId, x-ably-revocation-key,
/// ...) at index i (o.size(): absent).
[[nodiscard]] inline result<std::optional<std::string>> string_member_at(const json_object& o, std::size_t i,
                                                                        std::string_view name, std::string_view where) {
  if (i == o.size()) return std::optional<std::string>();
  const auto& m = o.at(i);
  if (m.kind != json_type::string || o.string_value(i).empty()) {
    error e(errc::invalid_jwt, no_offset);
    e.append("JWT ").append(where).append(" '").append(name).append("' must be a non-empty string, found ");
    return e.append(m.kind == json_type::string ? std::string_view("an empty string") : kind_name(m.kind));
  }
  return std::optional<std::string>(std::string(o.string_value(i)));
}
/// string_member_at for the member named `name`.
[[nodiscard]] inline result<std::optional<std::string>> string_member(const json_object& o, std::string_view name,
                                                                     std::string_view where) {
  return string_member_at(o, o.find(name), name, where);
}

/// Where the claims verify_jwt reads itself are (index, or the object's size when absent),
/// found in one pass over the names; `others` counts the rest (user claims, limits, others).
struct ably_claims {
  std::size_t iat, exp, capability, client_id, revocation_key, token, others = 0;
  explicit ably_claims(const json_object& c) noexcept
      : iat(c.size()), exp(c.size()), capability(c.size()), client_id(c.size()), revocation_key(c.size()),
        token(c.size()) {
    for (std::size_t i = 0; i < c.size(); ++i) {
      const std::string_view name = c.key(i);
      std::size_t* slot = name == "iat"                     ? &iat
                          : name == "exp"                   ? &exp
                          : name == "x-ably-capability"     ? &capability
                          : name == "x-ably-clientId"       ? &client_id
                          : name == "x-ably-revocation-key" ? &revocation_key
                          : name == "x-ably-token"          ? &token
                                                            : nullptr;
      if (slot != nullptr) *slot = i;  // (names are unique: json_object refuses duplicates)
      else ++others;
    }
  }
  /// True when member i is one of the claims above.
  [[nodiscard]] bool ably(std::size_t i) const noexcept {
    return i == iat || i == exp || i == capability || i == client_id || i == revocation_key || i == token;
  }
};

/// The exp of an embedded token when it is a JWT (three parts, the first a base64url JSON
/// object); read, not verified: it is signed by Ably or by another key. nullopt for an opaque
/// Ably token (anything else); an error for a JWT without an integer exp.
[[nodiscard]] inline result<std::optional<std::int64_t>> embedded_expiry(std::string_view token) {
  const auto d1 = token.find('.');
  const auto d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos)
    return std::optional<std::int64_t>();
  const auto header = crypto::base64url_decode(token.substr(0, d1));
  if (!header || !json_object::parse(*header, jwt_header_limits)) return std::optional<std::int64_t>();
  auto payload = crypto::base64url_decode(token.substr(d1 + 1, d2 - d1 - 1));
  const auto claims = payload ? json_object::parse(*payload, jwt_json_limits) : result<json_object>(payload.error());
  const auto exp = claims ? integer_claim(*claims, "exp") : result<std::int64_t>(claims.error());
  if (!exp) return jwt_error(errc::invalid_jwt, "embedded x-ably-token is a JWT without an integer 'exp' claim");
  return std::optional<std::int64_t>(*exp);
}

/// Checks one extra claim for issue_jwt; `value` holds its value as member 0 (parse_value).
[[nodiscard]] inline std::optional<error> check_issue_claim(std::string_view name, const json_object& value) {
  auto bad = [&](std::string_view why) {
    error e(errc::invalid_claim, no_offset);
    return e.append("claim ").append_quoted(name).append(' ').append(why);
  };
  if (name.empty()) return error(errc::invalid_claim, no_offset, "claim with an empty name");
  if (!valid_utf8(name)) return bad("has a name that is not valid UTF-8");
  if (name == "iat" || name == "exp" || starts_with(name, "x-ably-"))
    return bad("is reserved; set it through its own option (iat, ttl, capability, client id, revocation key)");
  const auto kind = value.at(0).kind;
  if (starts_with(name, user_claim_prefix) && kind != json_type::string)
    return bad(std::string("must be a JSON string, found ").append(kind_name(kind)));
  if (starts_with(name, limits_prefix) && kind != json_type::number)
    return bad(std::string("must be a JSON number, found ").append(kind_name(kind)));
  return std::nullopt;
}

}  // namespace detail

/// A signed Ably JWT for `key` (header `{"typ":"JWT","alg":"HS256","kid":KEYNAME}`), or an error:
/// ttl not in 1..24 h (1 h for a revocable key: 40003), an invalid capability (40000) or one
/// disjoint from the key's (40160), an empty client id or revocation key, a bad or reserved claim,
/// tying user claims (40000), or a token over max_jwt_bytes.
[[nodiscard]] inline result<std::string> issue_jwt(const jwt_key& key, const jwt_request& req);

namespace detail {

/// issue_jwt, adding to `work` one unit per claim read plus one per name compared in the
/// duplicate check (tests/test_complexity.cpp). Bounded (issue 14): the size is checked before
/// each claim, so a request far over max_jwt_bytes stops after about max_jwt_bytes / 8 claims,
/// and duplicates are found with a hash set, not by comparing each name with every earlier one.
[[nodiscard]] inline result<std::string> issue_jwt_counted(const jwt_key& key, const jwt_request& req,
                                                           std::size_t& work) {
  if (key.key().name().empty()) return jwt_error(errc::invalid_key, "cannot issue a JWT without a key");
  const std::int64_t limit = key.revocable() ? max_revocable_jwt_ttl : max_jwt_ttl;
  if (req.ttl <= 0 || req.ttl > limit) {
    error e(errc::jwt_ttl_too_long, no_offset);
    if (req.ttl <= 0) return e.append("ttl must be a positive number of seconds");
    e.append("ttl of ").append_number(static_cast<std::uint64_t>(req.ttl)).append(" s exceeds the limit of ");
    return e.append_number(static_cast<std::uint64_t>(limit)).append(key.revocable() ? " s for a key with revocable tokens" : " s");
  }
  if (req.issued_at < 0 || req.issued_at > (std::int64_t{1} << 52))
    return jwt_error(errc::invalid_claim, "iat must be between 0 and 2^52 seconds");
  std::string header = "{\"typ\":\"JWT\",\"alg\":\"HS256\",\"kid\":";
  {
    std::vector<char> kid;
    detail::write_json_string(key.key().name(), kid);
    header.append(kid.data(), kid.size()).append("}");
  }
  // The token's size once `body` (plus its closing brace) is complete: base64url of both parts,
  // two dots and the 43-character signature. The body only grows, so the first time this
  // exceeds the limit the token is refused, before the remaining claims are read.
  std::vector<char> body;
  auto token_size = [&] {
    return crypto::base64_encoded_size(header.size(), crypto::base64_alphabet::url) + 1 +
           crypto::base64_encoded_size(body.size() + 1, crypto::base64_alphabet::url) + 1 + 43;
  };
  auto too_big = [](std::size_t total, bool complete) {
    error e(errc::limit_exceeded, no_offset);
    e.append("the JWT would be ").append(complete ? "" : "at least ").append_number(total);
    e.append(" bytes, more than the limit of ").append_number(max_jwt_bytes);
    return e.append(" bytes (capmatch::max_jwt_bytes; HTTP header limits)");
  };
  auto put = [&](std::string_view s) { body.insert(body.end(), s.begin(), s.end()); };
  auto put_number = [&](std::int64_t v) { put(std::to_string(v)); };
  put("{\"iat\":");
  put_number(req.issued_at);
  put(",\"exp\":");
  put_number(req.issued_at + req.ttl);
  if (req.capability) {
    auto cap = capability::parse(*req.capability);
    if (!cap) return cap.error();
    if (key.capability()) {
      auto eff = intersect(*key.capability(), *cap);
      if (!eff) return eff.error();
    } else if (cap->empty()) {
      return detail::empty_intersection_error();
    }
    put(",\"x-ably-capability\":");
    detail::write_json_string(cap->to_json(), body);
  }
  auto put_string_claim = [&](std::string_view name, const std::optional<std::string_view>& v) -> std::optional<error> {
    if (!v) return std::nullopt;
    if (v->empty() || !detail::valid_utf8(*v)) {
      error e(errc::invalid_claim, no_offset);
      return e.append(name).append(v->empty() ? " must not be empty" : " is not valid UTF-8");
    }
    put(",\"");
    put(name);
    put("\":");
    detail::write_json_string(*v, body);
    return std::nullopt;
  };
  if (auto e = put_string_claim("x-ably-clientId", req.client_id)) return *e;
  if (auto e = put_string_claim("x-ably-revocation-key", req.revocation_key)) return *e;
  std::vector<user_claim> user;
  std::unordered_set<std::string_view> seen;
  if (!req.claims.empty()) seen.reserve(std::min(req.claims.size(), max_jwt_bytes / 8));
  for (std::size_t i = 0; i < req.claims.size(); ++i) {
    if (const std::size_t total = token_size(); total > max_jwt_bytes) return too_big(total, false);
    const auto& [name, json] = req.claims[i];
    work += 1 + seen.bucket_size(seen.bucket(name));
    if (!seen.insert(name).second) {
      error e(errc::invalid_claim, no_offset);
      return e.append("claim ").append_quoted(name).append(" given twice");
    }
    const auto value = detail::json_object::parse_value(json, detail::jwt_json_limits);
    if (!value) {
      error e(errc::invalid_claim, no_offset);
      return e.append("claim ").append_quoted(name).append(" is not one JSON value: ").append(value.error().message());
    }
    if (auto e = detail::check_issue_claim(name, *value)) return *e;
    if (detail::starts_with(name, user_claim_prefix))
      user.push_back({std::string(name.substr(user_claim_prefix.size())), std::string(value->string_value(0))});
    put(",");
    detail::write_json_string(name, body);
    put(":");
    detail::append_minified(value->raw(0), body);
  }
  // Exact size before the user claims are compiled (pairwise tie checks), so that work is done
  // only for a token that fits.
  if (const std::size_t total = token_size(); total > max_jwt_bytes) return too_big(total, true);
  put("}");
  if (!user.empty()) {
    auto compiled = user_claims::compile(std::move(user), claim_ties::reject);
    if (!compiled) return compiled.error();
  }
  std::string out = crypto::base64url_encode(header);
  out.push_back('.');
  out.append(crypto::base64url_encode(std::string_view(body.data(), body.size())));
  const auto mac = key.key().sign(out);
  out.push_back('.');
  const auto sig = crypto::base64_encode_array<crypto::base64_alphabet::url>(mac);
  out.append(sig.data(), sig.size());
  return out;
}

}  // namespace detail

[[nodiscard]] inline result<std::string> issue_jwt(const jwt_key& key, const jwt_request& req) {
  std::size_t work = 0;
  return detail::issue_jwt_counted(key, req, work);
}

/// Verifies an Ably JWT and returns what it grants. `find_key(kid)` returns the `const jwt_key*`
/// named by the header's kid, or nullptr. Checks, in order (docs/jwt.md): size, three base64url
/// parts, header alg HS256 and kid, the signature (constant time, before the claims are decoded),
/// iat/exp integers, iat not in the future beyond the leeway (40001), not expired (40142),
/// lifetime (40003), x-ably-capability (string or object; present but unusable is an error),
/// key ∩ token non-empty (40160), the other Ably claims, an embedded x-ably-token's expiry.
template <class FindKey,
          std::enable_if_t<std::is_invocable_r_v<const jwt_key*, FindKey&, std::string_view>, int> = 0>
[[nodiscard]] result<verified_jwt> verify_jwt(std::string_view token, FindKey&& find_key,
                                              const jwt_verify_options& opt = {}) {
  using detail::json_type;
  using detail::jwt_error;
  if (token.size() > max_jwt_bytes) {
    error e(errc::invalid_jwt, no_offset);
    e.append("JWT of ").append_number(token.size()).append(" bytes exceeds the limit of ");
    return e.append_number(max_jwt_bytes).append(" bytes (capmatch::max_jwt_bytes)");
  }
  // The dots found with find (memchr), not counted byte by byte; counted only to word an error.
  const std::size_t d1 = token.find('.'), d2 = d1 == token.npos ? d1 : token.find('.', d1 + 1);
  if (d2 == token.npos || token.find('.', d2 + 1) != token.npos) {
    std::size_t dots = 0;
    for (char c : token) dots += c == '.';
    error e(errc::invalid_jwt, no_offset);
    return e.append("a JWT has three base64url parts separated by '.', found ").append_number(dots + 1);
  }
  const std::string_view header_b64 = token.substr(0, d1), claims_b64 = token.substr(d1 + 1, d2 - d1 - 1),
                         sig_b64 = token.substr(d2 + 1);
  auto part_error = [](std::string_view what, const error& inner) {
    error e(errc::invalid_jwt, no_offset);
    return e.append("JWT ").append(what).append(": ").append(inner.message());
  };
  // Reused per thread: no allocation once the buffers have grown (views end with this call).
  thread_local detail::json_object header_object, claims_object;
  thread_local std::string header_bytes, claims_bytes;
  auto decode = [](std::string_view in, std::string& buf) -> result<std::string_view> {
    buf.resize(crypto::base64_decoded_max(in.size()));
    const auto n = crypto::base64_decode_to(in, reinterpret_cast<std::uint8_t*>(buf.data()), buf.size(),
                                            crypto::base64_alphabet::url);
    if (!n) return n.error();
    return std::string_view(buf.data(), *n);
  };
  const auto header_text = decode(header_b64, header_bytes);
  if (!header_text) return part_error("header is not base64url", header_text.error());
  const detail::json_object* const header = &header_object;
  if (auto e = header_object.read(*header_text, detail::jwt_header_limits); e.code() != errc::ok)
    return part_error("header is not a JSON object", e);
  const std::size_t alg = header->find("alg");
  if (alg == header->size()) return jwt_error(errc::invalid_jwt, "JWT header has no 'alg'; Ably JWTs use HS256");
  if (header->at(alg).kind != json_type::string || header->string_value(alg) != "HS256") {
    error e(errc::invalid_jwt, no_offset);
    e.append("JWT algorithm ");
    if (header->at(alg).kind == json_type::string) e.append_quoted(header->string_value(alg));
    else e.append(detail::kind_name(header->at(alg).kind));
    return e.append(" is not accepted; Ably JWTs use HS256");
  }
  if (const std::size_t typ = header->find("typ"); typ != header->size() &&
      (header->at(typ).kind != json_type::string || header->string_value(typ) != "JWT"))
    return jwt_error(errc::invalid_jwt, "JWT header 'typ' must be \"JWT\" when present");
  if (header->find("crit") != header->size())
    return jwt_error(errc::invalid_jwt, "JWT header 'crit' names extensions capmatch does not implement");
  const std::size_t kid = header->find("kid");
  if (kid == header->size())
    return jwt_error(errc::invalid_jwt, "JWT header has no 'kid'; Ably JWTs name their key (appId.keyId)");
  if (header->at(kid).kind != json_type::string || header->string_value(kid).empty())
    return jwt_error(errc::invalid_jwt, "JWT header 'kid' must be a non-empty string (the key name)");
  const jwt_key* key = find_key(header->string_value(kid));
  if (key == nullptr) {
    error e(errc::invalid_jwt, no_offset);
    return e.append("JWT header 'kid' names no known key: ").append_quoted(header->string_value(kid));
  }
  const auto sig = crypto::base64_decode_digest(sig_b64, crypto::base64_alphabet::url);
  if (!sig) return jwt_error(errc::invalid_jwt, "JWT signature is not a 43-character base64url HMAC-SHA256");
  if (!key->key().hmac().verify(token.substr(0, d2), *sig))
    return jwt_error(errc::invalid_jwt, "JWT signature does not match (wrong key, or the token was altered)");

  // Signed by the key: now the claims.
  const auto claims_text = decode(claims_b64, claims_bytes);
  if (!claims_text) return part_error("claims are not base64url", claims_text.error());
  if (auto e = claims_object.read(*claims_text, detail::jwt_json_limits); e.code() != errc::ok)
    return part_error("claims are not a JSON object", e);
  const detail::json_object& c = claims_object;
  verified_jwt out;
  out.key_name = std::string(key->key().name());
  const detail::ably_claims at(c);
  const auto iat = detail::integer_claim_at(c, at.iat, "iat");
  if (!iat) return iat.error();
  const auto exp = detail::integer_claim_at(c, at.exp, "exp");
  if (!exp) return exp.error();
  out.issued_at = *iat;
  out.expires_at = *exp;
  // Overflow-safe comparisons: claims are any int64; the leeways are small and non-negative.
  auto distance = [](std::int64_t from, std::int64_t to) {  // to - from, for to >= from
    return static_cast<std::uint64_t>(to) - static_cast<std::uint64_t>(from);
  };
  if (*exp <= *iat) {
    error e(errc::invalid_jwt, no_offset);
    return e.append("JWT 'exp' is not after 'iat'");
  }
  // A negative leeway counts as none.
  const auto iat_leeway = static_cast<std::uint64_t>(opt.iat_leeway < 0 ? 0 : opt.iat_leeway);
  const auto exp_leeway = static_cast<std::uint64_t>(opt.exp_leeway < 0 ? 0 : opt.exp_leeway);
  if (*iat > opt.now && distance(opt.now, *iat) > iat_leeway) {
    error e(errc::jwt_issued_in_future, no_offset);
    e.append("JWT issued in the future: iat is ").append_number(distance(opt.now, *iat));
    return e.append(" s after now, more than the leeway of ").append_number(iat_leeway).append(" s");
  }
  if (opt.now >= *exp && distance(*exp, opt.now) >= exp_leeway) {
    error e(errc::jwt_expired, no_offset);
    return e.append("JWT expired");
  }
  const std::uint64_t ttl = static_cast<std::uint64_t>(*exp) - static_cast<std::uint64_t>(*iat);
  const std::int64_t limit = key->revocable() ? max_revocable_jwt_ttl : max_jwt_ttl;
  if (ttl > static_cast<std::uint64_t>(limit)) {
    error e(errc::jwt_ttl_too_long, no_offset);
    e.append("JWT lifetime (exp - iat) of ").append_number(ttl).append(" s exceeds the limit of ");
    return e.append_number(static_cast<std::uint64_t>(limit)).append(key->revocable() ? " s for a key with revocable tokens" : " s");
  }
  // x-ably-capability: a JSON string (Ably) or an object (the Ably CLI); never "absent" when present.
  if (const std::size_t ci = at.capability; ci != c.size()) {
    const auto kind = c.at(ci).kind;
    if (kind != json_type::string && kind != json_type::object) {
      error e(errc::invalid_jwt, no_offset);
      return e.append("JWT claim 'x-ably-capability' must be a JSON string or object, found ").append(detail::kind_name(kind));
    }
    if (kind == json_type::string && c.string_value(ci).empty())
      return jwt_error(errc::invalid_jwt, "JWT claim 'x-ably-capability' is an empty string; omit the claim for the key's capability");
    const std::string_view text = kind == json_type::string ? c.string_value(ci) : c.raw(ci);
    const capability* key_cap = key->capability() ? &*key->capability() : nullptr;
    capability_cache::entry hit;
    if (opt.cache != nullptr && opt.cache->find(key->fingerprint(), text, {}, hit)) {
      out.capability = std::move(hit.effective);
    } else {
      auto cap = capability::parse(text);
      if (!cap) {
        error e(cap.error().code(), no_offset);
        return e.append("JWT claim 'x-ably-capability' is not a valid capability: ").append(cap.error().message());
      }
      // A key without a capability grants everything: key ∩ token is the token in normal form.
      static const capability everything = capability::parse("{\"[*]*\":[\"*\"]}").value();
      if (auto same = detail::intersect_identity(key_cap != nullptr ? *key_cap : everything, *cap)) {
        out.capability = std::move(*same);
      } else {
        auto eff = key_cap != nullptr ? intersect(*key_cap, *cap) : intersect(*cap);
        if (!eff) return eff.error();
        out.capability = std::move(*eff);
      }
      // (the canonical text too: a TokenRequest verifier may share the cache)
      if (opt.cache != nullptr) opt.cache->insert(key->fingerprint(), text, cap->to_json(), out.capability);
    }
    out.capability_claimed = true;
  } else {
    if (key->capability()) {
      // (cached as the empty text, which no claim can hold)
      capability_cache::entry hit;
      if (opt.cache != nullptr && opt.cache->find(key->fingerprint(), {}, {}, hit)) {
        out.capability = std::move(hit.effective);
      } else {
        auto eff = intersect(*key->capability());
        if (!eff) return eff.error();
        out.capability = std::move(*eff);
        if (opt.cache != nullptr) opt.cache->insert(key->fingerprint(), {}, {}, out.capability);
      }
    } else {
      out.capability = capability::parse("{\"[*]*\":[\"*\"]}").value();
    }
  }
  auto client_id = detail::string_member_at(c, at.client_id, "x-ably-clientId", "claim");
  if (!client_id) return client_id.error();
  out.client_id = std::move(*client_id);
  auto revocation_key = detail::string_member_at(c, at.revocation_key, "x-ably-revocation-key", "claim");
  if (!revocation_key) return revocation_key.error();
  out.revocation_key = std::move(*revocation_key);
  // An embedded token (JOSE header or claim) must not expire before this one (rule 25).
  auto embedded_header = detail::string_member(*header, "x-ably-token", "header");
  if (!embedded_header) return embedded_header.error();
  auto embedded_claim = detail::string_member_at(c, at.token, "x-ably-token", "claim");
  if (!embedded_claim) return embedded_claim.error();
  if (*embedded_header && *embedded_claim)
    return jwt_error(errc::invalid_jwt, "JWT has x-ably-token both in its header and in its claims");
  out.embedded_token = *embedded_header ? std::move(*embedded_header) : std::move(*embedded_claim);
  if (out.embedded_token) {
    const auto inner = detail::embedded_expiry(*out.embedded_token);
    if (!inner) return inner.error();
    out.embedded_expires_at = *inner;
    if (*inner && **inner < *exp)
      return jwt_error(errc::invalid_jwt, "JWT expires after its embedded x-ably-token; the outer exp must not be later");
    if (!*inner && opt.require_embedded_expiry)
      return jwt_error(errc::invalid_jwt, "embedded x-ably-token is an opaque Ably token whose expiry cannot be checked here");
  }
  std::vector<user_claim> user;
  for (std::size_t i = 0; at.others != 0 && i < c.size(); ++i) {
    if (at.ably(i)) continue;
    const std::string_view name = c.key(i);
    const auto kind = c.at(i).kind;
    if (detail::starts_with(name, user_claim_prefix)) {
      if (kind != json_type::string) {
        error e(errc::invalid_jwt, no_offset);
        return e.append("JWT user claim ").append_quoted(name).append(" must be a string, found ").append(detail::kind_name(kind));
      }
      user.push_back({std::string(name.substr(user_claim_prefix.size())), std::string(c.string_value(i))});
    } else if (detail::starts_with(name, detail::limits_prefix)) {
      if (kind != json_type::number) {
        error e(errc::invalid_jwt, no_offset);
        return e.append("JWT claim ").append_quoted(name).append(" must be a number, found ").append(detail::kind_name(kind));
      }
      out.limits.emplace_back(std::string(name), std::string(c.raw(i)));
    } else {
      std::vector<char> minified;
      detail::append_minified(c.raw(i), minified);
      out.other_claims.emplace_back(std::string(name), std::string(minified.begin(), minified.end()));
    }
  }
  if (!user.empty()) {
    auto compiled = user_claims::compile(std::move(user), claim_ties::at_lookup);
    if (!compiled) {
      error e(errc::invalid_jwt, no_offset);
      return e.append("JWT ").append(compiled.error().message());
    }
    out.user_claims = std::move(*compiled);
  }
  if (opt.compile_matcher) out.matcher.emplace(out.capability);
  return out;
}

/// verify_jwt with a single key: a token whose kid is another key's name fails (40144).
[[nodiscard]] inline result<verified_jwt> verify_jwt(std::string_view token, const jwt_key& key,
                                                     const jwt_verify_options& opt = {}) {
  return verify_jwt(token, [&](std::string_view kid) { return kid == key.key().name() ? &key : nullptr; }, opt);
}

inline std::string verified_jwt::to_json() const {
  std::vector<char> out;
  auto put = [&](std::string_view s) { out.insert(out.end(), s.begin(), s.end()); };
  auto str = [&](std::string_view s) { detail::write_json_string(s, out); };
  put("{\"keyName\":");
  str(key_name);
  put(",\"iat\":");
  put(std::to_string(issued_at));
  put(",\"exp\":");
  put(std::to_string(expires_at));
  put(",\"capability\":");
  capability.write_json(out);
  if (client_id) put(",\"clientId\":"), str(*client_id);
  if (revocation_key) put(",\"revocationKey\":"), str(*revocation_key);
  if (!user_claims.empty()) {
    put(",\"userClaims\":{");
    for (std::size_t i = 0; i < user_claims.size(); ++i) {
      if (i != 0) put(",");
      str(user_claims.claim(i).pattern);
      put(":");
      str(user_claims.claim(i).value);
    }
    put("}");
  }
  auto raw_object = [&](std::string_view name, const std::vector<std::pair<std::string, std::string>>& v) {
    if (v.empty()) return;
    put(",\"");
    put(name);
    put("\":{");
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (i != 0) put(",");
      str(v[i].first);
      put(":");
      put(v[i].second);
    }
    put("}");
  };
  raw_object("limits", limits);
  raw_object("claims", other_claims);
  if (embedded_token) put(",\"embeddedToken\":"), str(*embedded_token);
  if (embedded_expires_at) put(",\"embeddedExpires\":"), put(std::to_string(*embedded_expires_at));
  put("}");
  return std::string(out.begin(), out.end());
}

CAPMATCH_NAMESPACE_END
