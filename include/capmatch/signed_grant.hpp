// capmatch — signed grants for incremental authorization (docs/semantics.md §28): the
// capabilities already granted to a client, kept by the client in a cookie, signed by the server.
// SPDX-License-Identifier: MIT
//
// Cookie format (every byte ASCII and cookie-safe: letters, digits, '-', '_', '.'):
//
//   g1.<keyId>.<expiresMs>.<capability>.<mac>
//
//   g1          the format version, 2 bytes
//   keyId       1..32 bytes of [A-Za-z0-9_-]: which server secret signed it (rotation)
//   expiresMs   expiry in milliseconds since the Unix epoch, decimal, 1..16 digits, no leading zero
//   capability  base64url (RFC 4648 §5, unpadded) of the canonical capability text (§1.5)
//   mac         base64url of HMAC-SHA256 (43 characters) keyed with the key's secret over
//               "capmatch-grant-v1\n" keyId "\n" expiresMs "\n" N "\n" clientId ":" capabilityText
//               where N is the clientId's length in bytes (decimal): the source document's
//               "<clientId>:<capabilities>" behind a header that binds the version, key id and
//               expiry and makes the split between clientId and capability unambiguous.
//
// The clientId is not in the cookie: the verifier supplies the one it authenticated, so a grant
// issued to one client fails verification for any other. At most max_grant_bytes (4096) bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "capability.hpp"
#include "crypto/base64.hpp"
#include "crypto/compare.hpp"
#include "crypto/hmac.hpp"
#include "error.hpp"
#include "union.hpp"
#include "version.hpp"

CAPMATCH_NAMESPACE_BEGIN

/// Largest grant cookie value, in bytes (the usual browser limit for one cookie).
inline constexpr std::size_t max_grant_bytes = 4096;
/// Longest key id, in bytes.
inline constexpr std::size_t max_grant_key_id_bytes = 32;
/// Shortest secret a grant key accepts, in bytes (256 bits).
inline constexpr std::size_t min_grant_secret_bytes = 32;
/// Most keys one grant_keyring holds.
inline constexpr std::size_t max_grant_keys = 16;
/// Longest clientId a grant binds, in bytes.
inline constexpr std::size_t max_grant_client_id_bytes = 1024;

/// The secrets that sign and verify grants, by key id. One of them signs new grants; all of them
/// verify, so a secret can be rotated: add the new key, sign with it, remove the old one once the
/// grants it signed have expired. Secrets never appear in any message.
class grant_keyring {
 public:
  /// Adds key `id` (1..32 of [A-Za-z0-9_-], unique) with `secret` (at least 32 bytes). The first
  /// key added signs until use_for_signing names another. Errors: errc::invalid_grant (40000).
  [[nodiscard]] error add(std::string_view id, std::string_view secret) {
    if (auto e = check_id(id); e.code() != errc::ok) return e;
    if (find(id) != nullptr) return error(errc::invalid_grant, no_offset).append("grant key id ").append_quoted(id).append(" is already in the keyring");
    if (secret.size() < min_grant_secret_bytes) {
      error e(errc::invalid_grant, no_offset);
      e.append("the secret of grant key ").append_quoted(id).append(" is shorter than ").append_number(min_grant_secret_bytes);
      return e.append(" bytes (capmatch::min_grant_secret_bytes); use 32 random bytes");
    }
    if (keys_.size() == max_grant_keys) {
      error e(errc::invalid_grant, no_offset);
      return e.append("a grant keyring holds at most ").append_number(max_grant_keys).append(" keys (capmatch::max_grant_keys)");
    }
    keys_.push_back(entry{std::string(id), crypto::hmac_sha256_key(secret)});
    return error{};
  }
  /// Makes key `id` the one that signs new grants.
  [[nodiscard]] error use_for_signing(std::string_view id) {
    for (std::size_t i = 0; i < keys_.size(); ++i)
      if (keys_[i].id == id) return signing_ = i, error{};
    return error(errc::invalid_grant, no_offset).append("no grant key ").append_quoted(id).append(" in the keyring");
  }
  /// Removes key `id`: grants it signed no longer verify. The signing key cannot be removed.
  [[nodiscard]] error remove(std::string_view id) {
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      if (keys_[i].id != id) continue;
      if (i == signing_) return error(errc::invalid_grant, no_offset).append("grant key ").append_quoted(id).append(" signs new grants; choose another with use_for_signing first");
      keys_.erase(keys_.begin() + static_cast<std::ptrdiff_t>(i));
      if (signing_ > i) --signing_;
      return error{};
    }
    return error(errc::invalid_grant, no_offset).append("no grant key ").append_quoted(id).append(" in the keyring");
  }
  [[nodiscard]] std::size_t size() const noexcept { return keys_.size(); }
  /// The id of the key that signs new grants (empty when the keyring is empty).
  [[nodiscard]] std::string_view signing_key_id() const noexcept {
    return keys_.empty() ? std::string_view() : std::string_view(keys_[signing_].id);
  }

  /// The HMAC key with id `id`, or nullptr (for issue/verify below).
  [[nodiscard]] const crypto::hmac_sha256_key* find(std::string_view id) const noexcept {
    for (const auto& k : keys_)
      if (k.id == id) return &k.key;
    return nullptr;
  }

 private:
  struct entry {
    std::string id;
    crypto::hmac_sha256_key key;
  };
  static error check_id(std::string_view id) {
    bool ok = !id.empty() && id.size() <= max_grant_key_id_bytes;
    for (char c : id)
      ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_');
    if (ok) return error{};
    error e(errc::invalid_grant, no_offset);
    return e.append("grant key id ").append_quoted(id).append(" must be 1 to 32 letters, digits, '-' or '_'");
  }

  std::vector<entry> keys_;
  std::size_t signing_ = 0;
};

/// What a verified grant says.
struct verified_grant {
  capability granted;      // canonical, as signed
  std::int64_t expires_ms = 0;
  std::string key_id;      // the key that signed it
};

/// A new grant cookie and what it grants.
struct issued_grant {
  std::string cookie;
  capability granted;
  std::int64_t expires_ms = 0;
};

namespace detail {

inline constexpr std::string_view grant_version = "g1";
inline constexpr std::string_view grant_domain = "capmatch-grant-v1\n";
inline constexpr std::int64_t grant_max_expiry = 9'999'999'999'999'999;  // 16 digits

/// errc::ok, or why `client_id` cannot be bound to a grant: empty, too long, not UTF-8, or a
/// control character (docs/semantics.md §19 Decision).
[[nodiscard]] inline error check_grant_client_id(std::string_view client_id) {
  error e(errc::invalid_grant, no_offset);
  if (client_id.empty()) return e.append("a grant needs a non-empty clientId (an anonymous grant could be used by anyone)");
  if (client_id.size() > max_grant_client_id_bytes) {
    e.append("clientId of ").append_number(client_id.size()).append(" bytes exceeds the limit of ");
    return e.append_number(max_grant_client_id_bytes).append(" bytes (capmatch::max_grant_client_id_bytes)");
  }
  for (std::size_t i = 0; i < client_id.size();) {
    const auto c = static_cast<unsigned char>(client_id[i]);
    const std::size_t len = utf8_length(client_id, i);
    if (len == 0) return e.append("clientId ").append_quoted(client_id).append(" is not valid UTF-8");
    if (c < 0x20 || c == 0x7F) return e.append("clientId ").append_quoted(client_id).append(" contains a control character");
    i += len;
  }
  return error{};
}

[[nodiscard]] inline std::string grant_decimal(std::uint64_t v) {
  char buf[20];
  std::size_t n = 0;
  do buf[n++] = static_cast<char>('0' + v % 10), v /= 10;
  while (v != 0);
  std::string s;
  while (n != 0) s.push_back(buf[--n]);
  return s;
}

/// The MAC of a grant: see the format at the top of this file.
[[nodiscard]] inline crypto::sha256_digest grant_mac(const crypto::hmac_sha256_key& key, std::string_view key_id,
                                                     std::string_view expires, std::string_view client_id,
                                                     std::string_view capability_text) noexcept {
  char len[20];
  std::size_t n = 0;
  std::size_t v = client_id.size();
  do len[n++] = static_cast<char>('0' + v % 10), v /= 10;
  while (v != 0);
  crypto::hmac_sha256 mac(key);
  mac.update(grant_domain).update(key_id).update("\n").update(expires).update("\n");
  while (n != 0) mac.update(std::string_view(&len[--n], 1));
  mac.update("\n").update(client_id).update(":").update(capability_text);
  return mac.finish();
}

/// Signs `cap` for `client_id` with the keyring's signing key, expiring at `expires_ms`.
[[nodiscard]] inline result<issued_grant> sign_grant(const grant_keyring& keys, std::string_view client_id,
                                                     capability cap, std::int64_t expires_ms) {
  const auto* key = keys.find(keys.signing_key_id());
  if (key == nullptr) return error(errc::invalid_grant, no_offset, "the grant keyring is empty; add a key first");
  const std::string text = cap.to_json();
  const std::string expires = grant_decimal(static_cast<std::uint64_t>(expires_ms));
  const std::string_view kid = keys.signing_key_id();
  const std::size_t size = grant_version.size() + 1 + kid.size() + 1 + expires.size() + 1 +
                           crypto::base64_encoded_size(text.size(), crypto::base64_alphabet::url) + 1 + 43;
  if (size > max_grant_bytes) {
    error e(errc::invalid_grant, no_offset);
    e.append("the grant would be ").append_number(size).append(" bytes, more than the limit of ");
    return e.append_number(max_grant_bytes).append(" (capmatch::max_grant_bytes); grant fewer or shorter resources");
  }
  const auto mac = grant_mac(*key, kid, expires, client_id, text);
  std::string cookie;
  cookie.reserve(size);
  cookie.append(grant_version).append(1, '.').append(kid).append(1, '.').append(expires).append(1, '.');
  cookie.append(crypto::base64url_encode(text)).append(1, '.');
  cookie.append(crypto::base64url_encode(std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size())));
  return issued_grant{std::move(cookie), std::move(cap), expires_ms};
}

[[nodiscard]] inline error check_grant_times(std::int64_t now_ms, std::int64_t ttl_ms, std::int64_t& expires_ms) {
  if (ttl_ms <= 0) {
    error e(errc::invalid_grant, no_offset);
    return e.append("a grant's ttl must be a positive number of milliseconds");
  }
  if (now_ms < 0 || now_ms > grant_max_expiry - ttl_ms) {
    error e(errc::invalid_grant, no_offset);
    return e.append("a grant's expiry (now + ttl) must lie between 0 and 9999999999999999 ms since the epoch");
  }
  expires_ms = now_ms + ttl_ms;
  return error{};
}

}  // namespace detail

/// A grant cookie for `client_id` holding `cap`, expiring ttl_ms after now_ms, signed with the
/// keyring's signing key. Errors (errc::invalid_grant, 40000): empty keyring, unusable clientId,
/// ttl not positive, or a cookie over max_grant_bytes.
[[nodiscard]] inline result<issued_grant> issue_grant(const grant_keyring& keys, std::string_view client_id,
                                                      const capability& cap, std::int64_t now_ms, std::int64_t ttl_ms) {
  if (auto e = detail::check_grant_client_id(client_id); e.code() != errc::ok) return e;
  std::int64_t expires = 0;
  if (auto e = detail::check_grant_times(now_ms, ttl_ms, expires); e.code() != errc::ok) return e;
  return detail::sign_grant(keys, client_id, cap, expires);
}

/// Verifies `cookie` for `client_id` at now_ms: size, format, known key id, MAC (constant time),
/// then expiry, then the capability it carries. Errors: errc::invalid_grant (40000) for a
/// malformed or oversized cookie; errc::grant_rejected (40101) for an unknown key id or a MAC
/// that does not verify (tampered, or issued to another clientId); errc::grant_expired (40101).
[[nodiscard]] inline result<verified_grant> verify_grant(const grant_keyring& keys, std::string_view cookie,
                                                         std::string_view client_id, std::int64_t now_ms) {
  if (cookie.size() > max_grant_bytes) {
    error e(errc::invalid_grant, no_offset);
    e.append("grant of ").append_number(cookie.size()).append(" bytes exceeds the limit of ");
    return e.append_number(max_grant_bytes).append(" bytes (capmatch::max_grant_bytes)");
  }
  if (auto e = detail::check_grant_client_id(client_id); e.code() != errc::ok) return e;
  std::string_view part[5];
  std::size_t parts = 0, from = 0;
  for (std::size_t i = 0; i <= cookie.size(); ++i) {
    if (i != cookie.size() && cookie[i] != '.') continue;
    if (parts == 5) { parts = 6; break; }
    part[parts++] = cookie.substr(from, i - from);
    from = i + 1;
  }
  if (parts != 5) {
    error e(errc::invalid_grant, no_offset);
    return e.append("malformed grant: expected 5 '.'-separated parts g1.<keyId>.<expiresMs>.<capability>.<mac>");
  }
  if (part[0] != detail::grant_version) {
    error e(errc::invalid_grant, 0);
    return e.append("unknown grant format ").append_quoted(part[0]).append("; expected 'g1'");
  }
  const auto* key = keys.find(part[1]);
  if (key == nullptr) {
    error e(errc::grant_rejected, 3);
    return e.append("grant signed with unknown key id ").append_quoted(part[1]).append(" (retired, or not ours)");
  }
  const std::string_view exp = part[2];
  std::uint64_t expires = 0;
  bool exp_ok = !exp.empty() && exp.size() <= 16 && (exp[0] != '0' || exp.size() == 1);
  for (char c : exp) {
    exp_ok = exp_ok && c >= '0' && c <= '9';
    expires = expires * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (!exp_ok) return error(errc::invalid_grant, no_offset, "malformed grant: the expiry is not a decimal number of milliseconds");
  auto mac = crypto::base64_decode_digest(part[4], crypto::base64_alphabet::url);
  if (!mac) return error(errc::invalid_grant, no_offset, "malformed grant: the mac is not 43 characters of base64url");
  auto text = crypto::base64url_decode(part[3]);
  if (!text) return error(errc::invalid_grant, no_offset, "malformed grant: the capability is not base64url");
  const auto expected = detail::grant_mac(*key, part[1], exp, client_id, *text);
  if (!crypto::equal_constant_time(expected, *mac))
    return error(errc::grant_rejected, no_offset, "grant signature does not verify (tampered, or issued to another clientId)");
  if (static_cast<std::int64_t>(expires) <= now_ms) {
    error e(errc::grant_expired, no_offset);
    e.append("grant expired at ").append_number(expires).append(" (now is ");
    if (now_ms < 0) e.append('-');
    return e.append_number(now_ms < 0 ? 0 - static_cast<std::uint64_t>(now_ms) : static_cast<std::uint64_t>(now_ms)).append(")");
  }
  auto cap = capability::parse(*text);
  if (!cap || cap->to_json() != *text) {
    // Authentic but unusable: only a signer with a bug (or a different canonical form) makes this.
    error e(errc::invalid_grant, no_offset);
    e.append("grant holds a capability that is not canonical capability text");
    if (!cap) e.append(": ").append(cap.error().message());
    return e;
  }
  return verified_grant{std::move(*cap), static_cast<std::int64_t>(expires), std::string(part[1])};
}

/// Verifies `cookie` for `client_id` (see verify_grant), takes the exact union with `more`
/// (union.hpp: allowed(a ∪ b) == allowed(a) || allowed(b)) and signs it with the signing key,
/// expiring ttl_ms after now_ms. The caller still intersects the result with its key's
/// capability when it issues a token (§28).
[[nodiscard]] inline result<issued_grant> extend_grant(const grant_keyring& keys, std::string_view cookie,
                                                       std::string_view client_id, const capability& more,
                                                       std::int64_t now_ms, std::int64_t ttl_ms) {
  auto v = verify_grant(keys, cookie, client_id, now_ms);
  if (!v) return v.error();
  std::int64_t expires = 0;
  if (auto e = detail::check_grant_times(now_ms, ttl_ms, expires); e.code() != errc::ok) return e;
  auto u = unite(v->granted, more);
  if (!u) return u.error();
  return detail::sign_grant(keys, client_id, std::move(*u), expires);
}

CAPMATCH_NAMESPACE_END
