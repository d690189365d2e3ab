// capmatch — token revocation (docs/semantics.md §27): build, send and receive revocation
// requests, and a revocation list that answers "is this token revoked?" with hash lookups.
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "capability.hpp"
#include "clock.hpp"
#include "crypto/base64.hpp"
#include "error.hpp"
#include "detail/json.hpp"
#include "detail/json_object.hpp"
#include "detail/utf8.hpp"
#include "key.hpp"
#include "limits.hpp"
#include "pattern.hpp"
#include "version.hpp"

CAPMATCH_NAMESPACE_BEGIN

/// Most targets one revocation request may carry (§27).
inline constexpr std::size_t max_revocation_targets = 100;
/// How far before the receiver's clock `issuedBefore` may lie: one hour, in milliseconds (§27).
inline constexpr std::int64_t max_issued_before_age_ms = 3'600'000;
/// How long `allowReauthMargin: true` postpones enforcement: 30 s, in milliseconds (§27).
inline constexpr std::int64_t reauth_margin_ms = 30'000;
/// Longest value of one target (after `type:`), in bytes: the same as a capability resource.
inline constexpr std::size_t max_revocation_value_bytes = max_resource_bytes;
/// Largest revocation request body parse_revocation_request reads, in bytes.
inline constexpr std::size_t max_revocation_body_bytes = 256u << 10;
/// Default longest token lifetime a revocation list keeps entries for: 24 h (the longest ttl).
inline constexpr std::int64_t default_max_token_lifetime_ms = 86'400'000;

/// The three kinds of revocation target.
enum class revocation_target_kind : std::uint8_t { client_id, revocation_key, channel };

/// The wire name of a target kind: "clientId", "revocationKey" or "channel".
[[nodiscard]] constexpr std::string_view name_of(revocation_target_kind k) noexcept {
  switch (k) {
    case revocation_target_kind::client_id: return "clientId";
    case revocation_target_kind::revocation_key: return "revocationKey";
    case revocation_target_kind::channel: return "channel";
  }
  return "unknown";
}

/// One target: its kind and its value (the text after the first ':').
struct revocation_target {
  revocation_target_kind kind = revocation_target_kind::client_id;
  std::string value;

  /// The wire form `type:value`.
  [[nodiscard]] std::string to_string() const {
    std::string s(name_of(kind));
    return s.append(1, ':').append(value);
  }
  friend bool operator==(const revocation_target&, const revocation_target&) = default;
};

/// A revocation request (body of `POST /keys/{keyName}/revokeTokens`). Build it with
/// make_revocation_request or parse_revocation_request, which validate it.
struct revocation_request {
  std::vector<revocation_target> targets;
  /// Milliseconds since the epoch; absent means "when the request is received".
  std::optional<std::int64_t> issued_before_ms;
  /// True: enforcement starts reauth_margin_ms after receipt, so clients can renew first.
  bool allow_reauth_margin = false;
};

namespace detail {

[[nodiscard]] inline error revocation_error(std::uint32_t at = no_offset) {
  return error(errc::invalid_revocation_request, at);
}

/// ASCII case-insensitive equality (for "did you mean" hints only).
[[nodiscard]] constexpr bool equal_ignoring_case(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto low = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (low(a[i]) != low(b[i])) return false;
  }
  return true;
}

/// errc::ok, or why `value` cannot be the value of a `kind` target: empty, too long, not UTF-8,
/// a control character, or (channel) not a capability resource. `text` is the whole target,
/// quoted in messages; `at` its offset in a body, or no_offset.
[[nodiscard]] inline error check_target_value(revocation_target_kind kind, std::string_view value,
                                              std::string_view text, std::uint32_t at) {
  error e = revocation_error(at);
  if (value.empty()) {
    e.append("revocation target ").append_quoted(text);
    if (at != no_offset) e.append_at();
    return e.append(" has an empty value").append("; expected ").append(name_of(kind)).append(":<value>");
  }
  if (value.size() > max_revocation_value_bytes) {
    e = error(errc::limit_exceeded, at);
    e.append("revocation target value of ").append_number(value.size()).append(" bytes");
    if (at != no_offset) e.append_at();
    return e.append(" exceeds the limit of ").append_number(max_revocation_value_bytes)
        .append(" bytes (capmatch::max_revocation_value_bytes)");
  }
  for (std::size_t i = 0; i < value.size();) {
    const auto c = static_cast<unsigned char>(value[i]);
    const std::size_t len = utf8_length(value, i);
    if (len == 0 || c < 0x20 || c == 0x7F) {
      e.append("revocation target ").append_quoted(text);
      if (at != no_offset) e.append_at();
      return e.append(len == 0 ? " is not valid UTF-8" : " contains a control character");
    }
    i += len;
  }
  if (kind == revocation_target_kind::channel) {
    auto p = parse_pattern(value, at == no_offset ? 0 : at);
    if (!p) {
      e.append("channel target ").append_quoted(text);
      if (at != no_offset) e.append_at();
      return e.append(" is not a capability resource (").append(p.error().message()).append(")");
    }
  }
  return error{};
}

}  // namespace detail

/// Parses one target `type:value` (split at the first ':'; the value may contain ':').
/// Types: clientId, revocationKey, channel (case-sensitive). `at`: offset for messages.
[[nodiscard]] inline result<revocation_target> parse_revocation_target(std::string_view text,
                                                                       std::uint32_t at = no_offset) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) {
    error e = detail::revocation_error(at);
    e.append("revocation target ").append_quoted(text);
    if (at != no_offset) e.append_at();
    return e.append(" has no ':'; expected clientId:<id>, revocationKey:<key> or channel:<resource>");
  }
  const std::string_view type = text.substr(0, colon), value = text.substr(colon + 1);
  revocation_target t;
  if (type == "clientId") t.kind = revocation_target_kind::client_id;
  else if (type == "revocationKey") t.kind = revocation_target_kind::revocation_key;
  else if (type == "channel") t.kind = revocation_target_kind::channel;
  else {
    error e = detail::revocation_error(at);
    e.append("unknown revocation target type ").append_quoted(type);
    if (at != no_offset) e.append_at();
    e.append("; expected clientId, revocationKey or channel");
    for (auto k : {revocation_target_kind::client_id, revocation_target_kind::revocation_key,
                   revocation_target_kind::channel})
      if (detail::equal_ignoring_case(type, name_of(k))) e.append(" (types are case-sensitive: did you mean '").append(name_of(k)).append("'?)");
    return e;
  }
  if (auto e = detail::check_target_value(t.kind, value, text, at); e.code() != errc::ok) return e;
  t.value = value;
  return t;
}

/// errc::ok, or the first rule of §27 `request` breaks when received at `now_ms`: 1 to 100
/// valid, distinct targets; issuedBefore not after now_ms nor more than an hour before it.
[[nodiscard]] inline error validate(const revocation_request& request, std::int64_t now_ms) {
  const auto& ts = request.targets;
  if (ts.empty()) return detail::revocation_error().append("a revocation request needs at least one target");
  if (ts.size() > max_revocation_targets) {
    error e = detail::revocation_error();
    e.append("a revocation request has ").append_number(ts.size()).append(" targets, more than the limit of ");
    return e.append_number(max_revocation_targets).append(" (capmatch::max_revocation_targets)");
  }
  for (std::size_t i = 0; i < ts.size(); ++i) {
    if (auto e = detail::check_target_value(ts[i].kind, ts[i].value, ts[i].to_string(), no_offset);
        e.code() != errc::ok)
      return e;
    for (std::size_t j = 0; j < i; ++j)
      if (ts[j] == ts[i]) return detail::revocation_error().append("duplicate revocation target ").append_quoted(ts[i].to_string());
  }
  if (request.issued_before_ms) {
    const std::int64_t b = *request.issued_before_ms;
    auto number = [](error& e, std::int64_t v) -> error& {
      if (v < 0) e.append('-');
      return e.append_number(v < 0 ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v));
    };
    if (b > now_ms) {
      error e = detail::revocation_error();
      number(e.append("issuedBefore "), b).append(" is in the future (now is ");
      return number(e, now_ms).append(")");
    }
    if (b < now_ms - max_issued_before_age_ms) {
      error e = detail::revocation_error();
      number(e.append("issuedBefore "), b).append(" is more than an hour before now (");
      return number(e, now_ms).append("); the earliest accepted is ").append_number(
          static_cast<std::uint64_t>(now_ms - max_issued_before_age_ms < 0 ? 0 : now_ms - max_issued_before_age_ms));
    }
  }
  return error{};
}

/// A validated request from target texts (`clientId:bob`, ...), checked against `now_ms`.
[[nodiscard]] inline result<revocation_request> make_revocation_request(
    std::span<const std::string_view> targets, std::int64_t now_ms,
    std::optional<std::int64_t> issued_before_ms = std::nullopt, bool allow_reauth_margin = false) {
  revocation_request req;
  req.issued_before_ms = issued_before_ms;
  req.allow_reauth_margin = allow_reauth_margin;
  if (targets.size() > max_revocation_targets) {  // say so before parsing what would be dropped anyway
    error e = detail::revocation_error();
    e.append("a revocation request has ").append_number(targets.size()).append(" targets, more than the limit of ");
    return e.append_number(max_revocation_targets).append(" (capmatch::max_revocation_targets)");
  }
  req.targets.reserve(targets.size());
  for (std::string_view t : targets) {
    auto r = parse_revocation_target(t);
    if (!r) return r.error();
    req.targets.push_back(std::move(*r));
  }
  if (auto e = validate(req, now_ms); e.code() != errc::ok) return e;
  return req;
}
/// make_revocation_request over a braced list of target texts.
[[nodiscard]] inline result<revocation_request> make_revocation_request(
    std::initializer_list<std::string_view> targets, std::int64_t now_ms,
    std::optional<std::int64_t> issued_before_ms = std::nullopt, bool allow_reauth_margin = false) {
  return make_revocation_request(std::span<const std::string_view>(targets.begin(), targets.size()), now_ms,
                                 issued_before_ms, allow_reauth_margin);
}

/// The JSON body `{"targets":[...],"issuedBefore":N,"allowReauthMargin":true}`; issuedBefore only
/// when set, allowReauthMargin only when true; no whitespace, strings escaped as §1.5.
[[nodiscard]] inline std::string to_json(const revocation_request& request) {
  std::vector<char> out;
  const std::string_view head = "{\"targets\":[";
  out.insert(out.end(), head.begin(), head.end());
  for (std::size_t i = 0; i < request.targets.size(); ++i) {
    if (i != 0) out.push_back(',');
    detail::write_json_string(request.targets[i].to_string(), out);
  }
  out.push_back(']');
  std::string s(out.begin(), out.end());
  if (request.issued_before_ms) s.append(",\"issuedBefore\":").append(std::to_string(*request.issued_before_ms));
  if (request.allow_reauth_margin) s.append(",\"allowReauthMargin\":true");
  return s.append(1, '}');
}

/// The request path `/keys/{keyName}/revokeTokens` (a key name needs no percent-encoding).
[[nodiscard]] inline std::string revoke_tokens_path(const api_key& key) {
  return std::string("/keys/").append(key.name()).append("/revokeTokens");
}

/// The `Authorization` header value `Basic base64(keyName:secret)`. It holds the secret: send
/// it over TLS and never log it.
[[nodiscard]] inline std::string basic_authorization(const api_key& key) {
  std::string credentials(key.name());
  credentials.append(1, ':').append(key.reveal_secret());
  std::string header = "Basic " + crypto::base64_encode(credentials);
  for (char& c : credentials) c = '\0';  // best effort: do not leave a copy of the secret behind
  return header;
}

namespace detail {
/// "number with a leading zero" when `e` (from json_object) stopped at the digit after a number's
/// leading '0' (json_object reads "01" as 0 and then a stray '1'); else `e` unchanged.
[[nodiscard]] inline error name_leading_zero(std::string_view body, error e) {
  const std::uint32_t p = e.has_offset() ? e.offset() : 0;
  if (e.code() != errc::invalid_json || p < 1 || p >= body.size() || body[p] < '0' || body[p] > '9' || body[p - 1] != '0')
    return e;
  std::uint32_t start = p - 1;
  if (start > 0 && body[start - 1] == '-') --start;
  const char before = start > 0 ? body[start - 1] : ' ';
  if (before != ':' && before != ',' && before != '[' && before != ' ' && before != '\t' && before != '\n' && before != '\r')
    return e;
  error z(errc::invalid_json, start);
  return z.append("number with a leading zero").append_at();
}

/// The request's `targets` array (the raw value at `at`, already read as valid JSON): 1..100
/// distinct target strings, each checked by parse_revocation_target; offsets are in `body`.
[[nodiscard]] inline error read_revocation_targets(std::string_view body, std::uint32_t at,
                                                   std::vector<revocation_target>& out) {
  json_reader r(body);
  r.skip(at);
  if (r.peek() != '[') {
    error e = revocation_error(at);
    e.append("targets").append_at().append(" must be an array of strings");
    if (r.value_kind() != error_hint::none) e.append(", not ").append(r.hint_text(r.value_kind()));
    return e;
  }
  r.skip(1);
  r.skip_ws();
  if (r.peek() == ']') return {};
  std::vector<char> buf;
  error err;
  for (;;) {
    r.skip_ws();
    const auto t_at = static_cast<std::uint32_t>(r.pos());
    if (r.peek() != '"') {
      error e = revocation_error(t_at);
      e.append("a target").append_at().append(" must be a string");
      if (r.value_kind() != error_hint::none) e.append(", not ").append(r.hint_text(r.value_kind()));
      return e;
    }
    if (out.size() == max_revocation_targets) {
      error e = revocation_error(t_at);
      e.append("more than ").append_number(max_revocation_targets).append(" targets").append_at();
      return e.append(" (capmatch::max_revocation_targets)");
    }
    buf.clear();
    if (!r.read_string(buf, err)) return err;
    auto t = parse_revocation_target(std::string_view(buf.data(), buf.size()), t_at);
    if (!t) return t.error();
    for (const auto& prev : out)
      if (prev == *t) {
        error e = revocation_error(t_at);
        return e.append("duplicate revocation target ").append_quoted(t->to_string()).append_at();
      }
    out.push_back(std::move(*t));
    if (!r.expect(',', error_hint::none, err)) return {};  // the array is valid JSON: ']' ends it
  }
}

/// `issuedBefore` from its member `m` (raw text at m.raw_offset): a non-negative integer of at most
/// 16 digits.
[[nodiscard]] inline error read_issued_before(std::string_view body, const json_object::member& m, std::int64_t& out) {
  const std::string_view raw = body.substr(m.raw_offset, m.raw_size);
  error e = revocation_error(m.raw_offset);
  e.append("issuedBefore").append_at();
  if (m.kind != json_type::number || raw[0] == '-') {
    e.append(" must be a non-negative integer (milliseconds since the epoch)");
    if (raw[0] == '-') return e.append(", not a negative number");
    json_reader r(raw);
    return e.append(", not ").append(r.hint_text(r.value_kind()));
  }
  std::size_t digits = 0;
  while (digits < raw.size() && raw[digits] >= '0' && raw[digits] <= '9') ++digits;
  if (digits > 16) return e.append(" is too large (more than 16 digits)");
  if (!m.integer) return e.append(" must be an integer number of milliseconds");
  out = m.int_value;
  return {};
}
}  // namespace detail

/// Parses and validates a revocation request body received at `now_ms`: one JSON object with
/// `targets` (array of 1..100 target strings, required), `issuedBefore` (non-negative integer
/// milliseconds) and `allowReauthMargin` (boolean); any other member, a duplicate member, or
/// anything after the object is an error (errc::invalid_json or invalid_revocation_request, 40000).
/// The object is read by detail::json_object (nested values kept raw); only the members are
/// checked here.
[[nodiscard]] inline result<revocation_request> parse_revocation_request(std::string_view body, std::int64_t now_ms) {
  if (body.size() > max_revocation_body_bytes) {
    error e(errc::limit_exceeded, no_offset);
    e.append("revocation request body of ").append_number(body.size()).append(" bytes exceeds the limit of ");
    return e.append_number(max_revocation_body_bytes).append(" bytes (capmatch::max_revocation_body_bytes)");
  }
  if (body.empty()) return error(errc::empty_input, 0, "empty revocation request body; expected {\"targets\":[...]}");
  {
    detail::json_reader r(body);
    error err;
    if (!r.expect('{', "a JSON object such as {\"targets\":[\"clientId:bob\"]}", err)) return err;
  }
  detail::json_object_limits lim;
  lim.max_bytes = max_revocation_body_bytes;
  // Policy (docs/revocation.md): three members are valid and any other is an error, so more
  // than 16 are refused while reading instead of reading up to 256 KiB of them first.
  lim.max_members = 16;
  auto obj = detail::json_object::parse(body, lim);
  if (!obj) return detail::name_leading_zero(body, obj.error());
  revocation_request req;
  bool has_targets = false;
  for (std::size_t i = 0; i < obj->size(); ++i) {
    const std::string_view name = obj->key(i);
    const auto& m = obj->at(i);
    if (name == "targets") {
      if (error e = detail::read_revocation_targets(body, m.raw_offset, req.targets); e.code() != errc::ok) return e;
      has_targets = true;
    } else if (name == "issuedBefore") {
      std::int64_t v = 0;
      if (error e = detail::read_issued_before(body, m, v); e.code() != errc::ok) return e;
      req.issued_before_ms = v;
    } else if (name == "allowReauthMargin") {
      if (m.kind != detail::json_type::boolean) {
        error e = detail::revocation_error(m.raw_offset);
        e.append("allowReauthMargin").append_at().append(" must be true or false, not ");
        detail::json_reader r(obj->raw(i));
        return e.append(r.hint_text(r.value_kind()));
      }
      req.allow_reauth_margin = obj->raw(i) == "true";
    } else {
      error e = detail::revocation_error(m.key_at);
      e.append("unknown member ").append_quoted(name).append_at();
      return e.append("; a revocation request has targets, issuedBefore and allowReauthMargin");
    }
  }
  if (!has_targets) return detail::revocation_error().append("a revocation request needs a targets member");
  if (auto e = validate(req, now_ms); e.code() != errc::ok) return e;
  return req;
}

/// The issue time in milliseconds a revocation check uses for a token whose `iat` is in seconds
/// (a JWT's): the start of that second, so a token issued in the same second as a revocation's
/// issuedBefore is revoked unless issuedBefore is that second's first millisecond
/// (docs/semantics.md §27). Saturates instead of overflowing.
[[nodiscard]] constexpr std::int64_t revocation_issued_at_ms(std::int64_t iat_seconds) noexcept {
  constexpr std::int64_t limit = INT64_MAX / 1000;
  if (iat_seconds > limit) return INT64_MAX;
  if (iat_seconds < -limit) return INT64_MIN;
  return iat_seconds * 1000;
}

/// The facts about a token a revocation check needs (all plain values, whatever verified them).
struct revocation_subject {
  std::string_view client_id;       // empty: the token has no clientId
  std::string_view revocation_key;  // empty: no x-ably-revocation-key
  const capability* cap = nullptr;  // its resources are compared verbatim; null: none
  std::int64_t issued_at_ms = 0;    // a JWT's iat: revocation_issued_at_ms(iat)
};

namespace detail {
/// 64-bit hash of a revocation fact (kind, value): two lanes of 8 bytes a step (multiply-
/// xorshift), joined by a splitmix64 finish. Unseeded, so that a token's facts can be hashed once
/// for any list; a table compares the full hash and then the text, so collisions cost time only.
[[nodiscard]] inline std::uint64_t revocation_hash(revocation_target_kind kind, std::string_view v) noexcept {
  constexpr std::uint64_t m1 = 0x9E3779B97F4A7C15ull, m2 = 0xC2B2AE3D27D4EB4Full;
  std::uint64_t a = (static_cast<std::uint64_t>(kind) + 1) * 0xD6E8FEB86659FD93ull ^ v.size() * m1;
  std::uint64_t b = a ^ 0x165667B19E3779F9ull;
  std::size_t i = 0;
  for (; i + 16 <= v.size(); i += 16) {
    std::uint64_t w0, w1;
    std::memcpy(&w0, v.data() + i, 8);
    std::memcpy(&w1, v.data() + i + 8, 8);
    a = (a ^ w0) * m1;
    b = (b ^ w1) * m2;
    a ^= a >> 29;
    b ^= b >> 31;
  }
  if (i + 8 <= v.size()) {
    std::uint64_t w;
    std::memcpy(&w, v.data() + i, 8);
    a = (a ^ w) * m1;
    a ^= a >> 29;
    i += 8;
  }
  if (i < v.size()) {  // 1 to 7 bytes left: the last 8 bytes (overlapping), or each byte of a short value
    std::uint64_t w = 0;
    if (v.size() >= 8) std::memcpy(&w, v.data() + v.size() - 8, 8);
    else
      for (std::size_t k = i; k < v.size(); ++k) w = w << 8 | static_cast<unsigned char>(v[k]);
    b = (b ^ w) * m2;
    b ^= b >> 31;
  }
  std::uint64_t h = a ^ (b << 23 | b >> 41);
  h ^= h >> 30, h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 27, h *= 0x94D049BB133111EBull;
  return h ^ (h >> 31);
}

/// One fact of a token with its hash.
struct revocation_fact {
  std::uint64_t hash = 0;
  std::string_view value;
  revocation_target_kind kind = revocation_target_kind::client_id;
};
}  // namespace detail

/// A revocation_subject with the hash of each fact computed once (a verifier prepares a token
/// when it verifies it, then checks it as often as it likes). Holds views: the strings and the
/// capability of the subject must outlive it.
class prepared_revocation_subject {
 public:
  prepared_revocation_subject() = default;
  /// Hashes the clientId, the revocation key and every resource of the capability.
  explicit prepared_revocation_subject(const revocation_subject& s) : subject_(s) {
    const std::size_t n = s.cap != nullptr ? s.cap->size() : 0;
    facts_.reserve(2 + n);
    auto add = [&](revocation_target_kind k, std::string_view v) {
      facts_.push_back(detail::revocation_fact{detail::revocation_hash(k, v), v, k});
    };
    if (!s.client_id.empty()) add(revocation_target_kind::client_id, s.client_id);
    if (!s.revocation_key.empty()) add(revocation_target_kind::revocation_key, s.revocation_key);
    first_channel_ = facts_.size();
    for (std::size_t i = 0; i < n; ++i) add(revocation_target_kind::channel, s.cap->resource(i));
  }
  /// The subject it was prepared from.
  [[nodiscard]] const revocation_subject& subject() const noexcept { return subject_; }
  /// Facts in check order: clientId, revocation key, then the resources.
  [[nodiscard]] std::span<const detail::revocation_fact> facts() const noexcept { return facts_; }
  /// Index in facts() of the first resource.
  [[nodiscard]] std::size_t first_channel() const noexcept { return first_channel_; }

 private:
  revocation_subject subject_;
  std::vector<detail::revocation_fact> facts_;
  std::size_t first_channel_ = 0;
};

/// Where revocations are kept: the in-memory revocation_list, or another store (Redis, ...).
/// A store that cannot answer (a shared store unreachable) returns errc::store_unavailable
/// (50003) from check and revoke: neither "revoked" nor "not revoked", so callers fail closed.
class revocation_store {
 public:
  revocation_store() = default;
  revocation_store(const revocation_store&) = delete;
  revocation_store& operator=(const revocation_store&) = delete;
  virtual ~revocation_store() = default;

  /// Records a request received at `now_ms` (validated again first); errc::ok or the error.
  [[nodiscard]] virtual error revoke(const revocation_request& request, std::int64_t now_ms) = 0;
  /// errc::ok; errc::token_revoked (40141) naming a target that revokes `token` at `now_ms`;
  /// or errc::store_unavailable (50003) when the store cannot tell.
  [[nodiscard]] virtual error check(const revocation_subject& token, std::int64_t now_ms) const = 0;
  /// check() for a prepared token (the in-memory list skips hashing; others check its subject).
  [[nodiscard]] virtual error check(const prepared_revocation_subject& token, std::int64_t now_ms) const {
    return check(token.subject(), now_ms);
  }
  /// Drops every entry no unexpired token can match any more; returns how many targets went.
  virtual std::size_t expire(std::int64_t now_ms) = 0;

  /// check() from the token's clientId, revocation key, capability and issue time.
  [[nodiscard]] error check(std::string_view client_id, std::string_view revocation_key, const capability& cap,
                            std::int64_t issued_at_ms, std::int64_t now_ms) const {
    return check(revocation_subject{client_id, revocation_key, &cap, issued_at_ms}, now_ms);
  }
  /// True when check() would return errc::token_revoked (false also when the store cannot tell:
  /// use check() where that matters).
  [[nodiscard]] bool is_revoked(const revocation_subject& token, std::int64_t now_ms) const {
    return check(token, now_ms).code() == errc::token_revoked;
  }
};

/// A revocation request with the time it was received (for revocation_list::revoke of many).
struct received_revocation_request {
  revocation_request request;
  std::int64_t received_ms = 0;
};

/// Settings of a revocation_list.
struct revocation_list_options {
  /// Longest lifetime of any token checked against the list (24 h; 1 h when only revocable
  /// tokens are checked). An entry whose issuedBefore is this long ago can match no live token.
  std::int64_t max_token_lifetime_ms = default_max_token_lifetime_ms;
  /// Most targets held at once; a revoke() that would exceed it fails (errc::limit_exceeded).
  std::size_t max_targets = 1'000'000;
};

/// An in-memory revocation store. A check costs one probe of a flat open-addressing table per
/// fact of the token (its clientId, its revocation key, each resource of its capability; a
/// channel target matches a resource string only verbatim: no wildcard reasoning), skipped for
/// a kind the list holds no target of; slots carry the full 64-bit hash, so a miss usually reads
/// one slot and no key text. A prepared_revocation_subject brings its hashes along.
///
/// Readers take no lock: updates build a new immutable snapshot of the table and publish it
/// (a version number and a shared_ptr); each reader thread keeps the snapshot it last used per
/// list (a small thread-local cache) and re-reads the published one only when the version has
/// changed. A check therefore costs one atomic load beyond the probes. Updates are serialised
/// and cost O(targets held) (the snapshot copy). Memory: the current snapshot, the writer's
/// copy, and at most one older snapshot per reader thread per cache way until that thread
/// checks again (readers_cache_ways).
class revocation_list final : public revocation_store {
 public:
  /// Lists a thread's snapshot cache tells apart at once (more lists share ways and re-read).
  static constexpr std::size_t readers_cache_ways = 4;

  explicit revocation_list(revocation_list_options options = {}) : options_(options) {
    static std::atomic<std::uint64_t> next_id{1};
    id_ = next_id.fetch_add(1, std::memory_order_relaxed);
    published_ = std::make_shared<const table>();
  }

  [[nodiscard]] error revoke(const revocation_request& request, std::int64_t now_ms) override {
    if (auto e = validate(request, now_ms); e.code() != errc::ok) return e;
    const std::lock_guard lock(write_mutex_);
    const auto [e, changed] = apply(request, now_ms);
    if (changed) publish();
    return e;
  }
  /// revoke() for each request at the time it was received, publishing one snapshot at the end
  /// (an update copies the list: replaying many requests costs one copy, not one per request).
  /// Returns the first error; the other requests are recorded all the same.
  [[nodiscard]] error revoke(std::span<const received_revocation_request> requests) {
    error first;
    const std::lock_guard lock(write_mutex_);
    bool changed = false;
    for (const auto& r : requests) {
      error e = validate(r.request, r.received_ms);
      if (e.code() == errc::ok) {
        const auto [applied, c] = apply(r.request, r.received_ms);
        e = applied;
        changed = changed || c;
      }
      if (e.code() != errc::ok && first.code() == errc::ok) first = e;
    }
    if (changed) publish();
    return first;
  }

  [[nodiscard]] error check(const revocation_subject& token, std::int64_t now_ms) const override {
    const table& t = current();
    if (t.entries.empty()) return error{};
    const hit h = first_hit(t, token, now_ms);
    return h.entry == nullptr ? error{} : revoked_error(t, h);
  }
  [[nodiscard]] error check(const prepared_revocation_subject& token, std::int64_t now_ms) const override {
    const table& t = current();
    if (t.entries.empty()) return error{};
    const hit h = first_hit(t, token, now_ms);
    return h.entry == nullptr ? error{} : revoked_error(t, h);
  }
  using revocation_store::check;

  /// True when check(token) would return errc::token_revoked; builds no message.
  [[nodiscard]] bool is_revoked(const prepared_revocation_subject& token, std::int64_t now_ms) const {
    const table& t = current();
    return !t.entries.empty() && first_hit(t, token, now_ms).entry != nullptr;
  }
  /// True when check(token) would return errc::token_revoked; builds no message.
  [[nodiscard]] bool is_revoked(const revocation_subject& token, std::int64_t now_ms) const {
    const table& t = current();
    return !t.entries.empty() && first_hit(t, token, now_ms).entry != nullptr;
  }

  std::size_t expire(std::int64_t now_ms) override {
    const std::lock_guard lock(write_mutex_);
    const std::size_t dropped = sweep(now_ms, 0);
    if (dropped != 0) publish();
    return dropped;
  }

  /// Number of distinct targets held.
  [[nodiscard]] std::size_t size() const { return current().entries.size(); }
  /// Number of windows (issuedBefore, enforcement time) held over all targets: a check scans
  /// those of the targets its token names (docs/revocation.md, "Several requests for one target").
  [[nodiscard]] std::size_t window_count() const { return current().windows.size(); }
  [[nodiscard]] const revocation_list_options& options() const noexcept { return options_; }

 private:
  // Tokens issued before `issued_before` are revoked from `enforce_from` on.
  struct window {
    std::int64_t issued_before, enforce_from;
  };
  struct record {
    std::string value;
    std::uint64_t hash;
    revocation_target_kind kind;
    std::vector<window> windows;
  };
  struct slot {
    std::uint64_t hash = 0;
    std::uint32_t index = 0;  // record index + 1; 0: empty
  };
  // The immutable snapshot readers use: the writer's slots verbatim, every record flattened
  // (its text in one pool, its windows in one array), and how many targets of each kind.
  struct table {
    struct entry {
      std::uint32_t text_begin, text_size, window_begin, window_count;
      revocation_target_kind kind;
    };
    std::vector<slot> slots;
    std::vector<entry> entries;
    std::vector<char> text;
    std::vector<window> windows;
    std::size_t kinds[3] = {0, 0, 0};
    std::int64_t latest = INT64_MIN;  // the latest receipt time recorded: checks are judged at or after it

    [[nodiscard]] std::string_view text_of(const entry& e) const noexcept {
      return std::string_view(text.data() + e.text_begin, e.text_size);
    }
    // The entry for (kind, value) with hash h, or nullptr.
    [[nodiscard]] const entry* find(revocation_target_kind kind, std::string_view value, std::uint64_t h) const noexcept {
      const std::size_t mask = slots.size() - 1;
      for (std::size_t i = static_cast<std::size_t>(h) & mask;; i = (i + 1) & mask) {
        const slot& s = slots[i];
        if (s.index == 0) return nullptr;
        if (s.hash == h) {
          const entry& e = entries[s.index - 1];
          if (e.kind == kind && text_of(e) == value) return &e;
        }
      }
    }
  };
  struct hit {
    const typename table::entry* entry = nullptr;
    const window* w = nullptr;
  };
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  // Records a validated request in the writer's copy (the caller holds write_mutex_); returns
  // the error and whether the copy changed (then the caller publishes).
  [[nodiscard]] std::pair<error, bool> apply(const revocation_request& request, std::int64_t now_ms) {
    const window w{request.issued_before_ms.value_or(now_ms),
                   now_ms + (request.allow_reauth_margin ? reauth_margin_ms : 0)};
    const std::int64_t life = options_.max_token_lifetime_ms;
    bool changed = false;
    if (now_ms >= next_sweep_) changed = sweep(now_ms, life / 64) != 0;
    if (w.issued_before + life <= now_ms) return {error{}, changed};  // matches no live token
    std::size_t fresh = 0;
    for (const auto& t : request.targets)
      fresh += find(t.kind, t.value, detail::revocation_hash(t.kind, t.value)) == npos;
    if (records_.size() + fresh > options_.max_targets) {
      error e(errc::limit_exceeded, no_offset);
      e.append("the revocation list would hold ").append_number(records_.size() + fresh).append(" targets, more than its limit of ");
      return {e.append_number(options_.max_targets).append(" (revocation_list_options::max_targets)"), changed};
    }
    if (now_ms > latest_) latest_ = now_ms;
    for (const auto& t : request.targets) {
      const std::uint64_t h = detail::revocation_hash(t.kind, t.value);
      std::size_t i = find(t.kind, t.value, h);
      if (i == npos) {
        if ((records_.size() + 1) * 2 > slots_.size()) rehash(slots_.empty() ? 16 : slots_.size() * 2);
        i = records_.size();
        records_.push_back(record{t.value, h, t.kind, {}});
        place(h, i);
      }
      add_window(records_[i].windows, w, latest_);
    }
    if (w.issued_before < oldest_) oldest_ = w.issued_before;
    const std::int64_t due = oldest_ + life + life / 64;
    if (due < next_sweep_) next_sweep_ = due;
    return {error{}, true};
  }

  // The window of entry e that revokes a token issued at `issued` at now_ms, or nullptr.
  [[nodiscard]] static const window* revoking(const table& t, const typename table::entry& e, std::int64_t issued,
                                              std::int64_t now_ms) noexcept {
    for (std::uint32_t k = 0; k < e.window_count; ++k) {
      const window& w = t.windows[e.window_begin + k];
      if (issued < w.issued_before && now_ms >= w.enforce_from) return &w;
    }
    return nullptr;
  }
  // The time a check at now_ms is judged at: never before the latest receipt recorded, so time
  // does not go back for the list (docs/revocation.md, "Several requests for one target").
  [[nodiscard]] static constexpr std::int64_t at_or_after_latest(const table& t, std::int64_t now_ms) noexcept {
    return now_ms < t.latest ? t.latest : now_ms;
  }
  // Probes one fact; fills `out` and returns true on a revoking hit.
  [[nodiscard]] static bool probe(const table& t, revocation_target_kind kind, std::string_view value, std::uint64_t h,
                                  std::int64_t issued, std::int64_t now_ms, hit& out) noexcept {
    const auto* e = t.find(kind, value, h);
    if (e == nullptr) return false;
    const window* w = revoking(t, *e, issued, now_ms);
    if (w == nullptr) return false;
    out = hit{e, w};
    return true;
  }
  [[nodiscard]] static hit first_hit(const table& t, const prepared_revocation_subject& token, std::int64_t now_ms) noexcept {
    hit h;
    const auto facts = token.facts();
    const std::int64_t issued = token.subject().issued_at_ms;
    now_ms = at_or_after_latest(t, now_ms);
    const std::size_t end = t.kinds[static_cast<int>(revocation_target_kind::channel)] != 0 ? facts.size()
                                                                                           : token.first_channel();
    for (std::size_t i = 0; i < end; ++i) {
      const auto& f = facts[i];
      if (t.kinds[static_cast<int>(f.kind)] != 0 && probe(t, f.kind, f.value, f.hash, issued, now_ms, h)) return h;
    }
    return h;
  }
  [[nodiscard]] static hit first_hit(const table& t, const revocation_subject& token, std::int64_t now_ms) noexcept {
    hit h;
    now_ms = at_or_after_latest(t, now_ms);
    auto one = [&](revocation_target_kind k, std::string_view v) {
      return !v.empty() && t.kinds[static_cast<int>(k)] != 0 &&
             probe(t, k, v, detail::revocation_hash(k, v), token.issued_at_ms, now_ms, h);
    };
    if (one(revocation_target_kind::client_id, token.client_id)) return h;
    if (one(revocation_target_kind::revocation_key, token.revocation_key)) return h;
    if (token.cap != nullptr && t.kinds[static_cast<int>(revocation_target_kind::channel)] != 0)
      for (std::size_t i = 0; i < token.cap->size(); ++i)
        if (one(revocation_target_kind::channel, token.cap->resource(i))) return h;
    return h;
  }
  [[nodiscard]] static error revoked_error(const table& t, const hit& h) {
    error e(errc::token_revoked, no_offset);
    e.append("token revoked: target ").append_quoted(std::string(name_of(h.entry->kind)).append(1, ':').append(t.text_of(*h.entry)));
    e.append(" covers tokens issued before ").append_number(static_cast<std::uint64_t>(h.w->issued_before < 0 ? 0 : h.w->issued_before));
    return e.append("; obtain a new token");
  }

  // The published snapshot, through this thread's cache: one atomic load when nothing changed.
  [[nodiscard]] const table& current() const {
    struct way {
      std::uint64_t list = 0, version = 0;
      std::shared_ptr<const table> snapshot;
    };
    static thread_local way cache[readers_cache_ways];
    way& c = cache[id_ % readers_cache_ways];
    const std::uint64_t v = version_.load(std::memory_order_acquire);
    if (c.list != id_ || c.version != v) {
      const std::lock_guard lock(publish_mutex_);
      c.list = id_;
      c.version = version_.load(std::memory_order_relaxed);
      c.snapshot = published_;
    }
    return *c.snapshot;
  }

  // Flattens the writer's records into a new snapshot and publishes it; the caller holds write_mutex_.
  void publish() {
    auto t = std::make_shared<table>();
    t->slots = slots_;
    t->entries.reserve(records_.size());
    t->latest = latest_;
    std::size_t text = 0, windows = 0;
    for (const auto& r : records_) text += r.value.size(), windows += r.windows.size();
    t->text.reserve(text);
    t->windows.reserve(windows);
    for (const auto& r : records_) {
      t->entries.push_back(typename table::entry{static_cast<std::uint32_t>(t->text.size()),
                                                 static_cast<std::uint32_t>(r.value.size()),
                                                 static_cast<std::uint32_t>(t->windows.size()),
                                                 static_cast<std::uint32_t>(r.windows.size()), r.kind});
      t->text.insert(t->text.end(), r.value.begin(), r.value.end());
      t->windows.insert(t->windows.end(), r.windows.begin(), r.windows.end());
      ++t->kinds[static_cast<int>(r.kind)];
    }
    std::shared_ptr<const table> old;
    {
      const std::lock_guard lock(publish_mutex_);
      old = std::exchange(published_, std::shared_ptr<const table>(std::move(t)));
      version_.fetch_add(1, std::memory_order_release);
    }
    // `old` is freed here unless a reader's cache still holds it.
  }

  [[nodiscard]] std::size_t find(revocation_target_kind kind, std::string_view v, std::uint64_t h) const noexcept {
    if (slots_.empty()) return npos;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = static_cast<std::size_t>(h) & mask;; i = (i + 1) & mask) {
      const slot& s = slots_[i];
      if (s.index == 0) return npos;
      if (s.hash == h) {
        const record& r = records_[s.index - 1];
        if (r.kind == kind && r.value == v) return s.index - 1;
      }
    }
  }
  void place(std::uint64_t h, std::size_t index) noexcept {
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = static_cast<std::size_t>(h) & mask;
    while (slots_[i].index != 0) i = (i + 1) & mask;
    slots_[i] = slot{h, static_cast<std::uint32_t>(index + 1)};
  }
  // Rebuilds the slots for `capacity` (a power of two, at least twice the records).
  void rehash(std::size_t capacity) {
    slots_.assign(capacity, slot{});
    for (std::size_t i = 0; i < records_.size(); ++i) place(records_[i].hash, i);
  }

  // Adds w to a target's windows and keeps only those no other window makes redundant, given that
  // every check from now on is judged at `latest` or later: a window with a later or equal
  // issuedBefore and an earlier or equal start revokes everything another one does, and so does
  // the in-force window (start <= latest) with the latest issuedBefore for every window whose
  // issuedBefore is not later. What remains: one in-force window, and pending ones (started by
  // allowReauthMargin, at most 30 s ahead) with later issuedBefores.
  static void add_window(std::vector<window>& ws, window w, std::int64_t latest) {
    auto dominates = [](const window& a, const window& b) {
      return a.issued_before >= b.issued_before && a.enforce_from <= b.enforce_from;
    };
    if (std::none_of(ws.begin(), ws.end(), [&](const window& o) { return dominates(o, w); })) {
      std::erase_if(ws, [&](const window& o) { return dominates(w, o); });
      ws.push_back(w);
    }
    const window* in_force = nullptr;
    for (const auto& o : ws)
      if (o.enforce_from <= latest && (in_force == nullptr || o.issued_before > in_force->issued_before)) in_force = &o;
    if (in_force == nullptr) return;
    const window keep = *in_force;
    std::erase_if(ws, [&](const window& o) { return o.issued_before <= keep.issued_before; });
    ws.insert(ws.begin(), keep);
  }

  // Drops windows whose tokens have all expired by now_ms - slack, then targets left with none,
  // and rebuilds the table at a size fitting what remains; the caller holds write_mutex_ and
  // publishes when this returns non-zero.
  std::size_t sweep(std::int64_t now_ms, std::int64_t slack) {
    const std::int64_t life = options_.max_token_lifetime_ms;
    std::int64_t oldest = INT64_MAX;
    for (auto& r : records_) {
      std::erase_if(r.windows, [&](const window& w) { return w.issued_before + life <= now_ms - slack; });
      for (const auto& w : r.windows) oldest = w.issued_before < oldest ? w.issued_before : oldest;
    }
    const std::size_t dropped = std::erase_if(records_, [](const record& r) { return r.windows.empty(); });
    if (dropped != 0) {
      std::size_t capacity = 16;
      while (capacity < records_.size() * 2) capacity *= 2;
      if (records_.empty()) {
        std::vector<record>().swap(records_);
        std::vector<slot>().swap(slots_);
      } else {
        rehash(capacity);
      }
    }
    oldest_ = oldest;
    // Sweeps from revoke() wait until the oldest entry has expired by a slack of 1/64 of the
    // lifetime, so that steady traffic does not sweep on every revoke; expire() sweeps exactly.
    next_sweep_ = oldest == INT64_MAX ? INT64_MAX : oldest + life + life / 64;
    return dropped;
  }

  revocation_list_options options_;
  std::uint64_t id_ = 0;                    // never reused: keys the readers' caches
  std::mutex write_mutex_;                  // serialises updates
  mutable std::mutex publish_mutex_;        // guards published_ (held only to copy the pointer)
  std::atomic<std::uint64_t> version_{0};   // bumped on every publish
  std::shared_ptr<const table> published_;  // what readers use
  // The writer's copy (under write_mutex_).
  std::vector<record> records_;
  std::vector<slot> slots_;  // power-of-two size, at most half full, linear probing
  std::int64_t oldest_ = INT64_MAX;
  std::int64_t latest_ = INT64_MIN;  // the latest receipt time of a recorded request
  std::int64_t next_sweep_ = INT64_MAX;
};


CAPMATCH_NAMESPACE_END
