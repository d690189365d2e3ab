// capmatch — errors and result<T>.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <utility>

#include "version.hpp"

CAPMATCH_NAMESPACE_BEGIN

/// Stable error codes. Values never change meaning; new ones are appended.
enum class errc : std::uint8_t {
  ok = 0,
  // JSON syntax (40000)
  empty_input,
  byte_order_mark,
  invalid_json,
  invalid_utf8,
  invalid_escape,
  lone_surrogate,
  control_character,
  trailing_characters,
  // capability structure (40000)
  not_an_object,
  operations_not_array,
  operation_not_string,
  empty_operations,
  unknown_operation,
  wildcard_not_alone,
  duplicate_operation,
  duplicate_resource,
  // resource names and patterns (40000)
  empty_resource,
  invalid_resource,
  // limits (40000)
  limit_exceeded,
  // authorization (40160)
  capability_denied,
  empty_intersection,
  // --- crypto and API keys (issue 12, helper c1) ---
  invalid_base64,    // malformed base64 / base64url (40000)
  invalid_key,       // malformed API key `appId.keyId:secret` (40000)
  no_secure_random,  // the operating system's CSPRNG failed (50000)
  // --- signed TokenRequests (issue 12, helper t1; docs/semantics.md §5 rules 19-23) ---
  invalid_token_request,  // 40000: malformed wire form or parameter (type, size, clientId, nonce)
  invalid_ttl,            // 40003: ttl not a positive integer, above 24 h, or above 1 h for a revocable key
  mac_mismatch,           // 40101: "Request mac does not match"
  unknown_key,            // 40101: no key with that keyName, so no mac can match
  timestamp_not_current,  // 40104: timestamp more than 2 minutes from the verifier's clock
  nonce_replayed,         // 40105: (keyName, nonce) already used within the window
  replay_guard_full,      // 50000: the replay guard has no room; it refuses rather than forget a nonce
  // --- Ably JWTs and user claims (issue 13, helper j1; SEMANTICS §5 rules 24-26) ---
  invalid_jwt,           // 40144: malformed token, bad alg/kid/signature, missing or unusable claims
  jwt_expired,           // 40142
  jwt_issued_in_future,  // 40001: iat beyond the leeway
  jwt_ttl_too_long,      // 40003: exp - iat above 24 h (1 h for a revocable key)
  invalid_claim,         // 40000: a claim an issuer refuses (reserved name, bad user claim or limit)
  ambiguous_user_claim,  // 40000: two ably.channel.* claims tie for some channel (rule 26)
  // --- revocation and signed grants (issue 13, helper r1) ---
  token_revoked,               // a revocation target matches the token (40141)
  invalid_revocation_request,  // malformed revocation request or body (40000)
  invalid_grant,               // malformed or oversized signed-grant cookie, unusable key or clientId (40000)
  grant_rejected,              // grant signature, clientId binding or key id does not verify (40101)
  grant_expired,               // an authentic grant past its expiry (40101)
};

/// The Ably numeric error code of `e` (40000 invalid request, 40160 capability denied).
[[nodiscard]] constexpr std::uint32_t ably_code(errc e) noexcept {
  switch (e) {
    case errc::ok: return 0;
    case errc::capability_denied:
    case errc::empty_intersection: return 40160;
    // --- crypto and API keys (issue 12, helper c1) ---
    case errc::no_secure_random: return 50000;
    // --- signed TokenRequests (issue 12, helper t1) ---
    case errc::invalid_ttl: return 40003;
    case errc::mac_mismatch:
    case errc::unknown_key: return 40101;
    case errc::timestamp_not_current: return 40104;
    case errc::nonce_replayed: return 40105;
    case errc::replay_guard_full: return 50000;
    // --- Ably JWTs and user claims (issue 13, helper j1) ---
    case errc::invalid_jwt: return 40144;
    case errc::jwt_expired: return 40142;
    case errc::jwt_issued_in_future: return 40001;
    case errc::jwt_ttl_too_long: return 40003;
    // --- revocation and signed grants (issue 13, helper r1) ---
    case errc::token_revoked: return 40141;
    case errc::grant_rejected:
    case errc::grant_expired: return 40101;
    default: return 40000;
  }
}

/// The HTTP status that accompanies `e` (400, 401 or 500).
[[nodiscard]] constexpr std::uint16_t http_status(errc e) noexcept {
  const auto code = ably_code(e);
  return code == 0 ? 0 : static_cast<std::uint16_t>(code / 100);
}

/// A short stable identifier for `e`, e.g. "unknown_operation".
[[nodiscard]] constexpr std::string_view name_of(errc e) noexcept {
  switch (e) {
    case errc::ok: return "ok";
    case errc::empty_input: return "empty_input";
    case errc::byte_order_mark: return "byte_order_mark";
    case errc::invalid_json: return "invalid_json";
    case errc::invalid_utf8: return "invalid_utf8";
    case errc::invalid_escape: return "invalid_escape";
    case errc::lone_surrogate: return "lone_surrogate";
    case errc::control_character: return "control_character";
    case errc::trailing_characters: return "trailing_characters";
    case errc::not_an_object: return "not_an_object";
    case errc::operations_not_array: return "operations_not_array";
    case errc::operation_not_string: return "operation_not_string";
    case errc::empty_operations: return "empty_operations";
    case errc::unknown_operation: return "unknown_operation";
    case errc::wildcard_not_alone: return "wildcard_not_alone";
    case errc::duplicate_operation: return "duplicate_operation";
    case errc::duplicate_resource: return "duplicate_resource";
    case errc::empty_resource: return "empty_resource";
    case errc::invalid_resource: return "invalid_resource";
    case errc::limit_exceeded: return "limit_exceeded";
    case errc::capability_denied: return "capability_denied";
    case errc::empty_intersection: return "empty_intersection";
    // --- crypto and API keys (issue 12, helper c1) ---
    case errc::invalid_base64: return "invalid_base64";
    case errc::invalid_key: return "invalid_key";
    case errc::no_secure_random: return "no_secure_random";
    // --- signed TokenRequests (issue 12, helper t1) ---
    case errc::invalid_token_request: return "invalid_token_request";
    case errc::invalid_ttl: return "invalid_ttl";
    case errc::mac_mismatch: return "mac_mismatch";
    case errc::unknown_key: return "unknown_key";
    case errc::timestamp_not_current: return "timestamp_not_current";
    case errc::nonce_replayed: return "nonce_replayed";
    case errc::replay_guard_full: return "replay_guard_full";
    // --- Ably JWTs and user claims (issue 13, helper j1) ---
    case errc::invalid_jwt: return "invalid_jwt";
    case errc::jwt_expired: return "jwt_expired";
    case errc::jwt_issued_in_future: return "jwt_issued_in_future";
    case errc::jwt_ttl_too_long: return "jwt_ttl_too_long";
    case errc::invalid_claim: return "invalid_claim";
    case errc::ambiguous_user_claim: return "ambiguous_user_claim";
    // --- revocation and signed grants (issue 13, helper r1) ---
    case errc::token_revoked: return "token_revoked";
    case errc::invalid_revocation_request: return "invalid_revocation_request";
    case errc::invalid_grant: return "invalid_grant";
    case errc::grant_rejected: return "grant_rejected";
    case errc::grant_expired: return "grant_expired";
  }
  return "unknown";
}

namespace detail {
/// The length of the well-formed UTF-8 sequence (RFC 3629: no overlongs, no surrogates,
/// nothing above U+10FFFF) starting at s[i], or 0 when the bytes there are not one.
[[nodiscard]] constexpr std::size_t utf8_length(std::string_view s, std::size_t i) noexcept {
  auto at = [&](std::size_t k) -> unsigned { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u; };
  const unsigned b0 = at(i);
  if (i >= s.size()) return 0;
  if (b0 < 0x80) return 1;
  std::size_t len = 0;
  unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) len = 2;
  else if (b0 == 0xE0) len = 3, lo = 0xA0;
  else if ((b0 >= 0xE1 && b0 <= 0xEC) || b0 == 0xEE || b0 == 0xEF) len = 3;
  else if (b0 == 0xED) len = 3, hi = 0x9F;
  else if (b0 == 0xF0) len = 4, lo = 0x90;
  else if (b0 >= 0xF1 && b0 <= 0xF3) len = 4;
  else if (b0 == 0xF4) len = 4, hi = 0x8F;
  if (len == 0 || i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const unsigned b = at(i + k);
    if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return 0;
  }
  return len;
}

/// Text from the input made safe for a one-line message: control characters as \u00XX, bytes
/// that are not well-formed UTF-8 as \xXX, the rest as it is. Calls `out(piece)` for each
/// input character's piece, in order, and stops when `out` returns false. The one rule behind
/// error::append_quoted and explain's output.
template <class Out>
constexpr void escape_one_line(std::string_view v, Out&& out) {
  constexpr char hex[] = "0123456789ABCDEF";
  for (std::size_t i = 0; i < v.size();) {
    const auto c = static_cast<unsigned char>(v[i]);
    std::size_t len = 1;
    bool more;
    if (c < 0x20 || c == 0x7F) {
      const char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
      more = out(std::string_view(esc, 6));
    } else if (c < 0x80) {
      more = out(v.substr(i, 1));
    } else if ((len = utf8_length(v, i)) != 0) {
      more = out(v.substr(i, len));
    } else {
      len = 1;
      const char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
      more = out(std::string_view(esc, 4));
    }
    if (!more) return;
    i += len;
  }
}
}  // namespace detail

/// Sentinel offset for errors that are not tied to a byte of the input.
inline constexpr std::uint32_t no_offset = 0xFFFFFFFFu;

/// An error: stable code, byte offset (or no_offset) and a message a person can act on.
/// Fixed capacity and trivially copyable, so it can live in constant expressions and
/// in static storage; quoted excerpts of the input are clipped (see append_quoted).
class error {
 public:
  static constexpr std::size_t capacity = 255;

  constexpr error() noexcept = default;
  constexpr error(errc code, std::uint32_t offset) noexcept : code_(code), offset_(offset) {}
  constexpr error(errc code, std::uint32_t offset, std::string_view message) noexcept
      : code_(code), offset_(offset) {
    append(message);
  }

  [[nodiscard]] constexpr errc code() const noexcept { return code_; }
  [[nodiscard]] constexpr std::uint32_t ably_code() const noexcept { return capmatch::ably_code(code_); }
  [[nodiscard]] constexpr std::uint16_t status_code() const noexcept { return http_status(code_); }
  /// Byte offset into the parsed input, or no_offset.
  [[nodiscard]] constexpr std::uint32_t offset() const noexcept { return offset_; }
  [[nodiscard]] constexpr bool has_offset() const noexcept { return offset_ != no_offset; }
  [[nodiscard]] constexpr std::string_view message() const noexcept { return {msg_, len_}; }

  /// Appends `s`; a message longer than `capacity` is cut on a UTF-8 boundary and stays cut.
  constexpr error& append(std::string_view s) noexcept {
    for (char c : s) {
      if (full_) break;
      if (len_ == capacity) {
        full_ = true;
        // Do not leave half a UTF-8 sequence at the end.
        std::size_t k = len_;
        while (k > 0 && len_ - k < 3 && (static_cast<unsigned char>(msg_[k - 1]) & 0xC0) == 0x80) --k;
        if (k > 0 && static_cast<unsigned char>(msg_[k - 1]) >= 0xC0 &&
            detail::utf8_length(std::string_view(msg_, len_), k - 1) != len_ - (k - 1))
          len_ = static_cast<std::uint8_t>(k - 1);
        break;
      }
      msg_[len_++] = c;
    }
    return *this;
  }
  constexpr error& append(char c) noexcept { return append(std::string_view(&c, 1)); }
  constexpr error& append_number(std::uint64_t v) noexcept {
    char buf[20]{};
    std::size_t n = 0;
    do {
      buf[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (n != 0) append(buf[--n]);
    return *this;
  }
  /// Appends "at byte N" for this error's offset.
  constexpr error& append_at() noexcept { return append(" at byte ").append_number(offset_); }
  /// Appends `s` in single quotes, clipped to 48 bytes of input or 96 of output (on a UTF-8
  /// boundary, marked "..."), with control characters shown as \uXXXX so the message stays
  /// on one line, and bytes that are not well-formed UTF-8 as \xXX so it stays valid UTF-8.
  constexpr error& append_quoted(std::string_view s) noexcept {
    constexpr std::size_t clip = 48;
    append('\'');
    std::size_t n = s.size();
    bool clipped = false;
    if (n > clip) {
      n = clip;
      while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
      clipped = true;
    }
    const std::size_t start = len_;
    detail::escape_one_line(s.substr(0, n), [&](std::string_view piece) {
      if (len_ - start >= 2 * clip) {  // an escape is up to 6 bytes: clip the output too
        clipped = true;
        return false;
      }
      append(piece);
      return true;
    });
    if (clipped) append("...");
    return append('\'');
  }

  friend constexpr bool operator==(const error& a, const error& b) noexcept {
    return a.code_ == b.code_ && a.offset_ == b.offset_ && a.message() == b.message();
  }

 private:
  errc code_ = errc::ok;
  std::uint32_t offset_ = no_offset;
  std::uint8_t len_ = 0;
  bool full_ = false;
  char msg_[capacity]{};
};

/// Either a value or an error, in the shape of std::expected (which clang 14 with
/// libstdc++ cannot use). Usable in constant evaluation; never throws.
/// T must be default-constructible; the value is left default when an error is held.
template <class T>
class [[nodiscard]] result {
 public:
  constexpr result(T value) : value_(std::move(value)) {}  // NOLINT: implicit like expected
  constexpr result(capmatch::error e) : error_(e), ok_(false) {}  // NOLINT

  [[nodiscard]] constexpr bool has_value() const noexcept { return ok_; }
  constexpr explicit operator bool() const noexcept { return ok_; }

  /// The value; calling it on an error is a precondition violation (checked in constant evaluation).
  [[nodiscard]] constexpr T& value() & noexcept { return check(), value_; }
  [[nodiscard]] constexpr const T& value() const& noexcept { return check(), value_; }
  [[nodiscard]] constexpr T&& value() && noexcept { return check(), std::move(value_); }
  constexpr T& operator*() & noexcept { return value(); }
  constexpr const T& operator*() const& noexcept { return value(); }
  constexpr T* operator->() noexcept { return &value(); }
  constexpr const T* operator->() const noexcept { return &value(); }

  /// The error; on a value it returns an error with code errc::ok.
  [[nodiscard]] constexpr const capmatch::error& error() const noexcept { return error_; }

 private:
  constexpr void check() const noexcept {
    if (!ok_) value_of_error_result_accessed();
  }
  // Not constexpr: reaching it during constant evaluation is a compile error naming the mistake;
  // at run time it stops the program rather than hand out a default value as if it were real.
  static void value_of_error_result_accessed() noexcept { std::abort(); }

  T value_{};
  capmatch::error error_{};
  bool ok_ = true;
};

CAPMATCH_NAMESPACE_END
