// capmatch — Ably-compatible capabilities for C++20, as a single header.
// Version 0.1.0. SPDX-License-Identifier: MIT
//
// This file is generated — do not edit. It is made from include/capmatch/ by
//   python3 scripts/amalgamate.py
// and a test fails when it is out of date. Edit the headers in include/capmatch/ instead.
#pragma once

// ---- begin include/capmatch/version.hpp ----
// capmatch — Ably-compatible capabilities for C++20: version and namespace macros.
// SPDX-License-Identifier: MIT

/// Version of the library; bumped with CHANGELOG.md.
#define CAPMATCH_VERSION_MAJOR 0
#define CAPMATCH_VERSION_MINOR 1
#define CAPMATCH_VERSION_PATCH 0
#define CAPMATCH_VERSION_STRING "0.1.0"

// Every public name lives in an inline namespace named after the major and minor
// version (0.x minor releases may break the ABI), so that two copies of different
// versions in one program fail to link instead of silently mixing.
#define CAPMATCH_NAMESPACE_BEGIN namespace capmatch { inline namespace v0_1 {
#define CAPMATCH_NAMESPACE_END } }
// ---- end include/capmatch/version.hpp ----

// ---- begin include/capmatch/detail/utf8.hpp ----
// capmatch — the one UTF-8 rule (RFC 3629): used by the JSON reader, resource names, error
// messages, explain and lint. Internal.
// SPDX-License-Identifier: MIT

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <string_view>


CAPMATCH_NAMESPACE_BEGIN
namespace detail {

/// The length of the well-formed UTF-8 sequence (RFC 3629: no overlongs, no surrogates,
/// nothing above U+10FFFF) starting at s[i], or 0 when the bytes there are not one.
[[nodiscard]] constexpr std::size_t utf8_length(std::string_view s, std::size_t i) noexcept {
  if (i >= s.size()) return 0;
  auto at = [&](std::size_t k) -> unsigned { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u; };
  const unsigned b0 = at(i);
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

/// The offset of the first byte of `s`, from `from`, that does not start a well-formed UTF-8
/// sequence, or s.size() when all of it is well-formed.
[[nodiscard]] constexpr std::size_t utf8_invalid_at(std::string_view s, std::size_t from = 0) noexcept {
  std::size_t i = from;
  while (i < s.size()) {
    if (!std::is_constant_evaluated()) {  // ASCII eight bytes at a time
      for (std::uint64_t w; i + 8 <= s.size(); i += 8) {
        std::memcpy(&w, s.data() + i, 8);
        if ((w & 0x8080808080808080ull) != 0) break;
      }
      if (i == s.size()) break;
    }
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const std::size_t len = utf8_length(s, i);
    if (len == 0) return i;
    i += len;
  }
  return s.size();
}

/// True when all of `s` is well-formed UTF-8.
[[nodiscard]] constexpr bool utf8_valid(std::string_view s) noexcept { return utf8_invalid_at(s) == s.size(); }

/// The code point of the well-formed sequence of `len` bytes (utf8_length) at s[i].
[[nodiscard]] constexpr char32_t utf8_decode(std::string_view s, std::size_t i, std::size_t len) noexcept {
  auto b = [&](std::size_t k) { return static_cast<char32_t>(static_cast<unsigned char>(s[i + k])); };
  switch (len) {
    case 1: return b(0);
    case 2: return (b(0) & 0x1F) << 6 | (b(1) & 0x3F);
    case 3: return (b(0) & 0x0F) << 12 | (b(1) & 0x3F) << 6 | (b(2) & 0x3F);
    default: return (b(0) & 0x07) << 18 | (b(1) & 0x3F) << 12 | (b(2) & 0x3F) << 6 | (b(3) & 0x3F);
  }
}

}  // namespace detail
CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/detail/utf8.hpp ----

// ---- begin include/capmatch/detail/escape.hpp ----
// capmatch — the one rule for showing input text on one line (error messages, explain, lint,
// the CLI), and the one hex table. Internal.
// SPDX-License-Identifier: MIT

#include <cstddef>
#include <string_view>


CAPMATCH_NAMESPACE_BEGIN
namespace detail {

/// The hex digit of v (0..15): upper case, or lower case when `lower`.
[[nodiscard]] constexpr char hex_digit(unsigned v, bool lower = false) noexcept {
  constexpr char digits[] = "0123456789ABCDEF";
  const char c = digits[v & 15];
  return lower && c >= 'A' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// Text from the input made safe for a one-line message: control characters as \u00XX, bytes
/// that are not well-formed UTF-8 as \xXX, the rest as it is. Calls `out(piece)` for each
/// input character's piece, in order, and stops when `out` returns false.
template <class Out>
constexpr void escape_one_line(std::string_view v, Out&& out) {
  for (std::size_t i = 0; i < v.size();) {
    const auto c = static_cast<unsigned char>(v[i]);
    std::size_t len = 1;
    bool more;
    if (c < 0x20 || c == 0x7F) {
      const char esc[6] = {'\\', 'u', '0', '0', hex_digit(c >> 4), hex_digit(c)};
      more = out(std::string_view(esc, 6));
    } else if (c < 0x80) {
      more = out(v.substr(i, 1));
    } else if ((len = utf8_length(v, i)) != 0) {
      more = out(v.substr(i, len));
    } else {
      len = 1;
      const char esc[4] = {'\\', 'x', hex_digit(c >> 4), hex_digit(c)};
      more = out(std::string_view(esc, 4));
    }
    if (!more) return;
    i += len;
  }
}

}  // namespace detail
CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/detail/escape.hpp ----

// ---- begin include/capmatch/detail/fixed_text.hpp ----
// capmatch — fixed-capacity text, usable in constant evaluation: error messages, lint
// findings, explain. Internal.
// SPDX-License-Identifier: MIT

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <string_view>


CAPMATCH_NAMESPACE_BEGIN
namespace detail {

/// The eight decimal digits of `x` (below 10^8, leading zeros kept) as values 0-9, one per byte,
/// the most significant in the lowest byte: two halves of four digits in 32-bit lanes, each split
/// by 100 into 16-bit lanes, each of those by 10 into bytes. The multiply-shift quotients are
/// exact in this range (n * 10486 >> 20 == n / 100 for n < 10^4, n * 103 >> 10 == n / 10 for
/// n < 100) and no lane's product reaches the next lane.
[[nodiscard]] constexpr std::uint64_t eight_digits(std::uint32_t x) noexcept {
  const std::uint64_t halves = std::uint64_t{x / 10000} | std::uint64_t{x % 10000} << 32;
  const std::uint64_t hundreds = (halves * 10486 >> 20) & 0x0000007F0000007Full;
  const std::uint64_t pairs = (halves - 100 * hundreds) << 16 | hundreds;
  const std::uint64_t tens = (pairs * 103 >> 10) & 0x000F000F000F000Full;
  return (pairs - 10 * tens) << 8 | tens;
}

/// Writes the decimal digits of `v` at `p` and returns their end. `p` must have room for 20 bytes
/// whatever `v` is (at run time, bytes after the end may be overwritten).
constexpr char* write_decimal(std::uint64_t v, char* p) noexcept {
  if (std::is_constant_evaluated() || std::endian::native != std::endian::little) {
    char buf[20]{};
    std::size_t n = 0;
    do {
      buf[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (n != 0) *p++ = buf[--n];
    return p;
  }
  constexpr std::uint64_t zeros = 0x3030303030303030ull;  // '0' in every byte
  // v in chunks of eight digits: the first without its leading zeros (at most 8 bytes written,
  // 4 digits when there are three chunks: 20 bytes in all), the others whole
  const std::uint64_t e8 = 100'000'000;
  const std::uint32_t low = static_cast<std::uint32_t>(v % e8);
  const std::uint64_t rest = v / e8;
  std::uint32_t chunks[3]{};
  int count = 0;
  if (rest >= e8) chunks[count++] = static_cast<std::uint32_t>(rest / e8), chunks[count++] = static_cast<std::uint32_t>(rest % e8);
  else if (rest != 0) chunks[count++] = static_cast<std::uint32_t>(rest);
  chunks[count++] = low;
  const std::uint64_t first = eight_digits(chunks[0]);
  const int skip = first == 0 ? 7 : std::countr_zero(first) / 8;  // leading zeros (one digit stays)
  const std::uint64_t head = (first + zeros) >> (8 * skip);
  std::memcpy(p, &head, 8);
  p += 8 - skip;
  for (int k = 1; k < count; ++k) {
    const std::uint64_t d = eight_digits(chunks[k]) + zeros;
    std::memcpy(p, &d, 8);
    p += 8;
  }
  return p;
}

/// Text of at most N bytes. Appending beyond N cuts the text on a UTF-8 boundary and it stays
/// cut. Trivially copyable.
template <std::size_t N>
class fixed_text {
  static_assert(N > 0 && N < 0x10000, "fixed_text<N> holds 1 to 65535 bytes");

 public:
  static constexpr std::size_t capacity = N;

  [[nodiscard]] constexpr std::string_view view() const noexcept { return {buf_, len_}; }
  [[nodiscard]] constexpr std::size_t size() const noexcept { return len_; }
  [[nodiscard]] constexpr bool empty() const noexcept { return len_ == 0; }
  /// True when something appended did not fit.
  [[nodiscard]] constexpr bool truncated() const noexcept { return full_; }

  constexpr fixed_text& append(std::string_view s) noexcept {
    for (char c : s) {
      if (full_) break;
      if (len_ == N) {
        full_ = true;
        // Do not leave half a UTF-8 sequence at the end.
        std::size_t k = len_;
        while (k > 0 && len_ - k < 3 && (static_cast<unsigned char>(buf_[k - 1]) & 0xC0) == 0x80) --k;
        if (k > 0 && static_cast<unsigned char>(buf_[k - 1]) >= 0xC0 &&
            utf8_length(std::string_view(buf_, len_), k - 1) != len_ - (k - 1))
          len_ = static_cast<std::uint16_t>(k - 1);
        break;
      }
      buf_[len_++] = c;
    }
    return *this;
  }
  constexpr fixed_text& append(char c) noexcept { return append(std::string_view(&c, 1)); }
  /// Appends v in decimal.
  constexpr fixed_text& append_number(std::uint64_t v) noexcept {
    char digits[20]{};
    return append(std::string_view(digits, static_cast<std::size_t>(write_decimal(v, digits) - digits)));
  }
  /// Appends `s` in single quotes, clipped to 48 bytes of input or 96 of output (on a UTF-8
  /// boundary, marked "..."), shown on one line by escape_one_line.
  constexpr fixed_text& append_quoted(std::string_view s) noexcept {
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
    escape_one_line(s.substr(0, n), [&](std::string_view piece) {
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

  friend constexpr bool operator==(const fixed_text& a, const fixed_text& b) noexcept { return a.view() == b.view(); }

 private:
  std::uint16_t len_ = 0;
  bool full_ = false;
  char buf_[N]{};
};

}  // namespace detail
CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/detail/fixed_text.hpp ----

// ---- begin include/capmatch/error.hpp ----
// capmatch — errors and result<T>.
// SPDX-License-Identifier: MIT

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string_view>
#include <type_traits>
#include <utility>


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
  capability_denied,  ///< not returned by the library: for a server reporting a denied check

  empty_intersection,
  // --- crypto and API keys (issue 12, helper c1) ---
  invalid_base64,    // malformed base64 / base64url (40000)
  invalid_key,       // malformed API key `appId.keyId:secret` (40000)
  no_secure_random,  // the operating system's CSPRNG failed (50000)
  // --- revocation and signed grants (issue 13, helper r1) ---
  token_revoked,               // a revocation target matches the token (40141)
  invalid_revocation_request,  // malformed revocation request or body (40000)
  invalid_grant,               // malformed or oversized signed-grant cookie, unusable key or clientId (40000)
  grant_rejected,              // grant signature, clientId binding or key id does not verify (40101)
  grant_expired,               // an authentic grant past its expiry (40101)
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
  // --- shared stores (issue 13, session 5) ---
  store_unavailable,  // 50003: a shared store (revocations in Redis, ...) did not answer: neither revoked nor allowed
};

/// The Ably numeric error code of `e` (40000 invalid request, 40160 capability denied).
[[nodiscard]] constexpr std::uint32_t ably_code(errc e) noexcept {
  switch (e) {
    case errc::ok: return 0;
    case errc::capability_denied:
    case errc::empty_intersection: return 40160;
    // --- crypto and API keys (issue 12, helper c1) ---
    case errc::no_secure_random: return 50000;
    // --- revocation and signed grants (issue 13, helper r1) ---
    case errc::token_revoked: return 40141;
    case errc::grant_rejected:
    case errc::grant_expired: return 40101;
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
    // --- shared stores: Ably's "timeout error" (ably-common protocol/errors.json) ---
    case errc::store_unavailable: return 50003;
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
    // --- revocation and signed grants (issue 13, helper r1) ---
    case errc::token_revoked: return "token_revoked";
    case errc::invalid_revocation_request: return "invalid_revocation_request";
    case errc::invalid_grant: return "invalid_grant";
    case errc::grant_rejected: return "grant_rejected";
    case errc::grant_expired: return "grant_expired";
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
    case errc::store_unavailable: return "store_unavailable";
  }
  return "unknown";
}

/// Why an error was raised: finer than errc and as stable (values never change meaning; new
/// ones are appended). Set where the error is raised, so that callers (and the compile-time
/// diagnostics of static_capability.hpp) branch on it rather than on the message text.
enum class error_reason : std::uint8_t {
  unspecified = 0,  ///< built from an errc alone
  // JSON syntax
  empty_input,             ///< nothing but whitespace
  byte_order_mark,         ///< starts with U+FEFF
  unexpected_end,          ///< the input ends where more was expected (hint: what)
  unexpected_character,    ///< a printable ASCII character where it cannot stand (hint: what was expected)
  unexpected_byte,         ///< another byte where it cannot stand (hint: what was expected)
  unterminated_string,     ///< a string without its closing quote
  unterminated_escape,     ///< a '\' at the end of the input
  invalid_unicode_escape,  ///< \u not followed by four hex digits
  invalid_escape,          ///< '\' followed by a character JSON does not define
  lone_surrogate,          ///< a \uD800-\uDFFF escape not in a pair
  invalid_utf8,            ///< bytes that are not well-formed UTF-8 in the document
  control_character,       ///< U+0000..U+001F unescaped in a string
  trailing_characters,     ///< more after the closing '}'
  // capability structure
  not_an_object,         ///< the document is a JSON value other than an object (hint: found)
  operations_not_array,  ///< a resource's value is not an array (hint: found)
  operation_not_string,  ///< an operation is not a string (hint: found)
  empty_operations,      ///< []
  unknown_operation,     ///< not one of the 17 operations (hint: a suggestion)
  wildcard_not_alone,    ///< "*" beside other operations, or twice
  duplicate_operation,   ///< an operation listed twice for one resource
  duplicate_resource,    ///< a resource listed twice
  // resource names and patterns
  empty_resource,          ///< "" as a resource or name
  resource_contains_nul,   ///< U+0000 in a resource or name
  unclosed_qualifier,      ///< '[' without ']'
  bracket_in_qualifier,    ///< '[' inside a qualifier
  empty_qualifier,         ///< "[]" or "[=x]"
  qualifier_without_name,  ///< "[q]" with nothing after it
  more_than_one_qualifier, ///< "[a][b]..."
  any_qualifier_in_name,   ///< "[*]" in a name (it is for patterns)
  empty_segment,           ///< a name with ":a", "a:" or "a::b"
  name_invalid_utf8,       ///< a resource name that is not well-formed UTF-8
  // limits (errc::limit_exceeded)
  document_too_large,                ///< max_document_bytes
  too_many_resources,                ///< max_resources in a document
  resource_too_long,                 ///< max_resource_bytes
  too_many_segments,                 ///< max_segments
  too_many_pairs,                    ///< max_intersection_pairs
  intersection_too_many_resources,   ///< max_resources in an intersection
  intersection_resource_too_long,    ///< max_resource_bytes in an intersection
  // authorization
  empty_intersection,  ///< key ∩ request grants nothing
};

/// The errc every error with reason `r` has (errc::ok for unspecified).
[[nodiscard]] constexpr errc code_of(error_reason r) noexcept {
  using R = error_reason;
  switch (r) {
    case R::unspecified: return errc::ok;
    case R::empty_input: return errc::empty_input;
    case R::byte_order_mark: return errc::byte_order_mark;
    case R::unexpected_end:
    case R::unexpected_character:
    case R::unexpected_byte:
    case R::unterminated_string:
    case R::unterminated_escape: return errc::invalid_json;
    case R::invalid_unicode_escape:
    case R::invalid_escape: return errc::invalid_escape;
    case R::lone_surrogate: return errc::lone_surrogate;
    case R::invalid_utf8: return errc::invalid_utf8;
    case R::control_character: return errc::control_character;
    case R::trailing_characters: return errc::trailing_characters;
    case R::not_an_object: return errc::not_an_object;
    case R::operations_not_array: return errc::operations_not_array;
    case R::operation_not_string: return errc::operation_not_string;
    case R::empty_operations: return errc::empty_operations;
    case R::unknown_operation: return errc::unknown_operation;
    case R::wildcard_not_alone: return errc::wildcard_not_alone;
    case R::duplicate_operation: return errc::duplicate_operation;
    case R::duplicate_resource: return errc::duplicate_resource;
    case R::empty_resource:
    case R::qualifier_without_name: return errc::empty_resource;
    case R::resource_contains_nul:
    case R::unclosed_qualifier:
    case R::bracket_in_qualifier:
    case R::empty_qualifier:
    case R::more_than_one_qualifier:
    case R::any_qualifier_in_name:
    case R::empty_segment:
    case R::name_invalid_utf8: return errc::invalid_resource;
    case R::document_too_large:
    case R::too_many_resources:
    case R::resource_too_long:
    case R::too_many_segments:
    case R::too_many_pairs:
    case R::intersection_too_many_resources:
    case R::intersection_resource_too_long: return errc::limit_exceeded;
    case R::empty_intersection: return errc::empty_intersection;
  }
  return errc::ok;
}

/// The part of a message that depends on what the parser expected, found or suggests rather
/// than on the input's text: "expected a string", "found a number", "did you mean 'publish'?".
/// Stable like error_reason. The did_you_mean_* values follow the order of enum operation.
enum class error_hint : std::uint8_t {
  none = 0,
  expected_object,            ///< expected a JSON object
  expected_string,            ///< expected a string
  expected_colon,             ///< expected ':' after the resource name
  expected_operations,        ///< expected an array of operations
  expected_operation_name,    ///< expected an operation name string
  expected_comma_or_bracket,  ///< expected ',' or ']'
  expected_comma_or_brace,    ///< expected ',' or '}'
  expected_open_brace,        ///< expected '{'
  expected_open_bracket,      ///< expected '['
  expected_close_bracket,     ///< expected ']'
  expected_close_brace,       ///< expected '}'
  found_string,               ///< found a string
  found_object,               ///< found an object
  found_array,                ///< found an array
  found_boolean,              ///< found a boolean
  found_null,                 ///< found null
  found_number,               ///< found a number
  name_an_operation,          ///< expected an operation such as 'subscribe' or 'publish', or '*' for all
  did_you_mean_annotation_publish,  ///< did you mean 'annotation-publish'? (and so on, in operation order)
  did_you_mean_annotation_subscribe,
  did_you_mean_channel_metadata,
  did_you_mean_history,
  did_you_mean_message_delete_any,
  did_you_mean_message_delete_own,
  did_you_mean_message_update_any,
  did_you_mean_message_update_own,
  did_you_mean_object_publish,
  did_you_mean_object_subscribe,
  did_you_mean_presence,
  did_you_mean_privileged_headers,
  did_you_mean_publish,
  did_you_mean_push_admin,
  did_you_mean_push_subscribe,
  did_you_mean_stats,
  did_you_mean_subscribe,
};


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
  /// An error with reason `r` (its code is code_of(r)).
  constexpr error(error_reason r, std::uint32_t offset) noexcept : code_(code_of(r)), offset_(offset), reason_(r) {}
  constexpr error(error_reason r, std::uint32_t offset, std::string_view message) noexcept
      : code_(code_of(r)), offset_(offset), reason_(r) {
    append(message);
  }

  [[nodiscard]] constexpr errc code() const noexcept { return code_; }
  /// Why it was raised (finer than code(); error_reason::unspecified when built from an errc).
  [[nodiscard]] constexpr error_reason reason() const noexcept { return reason_; }
  /// What the parser expected, found or suggests (error_hint::none when nothing).
  [[nodiscard]] constexpr error_hint hint() const noexcept { return hint_; }
  /// Sets the hint; the message says the same in words.
  constexpr error& set_hint(error_hint h) noexcept { return hint_ = h, *this; }
  [[nodiscard]] constexpr std::uint32_t ably_code() const noexcept { return capmatch::ably_code(code_); }
  [[nodiscard]] constexpr std::uint16_t status_code() const noexcept { return http_status(code_); }
  /// Byte offset into the parsed input, or no_offset.
  [[nodiscard]] constexpr std::uint32_t offset() const noexcept { return offset_; }
  [[nodiscard]] constexpr bool has_offset() const noexcept { return offset_ != no_offset; }
  [[nodiscard]] constexpr std::string_view message() const noexcept { return msg_.view(); }

  /// Appends `s`; a message longer than `capacity` is cut on a UTF-8 boundary and stays cut.
  constexpr error& append(std::string_view s) noexcept { return msg_.append(s), *this; }
  constexpr error& append(char c) noexcept { return msg_.append(c), *this; }
  constexpr error& append_number(std::uint64_t v) noexcept { return msg_.append_number(v), *this; }
  /// Appends "at byte N" for this error's offset.
  constexpr error& append_at() noexcept { return append(" at byte ").append_number(offset_); }
  /// Appends `s` in single quotes, clipped to 48 bytes of input or 96 of output (on a UTF-8
  /// boundary, marked "..."), with control characters shown as \uXXXX so the message stays
  /// on one line, and bytes that are not well-formed UTF-8 as \xXX so it stays valid UTF-8.
  constexpr error& append_quoted(std::string_view s) noexcept { return msg_.append_quoted(s), *this; }

  friend constexpr bool operator==(const error& a, const error& b) noexcept {
    return a.code_ == b.code_ && a.offset_ == b.offset_ && a.message() == b.message();
  }

 private:
  errc code_ = errc::ok;
  std::uint32_t offset_ = no_offset;
  error_reason reason_ = error_reason::unspecified;
  error_hint hint_ = error_hint::none;
  detail::fixed_text<capacity> msg_{};
};

template <class T>
class result;

namespace detail {
template <class R>
struct is_result : std::false_type {};
template <class T>
struct is_result<result<T>> : std::true_type {};
/// Not constexpr: reaching it during constant evaluation is a compile error naming the mistake;
/// at run time it stops the program rather than hand out a value that is not there.
[[noreturn]] inline void value_of_error_result_accessed() noexcept { std::abort(); }
[[noreturn]] inline void error_of_value_result_accessed() noexcept { std::abort(); }
}  // namespace detail

/// Either a value or an error, in the shape of std::expected (which clang 14 with libstdc++
/// cannot use): a discriminated union, usable in constant evaluation, never throws. T need not
/// be default-constructible; `*std::move(r)` and `std::move(r).value()` move the value out.
template <class T>
class [[nodiscard]] result {
  static_assert(!std::is_reference_v<T> && !std::is_same_v<std::remove_cv_t<T>, capmatch::error>,
                "result<T> holds a value type other than error");

 public:
  using value_type = T;
  using error_type = capmatch::error;

  constexpr result(const T& value) : value_(value), ok_(true) {}  // NOLINT: implicit like expected
  constexpr result(T&& value) : value_(std::move(value)), ok_(true) {}  // NOLINT
  constexpr result(const capmatch::error& e) noexcept : error_(e), ok_(false) {}  // NOLINT
  /// A value built in place from `args`.
  template <class... Args>
  constexpr explicit result(std::in_place_t, Args&&... args) : value_(std::forward<Args>(args)...), ok_(true) {}

  constexpr result(const result& o) : ok_(o.ok_) {
    if (ok_) std::construct_at(&value_, o.value_);
    else std::construct_at(&error_, o.error_);
  }
  constexpr result(result&& o) noexcept(std::is_nothrow_move_constructible_v<T>) : ok_(o.ok_) {
    if (ok_) std::construct_at(&value_, std::move(o.value_));
    else std::construct_at(&error_, o.error_);
  }
  constexpr result& operator=(const result& o) {
    if (this != &o) assign(o);
    return *this;
  }
  constexpr result& operator=(result&& o) noexcept(std::is_nothrow_move_constructible_v<T> &&
                                                   std::is_nothrow_move_assignable_v<T>) {
    if (this != &o) assign(std::move(o));
    return *this;
  }
  constexpr ~result() { destroy(); }

  [[nodiscard]] constexpr bool has_value() const noexcept { return ok_; }
  constexpr explicit operator bool() const noexcept { return ok_; }

  /// The value; calling it on an error is a precondition violation (a compile error in
  /// constant evaluation, std::abort at run time).
  [[nodiscard]] constexpr T& value() & noexcept { return check(), value_; }
  [[nodiscard]] constexpr const T& value() const& noexcept { return check(), value_; }
  [[nodiscard]] constexpr T&& value() && noexcept { return check(), std::move(value_); }
  [[nodiscard]] constexpr const T&& value() const&& noexcept { return check(), std::move(value_); }
  constexpr T& operator*() & noexcept { return value(); }
  constexpr const T& operator*() const& noexcept { return value(); }
  constexpr T&& operator*() && noexcept { return std::move(*this).value(); }
  constexpr const T&& operator*() const&& noexcept { return std::move(*this).value(); }
  constexpr T* operator->() noexcept { return &value(); }
  constexpr const T* operator->() const noexcept { return &value(); }

  /// The error; calling it on a value is a precondition violation, as for value().
  [[nodiscard]] constexpr const capmatch::error& error() const noexcept {
    if (ok_) detail::error_of_value_result_accessed();
    return error_;
  }

  /// The value, or `fallback` when an error is held.
  template <class U>
  [[nodiscard]] constexpr T value_or(U&& fallback) const& {
    return ok_ ? value_ : static_cast<T>(std::forward<U>(fallback));
  }
  template <class U>
  [[nodiscard]] constexpr T value_or(U&& fallback) && {
    return ok_ ? std::move(value_) : static_cast<T>(std::forward<U>(fallback));
  }

  /// f(value), which returns a result<U>, or the error as a result<U>.
  template <class F>
  constexpr auto and_then(F&& f) const& {
    using R = std::remove_cvref_t<std::invoke_result_t<F, const T&>>;
    static_assert(detail::is_result<R>::value, "and_then: f must return a capmatch::result");
    return ok_ ? std::invoke(std::forward<F>(f), value_) : R(error_);
  }
  template <class F>
  constexpr auto and_then(F&& f) && {
    using R = std::remove_cvref_t<std::invoke_result_t<F, T&&>>;
    static_assert(detail::is_result<R>::value, "and_then: f must return a capmatch::result");
    return ok_ ? std::invoke(std::forward<F>(f), std::move(value_)) : R(error_);
  }
  /// result<U> holding f(value), or the error.
  template <class F>
  constexpr auto transform(F&& f) const& {
    using U = std::remove_cv_t<std::invoke_result_t<F, const T&>>;
    return ok_ ? result<U>(std::invoke(std::forward<F>(f), value_)) : result<U>(error_);
  }
  template <class F>
  constexpr auto transform(F&& f) && {
    using U = std::remove_cv_t<std::invoke_result_t<F, T&&>>;
    return ok_ ? result<U>(std::invoke(std::forward<F>(f), std::move(value_))) : result<U>(error_);
  }
  /// This result when it holds a value, else f(error), which returns a result<T>.
  template <class F>
  constexpr result or_else(F&& f) const& {
    return ok_ ? *this : result(std::invoke(std::forward<F>(f), error_));
  }
  template <class F>
  constexpr result or_else(F&& f) && {
    return ok_ ? std::move(*this) : result(std::invoke(std::forward<F>(f), error_));
  }

 private:
  constexpr void check() const noexcept {
    if (!ok_) detail::value_of_error_result_accessed();
  }
  constexpr void destroy() noexcept {
    if (ok_) std::destroy_at(&value_);
    else std::destroy_at(&error_);
  }
  template <class R>
  constexpr void assign(R&& o) {
    if (ok_ && o.ok_) {
      value_ = std::forward<R>(o).value_;
      return;
    }
    destroy();
    ok_ = o.ok_;
    if (ok_) std::construct_at(&value_, std::forward<R>(o).value_);
    else std::construct_at(&error_, o.error_);
  }

  union {
    T value_;
    capmatch::error error_;
  };
  bool ok_;
};

/// An outcome without a value: success, or an error. Shaped like std::expected<void, error>.
template <>
class [[nodiscard]] result<void> {
 public:
  using value_type = void;
  using error_type = capmatch::error;

  constexpr result() noexcept = default;
  constexpr result(const capmatch::error& e) noexcept : error_(e), ok_(false) {}  // NOLINT

  [[nodiscard]] constexpr bool has_value() const noexcept { return ok_; }
  constexpr explicit operator bool() const noexcept { return ok_; }
  /// Checks that no error is held (a precondition, as for result<T>::value()).
  constexpr void value() const noexcept {
    if (!ok_) detail::value_of_error_result_accessed();
  }
  /// The error; calling it on success is a precondition violation.
  [[nodiscard]] constexpr const capmatch::error& error() const noexcept {
    if (ok_) detail::error_of_value_result_accessed();
    return error_;
  }
  /// f(), which returns a result<U>, or the error as a result<U>.
  template <class F>
  constexpr auto and_then(F&& f) const {
    using R = std::remove_cvref_t<std::invoke_result_t<F>>;
    static_assert(detail::is_result<R>::value, "and_then: f must return a capmatch::result");
    return ok_ ? std::invoke(std::forward<F>(f)) : R(error_);
  }
  /// This result on success, else f(error), which returns a result<void>.
  template <class F>
  constexpr result or_else(F&& f) const {
    return ok_ ? *this : result(std::invoke(std::forward<F>(f), error_));
  }

 private:
  capmatch::error error_{};
  bool ok_ = true;
};

CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/error.hpp ----

// ---- begin include/capmatch/limits.hpp ----
// capmatch — documented limits. Input beyond a limit is an error (errc::limit_exceeded,
// Ably code 40000, with a byte offset and a message naming the constant), never truncated.
// SPDX-License-Identifier: MIT
//
// With these limits every operation's worst-case time and memory are linear in the size of
// its input (for intersect: in the product the pair limit bounds), see README "Limits":
// - capability::parse: one pass over the document, no recursion (a capability is an object
//   of arrays of strings; anything nested deeper is an error at its first byte), then one
//   sort of at most max_resources entries.
// - parse_name / parse_pattern / matches: one pass over the text.
// - intersect: at most max_intersection_pairs pattern intersections, each linear in the
//   shorter pattern, building at most max_intersection_bytes of text; its result is bounded
//   like a parsed capability.
// - the compiled matcher (matcher.hpp) bounds its automaton by matcher_dfa_growth and
//   matcher_dfa_slack, its construction's work by matcher_fallback_work_factor × that bound
//   (matcher/layout.hpp), and otherwise splits into groups or walks the pattern trie.

#include <cstddef>


CAPMATCH_NAMESPACE_BEGIN

/// Largest capability document capability::parse accepts, in bytes.
inline constexpr std::size_t max_document_bytes = 16u << 20;

/// Most resources one capability may list; also the most an intersection may produce.
inline constexpr std::size_t max_resources = 10000;

/// Longest resource name or pattern, in bytes as written: UTF-8 after JSON unescaping,
/// qualifier and its params included.
inline constexpr std::size_t max_resource_bytes = 2048;

/// Most ':'-separated segments in a resource name or pattern (qualifier not counted).
inline constexpr std::size_t max_segments = 128;

/// Most (key resource, requested resource) pairs intersect examines: key.size() * request.size().
inline constexpr std::size_t max_intersection_pairs = std::size_t{1} << 20;

/// Most bytes of new resource text intersect builds, summed over the pairs whose intersection
/// is neither of their two patterns (before equal results are merged): twice the largest result.
inline constexpr std::size_t max_intersection_bytes = 2 * max_resources * max_resource_bytes;

CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/limits.hpp ----

// ---- begin include/capmatch/detail/suggest.hpp ----
// capmatch — "did you mean ...?": the closest of a few known names. Internal.
// SPDX-License-Identifier: MIT

#include <algorithm>
#include <cstddef>
#include <string_view>


CAPMATCH_NAMESPACE_BEGIN
namespace detail {

/// Levenshtein distance, capped: returns > limit as limit + 1.
[[nodiscard]] constexpr std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit) noexcept {
  if (a.size() > 32 || b.size() > 32) return limit + 1;
  std::size_t row[33]{};
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      const std::size_t sub = diag + (a[i - 1] == b[j - 1] ? 0 : 1);
      row[j] = std::min(std::min(row[j - 1] + 1, up + 1), sub);
      diag = up;
    }
  }
  return row[b.size()] > limit ? limit + 1 : row[b.size()];
}

/// The first of `names` nearest to `word` within two edits, or empty when none is.
template <class Names>
[[nodiscard]] constexpr std::string_view closest_name(std::string_view word, const Names& names) noexcept {
  std::string_view best;
  std::size_t best_d = 3;
  for (std::string_view name : names) {
    const std::size_t d = edit_distance(word, name, 2);
    if (d < best_d) best_d = d, best = name;
  }
  return best;
}

}  // namespace detail
CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/detail/suggest.hpp ----

// ---- begin include/capmatch/operation.hpp ----
// capmatch — the 17 operations and op_set.
// SPDX-License-Identifier: MIT

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>


CAPMATCH_NAMESPACE_BEGIN

/// The operations a capability can grant (docs/semantics.md §1.2). The enumerators are in
/// ascending byte order of their names, so iterating bits gives canonical order.
enum class operation : std::uint8_t {
  annotation_publish,
  annotation_subscribe,
  channel_metadata,
  history,
  message_delete_any,
  message_delete_own,
  message_update_any,
  message_update_own,
  object_publish,
  object_subscribe,
  presence,
  privileged_headers,
  publish,
  push_admin,
  push_subscribe,
  stats,
  subscribe,
};

inline constexpr std::size_t operation_count = 17;

namespace detail {
inline constexpr std::string_view operation_names[operation_count] = {
    "annotation-publish", "annotation-subscribe", "channel-metadata",   "history",
    "message-delete-any", "message-delete-own",   "message-update-any", "message-update-own",
    "object-publish",     "object-subscribe",     "presence",           "privileged-headers",
    "publish",            "push-admin",           "push-subscribe",     "stats",
    "subscribe",
};
}  // namespace detail

/// The wire name of `op`, e.g. "push-subscribe".
[[nodiscard]] constexpr std::string_view name_of(operation op) noexcept {
  return detail::operation_names[static_cast<std::size_t>(op)];
}

/// True for operations that are app-wide rather than per resource (docs/semantics.md §12).
[[nodiscard]] constexpr bool is_app_wide(operation op) noexcept {
  return op == operation::stats || op == operation::push_admin;
}

namespace detail {
/// The hint "did you mean '<name>'?" for the operation called `name`.
[[nodiscard]] constexpr error_hint did_you_mean(std::string_view name) noexcept {
  std::size_t i = 0;
  while (i < operation_count && operation_names[i] != name) ++i;
  return static_cast<error_hint>(static_cast<std::size_t>(error_hint::did_you_mean_annotation_publish) + i);
}

/// The "unknown operation" error, with the most likely intended operation when there is one.
[[nodiscard]] constexpr error unknown_operation_error(std::string_view op, std::uint32_t at) {
  error e(error_reason::unknown_operation, at);
  e.append("unknown operation ").append_quoted(op).append_at();
  if (op == "*") return e.append("; '*' stands for every operation and is not one itself: name one, such as 'subscribe'");
  // Same letters in another case, or '_' for '-': the usual slips.
  char folded[32]{};
  const bool short_enough = op.size() <= sizeof folded;
  if (short_enough) {
    for (std::size_t i = 0; i < op.size(); ++i) {
      char c = op[i];
      folded[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c == '_' ? '-' : c;
    }
  }
  const std::string_view f(folded, short_enough ? op.size() : 0);
  for (std::string_view name : operation_names) {
    if (short_enough && f == name) {
      bool had_upper = false;
      for (char c : op) had_upper = had_upper || (c >= 'A' && c <= 'Z');
      e.append(had_upper ? "; operations are lower-case, did you mean " : "; did you mean ");
      return e.append_quoted(name).append('?').set_hint(did_you_mean(name));
    }
  }
  const std::string_view best = closest_name(f, operation_names);
  if (!best.empty()) return e.append("; did you mean ").append_quoted(best).append('?').set_hint(did_you_mean(best));
  return e.append("; expected an operation such as 'subscribe' or 'publish', or '*' for all")
      .set_hint(error_hint::name_an_operation);
}

}  // namespace detail

/// The operation called `name` (exact, case-sensitive), or error unknown_operation (40000)
/// suggesting the likely intended one. "*" is not an operation; see op_set::all().
/// `at` is the byte offset reported in the error.
[[nodiscard]] constexpr result<operation> parse_operation(std::string_view name, std::uint32_t at = 0) {
  for (std::size_t i = 0; i < operation_count; ++i)
    if (detail::operation_names[i] == name) return static_cast<operation>(i);
  return detail::unknown_operation_error(name, at);
}

/// A set of operations, or "*" (all operations). "*" is kept distinct from a list that
/// names all 17, because canonical text keeps ["*"] as ["*"] (docs/semantics.md §1.5).
class op_set {
 public:
  constexpr op_set() noexcept = default;
  constexpr op_set(operation op) noexcept : bits_(bit(op)) {}  // NOLINT: a single op is a set
  /// The set written ["*"].
  [[nodiscard]] static constexpr op_set all() noexcept { return from_bits(star_bit); }
  [[nodiscard]] static constexpr op_set from_bits(std::uint32_t bits) noexcept {
    op_set s;
    s.bits_ = bits & (star_bit | op_mask);
    return s;
  }

  [[nodiscard]] constexpr bool empty() const noexcept { return bits_ == 0; }
  /// True when written as ["*"].
  [[nodiscard]] constexpr bool is_all() const noexcept { return (bits_ & star_bit) != 0; }
  /// True when this set grants `op` (always, for ["*"]).
  [[nodiscard]] constexpr bool contains(operation op) const noexcept {
    return (bits_ & (star_bit | bit(op))) != 0;
  }
  /// Raw bits: bit i for operation i, bit 17 for "*". Stable; used by the compiled matcher.
  [[nodiscard]] constexpr std::uint32_t bits() const noexcept { return bits_; }
  /// The operations granted, with "*" expanded to all 17 bits.
  [[nodiscard]] constexpr std::uint32_t granted_bits() const noexcept { return is_all() ? op_mask : bits_; }
  /// Number of names in the written form (1 for ["*"]).
  [[nodiscard]] constexpr std::size_t size() const noexcept {
    std::size_t n = 0;
    for (std::uint32_t b = bits_; b != 0; b &= b - 1) ++n;
    return n;
  }

  constexpr op_set& insert(operation op) noexcept { return bits_ |= bit(op), *this; }

  /// Union as written: "*" absorbs everything else.
  [[nodiscard]] friend constexpr op_set operator|(op_set a, op_set b) noexcept {
    return (a.is_all() || b.is_all()) ? all() : from_bits(a.bits_ | b.bits_);
  }
  /// Intersection (docs/semantics.md §15): ["*"] ∩ X = X, ["*"] ∩ ["*"] = ["*"].
  [[nodiscard]] friend constexpr op_set operator&(op_set a, op_set b) noexcept {
    if (a.is_all()) return b;
    if (b.is_all()) return a;
    return from_bits(a.bits_ & b.bits_);
  }
  friend constexpr bool operator==(op_set a, op_set b) noexcept = default;

  /// Calls f(std::string_view name) for each written name in canonical (ascending) order.
  template <class F>
  constexpr void for_each_name(F&& f) const {
    if (is_all()) {
      f(std::string_view("*"));
      return;
    }
    for (std::uint32_t b = bits_ & op_mask; b != 0; b &= b - 1)  // set bits, lowest first
      f(detail::operation_names[std::countr_zero(b)]);
  }

  static constexpr std::uint32_t op_mask = (1u << operation_count) - 1;
  static constexpr std::uint32_t star_bit = 1u << operation_count;

 private:
  static constexpr std::uint32_t bit(operation op) noexcept { return 1u << static_cast<unsigned>(op); }
  std::uint32_t bits_ = 0;
};

CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/operation.hpp ----

// ---- begin include/capmatch/name.hpp ----
// capmatch — the resource-name grammar: qualifier, params, segments, UTF-8 (docs/semantics.md §2,
// rules 6, 7, 10), read by one scanner shared with patterns (pattern.hpp); parse_name.
// SPDX-License-Identifier: MIT

#include <cstddef>
#include <cstdint>
#include <string_view>


CAPMATCH_NAMESPACE_BEGIN

/// How a name or pattern is qualified: not at all, "[*]" (patterns only: any qualifier
/// or none), or with a named qualifier such as "[queue]" or "[meta]".
enum class qualifier_kind : std::uint8_t { none, any, named };

/// A parsed resource name, e.g. "[meta]log" or "chat:room:7". A view: it points into
/// the text it was parsed from. Valid names are well-formed UTF-8 with a non-empty body, no
/// empty segment, and no U+0000. `=value` and `?params` in the qualifier are dropped
/// (docs/semantics.md §6).
struct resource_name {
  bool qualified = false;
  std::string_view qualifier;  // without brackets and params; empty when !qualified
  std::string_view body;       // the part after the qualifier, segments joined by ':'
};

namespace detail {

/// Which grammar the scanner reads: a capability pattern ("resource") or a name to check.
enum class resource_role : bool { pattern, name };

/// What one scan of a resource finds. Offsets `empty_segment` and `beyond` are in `body`.
struct scanned_resource {
  qualifier_kind kind = qualifier_kind::none;
  std::string_view qualifier;  // when kind == named: without brackets and params
  std::string_view body;
  std::size_t empty_segment = std::string_view::npos;  // start of the first empty segment
  std::size_t beyond = std::string_view::npos;         // the ':' that starts segment max_segments + 1
};

/// The one scanner of the resource grammar, for names and patterns: length limit, UTF-8,
/// U+0000, the qualifier "[q=v?p]" and the segments. It reports what it finds; parse_name and
/// parse_pattern decide which findings are errors. Errors point at byte `base` for a pattern
/// (in a document, the resource's opening quote) and at the offending byte for a name.
[[nodiscard]] constexpr result<scanned_resource> scan_resource(std::string_view text, resource_role role,
                                                               std::uint32_t base) noexcept {
  const bool name = role == resource_role::name;
  const std::string_view what = name ? "resource name" : "resource";
  auto fail = [&](error_reason why, std::string_view tail) {
    error e(why, base);
    e.append(what).append(' ').append_quoted(text).append_at().append(tail);
    return e;
  };
  if (text.size() > max_resource_bytes) {
    error e(error_reason::resource_too_long, name ? static_cast<std::uint32_t>(max_resource_bytes) : base);
    e.append(what).append(" of ").append_number(text.size()).append(" bytes");
    if (!name) e.append_at();
    return e.append(" exceeds the limit of ").append_number(max_resource_bytes).append(" bytes (capmatch::max_resource_bytes)");
  }
  if (const std::size_t bad = utf8_invalid_at(text); bad != text.size()) {
    error e(error_reason::name_invalid_utf8, name ? static_cast<std::uint32_t>(bad) : base);
    return e.append(what).append(' ').append_quoted(text).append(" is not well-formed UTF-8").append_at();
  }
  if (text.empty()) {
    error e(error_reason::empty_resource, base);
    return e.append("empty ").append(what).append_at();
  }
  for (char c : text)
    if (c == '\0') return fail(error_reason::resource_contains_nul, " contains U+0000");
  scanned_resource out;
  out.body = text;
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return fail(error_reason::unclosed_qualifier, " has '[' without a closing ']'");
    const std::string_view inside = text.substr(1, close - 1);
    if (inside.find('[') != std::string_view::npos)
      return fail(error_reason::bracket_in_qualifier, " has '[' inside its qualifier");
    out.body = text.substr(close + 1);
    const auto params = inside.find_first_of("=?");
    const std::string_view qname = inside.substr(0, params);
    if (qname.empty()) {
      // "[?rewind=1]chan" is the unqualified channel "chan" (docs/semantics.md §6).
      if (params == std::string_view::npos || inside[params] != '?')
        return fail(error_reason::empty_qualifier, " has an empty qualifier; write [queue], [meta], [*] or no brackets");
    } else {
      out.kind = qname == "*" ? qualifier_kind::any : qualifier_kind::named;
      if (out.kind == qualifier_kind::named) out.qualifier = qname;
    }
    if (out.body.empty())
      return fail(error_reason::qualifier_without_name,
                  name ? " has a qualifier but no channel name after it"
                       : " has a qualifier but no channel name after it; follow it with '*' for every such channel");
    if (out.body.front() == '[') return fail(error_reason::more_than_one_qualifier, " has more than one qualifier");
  }
  std::size_t segments = 1;
  for (std::size_t i = 0; i <= out.body.size(); ++i) {
    const bool boundary = i == out.body.size() || out.body[i] == ':';
    if (boundary && (i == 0 || out.body[i - 1] == ':') && out.empty_segment == std::string_view::npos)
      out.empty_segment = i;
    if (i < out.body.size() && out.body[i] == ':' && ++segments > max_segments && out.beyond == std::string_view::npos)
      out.beyond = i;
  }
  return out;
}

/// The segment of `s` starting at `pos`, up to the next ':' or the end.
[[nodiscard]] constexpr std::string_view segment_at(std::string_view s, std::size_t pos) noexcept {
  const auto end = s.find(':', pos);
  return s.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
}

}  // namespace detail

/// Parses a resource name to check (channel, queue or metachannel name). Error offsets are
/// byte offsets in `text`. Limits: max_resource_bytes, max_segments (errc::limit_exceeded).
[[nodiscard]] constexpr result<resource_name> parse_name(std::string_view text) noexcept {
  auto scan = detail::scan_resource(text, detail::resource_role::name, 0);
  if (!scan) return scan.error();
  if (scan->kind == qualifier_kind::any) {
    error e(error_reason::any_qualifier_in_name, 0);
    return e.append("resource name ").append_quoted(text).append_at().append(
        " cannot use the [*] qualifier; [*] is for capability patterns");
  }
  const std::string_view body = scan->body;
  const auto body_at = static_cast<std::uint32_t>(text.size() - body.size());
  if (scan->empty_segment != std::string_view::npos) {
    error e(error_reason::empty_segment, body_at + static_cast<std::uint32_t>(scan->empty_segment));
    return e.append("resource name ").append_quoted(text).append(" has an empty segment").append_at();
  }
  if (scan->beyond != std::string_view::npos) {
    error e(error_reason::too_many_segments, body_at + static_cast<std::uint32_t>(scan->beyond));
    e.append("resource name ").append_quoted(text).append(" has more than ").append_number(max_segments);
    return e.append(" segments").append_at().append(" (capmatch::max_segments)");
  }
  return resource_name{scan->kind == qualifier_kind::named, scan->qualifier, body};
}

CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/name.hpp ----

// ---- begin include/capmatch/pattern.hpp ----
// capmatch — capability patterns (docs/semantics.md §2, rules 7-10): parse_pattern, matching
// a name, pattern intersection (rule 15) and containment. The grammar is name.hpp's scanner.
// SPDX-License-Identifier: MIT

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>


CAPMATCH_NAMESPACE_BEGIN

/// A parsed capability resource (a pattern), e.g. "chat:*" or "[*]*". A view into its text.
/// Segments split on ':'; a segment that is exactly "*" is a wildcard: one segment in the
/// middle, one or more as the last segment. A pattern with an empty segment (":a", "a::b",
/// "a:") is valid but matches no name.
struct pattern {
  qualifier_kind kind = qualifier_kind::none;
  std::string_view qualifier;  // when kind == named: without brackets and params
  std::string_view body;

  /// True when the last segment is "*" (it then matches one or more segments).
  [[nodiscard]] constexpr bool trailing_wildcard() const noexcept {
    return body == "*" || (body.size() >= 2 && body.substr(body.size() - 2) == ":*");
  }
  /// True when some segment is empty, so that no valid name matches.
  [[nodiscard]] constexpr bool matches_nothing() const noexcept {
    return body.empty() || body.front() == ':' || body.back() == ':' ||
           body.find("::") != std::string_view::npos;
  }
  /// True when it matches every unqualified name ("*" or "[*]*"): where app-wide ops count.
  [[nodiscard]] constexpr bool covers_all_channels() const noexcept {
    return kind != qualifier_kind::named && body.size() == 1 && body[0] == '*';  // (not == "*": a memcmp call)
  }
};

/// Parses a capability resource into a pattern. `base` offsets error positions: every error
/// about a pattern points at `base` (in a document, the resource's opening quote). The text
/// must be well-formed UTF-8. Limits: max_resource_bytes, max_segments (errc::limit_exceeded).
[[nodiscard]] constexpr result<pattern> parse_pattern(std::string_view text, std::uint32_t base = 0) noexcept {
  auto scan = detail::scan_resource(text, detail::resource_role::pattern, base);
  if (!scan) return scan.error();
  if (scan->beyond != std::string_view::npos) {
    error e(error_reason::too_many_segments, base);
    e.append("resource ").append_quoted(text).append(" has more than ").append_number(max_segments);
    return e.append(" segments").append_at().append(" (capmatch::max_segments)");
  }
  return pattern{scan->kind, scan->qualifier, scan->body};
}

namespace detail {
/// matches() below, adding to `steps` one per segment position compared: at most the name's
/// segment count, so the work is linear (the tests bound it with this count).
[[nodiscard]] constexpr bool matches_counted(const pattern& p, const resource_name& n, std::size_t& steps) noexcept {
  if (p.kind == qualifier_kind::none ? n.qualified
      : p.kind == qualifier_kind::named ? (!n.qualified || n.qualifier != p.qualifier)
                                         : false)
    return false;
  std::size_t i = 0, j = 0;
  for (;; ++steps) {
    const std::string_view ps = detail::segment_at(p.body, i);
    const std::string_view ns = detail::segment_at(n.body, j);
    const bool last_p = i + ps.size() == p.body.size();
    const bool last_n = j + ns.size() == n.body.size();
    if (ps == "*") {
      if (last_p) return true;  // a trailing "*" takes this and any further segments
    } else if (ps != ns) {
      return false;
    }
    if (last_p || last_n) return last_p && last_n;
    i += ps.size() + 1;
    j += ns.size() + 1;
  }
}
}  // namespace detail

/// True when pattern `p` matches name `n` (docs/semantics.md §8–10). One pass over both texts.
[[nodiscard]] constexpr bool matches(const pattern& p, const resource_name& n) noexcept {
  std::size_t steps = 0;
  return detail::matches_counted(p, n, steps);
}

/// Appends the text of a pattern in normal form ("[q]body", "[*]body" or "body", params dropped).
constexpr void append_text(const pattern& p, std::vector<char>& out) {
  auto put = [&](std::string_view s) { out.insert(out.end(), s.begin(), s.end()); };
  if (p.kind == qualifier_kind::any) put("[*]");
  if (p.kind == qualifier_kind::named) {
    put("[");
    put(p.qualifier);
    put("]");
  }
  put(p.body);
}

namespace detail {
/// contains(outer, inner) with each pattern's matches_nothing() and trailing_wildcard() given
/// (pattern_facts holds them: intersect asks about many pairs of the same patterns).
[[nodiscard]] constexpr bool contains_known(const pattern& a, bool a_nothing, bool ta, const pattern& b, bool b_nothing,
                                            bool tb) noexcept {
  if (a_nothing || b_nothing) return false;
  // Qualifiers: [*] holds every qualifier and none; otherwise they must be the same.
  if (a.kind != qualifier_kind::any &&
      (a.kind != b.kind || (a.kind == qualifier_kind::named && a.qualifier != b.qualifier)))
    return false;
  std::size_t i = 0, j = 0;
  for (;;) {
    const std::string_view sa = detail::segment_at(a.body, i), sb = detail::segment_at(b.body, j);
    const bool last_a = i + sa.size() == a.body.size(), last_b = j + sb.size() == b.body.size();
    if (last_a && ta) return true;         // a's trailing '*' takes b's remaining segments, wildcards too
    if (sa != "*" && (sa != sb || sb == "*")) return false;  // a literal holds only that literal
    if (last_a || last_b) return last_a && last_b && !tb;    // same length; b unbounded only if a is
    i += sa.size() + 1;
    j += sb.size() + 1;
  }
}
}  // namespace detail

/// True when `outer` matches every name `inner` matches (pattern containment). Exact, and
/// equivalent to "outer ∩ inner is inner itself in normal form" (tests check the two agree);
/// decided segment by segment without allocating, since lint and covers compare many pairs.
/// Patterns that match nothing are never contained and contain nothing.
[[nodiscard]] constexpr bool contains(const pattern& outer, const pattern& inner) noexcept {
  return detail::contains_known(outer, outer.matches_nothing(), outer.trailing_wildcard(), inner,
                                inner.matches_nothing(), inner.trailing_wildcard());
}

namespace detail {
/// A pattern with the facts intersect needs, computed once (each is a pass over the body).
struct pattern_facts {
  pattern p;
  std::size_t segments = 0;
  bool trailing = false;
  bool nothing = false;
  constexpr explicit pattern_facts(const pattern& q) noexcept
      : p(q), segments(1), trailing(q.trailing_wildcard()), nothing(q.matches_nothing()) {
    for (char c : q.body) segments += c == ':';
  }
};
constexpr bool intersect(const pattern_facts& fa, const pattern_facts& fb, std::vector<char>& out);
}  // namespace detail

/// Exact set intersection of two patterns (docs/semantics.md §15): appends the text of the one
/// pattern that matches exactly the names both match and returns true, or returns false
/// (appending nothing) when no name matches both. Linear in the shorter pattern.
constexpr bool intersect(const pattern& a, const pattern& b, std::vector<char>& out) {
  return detail::intersect(detail::pattern_facts(a), detail::pattern_facts(b), out);
}

namespace detail {
constexpr bool intersect(const pattern_facts& fa, const pattern_facts& fb, std::vector<char>& out) {
  const pattern& a = fa.p;
  const pattern& b = fb.p;
  if (fa.nothing || fb.nothing) return false;
  pattern q;
  if (a.kind == qualifier_kind::any) {
    q = b;
  } else if (b.kind == qualifier_kind::any || a.kind == b.kind) {
    q = a;
    if (a.kind == qualifier_kind::named && b.kind == qualifier_kind::named && a.qualifier != b.qualifier)
      return false;
  } else {
    return false;
  }
  const std::size_t na = fa.segments, nb = fb.segments;
  const bool ta = fa.trailing, tb = fb.trailing;
  if (!ta && !tb && na != nb) return false;
  if (!ta && tb && na < nb) return false;
  if (ta && !tb && nb < na) return false;
  const std::size_t len = (ta && tb) ? (na > nb ? na : nb) : (ta ? nb : na);
  const std::size_t mark = out.size();
  q.body = {};
  append_text(q, out);
  std::size_t i = 0, j = 0;
  for (std::size_t k = 0; k < len; ++k) {
    // Past its last segment, a pattern with a trailing "*" still covers any segment.
    const std::string_view sa = k < na ? segment_at(a.body, i) : std::string_view("*");
    const std::string_view sb = k < nb ? segment_at(b.body, j) : std::string_view("*");
    std::string_view s;
    if (sa == "*") s = sb;
    else if (sb == "*" || sa == sb) s = sa;
    else {
      out.resize(mark);
      return false;
    }
    if (k != 0) out.push_back(':');
    out.insert(out.end(), s.begin(), s.end());
    if (k < na) i += sa.size() + 1;
    if (k < nb) j += sb.size() + 1;
  }
  return true;
}
}  // namespace detail

CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/pattern.hpp ----

// ---- begin include/capmatch/detail/swar.hpp ----
// capmatch — word-at-a-time (SWAR) primitives shared by the JSON reader and the matcher.
// Internal.
// SPDX-License-Identifier: MIT

#include <cstddef>
#include <cstdint>
#include <cstring>


CAPMATCH_NAMESPACE_BEGIN
namespace detail::swar {

using u64 = std::uint64_t;
/// 0x01 in every byte.
inline constexpr u64 ones = 0x0101010101010101ull;
/// 0x80 in every byte.
inline constexpr u64 high_bits = 0x8080808080808080ull;
/// 0x7F in every byte.
inline constexpr u64 low7 = ~high_bits;

/// 0x80 in every byte of v that is zero, 0 elsewhere (exact: no borrow crosses a byte).
[[nodiscard]] constexpr u64 zero_bytes(u64 v) noexcept { return ~(((v & low7) + low7) | v | low7); }
/// 0x80 in every byte of v equal to c, 0 elsewhere (exact).
[[nodiscard]] constexpr u64 bytes_equal(u64 v, unsigned char c) noexcept { return zero_bytes(v ^ (ones * c)); }
/// 0x80 in every byte of v that is below 0x20 or at least 0x80, 0 elsewhere (exact).
[[nodiscard]] constexpr u64 control_or_high(u64 v) noexcept { return (~((v & low7) + (0x80 - 0x20) * ones) | v) & high_bits; }

/// The `k` bytes (0..8) at `p` as a little-endian word, zero above them (the value a memcpy
/// into a zeroed word gives): reads only those bytes, in at most two loads (overlapping when k
/// is not a power of two) and no memcpy of a variable length (a call whose byte stores the
/// word's load would then wait for); 0 without reading `p` when k is 0 (an empty view's data may
/// be null). Run time, on little-endian targets (the callers test std::endian::native).
[[nodiscard]] inline u64 load_partial(const char* p, std::size_t k) noexcept {
  u64 w = 0;
  if (k == 0) return 0;
  if (k == 8) {
    std::memcpy(&w, p, 8);
  } else if (k >= 4) {
    std::uint32_t a, b;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, p + k - 4, 4);
    w = a | u64{b} << (8 * (k - 4));  // (the overlapping bytes are the same in both)
  } else {  // 1..3: first, middle, last
    w = u64{static_cast<unsigned char>(p[0])} | u64{static_cast<unsigned char>(p[k / 2])} << (8 * (k / 2)) |
        u64{static_cast<unsigned char>(p[k - 1])} << (8 * (k - 1));
  }
  return w;
}

}  // namespace detail::swar
CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/detail/swar.hpp ----

// ---- begin include/capmatch/detail/simd.hpp ----
// capmatch — the instruction sets the compiler targets, decided once for every header. Internal.
// SPDX-License-Identifier: MIT

// CAPMATCH_DETAIL_SSE2: 1 when SSE2 may be used unconditionally (every x86-64, and 32-bit x86
// built for it), with <emmintrin.h> included; 0 elsewhere, where every user keeps a portable
// path. It is defined here only and never #undef'd: a header that tested a macro some other
// header had already removed would silently take its portable path.
#if defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#include <emmintrin.h>
#define CAPMATCH_DETAIL_SSE2 1
#else
#define CAPMATCH_DETAIL_SSE2 0
#endif
// ---- end include/capmatch/detail/simd.hpp ----

// ---- begin include/capmatch/detail/json.hpp ----
// capmatch — the small strict JSON reader and canonical writer the capability parser needs.
// Internal: the public surface is capability::parse and capability::to_json.
// SPDX-License-Identifier: MIT

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstring>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <vector>


CAPMATCH_NAMESPACE_BEGIN
namespace detail {

/// plain_ascii_end's run-time scan without SIMD (little-endian): eight bytes at a time (SWAR:
/// each test flags exactly the bytes it names, no borrow crosses a byte), the last 1-7 as one
/// word that ends at the string's end (the bytes before `pos` shifted out) or, in a string
/// shorter than a word, as swar::load_partial's word. Reads no byte outside `s`.
template <bool stop_at_del>
[[nodiscard]] inline std::size_t plain_ascii_end_words(std::string_view s, std::size_t pos) noexcept {
  const std::size_t n = s.size();
  auto stops = [](std::uint64_t w) {  // 0x80 in every byte of w that stops
    std::uint64_t f = swar::bytes_equal(w, '"') | swar::bytes_equal(w, '\\') | swar::control_or_high(w);
    if constexpr (stop_at_del) f |= swar::bytes_equal(w, 0x7F);
    return f;
  };
  for (; pos + 8 <= n; pos += 8)
    if (const std::uint64_t f = stops(swar::load_partial(s.data() + pos, 8)); f != 0)
      return pos + static_cast<std::size_t>(std::countr_zero(f) >> 3);
  if (pos == n) return n;
  std::uint64_t f;
  if (n >= 8) {
    f = stops(swar::load_partial(s.data() + n - 8, 8)) >> (8 * (pos + 8 - n));  // (pos + 8 - n bytes seen)
  } else {
    const std::size_t k = n - pos;  // 1..7; the zero bytes above them would stop: masked off
    f = stops(swar::load_partial(s.data() + pos, k)) & ((std::uint64_t{1} << (8 * k)) - 1);
  }
  return f != 0 ? pos + static_cast<std::size_t>(std::countr_zero(f) >> 3) : n;
}

#if CAPMATCH_DETAIL_SSE2
/// plain_ascii_end's run-time scan with SSE2: sixteen bytes at a time, the last 1-15 as one
/// window that ends at the string's end (the bytes before `pos` shifted out) or, in a string
/// shorter than sixteen bytes, one register of swar::load_partial's words. Reads no byte
/// outside `s`.
template <bool stop_at_del>
[[nodiscard]] inline std::size_t plain_ascii_end_sse2(std::string_view s, std::size_t pos) noexcept {
  const std::size_t n = s.size();
  const char* p = s.data();
  auto stops = [](__m128i v) {  // bit k: byte k of v stops
    __m128i m = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
    m = _mm_or_si128(m, _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));  // (signed: below 0x20, or 0x80 and above)
    if constexpr (stop_at_del) m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7F)));
    return static_cast<unsigned>(_mm_movemask_epi8(m));
  };
  auto at = [p](std::size_t i) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i)); };
  unsigned bits;
  if (n >= 16) {
    for (; pos + 16 <= n; pos += 16)
      if ((bits = stops(at(pos))) != 0) return pos + static_cast<std::size_t>(std::countr_zero(bits));
    if (pos == n) return n;
    bits = stops(at(n - 16)) >> (pos + 16 - n);  // (pos + 16 - n bytes of it seen)
  } else {
    if (pos == n) return n;
    const std::size_t k = n - pos;  // 1..15; the zero bytes above them would stop: masked off
    const std::uint64_t lo = swar::load_partial(p + pos, k < 8 ? k : 8);
    const std::uint64_t hi = k > 8 ? swar::load_partial(p + pos + 8, k - 8) : 0;
    bits = stops(_mm_set_epi64x(static_cast<long long>(hi), static_cast<long long>(lo))) & ((1u << k) - 1);
  }
  return bits != 0 ? pos + static_cast<std::size_t>(std::countr_zero(bits)) : n;
}
#endif

/// The first index from `pos` of a byte that a JSON string reader or writer must look at:
/// '"', '\\', U+0000..U+001F or a non-ASCII byte; s.size() if none. At run time sixteen bytes
/// at a time with SSE2 (plain_ascii_end_sse2), else eight (plain_ascii_end_words), with no
/// byte loop; in constant evaluation (and on big-endian targets) a byte at a time.
/// (With `stop_at_del`, also 0x7F: printable_ascii_end.)
template <bool stop_at_del = false>
[[nodiscard]] constexpr std::size_t plain_ascii_end(std::string_view s, std::size_t pos) noexcept {
  if (!std::is_constant_evaluated() && std::endian::native == std::endian::little) {
#if CAPMATCH_DETAIL_SSE2
    return plain_ascii_end_sse2<stop_at_del>(s, pos);
#else
    return plain_ascii_end_words<stop_at_del>(s, pos);
#endif
  }
  for (; pos < s.size(); ++pos) {
    const auto c = static_cast<unsigned char>(s[pos]);
    if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80 || (stop_at_del && c == 0x7F)) return pos;
  }
  return pos;
}
/// The first index from `pos` of a byte that is not printable ASCII (U+0020..U+007E) or is '"'
/// or '\\'; s.size() if none.
[[nodiscard]] constexpr std::size_t printable_ascii_end(std::string_view s, std::size_t pos) noexcept {
  return plain_ascii_end<true>(s, pos);
}

/// A cursor over JSON text (RFC 8259) with the few reads a capability needs. Every
/// failure becomes an error with the byte offset and stops the read; nothing is skipped.
class json_reader {
 public:
  constexpr explicit json_reader(std::string_view in) noexcept : in_(in) {}

  [[nodiscard]] constexpr std::size_t pos() const noexcept { return pos_; }
  [[nodiscard]] constexpr bool at_end() const noexcept { return pos_ >= in_.size(); }
  [[nodiscard]] constexpr char peek() const noexcept { return at_end() ? '\0' : in_[pos_]; }

  /// Steps over `n` bytes the caller has already checked (a number or literal it read itself).
  constexpr void skip(std::size_t n) noexcept { pos_ += n; }

  constexpr void skip_ws() noexcept {
    while (pos_ < in_.size()) {
      const char c = in_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
      ++pos_;
    }
  }

  /// Consumes `c` after whitespace, or fails naming what was expected.
  [[nodiscard]] constexpr bool expect(char c, error_hint expected, error& err) noexcept {
    skip_ws();
    if (peek() == c && !at_end()) return ++pos_, true;
    err = unexpected(expected);
    return false;
  }

  /// An error for whatever stands at the cursor, saying what was expected there.
  [[nodiscard]] constexpr error unexpected(error_hint expected) const noexcept {
    error e(error_reason::unexpected_end, static_cast<std::uint32_t>(pos_));
    if (at_end()) {
      e.append("unexpected end of input").append_at();
    } else {
      const auto c = static_cast<unsigned char>(in_[pos_]);
      if (c >= 0x20 && c < 0x7F) {
        e = error(error_reason::unexpected_character, static_cast<std::uint32_t>(pos_));
        e.append("unexpected character ").append_quoted(in_.substr(pos_, 1)).append_at();
      } else {
        e = error(error_reason::unexpected_byte, static_cast<std::uint32_t>(pos_));
        e.append("unexpected byte 0x").append(hex_digit(c >> 4)).append(hex_digit(c)).append_at();
      }
    }
    return e.append("; expected ").append(hint_text(expected)).set_hint(expected);
  }

  /// expect, naming in words of the caller what was expected (for a wire form that is not a capability).
  [[nodiscard]] constexpr bool expect(char c, std::string_view expected, error& err) noexcept {
    if (expect(c, error_hint::none, err)) return true;
    err.append(expected);
    return false;
  }

  /// unexpected, naming in words of the caller what was expected.
  [[nodiscard]] constexpr error unexpected(std::string_view expected) const noexcept {
    error e = unexpected(error_hint::none);
    e.append(expected);
    return e;
  }

  /// What kind of JSON value starts at the cursor (error_hint::found_string, ...), or
  /// error_hint::none when no value starts there.
  [[nodiscard]] constexpr error_hint value_kind() const noexcept {
    switch (peek()) {
      case '"': return error_hint::found_string;
      case '{': return error_hint::found_object;
      case '[': return error_hint::found_array;
      case 't':
      case 'f': return error_hint::found_boolean;
      case 'n': return error_hint::found_null;
      case '-':
      case '0': case '1': case '2': case '3': case '4':
      case '5': case '6': case '7': case '8': case '9': return error_hint::found_number;
      default: return error_hint::none;
    }
  }

  /// The words of an expected_* or found_* hint: "a string", "':' after the resource name".
  [[nodiscard]] static constexpr std::string_view hint_text(error_hint h) noexcept {
    switch (h) {
      case error_hint::expected_object: return "a JSON object";
      case error_hint::expected_string: return "a string";
      case error_hint::expected_colon: return "':' after the resource name";
      case error_hint::expected_operations: return "an array of operations";
      case error_hint::expected_operation_name: return "an operation name string";
      case error_hint::expected_comma_or_bracket: return "',' or ']'";
      case error_hint::expected_comma_or_brace: return "',' or '}'";
      case error_hint::expected_open_brace: return "'{'";
      case error_hint::expected_open_bracket: return "'['";
      case error_hint::expected_close_bracket: return "']'";
      case error_hint::expected_close_brace: return "'}'";
      case error_hint::found_string: return "a string";
      case error_hint::found_object: return "an object";
      case error_hint::found_array: return "an array";
      case error_hint::found_boolean: return "a boolean";
      case error_hint::found_null: return "null";
      case error_hint::found_number: return "a number";
      default: return {};
    }
  }

  /// Reads a string at the cursor (after whitespace), appending its decoded UTF-8 to `out`.
  [[nodiscard]] constexpr bool read_string(std::vector<char>& out, error& err) {
    skip_ws();
    if (peek() != '"' || at_end()) return err = unexpected(error_hint::expected_string), false;
    const std::size_t start = pos_++;
    for (;;) {
      // Fast path: copy the run of plain ASCII up to the next byte that needs a look.
      const std::size_t run = plain_ascii_end(in_, pos_);
      out.insert(out.end(), in_.begin() + static_cast<std::ptrdiff_t>(pos_),
                 in_.begin() + static_cast<std::ptrdiff_t>(run));
      pos_ = run;
      if (at_end()) {
        error e(error_reason::unterminated_string, static_cast<std::uint32_t>(start));
        return err = e.append("unterminated string starting").append_at(), false;
      }
      const auto c = static_cast<unsigned char>(in_[pos_]);
      if (c == '"') return ++pos_, true;
      if (c == '\\') {
        if (!read_escape(out, err)) return false;
      } else if (c < 0x20) {
        error e(error_reason::control_character, static_cast<std::uint32_t>(pos_));
        e.append("control character U+00").append(hex_digit(c >> 4)).append(hex_digit(c));
        e.append(" in a string").append_at().append("; escape it (\\n, \\t, \\u00XX)");
        return err = e, false;
      } else if (!read_utf8(out, err)) {
        return false;
      }
    }
  }

 private:
  [[nodiscard]] constexpr int hex4(std::size_t at) const noexcept {
    if (at + 4 > in_.size()) return -1;
    int v = 0;
    for (std::size_t i = at; i < at + 4; ++i) {
      const char c = in_[i];
      const int d = (c >= '0' && c <= '9') ? c - '0'
                    : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                    : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                             : -1;
      if (d < 0) return -1;
      v = v * 16 + d;
    }
    return v;
  }

  static constexpr void put_utf8(std::vector<char>& out, std::uint32_t cp) {
    auto b = [&](std::uint32_t v) { out.push_back(static_cast<char>(static_cast<unsigned char>(v))); };
    if (cp < 0x80) {
      b(cp);
    } else if (cp < 0x800) {
      b(0xC0 | (cp >> 6)), b(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      b(0xE0 | (cp >> 12)), b(0x80 | ((cp >> 6) & 0x3F)), b(0x80 | (cp & 0x3F));
    } else {
      b(0xF0 | (cp >> 18)), b(0x80 | ((cp >> 12) & 0x3F)), b(0x80 | ((cp >> 6) & 0x3F)), b(0x80 | (cp & 0x3F));
    }
  }

  [[nodiscard]] constexpr bool read_escape(std::vector<char>& out, error& err) {
    const std::size_t at = pos_;
    if (pos_ + 1 >= in_.size()) {
      error e(error_reason::unterminated_escape, static_cast<std::uint32_t>(at));
      return err = e.append("unterminated escape").append_at(), false;
    }
    const char c = in_[pos_ + 1];
    char simple = 0;
    switch (c) {
      case '"': simple = '"'; break;
      case '\\': simple = '\\'; break;
      case '/': simple = '/'; break;
      case 'b': simple = '\b'; break;
      case 'f': simple = '\f'; break;
      case 'n': simple = '\n'; break;
      case 'r': simple = '\r'; break;
      case 't': simple = '\t'; break;
      case 'u': break;
      default: {
        error e(error_reason::invalid_escape, static_cast<std::uint32_t>(at));
        e.append("invalid escape ").append_quoted(in_.substr(at, 2)).append_at();
        return err = e.append("; valid escapes are \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX"), false;
      }
    }
    if (simple != 0) {
      out.push_back(simple);
      pos_ += 2;
      return true;
    }
    auto bad_u = [&](std::size_t where) {
      error e(error_reason::invalid_unicode_escape, static_cast<std::uint32_t>(where));
      return e.append("invalid \\u escape").append_at().append("; expected four hex digits");
    };
    const int hi = hex4(pos_ + 2);
    if (hi < 0) return err = bad_u(at), false;
    pos_ += 6;
    std::uint32_t cp = static_cast<std::uint32_t>(hi);
    auto lone = [&](std::size_t where) {
      error e(error_reason::lone_surrogate, static_cast<std::uint32_t>(where));
      e.append("lone surrogate ").append_quoted(in_.substr(where, 6)).append_at();
      return e.append("; a \\uD800-\\uDBFF escape must be followed by a \\uDC00-\\uDFFF escape");
    };
    if (cp >= 0xDC00 && cp <= 0xDFFF) return err = lone(at), false;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (pos_ + 1 >= in_.size() || in_[pos_] != '\\' || in_[pos_ + 1] != 'u') return err = lone(at), false;
      const int lo = hex4(pos_ + 2);
      if (lo < 0) return err = bad_u(pos_), false;
      if (lo < 0xDC00 || lo > 0xDFFF) return err = lone(at), false;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (static_cast<std::uint32_t>(lo) - 0xDC00);
      pos_ += 6;
    }
    put_utf8(out, cp);
    return true;
  }

  /// Validates (utf8_length) and copies one multi-byte UTF-8 sequence.
  [[nodiscard]] constexpr bool read_utf8(std::vector<char>& out, error& err) {
    const std::size_t at = pos_;
    const std::size_t len = utf8_length(in_, at);
    const bool ok = len != 0;
    if (!ok) {
      error e(error_reason::invalid_utf8, static_cast<std::uint32_t>(at));
      return err = e.append("invalid UTF-8").append_at(), false;
    }
    out.insert(out.end(), in_.begin() + static_cast<std::ptrdiff_t>(at),
               in_.begin() + static_cast<std::ptrdiff_t>(at + len));
    pos_ += len;
    return true;
  }

  std::string_view in_;
  std::size_t pos_ = 0;
};

/// True when `s` holds no byte that JSON escapes ('"', '\\', U+0000..U+001F).
[[nodiscard]] constexpr bool json_plain(std::string_view s) noexcept {
  for (std::size_t i = plain_ascii_end(s, 0); i < s.size(); i = plain_ascii_end(s, i + 1)) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\' || c < 0x20) return false;  // (else non-ASCII: written as it is)
  }
  return true;
}

/// Bytes of `s` written as a JSON string (quotes included): see write_json_string.
[[nodiscard]] constexpr std::size_t json_string_size(std::string_view s) noexcept {
  std::size_t size = s.size() + 2;
  if (json_plain(s)) return size;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') size += 1;
    else if (c < 0x20) size += c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t' ? 1 : 5;
  }
  return size;
}

/// Writes `s` as a JSON string at p (json_string_size(s) bytes), escaping only what RFC 8259
/// requires (docs/semantics.md §1.5): '"', '\\' and U+0000..U+001F (as \b \f \n \r \t or \u00XX).
/// Returns the end of what was written.
constexpr char* write_json_string(std::string_view s, char* p) noexcept {
  *p++ = '"';
  if (json_plain(s)) {
    p = std::copy(s.begin(), s.end(), p);
    *p++ = '"';
    return p;
  }
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      *p++ = '\\';
      *p++ = ch;
    } else if (c < 0x20) {
      *p++ = '\\';
      switch (c) {
        case '\b': *p++ = 'b'; break;
        case '\f': *p++ = 'f'; break;
        case '\n': *p++ = 'n'; break;
        case '\r': *p++ = 'r'; break;
        case '\t': *p++ = 't'; break;
        default:
          *p++ = 'u', *p++ = '0', *p++ = '0';
          *p++ = hex_digit(c >> 4, true), *p++ = hex_digit(c, true);
      }
    } else {
      *p++ = ch;
    }
  }
  *p++ = '"';
  return p;
}

/// Appends `s` as a JSON string (see write_json_string above).
constexpr void write_json_string(std::string_view s, std::vector<char>& out) {
  const std::size_t at = out.size();
  out.resize(at + json_string_size(s), '\0');
  write_json_string(s, out.data() + at);
}

}  // namespace detail
CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/detail/json.hpp ----

// ---- begin include/capmatch/capability.hpp ----
// capmatch — capabilities: parse and validate (docs/semantics.md §1), canonical text, checks (§3).
// SPDX-License-Identifier: MIT

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>


CAPMATCH_NAMESPACE_BEGIN

class capability;
namespace detail {
struct capability_access;
}

/// A validated capability: resource patterns with the operations each grants, kept in
/// canonical order (resources ascending by byte value). Immutable once built.
class capability {
 public:
  /// A parsed capability document, or the first error in it (code 40000, with byte offset).
  [[nodiscard]] static constexpr result<capability> parse(std::string_view json);

  constexpr capability() = default;

  /// Number of resources.
  [[nodiscard]] constexpr std::size_t size() const noexcept { return entries_.size(); }
  [[nodiscard]] constexpr bool empty() const noexcept { return entries_.empty(); }
  /// Resource i (0 <= i < size()) as written, in canonical order.
  [[nodiscard]] constexpr std::string_view resource(std::size_t i) const noexcept {
    const auto& e = entries_[i];
    return view(e.offset, e.size);
  }
  /// The operations resource i grants.
  [[nodiscard]] constexpr op_set ops(std::size_t i) const noexcept { return entries_[i].ops; }
  /// Resource i as a pattern (a view into this capability).
  [[nodiscard]] constexpr pattern pattern_at(std::size_t i) const noexcept {
    const auto& e = entries_[i];
    return pattern{e.kind, view(e.qualifier_offset, e.qualifier_size),
                   view(e.offset + e.body_skip, e.size - e.body_skip)};
  }
  /// Byte offset of resource i in the parsed document (0 for built capabilities).
  [[nodiscard]] constexpr std::uint32_t source_offset(std::size_t i) const noexcept {
    return entries_[i].source_offset;
  }

  /// Union of the operations of every pattern that matches `name` (docs/semantics.md §11).
  [[nodiscard]] constexpr op_set ops_for(const resource_name& name) const noexcept {
    op_set out;
    for (std::size_t i = 0; i < entries_.size(); ++i)
      if (matches(pattern_at(i), name)) out = out | entries_[i].ops;
    return out;
  }
  /// As above for a name in text; an invalid name is granted nothing (parse_name says why).
  [[nodiscard]] constexpr op_set ops_for(std::string_view name) const noexcept {
    const auto parsed = parse_name(name);
    return parsed ? ops_for(*parsed) : op_set{};
  }
  /// True when `op` is allowed on `name`. App-wide operations (stats, push-admin) are never
  /// allowed on a resource: check them with allows_app_wide (docs/semantics.md §12).
  [[nodiscard]] constexpr bool allows(const resource_name& name, operation op) const noexcept {
    return !is_app_wide(op) && ops_for(name).contains(op);
  }
  [[nodiscard]] constexpr bool allows(std::string_view name, operation op) const noexcept {
    const auto parsed = parse_name(name);
    return parsed && allows(*parsed, op);
  }
  /// True when `op` is granted app-wide: on "*" or "[*]*" (docs/semantics.md §12). This is the check
  /// for stats, push-admin, and (with channel_metadata) enumerating channels.
  [[nodiscard]] constexpr bool allows_app_wide(operation op) const noexcept {
    for (std::size_t i = 0; i < entries_.size(); ++i)
      if (pattern_at(i).covers_all_channels() && entries_[i].ops.contains(op)) return true;
    return false;
  }
  /// True when the capability allows enumerating channels (channel-metadata on "*" or "[*]*").
  [[nodiscard]] constexpr bool allows_channel_enumeration() const noexcept {
    return allows_app_wide(operation::channel_metadata);
  }

  /// Appends the canonical JSON text (docs/semantics.md §1.5) to `out`.
  constexpr void write_json(std::vector<char>& out) const {
    // Measured first, then written in place: one resize, no per-byte capacity checks.
    std::size_t size = 2 + (entries_.empty() ? 0 : entries_.size() - 1);  // {}, commas
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      size += detail::json_string_size(resource(i)) + 3;  // :[]
      std::size_t names = 0;
      entries_[i].ops.for_each_name([&](std::string_view n) { size += n.size() + 2 + (names++ != 0); });
    }
    const std::size_t at = out.size();
    out.resize(at + size, '\0');  // (with a value: clang's constant evaluation rejects resize(n) of chars)
    char* p = out.data() + at;
    *p++ = '{';
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (i != 0) *p++ = ',';
      p = detail::write_json_string(resource(i), p);
      *p++ = ':';
      *p++ = '[';
      bool first = true;
      // Operation names need no escapes: written directly (write_json_string's escape check
      // on each name measured ~9 % slower on parse + canonical text at 4096 entries).
      entries_[i].ops.for_each_name([&](std::string_view n) {
        if (!first) *p++ = ',';
        first = false;
        *p++ = '"';
        p = std::copy(n.begin(), n.end(), p);
        *p++ = '"';
      });
      *p++ = ']';
    }
    *p = '}';
  }
  /// The canonical JSON text: byte-identical for equal capabilities.
  [[nodiscard]] std::string to_json() const {
    std::vector<char> out;
    write_json(out);
    return std::string(out.begin(), out.end());
  }

  /// Equal when the canonical texts are equal.
  friend constexpr bool operator==(const capability& a, const capability& b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (a.resource(i) != b.resource(i) || a.ops(i) != b.ops(i)) return false;
    return true;
  }

 private:
  friend struct detail::capability_access;

  struct entry {
    std::uint32_t offset = 0, size = 0;  // resource bytes in text_
    std::uint32_t qualifier_offset = 0, qualifier_size = 0;
    std::uint32_t body_skip = 0;  // bytes of the qualifier prefix
    std::uint32_t source_offset = 0;
    qualifier_kind kind = qualifier_kind::none;
    op_set ops;
  };

  [[nodiscard]] constexpr std::string_view view(std::uint32_t off, std::uint32_t n) const noexcept {
    return n == 0 ? std::string_view() : std::string_view(text_.data() + off, n);
  }

  // Appends a resource known to be a valid pattern.
  constexpr void add(std::string_view res, const pattern& p, op_set ops, std::uint32_t source_offset) {
    const std::size_t at = text_.size();
    text_.insert(text_.end(), res.begin(), res.end());
    add_text_end(at, p, ops, source_offset);
  }
  // Makes the text from byte `at` to the end of text_ an entry: a valid pattern whose qualifier
  // and body sizes are p's.
  constexpr void add_text_end(std::size_t at, const pattern& p, op_set ops, std::uint32_t source_offset) {
    entry e;
    e.offset = static_cast<std::uint32_t>(at);
    e.size = static_cast<std::uint32_t>(text_.size() - at);
    e.kind = p.kind;
    e.body_skip = static_cast<std::uint32_t>(e.size - p.body.size());
    if (p.kind == qualifier_kind::named) {
      e.qualifier_offset = e.offset + 1;  // "[q..." : the name starts after '['
      e.qualifier_size = static_cast<std::uint32_t>(p.qualifier.size());
    }
    e.source_offset = source_offset;
    e.ops = ops;
    entries_.push_back(e);
  }

  // Sorts into canonical order. With merge, equal resources unite their ops; without,
  // the first equal pair is returned as an index (the later of the two in the source).
  constexpr std::size_t sort_entries(bool merge) {
    if (entries_.size() <= small_sort) {
      // Few entries (a typical token): insertion sort in place, stable, so equal resources keep
      // the order they were added in, which is source order for a parsed document.
      for (std::size_t i = 1; i < entries_.size(); ++i) {
        const entry e = entries_[i];
        const std::string_view res = view(e.offset, e.size);
        std::size_t k = i;
        for (; k != 0 && res < view(entries_[k - 1].offset, entries_[k - 1].size); --k) entries_[k] = entries_[k - 1];
        entries_[k] = e;
      }
    } else {
      sort_large();
    }
    std::size_t out = 0;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (out != 0 && view(entries_[out - 1].offset, entries_[out - 1].size) ==
                          view(entries_[i].offset, entries_[i].size)) {
        if (!merge) return i;
        entries_[out - 1].ops = entries_[out - 1].ops | entries_[i].ops;
        continue;
      }
      entries_[out++] = entries_[i];
    }
    entries_.resize(out);
    return entries_.size();
  }
  // Up to this many entries sort_entries sorts in place without keys (measured: the keys,
  // their allocation and the permutation cost more than they save on a typical token).
  static constexpr std::size_t small_sort = 16;

  // Sorts by resource, ties by source offset: as small keys, then the entries permuted once.
  constexpr void sort_large() {
    // Most comparisons are decided by the first 16 bytes, compared as two numbers (big-endian, a
    // shorter resource zero-padded: no resource holds U+0000, so this orders like the bytes);
    // ties compare the rest.
    struct sort_key {
      std::uint64_t p0 = 0, p1 = 0;
      std::uint32_t index = 0;
    };
    std::vector<sort_key> keys(entries_.size());
    for (std::size_t k = 0; k < entries_.size(); ++k) {
      const entry& e = entries_[k];
      const std::string_view res = view(e.offset, e.size);
      sort_key& key = keys[k];
      for (std::size_t i = 0; i < 16; ++i) {
        const std::uint64_t byte = i < res.size() ? static_cast<unsigned char>(res[i]) : 0u;
        (i < 8 ? key.p0 : key.p1) = (i < 8 ? key.p0 : key.p1) << 8 | byte;
      }
      key.index = static_cast<std::uint32_t>(k);
    }
    std::sort(keys.begin(), keys.end(), [this](const sort_key& x, const sort_key& y) {
      if (x.p0 != y.p0) return x.p0 < y.p0;
      if (x.p1 != y.p1) return x.p1 < y.p1;
      const entry& a = entries_[x.index];
      const entry& b = entries_[y.index];
      const int c = view(a.offset, a.size).compare(view(b.offset, b.size));
      return c != 0 ? c < 0 : a.source_offset < b.source_offset;
    });
    std::vector<entry> sorted(entries_.size());
    for (std::size_t k = 0; k < keys.size(); ++k) sorted[k] = entries_[keys[k].index];
    entries_ = std::move(sorted);
  }

  // Drops resource text no entry refers to any more (after a merging sort).
  constexpr void compact_text() {
    std::size_t live = 0;
    for (const auto& e : entries_) live += e.size;
    if (live == text_.size()) return;  // no dead text (each entry has text of its own)
    std::vector<char> text;
    text.reserve(live);
    for (auto& e : entries_) {
      const auto off = static_cast<std::uint32_t>(text.size());
      text.insert(text.end(), text_.begin() + e.offset, text_.begin() + e.offset + e.size);
      if (e.kind == qualifier_kind::named) e.qualifier_offset = e.qualifier_offset - e.offset + off;
      e.offset = off;
    }
    text_ = std::move(text);
  }

  std::vector<char> text_;
  std::vector<entry> entries_;
};

namespace detail {
/// Builds capabilities from already-validated parts (used by parse and intersect).
struct capability_access {
  static constexpr void add(capability& c, std::string_view res, op_set ops, std::uint32_t source_offset) {
    c.add(res, parse_pattern(res).value(), ops, source_offset);
  }
  static constexpr void add(capability& c, std::string_view res, const pattern& p, op_set ops,
                            std::uint32_t source_offset) {
    c.add(res, p, ops, source_offset);
  }
  /// The text buffer, for detail::intersect to write a resource into before add_text_end.
  [[nodiscard]] static constexpr std::vector<char>& text(capability& c) noexcept { return c.text_; }
  /// Makes the text from byte `at` to the end of text(c) a resource: a valid pattern whose
  /// qualifier and body have the sizes of p's.
  static constexpr void add_text_end(capability& c, std::size_t at, const pattern& p, op_set ops) {
    c.add_text_end(at, p, ops, 0);
  }
  /// Room for `entries` resources of `bytes` bytes in all.
  static constexpr void reserve(capability& c, std::size_t entries, std::size_t bytes) {
    c.entries_.reserve(entries);
    c.text_.reserve(bytes);
  }
  /// Canonical order; returns the index of a duplicate resource, or size() if none.
  static constexpr std::size_t sort(capability& c, bool merge) { return c.sort_entries(merge); }
  /// Releases the text of entries a merging sort removed.
  static constexpr void compact(capability& c) { c.compact_text(); }
};

}  // namespace detail

constexpr result<capability> capability::parse(std::string_view json) {
  if (json.size() > max_document_bytes) {
    error e(error_reason::document_too_large, static_cast<std::uint32_t>(max_document_bytes));
    return e.append("capability document of ").append_number(json.size()).append(" bytes exceeds the limit of ")
        .append_number(max_document_bytes).append(" bytes (capmatch::max_document_bytes)");
  }
  if (json.size() >= 3 && json[0] == '\xEF' && json[1] == '\xBB' && json[2] == '\xBF')
    return error(error_reason::byte_order_mark, 0, "byte order mark at byte 0; capability JSON must start with '{'");
  detail::json_reader r(json);
  r.skip_ws();
  if (r.at_end())
    return error(error_reason::empty_input, 0, "empty input; a capability is a JSON object such as {\"channel\":[\"subscribe\"]}");
  if (r.peek() != '{') {
    const auto kind = r.value_kind();
    if (kind == error_hint::none) return r.unexpected(error_hint::expected_object);
    error e(error_reason::not_an_object, static_cast<std::uint32_t>(r.pos()));
    e.append("a capability must be a JSON object, found ").append(r.hint_text(kind)).append_at();
    return e.set_hint(kind);
  }
  error err;
  (void)r.expect('{', error_hint::expected_open_brace, err);
  capability cap;
  // One allocation each for the text and the entries: decoded resources are never longer than
  // the document, and a resource takes at least 10 bytes of it ("r":["*"],).
  cap.text_.reserve(json.size());
  cap.entries_.reserve(std::min<std::size_t>(json.size() / 10 + 1, capability::small_sort));
  // At run time a string without escapes, controls or non-ASCII bytes is a view of the document;
  // any other is decoded (and checked) by read_string into `buf`, exactly as before. (Constant
  // evaluation always copies: g++ 12 rejects views into a temporary document, as in
  // static_capability's parse of its own text.)
  std::vector<char> key, op;
  auto read_text = [&](std::vector<char>& buf, std::string_view& out) {
    r.skip_ws();
    if (!std::is_constant_evaluated() && r.peek() == '"' && !r.at_end()) {
      const std::size_t begin = r.pos() + 1, end = detail::plain_ascii_end(json, begin);
      if (end < json.size() && json[end] == '"') {
        out = json.substr(begin, end - begin);
        r.skip(end + 1 - r.pos());
        return true;
      }
    }
    buf.clear();
    if (!r.read_string(buf, err)) return false;
    out = std::string_view(buf.data(), buf.size());
    return true;
  };
  r.skip_ws();
  if (r.peek() == '}') {
    (void)r.expect('}', error_hint::expected_close_brace, err);
  } else {
    for (;;) {
      r.skip_ws();
      const auto key_at = static_cast<std::uint32_t>(r.pos());
      if (cap.size() == max_resources) {
        error e(error_reason::too_many_resources, key_at);
        e.append("capability lists more than ").append_number(max_resources).append(" resources").append_at();
        return e.append(" (capmatch::max_resources)");
      }
      std::string_view res;
      if (!read_text(key, res)) return err;
      auto pat = parse_pattern(res, key_at);
      if (!pat) return pat.error();
      if (!r.expect(':', error_hint::expected_colon, err)) return err;
      r.skip_ws();
      if (r.peek() != '[' || r.at_end()) {
        const auto kind = r.value_kind();
        if (kind == error_hint::none) return r.unexpected(error_hint::expected_operations);
        error e(error_reason::operations_not_array, static_cast<std::uint32_t>(r.pos()));
        e.append("operations for resource ").append_quoted(res).append(" must be an array of strings, found ");
        return e.append(r.hint_text(kind)).append_at().set_hint(kind);
      }
      const auto list_at = static_cast<std::uint32_t>(r.pos());
      (void)r.expect('[', error_hint::expected_open_bracket, err);
      r.skip_ws();
      if (r.peek() == ']') {
        error e(error_reason::empty_operations, list_at);
        e.append("empty operation list for resource ").append_quoted(res).append_at();
        return e.append("; list at least one operation, or \"*\" for all");
      }
      op_set ops;
      for (;;) {
        r.skip_ws();
        const auto op_at = static_cast<std::uint32_t>(r.pos());
        if (r.peek() != '"' || r.at_end()) {
          const auto kind = r.value_kind();
          if (kind == error_hint::none) return r.unexpected(error_hint::expected_operation_name);
          error e(error_reason::operation_not_string, op_at);
          e.append("operations for resource ").append_quoted(res).append(" must be strings, found ");
          return e.append(r.hint_text(kind)).append_at().set_hint(kind);
        }
        std::string_view name;
        if (!read_text(op, name)) return err;
        if (name == "*" || ops.is_all()) {
          if (!ops.empty()) {
            error e(error_reason::wildcard_not_alone, op_at);
            e.append("'*' must be the only operation for resource ").append_quoted(res);
            if (name != "*") {
              e.append(", found ").append_quoted(name);  // ["*", "publish"]
            } else if (ops.is_all()) {
              e.append(", found it twice");  // ["*", "*"]
            } else {
              std::string_view before;  // ["publish", "*"]: name an operation listed before it
              ops.for_each_name([&](std::string_view n) { before = before.empty() ? n : before; });
              e.append(", found it after ").append_quoted(before);
            }
            return e.append_at();
          }
          ops = op_set::all();
        } else if (const auto o = parse_operation(name, op_at); !o) {
          return o.error();
        } else if (ops.contains(*o)) {
          error e(error_reason::duplicate_operation, op_at);
          e.append("operation ").append_quoted(name).append(" listed twice for resource ").append_quoted(res);
          return e.append_at();
        } else {
          ops.insert(*o);
        }
        r.skip_ws();
        if (r.peek() == ']' && !r.at_end()) {
          (void)r.expect(']', error_hint::expected_close_bracket, err);
          break;
        }
        if (!r.expect(',', error_hint::expected_comma_or_bracket, err)) return err;
      }
      detail::capability_access::add(cap, res, *pat, ops, key_at);
      r.skip_ws();
      if (r.peek() == '}' && !r.at_end()) {
        (void)r.expect('}', error_hint::expected_close_brace, err);
        break;
      }
      if (!r.expect(',', error_hint::expected_comma_or_brace, err)) return err;
    }
  }
  r.skip_ws();
  if (!r.at_end()) {
    error e(error_reason::trailing_characters, static_cast<std::uint32_t>(r.pos()));
    return e.append("trailing characters after the capability").append_at();
  }
  const std::size_t dup = detail::capability_access::sort(cap, false);
  if (dup != cap.size()) {
    const auto at = cap.source_offset(dup);
    error e(error_reason::duplicate_resource, at);
    e.append("resource ").append_quoted(cap.resource(dup)).append(" listed twice").append_at();
    return e.append(" (first at byte ").append_number(cap.source_offset(dup - 1)).append(')');
  }
  return cap;
}

CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/capability.hpp ----

// ---- begin include/capmatch/capability_builder.hpp ----
// capmatch — build a capability from (resource, operations) pairs, and template untrusted
// values into resource names safely (docs/semantics.md §1, §2, Decisions B1–B4).
// SPDX-License-Identifier: MIT

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>


CAPMATCH_NAMESPACE_BEGIN

/// One value for a resource_template placeholder: {name} takes `value`.
struct binding {
  std::string_view name;
  std::string_view value;
};

/// A resource pattern with placeholders, e.g. "chat:{room}:*", into which untrusted values are
/// put (docs/semantics.md Decision B3). A placeholder is a whole body segment `{name}` (name:
/// ASCII letters, digits, '_', at most 64 bytes); outside placeholders the template is a valid
/// pattern and holds no '{' or '}'. A value fills exactly one segment and is never read as
/// pattern syntax: it must be non-empty valid UTF-8 without ':', '*', '[', ']', '?', '=', '{',
/// '}' or control characters (U+0000–U+001F, U+007F–U+009F), else the formatting is an error.
class resource_template {
 public:
  static constexpr std::size_t max_placeholder_name = 64;

  /// A validated template, or an error (40000, offset into `text`).
  [[nodiscard]] static constexpr result<resource_template> parse(std::string_view text);

  constexpr resource_template() = default;

  /// The template text as given.
  [[nodiscard]] constexpr std::string_view text() const noexcept { return {text_.data(), text_.size()}; }
  /// Number of placeholder occurrences (a name used twice counts twice).
  [[nodiscard]] constexpr std::size_t placeholders() const noexcept { return holes_.size(); }

  /// Appends the resource with every placeholder replaced by its bound value, and returns the
  /// number of bytes appended; on error appends nothing. Errors (40000): a binding whose name is
  /// no placeholder, a name bound twice, a placeholder left unbound, a value that is not a safe
  /// segment (offset: the byte in the value), a result beyond the pattern limits.
  constexpr result<std::size_t> format_to(std::vector<char>& out, std::span<const binding> values) const;
  /// As above, for a braced list: format_to(out, {{"room", value}}).
  constexpr result<std::size_t> format_to(std::vector<char>& out, std::initializer_list<binding> values) const {
    return format_to(out, std::span<const binding>(values.begin(), values.size()));
  }
  /// The formatted resource as a string (run time).
  [[nodiscard]] result<std::string> format(std::initializer_list<binding> values) const {
    std::vector<char> out;
    const auto r = format_to(out, values);
    if (!r) return r.error();
    return std::string(out.begin(), out.end());
  }

 private:
  struct hole {
    std::uint32_t at = 0, size = 0;  // "{name}" in text_, braces included
  };
  [[nodiscard]] constexpr std::string_view hole_name(const hole& h) const noexcept {
    return text().substr(h.at + 1, h.size - 2);
  }
  std::vector<char> text_;
  std::vector<hole> holes_;
};

namespace detail {

/// Why `value` cannot fill the segment of placeholder `name`, or a value (true) when it can.
[[nodiscard]] constexpr result<bool> check_segment_value(std::string_view name, std::string_view value) noexcept {
  auto fail = [&](std::size_t at) {
    error e(errc::invalid_resource, static_cast<std::uint32_t>(at));
    return e.append("value for {").append(name).append('}');
  };
  if (value.empty()) {
    error e(errc::invalid_resource, 0);
    return e.append("value for {").append(name).append("} is empty; a value fills exactly one segment");
  }
  for (std::size_t i = 0; i < value.size();) {
    const auto c = static_cast<unsigned char>(value[i]);
    std::uint32_t control = 0x110000;  // the code point when it is a control character
    std::size_t len = 1;
    if (c < 0x20 || c == 0x7F) {
      control = c;
    } else if (c >= 0x80) {
      len = utf8_length(value, i);
      if (len == 0) return fail(i).append(" is not valid UTF-8").append_at();
      if (c == 0xC2 && static_cast<unsigned char>(value[i + 1]) < 0xA0)  // U+0080..U+009F (C1)
        control = static_cast<unsigned char>(value[i + 1]);
    } else {
      constexpr std::string_view forbidden = ":*[]?={}";
      if (forbidden.find(static_cast<char>(c)) != std::string_view::npos) {
        error e = fail(i);
        e.append(" contains '").append(static_cast<char>(c)).append('\'').append_at();
        return e.append("; a value fills one segment and may not hold : * [ ] ? = { } or control characters");
      }
    }
    if (control != 0x110000) {
      constexpr char hex[] = "0123456789ABCDEF";
      const char u[6] = {'U', '+', '0', '0', hex[control >> 4], hex[control & 15]};
      return fail(i).append(" contains the control character ").append(std::string_view(u, 6)).append_at();
    }
    i += len;
  }
  return true;
}

}  // namespace detail

constexpr result<resource_template> resource_template::parse(std::string_view text) {
  auto fail = [&](std::size_t at, std::string_view what) {
    error e(errc::invalid_resource, static_cast<std::uint32_t>(at));
    return e.append("template ").append_quoted(text).append(what).append_at();
  };
  // The text itself must be a valid pattern: a placeholder is then one literal segment to it.
  if (auto p = parse_pattern(text); !p) return p.error();
  const std::size_t body_at = text.size() - parse_pattern(text)->body.size();
  resource_template t;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '}') return fail(i, " has '}' without an opening '{'");
    if (text[i] != '{') continue;
    if (i < body_at) return fail(i, " has a placeholder inside its qualifier; placeholders fill body segments only");
    const std::size_t close = text.find('}', i);
    if (close == std::string_view::npos) return fail(i, " has '{' without a closing '}'");
    const std::string_view name = text.substr(i + 1, close - i - 1);
    bool ok = !name.empty() && name.size() <= max_placeholder_name;
    for (char c : name)
      ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_');
    if (!ok) return fail(i, " has a placeholder name that is not 1-64 letters, digits or '_'");
    const bool starts = i == body_at || text[i - 1] == ':';
    const bool ends = close + 1 == text.size() || text[close + 1] == ':';
    if (!starts || !ends) return fail(i, " has a placeholder that is not a whole segment, as in 'chat:{room}:*'");
    t.holes_.push_back(hole{static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(close - i + 1)});
    i = close;
  }
  t.text_.assign(text.begin(), text.end());
  return t;
}

constexpr result<std::size_t> resource_template::format_to(std::vector<char>& out,
                                                           std::span<const binding> values) const {
  for (std::size_t k = 0; k < values.size(); ++k) {
    const binding& b = values[k];
    bool known = false;
    for (const hole& h : holes_) known = known || hole_name(h) == b.name;
    if (!known) {
      error e(errc::invalid_resource, no_offset);
      return e.append("template ").append_quoted(text()).append(" has no placeholder ").append_quoted(b.name);
    }
    for (std::size_t m = 0; m < k; ++m) {
      if (values[m].name != b.name) continue;
      error e(errc::invalid_resource, no_offset);
      return e.append("placeholder {").append(b.name).append("} is bound twice");
    }
    if (auto ok = detail::check_segment_value(b.name, b.value); !ok) return ok.error();
  }
  const std::size_t mark = out.size();
  std::size_t from = 0;
  for (const hole& h : holes_) {
    const binding* bound = nullptr;
    for (const binding& b : values) bound = b.name == hole_name(h) ? &b : bound;
    if (bound == nullptr) {
      out.resize(mark);
      error e(errc::invalid_resource, no_offset);
      return e.append("placeholder {").append(hole_name(h)).append("} of template ").append_quoted(text()).append(" is not bound");
    }
    out.insert(out.end(), text_.begin() + static_cast<std::ptrdiff_t>(from), text_.begin() + h.at);
    out.insert(out.end(), bound->value.begin(), bound->value.end());
    from = h.at + h.size;
  }
  out.insert(out.end(), text_.begin() + static_cast<std::ptrdiff_t>(from), text_.end());
  // Values are single safe segments, so only the limits can fail here.
  if (auto p = parse_pattern(std::string_view(out.data() + mark, out.size() - mark)); !p) {
    out.resize(mark);
    return p.error();
  }
  return out.size() - mark;
}

/// Builds a capability without JSON (docs/semantics.md Decisions B1–B2). Entries are checked as
/// they are added, exactly as capability::parse checks the equivalent document: the one that
/// lists the same entries, in the order added, as compact JSON ({"res":["op",...],...}). The first
/// error is kept (later adds are ignored) and build() returns it: the same code, offset and
/// message parse gives for that document up to and including the failing entry. A resource
/// added twice (the same bytes) is error duplicate_resource, as in a document; to merge, use
/// unite (union.hpp). The result is canonical: build() and parse give identical capabilities.
class capability_builder {
 public:
  constexpr capability_builder() = default;

  /// Adds `resource` granting the operations named in `ops` ("*" alone for all).
  constexpr capability_builder& add(std::string_view resource, std::span<const std::string_view> ops) {
    if (failed_) return *this;
    bool ok = valid_text(resource) && parse_pattern(resource).has_value() && !ops.empty();
    op_set set;
    for (std::size_t i = 0; ok && i < ops.size(); ++i) {
      const std::string_view name = ops[i];
      if (!valid_text(name)) {
        ok = false;
      } else if (name == "*" || set.is_all()) {
        ok = set.empty();
        set = op_set::all();
      } else if (const auto o = parse_operation(name); !o || set.contains(*o)) {
        ok = false;
      } else {
        set.insert(*o);
      }
    }
    std::size_t list = 2 + (ops.empty() ? 0 : ops.size() - 1);  // [] and commas
    for (const std::string_view name : ops) list += detail::json_string_size(name);
    return accept(resource, set, list, ok, ops);
  }
  /// As above, for a braced list: add("chat:*", {"publish", "subscribe"}).
  constexpr capability_builder& add(std::string_view resource, std::initializer_list<std::string_view> ops) {
    return add(resource, std::span<const std::string_view>(ops.begin(), ops.size()));
  }
  /// Adds `resource` granting `ops` (written by their names in canonical order; empty is an error).
  constexpr capability_builder& add(std::string_view resource, op_set ops) {
    if (failed_) return *this;
    std::size_t list = 2 + (ops.empty() ? 0 : ops.size() - 1);
    ops.for_each_name([&](std::string_view n) { list += n.size() + 2; });
    const bool ok = valid_text(resource) && parse_pattern(resource).has_value() && !ops.empty();
    return accept(resource, ops, list, ok, std::span<const std::string_view>());
  }
  /// Adds the resource `tmpl` gives with `values` (resource_template::format_to: its errors are
  /// the template's own, without an offset into a document).
  constexpr capability_builder& add(const resource_template& tmpl, std::initializer_list<binding> values, op_set ops) {
    if (failed_) return *this;
    std::vector<char> res;
    if (const auto r = tmpl.format_to(res, values); !r) return fail(r.error());
    return add(std::string_view(res.data(), res.size()), ops);
  }
  /// As above, with the operations by name.
  constexpr capability_builder& add(const resource_template& tmpl, std::initializer_list<binding> values,
                                    std::initializer_list<std::string_view> ops) {
    if (failed_) return *this;
    std::vector<char> res;
    if (const auto r = tmpl.format_to(res, values); !r) return fail(r.error());
    return add(std::string_view(res.data(), res.size()), ops);
  }

  /// True when every add so far was valid (a duplicate resource is found only by build()).
  [[nodiscard]] constexpr bool ok() const noexcept { return !failed_; }
  /// The capability, in canonical order, or the first error.
  [[nodiscard]] constexpr result<capability> build() const {
    if (failed_) return error_;
    capability c = cap_;
    if (detail::capability_access::sort(c, false) != c.size()) return parse_error();
    return c;
  }

 private:
  // True when `s` is text a JSON document can carry: well-formed UTF-8 (the reader's rule).
  [[nodiscard]] static constexpr bool valid_text(std::string_view s) noexcept {
    for (std::size_t i = 0; i < s.size();) {
      const std::size_t len = detail::utf8_length(s, i);
      if (len == 0) return false;
      i += len;
    }
    return true;
  }

  constexpr capability_builder& accept(std::string_view resource, op_set set, std::size_t list_bytes, bool ok,
                                       std::span<const std::string_view> names) {
    const std::size_t key_at = doc_bytes_ + (cap_.empty() ? 0 : 1);
    const std::size_t end = key_at + detail::json_string_size(resource) + 1 + list_bytes;
    ok = ok && cap_.size() < max_resources && end + 1 <= max_document_bytes;
    if (!ok) return fail(parse_error(resource, set, names, true));
    detail::capability_access::add(cap_, resource, set, static_cast<std::uint32_t>(key_at));
    doc_bytes_ = end;
    return *this;
  }

  constexpr capability_builder& fail(const error& e) {
    failed_ = true;
    error_ = e;
    return *this;
  }

  // The error capability::parse gives for the equivalent document: the entries added so far
  // (valid, so their operations in canonical order take the same bytes as written), then, with
  // `pending`, the failing entry as given (its names, or `set` written by name when `names` is
  // empty). One validation path: parse's own.
  [[nodiscard]] constexpr error parse_error(std::string_view res = {}, op_set set = {},
                                            std::span<const std::string_view> names = {}, bool pending = false) const {
    std::vector<char> doc{'{'};
    auto entry = [&](std::string_view res, auto&& each_op) {
      if (doc.size() > 1) doc.push_back(',');
      detail::write_json_string(res, doc);
      doc.push_back(':');
      doc.push_back('[');
      const std::size_t at = doc.size();
      each_op([&](std::string_view n) {
        if (doc.size() != at) doc.push_back(',');
        detail::write_json_string(n, doc);
      });
      doc.push_back(']');
    };
    for (std::size_t i = 0; i < cap_.size(); ++i)
      entry(cap_.resource(i), [&](auto&& put) { cap_.ops(i).for_each_name(put); });
    if (pending) {
      if (names.empty())
        entry(res, [&](auto&& put) { set.for_each_name(put); });
      else
        entry(res, [&](auto&& put) { for (const std::string_view n : names) put(n); });
    }
    doc.push_back('}');
    const auto r = capability::parse(std::string_view(doc.data(), doc.size()));
    if (!r) return r.error();
    return error(errc::invalid_json, no_offset, "capability_builder: internal error: the document parses");
  }

  capability cap_;
  std::size_t doc_bytes_ = 1;  // the equivalent document so far, without its closing '}'
  bool failed_ = false;
  error error_;
};

CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/capability_builder.hpp ----

// ---- begin include/capmatch/json_string.hpp ----
// capmatch — writing text as a JSON string, the way canonical capability text does
// (docs/semantics.md §1.5): only '"', '\\' and U+0000..U+001F are escaped.
// SPDX-License-Identifier: MIT

#include <string>
#include <string_view>


CAPMATCH_NAMESPACE_BEGIN

/// Appends `s` as a JSON string (quotes included) to `out`. Bytes that are not well-formed
/// UTF-8 are copied as they are: validate first (or escape) if the text may hold some.
inline void write_json_string(std::string_view s, std::string& out) {
  const std::size_t at = out.size();
  out.resize(at + detail::json_string_size(s));
  detail::write_json_string(s, out.data() + at);
}

/// `s` as a JSON string (quotes included).
[[nodiscard]] inline std::string to_json_string(std::string_view s) {
  std::string out;
  write_json_string(s, out);
  return out;
}

CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/json_string.hpp ----

// ---- begin include/capmatch/intersect.hpp ----
// capmatch — effective token capability = key ∩ request (docs/semantics.md §4).
// SPDX-License-Identifier: MIT

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>


CAPMATCH_NAMESPACE_BEGIN

namespace detail {
[[nodiscard]] constexpr error empty_intersection_error() noexcept {
  return error(error_reason::empty_intersection, no_offset, "Key does not support requested capabilities");
}

/// The requested patterns indexed by their first segment, so that a key pattern meets only
/// the requested patterns it can overlap: a name matched by both starts with a segment both
/// first segments accept, so they are equal or one of them is "*". A literal first segment
/// finds its bucket in an open-addressing table; patterns whose first segment is "*" are
/// kept apart (they can overlap anything), and patterns that match nothing are left out.
/// Every list holds request indices in increasing order, so a key pattern's candidates come
/// out in the order the pairwise loop would visit them (limits and errors depend on it).
/// Qualifier classes, segment counts and the remaining segments are checked per candidate
/// by detail::intersect; bucketing by them as well did not pay (see bench/RESULTS.md).
/// The hash is not keyed, so first segments chosen to collide could make the table slow:
/// a bucket never sits more than max_probe slots past its hash's slot, and when one would,
/// the index gives up (`degenerate`) and every requested pattern is a candidate, as in the
/// pairwise loop, so the time stays within what max_intersection_pairs allows.
struct request_index {
  static constexpr std::uint32_t none = 0xFFFFFFFFu;
  static constexpr std::size_t max_probe = 64;

  bool degenerate = false;                  // candidates: every requested pattern
  std::vector<pattern_facts> facts;         // every requested pattern, in order
  std::vector<std::uint32_t> star_first;    // requested patterns whose first segment is "*"
  std::vector<std::uint32_t> next;          // per pattern: the next one in its bucket, or none
  std::vector<std::uint32_t> bucket_head;   // per bucket: its first pattern
  std::vector<std::uint32_t> bucket_tail;   // per bucket: its last pattern
  std::vector<std::string_view> bucket_key; // per bucket: the first segment
  std::vector<std::uint32_t> slots;         // open addressing: bucket + 1, 0 when free
  std::vector<std::uint32_t> slot_hash;     // the bucket key's hash (saves most compares)

  [[nodiscard]] static constexpr std::string_view first_segment(std::string_view body) noexcept {
    return body.substr(0, body.find(':'));
  }
  [[nodiscard]] static constexpr std::uint32_t hash(std::string_view s) noexcept {
    std::uint64_t h = 0x9E3779B97F4A7C15ull ^ s.size();
    for (const char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001B3ull;
    return static_cast<std::uint32_t>(h >> 32) ^ static_cast<std::uint32_t>(h);
  }

  constexpr explicit request_index(const capability& request) {
    const std::size_t m = request.size();
    facts.reserve(m);
    next.assign(m, none);
    std::size_t cap = 8;
    while (cap < 2 * m) cap *= 2;
    slots.assign(cap, 0);
    slot_hash.assign(cap, 0);
    for (std::size_t j = 0; j < m; ++j) {
      facts.push_back(pattern_facts(request.pattern_at(j)));
      if (facts.back().nothing || degenerate) continue;
      const std::string_view first = first_segment(facts.back().p.body);
      const auto jj = static_cast<std::uint32_t>(j);
      if (first == "*") {
        star_first.push_back(jj);
        continue;
      }
      const std::uint32_t h = hash(first);
      for (std::size_t s = h & (cap - 1), probe = 0;; s = (s + 1) & (cap - 1), ++probe) {
        if (probe > max_probe) {
          degenerate = true;
          break;
        }
        if (slots[s] == 0) {
          slots[s] = static_cast<std::uint32_t>(bucket_key.size()) + 1;
          slot_hash[s] = h;
          bucket_key.push_back(first);
          bucket_head.push_back(jj);
          bucket_tail.push_back(jj);
          break;
        }
        const std::uint32_t b = slots[s] - 1;
        if (slot_hash[s] == h && bucket_key[b] == first) {
          next[bucket_tail[b]] = jj;
          bucket_tail[b] = jj;
          break;
        }
      }
    }
  }

  /// The first requested pattern whose first segment is `first` (a literal), or none.
  /// Not for a degenerate index.
  [[nodiscard]] constexpr std::uint32_t head(std::string_view first) const noexcept {
    const std::uint32_t h = hash(first);
    const std::size_t mask = slots.size() - 1;
    for (std::size_t s = h & mask, probe = 0; probe <= max_probe; s = (s + 1) & mask, ++probe) {
      if (slots[s] == 0) return none;
      const std::uint32_t b = slots[s] - 1;
      if (slot_hash[s] == h && bucket_key[b] == first) return bucket_head[b];
    }
    return none;  // every bucket is within max_probe slots of its hash's slot
  }
};
}  // namespace detail

namespace detail {
/// The limit errors of intersect (docs/limits.md; the tests spell them out independently).
[[nodiscard]] constexpr error too_many_pairs(std::size_t keys, std::size_t requested) noexcept {
  error e(error_reason::too_many_pairs, no_offset);
  e.append("intersecting ").append_number(keys).append(" key resources with ").append_number(requested);
  e.append(" requested resources exceeds the limit of ").append_number(max_intersection_pairs);
  return e.append(" pairs (capmatch::max_intersection_pairs)");
}
[[nodiscard]] constexpr error too_many_results() noexcept {
  error e(error_reason::intersection_too_many_resources, no_offset);
  e.append("the intersection has more than ").append_number(max_resources);
  return e.append(" resources (capmatch::max_resources)");
}
[[nodiscard]] constexpr error too_many_bytes() noexcept {
  error e(errc::limit_exceeded, no_offset);
  e.append("the intersection builds more than ").append_number(max_intersection_bytes);
  return e.append(" bytes of resource text (capmatch::max_intersection_bytes)");
}

/// True when every resource of `cap` is written in normal form: no qualifier params, so no
/// two resources are one pattern (normal text has no params, which only add bytes).
[[nodiscard]] constexpr bool all_normal(const capability& cap) noexcept {
  for (std::size_t i = 0; i < cap.size(); ++i) {
    const pattern p = cap.pattern_at(i);
    const std::size_t prefix =
        p.kind == qualifier_kind::any ? 3 : p.kind == qualifier_kind::named ? p.qualifier.size() + 2 : 0;
    if (cap.resource(i).size() != prefix + p.body.size()) return false;
  }
  return true;
}

/// `cap` with every resource in normal form (qualifier params dropped) and equal resources
/// merged, their operations united: the same grants, each pattern once.
[[nodiscard]] constexpr capability normalised(const capability& cap) {
  capability out;
  std::vector<char> text;
  for (std::size_t i = 0; i < cap.size(); ++i) {
    const pattern p = cap.pattern_at(i);
    text.clear();
    append_text(p, text);  // add() takes only the sizes of p's qualifier and body
    capability_access::add(out, std::string_view(text.data(), text.size()), p, cap.ops(i), cap.source_offset(i));
  }
  capability_access::sort(out, true);
  capability_access::compact(out);
  return out;
}

/// Work done by intersect, for the complexity tests (tests/test_complexity.cpp): candidate
/// pairs examined, segment ids compared and bytes of resource text built. Pass one to
/// detail::intersect_counted.
struct intersect_work {
  std::size_t pairs = 0, bytes = 0, compares = 0;
};

/// The segments and qualifiers of intersect's two inputs, interned once (a hash table of
/// their texts, or a sort): equal texts get equal ids and "*" is id 0, so a candidate pair is decided with at
/// most 3 * max_segments integer compares instead of re-reading up to max_resource_bytes of
/// text per pair (issue 14: 104 key entries of 100 "*:" segments then a literal, against
/// 10 000 names of 100 literal segments, made each of 1 040 000 pairs read 3 KB). Only a
/// pair that overlaps properly reads its text again, to build the result (bytes bounded by
/// max_intersection_bytes). contains() and overlaps() are contains (pattern.hpp) and
/// detail::intersect's "is there a common name" decided on ids, rule for rule. With fewer
/// than min_keys key patterns each requested pattern meets at most min_keys - 1 of them, so
/// reading the texts per pair is linear in the request already: nothing is interned then
/// (active() is false), which keeps small token requests as fast as before.
class interned_patterns {
 public:
  static constexpr std::uint32_t star = 0;
  static constexpr std::size_t min_keys = 4;
  struct facts {
    std::uint32_t begin = 0, count = 0;  // segment ids: ids_[begin, begin + count)
    std::uint32_t qualifier = 0;         // id of the qualifier text when kind == named
    qualifier_kind kind = qualifier_kind::none;
    bool trailing = false, nothing = false;
  };

  constexpr interned_patterns(const capability& key, const capability& request) {
    if (key.size() < min_keys) return;
    std::vector<item> items;
    add(key, key_, items);
    add(request, request_, items);
    if (!intern_by_table(items)) intern_by_sort(items), by_sort_ = true;
  }

  /// The hash of a segment or qualifier text in the interning table (FNV-1a, size mixed in).
  [[nodiscard]] static constexpr std::uint64_t hash(std::string_view s) noexcept {
    std::uint64_t h = 0xCBF29CE484222325ull ^ s.size();
    for (const char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001B3ull;
    return h;
  }
  /// True when the table gave up on colliding hashes and the texts were sorted instead.
  [[nodiscard]] constexpr bool by_sort() const noexcept { return by_sort_; }

  /// True when the ids were built (key.size() >= min_keys); the functions below need them.
  [[nodiscard]] constexpr bool active() const noexcept { return !key_.empty(); }
  [[nodiscard]] constexpr const facts& key(std::size_t i) const noexcept { return key_[i]; }
  [[nodiscard]] constexpr const facts& request(std::size_t j) const noexcept { return request_[j]; }

  /// contains(a, b) on ids: every name b matches, a matches.
  [[nodiscard]] constexpr bool contains(const facts& a, const facts& b, std::size_t& compares) const noexcept {
    if (a.nothing || b.nothing) return false;
    if (a.kind != qualifier_kind::any &&
        (a.kind != b.kind || (a.kind == qualifier_kind::named && a.qualifier != b.qualifier)))
      return false;
    for (std::uint32_t k = 0;; ++k) {
      ++compares;
      const std::uint32_t sa = ids_[a.begin + k], sb = ids_[b.begin + k];
      const bool last_a = k + 1 == a.count, last_b = k + 1 == b.count;
      if (last_a && a.trailing) return true;
      if (sa != star && (sa != sb || sb == star)) return false;
      if (last_a || last_b) return last_a && last_b && !b.trailing;
    }
  }

  /// True when some name matches both a and b (when detail::intersect builds a pattern).
  [[nodiscard]] constexpr bool overlaps(const facts& a, const facts& b, std::size_t& compares) const noexcept {
    if (a.nothing || b.nothing) return false;
    if (a.kind != qualifier_kind::any && b.kind != qualifier_kind::any &&
        (a.kind != b.kind || (a.kind == qualifier_kind::named && a.qualifier != b.qualifier)))
      return false;
    if (!a.trailing && !b.trailing && a.count != b.count) return false;
    if (!a.trailing && b.trailing && a.count < b.count) return false;
    if (a.trailing && !b.trailing && b.count < a.count) return false;
    // Past the shorter pattern's end the longer one meets a trailing "*".
    for (std::uint32_t k = 0; k < a.count && k < b.count; ++k) {
      ++compares;
      const std::uint32_t sa = ids_[a.begin + k], sb = ids_[b.begin + k];
      if (sa != star && sb != star && sa != sb) return false;
    }
    return true;
  }

 private:
  static constexpr std::uint32_t none = 0xFFFFFFFFu;
  struct item {
    std::string_view text;
    std::uint64_t hash = 0;
    std::uint32_t at = 0;                // where its id goes in ids_ (a segment)
    std::uint32_t qualifier_of = none;   // or: the pattern whose qualifier it is
    bool in_key = false;
  };

  constexpr void assign(const item& it, std::uint32_t id) noexcept {
    if (it.qualifier_of != none)
      (it.in_key ? key_ : request_)[it.qualifier_of].qualifier = id;
    else
      ids_[it.at] = id;
  }

  // Open addressing on the texts' hashes: one probe per text unless hashes collide. The hash
  // is not keyed, so texts chosen to collide could make the probes quadratic: past
  // 8 probes per text on average it gives up (false) and intern_by_sort decides instead.
  constexpr bool intern_by_table(const std::vector<item>& items) {
    std::size_t size = 16;
    while (size < 2 * items.size()) size *= 2;
    std::vector<std::uint32_t> slots;  // index in items of the first item with that text, + 1
    slots.assign(size, 0);
    std::vector<std::uint32_t> id_of;  // per slot
    id_of.assign(size, 0);
    std::uint32_t next = star;
    std::size_t probes = 0;
    for (std::size_t k = 0; k < items.size(); ++k) {
      for (std::size_t s = items[k].hash & (size - 1);; s = (s + 1) & (size - 1)) {
        if (++probes > 8 * items.size() + 64) return false;
        if (slots[s] == 0) {
          slots[s] = static_cast<std::uint32_t>(k) + 1;
          id_of[s] = ++next;
          assign(items[k], next);
          break;
        }
        const item& first = items[slots[s] - 1];
        if (first.hash == items[k].hash && first.text == items[k].text) {
          assign(items[k], id_of[s]);
          break;
        }
      }
    }
    return true;
  }

  // O(n log n) compares of at most max_resource_bytes each, whatever the texts.
  constexpr void intern_by_sort(std::vector<item>& items) {
    std::sort(items.begin(), items.end(),
              [](const item& x, const item& y) { return x.hash != y.hash ? x.hash < y.hash : x.text < y.text; });
    std::uint32_t next = star;
    for (std::size_t k = 0; k < items.size(); ++k) {
      if (k == 0 || items[k].hash != items[k - 1].hash || items[k].text != items[k - 1].text) ++next;
      assign(items[k], next);
    }
  }

  constexpr void add(const capability& cap, std::vector<facts>& out, std::vector<item>& items) {
    out.reserve(cap.size());
    const bool in_key = &out == &key_;
    for (std::size_t i = 0; i < cap.size(); ++i) {
      const pattern p = cap.pattern_at(i);
      facts f;
      f.kind = p.kind;
      f.trailing = p.trailing_wildcard();
      f.nothing = p.matches_nothing();
      f.begin = static_cast<std::uint32_t>(ids_.size());
      if (p.kind == qualifier_kind::named)
        items.push_back({p.qualifier, hash(p.qualifier), 0, static_cast<std::uint32_t>(i), in_key});
      for (std::size_t pos = 0; pos <= p.body.size();) {
        const std::string_view seg = segment_at(p.body, pos);
        if (seg != "*") items.push_back({seg, hash(seg), static_cast<std::uint32_t>(ids_.size()), none, in_key});
        ids_.push_back(star);
        pos += seg.size() + 1;
      }
      f.count = static_cast<std::uint32_t>(ids_.size()) - f.begin;
      out.push_back(f);
    }
  }

  std::vector<facts> key_, request_;
  std::vector<std::uint32_t> ids_;
  bool by_sort_ = false;
};
}  // namespace detail

namespace detail {
/// contains(a.p, b.p) from the facts already known.
[[nodiscard]] constexpr bool contains(const pattern_facts& a, const pattern_facts& b) noexcept {
  return contains_known(a.p, a.nothing, a.trailing, b.p, b.nothing, b.trailing);
}

/// Up to this many key resources and this many requested resources, intersect takes the
/// pairwise path: every pair is visited directly, with the pattern facts on the stack, instead
/// of building the request index and the interned ids (which cost more than they save when
/// there are at most 16 x 16 pairs: bench/RESULTS.md "Session 6").
inline constexpr std::size_t small_intersection_resources = 16;

/// Which loop intersect_counted runs (the tests compare the two; automatic picks by size).
enum class intersect_path { automatic, general, pairwise };

/// One pair of intersect's loop whose patterns overlap properly: writes their intersection
/// (detail::intersect) straight into `out`'s text as a new resource with operations `ops`, or
/// nothing when no name matches both or the intersection is too long to match a valid name.
/// Returns the limit error that stops intersect (max_intersection_bytes, or a "[*]" resource
/// longer than max_resource_bytes), else nothing. Shared by both loops of intersect_counted.
[[nodiscard]] constexpr std::optional<error> build_pair(const capability& key, std::size_t i, const pattern_facts& kp,
                                                        const capability& request, std::size_t j,
                                                        const pattern_facts& rp, op_set ops, capability& out,
                                                        std::size_t& built, intersect_work& work) {
  std::vector<char>& text = capability_access::text(out);
  const std::size_t at = text.size();
  if (!detail::intersect(kp, rp, text)) return std::nullopt;
  const std::size_t size = text.size() - at;
  work.bytes += size;
  if ((built += size) > max_intersection_bytes) return too_many_bytes();
  if (size > max_resource_bytes) {
    // A pattern matches only names at least as long as its text (its body, for "[*]"), and
    // no valid name is longer than max_resource_bytes: such a pair grants nothing checkable.
    const bool any = size >= 3 && text[at] == '[' && text[at + 1] == '*' && text[at + 2] == ']';
    if (!any || size - 3 > max_resource_bytes) {
      text.resize(at);
      return std::nullopt;
    }
    error e(error_reason::intersection_resource_too_long, no_offset);
    e.append("the intersection of ").append_quoted(key.resource(i)).append(" and ").append_quoted(request.resource(j));
    e.append(" is a resource of ").append_number(size).append(" bytes, more than the limit of ");
    return e.append_number(max_resource_bytes).append(" bytes (capmatch::max_resource_bytes)");
  }
  // The text is "[q]body", "[*]body" or "body" with the qualifier of whichever side is not
  // "[*]" (detail::intersect): its pattern is known without parsing it again.
  const pattern& q = kp.p.kind == qualifier_kind::any ? rp.p : kp.p;
  const std::size_t prefix =
      q.kind == qualifier_kind::any ? 3 : q.kind == qualifier_kind::named ? q.qualifier.size() + 2 : 0;
  capability_access::add_text_end(out, at, pattern{q.kind, q.qualifier, std::string_view(text.data() + at + prefix, size - prefix)}, ops);
  return std::nullopt;
}

/// The end of intersect_counted: the kept input patterns added with the operations granted on
/// them (key_kept[i], requested_kept[j]), canonical order with equal resources merged, limits.
[[nodiscard]] constexpr result<capability> finish_intersection(const capability& key, const op_set* key_kept,
                                                               const capability& request, const op_set* requested_kept,
                                                               capability& out) {
  for (std::size_t i = 0; i < key.size(); ++i)
    if (!key_kept[i].empty()) capability_access::add(out, key.resource(i), key.pattern_at(i), key_kept[i], 0);
  for (std::size_t j = 0; j < request.size(); ++j)
    if (!requested_kept[j].empty()) capability_access::add(out, request.resource(j), request.pattern_at(j), requested_kept[j], 0);
  capability_access::sort(out, true);
  capability_access::compact(out);
  if (out.size() > max_resources) return too_many_results();
  if (out.empty()) return empty_intersection_error();
  return std::move(out);
}

/// The pairwise loop of intersect_counted for inputs of at most small_intersection_resources
/// resources each, already in normal form: the same candidate pairs in the same key-major order
/// as the general loop (work.pairs counts them alike), the same per-pair rules, and no
/// allocation but the result's (its text and entries, reserved once).
[[nodiscard]] constexpr result<capability> intersect_pairwise(const capability& key, const capability& request,
                                                              intersect_work& work) {
  constexpr std::size_t n = small_intersection_resources;
  // Facts built in place only for the resources there are: the arrays are left uninitialised
  // (no default construction or zeroing of n entries; only the first size() are written, then read).
  union slot {
    pattern_facts f;
    constexpr slot() noexcept {}
  };
  // The first segment of each body, as its length and its first 8 bytes in a word (zero padded):
  // most first segments compare equal or not on the word alone.
  struct segment {
    std::string_view text;
    std::uint64_t word;
    [[nodiscard]] constexpr bool operator==(const segment& o) const noexcept {
      return word == o.word && text.size() == o.text.size() && (text.size() <= 8 || text == o.text);
    }
  };
  union segment_slot {
    segment s;
    constexpr segment_slot() noexcept {}
  };
  slot kf[n], rf[n];
  segment_slot kfirst[n], rfirst[n];
  op_set key_kept[n], requested_kept[n];  // (op_set() is the empty set)
  std::size_t bytes = 0;
  auto fill = [&](slot* slots, segment_slot* first, const capability& c) {
    for (std::size_t i = 0; i < c.size(); ++i) {
      const pattern p = c.pattern_at(i);
      std::construct_at(&slots[i].f, p);
      const std::string_view f = request_index::first_segment(p.body);
      std::uint64_t w = 0;
      for (std::size_t k = 0; k < f.size() && k < 8; ++k) w |= std::uint64_t{static_cast<unsigned char>(f[k])} << (8 * k);
      std::construct_at(&first[i].s, segment{f, w});
      bytes += c.resource(i).size();
    }
  };
  fill(kf, kfirst, key);
  fill(rf, rfirst, request);
  capability out;
  capability_access::reserve(out, key.size() + request.size(), bytes);
  std::size_t built = 0;
  constexpr std::uint64_t star_word = '*';
  for (std::size_t i = 0; i < key.size(); ++i) {
    const pattern_facts& kp = kf[i].f;  // (one that matches nothing meets candidates too, as in the general loop)
    const segment& first = kfirst[i].s;
    const bool star = first.word == star_word && first.text.size() == 1;
    for (std::size_t j = 0; j < request.size(); ++j) {
      const pattern_facts& rp = rf[j].f;
      const segment& rfirst_j = rfirst[j].s;
      // The general loop's candidates (request_index): a common name starts with a segment
      // both first segments accept, so they are equal or one is "*".
      if (rp.nothing || !(star || (rfirst_j.word == star_word && rfirst_j.text.size() == 1) || rfirst_j == first))
        continue;
      ++work.pairs;
      const op_set ops = key.ops(i) & request.ops(j);
      if (ops.empty()) continue;
      // The intersection is one of the two patterns: keep a reference, build nothing.
      if (contains(kp, rp)) {
        requested_kept[j] = requested_kept[j] | ops;
      } else if (contains(rp, kp)) {
        key_kept[i] = key_kept[i] | ops;
      } else if (auto e = build_pair(key, i, kp, request, j, rp, ops, out, built, work)) {
        return *e;
      }
    }
  }
  return finish_intersection(key, key_kept, request, requested_kept, out);
}

/// intersect(key, request), adding its work to `work`. Small inputs take the pairwise loop;
/// otherwise pairs are visited in key-major order, but each key pattern meets only the
/// requested patterns with a compatible first segment (found through detail::request_index):
/// time is linear in the inputs plus the candidate pairs, each linear in its shorter pattern,
/// plus the bytes built (max_intersection_bytes). `path` forces a loop (pairwise only applies
/// to small inputs; larger ones take the general loop whatever `path` says).
[[nodiscard]] constexpr result<capability> intersect_counted(const capability& key_in, const capability& request_in,
                                                             intersect_work& work,
                                                             intersect_path path = intersect_path::automatic) {
  if (key_in.size() != 0 && request_in.size() > max_intersection_pairs / key_in.size())
    return too_many_pairs(key_in.size(), request_in.size());
  // Normal forms, merged; a capability already in normal form is used as it is (no copy).
  capability key_copy, request_copy;
  const capability& key = all_normal(key_in) ? key_in : (key_copy = normalised(key_in));
  const capability& request = all_normal(request_in) ? request_in : (request_copy = normalised(request_in));
  if (path != intersect_path::general && key.size() <= small_intersection_resources &&
      request.size() <= small_intersection_resources)
    return intersect_pairwise(key, request, work);
  const request_index index(request);
  const interned_patterns interned(key, request);
  const auto& star_first = index.star_first;
  capability out;
  std::vector<std::uint32_t> candidates;  // request indices, increasing
  // Ops granted on key pattern i or request pattern j itself (added after the loop, so that
  // the result limit is checked during the loop on built text only, as the definition says).
  std::vector<op_set> key_kept, requested_kept;  // not (n): clang 14 cannot value-initialize them in constexpr
  key_kept.assign(key.size(), op_set{});
  requested_kept.assign(request.size(), op_set{});
  std::size_t built = 0;
  for (std::size_t i = 0; i < key.size(); ++i) {
    const pattern kpat = key.pattern_at(i);
    const std::string_view first = request_index::first_segment(kpat.body);
    candidates.clear();
    if (first == "*" || index.degenerate) {
      for (std::size_t j = 0; j < request.size(); ++j)
        if (!index.facts[j].nothing) candidates.push_back(static_cast<std::uint32_t>(j));
    } else {
      // Merge the bucket of `first` with the "*"-first patterns (both increasing).
      std::uint32_t a = index.head(first);
      std::size_t b = 0;
      while (a != request_index::none || b != star_first.size()) {
        if (b == star_first.size() || (a != request_index::none && a < star_first[b])) {
          candidates.push_back(a);
          a = index.next[a];
        } else {
          candidates.push_back(star_first[b++]);
        }
      }
    }
    if (candidates.empty()) continue;
    const pattern_facts kp(kpat);
    const bool by_ids = interned.active();
    for (const std::uint32_t j : candidates) {
      ++work.pairs;
      const op_set ops = key.ops(i) & request.ops(j);
      if (ops.empty()) continue;
      const pattern_facts& rp = index.facts[j];
      // The intersection is one of the two patterns: keep a reference, build nothing.
      if (by_ids ? interned.contains(interned.key(i), interned.request(j), work.compares) : contains(kp, rp)) {
        requested_kept[j] = requested_kept[j] | ops;
        continue;
      }
      if (by_ids ? interned.contains(interned.request(j), interned.key(i), work.compares) : contains(rp, kp)) {
        key_kept[i] = key_kept[i] | ops;
        continue;
      }
      // Build text only for a pair that has a common name (then detail::intersect succeeds).
      if (by_ids && !interned.overlaps(interned.key(i), interned.request(j), work.compares)) continue;
      if (auto e = build_pair(key, i, kp, request, j, rp, ops, out, built, work)) return *e;
      // Merge duplicates as we go so that memory stays bounded by the result limit.
      if (out.size() >= 2 * max_resources) {
        capability_access::sort(out, true);
        capability_access::compact(out);
        if (out.size() > max_resources) return too_many_results();
      }
    }
  }
  return finish_intersection(key, key_kept.data(), request, requested_kept.data(), out);
}
}  // namespace detail

/// The effective capability of a token whose key has capability `key` and whose request
/// asked for `request`: for every pair of entries whose patterns and operations overlap,
/// their exact intersection; equal resources merged. An empty result is error 40160/401
/// "Key does not support requested capabilities". Resources in the result are written in
/// normal form (qualifier params dropped). Limits (errc::limit_exceeded, 40000):
/// key.size() * request.size() <= max_intersection_pairs; the result has at most
/// max_resources resources of at most max_resource_bytes each (a pair whose intersection is
/// longer matches no valid name and is left out; a "[*]" one that still could is an error);
/// at most max_intersection_bytes of resource text is built (see below).
///
/// Both inputs are first put in normal form with equal patterns merged (their operations
/// united), which changes no grant; the pairs are then taken in key-major order of these
/// normal forms, and errors quote resources in normal form. A pair whose intersection is one
/// of its two patterns (one contains the other) contributes that input pattern, which is
/// never rebuilt: only pairs that overlap properly ("a:*" and "*:b" give "a:b") build new
/// text, and the bytes they build count against max_intersection_bytes.
[[nodiscard]] constexpr result<capability> intersect(const capability& key, const capability& request) {
  detail::intersect_work work;
  return detail::intersect_counted(key, request, work);
}

/// The effective capability when no capability was requested: the key's own (docs/semantics.md §14),
/// defined as intersect(key, {"[*]*":["*"]}) so that the two spellings of "everything" give
/// byte-identical results: the key in normal form (qualifier params dropped, which changes no
/// grant), equal patterns merged, and patterns that match no name (an empty segment, as in
/// "a::b") left out. A key that grants nothing gives error 40160 like any empty result.
[[nodiscard]] constexpr result<capability> intersect(const capability& key) {
  capability everything;
  detail::capability_access::add(everything, "[*]*", pattern{qualifier_kind::any, {}, "*"}, op_set::all(), 0);
  return intersect(key, everything);
}

CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/intersect.hpp ----

// ---- begin include/capmatch/explain.hpp ----
// capmatch — explain a check: which patterns granted, or why it was denied (docs/semantics.md §13).
// SPDX-License-Identifier: MIT

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>


CAPMATCH_NAMESPACE_BEGIN

/// Why a check was denied.
enum class denial : std::uint8_t {
  none,            ///< allowed
  no_match,        ///< no pattern matches the name
  op_missing,      ///< patterns match, none lists the operation
  qualified_name,  ///< the name is qualified; only unqualified patterns would match its body
  app_wide,        ///< the operation is app-wide and cannot be checked on a resource
  invalid_name,    ///< the name is not a valid resource name
};

/// One pattern that matched the name, with the operations it lists.
struct matched_resource {
  std::string_view resource;
  op_set ops;
};

/// The record of one check. Views point into the capability and the name passed to explain.
struct decision {
  bool allowed = false;
  operation op{};
  std::string_view name;
  denial reason = denial::none;
  std::vector<matched_resource> matched;  ///< every pattern matching the name, canonical order
  std::vector<std::string_view> near;     ///< qualified_name: unqualified patterns matching the body
  error name_error;                       ///< invalid_name: why

  /// The reason as a sentence: "'chat:*' grants publish" or why it was denied.
  [[nodiscard]] std::string reason_text() const;
  /// One log line: "allowed: chat:* grants publish" or "denied: <reason>".
  [[nodiscard]] std::string to_string() const {
    return (allowed ? "allowed: " : "denied: ") + reason_text();
  }
  /// {"allowed":...,"matched":[{"resource":...,"ops":[...]}],"reason":"..."}
  [[nodiscard]] std::string to_json() const;
};

/// Explains whether `cap` allows `op` on `name`; agrees with capability::allows.
[[nodiscard]] constexpr decision explain(const capability& cap, std::string_view name, operation op) {
  decision d;
  d.op = op;
  d.name = name;
  const auto parsed = parse_name(name);
  if (!parsed) {
    d.reason = denial::invalid_name;
    d.name_error = parsed.error();
    return d;
  }
  for (std::size_t i = 0; i < cap.size(); ++i) {
    const pattern p = cap.pattern_at(i);
    if (matches(p, *parsed)) {
      d.matched.push_back({cap.resource(i), cap.ops(i)});
      if (cap.ops(i).contains(op)) d.allowed = true;
    } else if (parsed->qualified && p.kind == qualifier_kind::none) {
      pattern as_any = p;
      as_any.kind = qualifier_kind::any;
      if (matches(as_any, *parsed)) d.near.push_back(cap.resource(i));
    }
  }
  if (is_app_wide(op)) {
    d.allowed = false;
    d.reason = denial::app_wide;
  } else if (!d.allowed) {
    d.reason = !d.matched.empty() ? denial::op_missing : !d.near.empty() ? denial::qualified_name : denial::no_match;
  }
  return d;
}

/// Deleted: the decision would keep views into a temporary name or capability. Keep both
/// alive for as long as the decision is used.
template <class Traits, class Alloc>
decision explain(const capability& cap, std::basic_string<char, Traits, Alloc>&& name, operation op) = delete;
decision explain(capability&& cap, std::string_view name, operation op) = delete;

namespace detail {
inline void append_ops(std::string& s, op_set ops) {
  bool first = true;
  ops.for_each_name([&](std::string_view n) {
    if (!first) s += ", ";
    first = false;
    s += n;
  });
}
inline std::string quoted(std::string_view v) {
  fixed_text<error::capacity> t;
  return std::string(t.append_quoted(v).view());
}
/// `v` with control characters written as \u00XX and bytes that are not well-formed UTF-8 as
/// \xXX (as error::append_quoted does), so that text from the input cannot break a log line or
/// the JSON output; unlike quoted, not clipped and without quotes.
inline std::string one_line(std::string_view v) {
  std::string s;
  escape_one_line(v, [&](std::string_view piece) {
    s.append(piece);
    return true;
  });
  return s;
}
}  // namespace detail

inline std::string decision::reason_text() const {
  std::string s;
  const std::string_view opname = name_of(op);
  switch (reason) {
    case denial::none:
      for (const auto& m : matched) {
        if (m.ops.contains(op)) {
          s.append(detail::one_line(m.resource)).append(" grants ").append(opname);
          break;
        }
      }
      break;
    case denial::no_match:
      s.append("no resource in the capability matches ").append(detail::quoted(name));
      break;
    case denial::op_missing: {
      s.append("no matching resource grants ").append(opname).append(" on ").append(detail::quoted(name)).append(" (");
      for (std::size_t i = 0; i < matched.size(); ++i) {
        if (i != 0) s += "; ";
        s.append(detail::quoted(matched[i].resource)).append(" grants ");
        detail::append_ops(s, matched[i].ops);
      }
      s += ')';
      if (!near.empty()) {
        s.append("; unqualified resources such as ").append(detail::quoted(near.front()));
        s.append(" never match qualified names");
      }
      break;
    }
    case denial::qualified_name: {
      const auto parsed = parse_name(name).value();
      std::string q = "[";  // appended, not "[" + ...: g++ 12 -O3 misreports -Wrestrict on that
      q.append(detail::one_line(parsed.qualifier)).append("]");
      s.append(detail::quoted(name)).append(" is a ").append(q).append(" name and unqualified resources such as ");
      s.append(detail::quoted(near.front())).append(" never match qualified names; grant ");
      s.append(detail::quoted(q + std::string(parsed.body))).append(", ").append(detail::quoted(q + "*"));
      s.append(" or '[*]*'");
      break;
    }
    case denial::app_wide:
      s.append(opname).append(" is an app-wide operation: it is granted only on '*' or '[*]*' and is checked without a resource");
      break;
    case denial::invalid_name:
      s.append(name_error.message());
      break;
  }
  return s;
}

inline std::string decision::to_json() const {
  std::vector<char> out;
  auto put = [&](std::string_view v) { out.insert(out.end(), v.begin(), v.end()); };
  put(allowed ? "{\"allowed\":true,\"matched\":[" : "{\"allowed\":false,\"matched\":[");
  for (std::size_t i = 0; i < matched.size(); ++i) {
    if (i != 0) put(",");
    put("{\"resource\":");
    detail::write_json_string(matched[i].resource, out);
    put(",\"ops\":[");
    bool first = true;
    matched[i].ops.for_each_name([&](std::string_view n) {
      if (!first) put(",");
      first = false;
      detail::write_json_string(n, out);
    });
    put("]}");
  }
  put("],\"reason\":");
  detail::write_json_string(reason_text(), out);
  put("}");
  return std::string(out.begin(), out.end());
}

CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/explain.hpp ----

// ---- begin include/capmatch/matcher/inline.hpp ----
// capmatch — matcher internals: the inlining attributes of the check paths (docs/matcher.md, "A check").
// SPDX-License-Identifier: MIT
//
// Defined once here for layout.hpp, scan.hpp and query.hpp; matcher.hpp, which includes them,
// #undefs them at its end.

#if defined(__GNUC__) || defined(__clang__)
#define CAPMATCH_DETAIL_INLINE [[gnu::always_inline]] inline
#define CAPMATCH_DETAIL_NOINLINE [[gnu::noinline]]
#else
#define CAPMATCH_DETAIL_INLINE inline
#define CAPMATCH_DETAIL_NOINLINE
#endif
// ---- end include/capmatch/matcher/inline.hpp ----

// ---- begin include/capmatch/matcher/arena.hpp ----
// capmatch — matcher internals: the builder's arena, where a construction's short-lived arrays live
// (docs/matcher.md, "The builder's arena").
// SPDX-License-Identifier: MIT

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>


#if defined(__SANITIZE_ADDRESS__)
#define CAPMATCH_DETAIL_ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CAPMATCH_DETAIL_ARENA_ASAN 1
#endif
#endif
#ifdef CAPMATCH_DETAIL_ARENA_ASAN
#include <sanitizer/asan_interface.h>
#endif

CAPMATCH_NAMESPACE_BEGIN
namespace detail::cm {

/// Bump allocation for one builder's arrays. A small build was otherwise mostly malloc and free:
/// a one-pattern matcher made 15 short-lived arrays, and their allocations were a fifth of its
/// instructions (docs/matcher.md, "The builder's arena"). The arena hands out the small ones (up
/// to `small_limit` bytes) from a buffer inside the builder, then from heap chunks; a request
/// larger than that goes to the heap as before, so a large build's big arrays are unchanged.
/// Memory is given back only when it is the last taken (an array that grows while another was
/// allocated after it leaves its old block behind): the arena is for arrays made once per pass,
/// never for ones made per item, and each such array leaves less than 2 × small_limit behind
/// (its blocks up to the limit double). Everything is freed with the builder.
///
/// Never used in constant evaluation (bvec takes std::allocator there). Under
/// AddressSanitizer every part of a chunk that is not a live block is poisoned, and each block
/// is followed by a poisoned redzone, as the heap's: a read or write past an array's capacity
/// is still reported.
class build_arena {
 public:
  static constexpr std::size_t small_limit = 1024;  ///< larger requests go to the heap
  static constexpr std::size_t inline_bytes = 4096;  ///< the buffer inside the builder
  static constexpr std::size_t chunk_bytes = 16384;  ///< each heap chunk after it

  constexpr build_arena() noexcept {
    if (!std::is_constant_evaluated()) {
      top_ = first_;
      end_ = first_ + inline_bytes;
      poison(first_, inline_bytes);
    }
  }
  build_arena(const build_arena&) = delete;
  build_arena& operator=(const build_arena&) = delete;
  constexpr ~build_arena() {
    if (std::is_constant_evaluated()) return;
    unpoison(first_, inline_bytes);  // (stack memory: the next frame must find it addressable)
    while (chunks_ != nullptr) {
      chunk* next = chunks_->next;
      ::operator delete(static_cast<void*>(chunks_));
      chunks_ = next;
    }
  }

  /// Every block's alignment: operator new's, as std::allocator's for any builder array.
  static constexpr std::size_t align = __STDCPP_DEFAULT_NEW_ALIGNMENT__;

  /// `bytes` (1 to small_limit), aligned to `align`.
  [[nodiscard]] void* take(std::size_t bytes) {
    const std::size_t size = step(bytes);
    if (static_cast<std::size_t>(end_ - top_) < size) new_chunk();
    std::byte* p = top_;
    top_ += size;
    unpoison(p, bytes);
    return p;
  }
  /// Gives back `bytes` at `p` (a take(bytes)): reused when it is the last block taken.
  void give_back(void* p, std::size_t bytes) noexcept {
    const std::size_t size = step(bytes);
    poison(p, size);
    if (static_cast<std::byte*>(p) + size == top_) top_ = static_cast<std::byte*>(p);
  }

 private:
  struct alignas(align) chunk {
    chunk* next;
  };
#ifdef CAPMATCH_DETAIL_ARENA_ASAN
  static constexpr std::size_t redzone = align;  // poisoned after every block, as the heap's
#else
  static constexpr std::size_t redzone = 0;
#endif
  // The arena's bytes for a block of `bytes`.
  static constexpr std::size_t step(std::size_t bytes) noexcept {
    return ((bytes + align - 1) & ~(align - 1)) + redzone;
  }
  static_assert(small_limit + align + redzone <= inline_bytes && small_limit + align + redzone <= chunk_bytes,
                "every small block (step(small_limit)) fits an empty buffer or chunk");

  CAPMATCH_DETAIL_NOINLINE void new_chunk() {
    void* raw = ::operator new(sizeof(chunk) + chunk_bytes);
    chunks_ = ::new (raw) chunk{chunks_};
    top_ = reinterpret_cast<std::byte*>(chunks_ + 1);
    end_ = top_ + chunk_bytes;
    poison(top_, chunk_bytes);
  }
  static void poison([[maybe_unused]] void* p, [[maybe_unused]] std::size_t n) noexcept {
#ifdef CAPMATCH_DETAIL_ARENA_ASAN
    ASAN_POISON_MEMORY_REGION(p, n);
#endif
  }
  static void unpoison([[maybe_unused]] void* p, [[maybe_unused]] std::size_t n) noexcept {
#ifdef CAPMATCH_DETAIL_ARENA_ASAN
    ASAN_UNPOISON_MEMORY_REGION(p, n);
#endif
  }

  alignas(align) std::byte first_[inline_bytes];
  std::byte* top_ = nullptr;
  std::byte* end_ = nullptr;
  chunk* chunks_ = nullptr;
};

/// One of the builder's arrays: a vector of trivially copyable items whose small blocks come
/// from a build_arena (made with one) and the rest from the heap, as std::allocator's. Not
/// std::vector with an arena allocator: libstdc++ fills, copies and moves a vector's items with
/// memset and memmove only under std::allocator, and item by item under any other (scoped/4096's
/// build, +1.2 % instructions that way). Only what the passes use: append at the end, erase a
/// range, fill, copy, swap. In constant evaluation every item is constructed and destroyed.
template <class T>
class bvec {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);
  static_assert(alignof(T) <= build_arena::align);

 public:
  constexpr bvec() noexcept = default;
  constexpr explicit bvec(build_arena* a) noexcept : arena_(a) {}
  constexpr bvec(std::size_t n, const T& v, build_arena* a = nullptr) : arena_(a) { resize(n, v); }
  constexpr bvec(std::initializer_list<T> items, build_arena* a = nullptr) : arena_(a) {
    append(items.begin(), items.end());
  }
  /// A copy in the same arena.
  constexpr bvec(const bvec& o) : arena_(o.arena_) { append(o.begin(), o.end()); }
  constexpr bvec(bvec&& o) noexcept : arena_(o.arena_), p_(o.p_), n_(o.n_), cap_(o.cap_) { o.forget(); }
  constexpr bvec& operator=(const bvec& o) {
    if (this != &o) {
      shrink_to(0);
      append(o.begin(), o.end());
    }
    return *this;
  }
  /// Takes o's items and its arena.
  constexpr bvec& operator=(bvec&& o) noexcept {
    if (this != &o) {
      release();
      arena_ = o.arena_, p_ = o.p_, n_ = o.n_, cap_ = o.cap_;
      o.forget();
    }
    return *this;
  }
  constexpr ~bvec() { release(); }

  [[nodiscard]] constexpr build_arena* arena() const noexcept { return arena_; }
  [[nodiscard]] constexpr std::size_t size() const noexcept { return n_; }
  [[nodiscard]] constexpr bool empty() const noexcept { return n_ == 0; }
  [[nodiscard]] constexpr std::size_t capacity() const noexcept { return cap_; }
  [[nodiscard]] constexpr T* data() noexcept { return p_; }
  [[nodiscard]] constexpr const T* data() const noexcept { return p_; }
  [[nodiscard]] constexpr T* begin() noexcept { return p_; }
  [[nodiscard]] constexpr T* end() noexcept { return p_ + n_; }
  [[nodiscard]] constexpr const T* begin() const noexcept { return p_; }
  [[nodiscard]] constexpr const T* end() const noexcept { return p_ + n_; }
  [[nodiscard]] constexpr T& operator[](std::size_t i) noexcept { return p_[i]; }
  [[nodiscard]] constexpr const T& operator[](std::size_t i) const noexcept { return p_[i]; }
  [[nodiscard]] constexpr T& front() noexcept { return p_[0]; }
  [[nodiscard]] constexpr T& back() noexcept { return p_[n_ - 1]; }
  [[nodiscard]] constexpr const T& back() const noexcept { return p_[n_ - 1]; }

  constexpr void clear() noexcept { shrink_to(0); }
  constexpr void pop_back() noexcept { shrink_to(n_ - 1); }
  CAPMATCH_DETAIL_INLINE constexpr void push_back(const T& v) {
    const T x = v;  // (a copy: v may be one of this array's items)
    if (n_ == cap_) [[unlikely]]
      grow(n_ + 1);
    std::construct_at(p_ + n_, x);
    ++n_;
  }
  constexpr void reserve(std::size_t c) {
    if (c > cap_) reallocate(c);
  }
  /// n items: the first min(n, size()) kept, the rest T{} (or v).
  constexpr void resize(std::size_t n) { resize(n, T{}); }
  constexpr void resize(std::size_t n, const T& v) {
    if (n <= n_) return shrink_to(n);
    const T x = v;  // (as push_back's)
    if (n > cap_) grow(n);
    fill(p_ + n_, n - n_, x);
    n_ = n;
  }
  /// n copies of v (in a block of exactly n when it needs a new one).
  constexpr void assign(std::size_t n, const T& v) {
    const T x = v;  // (as push_back's)
    shrink_to(0);
    if (n > cap_) reallocate(n);
    resize(n, x);
  }
  /// Appends [first, last) (which must not be this array's items).
  constexpr void append(const T* first, const T* last) {
    const auto k = static_cast<std::size_t>(last - first);
    if (n_ + k > cap_) grow(n_ + k);
    copy(first, k, p_ + n_);
    n_ += k;
  }
  /// Removes [first, last), keeping the order of the rest.
  constexpr T* erase(T* first, T* last) noexcept {
    T* const e = end();
    T* out = first;
    for (T* in = last; in != e; ++in, ++out) *out = *in;
    shrink_to(static_cast<std::size_t>(out - p_));
    return first;
  }
  /// The same items (not the same arena).
  friend constexpr bool operator==(const bvec& a, const bvec& b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!(a[i] == b[i])) return false;
    return true;
  }
  /// Exchanges the items and the arenas.
  constexpr void swap(bvec& o) noexcept {
    std::swap(arena_, o.arena_), std::swap(p_, o.p_), std::swap(n_, o.n_), std::swap(cap_, o.cap_);
  }

 private:
  build_arena* arena_ = nullptr;
  T* p_ = nullptr;
  std::size_t n_ = 0, cap_ = 0;

  constexpr void forget() noexcept { p_ = nullptr, n_ = 0, cap_ = 0; }
  // (The small blocks are the arena's: decided by the size alone, so that a block goes back
  // where it came from.)
  [[nodiscard]] constexpr bool in_arena(std::size_t c) const noexcept {
    return arena_ != nullptr && c <= build_arena::small_limit / sizeof(T);
  }
  constexpr void shrink_to(std::size_t n) noexcept {
    if (std::is_constant_evaluated())
      for (std::size_t i = n; i < n_; ++i) std::destroy_at(p_ + i);
    n_ = n;
  }
  constexpr void release() noexcept {
    if (p_ == nullptr) return;
    shrink_to(0);
    if (std::is_constant_evaluated() || !in_arena(cap_)) std::allocator<T>{}.deallocate(p_, cap_);
    else arena_->give_back(p_, cap_ * sizeof(T));
    forget();
  }
  // Room for `need` items: twice the items, or more when that is not enough, as libstdc++'s
  // vector grows (twice the capacity instead made index_map::reset's table twice the size it
  // asked for after a clear()). (Out of line: push_back's fast path is inlined, as std::vector's.)
  CAPMATCH_DETAIL_NOINLINE constexpr void grow(std::size_t need) {
    const std::size_t twice = n_ < 2 ? 4 : 2 * n_;
    reallocate(need < twice ? twice : need);
  }
  constexpr void reallocate(std::size_t c) {
    T* const q = std::is_constant_evaluated() || !in_arena(c) ? std::allocator<T>{}.allocate(c)
                                                              : static_cast<T*>(arena_->take(c * sizeof(T)));
    const std::size_t n = n_;
    copy(p_, n, q);
    release();
    p_ = q, n_ = n, cap_ = c;
  }
  // (Out of line, as libstdc++'s vector fill: inlined with a constant, g++ makes the loop a
  // memset call, whose `rep stosb` callgrind counts byte by byte: the build's instruction
  // counts would not compare with earlier ones. In time the two are the same.)
  CAPMATCH_DETAIL_NOINLINE static constexpr void fill(T* to, std::size_t k, const T& v) {
    if (std::is_constant_evaluated()) {
      for (std::size_t i = 0; i < k; ++i) std::construct_at(to + i, v);
      return;
    }
    std::fill_n(to, k, v);
  }
  static constexpr void copy(const T* from, std::size_t k, T* to) {
    if (std::is_constant_evaluated()) {
      for (std::size_t i = 0; i < k; ++i) std::construct_at(to + i, from[i]);
      return;
    }
    if (k != 0) std::memcpy(static_cast<void*>(to), from, k * sizeof(T));
  }
};

}  // namespace detail::cm
CAPMATCH_NAMESPACE_END

#undef CAPMATCH_DETAIL_ARENA_ASAN  // (read only above)
// ---- end include/capmatch/matcher/arena.hpp ----

// ---- begin include/capmatch/matcher/layout.hpp ----
// capmatch — matcher internals: constants, references and record layouts (docs/matcher.md, "Tables").
// SPDX-License-Identifier: MIT

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>


CAPMATCH_NAMESPACE_BEGIN

/// The automaton bound. Determinising the pattern trie can blow up on adversarial capabilities
/// (many `*:*:x` patterns, many qualifiers beside `[*]` patterns). The matcher keeps a
/// deterministic automaton only while what it stores — states + transitions, before
/// minimisation — stays within
/// `matcher_dfa_growth` × (trie nodes + trie edges) + `matcher_dfa_slack`; beyond that it
/// tries fallback transitions, then groups, and a group that still exceeds its own bound is
/// answered by walking its trie (same answers, no allocation, work bounded by the trie).
/// Either way, memory is linear in the capability's size.
inline constexpr std::size_t matcher_dfa_growth = 4;
inline constexpr std::size_t matcher_dfa_slack = 1024;
/// The construction's work budget, separate from the bound on what it stores: its work counts
/// states, transitions, the trie nodes each state's set holds and the trie edges it gathers.
/// The plain construction (tried first) stops when that work exceeds the bound itself; the one
/// with fallback transitions (tried next) when it exceeds `matcher_fallback_work_factor` × the
/// bound, so a capability whose automaton cannot fit stops early while one whose stored
/// automaton fits is not refused for its transient work (docs/matcher.md, "The automaton bound
/// and the fallback"). Build time and transient memory stay linear in the capability's size.
inline constexpr std::size_t matcher_fallback_work_factor = 2;

/// How a matcher is compiled: `automatic` determinises within the bound above;
/// `trie_walk` always uses the fallback (for tests and for comparing the two).
enum class matcher_mode : std::uint8_t { automatic, trie_walk };

namespace detail::cm {

using u8 = std::uint8_t;
using u32 = std::uint32_t;
using u64 = std::uint64_t;

inline constexpr u32 no_state = 0xFFFFFFFFu;  // empty slot marker in the long-edge table
inline constexpr u32 dead = 0;                // the state (or trie node) that matches nothing more
inline constexpr u32 qualifier_state = 1;     // builder: the pseudo-state of transitions on the qualifier name
// A run state (DFA only) keeps the length of its run in the high bits of `term`; op bits
// stay below bit 18 (op_set::from_bits drops the rest).
inline constexpr unsigned run_shift = 20;
static_assert(max_resource_bytes < (std::size_t{1} << (32 - run_shift)));
static_assert(max_segments < (std::size_t{1} << (32 - run_shift)));  // (a trie's star skip, the same bits)
// A state with a fallback (DFA only) has this bit in `term` (between the op bits and a run's
// length; finish() drops it): its link is then the fallback state, not the default transition.
inline constexpr u32 fallback_flag = u32{1} << 19;
static_assert(fallback_flag < (u32{1} << run_shift));
static_assert(fallback_flag << 1 == u32{1} << run_shift, "runs_or_falls_back tests both with one compare");
// A mid-run head whose chain was dropped (DFA only) holds its run in its record, as a start
// run does, with this bit in `term` (below the fallback flag: a head never has a fallback).
inline constexpr u32 held_run_flag = u32{1} << 18;
// A split record (DFA with fallbacks only) has both flags, which no other record has together:
// it stands for two states at once (state_rec::set_split; docs/matcher.md, "Split fallback
// targets").
inline constexpr u32 split_flags = fallback_flag | held_run_flag;

// The tables refer to a state by its reference: its offset in the words array (dead: 0), with
// the log2 of its table's entries above ref_shift (see state_ref), so that a step knows where
// to probe the next state's table without first reading that state's record (a load less on
// the check's critical path: anyq/512 +16 %, deep/512 +10 % with the size read from the record;
// bench/RESULTS.md "Session 21"). Offsets stay below 2^27 words (max_table_words).
inline constexpr unsigned ref_shift = 27;
inline constexpr u32 offset_mask = (u32{1} << ref_shift) - 1;
[[nodiscard]] constexpr u32 offset_of(u32 st) noexcept { return st & offset_mask; }
[[nodiscard]] constexpr u32 table_log2(u32 st) noexcept { return st >> ref_shift; }
/// The reference of the state at `offset` whose table has 2^k entries (k = 0 also for none).
[[nodiscard]] constexpr u32 make_ref(u32 offset, u32 k) noexcept { return offset | k << ref_shift; }
inline constexpr std::size_t max_table_words = offset_mask;
/// The automaton bound is at most this many states + transitions, whose words then stay below
/// max_table_words: a state takes 4 words and its table 3 per entry, and a table has fewer than
/// 3 entries per transition (or 1 for a state whose transitions are all long), so at most
/// 9 words per state or transition. A capability within max_resources never reaches it
/// (its trie has at most max_segments + 1 nodes and edges per pattern, and 4 nodes more).
inline constexpr std::size_t matcher_max_stored = (max_table_words - 3) / 9;
static_assert(matcher_dfa_growth * 2 * (max_resources * (max_segments + 1) + 4) + matcher_dfa_slack <=
                  matcher_max_stored,
              "the automaton bound of any capability within the limits stays below max_table_words");
// The long-edge table, shared by all states, hashes a state's reference as st * ref_mul (mod
// 2^32), a bijection that spreads the offsets (all multiples of small numbers).
inline constexpr u32 ref_mul = 0x9E3779B1u;
[[nodiscard]] constexpr u32 state_hash(u32 st) noexcept { return st * ref_mul; }
inline constexpr u64 k_mul = 0x9E3779B97F4A7C15ull;
inline constexpr u64 k_state = 0xC2B2AE3D27D4EB4Full;
inline constexpr u64 k_long = 0x165667B19E3779F9ull;
using swar::high_bits;
using swar::low7;
using swar::ones;
using swar::zero_bytes;

/// A mid-run record's pool offset (and a held run's, in its head's record) has this bit
/// when its run passes through `*` segments (star steps: states whose only way on is the
/// default transition), each written as one U+0000 byte in the pool, which matches one whole
/// segment of the name (docs/matcher.md, "Mid-runs").
inline constexpr u32 wild_run = u32{1} << 31;
static_assert(max_resource_bytes < wild_run);  // (and a pool offset: see matcher_run_text_factor)

/// The emitted automaton (or trie) is one array of 32-bit words. A state at an offset there
/// (its reference adds its table's size, see ref_shift) is its record (record_words: record_reads'
/// four words), then its table of short transitions: 2^k entries of entry_words (the segment's
/// key, zero-padded to 8 bytes, in two words, low first; the state after it), empty entries
/// zero (a segment is never empty, so no key is 0). The table is right after the record: a
/// step reads one or two cache lines, not a record and a slot of one table shared by every
/// state (docs/matcher.md, "Tables"). A state with a literal transition (short or long) has a
/// table (its filter may pass a short segment to it even when its transitions are all long);
/// one without has none (its filter is 0, and every lookup is behind the filter). A table of
/// up to four transitions is full (1, 2 or 4 entries), a larger one at load at most 3/4 (2/3
/// until session 29: 1-13 % less memory where states have more than four, +0.6 % instructions
/// per check at most; bench/RESULTS.md, "Session 29").
/// Transitions on longer segments are in the long-edge table.
inline constexpr u32 record_words = 4;
inline constexpr u32 entry_words = 3;
/// The trail word of a record: bit table_flag when the state has a table, its entries' log2
/// above table_shift (as in the state's reference; this copy is for walking the words). The op
/// bits stay below bit 18 and finish() drops these, so a check may accumulate the whole word
/// (state_ref::trail_bits).
inline constexpr unsigned table_shift = 24;
inline constexpr u32 table_flag = u32{1} << 23;
static_assert(table_flag > held_run_flag);
/// The entries of the table of a state with `transitions` short transitions.
[[nodiscard]] constexpr u32 table_entries(std::size_t transitions) noexcept {
  if (transitions == 0) return 0;
  u32 size = 1;
  if (transitions <= 4) {
    while (size < transitions) size *= 2;
  } else {
    while (3 * std::size_t{size} < 4 * transitions) size *= 2;
  }
  return size;
}

/// The segment key of a table entry (two words, low first) as one word.
[[nodiscard]] constexpr u64 load_key(const u32* p) noexcept {
  if (std::is_constant_evaluated() || std::endian::native != std::endian::little) {
    return u64{p[0]} | u64{p[1]} << 32;
  } else {
    u64 v;
    std::memcpy(&v, p, 8);
    return v;
  }
}

/// Where a short key's probe starts in a table of 2^k entries, from its hash hk = key * k_mul:
/// hk's top k bits, which depend on every bit of the key (a product's bit depends on the key's
/// bits below it only: bits 59-k..58 leave out the last byte's top bits, and keys that differ
/// there, as `tenant08` and `tenant00`, shared homes). A hit in a table of 32 entries or more
/// took 1.2-1.4 probes on bench/'s automata (1.1-2.4 from bits 59-k..58; bench/RESULTS.md,
/// "Session 21"). Two shifts, no multiply: the probe's address waits for k only.
[[nodiscard]] constexpr u32 table_home(u64 hk, u32 k) noexcept { return static_cast<u32>((hk >> 32) << k >> 32); }

/// The four words of a state's record (record_words), in both of its forms: the builder's
/// state_rec holds them, the emitted state_ref points at them. The bit layout lives here only,
/// one named accessor per meaning: the words mean different things in the two modes and in
/// run states.
/// A *run state* (DFA only; run_length() != 0) has no default transition and one way on: the
/// literal segments of its run, `a:b:c`, whose bytes are at `pool + run_offset()`; run_end()
/// is the state after them. See docs/matcher.md, "Runs". A mid-run head whose chain was
/// dropped holds its run the same way (holds_run(); docs/matcher.md, "Mid-runs through `*`").
///   w_[0]  DFA: default transition, fallback state, or a run's end; trie: the `*` child
///   w_[1]  op bits granted when one or more further segments follow; emitted, | the table's
///          bits (table_flag, its entries' log2 << table_shift)
///   w_[2]  op bits granted when the name ends here; | fallback_flag or held_run_flag; a run
///          state: | run length << run_shift; trie: | the `*` edge's star skip << run_shift
///   w_[3]  the filter of the literal transitions' key hashes, or (run state) the run's pool
///          offset, or (holds_run) the held run's pool offset | wild_run, or (split) the
///          state the second part stands on after the segment
/// A *split record* (DFA with fallbacks only; splits()) is a fallback target that stands for
/// the union of two parts run apart: w_[0] is the first part's state, which the segment is
/// looked up in as in a fallback, and w_[3] the state the second part moves to on any segment.
/// It has no transitions, no table and no ops of its own, and is never stood on: only a
/// fallback leads to it (docs/matcher.md, "Split fallback targets").
template <class Words>
class record_reads {
 public:
  /// DFA: the default transition (a segment that no literal transition names). For a state
  /// with a fallback (has_fallback()) this is the fallback state, whose default is this one's.
  [[nodiscard]] constexpr u32 default_next() const noexcept { return w_[0]; }
  /// DFA: true when a segment that none of this state's literal transitions names moves the
  /// automaton as it would move fallback() (docs/matcher.md, "Fallback transitions").
  [[nodiscard]] constexpr bool has_fallback() const noexcept { return (w_[2] & fallback_flag) != 0; }
  /// DFA, has_fallback(): the state whose transitions answer the segments this one's do not name.
  [[nodiscard]] constexpr u32 fallback() const noexcept { return w_[0]; }
  /// DFA: a split record (both fallback_flag and held_run_flag; see above). Its fallback() is
  /// the first part's state, split_second() the second part's state after any segment.
  [[nodiscard]] constexpr bool splits() const noexcept { return (w_[2] & split_flags) == split_flags; }
  /// DFA, splits(): the state the second part stands on after the segment looked up.
  [[nodiscard]] constexpr u32 split_second() const noexcept { return w_[3]; }
  /// Calls f on each state this record links to besides its transitions: the default
  /// transition, fallback or run end (dead when none), and a split record's second part (the
  /// links map_link maps; the passes that count or keep what leads where).
  template <class F>
  constexpr void for_each_link(F f) const {
    f(w_[0]);
    if (splits()) f(w_[3]);
  }
  /// Trie: the `*` child (the node at the end of the `*` edge's chain, see star_skip()).
  [[nodiscard]] constexpr u32 star_child() const noexcept { return w_[0]; }
  /// Trie: the segments the `*` edge passes over after its own. The nodes of a chain of `*`
  /// edges whose inner nodes grant nothing and have no literal edge are left out: the edge
  /// from the chain's first node leads to its last, past 1 + star_skip() segments
  /// (docs/matcher.md, "Star chains in the trie").
  [[nodiscard]] constexpr u32 star_skip() const noexcept { return w_[2] >> run_shift; }
  /// DFA, run state (or holds_run()): the state after the run.
  [[nodiscard]] constexpr u32 run_end() const noexcept { return w_[0]; }
  /// DFA: a mid-run head whose chain was dropped, with nothing else left: its run is in this
  /// record (run_end(), run_length(), held_run_offset()) instead of the long-edge table.
  /// (Read only when run_length() != 0: a split record, which has the flag too, has no run.)
  [[nodiscard]] constexpr bool holds_run() const noexcept { return (w_[2] & held_run_flag) != 0; }
  /// DFA, holds_run(): the pool offset of the run's bytes.
  [[nodiscard]] constexpr u32 held_run_offset() const noexcept { return w_[3] & ~wild_run; }
  /// DFA, holds_run(): true when the run passes through star steps (U+0000 bytes for `*`).
  [[nodiscard]] constexpr bool held_run_wild() const noexcept { return (w_[3] & wild_run) != 0; }
  /// The 32-bit filter of the literal transitions' (trie: edges') key hashes (see filter_bit).
  [[nodiscard]] constexpr u32 filter() const noexcept { return w_[3]; }
  /// DFA: true when this state starts a run or has a fallback (run_length() != 0 or
  /// has_fallback(): one compare of the word that holds both; held_run_flag is below them).
  [[nodiscard]] constexpr bool runs_or_falls_back() const noexcept { return w_[2] >= fallback_flag; }
  /// DFA: the length of this state's run in bytes; 0 when it starts no run. (An entry state's
  /// run replaces its transitions; any other state's is a mid-run, see mid_run_key.)
  [[nodiscard]] constexpr std::size_t run_length() const noexcept { return w_[2] >> run_shift; }
  /// DFA, run state: the pool offset of the run's bytes.
  [[nodiscard]] constexpr u32 run_offset() const noexcept { return w_[3]; }
  /// Ops granted when one or more further segments follow.
  [[nodiscard]] constexpr u32 trail_ops() const noexcept { return w_[1] & (held_run_flag - 1); }
  /// trail_ops() with an emitted record's table bits above them: for the check paths, whose
  /// finish() drops those bits (one instruction less).
  [[nodiscard]] constexpr u32 trail_bits() const noexcept { return w_[1]; }
  /// Ops granted when the name ends here, with a run state's length bits and the flags above
  /// them: for the check paths, whose finish() drops those bits (one instruction less).
  [[nodiscard]] constexpr u32 term_bits() const noexcept { return w_[2]; }
  /// Ops granted when the name ends here (without a run state's length bits or the flags).
  [[nodiscard]] constexpr u32 term_ops() const noexcept { return w_[2] & (held_run_flag - 1); }
  /// All four words zero: the dead state's record (no default, no ops, no filter, no run).
  [[nodiscard]] constexpr bool blank() const noexcept { return (w_[0] | w_[1] | w_[2] | w_[3]) == 0; }

 protected:
  Words w_{};
};

/// One automaton state (or, in trie-walk mode, one trie node) as the builder makes it: the four
/// words its emitted record holds (write()), read through record_reads as the check paths read
/// them through state_ref.
class state_rec : public record_reads<u32[record_words]> {
 public:
  /// DFA: sets the default transition (a state index while building, a reference once emitted).
  constexpr void set_default_next(u32 st) noexcept { w_[0] = st; }
  /// DFA: gives this state a fallback (a state index while building, a reference once emitted)
  /// instead of a default transition. Never a run state (a run state has no default).
  constexpr void set_fallback(u32 st) noexcept {
    w_[0] = st;
    w_[2] |= fallback_flag;
  }
  /// DFA: makes this a split record (a state index while building, a reference once emitted):
  /// a segment is looked up in `first` as through a fallback, and the second part moves to
  /// `second` (see splits()). No ops, no transitions.
  constexpr void set_split(u32 first, u32 second) noexcept {
    w_[0] = first;
    w_[1] = 0;
    w_[2] = split_flags;
    w_[3] = second;
  }
  /// Trie: sets the `*` child.
  constexpr void set_star_child(u32 node) noexcept { w_[0] = node; }
  /// Trie: makes the `*` edge lead to `node` past `skip` segments after its own (star_skip()).
  constexpr void set_star_chain(u32 node, u32 skip) noexcept {
    w_[0] = node;
    w_[2] = term_ops() | skip << run_shift;
  }
  /// Adds ops granted when one or more further segments follow.
  constexpr void add_trail_ops(u32 ops) noexcept { w_[1] |= ops; }
  /// Adds ops granted when the name ends here.
  constexpr void add_term_ops(u32 ops) noexcept { w_[2] |= ops; }
  /// Adds a literal transition's key hash to the filter (before any run is set).
  constexpr void add_filter_bit(u32 bit) noexcept { w_[3] |= bit; }
  /// DFA: makes this a run state: `size` bytes at pool offset `offset`, then state `end`.
  constexpr void set_run(u32 offset, u32 size, u32 end) noexcept {
    w_[0] = end;
    w_[2] = term_ops() | size << run_shift;
    w_[3] = offset;
  }
  /// DFA: marks this state as the head of a mid-run of `size` bytes (its transitions, filter
  /// and default stay; the run's bytes and end are its run record in the long-edge table).
  constexpr void set_mid_run(u32 size) noexcept { w_[2] = term_ops() | size << run_shift; }
  /// DFA: makes a mid-run head with nothing else left (no transition, no default) hold its run:
  /// `size` bytes at pool offset `offset` (`wild`: through star steps), then state `end`.
  constexpr void set_held_run(u32 offset, u32 size, u32 end, bool wild) noexcept {
    w_[0] = end;
    w_[2] = term_ops() | held_run_flag | size << run_shift;
    w_[3] = offset | (wild ? wild_run : 0);
  }
  /// Replaces the state links (default transition, fallback, run end or `*` child; a split
  /// record's two) by f(link): renumbering while building, state indices to references when
  /// emitting.
  template <class F>
  constexpr void map_link(F f) noexcept(noexcept(f(u32{}))) {
    w_[0] = f(w_[0]);
    if (splits()) w_[3] = f(w_[3]);
  }
  /// Emits the record as the four words a state_ref reads, its table's size (`entries`, a
  /// power of two, or 0: no table) above the trail ops (table_flag, log2 << table_shift).
  constexpr void write(u32* w, u32 entries) const noexcept {
    for (u32 i = 0; i < record_words; ++i) w[i] = w_[i];
    if (entries != 0) w[1] |= table_flag | static_cast<u32>(std::countr_zero(entries)) << table_shift;
  }
};
static_assert(sizeof(state_rec) == 4 * record_words);

/// A state of the emitted words (see record_words): what the check paths read, through
/// record_reads as the builder reads its state_rec, and its table.
class state_ref : public record_reads<const u32*> {
 public:
  constexpr explicit state_ref(const u32* w) noexcept { w_ = w; }
  /// Entries of this state's table of short transitions (0: none).
  [[nodiscard]] constexpr u32 entries() const noexcept { return has_table() ? u32{1} << entries_log2() : 0; }
  /// Entry i (< entries()): its key (0: empty) and the state after it.
  [[nodiscard]] constexpr u64 entry_key(u32 i) const noexcept { return load_key(w_ + record_words + entry_words * i); }
  [[nodiscard]] constexpr u32 entry_to(u32 i) const noexcept { return w_[record_words + entry_words * i + 2]; }
  /// The transition on a short segment (its key, and hk = key * k_mul), or `otherwise`, in a
  /// table of 2^k entries (k: table_log2 of the state's reference): a linear probe from
  /// table_home, ending at the key, an empty entry or after every entry. Only for a state
  /// with a table.
  [[nodiscard]] CAPMATCH_DETAIL_INLINE constexpr u32 find_short(u64 key, u64 hk, u32 otherwise, u32 k) const noexcept {
    const u32 mask = (u32{1} << k) - 1;
    const u32* const table = w_ + record_words;
    for (u32 j = table_home(hk, k), left = mask;; j = (j + 1) & mask, --left) {
      const u32* e = table + entry_words * j;
      const u64 v = load_key(e);
      if (v == key) return e[2];
      if (v == 0 || left == 0) return otherwise;
    }
  }
  /// Puts the transition on a short segment (key, hk = key * k_mul) to `to` into the table of
  /// 2^k entries at `table` (a record's words + record_words), where find_short's probe finds
  /// it: the first empty entry from table_home. The table has one.
  static constexpr void store_short(u32* table, u32 k, u64 key, u64 hk, u32 to) noexcept {
    const u32 mask = (u32{1} << k) - 1;
    u32 j = table_home(hk, k);
    while (load_key(table + entry_words * j) != 0) j = (j + 1) & mask;
    table[entry_words * j] = static_cast<u32>(key);
    table[entry_words * j + 1] = static_cast<u32>(key >> 32);
    table[entry_words * j + 2] = to;
  }
  /// The log2 of the table's entries (0 also when there is no table).
  [[nodiscard]] constexpr u32 entries_log2() const noexcept { return has_table() ? w_[1] >> table_shift : 0; }
  /// True when this state has a table of short transitions.
  [[nodiscard]] constexpr bool has_table() const noexcept { return (w_[1] & table_flag) != 0; }
  /// This state's reference, given its offset.
  [[nodiscard]] constexpr u32 reference(u32 offset) const noexcept { return make_ref(offset, entries_log2()); }
  /// Words of the record and its table: the next state's offset is this one's + size().
  [[nodiscard]] constexpr u32 size() const noexcept { return record_words + entry_words * entries(); }
};
/// The builder orders the states depth first (a check's next state then usually shares a cache
/// line with the one it stands on) only when their records exceed this many bytes, a typical
/// L1 data cache: below it they stay in L1 in any order, and the pass would only cost build
/// time (3-6 % more instructions where it runs, callgrind; docs/matcher.md, "State order").
inline constexpr std::size_t matcher_locality_bytes = 32 * 1024;
/// Where a mid-run's record is placed in the long-edge table: its home is that of this key
/// (as a segment's key) from its head. Its tag (mid_run_tag_of) tells it from the head's
/// transitions on long segments, whose tags never have mid_run_tag.
inline constexpr u64 mid_run_key = 0x6E75722D64696DFFull;
/// A run passes through a state that minimisation merged (a suffix several chains share) to
/// its end, so the runs' bytes are not bounded by the transitions' any more: the builder makes
/// no further mid-run once the run text exceeds matcher_run_text_factor × the patterns'
/// literal bytes + matcher_run_text_slack (a mid-run is optional: the check then steps). This
/// keeps memory linear in the capability and pool offsets far below wild_run.
inline constexpr std::size_t matcher_run_text_factor = 4;
inline constexpr std::size_t matcher_run_text_slack = 64 * 1024;
/// A mid-run of at least this many segments has the states inside it dropped (only the run's
/// record reaches its end), if that drops at least 1 / mid_run_drop_share of the automaton's
/// states: memory on deep names. Such a capability is checked on the out-of-line path, which
/// tests every state for a mid-run (docs/matcher.md, "Mid-runs").
inline constexpr std::size_t mid_run_drop_segments = 3;
inline constexpr std::size_t mid_run_drop_share = 4;
/// The long-edge table, shared by all states: a transition on a segment of more than 8 bytes
/// (its bytes in the pool), or a mid-run's record (the run's bytes in the pool; see
/// mid_run_key). 16 bytes: `tag` holds the length (either's, in bytes) in its low
/// long_length_bits, and above them, for a transition, 19 bits of the segment's key (a hash:
/// a probe compares the bytes only when the tag matches) or, for a mid-run, mid_run_tag.
/// (Session 22: 24 bytes before, a 64-bit key and a separate size; the tag is one compare.)
inline constexpr unsigned long_length_bits = 12;
inline constexpr u32 long_length_mask = (u32{1} << long_length_bits) - 1;
static_assert(max_resource_bytes <= long_length_mask, "a segment's or a run's length fits a tag");
inline constexpr u32 mid_run_tag = u32{1} << 31;
/// The tag of a transition on a segment of len (9 to max_resource_bytes) bytes with key `key`:
/// bit 31 is clear, so it never equals a mid-run's.
[[nodiscard]] constexpr u32 long_tag(u64 key, std::size_t len) noexcept {
  return static_cast<u32>(key >> 45) << long_length_bits | static_cast<u32>(len);
}
/// The tag of a mid-run of len bytes.
[[nodiscard]] constexpr u32 mid_run_tag_of(std::size_t len) noexcept { return mid_run_tag | static_cast<u32>(len); }
struct long_edge_rec {
  u32 tag = 0;
  u32 from = no_state;  // no_state: an empty slot
  u32 to = dead;
  u32 where = 0;  // the bytes' pool offset; a mid-run record: | wild_run through star steps

  /// True for a mid-run's record.
  [[nodiscard]] constexpr bool is_mid_run() const noexcept { return (tag & mid_run_tag) != 0; }
  /// The segment's (or run's) length in bytes.
  [[nodiscard]] constexpr u32 length() const noexcept { return tag & long_length_mask; }
  /// The pool offset of the segment's (or run's) bytes.
  [[nodiscard]] constexpr u32 offset() const noexcept { return where & ~wild_run; }
  /// A mid-run record: true when the run passes through star steps.
  [[nodiscard]] constexpr bool run_wild() const noexcept { return (where & wild_run) != 0; }
};
static_assert(sizeof(long_edge_rec) == 16);

/// A qualifier of at most `quick_qualifier_bytes` bytes that patterns name, as the first
/// bytes of a name carrying it: `key` is "[queue]" as a little-endian word, `mask` covers its
/// bytes, `to` is the qualifier class's start state (DFA) or root (trie). A check compares the
/// name's first word with each instead of parsing the qualifier and probing the table.
struct quick_qualifier {
  u64 key = 0;
  u64 mask = 0xFF;  // an unused entry: '[' is never 0, so it never matches
  u32 to = dead;
  u32 size = 0;  // bytes of "[queue]"
};
inline constexpr std::size_t quick_qualifier_bytes = 6;  // "[" + 6 + "]" fill one word
inline constexpr std::size_t quick_qualifiers = 4;

/// What a compiled matcher holds besides its arrays: held by `storage` and fixed_matcher,
/// copied into every `tables` view.
struct header {
  u32 state_count = 0;    // states (trie: nodes) in the words array
  u32 qualifier_root = dead;  // reference of the qualifier pseudo-state (transitions on qualifier names)
  u32 long_cap = 0;       // home range of long_edges
  u32 start = dead;       // reference of: DFA, the start state for unqualified names; trie, the unqualified root
  u32 any_root = dead;    // trie walk only: reference of the root of the [*] patterns
  u32 app_wide = 0;       // op bits granted on "*" or "[*]*"
  bool walk = false;      // true: trie-walk fallback; false: DFA
  bool chains = false;    // DFA: the states inside long mid-runs were dropped (see mid_run_drop_segments)
  bool fallbacks = false;  // DFA: some state has a fallback (state_rec::has_fallback); its loop follows them
  bool entry_fallbacks = false;  // DFA: only named qualifiers' entry states have fallbacks (their names' first step follows it)
  bool out_of_line = false;  // walk, chains or fallbacks: every check takes the out-of-line path
  quick_qualifier quick[quick_qualifiers] = {};  // the first few short qualifiers (see quick_qualifier)
  bool quick_all = false;  // true: every qualifier of at most quick_qualifier_bytes is in quick
  u32 filter_indices = 0;  // a star-led group's literal filter (prefilter.hpp): its segment indices; 0: none
  u32 filter_log2 = 0;     // log2 of its bits
};

}  // namespace detail::cm

CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/matcher/layout.hpp ----

// ---- begin include/capmatch/detail/hash.hpp ----
// capmatch — internal: fast seeded 64-bit hashes of short texts (the wyhash mixer) for the
// replay guard's fingerprints and the capability cache's slots. Not cryptographic: callers key
// them with secret seeds where an attacker could aim collisions, and treat a collision as a
// miss or a refusal, never as a grant.
// SPDX-License-Identifier: MIT

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>


CAPMATCH_NAMESPACE_BEGIN
namespace detail {
/// The wyhash constants the hashes below mix with.
inline constexpr std::uint64_t hash_p0 = 0xa0761d6478bd642full, hash_p1 = 0xe7037ed1a0b428dbull,
                               hash_p2 = 0x8ebc6af09c88c6e3ull, hash_p3 = 0x589965cc75374cc3ull;

/// 64x64 -> 128-bit multiply, folded to 64 bits (the wyhash mixer). Also the matcher's long
/// segment keys (matcher/scan.hpp long_key), so usable in constant evaluation.
[[nodiscard]] constexpr std::uint64_t fold_multiply(std::uint64_t a, std::uint64_t b) noexcept {
  __extension__ using u128 = unsigned __int128;
  const u128 p = static_cast<u128>(a) * b;
  return static_cast<std::uint64_t>(p) ^ static_cast<std::uint64_t>(p >> 64);
}

/// A seeded 64-bit hash of `s` (8 bytes per step through fold_multiply), continuing from `h`.
[[nodiscard]] inline std::uint64_t seeded_hash(std::string_view s, std::uint64_t h, std::uint64_t seed) noexcept {
  constexpr std::uint64_t p0 = hash_p0, p1 = hash_p1;
  h = fold_multiply(h ^ p0 ^ s.size(), seed ^ p1);
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = fold_multiply(h ^ w ^ p0, seed ^ p1);
  }
  const std::uint64_t tail = swar::load_partial(s.data() + i, s.size() - i);  // (an empty view may have no data)
  return fold_multiply(h ^ tail ^ p1, seed ^ p0 ^ (s.size() - i));
}

/// seeded_hash(s, h0, seed0) and seeded_hash(s, h1, seed1) in one pass over `s` (the two
/// chains are independent, so they run side by side).
inline void seeded_hash2(std::string_view s, std::uint64_t& h0, std::uint64_t& h1, std::uint64_t seed0,
                         std::uint64_t seed1) noexcept {
  constexpr std::uint64_t p0 = hash_p0, p1 = hash_p1;
  h0 = fold_multiply(h0 ^ p0 ^ s.size(), seed0 ^ p1);
  h1 = fold_multiply(h1 ^ p0 ^ s.size(), seed1 ^ p1);
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h0 = fold_multiply(h0 ^ w ^ p0, seed0 ^ p1);
    h1 = fold_multiply(h1 ^ w ^ p0, seed1 ^ p1);
  }
  const std::uint64_t tail = swar::load_partial(s.data() + i, s.size() - i);  // (an empty view may have no data)
  h0 = fold_multiply(h0 ^ tail ^ p1, seed0 ^ p0 ^ (s.size() - i));
  h1 = fold_multiply(h1 ^ tail ^ p1, seed1 ^ p0 ^ (s.size() - i));
}

/// A seeded 64-bit hash of `s` for longer texts (a capability text of hundreds of bytes): two
/// independent chains of 16 bytes per multiply, 32 bytes per step, so the multiplies overlap;
/// under 32 bytes it is seeded_hash(s, 0, seed).
[[nodiscard]] inline std::uint64_t wide_hash(std::string_view s, std::uint64_t seed) noexcept {
  constexpr std::uint64_t p0 = hash_p0, p1 = hash_p1, p2 = hash_p2, p3 = hash_p3;
  if (s.size() < 32) return seeded_hash(s, 0, seed);
  std::uint64_t a = seed ^ p0, b = seed ^ p3 ^ s.size();
  std::size_t i = 0;
  for (; i + 32 <= s.size(); i += 32) {
    std::uint64_t w[4];
    std::memcpy(w, s.data() + i, 32);
    a = fold_multiply(w[0] ^ p1, w[1] ^ a);
    b = fold_multiply(w[2] ^ p2, w[3] ^ b);
  }
  return seeded_hash(s.substr(i), fold_multiply(a ^ p2, b ^ p1), seed);
}

/// Maps a 64-bit hash onto [0, n) by its high bits (a multiply, no division).
[[nodiscard]] inline std::size_t hash_to_slot(std::uint64_t h, std::size_t n) noexcept {
  __extension__ using u128 = unsigned __int128;
  return static_cast<std::size_t>((static_cast<u128>(h) * n) >> 64);
}
}  // namespace detail

CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/detail/hash.hpp ----

// ---- begin include/capmatch/matcher/scan.hpp ----
// capmatch — matcher internals: the name scanner (segments, stops, qualifiers; docs/matcher.md, "A check").
// SPDX-License-Identifier: MIT

#include <bit>
#include <cstring>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>


CAPMATCH_NAMESPACE_BEGIN
namespace detail::cm {

using detail::fold_multiply;
using detail::hash_p0;
using detail::hash_p1;
using detail::hash_p2;
using detail::hash_p3;

// ---- leaf helpers (load8, store8, bytes_equal, long_bytes_equal, copy_bytes): with this file's
// SIMD scans (name_stops, find_colon, scan_qualifier, validate_long) and layout.hpp's load_key,
// the only places that branch on constant evaluation ----

/// 8 bytes at p as a little-endian word.
[[nodiscard]] constexpr u64 load8(const char* p) noexcept {
  if (std::is_constant_evaluated()) {
    u64 v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<u64>(static_cast<u8>(p[i])) << (8 * i);
    return v;
  } else {
    u64 v;
    std::memcpy(&v, p, 8);
    if constexpr (std::endian::native == std::endian::big) {
      u64 r = 0;
      for (int i = 0; i < 8; ++i) r |= ((v >> (8 * i)) & 0xFF) << (56 - 8 * i);
      v = r;
    }
    return v;
  }
}

/// True when [a, a+n) and [b, b+n) hold the same bytes.
[[nodiscard]] constexpr bool bytes_equal(const char* a, const char* b, std::size_t n) noexcept {
  if (std::is_constant_evaluated()) {
    for (std::size_t i = 0; i < n; ++i)
      if (a[i] != b[i]) return false;
    return true;
  } else {
    return n == 0 || std::memcmp(a, b, n) == 0;
  }
}

/// bytes_equal for n >= 16 (a long segment against the pool): at run time, 16-byte blocks
/// whose differences are gathered in one register and tested once, the last block the final
/// 16 bytes (overlapping its predecessor, so nothing outside either range is read).
[[nodiscard]] constexpr bool long_bytes_equal(const char* a, const char* b, std::size_t n) noexcept {
#if CAPMATCH_DETAIL_SSE2
  if (!std::is_constant_evaluated()) {
    const auto diff = [&](std::size_t i) {
      return _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i)),
                           _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i)));
    };
    __m128i d = diff(n - 16);
    for (std::size_t i = 0; i + 16 < n; i += 16) d = _mm_or_si128(d, diff(i));
    return _mm_movemask_epi8(_mm_cmpeq_epi8(d, _mm_setzero_si128())) == 0xFFFF;
  }
#endif
  return bytes_equal(a, b, n);
}

/// Stores w at p as 8 little-endian bytes (load8's inverse).
constexpr void store8(char* p, u64 w) noexcept {
  if (std::is_constant_evaluated() || std::endian::native == std::endian::big) {
    for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(static_cast<u8>(w >> (8 * i)));
  } else {
    std::memcpy(p, &w, 8);
  }
}

/// Copies [src, src+n) to dst (the ranges do not overlap).
constexpr void copy_bytes(char* dst, const char* src, std::size_t n) noexcept {
  if (std::is_constant_evaluated()) {
    for (std::size_t i = 0; i < n; ++i) dst[i] = src[i];
  } else if (n != 0) {
    std::memcpy(dst, src, n);
  }
}

/// The last `rem` (< 8) bytes of text[0, n) starting at pos (pos + rem == n), zero-padded.
[[nodiscard]] constexpr u64 load_tail(const char* s, std::size_t n, std::size_t rem) noexcept {
  if (rem == 0) return 0;
  if (n >= 8) return load8(s + n - 8) >> (64 - 8 * rem);
  u64 v = 0;
  for (std::size_t i = 0; i < rem; ++i) v |= static_cast<u64>(static_cast<u8>(s[n - rem + i])) << (8 * i);
  return v;
}

/// Up to 8 bytes of text[0, n) from pos (pos < n), zero-padded past the end; reads no byte beyond n.
[[nodiscard]] constexpr u64 word_from(const char* s, std::size_t n, std::size_t pos) noexcept {
  return n - pos >= 8 ? load8(s + pos) : load_tail(s, n, n - pos);
}

/// The len (1 to 8) bytes of text before `end` as a zero-padded word: one load of the word
/// ending at end, or for end < 8 of the word at text (shifted up, then down): the 8 bytes
/// before end, or the first 8 when end < 8, must be readable (a name of at least 8 bytes, or
/// padded); no branch on where the bytes lie.
[[nodiscard]] CAPMATCH_DETAIL_INLINE constexpr u64 word_before(const char* text, std::size_t end,
                                                                std::size_t len) noexcept {
  const std::size_t at = end >= 8 ? end - 8 : 0;
  return load8(text + at) << (8 * (at + 8 - end)) >> (64 - 8 * len);
}

#if CAPMATCH_DETAIL_SSE2
/// Bit i set when byte i of the 16 in v is ':' (every SSE2 scan for segment ends).
[[nodiscard]] CAPMATCH_DETAIL_INLINE u32 colon_bits(__m128i v) noexcept {
  return static_cast<u32>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(':'))));
}
[[nodiscard]] CAPMATCH_DETAIL_INLINE u32 colon_bits(const char* p) noexcept {
  return colon_bits(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
#endif

/// Names up to this many bytes are checked with a stop mask of the whole name (name_stops).
inline constexpr std::size_t short_name_bytes = 64;

/// Where a name of at most short_name_bytes bytes holds ':' (bit i set when s[i] == ':')
/// and whether it holds U+0000 anywhere. One pass, before the automaton runs: the segment
/// boundaries then come from the mask (clear lowest bit, count trailing zeros).
struct name_stops_t {
  u64 colons = 0;
  bool nul = false;
  bool high = false;  // a byte >= 0x80: the name must then be checked as UTF-8
};
[[nodiscard]] CAPMATCH_DETAIL_INLINE constexpr name_stops_t name_stops(const char* s, std::size_t n) noexcept {
  name_stops_t r;
  if (!std::is_constant_evaluated()) {
#if CAPMATCH_DETAIL_SSE2
    if (n >= 16) {
      const __m128i zero = _mm_setzero_si128();
      u32 z = 0, h = 0;
      std::size_t i = 0;
      for (; i + 16 <= n; i += 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
        r.colons |= static_cast<u64>(colon_bits(v)) << i;
        z |= static_cast<u32>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, zero)));
        h |= static_cast<u32>(_mm_movemask_epi8(v));
      }
      if (i < n) {  // the last 16 bytes, overlapping the previous block
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + n - 16));
        r.colons |= static_cast<u64>(colon_bits(v)) << (n - 16);
        z |= static_cast<u32>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, zero)));
        h |= static_cast<u32>(_mm_movemask_epi8(v));
      }
      r.nul = z != 0;
      r.high = h != 0;
      return r;
    }
    if (n >= 8) {  // the first and the last 8 bytes (overlapping) in one register
      const __m128i v = _mm_set_epi64x(static_cast<long long>(load8(s + n - 8)), static_cast<long long>(load8(s)));
      const u32 c = colon_bits(v);
      r.colons = static_cast<u64>(c & 0xFF) | static_cast<u64>(c >> 8) << (n - 8);
      r.nul = _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_setzero_si128())) != 0;
      r.high = _mm_movemask_epi8(v) != 0;
      return r;
    }
#endif
    if (n >= 8) {  // words, the last one overlapping its predecessor
      u64 z = 0, h = 0;
      for (std::size_t i = 0;; i += 8) {
        const std::size_t at = i + 8 <= n ? i : n - 8;
        const u64 w = load8(s + at);
        const u64 c = zero_bytes(w ^ (ones * ':'));
        r.colons |= (((c >> 7) * 0x0102040810204080ull) >> 56) << at;
        z |= zero_bytes(w);
        h |= w & high_bits;
        if (at + 8 == n) break;
      }
      r.nul = z != 0;
      r.high = h != 0;
      return r;
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (s[i] == ':') r.colons |= u64{1} << i;
    if (s[i] == '\0') r.nul = true;
    if (static_cast<unsigned char>(s[i]) >= 0x80) r.high = true;
  }
  return r;
}
#if CAPMATCH_DETAIL_SSE2
/// find_colon at run time, for a body of at least 16 bytes.
[[nodiscard]] inline std::size_t find_colon_sse2(std::string_view body, std::size_t pos) noexcept {
  const std::size_t n = body.size();
  if (pos + 16 <= n) {
    const u32 bits = colon_bits(body.data() + pos);
    return bits != 0 ? pos + static_cast<std::size_t>(std::countr_zero(bits)) : body.find(':', pos + 16);
  }
  if (pos >= n) return std::string_view::npos;
  const u32 bits = colon_bits(body.data() + n - 16) >> (pos + 16 - n);  // the last 16, those before pos shifted out
  return bits != 0 ? pos + static_cast<std::size_t>(std::countr_zero(bits)) : std::string_view::npos;
}
#endif
/// body.find(':', pos), for splitting a pattern's body into segments: at run time (SSE2, a
/// body of at least 16 bytes) the next 16 bytes are searched in one compare first: most
/// segments end within them, without a memchr call; beyond them, find (memchr), as fast as a
/// byte or word loop is slow on long segments.
[[nodiscard]] constexpr std::size_t find_colon(std::string_view body, std::size_t pos) noexcept {
#if CAPMATCH_DETAIL_SSE2
  if (!std::is_constant_evaluated() && body.size() >= 16) return find_colon_sse2(body, pos);
#endif
  return body.find(':', pos);
}
/// The number of bits set in x: std::popcount where the target has the instruction, else
/// the SWAR sum (g++ without -mpopcnt calls a library function for std::popcount).
[[nodiscard]] constexpr std::size_t bit_count(u64 x) noexcept {
#if defined(__POPCNT__)
  return static_cast<std::size_t>(std::popcount(x));
#else
  x -= (x >> 1) & 0x5555555555555555ull;
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0Full;
  return static_cast<std::size_t>((x * ones) >> 56);
#endif
}
/// 0x80 in each of the low `rem` (< 8) bytes.
[[nodiscard]] constexpr u64 low_bytes(std::size_t rem) noexcept {
  return high_bits & ((u64{1} << (8 * rem)) - 1);
}

/// Where the qualifier of a name starting with '[' closes: `close` is the index of the first
/// ']' and `params` of the first '=' or '?' before it (0 if none); close is 0 when the name
/// has no ']' or holds '[' or U+0000 before it (invalid).
struct qualifier_scan {
  std::size_t close = 0, params = 0;
};
/// One word of a name's qualifier, as 0x80 flags among the bytes in `in`: `close`, the first
/// ']'; `bad`, '[' or U+0000 before it; `params`, '=' or '?' before it (exact flags).
struct qualifier_flags {
  u64 close = 0, bad = 0, params = 0;
};
// (Forced inline: called out of line, the quick qualifiers' word test cost a name with
// parameters ~57 instructions, callgrind params/8; session 13, bench/RESULTS.md.)
CAPMATCH_DETAIL_INLINE constexpr qualifier_flags qualifier_word(u64 w, u64 in) noexcept {
  const u64 closes = zero_bytes(w ^ (ones * ']')) & in;
  const u64 close = closes & (0 - closes);
  const u64 before = close - 1;  // bytes before the first ']' (all when none)
  return {close, (zero_bytes(w ^ (ones * '[')) | zero_bytes(w)) & in & before,
          (zero_bytes(w ^ (ones * '=')) | zero_bytes(w ^ (ones * '?'))) & in & before};
}
[[nodiscard]] CAPMATCH_DETAIL_INLINE constexpr qualifier_scan scan_qualifier(const char* s, std::size_t n) noexcept {
  qualifier_scan q;
  if (!std::is_constant_evaluated()) {
#if CAPMATCH_DETAIL_SSE2
    if (n >= 16) {  // 16-byte blocks, the last one overlapping its predecessor
      u32 in = 0xFFFEu;  // the block's bytes to test: not s[0], nor (last block) bytes seen before
      for (std::size_t at = 0;;) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + at));
        const auto eq = [&](char c) { return _mm_cmpeq_epi8(v, _mm_set1_epi8(c)); };
        const auto bits = [](__m128i m) { return static_cast<u32>(_mm_movemask_epi8(m)); };
        const u32 cl = bits(eq(']')) & in;
        const u32 before = (cl & (0 - cl)) - 1;  // bytes before the first ']' (all when none)
        if ((bits(_mm_or_si128(eq('['), eq('\0'))) & in & before) != 0) return {};
        const u32 par = bits(_mm_or_si128(eq('='), eq('?'))) & in & before;
        if (q.params == 0 && par != 0) q.params = at + static_cast<std::size_t>(std::countr_zero(par));
        if (cl != 0) {
          q.close = at + static_cast<std::size_t>(std::countr_zero(cl));
          return q;
        }
        if (at + 16 == n) return {};
        const std::size_t next = n - at >= 32 ? at + 16 : n - 16;
        in = (0xFFFFu << (at + 16 - next)) & 0xFFFFu;
        at = next;
      }
    }
#endif
  }
  for (std::size_t p = 1;; p += 8) {  // words (SWAR), exact flags; also the constexpr path
    if (p >= n) return {};
    const std::size_t rem = n - p;
    const u64 w = rem >= 8 ? load8(s + p) : load_tail(s, n, rem);
    const qualifier_flags f = qualifier_word(w, rem >= 8 ? high_bits : low_bytes(rem));
    if (f.bad != 0) return {};
    if (q.params == 0 && f.params != 0) q.params = p + (static_cast<std::size_t>(std::countr_zero(f.params)) >> 3);
    if (f.close != 0) {
      q.close = p + (static_cast<std::size_t>(std::countr_zero(f.close)) >> 3);
      return q;
    }
  }
}
/// Key of a segment of 9 to 16 bytes from its two zero-padded words.
[[nodiscard]] constexpr u64 medium_key(u64 w0, u64 w1) noexcept {
  const u64 h = w1 * k_long;
  return w0 ^ h ^ (h >> 29);
}

/// Hash of a segment longer than 16 bytes, s[begin, end): 16-byte blocks, the last one the
/// segment's last 16 bytes (overlapping its predecessor, so no byte outside [begin, end) is
/// read). A block is one folded 64x64 -> 128-bit multiply of its two words (independent of the
/// other blocks; the constants xored in are not UTF-8, so no word of a valid name zeroes it),
/// and joins the chain by a rotate and an add: 2 cycles of latency per 16 bytes, where the
/// serial multiply and shift-xor per 8 bytes this replaced cost ~5 per 8. A last folded
/// multiply spreads every bit into the high bits (slot, filter). docs/matcher.md, "Keys of
/// long segments".
CAPMATCH_DETAIL_INLINE constexpr u64 long_key(const char* s, std::size_t begin, std::size_t end) noexcept {
  const auto block = [](u64 a, u64 b) { return fold_multiply(a ^ hash_p0, b ^ hash_p1); };
  u64 h = static_cast<u64>(end - begin) * k_long;
  for (std::size_t p = begin, last = end - 16; p < last; p += 16)
    h = std::rotl(h, 41) + block(load8(s + p), load8(s + p + 8));
  h = std::rotl(h, 41) + block(load8(s + end - 16), load8(s + end - 8));
  return fold_multiply(h ^ hash_p2, h ^ hash_p3);
}

/// Up to 8 bytes of `seg` from `at`, zero-padded.
[[nodiscard]] constexpr u64 word_at(std::string_view seg, std::size_t at) noexcept {
  u64 v = 0;
  for (std::size_t i = at; i < seg.size() && i < at + 8; ++i)
    v |= static_cast<u64>(static_cast<u8>(seg[i])) << (8 * (i - at));
  return v;
}

/// The key of a segment as the tables store it: up to 8 bytes, the bytes zero-padded (exact);
/// 9 to 16 bytes, medium_key of the two padded words; longer, long_key. Used when building;
/// the check computes the same key while scanning.
[[nodiscard]] constexpr u64 segment_key(std::string_view seg) noexcept {
  if (seg.size() <= 8) return word_at(seg, 0);
  if (seg.size() <= 16) return medium_key(word_at(seg, 0), word_at(seg, 8));
  return long_key(seg.data(), 0, seg.size());
}

/// Home slot of (state reference, key) in a table whose home range is [0, cap). hk = key * k_mul.
[[nodiscard]] constexpr u32 home_slot(u64 hk, u32 from_ref, u32 cap) noexcept {
  const u32 x = static_cast<u32>(hk >> 32) ^ from_ref;
  return static_cast<u32>((static_cast<u64>(x) * cap) >> 32);
}
/// Bit of the per-state transition filter for a key hash.
[[nodiscard]] constexpr u32 filter_bit(u64 hk) noexcept { return u32{1} << (hk >> 59); }

/// op_set from accumulated op bits ("*" absorbs the rest, as op_set's union does).
[[nodiscard]] constexpr op_set finish(u32 acc) noexcept {
  return (acc & op_set::star_bit) != 0 ? op_set::all() : op_set::from_bits(acc);
}

/// One segment of a name's body, as name_scanner::next finds it: where it lies and its key
/// (what segment_key computes from its bytes).
struct segment {
  u64 key = 0;
  u64 w0 = 0, w1 = 0;  // 9 to 16 bytes: the two zero-padded words (verified against the pool)
  std::size_t pos = 0, len = 0;
  bool last = false;  // the body's last segment
};

/// The name scanner: every check path (the automaton over any name, the trie walk) reads a
/// name's body through it; the grammar is name.hpp's (docs/semantics.md §2): segments separated
/// by ':', none empty, no U+0000, at most max_segments of them, the whole name well-formed
/// UTF-8. Construction validates the whole name from stop masks of 64-byte windows (bit i set
/// when byte i is ':'; one window for names of at most short_name_bytes); next() then finds
/// each segment's end from the mask (clear the lowest bit, count trailing zeros) and computes
/// its key with one or two word loads (more only for segments over 16 bytes).
class name_scanner {
 public:
  /// The ':' masks of a long name's 64-byte windows (filled by the scanner).
  using windows_t = u64[max_resource_bytes / 64];
  /// Scans the body s[pos, n) of a name of n bytes (1 <= n <= max_resource_bytes, pos < n; the
  /// bytes before pos, a qualifier, have been checked by scan_qualifier). `text` holds the
  /// same bytes as s, and the 8 bytes before text + n and the 8 from text are readable: s itself
  /// when n >= 8, else a copy after a zeroed 8-byte prefix in a zeroed 16-byte buffer. (A
  /// segment's key is a load of the word ending at its end, or for one in the first 8 bytes of
  /// the word at text; a run's last word ends at the run's end.) A name over short_name_bytes keeps its
  /// windows' masks in `windows`, which must outlive the scanner.
  CAPMATCH_DETAIL_INLINE constexpr name_scanner(const char* text, std::size_t n, std::size_t pos,
                                                windows_t& windows) noexcept
      : s_(text), n_(n), pos_(pos), windows_(windows) {
    if (n <= short_name_bytes) {
      start_short();
    } else {
      ok_ = validate_long(text, n, pos, windows);
      base_ = pos & ~std::size_t{63};
      m_ = windows[pos / 64];
    }
  }
  /// The same for a name known to have at most short_name_bytes bytes (one window; the check's
  /// inlined path).
  struct short_name_t {};
  CAPMATCH_DETAIL_INLINE constexpr name_scanner(const char* text, std::size_t n, std::size_t pos, short_name_t) noexcept
      : s_(text), n_(n), pos_(pos), windows_(nullptr) {
    start_short();
  }
  /// False when the name is invalid (then it is granted nothing).
  [[nodiscard]] constexpr bool ok() const noexcept { return ok_; }
  /// Where the next segment starts.
  [[nodiscard]] constexpr std::size_t position() const noexcept { return pos_; }

  /// The next segment (ok() and a previous one not `last`). Short: the name has at most
  /// short_name_bytes bytes (one window; the inlined check path, which then tests nothing per
  /// segment for windows).
  template <bool Short = false>
  CAPMATCH_DETAIL_INLINE constexpr segment next() noexcept {
    if constexpr (!Short) {
      while (m_ == 0 && base_ + 64 < n_) {  // names over short_name_bytes: the next window
        base_ += 64;
        m_ = windows_[base_ / 64];
        if (pos_ > base_) m_ &= pos_ - base_ >= 64 ? 0 : ~u64{0} << (pos_ - base_);  // after a seek
      }
    }
    segment g;
    g.pos = pos_;
    g.last = m_ == 0;
    const std::size_t end = g.last ? n_ : base_ + static_cast<std::size_t>(std::countr_zero(m_));
    g.len = end - pos_;
    if (g.len <= 8) {
      g.key = word_before(s_, end, g.len);  // (text is at least 8 bytes, or padded)
    } else if (g.len <= 16) {
      g.w0 = load8(s_ + pos_);
      g.w1 = word_from(s_, n_, pos_ + 8) & (~u64{0} >> (64 - 8 * (g.len - 8)));
      g.key = medium_key(g.w0, g.w1);
    } else {
      g.key = long_key(s_, pos_, end);
    }
    pos_ = end + 1;
    m_ &= m_ - 1;
    return g;
  }

  /// The ':' of the name after position(), for segment_end (two words, passed in registers:
  /// a reference to the scanner would keep it in memory in the check's loop).
  struct colons_t {
    const u64* windows;  // a name over short_name_bytes: its windows' masks; else null
    u64 mask;            // else: the name's ':' at or after position(), as bits from 0
  };
  [[nodiscard]] constexpr colons_t colons() const noexcept {
    return n_ <= short_name_bytes ? colons_t{nullptr, m_} : colons_t{windows_, 0};
  }
  /// Where the segment of a name of n bytes that starts at p (at or after the scanner's
  /// position() when `c` was taken) ends: its ':' or n.
  [[nodiscard]] static constexpr std::size_t segment_end(colons_t c, std::size_t n, std::size_t p) noexcept {
    if (c.windows == nullptr) {  // p < n <= short_name_bytes
      const u64 m = c.mask & (~u64{0} << p);
      return m == 0 ? n : static_cast<std::size_t>(std::countr_zero(m));
    }
    for (std::size_t base = p & ~std::size_t{63}; base < n; base += 64)
      if (const u64 m = c.windows[base / 64] & (base < p ? ~u64{0} << (p - base) : ~u64{0}); m != 0)
        return base + static_cast<std::size_t>(std::countr_zero(m));
    return n;
  }

  /// Goes on at `pos` (after a run that ended at a segment boundary, pos - 1; pos < n). Only
  /// next() moves to another window (so for a short name the window stays at 0, a constant).
  CAPMATCH_DETAIL_INLINE constexpr void seek(std::size_t pos) noexcept {
    pos_ = pos;
    m_ &= pos - base_ >= 64 ? 0 : ~u64{0} << (pos - base_);
  }

 private:
  // One window: the stop mask of the whole name.
  CAPMATCH_DETAIL_INLINE constexpr void start_short() noexcept {
    const name_stops_t w = name_stops(s_, n_);
    m_ = w.colons & (~u64{0} << pos_);  // pos < n <= 64
    // Invalid: U+0000, an empty segment (the body starts or ends with ':' or holds "::"),
    // or not well-formed UTF-8.
    ok_ = !w.nul && ((m_ >> pos_) & 1) == 0 && ((m_ >> (n_ - 1)) & 1) == 0 && (m_ & (m_ >> 1)) == 0 &&
          (!w.high || utf8_valid(std::string_view(s_, n_)));
  }

  // Validates a name over short_name_bytes window by window, keeping each window's ':' after
  // pos. (Static: a call that took `this` would keep the scanner in memory in the check's loop.)
  CAPMATCH_DETAIL_NOINLINE static constexpr bool validate_long(const char* s, std::size_t n, std::size_t pos,
                                                               windows_t& out) noexcept {
    bool nul = false, high = false, scanned = false;
    u64 pairs = 0, carry = 0;  // carry: the previous window ended with ':'
    std::size_t colons = 0;
    // One window's ':' mask, bits from base (the window's bytes at or after pos); the last
    // window is the name's last 64 bytes, shifted (its flags cover bytes before base too).
    const auto window = [&](std::size_t base, u64 c) {
      if (pos > base) c &= pos - base >= 64 ? 0 : ~u64{0} << (pos - base);  // the qualifier's bytes
      out[base / 64] = c;
      pairs |= c & ((c >> 1) | carry);
      carry = c >> 63;
      // More than max_segments segments take at least 2 * max_segments bytes.
      if (n >= 2 * max_segments) colons += bit_count(c);
    };
    if (!std::is_constant_evaluated()) {
#if CAPMATCH_DETAIL_SSE2
      // Four 16-byte blocks per window; U+0000 and bytes >= 0x80 are gathered across the whole
      // name in two registers (unsigned minimum, or) and tested once at the end. The whole
      // windows first, then the name's last 64 bytes for the rest (n > 64), shifted: one
      // loop without a test of where the window lies.
      __m128i least = _mm_set1_epi8(-1), any = _mm_setzero_si128();
      const auto scan64 = [&](const char* p) {
        const auto* b = reinterpret_cast<const __m128i*>(p);
        const __m128i v0 = _mm_loadu_si128(b), v1 = _mm_loadu_si128(b + 1), v2 = _mm_loadu_si128(b + 2),
                      v3 = _mm_loadu_si128(b + 3);
        least = _mm_min_epu8(_mm_min_epu8(_mm_min_epu8(_mm_min_epu8(least, v0), v1), v2), v3);
        any = _mm_or_si128(_mm_or_si128(_mm_or_si128(_mm_or_si128(any, v0), v1), v2), v3);
        return static_cast<u64>(colon_bits(v0)) | static_cast<u64>(colon_bits(v1)) << 16 |
               static_cast<u64>(colon_bits(v2)) << 32 | static_cast<u64>(colon_bits(v3)) << 48;
      };
      std::size_t base = 0;
      for (; n - base >= 64; base += 64) window(base, scan64(s + base));
      if (base < n) window(base, scan64(s + n - 64) >> (base - (n - 64)));
      nul = _mm_movemask_epi8(_mm_cmpeq_epi8(least, _mm_setzero_si128())) != 0;
      high = _mm_movemask_epi8(any) != 0;
      scanned = true;
#endif
    }
    if (!scanned)  // (constant evaluation, or no SSE2: the stop masks, a window at a time)
      for (std::size_t base = 0; base < n; base += 64) {
        const std::size_t at = n - base >= 64 ? base : n - 64;
        const name_stops_t w = name_stops(s + at, 64);
        window(base, w.colons >> (base - at));
        nul |= w.nul;
        high |= w.high;
      }
    return !nul && pairs == 0 && s[pos] != ':' && s[n - 1] != ':' && colons < max_segments &&
           (!high || utf8_valid(std::string_view(s, n)));
  }

  const char* s_;
  std::size_t n_, pos_, base_ = 0;
  const u64* windows_;  // long names: the windows' ':' masks
  u64 m_ = 0;  // the ':' of the window at base_ at or after pos_, as bits from base_
  bool ok_ = false;
};

}  // namespace detail::cm
CAPMATCH_NAMESPACE_END

// ---- end include/capmatch/matcher/scan.hpp ----

// ---- begin include/capmatch/matcher/prefilter.hpp ----
// capmatch — matcher internals: the literal filter of a star-led group (docs/matcher.md, "Groups").
// SPDX-License-Identifier: MIT

#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>


CAPMATCH_NAMESPACE_BEGIN
namespace detail::cm {

// A grouped check runs each live group's automaton. The automaton of a group of star-led
// patterns (`*:room:x`, `[*]*:y`) cannot reject a name at its first segment, which any `*`
// takes, and with hundreds of such patterns it often lives for two or three (lead10/4096).
// Yet every such pattern names some literal at a fixed index of the body: a middle `*` takes
// exactly one segment and only the last one may take more (docs/semantics.md §2), so a
// segment's index from the start of the body is fixed up to the pattern's last segment. A name
// the pattern matches has that literal at that index. The group's filter keeps, per pattern,
// its literal with the highest index below filter_indices_max (the deepest literal: `*:room:x`
// is kept as (2, x), not as (1, room), which many names share), in a Bloom filter of one hash
// per entry; a check hashes the name's segments at the indices the filters use, once for all
// groups, and runs a filtered group's automaton only when one of them is in its filter. A
// false positive only costs the pass the group would have run without a filter; there are no
// false negatives. A group with a pattern without a literal below the limit (`*`, `*:*`,
// `[*]*`, or literals only beyond it) has no filter.

/// Segment indices a filter may use: bits of a u32 mask, and a check hashes at most this many segments.
inline constexpr std::size_t filter_indices_max = 4;
/// Bits of a filter per entry (one hash per entry: ~6 % false positives when full).
inline constexpr std::size_t filter_bits_per_entry = 16;

/// The filter's hash of a segment at index i of a name's body: its first (up to) 8 bytes as a
/// zero-padded word (word_at), and its length.
[[nodiscard]] CAPMATCH_DETAIL_INLINE constexpr u64 filter_hash(std::size_t i, u64 first, std::size_t len) noexcept {
  return (first ^ (first >> 29) ^ (u64{len} << 56) ^ (u64{i} * k_state)) * k_mul;
}

/// Builds a group's filter, one pattern body at a time.
class literal_filter_builder {
 public:
  /// Adds a pattern's body; a body without a literal below filter_indices_max leaves no filter.
  constexpr void add(std::string_view body) {
    if (!usable_) return;
    std::size_t best = filter_indices_max, best_pos = 0, best_len = 0, index = 0;
    for (std::size_t pos = 0; index < filter_indices_max; ++index) {
      const std::size_t colon = find_colon(body, pos);
      const std::size_t end = colon == std::string_view::npos ? body.size() : colon;
      if (!(end - pos == 1 && body[pos] == '*')) best = index, best_pos = pos, best_len = end - pos;
      if (colon == std::string_view::npos) break;
      pos = colon + 1;
    }
    if (best == filter_indices_max) {
      usable_ = false;
      return;
    }
    indices_ |= u32{1} << best;
    hashes_.push_back(filter_hash(best, word_at(body.substr(best_pos, best_len), 0), best_len));
  }
  /// The filter: its indices (0: no filter), log2 of its bits, and the bits.
  struct result {
    u32 indices = 0, log2 = 0;
    std::vector<u32> bits;
  };
  [[nodiscard]] constexpr result finish() const {
    result r;
    if (!usable_ || hashes_.empty()) return r;
    r.log2 = 5;  // at least one word
    while ((std::size_t{1} << r.log2) < filter_bits_per_entry * hashes_.size()) ++r.log2;
    r.bits.assign((std::size_t{1} << r.log2) / 32, 0);
    for (const u64 h : hashes_) {
      const u64 b = h >> (64 - r.log2);
      r.bits[b / 32] |= u32{1} << (b % 32);
    }
    r.indices = indices_;
    return r;
  }

 private:
  bool usable_ = true;
  u32 indices_ = 0;
  std::vector<u64> hashes_;
};

/// The filter hash of the segment s[start, end) of a name of n bytes: the word literal_filter_builder
/// hashes (word_at), by one load where the name allows (an empty segment, of an invalid name,
/// and the segments of a name under 8 bytes byte by byte).
[[nodiscard]] CAPMATCH_DETAIL_INLINE constexpr u64 segment_filter_hash(const char* s, std::size_t n, std::size_t index,
                                                                       std::size_t start, std::size_t end) noexcept {
  const std::size_t len = end - start;
  if (len >= 8) return filter_hash(index, load8(s + start), len);
  if (len != 0 && n >= 8) return filter_hash(index, word_before(s, end, len), len);
  return filter_hash(index, word_at(std::string_view(s + start, len), 0), len);
}
/// Where a name's body starts: after its qualifier (scan_qualifier's `close`, the one rule for
/// where a qualifier ends), at 0 without one, at n when the qualifier is invalid (no segment:
/// an invalid name is granted nothing by every group, whatever its filters say).
[[nodiscard]] CAPMATCH_DETAIL_INLINE constexpr std::size_t body_start(const char* s, std::size_t n) noexcept {
  if (s[0] != '[') return 0;
  const std::size_t close = scan_qualifier(s, n).close;
  return close == 0 ? n : close + 1;
}
/// body_hashes for a name over short_name_bytes (find_colon from segment to segment).
CAPMATCH_DETAIL_NOINLINE constexpr u32 long_body_hashes(const char* s, std::size_t n, u32 want, u64* hashes) noexcept {
  const std::string_view name(s, n);
  u32 have = 0;
  for (std::size_t index = 0, start = body_start(s, n); start < n && (want >> index) != 0; ++index) {
    const std::size_t colon = find_colon(name, start), end = colon == std::string_view::npos ? n : colon;
    if ((want >> index & 1) != 0) {
      hashes[index] = segment_filter_hash(s, n, index, start, end);
      have |= u32{1} << index;
    }
    start = end + 1;
  }
  return have;
}
/// The filter hashes of a name's body segments at the indices in `want` (into hashes[i]);
/// returns the indices the name has. A name of at most short_name_bytes from its stop mask
/// (name_stops).
[[nodiscard]] CAPMATCH_DETAIL_INLINE constexpr u32 body_hashes(const char* s, std::size_t n, u32 want,
                                                               u64* hashes) noexcept {
  if (n > short_name_bytes) return long_body_hashes(s, n, want, hashes);
  std::size_t start = body_start(s, n);
  if (start >= n) return 0;
  u64 colons = name_stops(s, n).colons & (~u64{0} << start);  // those after the segment's start
  std::size_t index = 0;
  for (u32 rest = want; rest != 0; rest &= rest - 1) {
    const auto k = static_cast<std::size_t>(std::countr_zero(rest));
    for (; index < k; ++index) {  // on to segment k
      if (colons == 0) return want & ((u32{1} << k) - 1);  // the name has no segment k
      start = static_cast<std::size_t>(std::countr_zero(colons)) + 1;
      colons &= colons - 1;
    }
    const std::size_t end = colons == 0 ? n : static_cast<std::size_t>(std::countr_zero(colons));
    hashes[k] = segment_filter_hash(s, n, k, start, end);
  }
  return want;
}

/// True when one of the hashed segments `hashes` (at the indices in `have`) is in the filter
/// (bits, 2^log2 of them, over the indices in `indices`).
[[nodiscard]] CAPMATCH_DETAIL_INLINE constexpr bool filter_admits(const u32* bits, u32 log2, u32 indices,
                                                                  const u64* hashes, u32 have) noexcept {
  for (u32 m = indices & have; m != 0; m &= m - 1) {
    const u64 b = hashes[std::countr_zero(m)] >> (64 - log2);
    if ((bits[b / 32] >> (b % 32) & 1) != 0) return true;
  }
  return false;
}

}  // namespace detail::cm
CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/matcher/prefilter.hpp ----

// ---- begin include/capmatch/matcher/query.hpp ----
// capmatch — matcher internals: the check paths over the flat tables (docs/matcher.md, "A check").
// SPDX-License-Identifier: MIT

#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>



CAPMATCH_NAMESPACE_BEGIN
namespace detail::cm {

static_assert((u32{2} << operation_count) <= held_run_flag, "op bits and the star bit stay below the state flags");

/// Flat tables of a compiled matcher, as spans: what a check reads. Built by `matcher`
/// (std::vector storage) or copied into static storage (fixed_matcher); the same code
/// queries both, at run time and in constant evaluation.
struct tables : header {
  const u32* words = nullptr;  // the states' records and their tables of short transitions (state_ref)
  const long_edge_rec* long_edges = nullptr;
  const char* pool = nullptr;
  const u32* filter = nullptr;  // the literal filter's bits (filter_indices != 0)

  constexpr tables() = default;
  constexpr tables(const header& h, const u32* w, const long_edge_rec* le, const char* p,
                   const u32* f = nullptr) noexcept
      : header(h), words(w), long_edges(le), pool(p), filter(f) {}

  [[nodiscard]] constexpr state_ref state(u32 st) const noexcept { return state_ref(words + offset_of(st)); }

  // The transition from `from` on segment g, or `otherwise`, behind the state's filter (DFA
  // state or trie node alike).
  [[nodiscard]] CAPMATCH_DETAIL_INLINE constexpr u32 find(u32 from, const segment& g, const char* s,
                                                          u32 otherwise) const noexcept {
    const u64 hk = g.key * k_mul;
    if ((state(from).filter() & filter_bit(hk)) == 0) return otherwise;
    return lookup(from, g, s, hk, otherwise);
  }
  // Segments of at most 8 bytes: the key is the segment itself, in the state's own table.
  CAPMATCH_DETAIL_INLINE constexpr u32 find_short(u32 from, u64 key, u64 hk, u32 otherwise) const noexcept {
    return state(from).find_short(key, hk, otherwise, table_log2(from));
  }
  // Segments of 9 to 16 bytes: compared as two words (the pool holds them padded to 16
  // bytes). Inlined in the automaton's step: these are common (tenant ids) and the call cost
  // 10 % of a check at N = 4096 (scoped, global, params; bench/RESULTS.md "Session 16").
  CAPMATCH_DETAIL_INLINE constexpr u32 find_medium(u32 from, u64 key, u64 w0, u64 w1, std::size_t len, u32 otherwise,
                                                   u64 hk) const noexcept {
    const u32 tag = long_tag(key, len);
    for (const long_edge_rec* e = long_edges + home_slot(hk, state_hash(from), long_cap);; ++e) {
      if (e->tag == tag && e->from == from && load8(pool + e->where) == w0 && load8(pool + e->where + 8) == w1)
        return e->to;
      if (e->from == no_state) return otherwise;
    }
  }
  // Segments over 8 bytes: up to 16 as find_medium, longer ones byte by byte. (Arguments by
  // value: a segment passed by reference would have to live in memory in the caller's loop.)
  CAPMATCH_DETAIL_NOINLINE constexpr u32 find_long(u32 from, u64 key, u64 w0, u64 w1, std::size_t len,
                                                   const char* s, std::size_t pos, u32 otherwise,
                                                   u64 hk) const noexcept {
    if (len <= 16) return find_medium(from, key, w0, w1, len, otherwise, hk);
    const u32 tag = long_tag(key, len);
    for (const long_edge_rec* e = long_edges + home_slot(hk, state_hash(from), long_cap);; ++e) {
      if (e->tag == tag && e->from == from && long_bytes_equal(pool + e->where, s + pos, len)) return e->to;
      if (e->from == no_state) return otherwise;
    }
  }
  // The literal transition from `from` on segment g of the name s, or `otherwise`: by the
  // segment's length, short (the inlined probe), medium (inlined) or long (a call).
  CAPMATCH_DETAIL_INLINE constexpr u32 lookup(u32 from, const segment& g, const char* s, u64 hk,
                                              u32 otherwise) const noexcept {
    if (g.len <= 8) return find_short(from, g.key, hk, otherwise);
    if (g.len <= 16) return find_medium(from, g.key, g.w0, g.w1, g.len, otherwise, hk);
    return find_long(from, g.key, g.w0, g.w1, g.len, s, g.pos, otherwise, hk);
  }

  // True when the `len` bytes of the name at pos (pos + len <= n) are the run's bytes at
  // `run`, compared eight bytes at a time. The last word compared is, on either side, the one
  // ending at the run's end (the name's first word shifted up when the run ends before byte 8),
  // so nothing past either end is read; emit places every run at least 8 bytes into the pool,
  // so the run's word may reach back before its start (those bytes are shifted out).
  CAPMATCH_DETAIL_INLINE static constexpr bool run_equal(const char* s, std::size_t n, std::size_t pos,
                                                         const char* run, std::size_t len) noexcept {
    if (n < 8) return bytes_equal(s + pos, run, len);
    for (std::size_t i = 0; i + 8 < len; i += 8)
      if (load8(s + pos + i) != load8(run + i)) return false;
    const std::size_t end = pos + len, at = end >= 8 ? end - 8 : 0;
    const u64 w = load8(s + at) << (8 * (at + 8 - end));
    const u64 r = load8(run + len - 8);
    const std::size_t tail = len < 8 ? len : 8;  // the bytes of the last word that are the run's
    return ((w ^ r) >> (8 * (8 - tail))) == 0;
  }

  // Where the mid-run `run` of len bytes through star steps (a U+0000 byte for each `*`
  // segment) ends in the name s when it matches from pos (a segment's start), else n + 1.
  // Compared eight bytes at a time; the last word, as in run_equal, is the one ending at the
  // run's end. A `*` differs from every byte of a name, so the first difference is either a
  // mismatch or a `*`, which takes the name's segment there (valid names have no empty
  // segment, so at least one byte) up to its ':', found in the scanner's stop masks `c`. The
  // name must have at least as many bytes left as the run: nothing past either end is read.
  CAPMATCH_DETAIL_INLINE static constexpr std::size_t wild_run_end(const char* s, std::size_t n, std::size_t pos,
                                                                  const char* run, std::size_t len,
                                                                  name_scanner::colons_t c) noexcept {
    std::size_t p = pos, r = 0;
    for (;;) {
      if (n - p < len - r) return n + 1;
      u64 x = 0;
      while (r + 8 <= len && (x = load8(s + p) ^ load8(run + r)) == 0) p += 8, r += 8;
      if (x == 0) {  // fewer than 8 bytes of the run left
        const std::size_t k = len - r, end = p + k;
        if (k == 0) return p;
        if (n < 8) {
          while (r < len && s[p] == run[r]) ++p, ++r;
          if (r == len) return p;
        } else {
          const std::size_t at = end >= 8 ? end - 8 : 0;
          x = ((load8(s + at) << (8 * (at + 8 - end))) ^ load8(run + len - 8)) >> (8 * (8 - k));
          if (x == 0) return end;
        }
      }
      if (x != 0) {
        const auto i = static_cast<std::size_t>(std::countr_zero(x)) >> 3;
        p += i, r += i;
      }
      if (run[r] != '\0') return n + 1;  // s[p] != run[r]: a mismatch, unless a `*`
      ++r;
      p = name_scanner::segment_end(c, n, p);
      if (r == len) return p;
    }
  }

  // A check at mid-run head st (record r, run_length() != 0) with the name's next segment at
  // pos: `to`, the state after the run (no_state when st has no run, and the check steps on),
  // and `end`, where the run ends in the name (at its end or a ':'; n + 1 when the run is not
  // the name's next bytes). The run is held by r (a head whose chain was dropped) or is the
  // record in the long-edge table. One call, out of line: inlined, this code cost the loop of
  // tables with fallbacks instructions without executing more (quals/512 +10 per check;
  // bench/RESULTS.md "Session 17").
  struct run_pass {
    std::size_t end;
    u32 to;
  };
  CAPMATCH_DETAIL_NOINLINE constexpr run_pass pass_mid_run(u32 st, state_ref r, const char* s, std::size_t n,
                                                           std::size_t pos, name_scanner::colons_t c) const noexcept {
    const std::size_t len = r.run_length();
    const char* run = nullptr;
    bool wild = false;
    u32 to = no_state;
    if (r.holds_run()) {
      run = pool + r.held_run_offset();
      wild = r.held_run_wild();
      to = r.run_end();
    } else if (const long_edge_rec* e = mid_run(st, len); e != nullptr) {
      run = pool + e->offset();
      wild = e->run_wild();
      to = e->to;
    } else {
      return {0, no_state};
    }
    const std::size_t end = wild ? wild_run_end(s, n, pos, run, len, c) : pos + len;
    if (end > n || (end != n && s[end] != ':') || (!wild && !run_equal(s, n, pos, run, len))) return {n + 1, to};
    return {end, to};
  }

  // True when the run of run state r is the name's next bytes from pos: the whole run, and
  // then the end of the name or ':' (a run ends at a segment boundary).
  CAPMATCH_DETAIL_INLINE constexpr bool run_matches(state_ref r, const char* s, std::size_t n,
                                                    std::size_t pos) const noexcept {
    const std::size_t len = r.run_length(), end = pos + len;
    return end <= n && (end == n || s[end] == ':') && run_equal(s, n, pos, pool + r.run_offset(), len);
  }

  // One transition of the automaton (DFA mode) on segment g of the name s: the state's
  // trailing-`*` ops join acc, then the automaton moves along the segment's literal transition,
  // or the default one. The filter spares the table probe for most segments that no literal
  // transition names. Fallbacks: the loop of tables with fallback transitions (header::fallbacks;
  // the others keep this one, without the test): a state with a fallback has no default, and a
  // segment its transitions do not name moves the automaton as it moves the fallback state (whose
  // trailing-`*` ops are already the state's), which may have a fallback in turn (a smaller set
  // each time; docs/matcher.md, "Fallback transitions"). A fallback may lead to a split
  // record: the segment is looked up in its first part's state, and *second is set to the
  // state its second part moves to (the caller runs the rest of the name from there too;
  // docs/matcher.md, "Split fallback targets").
  // (EntryFallback's step, Splits false, leaves the test out: the plain construction makes no
  // split record.)
  template <bool Fallbacks = false, bool Splits = Fallbacks>
  CAPMATCH_DETAIL_INLINE constexpr u32 step(u32 st, state_ref r, const segment& g, const char* s, u32& acc,
                                            u32* second = nullptr) const noexcept {
    acc |= r.trail_bits();
    const u64 hk = g.key * k_mul;
    if constexpr (Fallbacks) {
      for (state_ref at = r;;) {
        const u32 miss = at.has_fallback() ? no_state : at.default_next();
        const u32 to = (at.filter() & filter_bit(hk)) == 0 ? miss : lookup(st, g, s, hk, miss);
        if (to != no_state) return to;
        st = at.fallback();
        at = state(st);
        if constexpr (Splits) {
          if (at.splits()) {  // (its filter word is its second link: never tested)
            *second = at.split_second();
            st = at.fallback();
            at = state(st);
          }
        }
      }
    } else {
      if ((r.filter() & filter_bit(hk)) == 0) return r.default_next();
      return lookup(st, g, s, hk, r.default_next());
    }
  }

  // The check from a named qualifier's entry state that falls back (header::entry_fallbacks)
  // in tables without fallbacks elsewhere: out of line, so that the inlined path keeps its
  // code (with the step inlined there, every check took 0.5 % more instructions: scoped/512,
  // global/512); the first step with fallbacks, then the loop without (with fallbacks all the
  // way, quals/512 took 10 % more).
  template <bool AnyLength, bool OneWindow>
  CAPMATCH_DETAIL_NOINLINE constexpr op_set from_fallback_entry(name_scanner sc, const char* s, std::size_t n,
                                                                u32 st) const noexcept {
    return automaton<AnyLength, OneWindow, false, true>(sc, s, n, st);
  }

  // Parses "[q=v?p]" at the start of s: sets *body to the first byte of the body and returns
  // the state (DFA) or root (trie) for the qualifier, or no_state if the name is invalid.
  // AfterQuick: no quick qualifier starts the name (n >= 9 and the quick test missed), so when
  // every short qualifier (at most quick_qualifier_bytes) the patterns name is a quick one
  // (quick_all), a short one without parameters is the "other qualifiers" class without a
  // lookup. One scan
  // (scan_qualifier, inlined: its 16-byte block holds most qualifiers) and one call per
  // qualified name that the quick test does not take; until session 31 a word test for short
  // qualifiers ran first, inlined, and a name with parameters then paid it, a second call and
  // the scan (bench/ params: ~160 instructions per check for its parameters). (Defined before
  // its caller: clang 14 cannot evaluate a member template, in constant evaluation, that is
  // instantiated before its definition.)
  template <bool AfterQuick>
  CAPMATCH_DETAIL_NOINLINE constexpr u32 qualifier(const char* s, std::size_t n, std::size_t* body) const noexcept {
    const qualifier_scan q = scan_qualifier(s, n);
    if (q.close == 0) return no_state;
    const std::size_t close = q.close, params = q.params, qend = params == 0 ? close : params;
    *body = close + 1;
    if (close + 1 == n || s[close + 1] == '[') return no_state;  // no body, or a second qualifier
    if (qend == 1) return params != 0 && s[params] == '?' ? start : no_state;  // "[?p]x" is unqualified
    if (qend == 2 && s[1] == '*') return no_state;  // [*] is for patterns only
    if constexpr (AfterQuick)
      if (quick_all && params == 0 && qend <= quick_qualifier_bytes + 1) return state(qualifier_root).default_next();
    segment g;
    g.pos = 1;
    g.len = qend - 1;
    if (g.len <= 8) {
      g.key = (AfterQuick ? load8(s + 1) : word_from(s, n, 1)) & (~u64{0} >> (64 - 8 * g.len));  // (AfterQuick: n >= 9)
    } else {
      const std::string_view name(s + 1, g.len);
      g.key = segment_key(name);
      if (g.len <= 16) g.w0 = word_at(name, 0), g.w1 = word_at(name, 8);
    }
    return find(qualifier_root, g, s, state(qualifier_root).default_next());
  }

  // A name's qualifier: one of the quick ones when the name starts with it (the word holds
  // the whole qualifier, so it has no parameters, '[' or U+0000, and n >= 9 leaves a body);
  // else parsed. Sets *body to the first byte of the body; returns no_state if the name is
  // invalid.
  CAPMATCH_DETAIL_INLINE constexpr u32 quick_qualifiers_or_parse(const char* s, std::size_t n,
                                                                 std::size_t* body) const noexcept {
    if (n >= 9) {
      const u64 w = load8(s);
      for (const quick_qualifier& q : quick)
        if ((w & q.mask) == q.key) {
          *body = q.size;
          return s[q.size] == '[' ? no_state : q.to;  // a second qualifier
        }
      return qualifier<true>(s, n, body);
    }
    return qualifier<false>(s, n, body);
  }

  // The record of mid-run head st's run of len bytes (builder::mid_runs: always present; were
  // it not, the check would step through the chain instead).
  [[nodiscard]] CAPMATCH_DETAIL_INLINE constexpr const long_edge_rec* mid_run(u32 st, std::size_t len) const noexcept {
    const u32 tag = mid_run_tag_of(len);
    for (const long_edge_rec* e = long_edges + home_slot(mid_run_key * k_mul, state_hash(st), long_cap);; ++e) {
      if (e->tag == tag && e->from == st) return e;
      if (e->from == no_state) return nullptr;
    }
  }

  // (Defined before its callers: clang 14 cannot evaluate a member template, in constant
  // evaluation, that is instantiated before its definition.)
  // The automaton over a valid name's body, from state st (DFA mode). A start state may begin
  // a run: its segments are the name's next bytes, or the automaton is dead. AnyLength: the
  // out-of-line path of one automaton (names over short_name_bytes or under 8), where a
  // mid-run head compares its chain's bytes in one go instead of stepping through it
  // (docs/matcher.md, "Mid-runs"). Without it the loop steps through a chain's states: the
  // inlined path of names of 8 to short_name_bytes bytes (OneWindow), and groups (where the
  // mid-run test cost 6-9 % more instructions per check, callgrind, lead1/4096, lead10/512).
  // EntryFallback (from_fallback_entry): st is a named qualifier's entry state that falls
  // back, in tables whose other states do not: its first segment takes the step with
  // fallbacks, the others the loop without.
  template <bool AnyLength = false, bool OneWindow = !AnyLength, bool Fallbacks = false, bool EntryFallback = false>
  CAPMATCH_DETAIL_INLINE constexpr op_set automaton(name_scanner& sc, const char* s, std::size_t n,
                                                    u32 st) const noexcept {
    u32 acc = 0;
    if constexpr (EntryFallback) {
      const segment g = sc.template next<OneWindow>();
      st = step<true, false>(st, state(st), g, s, acc);
      if (g.last) return finish(acc | state(st).term_bits());
      if (st == dead) return finish(acc);
    } else if (state_ref r = state(st); Fallbacks ? r.run_length() != 0 : r.runs_or_falls_back()) {
      // (one test of the entry state's record; the loop with fallbacks takes an entry's own)
      if constexpr (!Fallbacks)
        if (r.has_fallback()) return from_fallback_entry<AnyLength, OneWindow>(sc, s, n, st);
      const std::size_t pos = sc.position(), end = pos + r.run_length();
      acc = r.trail_bits();
      if (!run_matches(r, s, n, pos)) return finish(acc);  // (the name is valid)
      st = r.run_end();
      if (end == n) return finish(acc | state(st).term_bits());
      if (st == dead) return finish(acc);
      sc.seek(end + 1);  // < n: the name does not end with ':'
    }
    return finish(steps<AnyLength, OneWindow, Fallbacks>(sc, s, n, st, acc));
  }

  // The automaton's loop over the rest of a valid name's body from state st (not an entry's
  // start run: a mid-run head is passed as a mid-run), the op bits acc gathered so far: the
  // op bits with the last state's (automaton's caller finishes them). Splits (tables with
  // fallbacks): a fallback may lead to a split record, whose second part runs in split_rest.
  template <bool AnyLength, bool OneWindow, bool Fallbacks, bool Splits = Fallbacks>
  CAPMATCH_DETAIL_INLINE constexpr u32 steps(name_scanner& sc, const char* s, std::size_t n, u32 st,
                                             u32 acc) const noexcept {
    for (;;) {
      state_ref r = state(st);
      if constexpr (AnyLength) {
        if (r.run_length() != 0) {  // a mid-run head (never an entry state)
          if (const run_pass p = pass_mid_run(st, r, s, n, sc.position(), sc.colons()); p.to != no_state) {
            acc |= r.trail_bits();
            if (p.end > n) return acc;  // the automaton dies inside the run; the name is valid
            st = p.to;
            if (p.end == n) return acc | state(st).term_bits();
            if (st == dead) return acc;
            sc.seek(p.end + 1);
            continue;
          }
        }
      }
      const segment g = sc.template next<OneWindow>();
      if constexpr (Splits) {
        u32 second = no_state;
        st = step<true>(st, r, g, s, acc, &second);
        if (second != no_state) [[unlikely]] acc |= split_rest(sc, s, n, second, g.last);
      } else if constexpr (Fallbacks) {
        st = step<true, false>(st, r, g, s, acc);
      } else {
        st = step(st, r, g, s, acc);
      }
      if (g.last) return acc | state(st).term_bits();
      if (st == dead) return acc;  // nothing more can be granted; the name is valid
    }
  }

  // A split record's second part (tables with fallbacks): the op bits of the rest of the name
  // after the segment just looked up (`last`: that was the name's last), from state st, on a
  // copy of the scanner; the first part goes on in the caller's loop (docs/matcher.md, "Split
  // fallback targets"). The second part holds only nodes below `*` children of primary nodes,
  // and no state of such nodes falls back, so its loop has no split test, and it is inlined
  // (as a call, with the scanner copied: lead10/512 +0.9 % instructions per check, and deep and
  // longseg +0.7 %, whose names other_ops checks beside the loop with fallbacks; callgrind).
  CAPMATCH_DETAIL_INLINE constexpr u32 split_rest(name_scanner sc, const char* s, std::size_t n, u32 st,
                                                  bool last) const noexcept {
    if (last) return state(st).term_bits();
    if (st == dead) return 0;
    return steps<true, false, true, false>(sc, s, n, st, 0);
  }

  // A check. The common case — a DFA and a name of 8 to short_name_bytes bytes — is inlined
  // into the caller; qualifiers, other names, tables with chains or fallbacks and the trie walk
  // are calls.
  CAPMATCH_DETAIL_INLINE constexpr op_set ops_for(std::string_view name) const noexcept {
    const char* s = name.data();
    const std::size_t n = name.size();
    if (n == 0 || n > max_resource_bytes) return {};
    std::size_t pos = 0;
    u32 st = start;
    if (s[0] == '[') {
      st = quick_qualifiers_or_parse(s, n, &pos);
      if (st == no_state) return {};
    }
    if (out_of_line || n > short_name_bytes || n < 8) return other_ops(s, n, pos, st);
    if (st == dead) return {};  // no pattern covers this qualifier class: nothing to validate for
    name_scanner sc(s, n, pos, name_scanner::short_name_t{});
    if (!sc.ok()) return {};
    return automaton(sc, s, n, st);
  }

  // ops_for, as a call (a grouped check with filters runs each admitted group's whole check).
  CAPMATCH_DETAIL_NOINLINE constexpr op_set ops_for_call(std::string_view name) const noexcept { return ops_for(name); }

  // Where a name's check starts in these tables: the state (DFA) or root (trie) of its
  // qualifier class, *body set to the first byte of its body; no_state if the name is invalid.
  // (Whether a name is invalid and where its body starts do not depend on the tables.)
  CAPMATCH_DETAIL_INLINE constexpr u32 entry(const char* s, std::size_t n, std::size_t* body) const noexcept {
    *body = 0;
    return s[0] == '[' ? quick_qualifiers_or_parse(s, n, body) : start;
  }
  // The rest of a check from entry()'s state, over a scanned valid name (a copy of the scanner:
  // several tables can resume from one scan, see groups_ops).
  CAPMATCH_DETAIL_INLINE constexpr op_set resume(name_scanner sc, const char* s, std::size_t n,
                                                 u32 st) const noexcept {
    if (walk) return walk_ops(sc, s, st);
    if (st == dead) return op_set{};
    if (out_of_line) return resume_out_of_line(sc, s, n, st);  // (not walk: chains or fallbacks)
    return automaton<false, false>(sc, s, n, st);
  }
  // resume for tables whose long chains were dropped (only the mid-run records lead through
  // them) or that have fallbacks: out of line (inlined, the mid-run test cost the grouped checks
  // 5-7 % more instructions).
  CAPMATCH_DETAIL_NOINLINE constexpr op_set resume_out_of_line(name_scanner sc, const char* s, std::size_t n,
                                                               u32 st) const noexcept {
    if (fallbacks) return automaton<true, false, true>(sc, s, n, st);
    return automaton<true, false>(sc, s, n, st);
  }

  // Names under 8 bytes (scanned from a zero-padded copy) or over short_name_bytes, every name
  // of tables with chains or fallbacks, and the trie walk: the same scanner, out of line.
  // (Names of 8 to short_name_bytes bytes of tables with fallbacks scanned here as in the inlined
  // path cost as many instructions per check: quals/512 563.7, quals/4096 613.6, callgrind.)
  CAPMATCH_DETAIL_NOINLINE constexpr op_set other_ops(const char* s, std::size_t n, std::size_t pos,
                                                      u32 st) const noexcept {
    if (!walk && st == dead) return {};
    char tiny[16] = {};  // a name under 8 bytes, after 8 zero bytes (see name_scanner)
    const char* text = s;
    if (n < 8) {
      for (std::size_t i = 0; i < n; ++i) tiny[8 + i] = s[i];
      text = tiny + 8;
    }
    name_scanner::windows_t windows;  // written by the scanner before it reads them
    name_scanner sc(text, n, pos, windows);
    if (!sc.ok()) return {};
    if (walk) return walk_ops(sc, s, st);
    if (fallbacks) return automaton<true, false, true>(sc, s, n, st);
    return automaton<true>(sc, s, n, st);
  }

  // The fallback, structured like a NATS sublist: the name is split once into its segments
  // (validated, keys computed once), then the trie is walked from the qualifier's root and
  // from the [*] root, following literal edges in a loop and recursing only where a node has
  // both a literal child and a `*` child; a `*` edge may pass over a chain of segments
  // (star_skip). The trie is a tree, so each node is visited at most once per root; the
  // recursion is at most max_segments deep.
  struct walk_segment {
    u64 key, w0, w1;
    u32 pos, len;
  };
  CAPMATCH_DETAIL_NOINLINE constexpr op_set walk_ops(name_scanner sc, const char* s, u32 root) const noexcept {
    walk_segment segs[max_segments];  // only the first `count` are written and read
    std::size_t count = 0;
    for (;;) {  // a valid name has at most max_segments segments
      const segment g = sc.next();
      segs[count++] = walk_segment{g.key, g.w0, g.w1, static_cast<u32>(g.pos), static_cast<u32>(g.len)};
      if (g.last) break;
    }
    u32 acc = 0;
    if (root != dead) acc = walk_from(root, segs, 0, count, s);
    if (any_root != dead) acc |= walk_from(any_root, segs, 0, count, s);
    return finish(acc);
  }
  // The op bits the walk from `node`, at segment i of the name, grants.
  constexpr u32 walk_from(u32 node, const walk_segment* segs, std::size_t i, std::size_t count,
                          const char* s) const noexcept {
    u32 acc = 0;
    for (;; ++i) {
      state_ref r = state(node);
      if (i >= count)  // (past count: the name ended inside a star chain, whose nodes grant nothing)
        return i == count ? acc | r.term_ops() : acc;
      acc |= r.trail_bits();
      const walk_segment& w = segs[i];
      const u64 hk = w.key * k_mul;
      // The node's filter spares the probe for most segments no literal edge names (a miss in
      // the table costs several probes).
      const u32 child = (r.filter() & filter_bit(hk)) == 0 ? dead
                        : w.len <= 8                       ? find_short(node, w.key, hk, dead)
                                : find_long(node, w.key, w.w0, w.w1, w.len, s, w.pos, dead, hk);
      const u32 star = r.star_child();
      if (child == dead) {
        if (star == dead) return acc;
        node = star;
        i += r.star_skip();
        continue;
      }
      if (star != dead) acc |= walk_from(star, segs, i + 1 + r.star_skip(), count, s);
      node = child;
    }
  }
};

/// The segment indices the literal filters (prefilter.hpp) of a matcher's 2 to 4 groups use
/// (`d` or `c` and `d` empty tables when there are fewer); 0 when no group has a filter.
[[nodiscard]] constexpr u32 filter_indices_of(const tables& a, const tables& b, const tables& c,
                                              const tables& d) noexcept {
  return a.filter_indices | b.filter_indices | c.filter_indices | d.filter_indices;
}
/// Whether group t runs for a name whose filter hashes are `hashes` (at the indices in `have`).
/// (Forced inline: as a lambda g++ called it out of line, three times per grouped check.)
[[nodiscard]] CAPMATCH_DETAIL_INLINE constexpr bool group_admits(const tables& t, const u64* hashes, u32 have) noexcept {
  return t.filter_indices == 0 || filter_admits(t.filter, t.filter_log2, t.filter_indices, hashes, have);
}
/// Which of the groups a check of `name` runs when some group has a literal filter (`want`,
/// filter_indices_of the groups, is not 0): bit g for the g-th, set unless the group's filter
/// misses the name's segments.
[[nodiscard]] CAPMATCH_DETAIL_INLINE constexpr u32 admitted_groups(const tables& a, const tables& b, const tables& c,
                                                                   const tables& d, std::size_t count, u32 want,
                                                                   std::string_view name) noexcept {
  u64 hashes[filter_indices_max];  // only those at the indices in `have` are written and read
  const u32 have = name.empty() ? 0 : body_hashes(name.data(), name.size(), want, hashes);
  return (group_admits(a, hashes, have) ? 1u : 0u) | (group_admits(b, hashes, have) ? 2u : 0u) |
         (count > 2 && group_admits(c, hashes, have) ? 4u : 0u) | (count > 3 && group_admits(d, hashes, have) ? 8u : 0u);
}

/// A check over several tables (a matcher's 2 to 4 groups, docs/matcher.md "Groups"; `d` or
/// `c` and `d` empty tables when there are fewer): the union of their answers. When some group
/// has a literal filter, each group that admitted_groups admits runs its own check; else the
/// name is scanned and validated once for all of them, and a group whose qualifier class has
/// no pattern is skipped.
CAPMATCH_DETAIL_NOINLINE constexpr op_set groups_ops(const tables& a, const tables& b, const tables& c,
                                                     const tables& d, std::size_t count,
                                                     std::string_view name) noexcept {
  const char* s = name.data();
  const std::size_t n = name.size();
  if (n == 0 || n > max_resource_bytes) return {};
  if (const u32 want = filter_indices_of(a, b, c, d); want != 0) {
    const u32 run = admitted_groups(a, b, c, d, count, want, name);
    op_set r;
    if ((run & 1) != 0) r = a.ops_for_call(name);
    if ((run & 2) != 0) r = r | b.ops_for_call(name);
    if ((run & 4) != 0) r = r | c.ops_for_call(name);
    if ((run & 8) != 0) r = r | d.ops_for_call(name);
    return r;
  }
  std::size_t pos = 0;
  const u32 sa = a.entry(s, n, &pos), sb = b.entry(s, n, &pos);
  const u32 sc = count > 2 ? c.entry(s, n, &pos) : dead, sd = count > 3 ? d.entry(s, n, &pos) : dead;
  if (sa == no_state || sb == no_state || sc == no_state || sd == no_state) return {};  // invalid (all agree)
  const auto live = [](const tables& t, u32 st) { return t.walk || st != dead; };
  if (!live(a, sa) && !live(b, sb) && !live(c, sc) && !live(d, sd)) return {};
  char tiny[16] = {};  // as in tables::other_ops
  const char* text = s;
  if (n < 8) {
    for (std::size_t i = 0; i < n; ++i) tiny[8 + i] = s[i];
    text = tiny + 8;
  }
  name_scanner::windows_t windows;
  const name_scanner scan(text, n, pos, windows);
  if (!scan.ok()) return {};
  op_set r = a.resume(scan, s, n, sa) | b.resume(scan, s, n, sb);
  if (live(c, sc)) r = r | c.resume(scan, s, n, sc);
  if (live(d, sd)) r = r | d.resume(scan, s, n, sd);
  return r;
}

}  // namespace detail::cm
CAPMATCH_NAMESPACE_END

// ---- end include/capmatch/matcher/query.hpp ----

// ---- begin include/capmatch/matcher/determinise.hpp ----
// capmatch — matcher internals: subset construction under the automaton bound, the proof that
// skips a construction bound to fail, the depth order of an automaton with fallbacks
// (docs/matcher.md, step 2).
// SPDX-License-Identifier: MIT

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

// ---- begin include/capmatch/matcher/builder.hpp ----
// capmatch — matcher internals: the builder, its trie and interning (docs/matcher.md, "From patterns to
// an automaton"); the passes after the trie are in determinise.hpp, minimise.hpp, runs.hpp, emit.hpp.
// SPDX-License-Identifier: MIT

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>


CAPMATCH_NAMESPACE_BEGIN
namespace detail::cm {

// ---- construction ----

/// A growable open-addressing index of items 0..n-1 by 64-bit hash (construction only). An
/// item's first slot is bits 32 and up of h * k_mul, which depend only on h's bits below them:
/// h must differ in its low bits where items differ (segment_hash, below). (The top bits, taken
/// by a shift of 64 - log2(slots), cost every build 0.5-1.7 % more instructions.)
struct index_map {
  bvec<u32> slots;  // item + 1, 0 when empty
  std::size_t count = 0;

  constexpr explicit index_map(build_arena* a = nullptr) : slots(a) {}

  template <class Same>
  [[nodiscard]] constexpr u32 find(u64 h, Same&& same) const {
    if (slots.empty()) return no_state;
    const std::size_t mask = slots.size() - 1;
    for (std::size_t i = static_cast<std::size_t>((h * k_mul) >> 32) & mask;; i = (i + 1) & mask) {
      if (slots[i] == 0) return no_state;
      if (same(slots[i] - 1)) return slots[i] - 1;
    }
  }
  /// Sizes an empty table for `n` items up front (one allocation instead of a growth sequence).
  constexpr void reserve(std::size_t n) {
    if (!slots.empty()) return;
    std::size_t size = 16;
    while (size < 2 * n) size *= 2;
    slots.assign(size, 0);  // within the capacity of a reset() table: no allocation
  }
  /// Empties the table and sizes it for `n` items, reusing its memory when that is enough.
  constexpr void reset(std::size_t n) {
    slots.clear();
    count = 0;
    reserve(n);
  }
  template <class HashOf>
  constexpr void insert(u64 h, u32 item, HashOf&& hash_of) {
    make_room(hash_of);
    place(h, item);
    ++count;
  }
  /// find(h, same), and when nothing is found, insert(h, item) in the same probe: no_state
  /// then (the caller makes item exist before the table is used again).
  template <class Same, class HashOf>
  constexpr u32 find_or_insert(u64 h, u32 item, Same&& same, HashOf&& hash_of) {
    make_room(hash_of);  // (before the probe: growing moves the slots)
    const std::size_t mask = slots.size() - 1;
    for (std::size_t i = static_cast<std::size_t>((h * k_mul) >> 32) & mask;; i = (i + 1) & mask) {
      if (slots[i] == 0) {
        slots[i] = item + 1;
        ++count;
        return no_state;
      }
      if (same(slots[i] - 1)) return slots[i] - 1;
    }
  }

 private:
  // Grows the table when one more item would fill it beyond half.
  template <class HashOf>
  constexpr void make_room(HashOf&& hash_of) {
    if (2 * (count + 1) > slots.size()) {
      bvec<u32> old(slots.size() < 16 ? 16 : 2 * slots.size(), 0, slots.arena());
      old.swap(slots);
      for (const u32 v : old)
        if (v != 0) place(hash_of(v - 1), v - 1);
    }
  }
  constexpr void place(u64 h, u32 item) {
    const std::size_t mask = slots.size() - 1;
    std::size_t i = static_cast<std::size_t>((h * k_mul) >> 32) & mask;
    while (slots[i] != 0) i = (i + 1) & mask;
    slots[i] = item + 1;
  }
};

/// A segment's hash in the builder's segment index, from its key (segment_key) and size: the key
/// with its high half folded into its low one. index_map places an item by bits 32 and up of
/// h * k_mul, and a segment of up to 8 bytes is its own key: without the fold, segments that
/// differ only in their last bytes (`tenant12`, `tenant13`, ...) shared their first slot, and
/// each was interned along a cluster of them (10-15 slots per intern on bench/'s tenant ids).
[[nodiscard]] constexpr u64 segment_hash(u64 key, std::size_t size) noexcept {
  return key ^ (key >> 32) ^ (size << 56);
}

/// The one slot of an empty long-edge table (home range 0): every probe ends there.
inline constexpr long_edge_rec empty_long_edge{};
/// The dead state of a matcher that grants nothing (header{}: every reference is dead).
inline constexpr u32 empty_words[record_words]{};

/// Everything a matcher owns; built by build(), queried through view().
struct storage : header {
  std::vector<u32> words;  // the states' records and tables (state_ref)
  std::vector<long_edge_rec> long_edges;
  std::vector<char> pool;
  std::size_t patterns = 0;  // of the capability
  std::size_t in_group = 0;  // compiled here (the builder's group; empty patterns left out)
  std::vector<u32> filter;   // a star-led group's literal filter (header::filter_indices)

  [[nodiscard]] constexpr tables view() const noexcept {
    if (words.empty())  // moved from: grants nothing
      return tables(header{}, empty_words, &empty_long_edge, nullptr);
    return tables(*this, words.data(), long_edges.empty() ? &empty_long_edge : long_edges.data(), pool.data(),
                  filter.data());
  }
  /// Calls f(reference, state_ref) for every state (trie: node) in order.
  template <class F>
  constexpr void for_each_state(F f) const {
    const tables t = view();
    for (u32 at = 0; at < words.size();) {
      const state_ref st = t.state(at);
      f(st.reference(at), st);
      at += st.size();
    }
  }
};

struct seg_info {
  u64 key = 0;
  u32 offset = 0, size = 0;  // bytes in builder::seg_text
};
struct trie_edge {
  u32 node = 0, sid = 0, child = 0;
};
struct transition {
  u32 from = 0, sid = 0, to = 0;
};

[[nodiscard]] constexpr u64 mix2(u64 a, u64 b) noexcept { return (a ^ (b * k_state)) * k_mul + (b >> 17); }

/// The ranges of `items` grouped by owner (a node or state number below `owners`): owner o's
/// items are [first[o], first[o + 1]) (`first` gets owners + 1 entries). The one place the
/// builder counts owner ranges: group_by_owner uses it, and builder::ts_first starts from it
/// and is kept true by builder::renumber.
template <class T, class Owner>
constexpr void owner_ranges(const bvec<T>& items, bvec<u32>& first, std::size_t owners, Owner owner) {
  first.assign(owners + 1, 0);
  for (const T& x : items) ++first[owner(x) + 1];
  for (std::size_t i = 1; i < first.size(); ++i) first[i] += first[i - 1];
}

/// Sorts `items` (trie edges or transitions: no two with the same owner and segment) by owner,
/// then segment: a counting sort on the owner (a node or state number below `owners`), then a
/// sort by segment within each owner's range that is not in order already. Items already in
/// that order are left where they are (no copy). `first` gets the ranges (owner_ranges).
template <class T, class Owner>
constexpr void group_by_owner(bvec<T>& items, bvec<u32>& first, std::size_t owners, Owner owner) {
  owner_ranges(items, first, owners, owner);
  const bool in_order = std::is_sorted(items.begin(), items.end(), [&](const T& a, const T& b) {
    return owner(a) != owner(b) ? owner(a) < owner(b) : a.sid < b.sid;
  });
  if (in_order) return;
  // Placing an item advances its owner's start, which ends as the start of the next owner's
  // range: shifted back by one entry afterwards.
  bvec<T> grouped(items.size(), T{}, items.arena());
  for (const T& x : items) grouped[first[owner(x)]++] = x;
  for (std::size_t o = owners; o > 0; --o) first[o] = first[o - 1];
  first[0] = 0;
  auto by_sid = [](const T& a, const T& b) { return a.sid < b.sid; };
  for (std::size_t o = 0; o < owners; ++o) {
    const auto b = grouped.begin() + first[o], e = grouped.begin() + first[o + 1];
    if (e - b > 1 && !std::is_sorted(b, e, by_sid)) std::sort(b, e, by_sid);
  }
  items = std::move(grouped);
}

/// segment_key of body's segment [pos, pos + len): a segment of up to 8 bytes is its bytes,
/// zero-padded, read as one word from the body (word_from) and cut to len bytes.
[[nodiscard]] constexpr u64 body_segment_key(std::string_view body, std::size_t pos, std::size_t len) noexcept {
  if (len > 8) return segment_key(body.substr(pos, len));
  const u64 w = word_from(body.data(), body.size(), pos);
  return len == 8 ? w : w & ((u64{1} << (8 * len)) - 1);
}

/// A `*` segment (a wildcard), not a literal. (Not seg == "*": an out-of-line compare call.)
[[nodiscard]] constexpr bool star_segment(std::string_view seg) noexcept { return seg.size() == 1 && seg[0] == '*'; }

/// Which of a capability's patterns a builder compiles (docs/matcher.md, "Groups"). "Star-led":
/// the first segment of the body is `*`; "literal-led": it is a literal.
enum class pattern_group : u8 {
  all,
  literal_led,      ///< literal-led, any qualifier (`[*]` included)
  plain_literal,    ///< literal-led, not `[*]`
  any_literal,      ///< literal-led, `[*]`
  star_led,         ///< star-led, not `[*]`
  any_star_led,     ///< star-led, `[*]`
  all_star_led,     ///< star-led, any qualifier (`[*]` included)
};
[[nodiscard]] constexpr bool in_group(const pattern& p, pattern_group g) noexcept {
  // (The first segment is `*`; by characters, as star_segment: `body == "*"` is a memcmp call,
  // and every builder asks this of every pattern of the capability.)
  const bool star = !p.body.empty() && p.body[0] == '*' && (p.body.size() == 1 || p.body[1] == ':');
  const bool any = p.kind == qualifier_kind::any;
  switch (g) {
    case pattern_group::all: return true;
    case pattern_group::literal_led: return !star;
    case pattern_group::plain_literal: return !star && !any;
    case pattern_group::any_literal: return !star && any;
    case pattern_group::star_led: return star && !any;
    case pattern_group::any_star_led: return star && any;
    case pattern_group::all_star_led: return star;
  }
  return true;
}

/// What the tests vary in a build; every default is what a matcher is built with.
struct build_options {
  static constexpr std::size_t default_run_text = ~std::size_t{0};  ///< run_text_bytes: run_text_limit's formula
  /// A bound on the run text other than run_text_limit's formula (the tests reach the bound's
  /// path with ordinary capabilities).
  std::size_t run_text_bytes = default_run_text;
  /// Skip the constructions that bounds_exceeded proves would fail (false: the tests check
  /// that the proof holds).
  bool skip_proven = true;
  /// The subset construction's one-node path (false: every state set takes the general case;
  /// the tests check that both give the same tables).
  bool one_node_sets = true;
  /// A bound on the automaton's stored units (states + transitions) below dfa_bound's formula
  /// (a larger one changes nothing: the option only tightens the memory bound). With a small
  /// one the tests and the fuzz target reach the construction with fallback transitions, split
  /// records, the groups and the trie walk with capabilities of a few patterns.
  std::size_t dfa_units = ~std::size_t{0};
};

class builder {
 public:
  constexpr builder(const capability& cap, matcher_mode mode, pattern_group group = pattern_group::all,
                    build_options opt = {}) {
    build(cap, mode, group, opt);
  }
  /// With `walk_on_demand`, a capability beyond both constructions gets `out.walk` and keeps
  /// its trie, but emits the walk's tables only when emit_walk() is called: the matcher tries
  /// the groups first and keeps the whole capability's walk only when they do no better.
  constexpr builder(const capability& cap, matcher_mode mode, pattern_group group, build_options opt,
                    bool walk_on_demand)
      : defer_walk(walk_on_demand) {
    build(cap, mode, group, opt);
  }
  storage out;
  /// The trie walk's tables (docs/matcher.md, "The trie walk") of a builder made with
  /// `walk_on_demand` whose build() fell back to it (out.walk); emit.hpp.
  constexpr void emit_walk();
  /// Which constructions would certainly return false: a lower bound on what each must make,
  /// computed from the trie, exceeds its budget (determinise.hpp, bounds_exceeded).
  struct bounds {
    bool plain = false, fallbacks = false;
  };
  bounds skipped;  ///< the constructions build() skipped

 private:
  // The short-lived arrays' memory (arena.hpp): first, so that it outlives them. (Mutable: a
  // const pass, bounds_exceeded, makes arrays too; the arena is not the builder's state.)
  mutable build_arena arena_;
  [[nodiscard]] constexpr build_arena* arena() const noexcept { return &arena_; }
  // Segments (and qualifier names), interned.
  bvec<char> seg_text{arena()};
  bvec<seg_info> segs{arena()};
  index_map seg_index{arena()};
  // The trie. Node 0 is the dead node, 1 the qualifier pseudo-node, 2 the unqualified root,
  // 3 the [*] root; named roots and inner nodes follow.
  bvec<state_rec> nodes{arena()};
  bvec<trie_edge> tedges{arena()};
  // The trie edges' index while the trie grows; then, reset, the state sets' (determinise) and
  // the state signatures' (minimise): one table's memory for the three.
  index_map lookup{arena()};
  bvec<trie_edge> qualifier_edges{arena()};  // (1, qualifier sid, named root)
  bvec<u32> node_edges{arena()};  // per node: its range in tedges once grouped (group_by_owner)
  // Zeroed u32 arrays for one construction pass at a time (scratch_arrays): one buffer,
  // reused by every pass, instead of an allocation per array and pass.
  bvec<u32> scratch{arena()};
  // Per state of the automaton being built: its transitions are ts[ts_first[st], ts_first[st + 1])
  // (ts grouped by state, each state's by segment). Counted once (owner_ranges, or
  // group_by_owner after the depth order), then kept true by every pass that renumbers (renumber).
  bvec<u32> ts_first{arena()};

 public:
  /// The most arrays a pass takes from the scratch buffer at once (compress_runs). Every call
  /// of scratch_arrays is checked against it at compile time.
  static constexpr std::size_t scratch_arrays_max = 5;

 private:
  /// `K` zeroed arrays of `count` u32 each, back to back in `scratch` (valid until the next call).
  /// The first call makes room for scratch_arrays_max arrays, so that the later passes, over no
  /// more states, reuse it.
  template <std::size_t K>
  constexpr u32* scratch_arrays(std::size_t count) {
    static_assert(K >= 1 && K <= scratch_arrays_max, "a pass takes more scratch arrays than scratch_arrays_max");
    if (scratch.capacity() < K * count) {
      scratch.clear();
      scratch.reserve(scratch_arrays_max * count);
    }
    scratch.assign(K * count, 0);
    return scratch.data();
  }

  [[nodiscard]] constexpr std::string_view seg_view(u32 sid) const noexcept {
    return std::string_view(seg_text.data() + segs[sid].offset, segs[sid].size);
  }

  constexpr u32 intern(std::string_view seg) { return intern(seg, segment_key(seg)); }
  // (key: segment_key(seg). Forced inline: g++ called it out of line from add_pattern once
  // segment_hash took two more operations, deep/4096 +2 % instructions per build.)
  CAPMATCH_DETAIL_INLINE constexpr u32 intern(std::string_view seg, u64 key) {
    const u64 h = segment_hash(key, seg.size());
    // A key of up to 8 bytes is the bytes themselves (segment_key): equal keys and sizes are equal segments.
    const auto id = static_cast<u32>(segs.size());
    const u32 found = seg_index.find_or_insert(
        h, id,
        [&](u32 i) {
          return segs[i].key == key && segs[i].size == seg.size() && (seg.size() <= 8 || seg_view(i) == seg);
        },
        [&](u32 i) { return segment_hash(segs[i].key, segs[i].size); });
    if (found != no_state) return found;
    segs.push_back(seg_info{key, static_cast<u32>(seg_text.size()), static_cast<u32>(seg.size())});
    seg_text.append(seg.data(), seg.data() + seg.size());
    return id;
  }

  constexpr u32 new_node() {
    const auto id = static_cast<u32>(nodes.size());
    nodes.push_back(state_rec{});
    return id;
  }

  constexpr u32 literal_child(u32 node, u32 sid) {
    // (the edge's key as its hash: index_map's probe multiplies it by k_mul)
    const u64 h = u64{node} << 32 | sid;
    const auto id = static_cast<u32>(tedges.size());
    const u32 found = lookup.find_or_insert(
        h, id, [&](u32 i) { return tedges[i].node == node && tedges[i].sid == sid; },
        [&](u32 i) { return u64{tedges[i].node} << 32 | tedges[i].sid; });
    if (found != no_state) return tedges[found].child;
    const u32 child = new_node();
    tedges.push_back(trie_edge{node, sid, child});
    return child;
  }

  constexpr u32 star_child(u32 node) {
    if (nodes[node].star_child() == dead) {
      const u32 child = new_node();
      nodes[node].set_star_child(child);
    }
    return nodes[node].star_child();
  }

  constexpr void add_pattern(u32 root, std::string_view body, u32 ops) {
    u32 node = root;
    std::size_t pos = 0;
    for (;;) {
      const auto colon = find_colon(body, pos);
      const bool last = colon == std::string_view::npos;
      const std::string_view seg = body.substr(pos, last ? std::string_view::npos : colon - pos);
      const bool star = star_segment(seg);
      if (last && star) {
        nodes[node].add_trail_ops(ops);
        return;
      }
      node = star ? star_child(node) : literal_child(node, intern(seg, body_segment_key(body, pos, seg.size())));
      if (last) {
        nodes[node].add_term_ops(ops);
        return;
      }
      pos = colon + 1;
    }
  }

  constexpr void build(const capability& cap, matcher_mode mode, pattern_group group, const build_options& opt) {
    out.patterns = cap.size();
    options = opt;
    // Sized up front from the group's own patterns (segments and bytes): building a small
    // matcher is mostly allocation otherwise, and a small group sized for the whole capability
    // paid for all of it (bench/RESULTS.md, "Session 36"). A pattern that matches nothing is
    // counted: it is rare, and matches_nothing() is a search.
    std::size_t segments = 0, bytes = 0;  // literal segments (and qualifier names), their bytes
    std::size_t star_segments = 0;  // (each may make a node too: the nodes are reserved for both)
    for (std::size_t i = 0; i < cap.size(); ++i) {
      const pattern p = cap.pattern_at(i);
      if (!in_group(p, group)) continue;
      if (!p.qualifier.empty()) ++segments, bytes += p.qualifier.size();
      for (std::size_t pos = 0, end; pos <= p.body.size(); pos = end + 1) {
        end = std::min(find_colon(p.body, pos), p.body.size());
        if (!star_segment(std::string_view(p.body.data() + pos, end - pos))) ++segments, bytes += end - pos;
        else ++star_segments;
      }
    }
    seg_text.reserve(bytes);
    run_text_limit = opt.run_text_bytes != build_options::default_run_text
                         ? opt.run_text_bytes
                         : matcher_run_text_factor * bytes + matcher_run_text_slack;
    segs.reserve(segments);
    seg_index.reserve(segments);
    nodes.reserve(segments + star_segments + 4);
    tedges.reserve(segments);
    lookup.reserve(segments);
    nodes.resize(4);
    bvec<u32> qualifier_roots(arena());  // indexed by sid: root + 1, 0 when absent
    // A group of star-led patterns gets a literal filter (prefilter.hpp).
    const bool star_led = group == pattern_group::star_led || group == pattern_group::any_star_led ||
                          group == pattern_group::all_star_led;
    literal_filter_builder filter;
    for (std::size_t i = 0; i < cap.size(); ++i) {
      const pattern p = cap.pattern_at(i);
      const u32 ops = cap.ops(i).bits();
      if (p.covers_all_channels()) out.app_wide |= ops;
      if (!in_group(p, group) || p.matches_nothing()) continue;
      ++out.in_group;
      u32 root = p.kind == qualifier_kind::none ? 2u : 3u;
      if (p.kind == qualifier_kind::named) {
        const u32 q = intern(p.qualifier);
        if (qualifier_roots.size() <= q) qualifier_roots.resize(q + 1, 0);
        if (qualifier_roots[q] == 0) {
          qualifier_roots[q] = new_node() + 1;
          qualifier_edges.push_back(trie_edge{qualifier_state, q, qualifier_roots[q] - 1});
        }
        root = qualifier_roots[q] - 1;
      }
      add_pattern(root, p.body, ops);
      if (star_led) filter.add(p.body);
    }
    if (star_led) {
      literal_filter_builder::result f = filter.finish();
      out.filter_indices = f.indices;
      out.filter_log2 = f.log2;
      out.filter = std::move(f.bits);
    }
    // Literal edges grouped by node, each node's by segment, for determinisation and for the trie tables.
    group_by_owner(tedges, node_edges, nodes.size(), [](const trie_edge& e) { return e.node; });
    // The plain automaton; beyond its bound, the one with fallback transitions (docs/matcher.md,
    // "Fallback transitions"); beyond that too, the trie (and, at run time, groups: matcher.hpp).
    // A construction is skipped when a lower bound on what it must make, from the trie, exceeds
    // its budget (docs/matcher.md, "Build without the wasted runs").
    if (mode == matcher_mode::automatic) {
      if (opt.skip_proven) skipped = bounds_exceeded();
      if ((!skipped.plain && determinise_plain()) || (!skipped.fallbacks && determinise_with_fallbacks())) return;
    }
    // Fallback: the trie itself.
    out.walk = true;
    if (!defer_walk) emit_walk();
  }

  // Star chains in the trie (docs/matcher.md): a node reached by a `*` edge that grants nothing,
  // has no literal edge and has a `*` child only passes the walk on, one segment later. Each
  // `*` edge into such nodes leads instead to the first node after them that does something,
  // past as many more segments (state_rec::set_star_chain), and the nodes are left out.
  // Adversarial capabilities (`*:a1:*:*:*:x1`), the ones that reach the trie, are mostly such
  // chains. Returns each node's new number (in the scratch buffer, valid until the next pass);
  // the roots (0-3) keep theirs, since the nodes before them are never inside a chain.
  constexpr const u32* skip_star_chains(bvec<state_rec>& states) {
    const std::size_t count = states.size();
    u32* const id = scratch_arrays<1>(count);  // 0 while kept, then the new number; no_state: left out
    // (A chain's nodes come after the node being visited, whose record alone changes here: the
    // trie's records are theirs.)
    const auto passes_on = [&](u32 node) { return nodes[node].star_child() != dead && bare(node); };
    for (u32 node = 0; node < count; ++node) {  // (a child's number is above its parent's)
      if (id[node] == no_state) continue;
      u32 to = states[node].star_child(), skip = 0;
      for (; to != dead && passes_on(to); to = nodes[to].star_child(), ++skip) id[to] = no_state;
      if (skip != 0) states[node].set_star_chain(to, skip);
    }
    u32 kept = 0;
    for (u32 node = 0; node < count; ++node) {
      if (id[node] == no_state) continue;
      id[node] = kept;
      states[kept++] = states[node];
    }
    states.resize(kept);
    for (auto& r : states) r.map_link([id](u32 node) { return id[node]; });
    return id;
  }

  // The automaton bound on states + transitions (layout.hpp): one formula for every construction
  // (a test may tighten it: build_options::dfa_units).
  [[nodiscard]] constexpr std::size_t dfa_bound() const noexcept {
    return std::min({matcher_dfa_growth * (nodes.size() + tedges.size()) + matcher_dfa_slack, matcher_max_stored,
                     options.dfa_units});
  }
  // Subset construction over the trie; false (leaving `out` untouched) beyond the bound or
  // beyond its work budget. A template so that the plain construction carries none of the
  // fallback construction's tests (they cost it 1-2 % of its instructions as a run-time flag).
  template <bool Fallbacks>
  constexpr bool determinise();
  // determinise<false>() and determinise<true>(), as plain functions defined after the template
  // (determinise.hpp): clang 14 cannot evaluate, in a constant expression, a member template
  // whose first use comes before its definition.
  constexpr bool determinise_plain();
  constexpr bool determinise_with_fallbacks();
  // The constructions proven to fail (determinise.hpp).
  constexpr bounds bounds_exceeded() const;
  // A trie node that grants nothing and has no literal edge (once the trie's edges are grouped,
  // node_edges): at most a `*` child leads on from it.
  [[nodiscard]] CAPMATCH_DETAIL_INLINE constexpr bool bare(u32 node) const noexcept {
    const auto& r = nodes[node];
    return r.trail_ops() == 0 && r.term_ops() == 0 && node_edges[node + 1] == node_edges[node];
  }
  // A trie node worth tracking: it grants something or leads somewhere. The one rule of
  // determinise and bounds_exceeded.
  [[nodiscard]] CAPMATCH_DETAIL_INLINE constexpr bool live(u32 node) const noexcept {
    return nodes[node].star_child() != dead || !bare(node);
  }
  // The plain construction's entry fallbacks (determinise.hpp): whether the entry state
  // {q, [*] root} of named root q falls back to {[*] root}, the other qualifiers' entry, given
  // q's and the [*] root's live edges (`own`, `any`). Only when the capability names more
  // qualifiers than there are quick ones (layout.hpp, quick_qualifiers): with fewer, the
  // entries copy the [*] root's edges at most that many times, their names take the inlined
  // quick path, and a fallback there (a name whose first segment q does not name misses in
  // the entry's table first) cost scoped/512 and anyq/512 7-10 % more instructions per check
  // for 1-5 bytes per pattern less; with more, the copies grow as qualifiers × `[*]` heads
  // (bench/ quals) and those names are looked up out of line anyway (bench/RESULTS.md,
  // "Session 30"). And only where the [*] root has at least twice as many live edges as q
  // (what the entry keeps is at most half of what it would copy), none of them q's `*` child
  // (a segment q does not name would move it to that child too), and two at least (with
  // one, {[*] root} may start a run, which a state that a fallback enters cannot). The one
  // rule of determinise and bounds_exceeded.
  [[nodiscard]] constexpr bool entry_falls_back(u32 q, std::size_t own, std::size_t any) const noexcept {
    const u32 star = nodes[q].star_child();
    return qualifier_edges.size() > quick_qualifiers && any >= 2 && 2 * own <= any && (star == dead || !live(star));
  }
  // How many of a trie node's edges lead to live nodes.
  [[nodiscard]] constexpr std::size_t live_edges(u32 node) const noexcept {
    std::size_t n = 0;
    for (u32 k = node_edges[node]; k < node_edges[node + 1]; ++k) n += live(tedges[k].child) ? 1 : 0;
    return n;
  }
  // Renumbers an automaton with fallbacks so that every link leads to a higher number (determinise.hpp).
  // Its transitions' ranges go to `first` (group_by_owner).
  static constexpr void order_by_depth(bvec<state_rec>& states, bvec<transition>& ts, u32& start,
                                       const bvec<u32>& depth, const u32* set_offsets, bvec<u32>& first);
  // Renumbers every state st as id[st] (a permutation: all kept), with its link, the
  // transitions (in place, in their order) and `start`: the one rule of order_by_depth and
  // order_depth_first. ts_first is left to the caller.
  static constexpr void permute(bvec<state_rec>& states, bvec<transition>& ts, const u32* id,
                                u32& start) {
    bvec<state_rec> out(states.size(), state_rec{}, states.arena());
    for (u32 st = 0; st < states.size(); ++st) {
      out[id[st]] = states[st];
      out[id[st]].map_link([&](u32 link) { return id[link]; });
    }
    states = std::move(out);
    for (auto& t : ts) t = transition{id[t.from], t.sid, id[t.to]};
    start = id[start];
  }
  // Merges equivalent states (minimise.hpp).
  constexpr void minimise(bvec<state_rec>& states, bvec<transition>& ts, u32& start);
  // Renumbers `states` and `ts` in place after a pass and keeps ts_first true (defined after the class).
  template <class To, class Keep>
  constexpr void renumber(bvec<state_rec>& states, bvec<transition>& ts, const u32* id, To to, Keep keep);

  // Runs. A state with one literal transition and no default one (a path through the
  // patterns, such as every state of "tenant7:room:42" when nothing else shares it) does not
  // need the transition table: the check compares the name's bytes with the segment's. Going
  // on while the next state is the same and grants nothing (trail and term 0), the literal
  // segments join into one run "tenant7:room:42", compared as bytes in one go; the states
  // inside a run are then only reachable through it and are dropped. Runs are written to the
  // pool by emit. Renumbers `states` and `ts` in place. (The run passes: runs.hpp.)
  struct run_info {
    u32 state = 0, target = 0;
    u32 offset = 0, steps = 0;  // its steps: run_steps[offset, offset + steps)
    u32 size = 0;  // bytes of its text (the steps' segments, ':'-joined; a star step is one U+0000 byte)
    u32 segments = 0;  // the literal segments joined in those bytes (a star step's `*` is not one)
    bool wild = false;  // a mid-run through star steps: a U+0000 byte in its text per `*` segment
    bool held = false;  // a mid-run whose chain was dropped: its head holds it (state_rec::holds_run)
  };
  bvec<run_info> runs{arena()};
  // Every run's steps, back to back: each literal step's segment, no_state for a star step.
  // A run's text (its bytes in the pool) is written from them once, by emit; until then, only
  // their total size counts (run_bytes: the start runs' and the mid-runs' text).
  bvec<u32> run_steps{arena()};
  std::size_t run_bytes = 0;

  constexpr void compress_runs(bvec<state_rec>& states, bvec<transition>& ts, u32& start);
  // The run rule, shared by compress_runs, walk_run and find_mid_runs. One-way: one literal
  // transition (ts[ts_first[st]]), no default; inside a run: one-way and granting nothing.
  [[nodiscard]] constexpr bool one_way(const bvec<state_rec>& states, u32 st) const noexcept {
    return st >= 2 && ts_first[st + 1] - ts_first[st] == 1 && states[st].default_next() == dead;
  }
  [[nodiscard]] static constexpr bool grants_nothing(const state_rec& s) noexcept {
    return s.trail_ops() == 0 && s.term_ops() == 0;
  }
  // Mid-runs also pass through star steps: no literal transition, a default one, no fallback
  // (every segment leads to the default: a pattern's `*` that nothing beside it names).
  [[nodiscard]] constexpr bool star_step(const bvec<state_rec>& states, u32 st) const noexcept {
    return st >= 2 && ts_first[st + 1] == ts_first[st] && states[st].default_next() != dead &&
           !states[st].has_fallback();
  }
  // A state's step in a run, as two words: `next`, the state after it + 1 when st is a step
  // (one-way; with `stars`, a mid-run's step, one-way or a star step), else 0; `inside`, when st
  // is a step inside a run (granting nothing), its segment + 1, or star_step_segment for a star
  // step, else 0. The one step rule of walk_run and find_mid_runs (its step_pairs).
  static constexpr u32 star_step_segment = ~u32{0};
  struct step_pair {
    u32 next = 0, inside = 0;
  };
  [[nodiscard]] constexpr step_pair step_of(const bvec<state_rec>& states, const bvec<transition>& ts,
                                            u32 st, bool stars) const noexcept {
    if (one_way(states, st)) {
      const transition& t = ts[ts_first[st]];
      return {t.to + 1, grants_nothing(states[st]) ? t.sid + 1 : 0};
    }
    if (stars && star_step(states, st))
      return {states[st].default_next() + 1, grants_nothing(states[st]) ? star_step_segment : 0};
    return {};
  }
  // Walks the run from `head` while the next state is inside a run and the text stays within
  // max_resource_bytes, appending its steps to run_steps (the caller counts its size into
  // run_bytes or takes the steps back). A start run is literal; a mid-run (`stars`) also
  // passes through star steps, each written as one U+0000 byte.
  // `pairs` (find_mid_runs' step_pairs, or null): the walk reads each state's step there
  // instead of testing the state and reading its transition.
  constexpr run_info walk_run(const bvec<state_rec>& states, const bvec<transition>& ts, u32 head,
                              bool stars, const u32* pairs = nullptr);
  // Appends run r's text to the pool: its segments' bytes, ':'-joined, U+0000 for a star step.
  // A segment of up to 8 bytes is its key (its bytes, zero-padded) in one 8-byte store, into 8
  // bytes of room past the run that are cut off at the end; a longer one is copied.
  constexpr void write_run(const run_info& r);

  // Mid-runs (docs/matcher.md, "Mid-runs"): the same chains of one-way states found anywhere
  // below the entry states, of at least two segments, keeping their states and transitions
  // (a name of at most short_name_bytes still steps through them). A check over a longer
  // name compares the chain's bytes in one go. A state is inside a mid-run only through the
  // states before it, so their bytes are at most those of the paths into them.
  bvec<run_info> mid_runs{arena()};
  // The runs' and mid-runs' states after a pass renumbered them (state st is now id[st]).
  constexpr void renumber_runs(const u32* id) {
    for (auto* list : {&runs, &mid_runs})
      for (auto& r : *list) {
        r.state = id[r.state];
        r.target = id[r.target];
      }
  }
  // With `stars`, mid-runs also pass through star steps (drop_chains finds them again without
  // when it drops nothing). Leaves in the scratch buffer, for drop_chains (mid_run_arrays), per
  // state st its step_of as [2 st] and [2 st + 1] (a run's walk reads the one pair, not the
  // state's record and transition: on deep names those are a cache miss a step); then how many
  // ways lead into st (count_entries).
  constexpr void find_mid_runs(const bvec<state_rec>& states, const bvec<transition>& ts, u32 start,
                               bool stars);
  struct mid_run_arrays {
    u32* step_pairs;  // 2 (count + 1)
    u32* entered;     // count + 1
    u32* spare;       // 2 (count + 1): find_mid_runs' entry and after_step, then drop_chains' (it zeroes them)
  };
  // find_mid_runs' arrays in the scratch buffer, for an automaton of `count` states.
  constexpr mid_run_arrays mid_run_scratch(std::size_t count) noexcept {
    u32* const p = scratch.data();
    return {p, p + 2 * (count + 1), p + 3 * (count + 1)};
  }
  // States inside mid-runs that more than one state leads to (find_mid_runs), for drop_chains.
  bvec<u32> merged_heads{arena()};
  // The most bytes of run text (start runs and mid-runs): matcher_run_text_factor × the
  // patterns' literal bytes + matcher_run_text_slack (layout.hpp). Runs through merged suffix
  // states copy the suffix once per run; beyond this, further mid-runs are not made.
  std::size_t run_text_limit = 0;
  // What the tests vary (one_node_sets, dfa_units are read past build()).
  build_options options;
  bool defer_walk = false;  // walk_on_demand: build() does not call emit_walk
  constexpr bool add_mid_run(const bvec<state_rec>& states, const bvec<transition>& ts, u32 head,
                             bool stars, const u32* pairs);
  // How many ways lead into each state, into `entered` (zeroed).
  constexpr void count_entries(const bvec<state_rec>& states, const bvec<transition>& ts, u32 start,
                               u32* entered) const;
  // Drops the states inside mid-runs of at least mid_run_drop_segments segments that nothing
  // else enters, with their transitions (the head's into the chain included): then only the
  // run's record leads through the chain, and out.chains is set. Not a chain whose head is a
  // fallback target (a fallback follows the head's transitions). Renumbers in place. Right
  // after find_mid_runs (with `stars`), whose arrays it reads.
  constexpr void drop_chains(bvec<state_rec>& states, bvec<transition>& ts, u32& start);
  // The last pass, for automata whose state records exceed matcher_locality_bytes: renumbers
  // the states in depth-first order from the entry states, so that a check's next state is
  // usually beside the one it stands on (a chain's states, a run's head and end, a tenant's
  // subtree share cache lines). Links may then lead to lower numbers, and ts_first no longer
  // describes ts: no pass after it relies on either (emit does not).
  constexpr void order_depth_first(bvec<state_rec>& states, bvec<transition>& ts, u32& start);

  // Lays the states out in the words array, each with its table of short transitions
  // (state_ref), and the transitions on longer segments in the long-edge table (load factor
  // <= 3/4). States become references (offset and table size, see ref_shift): the links, the
  // tables' targets, the entry states. The automaton bound keeps the words of an automaton
  // below max_table_words (dfa_bound); a trie beyond it — over a capability far beyond
  // max_resources, reachable only through detail:: — leaves the tables empty: it grants nothing.
  // (emit.hpp, as the three below.)
  constexpr void emit(bvec<state_rec> states, const bvec<transition>& ts);

  // Writes the mid-runs' bytes to the pool and returns each one's offset. A run whose bytes are
  // the end of another's (the runs through a suffix that minimisation merged) takes that one's
  // last bytes. A run's text is its steps, ':'-joined (segments never hold ':' or U+0000, and
  // equal segments are one sid), so two runs' texts are equal exactly when their steps are,
  // and a suffix of the text that starts a segment is the text of a suffix of the steps: the
  // search works on steps. The runs are indexed by a hash of their steps taken from the last
  // back; each run's proper suffixes are then looked up with the same hash, one step more at
  // a time, so the search reads each run's steps twice (linear in the runs' steps). The others
  // are written in their order; a check reads a run's last word back from its end, which
  // stays in the pool (the bytes before a run of fewer than 8 are the pool's zero bytes or
  // another run's).
  constexpr bvec<u32> mid_run_offsets();

  // Linear probing without wrap-around: overflow slots are appended, and the table always
  // ends with an empty slot, so a lookup needs no bounds check.
  static constexpr void place(std::vector<long_edge_rec>& table, u32 home, const long_edge_rec& rec);
};

// Renumbers in place after a pass: state st stays when id[st] != no_state, as state id[st]
// (ids ascending in st from 0, so a state's new number is never above its old one), its link
// mapped by `to`; of its transitions, those with keep(t) stay (in their order), with their
// targets mapped by `to`. ts is grouped by state (ts_first), so the ranges are rewritten in
// the same pass: a state's new range starts where the kept transitions have got to.
template <class To, class Keep>
constexpr void builder::renumber(bvec<state_rec>& states, bvec<transition>& ts, const u32* id, To to,
                                 Keep keep) {
  const auto count = static_cast<u32>(states.size());
  u32 kept_states = 0, kept = 0;
  for (u32 st = 0; st < count; ++st) {
    // Read before writing: the writes go to indices at most st (states, ts_first) and at most
    // the transition being read (ts).
    const u32 b = ts_first[st], e = ts_first[st + 1];
    if (id[st] == no_state) continue;
    kept_states = id[st] + 1;
    ts_first[id[st]] = kept;
    for (u32 k = b; k < e; ++k)
      if (keep(ts[k])) ts[kept++] = transition{id[st], ts[k].sid, to(ts[k].to)};
    state_rec r = states[st];
    r.map_link(to);
    states[id[st]] = r;
  }
  ts_first[kept_states] = kept;
  ts_first.resize(kept_states + 1);
  states.resize(kept_states);
  ts.resize(kept);
}

}  // namespace detail::cm
CAPMATCH_NAMESPACE_END

// The passes after the trie, one file each, in the order build() runs them (docs/matcher.md,
// "From patterns to an automaton"); a TU that includes only this header gets them too.
// (The member template they share, renumber, is defined above, before any of them: clang 14
// cannot evaluate, in a constant expression, a member template whose first use comes before
// its definition.)
// ---- begin include/capmatch/matcher/minimise.hpp ----
// capmatch — matcher internals: minimisation (docs/matcher.md, step 3).
// SPDX-License-Identifier: MIT

#include <cstddef>
#include <cstdint>
#include <vector>


CAPMATCH_NAMESPACE_BEGIN
namespace detail::cm {

// Merges equivalent states (same masks, same default, same transitions to equivalent
// states): the many states where one pattern ends and nothing follows collapse into one
// per op set. Transitions only go to higher-numbered states (or dead), so one pass from
// the last state down suffices. Renumbers `states` and `ts` in place.
constexpr void builder::minimise(bvec<state_rec>& states, bvec<transition>& ts, u32& start) {
  const auto count = static_cast<u32>(states.size());
  const u32* const first = ts_first.data();  // transitions of state i: [first[i], first[i+1]) in ts
  u32* const rep = scratch_arrays<2>(count + 1);
  u32* const id = rep + (count + 1);
  rep[qualifier_state] = qualifier_state;
  index_map& sigs = lookup;  // the state sets' index is no longer needed
  sigs.reset(count);
  // (a split record's second link is a link too: its flags and the class it leads to)
  auto second = [&](u32 st) { return states[st].splits() ? rep[states[st].split_second()] : no_state; };
  auto hash_of = [&](u32 st) {
    u64 h = mix2(mix2(states[st].trail_ops(), states[st].term_ops() | (states[st].has_fallback() ? fallback_flag : 0)),
                 rep[states[st].default_next()] ^ u64{second(st)} << 32);
    // (one mix per transition: which states are equal does not depend on the hash)
    // (one multiply a transition: mix2's second and its shift bought no fewer probes)
    for (u32 k = first[st]; k < first[st + 1]; ++k) h = (h ^ (u64{ts[k].sid} << 32 | rep[ts[k].to])) * k_state;
    return h;
  };
  auto same = [&](u32 a, u32 b) {
    if (states[a].trail_ops() != states[b].trail_ops() || states[a].term_ops() != states[b].term_ops() ||
        states[a].has_fallback() != states[b].has_fallback() || second(a) != second(b) ||
        rep[states[a].default_next()] != rep[states[b].default_next()] || first[a + 1] - first[a] != first[b + 1] - first[b])
      return false;
    for (u32 k = 0; k < first[a + 1] - first[a]; ++k) {
      const transition& x = ts[first[a] + k];
      const transition& y = ts[first[b] + k];
      if (x.sid != y.sid || rep[x.to] != rep[y.to]) return false;
    }
    return true;
  };
  sigs.insert(hash_of(dead), dead, hash_of);
  for (u32 st = count - 1; st >= 2; --st) {
    const u32 found = sigs.find_or_insert(hash_of(st), st, [&](u32 other) { return same(st, other); }, hash_of);
    rep[st] = found != no_state ? found : st;
  }
  // Renumber the representatives in order; drop the others. In place: a state's new number
  // is never above its old one, and both passes go up.
  u32 next_id = 2;
  id[qualifier_state] = qualifier_state;  // id[dead] = dead (zeroed), rep[dead] = dead too
  for (u32 st = 2; st < count; ++st) id[st] = rep[st] == st ? next_id++ : no_state;
  states[dead] = state_rec{};
  renumber(states, ts, id, [&](u32 next) { return id[rep[next]]; }, [](const transition&) { return true; });
  start = id[rep[start]];
}

}  // namespace detail::cm
CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/matcher/minimise.hpp ----

// ---- begin include/capmatch/matcher/runs.hpp ----
// capmatch — matcher internals: runs and mid-runs (chains of one-way states compared as bytes)
// and the chains they drop (docs/matcher.md, step 4, "Runs", "Mid-runs").
// SPDX-License-Identifier: MIT

#include <cstddef>
#include <cstdint>
#include <vector>


CAPMATCH_NAMESPACE_BEGIN
namespace detail::cm {

// One run's walk: see builder::walk_run.
constexpr builder::run_info builder::walk_run(const bvec<state_rec>& states, const bvec<transition>& ts,
                                              u32 head, bool stars, const u32* pairs) {
  const u32* const first = ts_first.data();
  // (room for the automaton's states and half as many again, reserved at the first run:
  // deep/4096 has 91 000 steps of runs through 70 000 states, so the list seldom grows)
  run_steps.reserve(states.size() + states.size() / 2);
  run_info r{head, 0, static_cast<u32>(run_steps.size()), 0, 0};
  // Each step's segment is read once: by the test whether the run goes
  // on (its size), then as the step.
  bool way = one_way(states, head);  // (the head is a mid-run step: one-way, or a star step)
  u32 at = head, sid = way ? ts[first[head]].sid : no_state;
  std::size_t size = way ? segs[sid].size : 1;
  const auto step = [&](u32 st) {
    return pairs != nullptr ? step_pair{pairs[2 * st], pairs[2 * st + 1]} : step_of(states, ts, st, stars);
  };
  for (;;) {
    run_steps.push_back(sid);
    if (way) ++r.segments;
    else r.wild = true;  // a star step (stars only)
    at = step(at).next - 1;  // (the head is a step, and so is every state inside)
    r.target = at;
    const u32 inside = step(at).inside;
    if (inside == 0) break;
    way = inside != star_step_segment;
    sid = way ? inside - 1 : no_state;
    const std::size_t bytes = way ? segs[sid].size : 1;
    if (size + 1 + bytes > max_resource_bytes) break;
    size += 1 + bytes;  // ':' and the step
  }
  r.steps = static_cast<u32>(run_steps.size()) - r.offset;
  r.size = static_cast<u32>(size);
  return r;
}

// Runs: see builder::runs.
constexpr void builder::compress_runs(bvec<state_rec>& states, bvec<transition>& ts, u32& start) {
  const auto count = static_cast<u32>(states.size());
  const u32* const first = ts_first.data();  // transitions of state i: [first[i], first[i+1]) in ts
  // No entry state one-way: no run. Then every state is kept (each is reachable: the
  // construction makes only reachable states, minimisation keeps one of each class, and
  // links lead to higher numbers, which the pass below relies on too), so the renumbering
  // would be the identity: return before any setup (deep, and most capabilities whose
  // entry states branch).
  bool any_run = one_way(states, start) || one_way(states, states[qualifier_state].default_next());
  for (u32 k = first[qualifier_state]; k < first[qualifier_state + 1] && !any_run; ++k)
    any_run = one_way(states, ts[k].to);
  if (!any_run) return;
  u32* const entry = scratch_arrays<5>(count + 1);
  u32* const entered = entry + (count + 1);
  u32* const run_of = entered + (count + 1);  // the run a state starts
  u32* const keep = run_of + (count + 1);
  u32* const id = keep + (count + 1);
  // Entry states: where a check starts (per qualifier class). Only those that nothing else
  // leads to start runs, so the check looks for a run once, before its loop.
  entry[start] = 1;
  entry[states[qualifier_state].default_next()] = 1;
  for (const auto& t : ts) (t.from == qualifier_state ? entry : entered)[t.to] = 1;
  for (u32 st = 2; st < count; ++st) states[st].for_each_link([&](u32 to) { entered[to] = 1; });
  for (u32 st = 0; st < count; ++st) run_of[st] = no_state;
  for (u32 st = 2; st < count; ++st) {
    if (!entry[st] || entered[st] || !one_way(states, st)) continue;
    run_of[st] = static_cast<u32>(runs.size());
    runs.push_back(walk_run(states, ts, st, false));
    run_bytes += runs.back().size;
  }
  // Keep the states still reachable: from the start states, through defaults, transitions
  // of non-run states, and runs (states are numbered in breadth order of depth: one pass).
  keep[dead] = keep[qualifier_state] = 1;
  keep[start] = 1;
  keep[states[qualifier_state].default_next()] = 1;
  for (u32 st = 1; st < count; ++st) {
    if (!keep[st]) continue;
    states[st].for_each_link([&](u32 to) { keep[to] = 1; });
    if (run_of[st] != no_state) {
      keep[runs[run_of[st]].target] = 1;
      continue;
    }
    for (u32 k = first[st]; k < first[st + 1]; ++k) keep[ts[k].to] = 1;
  }
  // Renumbered in place; a run state's transitions go (its run replaces them).
  u32 next_id = 0;
  for (u32 st = 0; st < count; ++st) id[st] = keep[st] ? next_id++ : no_state;
  renumber(states, ts, id, [&](u32 next) { return id[next]; },
           [&](const transition& t) { return run_of[t.from] == no_state; });
  renumber_runs(id);  // (no mid-runs yet)
  start = id[start];
}

// How many ways lead into each state, into a zeroed array `entered`: transitions, the
// records' links (defaults, fallbacks, split records' second parts), and from outside the
// tables the start state and the start runs' ends (the qualifier classes' entry states are
// entered by the qualifier pseudo-state). The one count of find_mid_runs and drop_chains.
constexpr void builder::count_entries(const bvec<state_rec>& states, const bvec<transition>& ts,
                                      u32 start, u32* entered) const {
  for (const auto& t : ts) ++entered[t.to];
  for (u32 st = 1; st < states.size(); ++st) states[st].for_each_link([&](u32 to) { ++entered[to]; });
  ++entered[start];
  for (const auto& r : runs) ++entered[r.target];
}

// Mid-runs: see builder::mid_runs. After compress_runs (state numbers final; an entry state's
// run has already taken its transitions away, so it is not one-way here).
constexpr void builder::find_mid_runs(const bvec<state_rec>& states, const bvec<transition>& ts,
                                      u32 start, bool stars) {
  // Without a literal transition there are only star steps, which the loop steps as fast.
  if (ts.empty()) return;  // (O(1), before any setup)
  const auto count = static_cast<u32>(states.size());
  scratch_arrays<5>(count + 1);
  const mid_run_arrays a = mid_run_scratch(count);
  u32* const pairs = a.step_pairs;
  u32* const entry = a.spare;
  u32* const after_step = entry + (count + 1);  // some mid-run step (not an entry) leads here
  count_entries(states, ts, start, a.entered);
  entry[start] = 1;
  entry[states[qualifier_state].default_next()] = 1;
  for (const auto& t : ts)
    if (t.from == qualifier_state) entry[t.to] = 1;
  for (u32 st = 2; st < count; ++st) {
    const step_pair p = step_of(states, ts, st, stars);
    if (p.next == 0) continue;
    pairs[2 * st] = p.next;
    pairs[2 * st + 1] = p.inside;
    if (!entry[st]) after_step[p.next - 1] = 1;
  }
  // (a step inside a mid-run, or a one-way one inside a run without `stars`: marked above)
  const auto inside = [&](u32 st) { return pairs[2 * st + 1] != 0; };
  // A head: a mid-run step, not an entry, the next state inside a mid-run too (two segments at
  // least), and not inside a chain that an earlier head covers (a step before it is a head or
  // inside a chain, whose walk goes on into this state). A covered state that more than one
  // state leads to (a suffix that minimisation merged) is kept in merged_heads: the runs
  // through it go on to their end (a check compares on instead of looking up another record:
  // deep/4096 checks 12 % faster than with runs that end there, for 15 % more memory), but
  // they cannot drop it, so drop_chains makes it a head too when it drops chains.
  merged_heads.clear();
  for (u32 st = 2; st < count; ++st) {
    if (entry[st] || pairs[2 * st] == 0 || !inside(pairs[2 * st] - 1)) continue;
    if (inside(st) && after_step[st]) {
      if (a.entered[st] > 1) merged_heads.push_back(st);
      continue;
    }
    add_mid_run(states, ts, st, stars, pairs);
  }
}

// The mid-run that `head` starts, unless it has fewer than two literal segments (stepping
// through star steps costs no more than comparing them) or the run text would exceed
// run_text_limit (a mid-run is optional: without one the check steps). True when added.
constexpr bool builder::add_mid_run(const bvec<state_rec>& states, const bvec<transition>& ts,
                                    u32 head, bool stars, const u32* pairs) {
  const run_info r = walk_run(states, ts, head, stars, pairs);
  if (r.segments < 2 || run_bytes + r.size > run_text_limit) {
    run_steps.resize(r.offset);
    return false;
  }
  run_bytes += r.size;
  mid_runs.push_back(r);
  return true;
}

// Long chains: see builder::drop_chains. After find_mid_runs.
constexpr void builder::drop_chains(bvec<state_rec>& states, bvec<transition>& ts, u32& start) {
  if (mid_runs.empty()) return;  // nothing to drop (O(1), before any setup)
  const auto count = static_cast<u32>(states.size());
  const mid_run_arrays a = mid_run_scratch(count);  // (find_mid_runs': the states are the same)
  const u32* const pairs = a.step_pairs;
  const u32* const entered = a.entered;
  u32* const read_by_fallback = a.spare;
  u32* const drop = read_by_fallback + (count + 1);  // then, in place, the new numbers
  std::fill(read_by_fallback, drop + (count + 1), u32{0});
  // A dropped chain's head loses its transition into the chain: only a check standing at the
  // head may then pass it (by the mid-run record). A fallback reads its target's transitions
  // from another state (tables::step), one segment at a time, so a fallback target keeps all
  // of its transitions: its chain is never dropped.
  for (u32 st = 2; st < count; ++st)
    if (states[st].has_fallback()) read_by_fallback[states[st].fallback()] = 1;
  u32 dropped = 0;
  const auto drop_chain = [&](const run_info& r) {
    if (read_by_fallback[r.state] || r.segments < mid_run_drop_segments) return;
    // The states after the head, up to the first that something else enters too.
    for (u32 at = pairs[2 * r.state] - 1; at != r.target && entered[at] == 1; at = pairs[2 * at] - 1) {
      drop[at] = 1;
      ++dropped;
    }
  };
  for (const auto& r : mid_runs) drop_chain(r);
  // Worth the out-of-line path for every check only when it saves a good share of the states.
  // Otherwise the mid-runs are found again without star steps: those are there to drop
  // chains, and where none are dropped a check of 8 to 64 bytes steps through them anyway
  // (with them, anyq kept 4 bytes per pattern more), while the literal runs they took in help
  // the names over 64 bytes. (find_mid_runs takes the scratch arrays: nothing here reads
  // them after it.)
  if (dropped * mid_run_drop_share < count) {
    if (std::any_of(mid_runs.begin(), mid_runs.end(), [](const run_info& r) { return r.wild; })) {
      run_steps.resize(mid_runs.front().offset);  // (mid-runs come after the start runs' steps)
      for (const auto& r : mid_runs) run_bytes -= r.size;
      mid_runs.clear();
      find_mid_runs(states, ts, start, false);
    }
    return;
  }
  out.chains = true;
  // The merged states inside chains head runs of their own, so that what follows them goes too.
  for (const u32 m : merged_heads)
    if (add_mid_run(states, ts, m, true, pairs)) drop_chain(mid_runs.back());
  // A head whose next state goes loses its one way on: it then holds its run (emit).
  for (auto& r : mid_runs) r.held = drop[pairs[2 * r.state] - 1] != 0;
  // Renumbered in place. A dropped state has one entry, its head's transition or (a star step
  // head) default: the transition goes, the default becomes dead (the record leads on).
  u32* const id = drop;
  u32 next_id = 0;
  for (u32 st = 0; st < count; ++st) id[st] = drop[st] ? no_state : next_id++;
  renumber(states, ts, id, [&](u32 next) { return id[next] == no_state ? dead : id[next]; },
           [&](const transition& t) { return id[t.to] != no_state; });
  renumber_runs(id);
  start = id[start];
}

}  // namespace detail::cm
CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/matcher/runs.hpp ----

// ---- begin include/capmatch/matcher/emit.hpp ----
// capmatch — matcher internals: the tables' emission (the depth-first order of large automata,
// the trie walk's states, the state records with their tables, the long-edge table, the pool of
// run text; docs/matcher.md, "Tables").
// SPDX-License-Identifier: MIT

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>


CAPMATCH_NAMESPACE_BEGIN
namespace detail::cm {

// Depth-first order: see builder::order_depth_first. After drop_chains, before emit.
constexpr void builder::order_depth_first(bvec<state_rec>& states, bvec<transition>& ts, u32& start) {
  const auto count = static_cast<u32>(states.size());
  if (count * sizeof(state_rec) <= matcher_locality_bytes) return;
  const u32* const first = ts_first.data();  // transitions of state i: [first[i], first[i+1]) in ts
  u32* const id = scratch_arrays<2>(count + 1);
  u32* const run_end = id + (count + 1);  // + 1: the state after a run or mid-run it heads
  for (const auto* list : {&runs, &mid_runs})
    for (const auto& r : *list) run_end[r.state] = r.target + 1;
  for (u32 st = 2; st < count; ++st) id[st] = no_state;  // (id[dead] = dead: zeroed)
  id[qualifier_state] = qualifier_state;
  // A state's successors in the order they are numbered: the fallback (read at every segment
  // the state's transitions do not name: beside its first source; numbered last, lead1/4096
  // checked 6 % slower); the literal transitions, in segment order (a kept chain's states
  // before its end); the state after a run (beside its head when the run replaced the
  // transitions into it); the default.
  auto successors = [&](u32 st, auto&& f) {
    if (states[st].has_fallback()) f(states[st].fallback());
    if (states[st].splits()) f(states[st].split_second());
    for (u32 k = first[st]; k < first[st + 1]; ++k) f(ts[k].to);
    if (run_end[st] != 0) f(run_end[st] - 1);
    if (states[st].default_next() != dead && !states[st].has_fallback()) f(states[st].default_next());
  };
  bvec<u32> stack(arena());
  auto push_successors = [&](u32 st) {  // (reversed on the stack: popped in successors' order)
    const std::size_t mark = stack.size();
    successors(st, [&](u32 next) { stack.push_back(next); });
    std::reverse(stack.begin() + static_cast<std::ptrdiff_t>(mark), stack.end());
  };
  // From the entry states in this order: the unqualified start, the other qualifiers' class,
  // the named ones. (Numbering the entry states and their successors first, breadth first, and
  // depth first below them was no faster: scoped and global at 32768 +4 %, deep +2 %.)
  for (u32 k = first[qualifier_state + 1]; k-- > first[qualifier_state];) stack.push_back(ts[k].to);
  stack.push_back(states[qualifier_state].default_next());
  stack.push_back(start);
  u32 next_id = 2;
  while (!stack.empty()) {
    const u32 st = stack.back();
    stack.pop_back();
    if (id[st] != no_state) continue;
    id[st] = next_id++;
    push_successors(st);
  }
  for (u32 st = 2; st < count; ++st)  // (none: every state is reachable; kept in order if not)
    if (id[st] == no_state) id[st] = next_id++;
  permute(states, ts, id, start);  // (ts in place: emit's order stays)
  renumber_runs(id);
}

// The trie walk: see builder::emit_walk. The trie's nodes and edges as they are (star chains
// skipped), emitted like an automaton.
constexpr void builder::emit_walk() {
  out.out_of_line = true;
  out.start = 2;
  out.any_root = 3;
  bvec<state_rec> states = nodes;
  states[qualifier_state].set_star_child(dead);
  const u32* const id = skip_star_chains(states);
  bvec<transition> ts(arena());
  ts.reserve(tedges.size() + qualifier_edges.size());
  for (const auto& e : qualifier_edges) ts.push_back(transition{id[e.node], e.sid, id[e.child]});
  for (const auto& e : tedges) ts.push_back(transition{id[e.node], e.sid, id[e.child]});
  emit(std::move(states), ts);
}

// Layout: see builder::emit.
constexpr void builder::emit(bvec<state_rec> states, const bvec<transition>& ts) {
  const std::size_t count = states.size();
  std::size_t n_long = 0;
  for (const auto& r : mid_runs) n_long += r.held ? 0 : 1;
  // In the scratch buffer (free once the passes are done): per state, its short transitions
  // (| any_transition when it has a literal transition), then its table's entries; per state,
  // its reference; per segment, a long segment's pool offset + 1 (0: not placed yet).
  const std::size_t width = std::max(count, segs.size());
  u32* const entries = scratch_arrays<3>(width);
  u32* const refs = entries + width;
  u32* const pool_at = refs + width;
  constexpr u32 any_transition = u32{1} << 31;
  for (const auto& t : ts) {
    entries[t.from] |= any_transition;
    if (segs[t.sid].size <= 8) ++entries[t.from];
    else ++n_long;
  }
  // The qualifier pseudo-state of a capability without named qualifiers or `[*]` patterns has
  // no transition and a blank record, the dead state's: it is emitted as the dead state (16
  // bytes less per matcher, a quarter of a one-pattern capability's tables). Any other state
  // like that is dead already (minimisation merges it); this one keeps its number while
  // building, since the passes find the qualifier classes through it.
  const bool qualifier_dead = entries[qualifier_state] == 0 && states[qualifier_state].blank();
  std::size_t words = 0;
  for (std::size_t i = 0; i < count && words <= max_table_words; ++i) {
    if (i == qualifier_state && qualifier_dead) {
      refs[i] = refs[dead];
      continue;
    }
    const u32 shorts = entries[i] & ~any_transition;
    entries[i] = entries[i] == 0 ? 0 : table_entries(shorts == 0 ? 1 : shorts);
    const u32 k = entries[i] == 0 ? 0 : static_cast<u32>(std::countr_zero(entries[i]));
    refs[i] = make_ref(static_cast<u32>(words), k);
    words += record_words + entry_words * std::size_t{entries[i]};
  }
  if (words > max_table_words) return;
  out.state_count = static_cast<u32>(count - (qualifier_dead ? 1 : 0));
  out.words.assign(words, 0);
  const auto reference = [refs](u32 st) { return refs[st]; };
  // An empty long-edge table stays empty: lookups then probe a shared empty slot (storage::view).
  // Load <= 3/4 (2/3 until session 23): 1-5 bytes per pattern less where tenant ids are 9
  // bytes or longer, +0.3-1.1 % instructions per check (bench/RESULTS.md, "Session 23").
  out.long_cap = n_long == 0 ? 0 : static_cast<u32>(n_long + n_long / 3 + 1);
  out.long_edges.assign(n_long == 0 ? 0 : out.long_cap + 1, long_edge_rec{});
  for (const auto& t : ts) {
    const seg_info& g = segs[t.sid];
    const u64 hk = g.key * k_mul;
    states[t.from].add_filter_bit(filter_bit(hk));
    if (g.size <= 8) {
      state_ref::store_short(out.words.data() + offset_of(refs[t.from]) + record_words, table_log2(refs[t.from]),
                             g.key, hk, refs[t.to]);
    } else {
      if (pool_at[t.sid] == 0) {  // each segment's bytes once
        const auto p = static_cast<u32>(out.pool.size());
        pool_at[t.sid] = p + 1;
        const std::string_view bytes = seg_view(t.sid);
        out.pool.insert(out.pool.end(), bytes.begin(), bytes.end());
        if (bytes.size() < 16) out.pool.resize(p + 16, '\0');  // compared as two padded words
      }
      const u32 off = pool_at[t.sid] - 1;
      place(out.long_edges, home_slot(hk, state_hash(refs[t.from]), out.long_cap),
            long_edge_rec{long_tag(g.key, g.size), refs[t.from], refs[t.to], off});
    }
  }
  // Runs: their bytes in the pool. A check reads a run 8 bytes at a time and its last word
  // as the one ending at the run's end, which reaches back before the start of a run shorter
  // than 8 bytes: so those come after the others, with zero bytes before them only if the
  // pool is still too short. No run needs padding after it.
  for (const bool short_ones : {false, true})
    for (const auto& r : runs) {
      if ((r.size < 8) != short_ones) continue;
      if (out.pool.size() + r.size < 8) out.pool.resize(8 - r.size, '\0');
      states[r.state].set_run(static_cast<u32>(out.pool.size()), r.size, r.target);
      write_run(r);
    }
  // Mid-runs (at least two segments, so never under 3 bytes): held by their heads when the
  // chain was dropped, else their records in the long-edge table (the filter does not get
  // their bit: only a mid-run head's run_length() leads there). Their bytes go to the pool
  // once: a run whose bytes end another's (the runs through a suffix that minimisation
  // merged) points into that one's (mid_run_offsets).
  const bvec<u32> run_at = mid_run_offsets();
  for (std::size_t i = 0; i < mid_runs.size(); ++i) {
    const run_info& r = mid_runs[i];
    if (r.held) {
      states[r.state].set_held_run(run_at[i], r.size, r.target, r.wild);
    } else {
      states[r.state].set_mid_run(r.size);
      place(out.long_edges, home_slot(mid_run_key * k_mul, state_hash(refs[r.state]), out.long_cap),
            long_edge_rec{mid_run_tag_of(r.size), refs[r.state], refs[r.target], run_at[i] | (r.wild ? wild_run : 0)});
    }
  }
  // The records, their links (the default transition, trie: the `*` child) as references.
  for (std::size_t i = 0; i < count; ++i) {
    if (i == qualifier_state && qualifier_dead) continue;  // (dead's record)
    states[i].map_link(reference);
    states[i].write(out.words.data() + offset_of(refs[i]), entries[i]);
  }
  out.start = refs[out.start];
  out.any_root = refs[out.any_root];
  out.qualifier_root = refs[qualifier_state];
  // The quick qualifiers: the first few short qualifier names, in pattern order.
  std::size_t quick = 0;
  out.quick_all = true;
  for (const auto& t : ts) {
    const std::string_view q = seg_view(t.sid);
    if (t.from != qualifier_state || q.size() > quick_qualifier_bytes) continue;
    if (quick == quick_qualifiers) {
      out.quick_all = false;
      continue;
    }
    const std::size_t size = q.size() + 2;  // "[" q "]", at most 8 bytes
    const u64 key = u64{'['} | word_at(q, 0) << 8 | u64{']'} << (8 * (size - 1));
    out.quick[quick++] = quick_qualifier{key, ~u64{0} >> (64 - 8 * size), refs[t.to], static_cast<u32>(size)};
  }
}

// Mid-runs' bytes: see builder::mid_run_offsets.
constexpr bvec<u32> builder::mid_run_offsets() {
  const std::size_t n = mid_runs.size();
  // None (most small capabilities): nothing to place, and the pool is not reserved again
  // (O(1), before any setup). The search for shared run text below needs two runs or more.
  if (n == 0) return {};
  const u32* const steps = run_steps.data();
  bvec<u32> host(n, 0, arena()), at(n, 0, arena());  // (host[0] = 0: the first run is its own)
  // (one multiply a step: only equal steps need equal hashes, and index_map mixes h again)
  const auto step_hash = [](u64 h, u32 step) { return (h ^ step) * k_mul; };
  const auto steps_hash = [&](u32 b, u32 e) {
    u64 h = 0;
    for (u32 k = e; k-- > b;) h = step_hash(h, steps[k]);
    return h;
  };
  // Run j's steps equal [b, e)
  const auto same_steps = [&](u32 j, u32 b, u32 e) {
    const run_info& r = mid_runs[j];
    if (r.steps != e - b) return false;
    for (u32 k = 0; k < r.steps; ++k)
      if (steps[r.offset + k] != steps[b + k]) return false;
    return true;
  };
  // Which runs' bytes end another's (host[i] = i: its own), searched when there are two runs or
  // more (with one there is nothing to share: no index or filter to set up; 3.5 % of the
  // instructions of a one-pattern build whose `*:room:x` makes one mid-run, bench/ lead10/1).
  if (n > 1) {
    index_map& runs_by_steps = lookup;  // the constructions' index is no longer needed
    runs_by_steps.reset(n);  // (room for every run: it never grows, so never rehashes)
    const auto rehash = [&](u32 j) { return steps_hash(mid_runs[j].offset, mid_runs[j].offset + mid_runs[j].steps); };
    // One bit per indexed run's hash (its top bits), in 16 bits or more per run: most proper
    // suffixes are no run's steps, and a clear bit says so without a probe of the index (a
    // random read in a table of 8 bytes per run or more; deep/4096's mid_run_offsets read 8 %
    // of its build's samples).
    std::size_t filter_bits = 64;
    while (filter_bits < 16 * n) filter_bits *= 2;
    bvec<u64> filter(filter_bits / 64, 0, arena());
    const int filter_shift = 64 - std::countr_zero(filter_bits);
    for (std::size_t i = 0; i < n; ++i) {
      const u32 b = mid_runs[i].offset, e = b + mid_runs[i].steps;
      const u64 h = steps_hash(b, e);
      host[i] = runs_by_steps.find(h, [&](u32 j) { return same_steps(j, b, e); });  // the same steps: the same bytes
      if (host[i] == no_state) {
        host[i] = static_cast<u32>(i);
        runs_by_steps.insert(h, static_cast<u32>(i), rehash);
        filter[h >> filter_shift >> 6] |= u64{1} << (h >> filter_shift & 63);
      }
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (host[i] != i) continue;
      const u32 b = mid_runs[i].offset, e = b + mid_runs[i].steps;
      u64 h = 0;
      for (u32 k = e; k-- > b + 1;) {  // each proper suffix [k, e)
        h = step_hash(h, steps[k]);
        if ((filter[h >> filter_shift >> 6] >> (h >> filter_shift & 63) & 1) == 0) continue;
        const u32 j = runs_by_steps.find(h, [&](u32 r) { return host[r] == r && same_steps(r, k, e); });
        if (j != no_state) host[j] = static_cast<u32>(i);
      }
    }
  }
  // A host may be hosted in turn (its bytes the end of a longer run's): its root holds them.
  const auto root = [&](u32 i) {
    while (host[i] != i) i = host[i];
    return i;
  };
  std::size_t hosted_bytes = 8;  // (the pool grows once, not by doubling: each growth copies it)
  for (std::size_t i = 0; i < n; ++i) hosted_bytes += host[i] == i ? mid_runs[i].size : 0;
  out.pool.reserve(out.pool.size() + hosted_bytes);
  for (std::size_t i = 0; i < n; ++i) {
    const run_info& r = mid_runs[i];
    if (host[i] != i) continue;
    if (out.pool.size() + r.size < 8) out.pool.resize(8 - r.size, '\0');
    at[i] = static_cast<u32>(out.pool.size());
    write_run(r);
  }
  for (std::size_t i = 0; i < n; ++i)
    if (const u32 h = root(static_cast<u32>(i)); h != i) at[i] = at[h] + mid_runs[h].size - mid_runs[i].size;
  return at;
}

// Run text: see builder::write_run.
constexpr void builder::write_run(const run_info& r) {
  const std::size_t p = out.pool.size();
  out.pool.resize(p + r.size + 8, '\0');  // (with a value: clang cannot evaluate libstdc++'s default-initialising fill)
  char* o = out.pool.data() + p;
  for (u32 i = 0; i < r.steps; ++i) {
    if (i != 0) *o++ = ':';
    const u32 sid = run_steps[r.offset + i];
    if (sid == no_state) {
      *o++ = '\0';
      continue;
    }
    const u32 n = segs[sid].size;
    if (n <= 8) store8(o, segs[sid].key);
    else copy_bytes(o, seg_text.data() + segs[sid].offset, n);
    o += n;
  }
  out.pool.resize(p + r.size);
}

// The long-edge table's insertion: see builder::place.
constexpr void builder::place(std::vector<long_edge_rec>& table, u32 home, const long_edge_rec& rec) {
  std::size_t i = home;
  while (table[i].from != no_state) ++i;
  table[i] = rec;
  if (i + 1 == table.size()) table.push_back(long_edge_rec{});
}

}  // namespace detail::cm
CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/matcher/emit.hpp ----

// ---- end include/capmatch/matcher/builder.hpp ----


CAPMATCH_NAMESPACE_BEGIN
namespace detail::cm {

// Subset construction over the trie. Returns false (leaving `out` untouched) when the states +
// transitions it stores would exceed the documented bound (dfa_bound), or its work would exceed
// its budget: the bound itself for the plain construction, matcher_fallback_work_factor × the
// bound with fallbacks (layout.hpp). With `fallbacks`, a state S = T ∪ W (primary nodes T:
// literal-led, not `[*]`, and everything below them) holds only the transitions on T's segments
// and falls back, for every other segment, to W's state when T has no `*` child, else to W plus
// a stand-in per `*` child of T (docs/matcher.md, "Fallback transitions").
template <bool Fallbacks>
constexpr bool builder::determinise() {
  constexpr bool fallbacks = Fallbacks;
  const std::size_t limit = dfa_bound();
  const std::size_t budget = fallbacks ? matcher_fallback_work_factor * limit : limit;
  // Primary nodes: the roots of unqualified and named-qualifier patterns and what their literal
  // edges lead to (a child always comes after its parent, so one pass in node order).
  // Everything below a primary node that is not a root is primary too, `*` children included
  // (a root's `*` child leads the star-led patterns, which are W).
  bvec<u8> primary(fallbacks ? nodes.size() : 0, 0, arena());
  if (fallbacks) {
    bvec<u8> root(nodes.size(), 0, arena());
    root[2] = primary[2] = 1;
    for (const auto& q : qualifier_edges) root[q.child] = primary[q.child] = 1;
    // A child always comes after its parent, and tedges is sorted by node: one pass in node order.
    std::size_t k = 0;
    for (u32 node = 0; node < nodes.size(); ++node) {
      for (; k < tedges.size() && tedges[k].node == node; ++k)
        if (primary[node]) primary[tedges[k].child] = 1;
      if (const u32 star = nodes[node].star_child(); star != dead && primary[node] && !root[node]) primary[star] = 1;
    }
  }

  bvec<u32> set_items(arena());    // the trie nodes of every state, concatenated
  bvec<u32> set_offsets(arena());  // state i: [set_offsets[i], set_offsets[i+1]); 0 dead, 1 qualifier
  index_map& set_index = lookup;
  set_index.reset(nodes.size());
  set_items.reserve(2 * nodes.size());
  // (The states and transitions often exceed the trie's nodes and edges a little: deep/4096
  // makes 76 057 states of 75 325 nodes, 70 786 transitions of 67 935 edges. Sized at 3/2 of
  // those, most constructions copy none of the three arrays to grow them.)
  set_offsets.reserve(nodes.size() + nodes.size() / 2 + 3);
  for (int i = 0; i < 3; ++i) set_offsets.push_back(0);
  // (one multiply an item: only equal sets need equal hashes, and index_map mixes h again)
  auto set_hash = [](const u32* p, std::size_t n) {
    u64 h = n;
    for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * k_mul;
    return h;
  };
  auto hash_of_state = [&](u32 st) {
    return set_hash(set_items.data() + set_offsets[st], set_offsets[st + 1] - set_offsets[st]);
  };
  set_index.insert(set_hash(nullptr, 0), dead, hash_of_state);
  bvec<transition> ts(arena());
  std::size_t stored = 2;  // states (dead and the qualifier pseudo-state so far) + transitions: what the bound limits
  std::size_t work = 2;
  bool over = false;
  bvec<u32> depth(fallbacks ? 2 : 0, 0, arena());  // per state: segments from an entry state (fallbacks only)
  u32 at_depth = 0;              // the depth of the states state_of creates
  // A set of one trie node (most sets: every state of a path that no wildcard reaches) is
  // interned by the node, in a direct array: no hash, no probe. Other sets go through set_index,
  // a set of one fallback stand-in (x | star_only, not a node number) too. The states and their
  // numbers are the same either way: only the lookup differs. The array is the scratch buffer's
  // (state + 1, 0 when none; its first use, so the later passes reuse its memory).
  u32* const single_state = scratch_arrays<1>(nodes.size());
  // A new state for the set [p, p + n) (not interned yet): its number.
  auto new_state = [&](const u32* p, std::size_t n) -> u32 {
    const auto id = static_cast<u32>(set_offsets.size() - 1);
    set_items.append(p, p + n);
    set_offsets.push_back(static_cast<u32>(set_items.size()));
    if (fallbacks) depth.push_back(at_depth);
    work += 1 + n;  // a state, and the set elements that stand for it
    if (++stored > limit || work > budget) over = true;
    return id;
  };
  // The state for the set of one trie node (interned).
  auto single_of = [&](u32 node) -> u32 {
    if (const u32 found = single_state[node]; found != 0) return found - 1;
    const u32 id = new_state(&node, 1);
    single_state[node] = id + 1;
    return id;
  };
  // The state for a sorted, duplicate-free set of trie nodes [p, p + n) (interned).
  auto state_of_items = [&](const u32* p, std::size_t n) -> u32 {
    if (n == 0) return dead;  // the empty set, interned first (every state with no `*` child defaults to it)
    if (n == 1 && p[0] < nodes.size()) return single_of(p[0]);
    const u64 h = set_hash(p, n);
    const u32 found = set_index.find_or_insert(
        h, static_cast<u32>(set_offsets.size() - 1),  // new_state's number
        [&](u32 st) {
          const u32 b = set_offsets[st], e = set_offsets[st + 1];
          if (e - b != n) return false;
          for (u32 i = 0; i < n; ++i)
            if (set_items[b + i] != p[i]) return false;
          return true;
        },
        hash_of_state);
    if (found != no_state) return found;
    return new_state(p, n);
  };
  auto state_of = [&](const bvec<u32>& set) -> u32 { return state_of_items(set.data(), set.size()); };
  // Leaves (fallbacks only): trie nodes with no live edge and no live `*` child, which add
  // only their ops to a state.
  bvec<u8> leaf(fallbacks ? nodes.size() : 0, 0, arena());
  for (u32 node = 0; node < leaf.size(); ++node) {
    const u32 star = nodes[node].star_child();
    bool leads = star != dead && live(star);
    for (u32 k = node_edges[node]; k < node_edges[node + 1] && !leads; ++k) leads = live(tedges[k].child);
    leaf[node] = leads ? 0 : 1;
  }
  bvec<u32> set(arena());
  set.reserve(8);  // one allocation for the sets of small capabilities instead of a growth sequence
  auto start_set = [&](u32 a, u32 b) {
    set.clear();
    if (a != dead && live(a)) set.push_back(a);
    if (b != dead && live(b)) set.push_back(b);
    std::sort(set.begin(), set.end());
    return state_of(set);
  };

  bvec<state_rec> states(arena());
  states.reserve(nodes.size() + nodes.size() / 2 + 3);
  states.resize(3);
  ts.reserve(tedges.size() + tedges.size() / 2 + qualifier_edges.size());
  const u32 start = start_set(2, 3);
  for (const auto& q : qualifier_edges) ts.push_back(transition{qualifier_state, q.sid, start_set(q.child, 3)});
  stored += qualifier_edges.size();
  // The named qualifiers' entry states are made before the other qualifiers' one: an entry
  // {q, [*] root} of the plain construction falls back to it (below), and a link leads to a
  // higher number.
  const u32 entries_end = static_cast<u32>(set_offsets.size() - 1);
  const u32 other = start_set(3, dead);
  states[qualifier_state].set_default_next(other);
  const std::size_t any_edges = live_edges(3);  // (entry_falls_back)

  // In a fallback target's set, a `*` child x of one of T's nodes stands as x | star_only: a
  // node with no edges and no grants whose `*` child is x (trie nodes are fewer than 2^31).
  constexpr u32 star_only = u32{1} << 31;
  bvec<u32> stars(arena()), tstars(arena()), rest(arena()), named_sids(arena());
  bvec<trie_edge> gathered(arena());
  // Each node's edges are gathered in (segment, child) order, so `gathered` is a few sorted
  // runs: many edges are merged run by run (`blocks`: where each run begins; through `merged`).
  bvec<trie_edge> merged(arena());
  bvec<u32> blocks(arena()), merged_blocks(arena());
  const auto by_segment = [](const trie_edge& x, const trie_edge& y) {
    return x.sid != y.sid ? x.sid < y.sid : x.child < y.child;
  };
  // The size of the sets the one-node path takes: 1, or (no set is empty) none when the tests
  // compare it with the general case (build_options::one_node_sets).
  const u32 one_node = options.one_node_sets ? 1 : 0;
  for (u32 st = 2; st + 1 < set_offsets.size() && !over; ++st) {
    const u32 b = set_offsets[st], e = set_offsets[st + 1];
    state_rec rec;
    if (!fallbacks && e - b == one_node) {
      // One trie node (most states: a path below a node that no wildcard reaches): its live
      // edges are already in segment order, each leads to {child} ∪ {its `*` child}. The same
      // states, numbers, transitions and counts as the general case below, without gathering
      // and sorting.
      const u32 node = set_items[b];
      rec.add_trail_ops(nodes[node].trail_ops());
      rec.add_term_ops(nodes[node].term_ops());
      const u32 star = nodes[node].star_child();
      const bool has_star = star != dead && live(star);
      const u32 kb = node_edges[node], ke = node_edges[node + 1];
      // (The general case counts the gathered edges into `work` before making the default's
      // state; counted as each transition is made here, `over` ends the same: every
      // transition's own test sees at least the work that test saw.)
      rec.set_default_next(has_star ? single_of(star) : dead);
      for (u32 k = kb; k < ke; ++k) {
        const u32 child = tedges[k].child;
        if (!live(child)) continue;
        ++work;
        u32 to;
        if (!has_star) {
          to = single_of(child);
        } else {
          const u32 pair[2] = {child < star ? child : star, child < star ? star : child};
          to = child == star ? single_of(child) : state_of_items(pair, 2);
        }
        ts.push_back(transition{st, tedges[k].sid, to});
        if (++stored > limit || ++work > budget) over = true;
      }
      if (states.size() == st) states.push_back(rec);
      else states[st] = rec;
      continue;
    }
    // A fallback target with stand-ins, F = W ∪ {x̂ : x a `*` child of T}: a split record
    // instead of F's transitions. A segment moves F to W's move on it ∪ {x : x̂ in F}, so a
    // check looks the segment up in W's state (as through a fallback) and runs the rest of
    // the name from the state of the x's apart, or-ing the answers. F's own transitions, one
    // per segment W names, and every state below them copied W's part once per tenant with a
    // `*` child (docs/matcher.md, "Split fallback targets"). The stand-ins sort last.
    if (fallbacks && (set_items[e - 1] & star_only) != 0 && (set_items[b] & star_only) == 0) {
      u32 j = b;
      while ((set_items[j] & star_only) == 0) ++j;
      rest.clear();
      for (u32 i = b; i < j; ++i) rest.push_back(set_items[i]);  // (copied: state_of may grow set_items)
      set.clear();
      for (u32 i = j; i < e; ++i) set.push_back(set_items[i] & ~star_only);  // (sorted, distinct)
      at_depth = depth[st];
      const u32 first_part = state_of(rest);
      at_depth = depth[st] + 1;
      rec.set_split(first_part, state_of(set));
      if (states.size() == st) states.push_back(rec);
      else states[st] = rec;
      continue;
    }
    // A named qualifier's entry state {q, [*] root}, q without a `*` child, in the plain
    // construction (entry_falls_back): a segment q's edges do not name moves it as it moves
    // {[*] root}, the other qualifiers' entry state. It takes the fallback construction's
    // path below with T = {q} and W = {[*] root}: only the transitions on q's segments, and a
    // fallback to W's state. Without this, every named qualifier's entry copies the [*] root's
    // edges (bench/ quals). Only entry states fall back in this construction: a check of a
    // name of such a class steps its first segment with the fallback and the rest in the
    // plain loop (header::entry_fallbacks, tables::from_fallback_entry; docs/matcher.md,
    // "Entry fallbacks in the plain construction").
    const u32 entry_t = !fallbacks && st < entries_end && st < other && e - b == 2 && set_items[b] == 3 &&
                                entry_falls_back(set_items[b + 1], live_edges(set_items[b + 1]), any_edges)
                            ? set_items[b + 1]
                            : no_state;
    // T's nodes: with fallbacks the primary ones; in the plain construction such an entry's q.
    const auto in_t = [&](u32 node) { return fallbacks ? primary[node] != 0 : node == entry_t; };
    stars.clear();
    gathered.clear();
    rest.clear();  // with a fallback: the nodes that are not primary (W)
    bool fallback = fallbacks || entry_t != no_state;
    std::size_t primaries = 0, others = 0;
    tstars.clear();
    for (u32 i = b; i < e; ++i) {
      const u32 node = set_items[i];
      if (node & star_only) {  // a fallback target's stand-in for a `*` child of T (below)
        stars.push_back(node & ~star_only);
        continue;
      }
      rec.add_trail_ops(nodes[node].trail_ops());
      rec.add_term_ops(nodes[node].term_ops());
      if (const u32 star = nodes[node].star_child(); star != dead && live(star)) {
        stars.push_back(star);
        if (fallback && in_t(node)) tstars.push_back(star | star_only);
      }
      if (fallback) {
        if (in_t(node)) ++primaries;
        else ++others, rest.push_back(node);
      }
    }
    fallback = fallback && primaries != 0 && others != 0;
    // Leaves (no live edge, no live `*` child) add only their ops to S, which S already has:
    // a fallback target needs none of them (its own ops are never read through a fallback).
    // A state of leaves and other nodes, nothing primary among them, falls back to the others'
    // state with no transitions of its own (`[*]*:y` beside `*:*:x`: the state after `y`
    // otherwise copies every `x`).
    bool leaf_fallback = false;
    if (fallbacks) {
      std::size_t leaves = 0;
      for (u32 i = b; i < e; ++i)
        if ((set_items[i] & star_only) == 0 && leaf[set_items[i]]) ++leaves;
      if (leaves != 0) {
        if (fallback) {
          rest.erase(std::remove_if(rest.begin(), rest.end(), [&](u32 node) { return leaf[node] != 0; }), rest.end());
          // W all leaves and no `*` child in T: a segment T does not name leads nowhere (the
          // default, dead, without the fallback's out-of-line check).
          fallback = !rest.empty() || !tstars.empty();
        } else if (leaves != e - b) {
          leaf_fallback = true;
          rest.clear();
          for (u32 i = b; i < e; ++i)
            if ((set_items[i] & star_only) != 0 || !leaf[set_items[i]]) rest.push_back(set_items[i]);
        }
      }
    }
    if (leaf_fallback) {
      // no transitions and no default: the fallback answers every segment
    } else if (!fallback) {
      for (u32 i = b; i < e; ++i)
        if ((set_items[i] & star_only) == 0)
          for (u32 k = node_edges[set_items[i]]; k < node_edges[set_items[i] + 1]; ++k)
            if (live(tedges[k].child)) gathered.push_back(tedges[k]);
    } else {
      // Only the edges on T's segments are kept: T's, then W's on those segments, each
      // found in its node's range (sorted by segment) instead of gathering and sorting all of W's.
      named_sids.clear();
      for (u32 i = b; i < e; ++i)
        if (in_t(set_items[i]))
          for (u32 k = node_edges[set_items[i]]; k < node_edges[set_items[i] + 1]; ++k)
            if (live(tedges[k].child)) gathered.push_back(tedges[k]), named_sids.push_back(tedges[k].sid);
      std::sort(named_sids.begin(), named_sids.end());
      named_sids.erase(std::unique(named_sids.begin(), named_sids.end()), named_sids.end());
      for (u32 i = b; i < e; ++i) {
        const u32 node = set_items[i];
        if (in_t(node) || node_edges[node] == node_edges[node + 1]) continue;
        const auto first = tedges.begin() + node_edges[node], last = tedges.begin() + node_edges[node + 1];
        for (const u32 sid : named_sids) {
          const auto it = std::lower_bound(first, last, sid, [](const trie_edge& x, u32 v) { return x.sid < v; });
          if (it != last && it->sid == sid && live(it->child)) gathered.push_back(*it);
        }
      }
    }
    std::sort(stars.begin(), stars.end());
    // Many edges: bottom-up merges of the sorted runs (found where the order breaks), two at a
    // time (n log(runs) where sorting takes n log n); up to 16: sorted (std::sort's insertion
    // sort, cheaper than the merges' bookkeeping). Either gives the one order: an edge is the
    // only way into its child, so no two edges share (segment, child).
    if (gathered.size() <= 16) {
      if (e - b > 1) std::sort(gathered.begin(), gathered.end(), by_segment);
    } else {
      blocks.assign(1, 0);
      for (u32 k = 1; k < gathered.size(); ++k)
        if (by_segment(gathered[k], gathered[k - 1])) blocks.push_back(k);
      while (blocks.size() > 1) {
        const std::size_t n = gathered.size();
        merged.resize(n);
        merged_blocks.clear();
        for (std::size_t k = 0; k < blocks.size(); k += 2) {
          const std::size_t lo = blocks[k], mid = k + 1 < blocks.size() ? blocks[k + 1] : n,
                            hi = k + 2 < blocks.size() ? blocks[k + 2] : n;
          merged_blocks.push_back(static_cast<u32>(lo));
          std::merge(gathered.begin() + lo, gathered.begin() + mid, gathered.begin() + mid, gathered.begin() + hi,
                     merged.begin() + lo, by_segment);
        }
        gathered.swap(merged);
        blocks.swap(merged_blocks);
      }
    }
    if (fallbacks) at_depth = depth[st];
    if (leaf_fallback) rec.set_fallback(state_of(rest));
    if (fallback) {
      // A segment T's edges do not name moves S as it moves W ∪ {a stand-in for each of T's `*`
      // children}: only the transitions on T's segments were gathered (each still goes to T's
      // children ∪ every `*` child ∪ W's move). Without `*` children in T that is W's state.
      if (!tstars.empty()) {
        std::sort(tstars.begin(), tstars.end());
        tstars.erase(std::unique(tstars.begin(), tstars.end()), tstars.end());
        rest.append(tstars.begin(), tstars.end());  // after every node: still sorted
      }
      rec.set_fallback(state_of(rest));
    }
    work += gathered.size();
    if (fallbacks) at_depth = depth[st] + 1;
    if (!fallback && !leaf_fallback) rec.set_default_next(state_of(stars));
    for (std::size_t i = 0; i < gathered.size();) {
      std::size_t j = i;
      set.clear();
      while (j < gathered.size() && gathered[j].sid == gathered[i].sid) set.push_back(gathered[j++].child);
      if (!stars.empty()) {
        set.append(stars.begin(), stars.end());
        // Not std::inplace_merge: it is not constexpr (it may allocate), and construction must be.
        std::sort(set.begin(), set.end());
      }
      ts.push_back(transition{st, gathered[i].sid, state_of(set)});
      if (++stored > limit || ++work > budget) over = true;
      i = j;
    }
    if (states.size() == st) states.push_back(rec);  // states come in order (2 exists already)
    else states[st] = rec;
  }
  if (over) return false;
  states.resize(set_offsets.size() - 1);
  u32 first_state = start;
  // The transitions' ranges per state, for every pass after this one (ts_first): the plain
  // construction emits them grouped by state (the qualifier state's, then state 2's, ... each
  // by segment); with fallbacks, the depth order regroups them and yields the ranges.
  // node_edges is not read after a construction that succeeded: its memory serves ts_first.
  ts_first.swap(node_edges);
  if (fallbacks) order_by_depth(states, ts, first_state, depth, set_offsets.data(), ts_first);
  else owner_ranges(ts, ts_first, states.size(), [](const transition& t) { return t.from; });
  minimise(states, ts, first_state);
  compress_runs(states, ts, first_state);
  find_mid_runs(states, ts, first_state, true);
  drop_chains(states, ts, first_state);
  order_depth_first(states, ts, first_state);
  out.walk = false;
  bool any_fallback = false;
  for (const auto& st : states) any_fallback = any_fallback || st.has_fallback();
  // (the plain construction's fallbacks are at named qualifiers' entry states only)
  out.fallbacks = fallbacks && any_fallback;
  out.entry_fallbacks = !fallbacks && any_fallback;
  out.out_of_line = out.chains || out.fallbacks;
  out.start = first_state;
  emit(std::move(states), ts);
  return true;
}

constexpr bool builder::determinise_plain() { return determinise<false>(); }
constexpr bool builder::determinise_with_fallbacks() { return determinise<true>(); }

// Lower bounds on what the two constructions must make, from states each distinct from every
// other counted (each holds a trie node that no other one holds). A construction stops only
// beyond its budget, and what it counts only grows, so a lower bound beyond the budget means it
// returns false: skipping it changes no result, only the build's time.
//
// determinise<false>(), its work (budget: the bound):
// - the entry state {q, [*] root} of each named qualifier q: 1 + its gathered edges (q's and
//   the `[*]` root's live edges) + one transition per distinct segment among them (at least
//   the larger count); when it falls back to {[*] root} (entry_falls_back), 1 + q's live edges
//   gathered + a transition for each. The `[*]`-beside-many-qualifiers shape (bench/ quals at
//   N = 4096).
// - the state after each literal path of d segments from a root R (unqualified or named) to a
//   live node n: it holds n and, as `*` matches any segment, R's and the `[*]` root's star
//   chains at depth d, R.*^d and [*].*^d, when live: 1 + those nodes + their live edges
//   gathered + one transition per distinct segment (at least the largest count). `*:*:x` or
//   `[*]*:y` beside many tenant-scoped paths (bench/ lead1, lead10): the plain construction
//   copies the chains' edges into every path's state.
// - the state after each literal path from the `[*]` root to a live node m, in the run of the
//   other qualifiers' class (entry {[*] root}): m and [*].*^d, counted as above.
// determinise<true>(), what it stores (budget: the bound; its work's budget is larger):
// - the state after each such path from R: n is primary, so its state keeps n's transitions:
//   1 + n's live edges;
// - the state after each literal path from the `[*]` root to a node m that is not a leaf:
//   the unqualified name's run stands on m with [*].*^d and the unqualified root's *^d, and
//   the state that holds them without a primary node (the run's own, or its fallback target,
//   or that one's leafless target, or a split record's first part) copies every transition of
//   theirs: 1 + the largest count; where the unqualified *^d has edges, the other qualifiers'
//   run (without it) makes a second such state. `[*]tenantK:…` beside `[*]*:y` (bench/ lead1
//   and lead10 at 32768, lead10 at 4096). But when the unqualified root has a `*` child and
//   does not name the path's first segment, the unqualified run splits at its first segment
//   (a split record: the `[*]` part and the unqualified root's `*` part run apart), and only
//   the other qualifiers' state is made: counted once.
constexpr builder::bounds builder::bounds_exceeded() const {
  const std::size_t limit = dfa_bound();
  bounds out;
  const std::size_t any = live(3) ? live_edges(3) : 0;
  std::size_t plain = 2;
  for (const auto& q : qualifier_edges) {
    if (!live(q.child)) continue;  // its entry state is {[*] root}, shared
    const std::size_t own = live_edges(q.child);
    // (an entry that falls back gathers q's edges, at most as many of the [*] root's, and
    // makes a transition per q's edge)
    plain += entry_falls_back(q.child, own, any) ? 1 + 2 * own : 1 + own + any + std::max(own, any);
    if (plain > limit) {
      out.plain = true;
      break;
    }
  }
  // The star chains' live edges by depth: root r's R.*^d at chain[chain_at[r] + d - 1] (0
  // beyond its chain, chain_at[r + 1]); r = 0 the `[*]` root, 1 the unqualified one, then each
  // named one (its index in qualifier_edges + 2). One flat array, as long as the chains: linear
  // in the capability however many roots and however long one chain.
  const std::size_t roots = qualifier_edges.size() + 2;
  auto root_node = [&](std::size_t r) { return r == 0 ? u32{3} : r == 1 ? u32{2} : qualifier_edges[r - 2].child; };
  std::size_t links = 0, most = 0;  // chain nodes; the most edges of one
  for (std::size_t r = 0; r < roots; ++r)
    for (u32 at = nodes[root_node(r)].star_child(); at != dead && live(at); at = nodes[at].star_child())
      ++links, most = std::max(most, live_edges(at));
  // Below, upper bounds on the sums decide whether the pass over the paths can prove anything;
  // first the loosest (each chain node as wide as the widest), before any allocation.
  if (plain + (4 + 4 * most) * nodes.size() + 2 * tedges.size() <= limit) return out;
  bvec<std::size_t> chain(arena());
  bvec<u32> chain_at(roots + 1, 0, arena());
  chain.reserve(links);
  for (std::size_t r = 0; r < roots; ++r) {
    chain_at[r] = static_cast<u32>(chain.size());
    for (u32 at = nodes[root_node(r)].star_child(); at != dead && live(at); at = nodes[at].star_child())
      chain.push_back(live_edges(at));
  }
  chain_at[roots] = static_cast<u32>(chain.size());
  auto at_depth = [&](std::size_t r, u32 d) {  // d >= 1
    return chain_at[r] + d - 1 < chain_at[r + 1] ? chain[chain_at[r] + d - 1] : std::size_t{0};
  };
  // Upper bounds on the two sums, from the widest chains: where one stays within the bound
  // (small capabilities, narrow chains), the pass over the paths is not made for it. A path's
  // term is at most 4 + 2 × (its node's edges + both chains' edges) for the plain
  // construction, 2 + 2 × (its node's edges + both chains' edges) for the other. (A root
  // without a chain pairs the `[*]` root's with nothing.)
  std::size_t widest = 0, widest_unqualified = 0;
  for (u32 d = 1; d <= chain_at[1]; ++d) widest = std::max(widest, at_depth(0, d));
  for (std::size_t r = 1; r < roots; ++r) {
    const u32 longest = std::max(chain_at[r + 1] - chain_at[r], chain_at[1]);
    for (u32 d = 1; chain_at[r + 1] != chain_at[r] && d <= longest; ++d)
      widest = std::max(widest, at_depth(r, d) + at_depth(0, d));
    if (r == 1)
      for (u32 d = 1; d <= longest; ++d) widest_unqualified = std::max(widest_unqualified, at_depth(1, d) + at_depth(0, d));
  }
  bool want_plain = !out.plain && plain + (4 + 2 * widest) * nodes.size() + 2 * tedges.size() > limit;
  bool want_fallback = (2 + 2 * widest_unqualified) * nodes.size() + 2 * tedges.size() > limit;
  // Literal paths from each root, in node order (a child comes after its parent): per node its
  // root's chain index + 1 (0: not on a literal path from a root) and its depth.
  bvec<u32> root_of(want_plain || want_fallback ? nodes.size() : 0, 0, arena());
  bvec<u32> depth(root_of.size(), 0, arena());
  if (root_of.empty()) return out;
  for (std::size_t r = 0; r < roots; ++r) root_of[root_node(r)] = static_cast<u32>(r + 1);
  // Per node on a path from the `[*]` root: 1 when the unqualified run splits at its first
  // segment (the unqualified root has a live `*` child and no live edge on that segment).
  bvec<u8> apart(root_of.size(), 0, arena());
  const u32 unqualified_star = nodes[2].star_child();
  const bool splits_first = unqualified_star != dead && live(unqualified_star);
  const auto unqualified_names = [&](u32 sid) {
    const auto first = tedges.begin() + node_edges[2], last = tedges.begin() + node_edges[3];
    const auto it = std::lower_bound(first, last, sid, [](const trie_edge& x, u32 v) { return x.sid < v; });
    return it != last && it->sid == sid && live(it->child);
  };
  std::size_t stored = 2;
  for (u32 node = 0; node < nodes.size() && (want_plain || want_fallback); ++node) {
    const u32 r = root_of[node];
    if (r == 0) continue;
    const u32 d = depth[node];
    std::size_t own = 0;
    for (u32 k = node_edges[node]; k < node_edges[node + 1]; ++k) {
      const u32 child = tedges[k].child;
      root_of[child] = r;
      depth[child] = d + 1;
      own += live(child) ? 1 : 0;
      if (r == 1) apart[child] = d == 0 ? (splits_first && !unqualified_names(tedges[k].sid) ? 1 : 0) : apart[node];
    }
    if (d == 0 || !live(node)) continue;
    const std::size_t all = at_depth(0, d);
    if (r == 1) {
      plain += 2 + (all != 0) + own + all + std::max(own, all);  // the other qualifiers' run: m and [*].*^d
      const u32 star = nodes[node].star_child();
      if (own != 0 || (star != dead && live(star))) {  // not a leaf
        const std::size_t unqualified = apart[node] ? 0 : at_depth(1, d);
        stored += 1 + std::max({own, unqualified, all});
        if (unqualified != 0) stored += 1 + std::max(own, all);  // the other qualifiers' run: without *^d
      }
    } else {
      const std::size_t mine = at_depth(r - 1, d);
      plain += 2 + (mine != 0) + (all != 0) + own + mine + all + std::max({own, mine, all});
      stored += 1 + own;
    }
    if (want_plain && plain > limit) out.plain = true, want_plain = false;
    if (want_fallback && stored > limit) out.fallbacks = true, want_fallback = false;
  }
  return out;
}

// A state and its place in an order as one number (order_by_depth).
struct keyed {
  u64 key = 0;
  u32 state = 0;
};

// Sorts `n` keyed states by key, equal keys by state, when they start in state order: a
// least-significant-digit radix sort, which is stable, one pass per byte of the key that some
// two of them differ in (usually three or four). std::sort with the two-field comparison was
// 8 % of bench/ lead0.1/32768's build.
CAPMATCH_DETAIL_NOINLINE constexpr void sort_by_key(keyed* const a, const std::size_t n) {
  if (n < 2) return;
  bvec<keyed> buffer(n, keyed{});
  keyed *src = a, *dst = buffer.data();
  u64 differ = 0;
  for (std::size_t i = 1; i < n; ++i) differ |= a[i].key ^ a[0].key;
  for (unsigned shift = 0; shift < 64; shift += 8) {
    if (((differ >> shift) & 0xff) == 0) continue;
    std::size_t at[257] = {};
    for (std::size_t i = 0; i < n; ++i) ++at[((src[i].key >> shift) & 0xff) + 1];
    for (std::size_t d = 1; d < 257; ++d) at[d] += at[d - 1];
    for (std::size_t i = 0; i < n; ++i) dst[at[(src[i].key >> shift) & 0xff]++] = src[i];
    std::swap(src, dst);
  }
  if (src != a)
    for (std::size_t i = 0; i < n; ++i) a[i] = src[i];
}

// Renumbers the states of an automaton with fallbacks so that every link leads to a higher
// number, as minimise and compress_runs expect: by depth (a transition or default goes one
// deeper), then by set size, larger first (a fallback goes to a smaller set at the same depth).
constexpr void builder::order_by_depth(bvec<state_rec>& states, bvec<transition>& ts, u32& start,
                                       const bvec<u32>& depth, const u32* set_offsets, bvec<u32>& first) {
  const auto count = static_cast<u32>(states.size());
  // A fallback target's set is never larger than its source's (a stand-in per `*` child of T
  // replaces T's nodes): at equal sizes the state with the fallback comes first. The order as
  // one number per state (depth, then set size larger first, then the fallback first), then
  // the state number.
  bvec<keyed> order(count, keyed{}, states.arena());
  for (u32 i = 0; i < count; ++i) {
    const u32 size = set_offsets[i + 1] - set_offsets[i];
    order[i] = keyed{u64{depth[i]} << 33 | u64{~size} << 1 | (states[i].has_fallback() ? 0u : 1u), i};
  }
  sort_by_key(order.data() + 2, count - 2);
  bvec<u32> id(count, 0, states.arena());
  for (u32 i = 0; i < count; ++i) id[order[i].state] = i;
  permute(states, ts, id.data(), start);
  // minimise and the passes after it read a state's transitions as one range, in segment order.
  group_by_owner(ts, first, count, [](const transition& t) { return t.from; });
}

}  // namespace detail::cm
CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/matcher/determinise.hpp ----

// ---- begin include/capmatch/matcher.hpp ----
// capmatch — the compiled matcher: capability::ops_for in one pass over the name (docs/semantics.md §2–3).
// SPDX-License-Identifier: MIT
//
// A matcher is compiled once from a capability and answers exactly what capability::ops_for
// and capability::allows answer. A check reads the name once, allocates nothing and does work
// independent of the number of patterns: the patterns' segment trie is determinised into a
// segment-level automaton laid out as one array of words, each state's record followed by its
// own small table of transitions. Design, bounds and costs: docs/matcher.md.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <utility>


CAPMATCH_NAMESPACE_BEGIN

class matcher;

namespace detail::cm {
/// Internal access to a matcher's tables (fixed_matcher, tests): not part of the public type.
struct matcher_access {
  /// The tables of group `group` (0 to m.groups() - 1; 0: all patterns when not grouped).
  [[nodiscard]] static constexpr const storage& tables(const matcher& m, std::size_t group = 0) noexcept;
  /// A matcher built with options other than the defaults (the tests and fuzz targets tighten
  /// the automaton bound, build_options::dfa_units, to reach the groups and fallbacks with
  /// small capabilities).
  [[nodiscard]] static constexpr matcher build(const capability& cap, matcher_mode mode, const build_options& opt);
};
/// Called (in constant evaluation, a compile error naming it) when a fixed_matcher is declared
/// with sizes other than its matcher's shape(); at run time such a fixed_matcher grants nothing.
inline void fixed_matcher_sizes_differ_from_the_matcher_shape() noexcept {}
}  // namespace detail::cm

/// Table sizes of a compiled matcher: the template arguments of a fixed_matcher. `words`: the
/// 32-bit words of the states and their tables of short transitions (it replaces `states` and
/// `edges` of 0.1.0, whose short transitions were in one shared table; CHANGELOG.md).
struct matcher_shape {
  std::size_t words = 0, long_edges = 0, pool = 0;
  friend constexpr bool operator==(const matcher_shape&, const matcher_shape&) = default;
};

/// A capability compiled for fast checks. Immutable after construction; any number of
/// threads may check concurrently. Answers equal capability::ops_for / allows exactly.
class matcher {
 public:
  /// A matcher that grants nothing.
  constexpr matcher() : matcher(capability{}) {}
  /// Compiles `cap` (constexpr: usable during constant evaluation).
  constexpr explicit matcher(const capability& cap, matcher_mode mode = matcher_mode::automatic)
      : matcher(cap, mode, detail::cm::build_options{}) {}
  // The views point into the storages' vectors: copies and moves take fresh ones.
  constexpr matcher(const matcher& o) : s_(o.s_), s2_(o.s2_), s3_(o.s3_), s4_(o.s4_), groups_(o.groups_) { refresh(); }
  constexpr matcher(matcher&& o) noexcept
      : s_(std::move(o.s_)), s2_(std::move(o.s2_)), s3_(std::move(o.s3_)), s4_(std::move(o.s4_)), groups_(o.groups_) {
    refresh();
    o.refresh();
  }
  constexpr matcher& operator=(const matcher& o) {
    if (this != &o) {
      s_ = o.s_;
      s2_ = o.s2_;
      s3_ = o.s3_;
      s4_ = o.s4_;
      groups_ = o.groups_;
      refresh();
    }
    return *this;
  }
  constexpr matcher& operator=(matcher&& o) noexcept {
    if (this != &o) {
      s_ = std::move(o.s_);
      s2_ = std::move(o.s2_);
      s3_ = std::move(o.s3_);
      s4_ = std::move(o.s4_);
      groups_ = o.groups_;
      refresh();
      o.refresh();
    }
    return *this;
  }
  constexpr ~matcher() = default;

  /// Union of the operations of every pattern that matches `name`; empty for an invalid name.
  [[nodiscard]] constexpr op_set ops_for(std::string_view name) const noexcept {
    if (groups_ == 1) return t_.ops_for(name);
    return detail::cm::groups_ops(t_, t2_, t3_, t4_, groups_, name);
  }
  /// True when `op` is allowed on `name`; app-wide operations never are (see allows_app_wide).
  [[nodiscard]] constexpr bool allows(std::string_view name, operation op) const noexcept {
    return !is_app_wide(op) && ops_for(name).contains(op);
  }
  /// True when `op` is granted on "*" or "[*]*" (docs/semantics.md §12), as capability::allows_app_wide.
  [[nodiscard]] constexpr bool allows_app_wide(operation op) const noexcept {
    return op_set::from_bits(s_.app_wide).contains(op);
  }
  [[nodiscard]] constexpr bool allows_channel_enumeration() const noexcept {
    return allows_app_wide(operation::channel_metadata);
  }

  /// False when the automaton bound was exceeded (or trie_walk requested) and checks walk the trie.
  [[nodiscard]] constexpr bool determinised() const noexcept {
    return !s_.walk && (groups_ < 2 || !s2_.walk) && (groups_ < 3 || !s3_.walk) && (groups_ < 4 || !s4_.walk);
  }
  /// Number of automata a check runs: 1, or 2–4 when the patterns, together beyond the
  /// automaton bound, were split by what leads them (docs/matcher.md, "Groups").
  [[nodiscard]] constexpr std::size_t groups() const noexcept { return groups_; }
  /// Number of patterns compiled.
  [[nodiscard]] constexpr std::size_t pattern_count() const noexcept { return s_.patterns; }
  /// Bytes of table memory (states with their tables, long-segment transitions, long-segment
  /// and run bytes, the star-led groups' literal filters), excluding this object
  /// (sizeof(matcher), which holds the quick-qualifier table and the tables' view).
  [[nodiscard]] constexpr std::size_t memory_bytes() const noexcept {
    const auto bytes = [](const detail::cm::storage& s) {
      return s.words.size() * sizeof(std::uint32_t) + s.long_edges.size() * sizeof(detail::cm::long_edge_rec) +
             s.pool.size() + s.filter.size() * sizeof(std::uint32_t);
    };
    return bytes(s_) + bytes(s2_) + bytes(s3_) + bytes(s4_);  // unused groups are empty
  }
  /// Number of automaton states (or trie nodes in trie-walk mode), over both groups.
  [[nodiscard]] constexpr std::size_t state_count() const noexcept {
    return std::size_t{s_.state_count} + s2_.state_count + s3_.state_count + s4_.state_count;  // unused: 0
  }
  /// Sizes of the tables, to copy them into a fixed_matcher.
  [[nodiscard]] constexpr matcher_shape shape() const noexcept {
    return {s_.words.size(), s_.long_edges.size(), s_.pool.size()};
  }
 private:
  friend struct detail::cm::matcher_access;
  // The public constructor's work, with the builder's options (matcher_access::build).
  constexpr matcher(const capability& cap, matcher_mode mode, const detail::cm::build_options& opt)
      : matcher(detail::cm::builder(cap, mode, detail::cm::pattern_group::all, opt, grouping(mode)), cap, mode, opt) {}
  // Beyond the automaton bound the patterns are split into groups (build_groups), but not in
  // constant evaluation: fixed_matcher holds one table set. So the whole capability's trie
  // walk is emitted only when the groups do no better (the builder lives until this returns).
  constexpr matcher(detail::cm::builder&& whole, const capability& cap, matcher_mode mode,
                    const detail::cm::build_options& opt)
      : s_(std::move(whole.out)), t_(s_.view()) {
    if (!s_.walk || !grouping(mode) || build_groups(cap, mode, opt)) return;
    whole.out = std::move(s_);  // emit_walk() writes the builder's storage: it goes back for that
    whole.emit_walk();
    s_ = std::move(whole.out);
    refresh();
  }
  static constexpr bool grouping(matcher_mode mode) noexcept {
    return mode == matcher_mode::automatic && !std::is_constant_evaluated();
  }
  // Beyond the automaton bound: the patterns are split by what leads them, each group
  // determinised under its own bound, and a check ors the groups' answers (docs/matcher.md,
  // "Groups"): first literal-led, `*`-led and `[*]*`-led; if the literal-led group still
  // exceeds its bound, its `[*]` patterns go apart. False, with this matcher untouched, when
  // the groups do no better than the one trie walk.
  constexpr bool build_groups(const capability& cap, matcher_mode mode, const detail::cm::build_options& opt) {
    using detail::cm::builder;
    using detail::cm::pattern_group;
    // A split with an empty half would rebuild the same group: it is not tried.
    auto any_in = [&cap](pattern_group g) {
      for (std::size_t i = 0; i < cap.size(); ++i)
        if (const auto p = cap.pattern_at(i); !p.matches_nothing() && detail::cm::in_group(p, g)) return true;
      return false;
    };
    // Nor is a first-level group that holds every pattern: it is the whole capability again,
    // whose constructions have just failed (it would walk its trie); only its split is tried.
    // (Whether any pattern is literal-led, and star-led with any qualifier.)
    const bool literal_led = any_in(pattern_group::literal_led), star_led = any_in(pattern_group::all_star_led);
    detail::cm::storage parts[4];
    if (star_led) parts[0] = std::move(builder(cap, mode, pattern_group::literal_led, opt).out);
    if ((!star_led || parts[0].walk) && any_in(pattern_group::plain_literal) && any_in(pattern_group::any_literal)) {
      parts[0] = std::move(builder(cap, mode, pattern_group::plain_literal, opt).out);
      parts[3] = std::move(builder(cap, mode, pattern_group::any_literal, opt).out);
    }
    // The star-led patterns in one group when that one fits its bound without fallback
    // transitions (one automaton pass less per check), else `*`-led and `[*]*`-led apart,
    // unless only the one group is an automaton (two plain passes over these small tables
    // cost fewer instructions than one with fallbacks: lead10/4096 824 against 859).
    if (literal_led) parts[1] = std::move(builder(cap, mode, pattern_group::all_star_led, opt).out);
    if ((!literal_led || parts[1].walk || parts[1].fallbacks) && any_in(pattern_group::star_led) &&
        any_in(pattern_group::any_star_led)) {
      detail::cm::storage star = std::move(builder(cap, mode, pattern_group::star_led, opt).out);
      detail::cm::storage any_star = std::move(builder(cap, mode, pattern_group::any_star_led, opt).out);
      if (!literal_led || parts[1].walk || (!star.walk && !any_star.walk)) {
        parts[1] = std::move(star);
        parts[2] = std::move(any_star);
      }
    }
    std::size_t count = 0, walked = 0;
    for (detail::cm::storage& part : parts) {
      if (part.in_group == 0) continue;  // an empty group is left out
      walked += part.walk ? 1 : 0;
      if (&part != &parts[count]) parts[count] = std::move(part);
      ++count;
    }
    if (count < 2 || walked == count) return false;  // no better than the one trie walk
    for (std::size_t i = count; i < 4; ++i) parts[i] = detail::cm::storage{};
    s_ = std::move(parts[0]);
    s2_ = std::move(parts[1]);
    s3_ = std::move(parts[2]);
    s4_ = std::move(parts[3]);
    groups_ = static_cast<std::uint8_t>(count);
    refresh();
    return true;
  }
  constexpr void refresh() noexcept {
    t_ = s_.view();
    t2_ = s2_.view();
    t3_ = s3_.view();
    t4_ = s4_.view();
  }
  detail::cm::storage s_;   // all patterns, or the first group
  detail::cm::storage s2_;  // the second group (groups_ >= 2)
  detail::cm::storage s3_;  // the third group (groups_ >= 3)
  detail::cm::storage s4_;  // the fourth group (groups_ == 4)
  detail::cm::tables t_;    // what a check reads: pointers into s_
  detail::cm::tables t2_, t3_, t4_;
  std::uint8_t groups_ = 1;
};

constexpr const detail::cm::storage& detail::cm::matcher_access::tables(const matcher& m, std::size_t group) noexcept {
  return group == 0 ? m.s_ : group == 1 ? m.s2_ : group == 2 ? m.s3_ : m.s4_;
}
constexpr matcher detail::cm::matcher_access::build(const capability& cap, matcher_mode mode, const build_options& opt) {
  return matcher(cap, mode, opt);
}

/// A matcher's tables in fixed-size arrays (static storage, no heap), e.g. computed during
/// compilation: `constexpr fixed_matcher<shape.words, shape.long_edges, shape.pool>
/// m{matcher{cap}};` (static_matcher in static_capability.hpp does this for a key). The sizes
/// must be m.shape()'s: otherwise constant evaluation fails (naming
/// detail::cm::fixed_matcher_sizes_differ_from_the_matcher_shape) and at run time the
/// fixed_matcher grants nothing. Checks run the same code as matcher's.
template <std::size_t Words, std::size_t LongEdges, std::size_t Pool>
class fixed_matcher {
 public:
  constexpr explicit fixed_matcher(const matcher& m) noexcept {
    if (m.groups() != 1 || m.shape() != matcher_shape{Words, LongEdges, Pool}) {
      detail::cm::fixed_matcher_sizes_differ_from_the_matcher_shape();
      return;  // header_ stays empty: every start state is dead, nothing is granted
    }
    const auto& s = detail::cm::matcher_access::tables(m);
    for (std::size_t i = 0; i < Words; ++i) words_[i] = s.words[i];
    for (std::size_t i = 0; i < LongEdges; ++i) long_edges_[i] = s.long_edges[i];
    for (std::size_t i = 0; i < Pool; ++i) pool_[i] = s.pool[i];
    header_ = s;
    shaped_ = true;
  }
  [[nodiscard]] constexpr op_set ops_for(std::string_view name) const noexcept { return view().ops_for(name); }
  [[nodiscard]] constexpr bool allows(std::string_view name, operation op) const noexcept {
    return !is_app_wide(op) && ops_for(name).contains(op);
  }
  [[nodiscard]] constexpr bool allows_app_wide(operation op) const noexcept {
    return op_set::from_bits(header_.app_wide).contains(op);
  }

 private:
  [[nodiscard]] constexpr detail::cm::tables view() const noexcept {
    if (!shaped_) return detail::cm::storage{}.view();  // the wrong sizes: grants nothing
    return detail::cm::tables(header_, words_, long_edges_, Pool ? pool_ : nullptr);
  }
  std::uint32_t words_[Words ? Words : 1]{};
  detail::cm::long_edge_rec long_edges_[LongEdges ? LongEdges : 1]{};
  char pool_[Pool ? Pool : 1]{};
  detail::cm::header header_{};
  bool shaped_ = false;
};

CAPMATCH_NAMESPACE_END

// Defined once in matcher/inline.hpp for the matcher's internals.
#undef CAPMATCH_DETAIL_INLINE
#undef CAPMATCH_DETAIL_NOINLINE
// ---- end include/capmatch/matcher.hpp ----

// ---- begin include/capmatch/detail/pattern_trie.hpp ----
// capmatch — a trie of a capability's patterns, for finding the entries whose pattern
// contains a given one without comparing every pair (lint's shadowed and implied-op checks).
// SPDX-License-Identifier: MIT

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>


CAPMATCH_NAMESPACE_BEGIN

namespace detail {

/// The ':'-separated segments of all of `cap`'s patterns (qualifiers not counted): the size
/// the tries' work budgets are proportional to.
[[nodiscard]] constexpr std::size_t segment_count(const capability& cap) noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i < cap.size(); ++i)
    n += 1 + static_cast<std::size_t>(std::count(cap.pattern_at(i).body.begin(), cap.pattern_at(i).body.end(), ':'));
  return n;
}

/// The patterns of a capability that can match something, in a trie: one root per qualifier
/// class ("no qualifier", "[*]", "[queue]", ...), then one level per ':'-separated segment.
/// Pattern a contains pattern b (every name b matches, a matches) exactly when a's root is
/// b's or "[*]" and, segment by segment, a's segment is "*" or equal to b's literal segment,
/// a ending either where b ends or with a "*" (which takes the rest). So the containers of b
/// lie on the trie paths that follow, at each level, b's literal segment and "*": a walk
/// visits only those nodes, and skips a subtree that grants too few operations or holds no
/// entry earlier than the best found so far. Built in O(total bytes * log n).
class pattern_trie {
 public:
  static constexpr std::uint32_t none = 0xFFFFFFFFu;

  constexpr explicit pattern_trie(const capability& cap) : cap_(cap) {
    for (std::size_t j = 0; j < cap.size(); ++j)
      if (!cap.pattern_at(j).matches_nothing()) order_.push_back(static_cast<std::uint32_t>(j));
    std::sort(order_.begin(), order_.end(), [&](std::uint32_t x, std::uint32_t y) {
      const int c = compare(cap.pattern_at(x), cap.pattern_at(y));
      return c != 0 ? c < 0 : x < y;
    });
    std::vector<std::uint32_t> path;  // path[d]: the node at depth d (0: the root)
    std::vector<std::uint32_t> parent;
    for (std::size_t k = 0; k < order_.size(); ++k) {
      const pattern p = cap.pattern_at(order_[k]);
      std::size_t pos = 0, depth = 0;  // segments shared with the previous pattern
      if (k != 0 && same_root(p, cap.pattern_at(order_[k - 1]))) {
        const std::string_view prev = cap.pattern_at(order_[k - 1]).body;
        for (; pos <= p.body.size() && pos <= prev.size(); ++depth) {
          const std::string_view s = segment_at(p.body, pos);
          if (s != segment_at(prev, pos)) break;
          pos += s.size() + 1;
        }
        path.resize(depth + 1);
      } else {
        path.assign(1, new_node(parent, none, {}));
        roots_.push_back({p.kind, p.kind == qualifier_kind::named ? p.qualifier : std::string_view(), path[0]});
      }
      for (; pos <= p.body.size(); ++depth) {
        const std::string_view s = segment_at(p.body, pos);
        path.push_back(new_node(parent, path.back(), s));
        pos += s.size() + 1;
      }
      node& n = nodes_[path.back()];
      if (n.ends_begin == n.ends_end) n.ends_begin = static_cast<std::uint32_t>(k);
      n.ends_end = static_cast<std::uint32_t>(k + 1);
    }
    // Children in creation order (which is segment order), grouped by parent; subtree facts.
    std::vector<std::uint32_t> count(nodes_.size() + 1, 0);
    for (std::size_t v = 0; v < nodes_.size(); ++v)
      if (parent[v] != none) ++count[parent[v] + 1];
    for (std::size_t v = 0; v < nodes_.size(); ++v) {
      count[v + 1] += count[v];
      nodes_[v].kids_begin = nodes_[v].kids_end = count[v];
    }
    kids_.assign(nodes_.size(), 0);
    for (std::size_t v = 0; v < nodes_.size(); ++v) {
      if (parent[v] == none) continue;
      kids_[nodes_[parent[v]].kids_end++] = static_cast<std::uint32_t>(v);
      if (nodes_[v].seg == "*") nodes_[parent[v]].star = static_cast<std::uint32_t>(v);
    }
    for (std::size_t v = nodes_.size(); v-- > 0;) {
      node& n = nodes_[v];
      for (std::uint32_t e = n.ends_begin; e < n.ends_end; ++e) {
        n.end_ops |= cap.ops(order_[e]).granted_bits();
        n.sub_min = std::min(n.sub_min, order_[e]);
      }
      n.sub_ops |= n.end_ops;
      if (parent[v] == none) continue;
      node& up = nodes_[parent[v]];
      up.sub_ops |= n.sub_ops;
      up.sub_min = std::min(up.sub_min, n.sub_min);
    }
  }

  /// The least entry index j whose pattern contains `p`, whose operations include every bit
  /// of `need`, and for which accept(j) is true; `none` if there is none, or if the work
  /// budget ran out during this search (then exhausted() is true and the answer unknown).
  template <class Accept>
  [[nodiscard]] constexpr std::uint32_t least_container(const pattern& p, std::uint32_t need, Accept accept) {
    if (p.matches_nothing() || exhausted_) return none;
    std::uint32_t best = none;
    const std::uint32_t mine = find_root(p.kind, p.kind == qualifier_kind::named ? p.qualifier : std::string_view());
    const std::uint32_t any = p.kind == qualifier_kind::any ? none : find_root(qualifier_kind::any, {});
    for (const std::uint32_t r : {mine, any})
      if (r != none) walk(r, p, 0, need, accept, best);
    return exhausted_ ? none : best;
  }

  /// The granted bits of `need` that some entry whose pattern contains `p` grants (the union
  /// over all such entries); stops as soon as all of `need` is found. When the work budget
  /// runs out (exhausted()), the bits found so far: a subset of the exact answer, never more.
  [[nodiscard]] constexpr std::uint32_t granted_over(const pattern& p, std::uint32_t need) {
    if (p.matches_nothing() || need == 0 || exhausted_) return 0;
    std::uint32_t got = 0;
    const std::uint32_t mine = find_root(p.kind, p.kind == qualifier_kind::named ? p.qualifier : std::string_view());
    const std::uint32_t any = p.kind == qualifier_kind::any ? none : find_root(qualifier_kind::any, {});
    for (const std::uint32_t r : {mine, any})
      if (r != none && (got & need) != need) collect(r, p, 0, need, got);
    return got & need;
  }

  /// Stops every search once work() reaches `steps` (see exhausted()).
  constexpr void set_budget(std::size_t steps) noexcept { budget_ = steps; }
  /// True once a search stopped because work() reached the budget; every later search
  /// returns `none` at once.
  [[nodiscard]] constexpr bool exhausted() const noexcept { return exhausted_; }

  /// Nodes visited (and, by least_container, entries examined) so far: the work the budget
  /// bounds and the complexity tests count.
  [[nodiscard]] constexpr std::size_t work() const noexcept { return work_; }

 private:
  struct node {
    std::string_view seg;  // the segment on the edge into this node (empty for a root)
    std::uint32_t kids_begin = 0, kids_end = 0;  // children in kids_, by segment
    std::uint32_t ends_begin = 0, ends_end = 0;  // entries ending here, in order_ (by index)
    std::uint32_t end_ops = 0;                   // granted bits of the entries ending here
    std::uint32_t sub_ops = 0;                   // granted bits of every entry in the subtree
    std::uint32_t sub_min = none;                // least entry index in the subtree
    std::uint32_t star = none;                   // the child whose segment is "*"
  };
  struct root {
    qualifier_kind kind = qualifier_kind::none;
    std::string_view qualifier;
    std::uint32_t node = none;
  };

  [[nodiscard]] static constexpr bool same_root(const pattern& a, const pattern& b) noexcept {
    return a.kind == b.kind && (a.kind != qualifier_kind::named || a.qualifier == b.qualifier);
  }
  // Orders by root (kind, then qualifier), then segment by segment: patterns sharing a root
  // and leading segments are contiguous, and a node's children come in segment order.
  [[nodiscard]] static constexpr int compare(const pattern& a, const pattern& b) noexcept {
    if (a.kind != b.kind) return a.kind < b.kind ? -1 : 1;
    if (a.kind == qualifier_kind::named)
      if (const int c = a.qualifier.compare(b.qualifier); c != 0) return c;
    std::size_t i = 0, j = 0;
    for (;;) {
      const std::string_view sa = segment_at(a.body, i), sb = segment_at(b.body, j);
      if (const int c = sa.compare(sb); c != 0) return c;
      i += sa.size() + 1;
      j += sb.size() + 1;
      const bool end_a = i > a.body.size(), end_b = j > b.body.size();
      if (end_a || end_b) return end_a == end_b ? 0 : end_a ? -1 : 1;
    }
  }
  constexpr std::uint32_t new_node(std::vector<std::uint32_t>& parent, std::uint32_t up, std::string_view seg) {
    node n;
    n.seg = seg;
    nodes_.push_back(n);
    parent.push_back(up);
    return static_cast<std::uint32_t>(nodes_.size() - 1);
  }
  [[nodiscard]] constexpr std::uint32_t find_root(qualifier_kind kind, std::string_view qualifier) const noexcept {
    // roots_ is in compare() order: by kind, then qualifier.
    const auto it = std::lower_bound(roots_.begin(), roots_.end(), root{kind, qualifier, none},
                                     [](const root& x, const root& y) {
                                       return x.kind != y.kind ? x.kind < y.kind : x.qualifier < y.qualifier;
                                     });
    return it != roots_.end() && it->kind == kind && it->qualifier == qualifier ? it->node : none;
  }
  [[nodiscard]] constexpr std::uint32_t child(std::uint32_t v, std::string_view seg) const noexcept {
    const auto b = kids_.begin() + nodes_[v].kids_begin, e = kids_.begin() + nodes_[v].kids_end;
    const auto it = std::lower_bound(b, e, seg, [&](std::uint32_t k, std::string_view s) { return nodes_[k].seg < s; });
    return it != e && nodes_[*it].seg == seg ? *it : none;
  }

  template <class Accept>
  constexpr void walk(std::uint32_t v, const pattern& p, std::size_t pos, std::uint32_t need, Accept& accept,
                      std::uint32_t& best) {
    const std::string_view s = segment_at(p.body, pos);
    const bool last = pos + s.size() == p.body.size();
    // A literal of p is held by the same literal or "*"; p's "*" only by "*" (docs on contains).
    const std::uint32_t next[2] = {s == "*" ? none : child(v, s), nodes_[v].star};
    for (const std::uint32_t c : next) {
      if (c == none) continue;
      if (work_ >= budget_) {
        exhausted_ = true;
        return;
      }
      ++work_;
      const node& n = nodes_[c];
      if ((n.sub_ops & need) != need || n.sub_min >= best) continue;
      if (last || n.seg == "*") {  // the entries ending here contain p
        for (std::uint32_t e = n.ends_begin; e < n.ends_end && order_[e] < best; ++e) {
          if (work_ >= budget_) {
            exhausted_ = true;
            return;
          }
          ++work_;
          const std::uint32_t j = order_[e];
          if ((cap_.ops(j).granted_bits() & need) == need && accept(j)) best = j;
        }
      }
      if (!last) walk(c, p, pos + s.size() + 1, need, accept, best);
      if (exhausted_) return;
    }
  }

  // Like walk(), but ORs the operations of every container into `got` (one step per node:
  // end_ops holds those of the entries ending there), skipping subtrees that grant nothing
  // of `need` not found yet.
  constexpr void collect(std::uint32_t v, const pattern& p, std::size_t pos, std::uint32_t need, std::uint32_t& got) {
    const std::string_view s = segment_at(p.body, pos);
    const bool last = pos + s.size() == p.body.size();
    const std::uint32_t next[2] = {s == "*" ? none : child(v, s), nodes_[v].star};
    // The containers ending at this level first (both children), then deeper ones.
    for (const std::uint32_t c : next) {
      if (c == none) continue;
      if (work_ >= budget_) {
        exhausted_ = true;
        return;
      }
      ++work_;
      const node& n = nodes_[c];
      if (last || n.seg == "*") got |= n.end_ops;
    }
    if ((got & need) == need || last) return;
    for (const std::uint32_t c : next)
      if (c != none && (nodes_[c].sub_ops & need & ~got) != 0) {
        collect(c, p, pos + s.size() + 1, need, got);
        if ((got & need) == need || exhausted_) return;
      }
  }

  const capability& cap_;
  std::vector<std::uint32_t> order_;  // entries that can match, by (root, segments, index)
  std::vector<node> nodes_;
  std::vector<std::uint32_t> kids_;
  std::vector<root> roots_;
  std::size_t work_ = 0;
  std::size_t budget_ = static_cast<std::size_t>(-1);
  bool exhausted_ = false;
};

}  // namespace detail

CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/detail/pattern_trie.hpp ----

// ---- begin include/capmatch/lint.hpp ----
// capmatch — lint: findings about a valid capability that probably does not mean what its
// author intended (docs/lint.md lists every code with an example and its fix).
// SPDX-License-Identifier: MIT

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>


CAPMATCH_NAMESPACE_BEGIN

/// How much a finding matters, most severe first.
enum class lint_severity : std::uint8_t {
  error,             ///< the entry cannot work as written
  security_warning,  ///< grants far more than is usually intended
  warning,           ///< probably not what was meant
  suggestion,        ///< works, but could be clearer
};

/// Stable finding codes; docs/lint.md describes each. Values never change meaning.
enum class lint_code : std::uint8_t {
  never_matches,          ///< an empty segment (":a", "a:", "a::b"): matches no name
  super_grant,            ///< "*" or "[*]*" granted ["*"]
  literal_star,           ///< '*' inside a segment ("foo*") is a literal character
  unknown_qualifier,      ///< a qualifier other than queue, meta, filter or *
  app_wide_no_effect,     ///< stats or push-admin granted where they do nothing
  shadowed,               ///< a broader entry already grants everything this one does
  channel_enumeration,    ///< channel-metadata on every channel also allows listing them
  implied_op,             ///< an "-any"/admin op granted without the narrower op it covers
  ignored_params,         ///< "=value"/"?params" in a qualifier are ignored for matching
  incomplete,             ///< the work budget ran out: later entries not checked for shadowed/implied-op
};

/// The wire name of a severity: "error", "security-warning", "warning" or "suggestion".
[[nodiscard]] constexpr std::string_view name_of(lint_severity s) noexcept {
  switch (s) {
    case lint_severity::error: return "error";
    case lint_severity::security_warning: return "security-warning";
    case lint_severity::warning: return "warning";
    case lint_severity::suggestion: return "suggestion";
  }
  return "unknown";
}

/// The stable code of a finding, e.g. "literal-star".
[[nodiscard]] constexpr std::string_view name_of(lint_code c) noexcept {
  switch (c) {
    case lint_code::never_matches: return "never-matches";
    case lint_code::super_grant: return "super-grant";
    case lint_code::literal_star: return "literal-star";
    case lint_code::unknown_qualifier: return "unknown-qualifier";
    case lint_code::app_wide_no_effect: return "app-wide-no-effect";
    case lint_code::shadowed: return "shadowed";
    case lint_code::channel_enumeration: return "channel-enumeration";
    case lint_code::implied_op: return "implied-op";
    case lint_code::ignored_params: return "ignored-params";
    case lint_code::incomplete: return "lint-incomplete";
  }
  return "unknown";
}

/// The severity every finding with code `c` has.
[[nodiscard]] constexpr lint_severity severity_of(lint_code c) noexcept {
  switch (c) {
    case lint_code::never_matches: return lint_severity::error;
    case lint_code::super_grant: return lint_severity::security_warning;
    case lint_code::literal_star:
    case lint_code::unknown_qualifier:
    case lint_code::app_wide_no_effect:
    case lint_code::shadowed:
    case lint_code::incomplete: return lint_severity::warning;
    case lint_code::channel_enumeration:
    case lint_code::implied_op:
    case lint_code::ignored_params: return lint_severity::suggestion;
  }
  return lint_severity::suggestion;
}

namespace detail {
/// Text of a finding's message or fix (no std::string: usable in constant evaluation).
using lint_text = fixed_text<320>;
}  // namespace detail

/// One finding: what is wrong with which resource, where, and a one-line fix.
struct lint_finding {
  lint_code code{};
  lint_severity severity{};
  std::string_view resource;  ///< as written in the document (a view into the capability)
  std::uint32_t offset = 0;   ///< byte offset of the resource in the parsed document
  detail::lint_text message_text, fix_text;

  /// What is wrong, as one sentence.
  [[nodiscard]] constexpr std::string_view message() const noexcept { return message_text.view(); }
  /// A one-line fix.
  [[nodiscard]] constexpr std::string_view fix() const noexcept { return fix_text.view(); }
};

namespace detail {

/// The first segment of `body` that holds '*' without being exactly "*", or empty.
[[nodiscard]] constexpr std::string_view starred_segment(std::string_view body) noexcept {
  for (std::size_t i = 0; i <= body.size();) {
    const std::string_view seg = segment_at(body, i);
    if (seg != "*" && seg.find('*') != std::string_view::npos) return seg;
    i += seg.size() + 1;
  }
  return {};
}

inline constexpr std::string_view known_qualifiers[] = {"queue", "meta", "filter"};

/// Collects findings for one capability; see lint() below.
class linter {
 public:
  /// `budget`: trie steps the shadowed and implied-op checks may take in all (see lint()).
  constexpr linter(const capability& cap, std::size_t budget) : cap_(cap) { trie_.set_budget(budget); }

  [[nodiscard]] constexpr std::vector<lint_finding> run() {
    // Report in document order: entries are stored in canonical order.
    std::vector<std::size_t> order;  // not order(n): clang 14 cannot value-initialize it in constexpr
    for (std::size_t i = 0; i < cap_.size(); ++i) order.push_back(i);
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) {
                // Built capabilities (intersect) have offset 0 throughout: keep canonical order.
                const auto oa = cap_.source_offset(a), ob = cap_.source_offset(b);
                return oa != ob ? oa < ob : a < b;
              });
    for (std::size_t i : order) check(i);
    return std::move(out_);
  }

  /// Trie nodes visited and entries examined by the shadowed and implied-op checks: the
  /// work the complexity tests count (tests/test_lint_complexity.cpp).
  [[nodiscard]] constexpr std::size_t work() const noexcept { return trie_.work(); }

 private:
  constexpr lint_finding& add(std::size_t i, lint_code code) {
    lint_finding f;
    f.code = code;
    f.severity = severity_of(code);
    f.resource = cap_.resource(i);
    f.offset = cap_.source_offset(i);
    out_.push_back(f);
    return out_.back();
  }

  // True when `op` is granted on entry i itself or on an entry whose pattern contains it.
  [[nodiscard]] constexpr bool granted_over(std::size_t i, operation op) {
    if (cap_.ops(i).contains(op)) return true;
    // An exhausted budget answers "granted": no implied-op finding from an unfinished search.
    return trie_.least_container(cap_.pattern_at(i), op_set(op).granted_bits(), [](std::uint32_t) { return true; }) !=
               pattern_trie::none ||
           trie_.exhausted();
  }

  constexpr void check(std::size_t i) {
    const bool exhausted_before = trie_.exhausted();
    const pattern p = cap_.pattern_at(i);
    const op_set ops = cap_.ops(i);
    const std::string_view res = cap_.resource(i);
    const std::string_view prefix = res.substr(0, res.size() - p.body.size());

    if (p.matches_nothing()) never_matches(i, p, prefix);
    if (p.covers_all_channels() && ops.is_all()) {
      auto& f = add(i, lint_code::super_grant);
      f.message_text.append("grants every operation, including stats, push-admin and privileged-headers, on every ")
          .append(p.kind == qualifier_kind::any ? "channel, queue and metachannel" : "channel");
      f.fix_text.append("list only the operations needed, on the channels or namespaces needed (e.g. 'chat:*')");
    }
    if (const auto seg = starred_segment(p.body); !seg.empty()) literal_star(i, p, prefix, seg);
    if (p.kind == qualifier_kind::named) unknown_qualifier(i, p);
    if (!ops.is_all() && !p.covers_all_channels()) {
      for (operation op : {operation::stats, operation::push_admin}) {
        if (!ops.contains(op)) continue;
        auto& f = add(i, lint_code::app_wide_no_effect);
        f.message_text.append(name_of(op)).append(" is app-wide and takes effect only when granted on '*' or '[*]*'; ")
            .append("here it grants nothing");
        f.fix_text.append("remove ").append_quoted(name_of(op)).append(" here, or grant it on '*'");
      }
    }
    shadowed(i, p, ops);
    if (!ops.is_all() && p.covers_all_channels() && ops.contains(operation::channel_metadata)) {
      auto& f = add(i, lint_code::channel_enumeration);
      f.message_text.append("channel-metadata on every channel also allows enumerating all the app's channels");
      f.fix_text.append("grant channel-metadata on narrower namespaces (e.g. 'chat:*') if clients must not list channels");
    }
    if (!ops.is_all()) {
      if (p.covers_all_channels()) implied(i, operation::push_admin, operation::push_subscribe,
                                           "push-admin can already subscribe any device to any channel");
      implied(i, operation::message_update_any, operation::message_update_own,
              "message-update-any already lets a client update its own messages");
      implied(i, operation::message_delete_any, operation::message_delete_own,
              "message-delete-any already lets a client delete its own messages");
    }
    if (!is_normal(i)) {
      std::vector<char> normal;
      append_text(p, normal);
      auto& f = add(i, lint_code::ignored_params);
      f.message_text.append("'=value' and '?params' in the qualifier ").append_quoted(prefix)
          .append(" are ignored when matching");
      f.fix_text.append("write ").append_quoted(std::string_view(normal.data(), normal.size()));
    }
    if (!exhausted_before && trie_.exhausted()) incomplete(i);
  }

  // The budget ran out while checking entry i: its shadowed and implied-op findings, and
  // those of every later entry, are unknown (the searches return nothing once exhausted).
  constexpr void incomplete(std::size_t i) {
    auto& f = add(i, lint_code::incomplete);
    f.message_text.append("lint incomplete: the shadowed and implied-op checks stopped after ")
        .append_number(trie_.work())
        .append(" steps (the work budget); their findings before this entry are exact, this entry and the later ones")
        .append(" were not checked for them");
    f.fix_text.append("lint with a larger budget (capmatch::lint(cap, steps)), or split the capability");
  }

  constexpr void never_matches(std::size_t i, const pattern& p, std::string_view prefix) {
    auto& f = add(i, lint_code::never_matches);
    f.message_text.append("an empty segment (leading ':', trailing ':' or '::') means this can never match a name");
    std::vector<char> fixed;
    fixed.insert(fixed.end(), prefix.begin(), prefix.end());
    bool any = false;
    for (std::size_t k = 0; k <= p.body.size();) {
      const std::string_view seg = segment_at(p.body, k);
      if (!seg.empty()) {
        if (any) fixed.push_back(':');
        fixed.insert(fixed.end(), seg.begin(), seg.end());
        any = true;
      }
      k += seg.size() + 1;
    }
    if (!any) {
      f.fix_text.append("remove this entry");
      return;
    }
    if (p.body.back() == ':') fixed.push_back(':'), fixed.push_back('*');
    f.fix_text.append("did you mean ").append_quoted(std::string_view(fixed.data(), fixed.size())).append("?");
  }

  constexpr void literal_star(std::size_t i, const pattern& p, std::string_view prefix, std::string_view seg) {
    auto& f = add(i, lint_code::literal_star);
    f.message_text.append("'*' inside the segment ").append_quoted(seg)
        .append(" is a literal character, not a wildcard: this matches only a name spelled exactly so");
    const bool last = seg.data() + seg.size() == p.body.data() + p.body.size();
    if (last && seg.size() > 1 && seg.back() == '*' && seg.find('*') == seg.size() - 1) {
      // "foo*" -> "foo:*"
      std::vector<char> fixed;
      fixed.insert(fixed.end(), prefix.begin(), prefix.end());
      const std::string_view head = p.body.substr(0, p.body.size() - 1);
      fixed.insert(fixed.end(), head.begin(), head.end());
      fixed.push_back(':'), fixed.push_back('*');
      f.fix_text.append("did you mean ").append_quoted(std::string_view(fixed.data(), fixed.size())).append("?");
    } else {
      f.fix_text.append("use '*' only as a whole segment between ':' separators (e.g. 'chat:*'), or rename the channel");
    }
  }

  constexpr void unknown_qualifier(std::size_t i, const pattern& p) {
    for (std::string_view q : known_qualifiers)
      if (p.qualifier == q) return;
    auto& f = add(i, lint_code::unknown_qualifier);
    f.message_text.append("unknown qualifier ").append_quoted(p.qualifier)
        .append(": it matches only names with that qualifier, and Ably defines queue, meta and filter");
    const std::string_view best = closest_name(p.qualifier, known_qualifiers);
    if (!best.empty())
      f.fix_text.append("did you mean '[").append(best).append("]'?");
    else
      f.fix_text.append("use [queue], [meta], [filter], [*] or no qualifier");
  }

  // Reports the first entry in index order (canonical order) that shadows entry i: its
  // pattern contains i's, it grants all of i's operations, and, when the two shadow each
  // other (same names, same ops), it is the one kept: in normal form, then earlier.
  constexpr void shadowed(std::size_t i, const pattern& p, op_set ops) {
    const std::uint32_t mine = ops.granted_bits();
    const std::uint32_t j = trie_.least_container(p, mine, [&](std::uint32_t k) {
      if (k == i) return false;
      if (mine == cap_.ops(k).granted_bits() && contains(p, cap_.pattern_at(k))) {
        const bool i_normal = is_normal(i), k_normal = is_normal(k);
        if (i_normal != k_normal ? i_normal : cap_.source_offset(i) < cap_.source_offset(k)) return false;
      }
      return true;
    });
    if (j == pattern_trie::none) return;
    auto& f = add(i, lint_code::shadowed);
    f.message_text.append("shadowed by ").append_quoted(cap_.resource(j)).append(" (at byte ")
        .append_number(cap_.source_offset(j))
        .append("), which matches every name this does and grants all its operations; there is no precedence or deny");
    f.fix_text.append("remove this entry, or narrow ").append_quoted(cap_.resource(j))
        .append(" if this entry was meant to restrict access");
  }

  // True when resource i is written in normal form (no "=value" or "?params" in a qualifier).
  [[nodiscard]] constexpr bool is_normal(std::size_t i) const {
    std::vector<char> normal;
    append_text(cap_.pattern_at(i), normal);
    return std::string_view(normal.data(), normal.size()) == cap_.resource(i);
  }

  constexpr void implied(std::size_t i, operation broad, operation narrow, std::string_view why) {
    if (!cap_.ops(i).contains(broad) || granted_over(i, narrow)) return;
    auto& f = add(i, lint_code::implied_op);
    f.message_text.append("grants ").append(name_of(broad)).append(" but not ").append(name_of(narrow))
        .append("; ").append(why);
    f.fix_text.append("add ").append_quoted(name_of(narrow)).append(" to make the grant explicit, or remove ")
        .append_quoted(name_of(broad));
  }

  const capability& cap_;
  pattern_trie trie_{cap_};  // finds the entries whose pattern contains a given one
  std::vector<lint_finding> out_;
};

}  // namespace detail

/// Trie steps per segment of the capability in lint's default work budget.
inline constexpr std::size_t lint_steps_per_segment = 16;
/// Trie steps every capability gets in lint's default work budget, however small.
inline constexpr std::size_t lint_steps_base = 65536;

/// lint's default work budget for `cap`: lint_steps_per_segment steps per ':'-separated
/// segment of its resources, plus lint_steps_base (docs/lint.md, "Cost").
[[nodiscard]] constexpr std::size_t lint_default_budget(const capability& cap) noexcept {
  std::size_t segments = 0;
  for (std::size_t i = 0; i < cap.size(); ++i)
    segments += 1 + static_cast<std::size_t>(std::count(cap.pattern_at(i).body.begin(), cap.pattern_at(i).body.end(), ':'));
  return lint_steps_base + lint_steps_per_segment * segments;
}

/// Findings about `cap`, in document order (by resource offset), each entry's findings in
/// lint_code order. Resource views point into `cap`. An empty vector means nothing to report.
/// The shadowed and implied-op checks take at most `budget` trie steps in all; when they
/// run out, one lint-incomplete finding marks the entry where they stopped (findings before
/// it are exact, it and later entries are not checked for those two codes).
[[nodiscard]] constexpr std::vector<lint_finding> lint(const capability& cap, std::size_t budget) {
  return detail::linter(cap, budget).run();
}

/// lint(cap, lint_default_budget(cap)): enough for every ordinary capability (docs/lint.md).
[[nodiscard]] constexpr std::vector<lint_finding> lint(const capability& cap) {
  return lint(cap, lint_default_budget(cap));
}

/// Deleted: the findings would keep views into a temporary capability. Keep it alive for as
/// long as the findings are used.
std::vector<lint_finding> lint(capability&& cap) = delete;
/// Deleted, as above.
std::vector<lint_finding> lint(capability&& cap, std::size_t budget) = delete;

/// True when some finding has severity error (`capmatch lint` then exits 1).
[[nodiscard]] constexpr bool has_errors(const std::vector<lint_finding>& findings) noexcept {
  for (const auto& f : findings)
    if (f.severity == lint_severity::error) return true;
  return false;
}

/// One line: "<severity> <code> <resource> at byte N: <message>; fix: <fix>" (control
/// characters in the resource shown as \u00XX so it stays one line).
[[nodiscard]] inline std::string to_string(const lint_finding& f) {
  std::string s(name_of(f.severity));
  s.append(" ").append(name_of(f.code)).append(" ");
  detail::escape_one_line(f.resource, [&](std::string_view piece) {
    s.append(piece);
    return true;
  });
  s.append(" at byte ").append(std::to_string(f.offset)).append(": ");
  s.append(f.message()).append("; fix: ").append(f.fix());
  return s;
}

/// {"findings":[{"severity":...,"code":...,"resource":...,"offset":N,"message":...,"fix":...}]}
[[nodiscard]] inline std::string to_json(const std::vector<lint_finding>& findings) {
  std::vector<char> out;
  auto put = [&](std::string_view v) { out.insert(out.end(), v.begin(), v.end()); };
  put("{\"findings\":[");
  for (std::size_t i = 0; i < findings.size(); ++i) {
    const auto& f = findings[i];
    if (i != 0) put(",");
    put("{\"severity\":");
    detail::write_json_string(name_of(f.severity), out);
    put(",\"code\":");
    detail::write_json_string(name_of(f.code), out);
    put(",\"resource\":");
    detail::write_json_string(f.resource, out);
    put(",\"offset\":");
    put(std::to_string(f.offset));
    put(",\"message\":");
    detail::write_json_string(f.message(), out);
    put(",\"fix\":");
    detail::write_json_string(f.fix(), out);
    put("}");
  }
  put("]}");
  return std::string(out.begin(), out.end());
}

CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/lint.hpp ----

// ---- begin include/capmatch/covers.hpp ----
// capmatch — covers(a, b): does capability a grant everything b grants? (docs/semantics.md
// Decision C1). An auth server uses it to verify that an issued token holds what it needs.
// SPDX-License-Identifier: MIT

#include <cstddef>
#include <cstdint>


CAPMATCH_NAMESPACE_BEGIN

/// Trie steps per segment of a and b in covers' default work budget.
inline constexpr std::size_t covers_steps_per_segment = 16;
/// Trie steps every covers call gets in its default work budget, however small a and b are.
inline constexpr std::size_t covers_steps_base = 65536;

/// covers' default work budget: covers_steps_per_segment steps per ':'-separated segment of
/// the patterns of a and b, plus covers_steps_base (docs/limits.md, "covers").
[[nodiscard]] constexpr std::size_t covers_default_budget(const capability& a, const capability& b) noexcept {
  return covers_steps_base + covers_steps_per_segment * (detail::segment_count(a) + detail::segment_count(b));
}

namespace detail {

/// What covers_counted did: trie steps taken, and whether the budget ran out first.
struct covers_work {
  std::size_t steps = 0;
  bool exhausted = false;
};

/// covers(a, b, budget), reporting its work (the complexity tests count it).
[[nodiscard]] constexpr bool covers_counted(const capability& a, const capability& b, std::size_t budget,
                                            covers_work& work) noexcept {
  constexpr std::uint32_t app_wide = op_set(operation::stats).bits() | op_set(operation::push_admin).bits();
  std::uint32_t app_a = 0, app_b = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a.pattern_at(i).covers_all_channels()) app_a |= a.ops(i).granted_bits();
  for (std::size_t j = 0; j < b.size(); ++j)
    if (b.pattern_at(j).covers_all_channels()) app_b |= b.ops(j).granted_bits();
  if ((app_b & ~app_a) != 0) return false;
  // The entries of `a` that contain b's pattern are found by a walk of a's pattern trie
  // (detail::pattern_trie), not by testing every entry of `a` (issue 14).
  pattern_trie trie(a);
  trie.set_budget(budget);
  bool covered = true;
  for (std::size_t j = 0; j < b.size() && covered; ++j) {
    const pattern p = b.pattern_at(j);
    if (p.matches_nothing()) continue;  // grants nothing
    const std::uint32_t need = b.ops(j).granted_bits() & ~app_wide;  // allows() never grants these
    // Out of budget, granted_over returns part of what it would: "unknown" counts as not covered.
    covered = trie.granted_over(p, need) == need && !trie.exhausted();
  }
  work.steps = trie.work();
  work.exhausted = trie.exhausted();
  return covered;
}

}  // namespace detail

/// True when `a` grants everything `b` grants: for every valid name r and operation o,
/// b.allows(r, o) implies a.allows(r, o), and b.allows_app_wide(o) implies a.allows_app_wide(o).
///
/// The rule (docs/semantics.md Decision C1): each pattern P of b that matches some name must,
/// for each operation o it grants on resources, be contained in a single pattern Q of a that
/// grants o (contains in pattern.hpp, the exact pattern containment). Several patterns of a never
/// jointly cover a P that none contains alone: P matches a name built from P by writing a fresh
/// literal (one no pattern of a mentions) for each '*' and, when P is "[*]...", a fresh
/// qualifier; a pattern Q of a that matches that name must hold '*' wherever P does, P's
/// literals or '*' elsewhere, and a qualifier that holds P's, so Q contains all of P.
/// Near max_resource_bytes, where the names of a pattern are few enough to list, covers may
/// answer false where listing them all would cover it (never true where it should be false).
///
/// Time: a's patterns go in a trie (detail::pattern_trie, a sort), and each pattern of b walks
/// only the trie paths that can contain it, at most `budget` trie steps in all. The search is
/// as hard as orthogonal vectors in the worst case, so when the budget runs out the answer is
/// unknown and covers returns false: it may under-report coverage, never over-report it.
/// Allocates the trie (an allocation failure terminates: noexcept).
[[nodiscard]] constexpr bool covers(const capability& a, const capability& b, std::size_t budget) noexcept {
  detail::covers_work work;
  return detail::covers_counted(a, b, budget, work);
}

/// covers(a, b, covers_default_budget(a, b)): linear in the sizes of a and b; enough for every
/// ordinary pair of capabilities (docs/limits.md).
[[nodiscard]] constexpr bool covers(const capability& a, const capability& b) noexcept {
  return covers(a, b, covers_default_budget(a, b));
}

CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/covers.hpp ----

// ---- begin include/capmatch/union.hpp ----
// capmatch — the union of two capabilities (docs/semantics.md Decision U1), e.g. to extend a
// signed grant with a newly requested capability (§5 rule 28).
// SPDX-License-Identifier: MIT

#include <cstddef>
#include <vector>


CAPMATCH_NAMESPACE_BEGIN

/// The capability that grants exactly what `a` or `b` grants: every entry of both, the same
/// resource (byte-equal text) once with the union of its operations ("*" absorbs the rest),
/// in canonical order. Nothing else is merged or removed (as in intersect, docs/semantics.md
/// rule 15). Errors (limit_exceeded, 40000): more than max_resources resources, or canonical
/// text longer than max_document_bytes (the union must parse again); never truncated.
[[nodiscard]] constexpr result<capability> unite(const capability& a, const capability& b) {
  capability out;
  for (const capability* c : {&a, &b})
    for (std::size_t i = 0; i < c->size(); ++i)
      detail::capability_access::add(out, c->resource(i), c->pattern_at(i), c->ops(i), 0);
  detail::capability_access::sort(out, true);
  detail::capability_access::compact(out);
  if (out.size() > max_resources) {
    error e(errc::limit_exceeded, no_offset);
    e.append("the union has ").append_number(out.size()).append(" resources, more than the limit of ");
    return e.append_number(max_resources).append(" (capmatch::max_resources)");
  }
  // Canonical text is at most 6 bytes per resource byte (\u00XX) plus the list of all 17
  // operations (about 300 bytes): measure it only when that bound is over the limit.
  std::size_t bound = 2;
  for (std::size_t i = 0; i < out.size(); ++i) bound += 6 * out.resource(i).size() + 320;
  if (bound > max_document_bytes) {
    std::vector<char> text;
    out.write_json(text);
    if (text.size() > max_document_bytes) {
      error e(errc::limit_exceeded, no_offset);
      e.append("the union's canonical text of ").append_number(text.size()).append(" bytes exceeds the limit of ");
      return e.append_number(max_document_bytes).append(" bytes (capmatch::max_document_bytes)");
    }
  }
  return out;
}

CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/union.hpp ----

// ---- begin include/capmatch/static_capability.hpp ----
// capmatch — capability literals checked during compilation: static_capability, "..."_cap,
// and static_matcher (a compiled matcher built during compilation, in static storage).
// SPDX-License-Identifier: MIT
//
// A wrong capability literal fails the build and says what and where, the way fmt checks
// format strings: the constructor is consteval and runs capability::parse (the same parser
// as at run time) during constant evaluation; an error reaches the compiler output through
// detail::capability_literal_error, which quotes the error and its byte offset. For text
// known only at run time use capability::parse, which returns result<capability>.
// What the compilers print, verbatim: docs/static_capability.md.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>


CAPMATCH_NAMESPACE_BEGIN

template <std::size_t N>
class static_capability;

namespace detail {

// ---- how an invalid literal becomes a readable compile error ----
//
// Constant evaluation stops at the first operation that is not a constant expression, and
// the compilers print that operation plus the chain of calls that led to it. clang prints
// the arguments of each call as values (a pointer to a string literal as the literal);
// g++ prints the calls as written in the source (string literals verbatim) and prints the
// value of an out-of-bounds subscript. So the error is reported as a call whose arguments
// are string literals chosen by the error (its key phrase and, where there is one, the
// suggestion), and which then reads element `at_byte` of an array of zero elements:
//   g++:   in 'constexpr' expansion of 'capability_literal_error(((const char*)"unknown operation"), ...)'
//          error: array subscript value '11' is outside the bounds of array
//                 'capmatch::v0_1::detail::invalid_capability_literal_at_byte' of type 'const char [0]'
//   clang: note: cannot refer to element 11 of array of 0 elements in a constant expression
//          note: in call to 'capability_literal_error(&"unknown operation"[0], ..., 11)'
// (A dynamically built message cannot be shown: clang 14 prints character arrays as lists
// of numbers and g++ prints call arguments as source text. The "..."_cap literal also puts
// the whole message in a template argument, which g++ prints as a string.)

// Never read: reading element `at_byte` of it is the compile error (zero-length arrays are
// a GNU extension that both g++ and clang accept; __extension__ keeps -Wpedantic quiet).
#if defined(__GNUC__)
__extension__ inline constexpr char invalid_capability_literal_at_byte[0] = {};
#else
inline constexpr char invalid_capability_literal_at_byte[1] = {};
#endif

/// Fails constant evaluation: the arguments say what is wrong, `at_byte` where. Only ever
/// reached during compilation of an invalid capability literal.
constexpr char capability_literal_error(const char* what, const char* hint, std::uint32_t at_byte) noexcept {
#if defined(__GNUC__)
  // The compilers quote the next line in the error: its comment speaks to whoever reads it.
  return what && hint ? invalid_capability_literal_at_byte[at_byte] : 0;  // invalid literal: `what` at `at_byte`
#else
  return what != nullptr && hint != nullptr ? invalid_capability_literal_at_byte[at_byte + 1] : '\0';
#endif
}

// The hint: the part of the message that does not depend on the input (error::hint()).
// Each row writes its literal in the call itself (not through a macro or a variable), so
// that g++ shows it: g++ prints the calls that led to the error as source text.
constexpr char report_with_hint(const char* what, const error& e, std::uint32_t at) noexcept {
  using H = error_hint;
  switch (e.hint()) {
    case H::did_you_mean_annotation_publish:
      return capability_literal_error(what, "did you mean 'annotation-publish'?", at);
    case H::did_you_mean_annotation_subscribe:
      return capability_literal_error(what, "did you mean 'annotation-subscribe'?", at);
    case H::did_you_mean_channel_metadata:
      return capability_literal_error(what, "did you mean 'channel-metadata'?", at);
    case H::did_you_mean_history:
      return capability_literal_error(what, "did you mean 'history'?", at);
    case H::did_you_mean_message_delete_any:
      return capability_literal_error(what, "did you mean 'message-delete-any'?", at);
    case H::did_you_mean_message_delete_own:
      return capability_literal_error(what, "did you mean 'message-delete-own'?", at);
    case H::did_you_mean_message_update_any:
      return capability_literal_error(what, "did you mean 'message-update-any'?", at);
    case H::did_you_mean_message_update_own:
      return capability_literal_error(what, "did you mean 'message-update-own'?", at);
    case H::did_you_mean_object_publish:
      return capability_literal_error(what, "did you mean 'object-publish'?", at);
    case H::did_you_mean_object_subscribe:
      return capability_literal_error(what, "did you mean 'object-subscribe'?", at);
    case H::did_you_mean_presence:
      return capability_literal_error(what, "did you mean 'presence'?", at);
    case H::did_you_mean_privileged_headers:
      return capability_literal_error(what, "did you mean 'privileged-headers'?", at);
    case H::did_you_mean_publish:
      return capability_literal_error(what, "did you mean 'publish'?", at);
    case H::did_you_mean_push_admin:
      return capability_literal_error(what, "did you mean 'push-admin'?", at);
    case H::did_you_mean_push_subscribe:
      return capability_literal_error(what, "did you mean 'push-subscribe'?", at);
    case H::did_you_mean_stats:
      return capability_literal_error(what, "did you mean 'stats'?", at);
    case H::did_you_mean_subscribe:
      return capability_literal_error(what, "did you mean 'subscribe'?", at);
    case H::name_an_operation: return capability_literal_error(what, "expected an operation such as 'subscribe' or 'publish', or '*' for all", at);
    case H::expected_object: return capability_literal_error(what, "expected a JSON object", at);
    case H::expected_string: return capability_literal_error(what, "expected a string", at);
    case H::expected_colon: return capability_literal_error(what, "expected ':' after the resource name", at);
    case H::expected_operations: return capability_literal_error(what, "expected an array of operations", at);
    case H::expected_operation_name: return capability_literal_error(what, "expected an operation name string", at);
    case H::expected_comma_or_bracket: return capability_literal_error(what, "expected ',' or ']'", at);
    case H::expected_comma_or_brace: return capability_literal_error(what, "expected ',' or '}'", at);
    case H::expected_open_brace: return capability_literal_error(what, "expected '{'", at);
    case H::expected_open_bracket: return capability_literal_error(what, "expected '['", at);
    case H::expected_close_bracket: return capability_literal_error(what, "expected ']'", at);
    case H::expected_close_brace: return capability_literal_error(what, "expected '}'", at);
    case H::found_string: return capability_literal_error(what, "found a string", at);
    case H::found_object: return capability_literal_error(what, "found an object", at);
    case H::found_array: return capability_literal_error(what, "found an array", at);
    case H::found_boolean: return capability_literal_error(what, "found a boolean", at);
    case H::found_null: return capability_literal_error(what, "found null", at);
    case H::found_number: return capability_literal_error(what, "found a number", at);
    case H::none: break;
  }
  return capability_literal_error(what, "", at);
}

/// Turns a parse error into a compile error that shows the error's key phrase (a piece of
/// its message that does not depend on the input, chosen by error::reason()), its hint, and
/// its byte offset.
constexpr char report_literal_error(const error& e) noexcept {
  const std::uint32_t at = e.offset();
  using R = error_reason;
  switch (e.reason()) {
    case R::empty_input: return report_with_hint("empty input", e, at);
    case R::byte_order_mark: return report_with_hint("byte order mark", e, at);
    case R::unexpected_end: return report_with_hint("unexpected end of input", e, at);
    case R::unexpected_character: return report_with_hint("unexpected character", e, at);
    case R::unexpected_byte: return report_with_hint("unexpected byte", e, at);
    case R::unterminated_string: return report_with_hint("unterminated string", e, at);
    case R::unterminated_escape: return report_with_hint("unterminated escape", e, at);
    case R::invalid_unicode_escape: return report_with_hint("invalid \\u escape", e, at);
    case R::invalid_escape: return report_with_hint("invalid escape", e, at);
    case R::lone_surrogate: return report_with_hint("lone surrogate", e, at);
    case R::invalid_utf8: return report_with_hint("invalid UTF-8", e, at);
    case R::control_character: return report_with_hint("control character", e, at);
    case R::trailing_characters: return report_with_hint("trailing characters after the capability", e, at);
    case R::not_an_object: return report_with_hint("a capability must be a JSON object", e, at);
    case R::operations_not_array: return report_with_hint("must be an array of strings", e, at);
    case R::operation_not_string: return report_with_hint("must be strings", e, at);
    case R::empty_operations: return report_with_hint("empty operation list for resource", e, at);
    case R::unknown_operation: return report_with_hint("unknown operation", e, at);
    case R::wildcard_not_alone: return report_with_hint("'*' must be the only operation for resource", e, at);
    case R::duplicate_operation: return report_with_hint("operation listed twice for resource", e, at);
    case R::duplicate_resource: return report_with_hint("resource listed twice", e, at);
    case R::empty_resource: return report_with_hint("empty resource", e, at);
    case R::resource_contains_nul: return report_with_hint("contains U+0000", e, at);
    case R::unclosed_qualifier: return report_with_hint("has '[' without a closing ']'", e, at);
    case R::bracket_in_qualifier: return report_with_hint("has '[' inside its qualifier", e, at);
    case R::empty_qualifier: return report_with_hint("has an empty qualifier; write [queue], [meta], [*] or no brackets", e, at);
    case R::qualifier_without_name: return report_with_hint("has a qualifier but no channel name after it; follow it with '*' for every such channel", e, at);
    case R::more_than_one_qualifier: return report_with_hint("has more than one qualifier", e, at);
    case R::document_too_large: return report_with_hint("(capmatch::max_document_bytes)", e, at);
    case R::too_many_resources: return report_with_hint("(capmatch::max_resources)", e, at);
    case R::resource_too_long: return report_with_hint("(capmatch::max_resource_bytes)", e, at);
    case R::too_many_segments: return report_with_hint("(capmatch::max_segments)", e, at);
    default: break;  // reasons a parsed literal cannot have (names, intersections)
  }
  if (e.code() == errc::limit_exceeded) return report_with_hint("limit exceeded (capmatch/limits.hpp)", e, at);
  return report_with_hint("invalid capability", e, at);
}

/// A capability literal after checking: its canonical text, number of resources, and the
/// first error (code ok when there is none). N is the capacity in bytes; canonical text is
/// never longer than the document it came from.
template <std::size_t N>
struct checked_literal {
  char text[N]{};
  std::uint32_t size = 0;
  std::uint32_t resources = 0;
  error err{};
};

template <std::size_t N>
[[nodiscard]] constexpr checked_literal<N> check_literal(std::string_view in) {
  checked_literal<N> out;
  const auto parsed = capability::parse(in);
  if (!parsed) {
    out.err = parsed.error();
    return out;
  }
  std::vector<char> canonical;
  parsed->write_json(canonical);
  if (canonical.size() >= N) {  // cannot happen: canonical text never grows; kept as a guard
    out.err = error(errc::limit_exceeded, 0, "canonical text longer than the literal (capmatch bug)");
    return out;
  }
  for (std::size_t i = 0; i < canonical.size(); ++i) out.text[i] = canonical[i];
  out.size = static_cast<std::uint32_t>(canonical.size());
  out.resources = static_cast<std::uint32_t>(parsed->size());
  return out;
}

/// A string literal as a template argument (for "..."_cap). N counts the terminating NUL.
template <std::size_t N>
struct fixed_string {
  char data[N]{};
  consteval fixed_string(const char (&s)[N]) noexcept {  // NOLINT: implicit, for literals
    for (std::size_t i = 0; i < N; ++i) data[i] = s[i];
  }
  [[nodiscard]] constexpr std::string_view view() const noexcept { return {data, N - 1}; }
};

/// An error message as a template argument: g++ prints it as a string in the diagnostic.
template <std::size_t N>
struct message_text {
  char text[N + 1]{};
  constexpr explicit message_text(std::string_view s) noexcept {
    for (std::size_t i = 0; i < N && i < s.size(); ++i) text[i] = s[i];
  }
};

/// Reports `e` during constant evaluation; Message repeats the whole message (g++ shows it
/// in the "in 'constexpr' expansion of" line; clang prints it as numbers, so the key phrase
/// and offset of report_literal_error are what clang users read).
template <auto Message>
constexpr char invalid_capability_literal(const error& e) noexcept {
  return report_literal_error(e);
}

template <class T>
inline constexpr bool always_false = false;

struct checked_tag {};

template <class T>
struct is_static_capability : std::false_type {};
template <std::size_t N>
struct is_static_capability<static_capability<N>> : std::true_type {};

}  // namespace detail

/// A capability written in the source and checked during compilation: every error that
/// capability::parse reports (docs/semantics.md §1) is a compile error naming the error and its
/// byte offset. Holds the canonical text in the object (static storage for a constexpr
/// variable): no parsing, allocation or start-up work at run time.
///
///     constexpr capmatch::static_capability key{R"({"chat:*":["publish","subscribe"]})"};
///     static_assert(key.json() == R"({"chat:*":["publish","subscribe"]})");
///     static_assert(key.allows("chat:lobby", capmatch::operation::publish));
///
/// N is the capacity in bytes (deduced from the literal). For text known only at run time,
/// use capability::parse (it returns result<capability> and never fails the build).
template <std::size_t N>
class static_capability {
  static_assert(N > 0, "static_capability<N> needs N >= 1");

 public:
  /// Checks `text` (a string literal, or a constexpr char array) during compilation.
  consteval static_capability(const char (&text)[N]) {  // NOLINT: implicit, like fmt's format_string
    const std::size_t n = text[N - 1] == '\0' ? N - 1 : N;
    init(detail::check_literal<N + 1>(std::string_view(text, n)));
  }
  /// Checks `text` (a constant expression) during compilation; it must fit the capacity N.
  consteval explicit static_capability(std::string_view text) {
    if (text.size() >= N) {
      (void)detail::capability_literal_error("capability literal longer than the static_capability<N> capacity", "",
                                             static_cast<std::uint32_t>(N));
    }
    init(detail::check_literal<N + 1>(text));
  }
  /// A std::string is not a literal: it cannot be checked during compilation.
  template <class Traits, class Alloc>
  static_capability(const std::basic_string<char, Traits, Alloc>&) {  // NOLINT
    static_assert(detail::always_false<Traits>,
                  "capmatch::static_capability checks a string literal during compilation; for text known only "
                  "at run time use capmatch::capability::parse(text), which returns result<capability>");
  }

  /// The canonical JSON text (docs/semantics.md §1.5), pointing into this object.
  [[nodiscard]] constexpr std::string_view json() const noexcept { return {text_, size_}; }
  /// The canonical text, NUL-terminated.
  [[nodiscard]] constexpr const char* c_str() const noexcept { return text_; }
  /// Number of resources.
  [[nodiscard]] constexpr std::size_t size() const noexcept { return resources_; }
  [[nodiscard]] constexpr bool empty() const noexcept { return resources_ == 0; }

  /// The capability itself (parses the canonical text: cheap, but it allocates at run time).
  [[nodiscard]] constexpr capability to_capability() const { return capability::parse(json()).value(); }

  /// As capability::ops_for / allows / allows_app_wide. Meant for static_assert: at run
  /// time each call parses the text; check through static_matcher<key> instead.
  [[nodiscard]] constexpr op_set ops_for(std::string_view name) const { return to_capability().ops_for(name); }
  [[nodiscard]] constexpr bool allows(std::string_view name, operation op) const {
    return to_capability().allows(name, op);
  }
  [[nodiscard]] constexpr bool allows_app_wide(operation op) const { return to_capability().allows_app_wide(op); }

  /// Equal when the canonical texts are equal.
  template <std::size_t M>
  [[nodiscard]] friend constexpr bool operator==(const static_capability& a, const static_capability<M>& b) noexcept {
    return a.json() == b.json();
  }
  [[nodiscard]] friend constexpr bool operator==(const static_capability& a, const capability& b) {
    return a.to_capability() == b;
  }
  /// True when `r` holds a capability equal to `a`; an error never equals a capability.
  [[nodiscard]] friend constexpr bool operator==(const static_capability& a, const result<capability>& r) {
    return r.has_value() && a.to_capability() == r.value();
  }

  /// From an already checked literal (used by "..."_cap).
  template <std::size_t M>
  consteval static_capability(detail::checked_tag, const detail::checked_literal<M>& c) {
    init(c);
  }

 private:
  template <std::size_t M>
  constexpr void init(const detail::checked_literal<M>& c) {
    if (c.err.code() != errc::ok) (void)detail::report_literal_error(c.err);
    for (std::size_t i = 0; i < c.size; ++i) text_[i] = c.text[i];
    size_ = c.size;
    resources_ = c.resources;
  }

  char text_[N + 1]{};
  std::uint32_t size_ = 0;
  std::uint32_t resources_ = 0;
};

template <std::size_t N>
static_capability(const char (&)[N]) -> static_capability<N>;
template <class Traits, class Alloc>
static_capability(const std::basic_string<char, Traits, Alloc>&) -> static_capability<1>;

/// The effective capability of key ∩ request (docs/semantics.md §4), for literals; usable in
/// static_assert: `static_assert(intersect(key, request) == expected)`.
template <std::size_t N, std::size_t M>
[[nodiscard]] constexpr result<capability> intersect(const static_capability<N>& key,
                                                     const static_capability<M>& request) {
  return intersect(key.to_capability(), request.to_capability());
}
template <std::size_t N>
[[nodiscard]] constexpr result<capability> intersect(const static_capability<N>& key, const capability& request) {
  return intersect(key.to_capability(), request);
}
template <std::size_t N>
[[nodiscard]] constexpr result<capability> intersect(const capability& key, const static_capability<N>& request) {
  return intersect(key, request.to_capability());
}
template <std::size_t N>
[[nodiscard]] constexpr result<capability> intersect(const static_capability<N>& key) {
  return intersect(key.to_capability());
}

inline namespace literals {
/// `R"({"chat:*":["publish"]})"_cap`: a static_capability checked during compilation.
/// The literal is a template argument, so on error the whole message is one too (g++
/// prints it as a string; clang 14 as numbers, beside the key phrase and offset).
template <detail::fixed_string S>
[[nodiscard]] consteval auto operator""_cap() {
  constexpr std::size_t n = sizeof(S.data);
  constexpr auto checked = detail::check_literal<n + 1>(S.view());
  if constexpr (checked.err.code() != errc::ok) {
    constexpr std::size_t len = checked.err.message().size();
    constexpr detail::message_text<len> message(checked.err.message());
    (void)detail::invalid_capability_literal<message>(checked.err);
  }
  return static_capability<n>(detail::checked_tag{}, checked);
}
}  // namespace literals

// ---- a compiled matcher built during compilation ----

namespace detail {
/// Pass 1: the table sizes of the matcher for Cap.
template <const auto& Cap>
inline constexpr matcher_shape static_matcher_shape = matcher(Cap.to_capability()).shape();
/// The fixed_matcher type that holds Cap's tables.
template <const auto& Cap>
using static_matcher_type = fixed_matcher<static_matcher_shape<Cap>.words,
                                          static_matcher_shape<Cap>.long_edges, static_matcher_shape<Cap>.pool>;
}  // namespace detail

/// The compiled matcher of a static_capability, built during compilation (pass 1 sizes the
/// tables, pass 2 fills std::array-like fixed arrays) and held in static storage: no heap,
/// no start-up work. Checks run the same code as matcher's. Cap must have static storage
/// duration (a namespace-scope or `static constexpr` variable):
///
///     static constexpr capmatch::static_capability key{R"({"chat:*":["publish"]})"};
///     constexpr const auto& m = capmatch::static_matcher<key>;
///     bool ok = m.allows(channel, capmatch::operation::publish);
template <const auto& Cap>
  requires detail::is_static_capability<std::remove_cvref_t<decltype(Cap)>>::value
inline constexpr detail::static_matcher_type<Cap> static_matcher{matcher(Cap.to_capability())};

CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/static_capability.hpp ----

// ---- begin include/capmatch/clock.hpp ----
// capmatch — the system clock in milliseconds since the Unix epoch: the default clock of
// token requests, revocation and the CLI. Every API that needs a time also takes one.
// SPDX-License-Identifier: MIT

#include <chrono>
#include <cstdint>


CAPMATCH_NAMESPACE_BEGIN

/// The current time in milliseconds since the Unix epoch (std::chrono::system_clock).
[[nodiscard]] inline std::int64_t system_clock_ms() noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// A clock: milliseconds since the Unix epoch.
using clock_ms_fn = std::int64_t (*)() noexcept;

CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/clock.hpp ----

// ---- begin include/capmatch/crypto/sha256.hpp ----
// capmatch — SHA-256 (FIPS 180-4): a portable constexpr implementation and, on x86-64, the SHA
// extensions (SHA-NI) chosen at run time. No dependency, no special compiler flags.
// SPDX-License-Identifier: MIT

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>


#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CAPMATCH_SHA_NI 1
#include <cpuid.h>
#include <immintrin.h>
#else
#define CAPMATCH_SHA_NI 0
#endif

CAPMATCH_NAMESPACE_BEGIN
namespace crypto {

/// A SHA-256 (or HMAC-SHA256) digest: 32 bytes.
using sha256_digest = std::array<std::uint8_t, 32>;

/// Which compression function a hasher uses. `automatic` takes SHA-NI when the CPU has it;
/// `sha_ni` on a CPU without it falls back to `portable`. Constant evaluation is always portable.
enum class sha256_backend : std::uint8_t { automatic, portable, sha_ni };

namespace detail {

inline constexpr std::uint32_t sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

inline constexpr std::array<std::uint32_t, 8> sha256_iv = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                                           0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

using sha256_state = std::array<std::uint32_t, 8>;

[[nodiscard]] constexpr std::uint32_t rotr(std::uint32_t x, int n) noexcept {
  return (x >> n) | (x << (32 - n));
}

/// Compresses `n` 64-byte blocks into `h`, portably. Straight-line arithmetic: no branch and no
/// table index depends on the data.
constexpr void sha256_compress_portable(sha256_state& h, const std::uint8_t* p, std::size_t n) noexcept {
  for (; n != 0; --n, p += 64) {
    std::uint32_t w[64]{};
    for (int i = 0; i < 16; ++i)
      w[i] = std::uint32_t{p[4 * i]} << 24 | std::uint32_t{p[4 * i + 1]} << 16 | std::uint32_t{p[4 * i + 2]} << 8 |
             std::uint32_t{p[4 * i + 3]};
    for (int i = 16; i < 64; ++i) {
      const std::uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      const std::uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (int i = 0; i < 64; ++i) {
      const std::uint32_t t1 = k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + sha256_k[i] + w[i];
      const std::uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      k = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += k;
  }
}

#if CAPMATCH_SHA_NI
/// True when the CPU has the SHA extensions and SSE4.1 (cpuid, asked once).
[[nodiscard]] inline bool cpu_has_sha_ni() noexcept {
  static const bool has = [] {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
    const bool sse41 = (c >> 19) & 1u, ssse3 = (c >> 9) & 1u;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
    return sse41 && ssse3 && ((b >> 29) & 1u);
  }();
  return has;
}

/// Four rounds (4i..4i+3) with the message schedule: `cur` holds this group's words, `prev` the
/// previous group's and `next` the next group's (partly scheduled); see Intel's SHA extensions paper.
template <int I>
__attribute__((target("sha,sse4.1"), always_inline)) inline void sha_ni_rounds(__m128i& s0, __m128i& s1,
                                                                               __m128i& cur, __m128i& prev,
                                                                               __m128i& next) noexcept {
  __m128i msg = _mm_add_epi32(cur, _mm_loadu_si128(reinterpret_cast<const __m128i*>(&sha256_k[4 * I])));
  s1 = _mm_sha256rnds2_epu32(s1, s0, msg);
  if constexpr (I >= 3 && I <= 14) {
    next = _mm_add_epi32(next, _mm_alignr_epi8(cur, prev, 4));
    next = _mm_sha256msg2_epu32(next, cur);
  }
  msg = _mm_shuffle_epi32(msg, 0x0E);
  s0 = _mm_sha256rnds2_epu32(s0, s1, msg);
  if constexpr (I >= 1 && I <= 12) prev = _mm_sha256msg1_epu32(prev, cur);
}

/// Compresses `n` 64-byte blocks into `h` with the SHA extensions (caller checked cpu_has_sha_ni).
__attribute__((target("sha,sse4.1"))) inline void sha256_compress_sha_ni(sha256_state& h, const std::uint8_t* p,
                                                                          std::size_t n) noexcept {
  const __m128i mask = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  __m128i tmp = _mm_loadu_si128(reinterpret_cast<const __m128i*>(&h[0]));
  __m128i s1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(&h[4]));
  tmp = _mm_shuffle_epi32(tmp, 0xB1);          // CDAB
  s1 = _mm_shuffle_epi32(s1, 0x1B);            // EFGH
  __m128i s0 = _mm_alignr_epi8(tmp, s1, 8);    // ABEF
  s1 = _mm_blend_epi16(s1, tmp, 0xF0);         // CDGH
  for (; n != 0; --n, p += 64) {
    const __m128i abef = s0, cdgh = s1;
    __m128i m0 = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), mask);
    __m128i m1 = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16)), mask);
    __m128i m2 = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 32)), mask);
    __m128i m3 = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 48)), mask);
    sha_ni_rounds<0>(s0, s1, m0, m3, m1);
    sha_ni_rounds<1>(s0, s1, m1, m0, m2);
    sha_ni_rounds<2>(s0, s1, m2, m1, m3);
    sha_ni_rounds<3>(s0, s1, m3, m2, m0);
    sha_ni_rounds<4>(s0, s1, m0, m3, m1);
    sha_ni_rounds<5>(s0, s1, m1, m0, m2);
    sha_ni_rounds<6>(s0, s1, m2, m1, m3);
    sha_ni_rounds<7>(s0, s1, m3, m2, m0);
    sha_ni_rounds<8>(s0, s1, m0, m3, m1);
    sha_ni_rounds<9>(s0, s1, m1, m0, m2);
    sha_ni_rounds<10>(s0, s1, m2, m1, m3);
    sha_ni_rounds<11>(s0, s1, m3, m2, m0);
    sha_ni_rounds<12>(s0, s1, m0, m3, m1);
    sha_ni_rounds<13>(s0, s1, m1, m0, m2);
    sha_ni_rounds<14>(s0, s1, m2, m1, m3);
    sha_ni_rounds<15>(s0, s1, m3, m2, m0);
    s0 = _mm_add_epi32(s0, abef);
    s1 = _mm_add_epi32(s1, cdgh);
  }
  tmp = _mm_shuffle_epi32(s0, 0x1B);           // FEBA
  s1 = _mm_shuffle_epi32(s1, 0xB1);            // DCHG
  s0 = _mm_blend_epi16(tmp, s1, 0xF0);         // DCBA
  s1 = _mm_alignr_epi8(s1, tmp, 8);            // HGFE
  _mm_storeu_si128(reinterpret_cast<__m128i*>(&h[0]), s0);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(&h[4]), s1);
}
#else
[[nodiscard]] inline bool cpu_has_sha_ni() noexcept { return false; }
#endif

/// Compresses `n` blocks with the backend `b` (portable in constant evaluation).
constexpr void sha256_compress(sha256_state& h, const std::uint8_t* p, std::size_t n, sha256_backend b) noexcept {
#if CAPMATCH_SHA_NI
  if (!std::is_constant_evaluated() && b != sha256_backend::portable && cpu_has_sha_ni())
    return sha256_compress_sha_ni(h, p, n);
#else
  (void)b;
#endif
  sha256_compress_portable(h, p, n);
}

/// Big-endian bytes of the state.
[[nodiscard]] constexpr sha256_digest sha256_bytes(const sha256_state& h) noexcept {
  sha256_digest d{};
#if CAPMATCH_DETAIL_SSE2
  if (!std::is_constant_evaluated()) {  // two 16-byte stores: what reads the digest whole or in
    auto swap = [](__m128i x) {          // words (base64, hmac_outer) is not stalled on forwarding
      x = _mm_or_si128(_mm_slli_epi16(x, 8), _mm_srli_epi16(x, 8));  // bytes within 16-bit lanes
      return _mm_shufflehi_epi16(_mm_shufflelo_epi16(x, 0xB1), 0xB1);  // 16-bit halves within 32-bit lanes
    };
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d.data()), swap(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h.data()))));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d.data() + 16),
                     swap(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h.data() + 4))));
    return d;
  }
#endif
  if (!std::is_constant_evaluated() && std::endian::native == std::endian::little) {
    for (int i = 0; i < 8; ++i) {  // (a byte swap and a 4-byte store per word, not 4 shifts and stores)
      const std::uint32_t x = h[i];  // (compilers make this one byte swap instruction)
      const std::uint32_t w = x >> 24 | (x >> 8 & 0xFF00u) | (x << 8 & 0xFF0000u) | x << 24;
      std::memcpy(d.data() + 4 * i, &w, 4);
    }
    return d;
  }
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 4; ++j) d[4 * i + j] = static_cast<std::uint8_t>(h[i] >> (24 - 8 * j));
  return d;
}

template <class C>
inline constexpr bool is_byte_v = std::is_same_v<C, char> || std::is_same_v<C, unsigned char> ||
                                  std::is_same_v<C, signed char> || std::is_same_v<C, std::byte> ||
                                  std::is_same_v<C, char8_t>;

/// Copies n bytes from p to out + at (a loop in constant evaluation, memcpy at run time).
template <class C>
constexpr void copy_bytes(std::uint8_t* out, const C* p, std::size_t n, std::size_t at) noexcept {
  if (std::is_constant_evaluated()) {
    for (std::size_t k = 0; k < n; ++k) out[at + k] = static_cast<std::uint8_t>(p[k]);
  } else if (n != 0) {
    std::memcpy(out + at, p, n);
  }
}
constexpr void fill_zero(std::uint8_t* out, std::size_t from, std::size_t to) noexcept {
  if (!std::is_constant_evaluated()) {
    if (from < to) std::memset(out + from, 0, to - from);
    return;
  }
  for (std::size_t k = from; k < to; ++k) out[k] = 0;
}
/// Writes `v` big-endian to out[0..8) (one byte swap and store at run time).
constexpr void store_be64(std::uint8_t* out, std::uint64_t v) noexcept {
  if (!std::is_constant_evaluated() && std::endian::native == std::endian::little) {
#if defined(__GNUC__) || defined(__clang__)
    v = __builtin_bswap64(v);
    std::memcpy(out, &v, 8);
    return;
#endif
  }
  for (int j = 0; j < 8; ++j) out[j] = static_cast<std::uint8_t>(v >> (56 - 8 * j));
}
}  // namespace detail

/// True when this CPU runs the SHA-NI backend (the `automatic` choice then uses it).
[[nodiscard]] inline bool has_sha_ni() noexcept { return detail::cpu_has_sha_ni(); }

/// Incremental SHA-256: `sha256 h; h.update(a).update(b); auto d = h.finish();`.
class sha256 {
 public:
  static constexpr std::size_t digest_size = 32;
  static constexpr std::size_t block_size = 64;

  constexpr sha256() noexcept = default;
  constexpr explicit sha256(sha256_backend backend) noexcept : backend_(backend) {}
  /// Resumes from a midstate after `blocks` whole blocks (HMAC's precomputed pads).
  constexpr sha256(const detail::sha256_state& midstate, std::uint64_t blocks, sha256_backend backend) noexcept
      : h_(midstate), total_(blocks * block_size), backend_(backend) {}

  /// Adds `n` bytes at `p` (any byte-sized type).
  template <class C, std::enable_if_t<detail::is_byte_v<C>, int> = 0>
  constexpr sha256& update(const C* p, std::size_t n) noexcept {
    total_ += n;
    std::size_t i = 0;
    if (used_ != 0) {
      const std::size_t take = n < block_size - used_ ? n : block_size - used_;
      detail::copy_bytes(buf_.data(), p, take, used_);
      used_ += take, i = take;
      if (used_ < block_size) return *this;
      detail::sha256_compress(h_, buf_.data(), 1, backend_);
      used_ = 0;
    }
    const std::size_t whole = (n - i) / block_size;
    if (whole != 0) {
      if (std::is_constant_evaluated()) {
        for (std::size_t b = 0; b < whole; ++b, i += block_size) {
          detail::copy_bytes(buf_.data(), p + i, block_size, 0);
          detail::sha256_compress(h_, buf_.data(), 1, backend_);
        }
      } else {
        detail::sha256_compress(h_, reinterpret_cast<const std::uint8_t*>(p + i), whole, backend_);
        i += whole * block_size;
      }
    }
    detail::copy_bytes(buf_.data(), p + i, n - i, 0);
    used_ = n - i;
    return *this;
  }
  constexpr sha256& update(std::string_view s) noexcept { return update(s.data(), s.size()); }
  template <std::size_t N>
  constexpr sha256& update(const std::array<std::uint8_t, N>& a) noexcept { return update(a.data(), N); }

  /// The digest of everything added; the hasher must not be updated afterwards (reset() first).
  [[nodiscard]] constexpr sha256_digest finish() noexcept {
    const std::uint64_t bits = total_ * 8;
    buf_[used_++] = 0x80;
    if (used_ > 56) {
      detail::fill_zero(buf_.data(), used_, block_size);
      detail::sha256_compress(h_, buf_.data(), 1, backend_);
      used_ = 0;
    }
    detail::fill_zero(buf_.data(), used_, 56);
    detail::store_be64(buf_.data() + 56, bits);
    detail::sha256_compress(h_, buf_.data(), 1, backend_);
    used_ = 0;
    return detail::sha256_bytes(h_);
  }

  /// Starts over (same backend).
  constexpr void reset() noexcept { *this = sha256(backend_); }
  /// The chaining state; only meaningful at a block boundary (bytes_hashed() % 64 == 0).
  [[nodiscard]] constexpr const detail::sha256_state& midstate() const noexcept { return h_; }
  [[nodiscard]] constexpr std::uint64_t bytes_hashed() const noexcept { return total_; }
  [[nodiscard]] constexpr sha256_backend backend() const noexcept { return backend_; }

 private:
  detail::sha256_state h_ = detail::sha256_iv;
  std::array<std::uint8_t, block_size> buf_{};
  std::uint64_t total_ = 0;
  std::size_t used_ = 0;
  sha256_backend backend_ = sha256_backend::automatic;
};

/// SHA-256 of `n` bytes at `p`.
template <class C, std::enable_if_t<detail::is_byte_v<C>, int> = 0>
[[nodiscard]] constexpr sha256_digest sha256_of(const C* p, std::size_t n,
                                                sha256_backend b = sha256_backend::automatic) noexcept {
  return sha256(b).update(p, n).finish();
}
/// SHA-256 of the bytes of `s`.
[[nodiscard]] constexpr sha256_digest sha256_of(std::string_view s,
                                                sha256_backend b = sha256_backend::automatic) noexcept {
  return sha256(b).update(s).finish();
}

}  // namespace crypto
CAPMATCH_NAMESPACE_END

#undef CAPMATCH_SHA_NI
// ---- end include/capmatch/crypto/sha256.hpp ----

// ---- begin include/capmatch/crypto/base64.hpp ----
// capmatch — base64 (RFC 4648 §4, padded) and base64url (§5, unpadded), strict decoding.
// SPDX-License-Identifier: MIT

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>


CAPMATCH_NAMESPACE_BEGIN
namespace crypto {

/// `standard`: RFC 4648 §4 alphabet (`+`, `/`) with `=` padding, required when decoding.
/// `url`: §5 alphabet (`-`, `_`) without padding; `=` is an error when decoding.
enum class base64_alphabet : std::uint8_t { standard, url };

/// The length of the encoding of `n` bytes.
[[nodiscard]] constexpr std::size_t base64_encoded_size(std::size_t n, base64_alphabet a) noexcept {
  return a == base64_alphabet::standard ? (n + 2) / 3 * 4 : n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

/// An upper bound on the decoded size of `n` characters.
[[nodiscard]] constexpr std::size_t base64_decoded_max(std::size_t n) noexcept { return (n + 3) / 4 * 3; }

namespace detail {
/// The character for the 6-bit value `v`, without a table or a branch on `v` (encoded values are
/// often macs: no cache-timing trace).
[[nodiscard]] constexpr char base64_char(unsigned v, base64_alphabet a) noexcept {
  const int x = static_cast<int>(v);
  const bool url = a == base64_alphabet::url;
  int c = x + 'A';
  c += ((25 - x) >> 8) & ('a' - 'A' - 26);
  c += ((51 - x) >> 8) & ('0' - 'a' - 26 + 26 - 26);
  c += ((61 - x) >> 8) & ((url ? '-' : '+') - ('0' + 10));
  c += ((62 - x) >> 8) & ((url ? '_' : '/') - (url ? '-' : '+') - 1);
  return static_cast<char>(c);
}

/// The 6-bit value of `c`, or 0xFF when `c` is not in the alphabet (decoding reads public input).
[[nodiscard]] constexpr std::array<std::uint8_t, 256> base64_table(base64_alphabet a) noexcept {
  std::array<std::uint8_t, 256> t{};
  for (auto& v : t) v = 0xFF;
  for (unsigned v = 0; v < 64; ++v) t[static_cast<unsigned char>(base64_char(v, a))] = static_cast<std::uint8_t>(v);
  return t;
}
inline constexpr auto base64_std_table = base64_table(base64_alphabet::standard);
inline constexpr auto base64_url_table = base64_table(base64_alphabet::url);

/// For character k (0-3) of a group of four: the 6-bit value of each character already shifted to
/// its place in the group's 24 bits, or 0xFF000000 when the character is not in the alphabet (so
/// that OR-ing the four gives the group's bits and, in the top byte, whether any was invalid).
[[nodiscard]] constexpr std::array<std::array<std::uint32_t, 256>, 4> base64_shifted_tables(base64_alphabet a) noexcept {
  const auto t = base64_table(a);
  std::array<std::array<std::uint32_t, 256>, 4> out{};
  for (unsigned k = 0; k < 4; ++k)
    for (unsigned c = 0; c < 256; ++c)
      out[k][c] = t[c] == 0xFF ? 0xFF000000u : std::uint32_t{t[c]} << (18 - 6 * k);
  return out;
}
inline constexpr auto base64_std_shifted = base64_shifted_tables(base64_alphabet::standard);
inline constexpr auto base64_url_shifted = base64_shifted_tables(base64_alphabet::url);

[[nodiscard]] constexpr capmatch::error base64_error(base64_alphabet a, std::size_t at, std::string_view what) noexcept {
  capmatch::error e(errc::invalid_base64, static_cast<std::uint32_t>(at));
  e.append(a == base64_alphabet::url ? "invalid base64url: " : "invalid base64: ").append(what);
  if (at != no_offset) e.append_at();
  return e;
}
}  // namespace detail

namespace detail {
/// The encoding of `n` bytes at `p` to `out`, one character at a time (base64_char): what
/// constant evaluation uses, and the reference the run-time encoders are tested against.
template <class C>
constexpr char* base64_encode_scalar(const C* p, std::size_t n, char* out, base64_alphabet a) noexcept {
  auto at = [&](std::size_t i) -> unsigned { return static_cast<std::uint8_t>(p[i]); };
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const unsigned w = at(i) << 16 | at(i + 1) << 8 | at(i + 2);
    *out++ = base64_char(w >> 18, a);
    *out++ = base64_char((w >> 12) & 63, a);
    *out++ = base64_char((w >> 6) & 63, a);
    *out++ = base64_char(w & 63, a);
  }
  if (n - i == 1) {
    const unsigned w = at(i) << 16;
    *out++ = base64_char(w >> 18, a);
    *out++ = base64_char((w >> 12) & 63, a);
    if (a == base64_alphabet::standard) *out++ = '=', *out++ = '=';
  } else if (n - i == 2) {
    const unsigned w = at(i) << 16 | at(i + 1) << 8;
    *out++ = base64_char(w >> 18, a);
    *out++ = base64_char((w >> 12) & 63, a);
    *out++ = base64_char((w >> 6) & 63, a);
    if (a == base64_alphabet::standard) *out++ = '=';
  }
  return out;
}

/// The eight characters of the eight 6-bit values in the bytes of `x` (one per byte, lane i =
/// bits 8i..8i+5), all at once and like base64_char without a table or a branch on a value
/// (SWAR): lane i of the result is base64_char(lane i of x).
[[nodiscard]] constexpr std::uint64_t base64_chars8(std::uint64_t x, base64_alphabet a) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  // 0x01 in each lane whose value is above k (x | 0x80 minus k + 1 never borrows from a lane)
  auto above = [&](unsigned k) { return (((x | highs) - (k + 1) * ones) & highs) >> 7; };
  const bool url = a == base64_alphabet::url;
  // the character is x + 'A', + 6 from 26 ('a' - 26), - 75 from 52 ('0' - 52), then '+'/'-' at 62
  // and '/'/'_' at 63. The additions and the subtractions are summed apart: each stays below
  // 256 in every lane and the difference is a character (>= 0), so no lane carries or borrows.
  const unsigned d62 = url ? '-' - ('0' - 52 + 62) : '+' - ('0' - 52 + 62);  // (negative: subtracted)
  const unsigned d63 = url ? '_' - ('-' + 1) : '/' - ('+' + 1);               // (positive: added)
  const std::uint64_t plus = x + 'A' * ones + 6 * above(25) + d63 * above(62);
  const std::uint64_t minus = 75 * above(51) + (0u - d62) * above(61);
  return plus - minus;
}

/// The eight bytes at q + at as a big-endian word.
template <class C>
[[nodiscard]] inline std::uint64_t base64_load_be(const C* q, std::size_t at) noexcept {
  std::uint64_t w = 0;
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(&w, q + at, 8);
#if defined(__GNUC__) || defined(__clang__)
    w = __builtin_bswap64(w);
#else
    w = (w & 0x00000000FFFFFFFFull) << 32 | (w & 0xFFFFFFFF00000000ull) >> 32;
    w = (w & 0x0000FFFF0000FFFFull) << 16 | (w & 0xFFFF0000FFFF0000ull) >> 16;
    w = (w & 0x00FF00FF00FF00FFull) << 8 | (w & 0xFF00FF00FF00FF00ull) >> 8;
#endif
  } else {
    for (std::size_t k = 0; k < 8; ++k) w = w << 8 | static_cast<std::uint8_t>(q[at + k]);
  }
  return w;
}
/// Six bytes (big-endian in bits 47..0) spread to one 6-bit value per byte, the first value in
/// the lowest byte: two 24-bit halves in 32-bit lanes, then four values per lane.
[[nodiscard]] constexpr std::uint64_t base64_spread(std::uint64_t v) noexcept {
  const std::uint64_t s = (v >> 24 & 0xFFFFFF) | (v & 0xFFFFFF) << 32;
  return (s >> 18 & 0x0000003F0000003Full) | (s >> 4 & 0x00003F0000003F00ull) | (s << 10 & 0x003F0000003F0000ull) |
         (s << 24 & 0x3F0000003F000000ull);
}
/// Writes `chars` characters of an encoding of `rest` bytes, then the padding the alphabet has.
inline char* base64_put_tail(const char* c, std::size_t rest, char* out, base64_alphabet a) noexcept {
  const std::size_t chars = (rest * 8 + 5) / 6;  // 1→2, 2→3, 3→4, 4→6, 5→7, 6→8, …
  std::memcpy(out, c, chars);
  out += chars;
  if (a == base64_alphabet::standard)
    for (std::size_t k = chars; k % 4 != 0; ++k) *out++ = '=';
  return out;
}

/// base64_encode_to's run-time encoder without SIMD: six bytes become eight characters at a
/// time (base64_chars8), the last 1-7 bytes through a zero-filled word.
template <class C>
inline char* base64_encode_words(const C* p, std::size_t n, char* out, base64_alphabet a) noexcept {
  auto put8 = [](char* o, std::uint64_t c) {
    if constexpr (std::endian::native == std::endian::little) std::memcpy(o, &c, 8);
    else for (unsigned j = 0; j < 8; ++j) o[j] = static_cast<char>(c >> (8 * j));
  };
  std::size_t i = 0;
  for (; i + 8 <= n; i += 6, out += 8)  // (reads eight bytes, encodes six)
    put8(out, base64_chars8(base64_spread(base64_load_be(p, i) >> 16), a));
  while (i < n) {  // the last 1-7 bytes, six at most at a time, zero-filled
    const std::size_t take = n - i < 6 ? n - i : 6;
    std::uint64_t v = 0;
    for (std::size_t k = 0; k < 6; ++k) v = v << 8 | (k < take ? static_cast<std::uint8_t>(p[i + k]) : 0u);
    char c[8];
    put8(c, base64_chars8(base64_spread(v), a));
    out = base64_put_tail(c, take, out, a);
    i += take;
  }
  return out;
}

#if CAPMATCH_DETAIL_SSE2
/// base64_chars8 on sixteen lanes (each a 6-bit value): the same steps with byte compares.
[[nodiscard]] inline __m128i base64_chars16(__m128i x, base64_alphabet a) noexcept {
  const bool url = a == base64_alphabet::url;
  auto above = [&](char k, int add) { return _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(k)), _mm_set1_epi8(static_cast<char>(add))); };
  __m128i c = _mm_add_epi8(x, _mm_set1_epi8('A'));
  c = _mm_add_epi8(c, above(25, 'a' - 'A' - 26));
  c = _mm_add_epi8(c, above(51, '0' - 52 - ('a' - 26)));
  c = _mm_add_epi8(c, above(61, (url ? '-' : '+') - ('0' - 52 + 62)));
  c = _mm_add_epi8(c, above(62, (url ? '_' : '/') - (url ? '-' : '+') - 1));
  return c;
}
/// base64_encode_to's run-time encoder with SSE2: 24 bytes become 32 characters at a time
/// (base64_chars16 twice); the last 1-23 bytes through the same step, zero-filled. The input is
/// read as whole 8-byte words at multiples of eight from its start (the last one through
/// swar::load_partial, never past the end): input written in 8- or 16-byte stores (a digest,
/// sha256_bytes) is read without a store-forwarding stall.
template <class C>
inline char* base64_encode_sse2(const C* p, std::size_t n, char* out, base64_alphabet a) noexcept {
  const char* q = reinterpret_cast<const char*>(p);
  auto word = [q, n](std::size_t at) -> std::uint64_t {  // bytes at.. (up to 8, zero-filled), big-endian
    const std::uint64_t w = ::capmatch::detail::swar::load_partial(q + at, n - at < 8 ? n - at : 8);
#if defined(__GNUC__) || defined(__clang__)
    return __builtin_bswap64(w);
#else
    return base64_load_be(reinterpret_cast<const unsigned char*>(&w), 0);
#endif
  };
  auto step = [a](std::uint64_t w0, std::uint64_t w1, std::uint64_t w2, char* o) {  // 24 bytes, 32 chars
    constexpr std::uint64_t m48 = 0xFFFFFFFFFFFFull;
    const std::uint64_t g0 = w0 >> 16, g1 = (w0 << 32 | w1 >> 32) & m48;  // bytes 0-5, 6-11
    const std::uint64_t g2 = (w1 << 16 | w2 >> 48) & m48, g3 = w2 & m48;  // bytes 12-17, 18-23
    auto chars = [a](std::uint64_t lo, std::uint64_t hi) {
      return base64_chars16(_mm_set_epi64x(static_cast<long long>(base64_spread(hi)), static_cast<long long>(base64_spread(lo))), a);
    };
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o), chars(g0, g1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o + 16), chars(g2, g3));
  };
  std::size_t i = 0;
  for (; i + 24 <= n; i += 24, out += 32) step(word(i), word(i + 8), word(i + 16), out);
  if (i == n) return out;
  const std::size_t rest = n - i;  // 1..23
  char c[32];
  step(word(i), rest > 8 ? word(i + 8) : 0, rest > 16 ? word(i + 16) : 0, c);
  return base64_put_tail(c, rest, out, a);
}
#endif
}  // namespace detail

/// Writes the encoding of `n` bytes at `p` to `out` (base64_encoded_size(n, a) chars, no
/// terminator) and returns the end. No allocation. At run time with SSE2 24 bytes at a time
/// (detail::base64_encode_sse2), else six (detail::base64_encode_words); in constant evaluation
/// detail::base64_encode_scalar, whose result both equal.
template <class C, std::enable_if_t<detail::is_byte_v<C>, int> = 0>
constexpr char* base64_encode_to(const C* p, std::size_t n, char* out, base64_alphabet a) noexcept {
  if (std::is_constant_evaluated()) return detail::base64_encode_scalar(p, n, out, a);
#if CAPMATCH_DETAIL_SSE2
  return detail::base64_encode_sse2(p, n, out, a);
#else
  return detail::base64_encode_words(p, n, out, a);
#endif
}

/// The encoding of a fixed-size byte array in a fixed-size char array (e.g. a digest: 44 chars
/// standard, 43 url). No allocation.
template <base64_alphabet A, std::size_t N>
[[nodiscard]] constexpr std::array<char, base64_encoded_size(N, A)> base64_encode_array(
    const std::array<std::uint8_t, N>& bytes) noexcept {
  std::array<char, base64_encoded_size(N, A)> out{};
  base64_encode_to(bytes.data(), N, out.data(), A);
  return out;
}

/// The padded standard base64 of the bytes of `s`.
[[nodiscard]] inline std::string base64_encode(std::string_view s) {
  std::string out(base64_encoded_size(s.size(), base64_alphabet::standard), '\0');
  base64_encode_to(s.data(), s.size(), out.data(), base64_alphabet::standard);
  return out;
}
/// The unpadded base64url of the bytes of `s`.
[[nodiscard]] inline std::string base64url_encode(std::string_view s) {
  std::string out(base64_encoded_size(s.size(), base64_alphabet::url), '\0');
  base64_encode_to(s.data(), s.size(), out.data(), base64_alphabet::url);
  return out;
}

/// Decodes `in` strictly into `out` (room for `cap` bytes) and returns the number of bytes written,
/// or an errc::invalid_base64 error: a character outside the alphabet (whitespace included), missing,
/// misplaced or excess `=` (standard), any `=` (url), a length no encoding has, non-zero unused
/// bits in the last character, or `cap` too small. Messages name byte offsets, never the content.
constexpr result<std::size_t> base64_decode_to(std::string_view in, std::uint8_t* out, std::size_t cap,
                                               base64_alphabet a) noexcept {
  const auto& table = a == base64_alphabet::url ? detail::base64_url_table : detail::base64_std_table;
  std::size_t n = in.size();
  if (a == base64_alphabet::standard) {
    if (n % 4 != 0) return detail::base64_error(a, no_offset, "the length is not a multiple of 4 (padding is required)");
    if (n != 0 && in[n - 1] == '=') n -= in[n - 2] == '=' ? 2 : 1;
  } else if (n % 4 == 1) {
    return detail::base64_error(a, no_offset, "the length leaves a single character over");
  }
  const std::size_t size = n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1);
  if (size > cap) return detail::base64_error(a, no_offset, "the output buffer is too small");
  auto val = [&](std::size_t i) -> unsigned { return table[static_cast<unsigned char>(in[i])]; };
  auto bad = [&](std::size_t i) -> capmatch::error {
    if (in[i] == '=')
      return detail::base64_error(a, i, a == base64_alphabet::url ? "padding '=' (base64url is unpadded)" : "misplaced padding '='");
    return detail::base64_error(a, i, a == base64_alphabet::url ? "a character outside the base64url alphabet" : "a character outside the base64 alphabet");
  };
  std::size_t i = 0, o = 0;
  // Eight characters at a time while the decoded bytes still to come cover an 8-byte store (6
  // bytes used, the other 2 rewritten next; nothing beyond the decoded size is written): each
  // group of four is the OR of four pre-shifted table values (base64_shifted_tables), whose top
  // byte says whether any character was outside the alphabet; the two groups' 48 bits are
  // stored big-endian in one go. The loop below takes the rest (and constant evaluation).
  if (!std::is_constant_evaluated()) {
    const auto& sh = a == base64_alphabet::url ? detail::base64_url_shifted : detail::base64_std_shifted;
    const auto* p = reinterpret_cast<const unsigned char*>(in.data());
    for (; i + 8 <= n && o + 8 <= size; i += 8) {
      const std::uint32_t g0 = sh[0][p[i]] | sh[1][p[i + 1]] | sh[2][p[i + 2]] | sh[3][p[i + 3]];
      const std::uint32_t g1 = sh[0][p[i + 4]] | sh[1][p[i + 5]] | sh[2][p[i + 6]] | sh[3][p[i + 7]];
      if (((g0 | g1) & 0xFF000000u) != 0) {
        for (std::size_t k = i;; ++k)
          if (val(k) & 0x80) return bad(k);
      }
      const std::uint64_t w = (std::uint64_t{g0} << 24 | g1) << 16;
#if defined(__GNUC__) || defined(__clang__)
      const std::uint64_t be = std::endian::native == std::endian::little ? __builtin_bswap64(w) : w;
      std::memcpy(out + o, &be, 8);
#else
      for (std::size_t k = 0; k < 8; ++k) out[o + k] = static_cast<std::uint8_t>(w >> (56 - 8 * k));
#endif
      o += 6;
    }
  }
  for (; i + 4 <= n; i += 4) {
    const unsigned v0 = val(i), v1 = val(i + 1), v2 = val(i + 2), v3 = val(i + 3);
    if ((v0 | v1 | v2 | v3) & 0x80) {
      for (std::size_t k = i;; ++k)
        if (val(k) & 0x80) return bad(k);
    }
    const unsigned w = v0 << 18 | v1 << 12 | v2 << 6 | v3;
    out[o++] = static_cast<std::uint8_t>(w >> 16);
    out[o++] = static_cast<std::uint8_t>(w >> 8);
    out[o++] = static_cast<std::uint8_t>(w);
  }
  if (n - i >= 2) {
    for (std::size_t k = i; k < n; ++k)
      if (val(k) & 0x80) return bad(k);
    const unsigned v0 = val(i), v1 = val(i + 1);
    if (n - i == 2) {
      if (v1 & 15) return detail::base64_error(a, i + 1, "non-zero unused bits in the last character");
      out[o++] = static_cast<std::uint8_t>(v0 << 2 | v1 >> 4);
    } else {
      const unsigned v2 = val(i + 2);
      if (v2 & 3) return detail::base64_error(a, i + 2, "non-zero unused bits in the last character");
      out[o++] = static_cast<std::uint8_t>(v0 << 2 | v1 >> 4);
      out[o++] = static_cast<std::uint8_t>(v1 << 4 | v2 >> 2);
    }
  }
  return o;
}

namespace detail {
[[nodiscard]] inline result<std::string> base64_decode_string(std::string_view in, base64_alphabet a) {
  std::string out(base64_decoded_max(in.size()), '\0');
  auto r = base64_decode_to(in, reinterpret_cast<std::uint8_t*>(out.data()), out.size(), a);
  if (!r) return r.error();
  out.resize(*r);
  return out;
}
}  // namespace detail

/// The bytes of strict padded standard base64 `in` (errors: see base64_decode_to).
[[nodiscard]] inline result<std::string> base64_decode(std::string_view in) {
  return detail::base64_decode_string(in, base64_alphabet::standard);
}
/// The bytes of strict unpadded base64url `in` (errors: see base64_decode_to).
[[nodiscard]] inline result<std::string> base64url_decode(std::string_view in) {
  return detail::base64_decode_string(in, base64_alphabet::url);
}

/// A 32-byte digest from its exact encoding (44 chars standard, 43 url); anything else is an error.
[[nodiscard]] constexpr result<sha256_digest> base64_decode_digest(std::string_view in, base64_alphabet a) noexcept {
  sha256_digest d{};
  if (in.size() != base64_encoded_size(d.size(), a))
    return detail::base64_error(a, no_offset, a == base64_alphabet::url ? "a 32-byte digest takes 43 characters"
                                                                         : "a 32-byte digest takes 44 characters");
  auto r = base64_decode_to(in, d.data(), d.size(), a);
  if (!r) return r.error();
  return d;
}

}  // namespace crypto
CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/crypto/base64.hpp ----

// ---- begin include/capmatch/detail/json_object.hpp ----
// capmatch — the strict reader of one JSON object for wire forms: a TokenRequest (flat: scalar
// members only) and JWT headers and claims (nested values validated and kept as raw text).
// Internal; built on json_reader.
// SPDX-License-Identifier: MIT

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>


CAPMATCH_NAMESPACE_BEGIN
namespace detail {

/// The kind of a member's value.
enum class json_type : std::uint8_t { string, number, boolean, null, object, array };

/// Limits of json_object::parse; input beyond one is an error, never truncated.
struct json_object_limits {
  std::size_t max_bytes = 64u << 10;  ///< the whole text
  /// Members of the object. The duplicate-name check costs O(n log n) name compares (pairwise
  /// up to json_object::pairwise_members, then one sort of the names): this bounds the object's
  /// size in members, not the check's cost per member.
  std::size_t max_members = 1024;
  /// Nesting depth of one member's value; 0: only strings, numbers, booleans and null (a flat
  /// object such as a TokenRequest), a nested value is an error naming the member.
  std::size_t max_depth = 32;
  /// When not empty: the string value of the member of this name is not decoded when it is
  /// ASCII (no byte below 0x20) whose only escapes are \" \\ \/ (simple_escaped_end); it
  /// is kept as written between its quotes (member::value_escaped). Any other string is read
  /// and decoded as usual (and its errors are the usual ones).
  std::string_view keep_escaped;
};

/// The end (the closing quote's index) of a JSON string whose body starts at `pos` when that
/// body is ASCII (no byte below 0x20) with no escape other than \" \\ \/ (each decodes to its second
/// byte), or std::string_view::npos otherwise. Such a body is a valid JSON string; any string
/// this refuses is left to the decoding reader, which accepts or names its error.
[[nodiscard]] constexpr std::size_t simple_escaped_end(std::string_view text, std::size_t pos) noexcept {
  constexpr std::size_t npos = std::string_view::npos;
  auto simple = [](char c) { return c == '"' || c == '\\' || c == '/'; };
  std::size_t i = pos;
#if CAPMATCH_DETAIL_SSE2
  if (!std::is_constant_evaluated()) {
    // 64 bytes at a time as bit masks (bit k: byte i + k), without a branch per escape, while
    // no backslash follows a backslash (then each backslash escapes the next byte: the escaped
    // bytes are the backslashes shifted by one). A block where one does, and the last bytes, go
    // to the word loop below, starting at the backslash when one escapes the block's first byte.
    auto mask = [&](__m128i v, char c) {
      return static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(c)))));
    };
    std::uint64_t carry = 0;  // 1: byte i is escaped by the backslash at i - 1
    for (; i + 64 <= text.size(); i += 64) {
      std::uint64_t q = 0, b = 0, slash = 0, bad = 0;
      for (unsigned k = 0; k < 4; ++k) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i + 16 * k));
        q |= mask(v, '"') << (16 * k);
        b |= mask(v, '\\') << (16 * k);
        slash |= mask(v, '/') << (16 * k);
        // (signed compare: below 0x20, or 0x80 and above)
        bad |= static_cast<std::uint64_t>(static_cast<std::uint32_t>(
                   _mm_movemask_epi8(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)))))
               << (16 * k);
      }
      const std::uint64_t escaped = b << 1 | carry;
      if ((b & escaped) != 0) break;  // a backslash after a backslash
      const std::uint64_t quote = q & ~escaped;  // unescaped quotes: the first one ends the body
      const std::uint64_t before = quote == 0 ? ~std::uint64_t{0} : (quote & (0 - quote)) - 1;
      if (((bad | (escaped & ~(q | slash))) & before) != 0) return npos;
      if (quote != 0) return i + static_cast<std::size_t>(std::countr_zero(quote));
      carry = b >> 63;
    }
    i -= carry;
  }
#endif
  if (!std::is_constant_evaluated() && std::endian::native == std::endian::little) {
    // Eight bytes at a time; every flagged byte of the word is handled from the word's flags
    // (a capability has an escape every few bytes: one plain_ascii_end call each costs more).
    while (i + 8 <= text.size()) {
      std::uint64_t w;
      std::memcpy(&w, text.data() + i, 8);
      std::uint64_t flags = swar::bytes_equal(w, '"') | swar::bytes_equal(w, '\\') | swar::control_or_high(w);
      std::size_t next = i + 8;
      while (flags != 0) {
        const auto n = static_cast<std::size_t>(std::countr_zero(flags) >> 3);
        const char c = text[i + n];
        if (c == '"') return i + n;
        if (c != '\\' || i + n + 1 >= text.size() || !simple(text[i + n + 1])) return npos;
        if (n == 7) {  // the escaped byte starts the next word: skip it
          next = i + 9;
          break;
        }
        flags &= ~(std::uint64_t{0xFFFF} << (8 * n));  // (the backslash and the byte it escapes)
      }
      i = next;
    }
  }
  for (; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"') return i;
    if (c < 0x20 || c >= 0x80) return npos;
    if (c == '\\') {
      if (i + 1 >= text.size() || !simple(text[i + 1])) return npos;
      ++i;
    }
  }
  return npos;
}

/// Decodes a body accepted by simple_escaped_end (up to its end) at `o`, which has room for
/// body.size() + 8 bytes (word stores), and returns the end of what it wrote: each backslash is
/// dropped and the byte after it kept. Eight bytes at a time; one step per escape.
constexpr char* decode_simple_escaped(std::string_view body, char* o) noexcept {
  std::size_t i = 0;
  const std::size_t n = body.size();
  if (!std::is_constant_evaluated() && std::endian::native == std::endian::little) {
    while (i + 8 <= n) {
      std::uint64_t w;
      std::memcpy(&w, body.data() + i, 8);
      std::memcpy(o, &w, 8);  // (the bytes before the first backslash are kept, the rest rewritten)
      const std::uint64_t flags = swar::bytes_equal(w, '\\');
      if (flags == 0) {
        o += 8, i += 8;
        continue;
      }
      const auto k = static_cast<std::size_t>(std::countr_zero(flags) >> 3);
      o += k;
      *o++ = body[i + k + 1];  // (an accepted body never ends in a lone backslash)
      i += k + 2;
    }
  }
  for (; i < n; ++i) {
    if (body[i] == '\\') ++i;
    *o++ = body[i];
  }
  return o;
}

/// decode_simple_escaped into `out` (replacing what it held).
inline void decode_simple_escaped(std::string_view body, std::string& out) {
  out.resize(body.size() + 8);
  out.resize(static_cast<std::size_t>(decode_simple_escaped(body, out.data()) - out.data()));
}

/// Reads a JSON number at `pos` (RFC 8259 grammar); returns its end, or `pos` when there is
/// none. `*integer` says whether it has no fraction or exponent and fits int64 (`*value`).
[[nodiscard]] constexpr std::size_t read_json_number(std::string_view s, std::size_t pos, bool* integer,
                                                     std::int64_t* value) noexcept {
  std::size_t i = pos;
  auto digit = [&](std::size_t k) { return k < s.size() && s[k] >= '0' && s[k] <= '9'; };
  const bool negative = i < s.size() && s[i] == '-';
  if (negative) ++i;
  if (!digit(i)) return pos;
  bool exact = true;
  std::uint64_t mag = 0;
  const std::uint64_t limit = negative ? std::uint64_t{1} << 63 : (std::uint64_t{1} << 63) - 1;
  if (s[i] == '0') {
    ++i;
  } else {
    for (; digit(i); ++i) {
      const auto d = static_cast<std::uint64_t>(s[i] - '0');
      if (mag > (limit - d) / 10) exact = false;
      else mag = mag * 10 + d;
    }
  }
  if (i < s.size() && s[i] == '.') {
    if (!digit(++i)) return pos;
    while (digit(i)) ++i;
    exact = false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digit(i)) return pos;
    while (digit(i)) ++i;
    exact = false;
  }
  *integer = exact;
  *value = !exact ? 0 : negative ? static_cast<std::int64_t>(0 - mag) : static_cast<std::int64_t>(mag);
  return i;
}

/// A JSON object read strictly (RFC 8259, UTF-8, no duplicate member names). Names and string
/// values are views into the text when written without escapes and into the object's own pool
/// otherwise: the text must outlive the object. Reuse one object (read()) to parse without
/// allocating once its buffers have grown.
class json_object {
 public:
  /// Up to this many members, each name is compared with every earlier one as it is read (at
  /// most 120 compares); beyond, duplicates are found by sorting the names once when the object
  /// ends or reading stops (O(n log n) compares). Either way the error is the same: the first
  /// member, in the text's order, whose name equals an earlier one's, unless an error earlier
  /// in the text came first.
  static constexpr std::size_t pairwise_members = 16;

  struct member {
    std::uint32_t key_offset = 0, key_size = 0;      // decoded name (in the text or the pool)
    std::uint32_t value_offset = 0, value_size = 0;  // decoded string value (in the text or the pool)
    std::uint32_t raw_offset = 0, raw_size = 0;      // the value as written, in the text
    std::uint32_t key_at = 0;                        // byte offset of the name's opening quote
    json_type kind = json_type::null;
    bool integer = false;  // a number written without fraction or exponent that fits int64
    bool key_pooled = false, value_pooled = false;
    /// The string value is kept as written (json_object_limits::keep_escaped), not decoded.
    bool value_escaped = false;
    std::int64_t int_value = 0;
  };

  /// The object in `text`, or the first error (with byte offset).
  [[nodiscard]] static constexpr result<json_object> parse(std::string_view text, json_object_limits lim = {}) {
    json_object out;
    if (error e = out.read(text, lim); e.code() != errc::ok) return e;
    return out;
  }
  /// One JSON value of any kind in `text` (whitespace around it allowed), as member 0 with an
  /// empty name, or the first error (byte offsets in `text`).
  [[nodiscard]] static constexpr result<json_object> parse_value(std::string_view text, json_object_limits lim = {}) {
    json_object out;
    if (error e = out.read_impl(text, lim, true); e.code() != errc::ok) return e;
    return out;
  }
  /// Reads the object in `text` into this one (replacing what it held; buffers keep their
  /// capacity). Returns an error with code errc::ok, or the first error (the object is then empty).
  [[nodiscard]] constexpr error read(std::string_view text, json_object_limits lim = {}) {
    return read_impl(text, lim, false);
  }

  [[nodiscard]] constexpr std::size_t size() const noexcept { return members_.size(); }
  [[nodiscard]] constexpr const member& at(std::size_t i) const noexcept { return members_[i]; }
  /// Decoded name of member i.
  [[nodiscard]] constexpr std::string_view key(std::size_t i) const noexcept {
    const member& m = members_[i];
    return view(m.key_pooled, m.key_offset, m.key_size);
  }
  /// Decoded value of member i when it is a string (empty otherwise); as written between its
  /// quotes when member::value_escaped.
  [[nodiscard]] constexpr std::string_view string_value(std::size_t i) const noexcept {
    const member& m = members_[i];
    return view(m.value_pooled, m.value_offset, m.value_size);
  }
  /// Member i's value exactly as written in the text.
  [[nodiscard]] constexpr std::string_view raw(std::size_t i) const noexcept {
    return text_.substr(members_[i].raw_offset, members_[i].raw_size);
  }
  /// Name compares the duplicate check made in the last read (tests/test_complexity.cpp).
  [[nodiscard]] constexpr std::size_t name_compares() const noexcept { return name_compares_; }
  /// Index of the member named `name`, or size() when absent.
  [[nodiscard]] constexpr std::size_t find(std::string_view name) const noexcept {
    for (std::size_t i = 0; i < members_.size(); ++i)
      if (key(i) == name) return i;
    return members_.size();
  }

 private:
  [[nodiscard]] constexpr std::string_view view(bool pooled, std::uint32_t off, std::uint32_t n) const noexcept {
    if (n == 0) return {};
    return pooled ? std::string_view(pool_.data() + off, n) : text_.substr(off, n);
  }

  /// A string at the cursor (after whitespace): a view into the text when it has no escape and
  /// no non-ASCII byte, else decoded into `into` (pooled). Sets offset/size/pooled.
  [[nodiscard]] static constexpr bool read_string(json_reader& r, std::string_view text, std::vector<char>& into,
                                                  std::uint32_t& offset, std::uint32_t& size, bool& pooled,
                                                  error& err) {
    r.skip_ws();
    const std::size_t start = r.pos();
    const std::size_t before = into.size();
    if (r.peek() == '"' && !r.at_end()) {
      const std::size_t end = plain_ascii_end(text, start + 1);
      if (end < text.size() && text[end] == '"') {
        offset = static_cast<std::uint32_t>(start + 1);
        size = static_cast<std::uint32_t>(end - start - 1);
        pooled = false;
        r.skip(end + 1 - start);
        return true;
      }
      // ASCII with only \" \\ \/ escapes (a capability inside a TokenRequest or a JWT): its end
      // by simple_escaped_end (from the first escape: the plain bytes before it are in its
      // grammar), decoded by decode_simple_escaped; anything else is left to
      // json_reader::read_string, which decodes it or names the error.
      if (const std::size_t close = simple_escaped_end(text, end); close != std::string_view::npos) {
        const std::string_view body = text.substr(start + 1, close - start - 1);
        into.resize(before + body.size() + 8);
        char* const base = into.data() + before;
        const auto n = static_cast<std::size_t>(decode_simple_escaped(body, base) - base);
        into.resize(before + n);
        offset = static_cast<std::uint32_t>(before);
        size = static_cast<std::uint32_t>(n);
        pooled = true;
        r.skip(close + 1 - start);
        return true;
      }
    }
    if (!r.read_string(into, err)) return false;
    offset = static_cast<std::uint32_t>(before);
    size = static_cast<std::uint32_t>(into.size() - before);
    pooled = true;
    return true;
  }

  /// A scalar at the cursor: string (into `into`), number or literal.
  [[nodiscard]] static constexpr bool read_scalar(json_reader& r, std::string_view text, std::vector<char>& into,
                                                  member& m, error& err) {
    const std::size_t start = r.pos();
    const char c = r.peek();
    if (c == '"' && !r.at_end()) {
      if (!read_string(r, text, into, m.value_offset, m.value_size, m.value_pooled, err)) return false;
      m.kind = json_type::string;
      return true;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      const std::size_t end = read_json_number(text, start, &m.integer, &m.int_value);
      if (end == start) return err = r.unexpected("a number"), false;
      m.kind = json_type::number;
      r.skip(end - start);
      return true;
    }
    const std::string_view word = c == 't' ? "true" : c == 'f' ? "false" : "null";
    if ((c != 't' && c != 'f' && c != 'n') || text.substr(start, word.size()) != word)
      return err = r.unexpected("a value"), false;
    m.kind = c == 'n' ? json_type::null : json_type::boolean;
    r.skip(word.size());
    return true;
  }

  /// One member value at the cursor into `m`; nested objects and arrays are validated
  /// iteratively (no recursion, at most lim.max_depth deep) and kept as raw text.
  [[nodiscard]] constexpr bool read_value(json_reader& r, std::string_view text, const json_object_limits& lim,
                                          member& m, std::string_view name, error& err) {
    r.skip_ws();
    const std::size_t start = r.pos();
    const char first = r.peek();
    if (r.at_end()) return err = r.unexpected("a value"), false;
    std::size_t end = std::string_view::npos;
    if (first == '"' && !lim.keep_escaped.empty() && name == lim.keep_escaped &&
        (end = simple_escaped_end(text, start + 1)) != std::string_view::npos) {
      m.kind = json_type::string;
      m.value_offset = static_cast<std::uint32_t>(start + 1);
      m.value_size = static_cast<std::uint32_t>(end - start - 1);
      m.value_escaped = true;
      r.skip(end + 1 - start);
    } else if (first != '{' && first != '[') {
      if (!read_scalar(r, text, pool_, m, err)) return false;
    } else if (lim.max_depth == 0) {
      error e(errc::invalid_json, static_cast<std::uint32_t>(start));
      e.append("member ").append_quoted(name).append(" is ").append(r.hint_text(r.value_kind())).append_at();
      return err = e.append("; expected a string, number, boolean or null"), false;
    } else {
      m.kind = first == '{' ? json_type::object : json_type::array;
      std::size_t depth = 0;
      // Open containers as bits (1 = object), deepest last; beyond 64 levels in a vector.
      std::uint64_t bits = 0;
      stack_.clear();
      auto push = [&](bool object) {
        if (depth < 64) bits = bits << 1 | static_cast<std::uint64_t>(object);
        else stack_.push_back(object);
        ++depth;
      };
      auto top = [&] { return depth > 64 ? stack_.back() : (bits & 1) != 0; };
      auto pop = [&] {
        if (depth > 64) stack_.pop_back();
        else bits >>= 1;
        --depth;
      };
      std::uint32_t off = 0, n = 0;
      bool pooled = false;
      for (;;) {
        // At a value position.
        r.skip_ws();
        const char d = r.peek();
        if (r.at_end()) return err = r.unexpected("a value"), false;
        bool value_done = true;
        if (d == '{' || d == '[') {
          if (depth == lim.max_depth) {
            error e(errc::limit_exceeded, static_cast<std::uint32_t>(r.pos()));
            e.append("value nested deeper than ").append_number(lim.max_depth).append(" levels").append_at();
            return err = e, false;
          }
          r.skip(1);
          push(d == '{');
          r.skip_ws();
          if (r.peek() == (d == '{' ? '}' : ']') && !r.at_end()) {
            r.skip(1);
            pop();
          } else if (d == '{') {
            scratch_.clear();
            if (!read_string(r, text, scratch_, off, n, pooled, err) || !r.expect(':', "':'", err)) return false;
            value_done = false;
          } else {
            value_done = false;
          }
        } else {
          member inner;
          scratch_.clear();
          if (!read_scalar(r, text, scratch_, inner, err)) return false;
        }
        if (!value_done) continue;
        // After a complete value: close containers, or ',' and the next value.
        for (;;) {
          if (depth == 0) break;
          r.skip_ws();
          const bool in_object = top();
          if (r.peek() == (in_object ? '}' : ']') && !r.at_end()) {
            r.skip(1);
            pop();
            continue;
          }
          if (!r.expect(',', in_object ? "',' or '}'" : "',' or ']'", err)) return false;
          if (in_object) {
            scratch_.clear();
            if (!read_string(r, text, scratch_, off, n, pooled, err) || !r.expect(':', "':'", err)) return false;
          }
          break;
        }
        if (depth == 0) break;
      }
    }
    m.raw_offset = static_cast<std::uint32_t>(start);
    m.raw_size = static_cast<std::uint32_t>(r.pos() - start);
    return true;
  }

  [[nodiscard]] constexpr error read_impl(std::string_view text, const json_object_limits& lim, bool one_value) {
    name_compares_ = 0;
    error err = read_members(text, lim, one_value);
    // Beyond pairwise_members the names were not compared as they were read: a duplicate among
    // the members read (the last one may be only its name) comes before any later error.
    if (members_.size() > pairwise_members) {
      if (const std::size_t d = first_duplicate(); d != members_.size()) err = duplicate_error(key(d), members_[d].key_at);
    }
    if (err.code() != errc::ok) members_.clear();
    return err;
  }

  /// The one wording of a duplicate member, for both ways of finding one (as read, or sorted).
  [[nodiscard]] static constexpr error duplicate_error(std::string_view name, std::uint32_t at) {
    error e(errc::invalid_json, at);
    return e.append("member ").append_quoted(name).append(" listed twice").append_at();
  }

  /// The first member (in the text's order) whose name equals an earlier member's, or size():
  /// the member indices sorted by (name, index), then equal neighbours; each group's second
  /// index is its first duplicate.
  [[nodiscard]] constexpr std::size_t first_duplicate() {
    const std::size_t n = members_.size();
    order_.resize(n);
    for (std::size_t i = 0; i < n; ++i) order_[i] = static_cast<std::uint32_t>(i);
    std::sort(order_.begin(), order_.end(), [this](std::uint32_t a, std::uint32_t b) {
      ++name_compares_;
      const int c = key(a).compare(key(b));
      return c < 0 || (c == 0 && a < b);
    });
    std::size_t first = n;
    for (std::size_t k = 1; k < n; ++k) {
      ++name_compares_;
      if (key(order_[k]) == key(order_[k - 1]) && order_[k] < first) first = order_[k];
    }
    return first;
  }

  [[nodiscard]] constexpr error read_members(std::string_view text, const json_object_limits& lim, bool one_value) {
    text_ = text;
    pool_.clear();
    members_.clear();
    if (text.size() > lim.max_bytes) {
      error e(errc::limit_exceeded, static_cast<std::uint32_t>(lim.max_bytes));
      return e.append("JSON object of ").append_number(text.size()).append(" bytes exceeds the limit of ")
          .append_number(lim.max_bytes).append(" bytes");
    }
    json_reader r(text);
    error err;
    r.skip_ws();
    if (one_value) {
      member m;
      if (!read_value(r, text, lim, m, {}, err)) return err;
      members_.push_back(m);
      r.skip_ws();
      if (!r.at_end()) {
        error e(errc::trailing_characters, static_cast<std::uint32_t>(r.pos()));
        return e.append("trailing characters after the JSON value").append_at();
      }
      return {};
    }
    if (r.peek() != '{' || r.at_end()) {
      const auto kind = r.value_kind();
      if (kind == error_hint::none) return r.unexpected("a JSON object");
      error e(errc::not_an_object, static_cast<std::uint32_t>(r.pos()));
      return e.append("expected a JSON object, found ").append(r.hint_text(kind)).append_at();
    }
    r.skip(1);
    r.skip_ws();
    if (r.peek() == '}' && !r.at_end()) {
      r.skip(1);
    } else {
      for (;;) {
        r.skip_ws();
        const auto key_at = static_cast<std::uint32_t>(r.pos());
        if (members_.size() == lim.max_members) {
          error e(errc::limit_exceeded, key_at);
          return e.append("JSON object has more than ").append_number(lim.max_members).append(" members").append_at();
        }
        member m;
        m.key_at = key_at;
        if (!read_string(r, text, pool_, m.key_offset, m.key_size, m.key_pooled, err)) return err;
        const std::string_view name = view(m.key_pooled, m.key_offset, m.key_size);
        if (members_.size() < pairwise_members) {
          for (std::size_t i = 0; i < members_.size(); ++i) {
            ++name_compares_;
            if (key(i) == name) return duplicate_error(name, key_at);
          }
        }
        // (in members_ from here: read_impl's duplicate check sees its name if the value fails)
        members_.push_back(m);
        if (!r.expect(':', "':' after the member name", err)) return err;
        if (!read_value(r, text, lim, members_.back(), name, err)) return err;
        r.skip_ws();
        if (r.peek() == '}' && !r.at_end()) {
          r.skip(1);
          break;
        }
        if (!r.expect(',', "',' or '}'", err)) return err;
      }
    }
    r.skip_ws();
    if (!r.at_end()) {
      error e(errc::trailing_characters, static_cast<std::uint32_t>(r.pos()));
      return e.append("trailing characters after the JSON object").append_at();
    }
    return {};
  }

  std::string_view text_;
  std::vector<char> pool_;     // decoded names and string values that had escapes
  std::vector<member> members_;
  std::vector<char> scratch_;  // strings inside nested values (checked, not kept)
  std::vector<bool> stack_;    // open containers beyond 64 levels
  std::vector<std::uint32_t> order_;  // member indices sorted by name (the duplicate check)
  std::size_t name_compares_ = 0;
};

/// Appends valid JSON text `raw` without its insignificant whitespace (outside strings).
constexpr void append_minified(std::string_view raw, std::vector<char>& out) {
  bool in_string = false, escaped = false;
  for (const char c : raw) {
    if (in_string) {
      in_string = escaped || c != '"';
      escaped = !escaped && c == '\\';
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      continue;
    } else {
      in_string = c == '"';
    }
    out.push_back(c);
  }
}

/// The value of a JSON number or decimal string that is a non-negative integer without sign,
/// fraction, exponent or leading zeros, at most `max`; false otherwise.
[[nodiscard]] constexpr bool parse_decimal(std::string_view s, std::uint64_t max, std::uint64_t& out) noexcept {
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) return false;
  std::uint64_t v = 0;
  if (!std::is_constant_evaluated() && std::endian::native == std::endian::little && s.size() < 20) {
    // (at most 19 digits: no overflow.) Eight digits per step: checked as a word (every byte's
    // high nibble 3, and still 3 after adding 6: '0'..'9'), then combined in three multiplies
    // (neighbours pairwise, byte k being the more significant digit; then pairs of pairs; then
    // halves). The first size % 8 digits are the top bytes of the first word, its other bytes
    // made '0'; under 8 digits, one at a time.
    constexpr std::uint64_t ones = 0x0101010101010101ull, high = 0xF0 * ones;
    auto eight = [&](std::uint64_t w) {
      if (((w & high) | ((w + 6 * ones) & high) >> 4) != 0x33 * ones) return false;
      w -= 0x30 * ones;
      w = (w * 10 + (w >> 8)) & 0x00FF00FF00FF00FFull;    // 16-bit lanes: 2 digits each
      w = (w * 100 + (w >> 16)) & 0x0000FFFF0000FFFFull;  // 32-bit lanes: 4 digits each
      v = v * 100000000 + ((w * 10000 + (w >> 32)) & 0xFFFFFFFFull);
      return true;
    };
    const std::size_t n = s.size();
    std::size_t i = n % 8;
    if (n < 8) {
      for (char c : s) {
        const auto d = static_cast<unsigned char>(c - '0');
        if (d > 9) return false;
        v = v * 10 + d;
      }
    } else if (i != 0) {
      std::uint64_t w;
      std::memcpy(&w, s.data(), 8);
      if (!eight(w << (8 * (8 - i)) | (0x30 * ones) >> (8 * i))) return false;
    }
    for (; i < n; i += 8) {
      std::uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      if (!eight(w)) return false;
    }
  } else {
    for (char c : s) {
      const auto d = static_cast<unsigned char>(c - '0');
      if (d > 9) return false;
      if (s.size() == 20 && (d > max || v > (max - d) / 10)) return false;  // (19 digits cannot overflow 64 bits)
      v = v * 10 + d;
    }
  }
  if (v > max) return false;
  out = v;
  return true;
}

}  // namespace detail
CAPMATCH_NAMESPACE_END

// ---- end include/capmatch/detail/json_object.hpp ----

// ---- begin include/capmatch/crypto/compare.hpp ----
// capmatch — constant-time comparison of byte strings (for macs and signatures).
// SPDX-License-Identifier: MIT

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>


CAPMATCH_NAMESPACE_BEGIN
namespace crypto {

/// True when a[0..an) == b[0..bn). Reads every byte of `a` whatever the content; the time depends
/// on the two lengths only (pass the expected value as `a`). No early exit.
template <class A, class B>
[[nodiscard]] constexpr bool equal_constant_time(const A* a, std::size_t an, const B* b, std::size_t bn) noexcept {
  static_assert(sizeof(A) == 1 && sizeof(B) == 1, "byte strings only");
  std::uint32_t acc = static_cast<std::uint32_t>(an != bn);
  for (std::size_t i = 0; i < an; ++i) {
    // The index into b depends on the lengths only; past its end b reads as a repeat of its
    // first byte, the result is already false then.
    const std::size_t j = i < bn ? i : 0;
    const auto x = static_cast<std::uint8_t>(a[i]);
    const auto y = bn != 0 ? static_cast<std::uint8_t>(b[j]) : std::uint8_t{0};
    acc |= static_cast<std::uint32_t>(x ^ y);
#if defined(__GNUC__) || defined(__clang__)
    // Keep the compiler from turning the accumulation into an early exit.
    if (!std::is_constant_evaluated()) __asm__ volatile("" : "+r"(acc));
#endif
  }
  return acc == 0;
}

/// Constant-time equality of two strings (time depends on the lengths only).
[[nodiscard]] constexpr bool equal_constant_time(std::string_view a, std::string_view b) noexcept {
  return equal_constant_time(a.data(), a.size(), b.data(), b.size());
}

/// Constant-time equality of two byte arrays of the same size (e.g. two sha256_digest).
/// At run time eight bytes at a time (a digest: four words instead of 32 bytes), otherwise the
/// byte loop above; the same result and no early exit either way.
template <std::size_t N>
[[nodiscard]] constexpr bool equal_constant_time(const std::array<std::uint8_t, N>& a,
                                                 const std::array<std::uint8_t, N>& b) noexcept {
  if (std::is_constant_evaluated() || N % 8 != 0) return equal_constant_time(a.data(), N, b.data(), N);
  std::uint64_t acc = 0;
  for (std::size_t i = 0; i < N; i += 8) {
    std::uint64_t x = 0, y = 0;
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    acc |= x ^ y;
#if defined(__GNUC__) || defined(__clang__)
    __asm__ volatile("" : "+r"(acc));  // (no early exit: see above)
#endif
  }
  return acc == 0;
}

}  // namespace crypto
CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/crypto/compare.hpp ----

// ---- begin include/capmatch/crypto/hmac.hpp ----
// capmatch — HMAC-SHA256 (RFC 2104, FIPS 198-1) with a reusable keyed state.
// SPDX-License-Identifier: MIT

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>


CAPMATCH_NAMESPACE_BEGIN
namespace crypto {

namespace detail {
/// The outer hash of HMAC-SHA256 from the outer midstate: one block holding the inner digest,
/// its padding and the length (64 + 32 bytes).
[[nodiscard]] constexpr sha256_digest hmac_outer(const sha256_state& outer, const sha256_digest& inner,
                                                 sha256_backend backend) noexcept {
  // the digest, 0x80, zeros and the length: (64 + 32) * 8 = 768 bits = 0x300, big-endian
  constexpr std::array<std::uint8_t, 32> padding = {0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                                    0,    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x03, 0};
  std::array<std::uint8_t, 64> block{};
  if (std::is_constant_evaluated()) {
    for (std::size_t i = 0; i < 32; ++i) block[i] = inner[i], block[32 + i] = padding[i];
  } else {  // (whole-width copies: the compression loads the block sixteen bytes at a time, and a
            // load that spans several smaller stores waits for them to reach the cache)
    std::memcpy(block.data(), inner.data(), 32);
    std::memcpy(block.data() + 32, padding.data(), 32);
  }
  sha256_state h = outer;
  sha256_compress(h, block.data(), 1, backend);
  return sha256_bytes(h);
}
}  // namespace detail

/// A key prepared for HMAC-SHA256: the SHA-256 states after the 64-byte inner (key ^ 0x36) and
/// outer (key ^ 0x5c) blocks, computed once. It keeps no copy of the key, and has no way to
/// print or return one. A key longer than 64 bytes is hashed first (RFC 2104).
class hmac_sha256_key {
 public:
  /// The key made of `n` bytes at `key`.
  template <class C, std::enable_if_t<detail::is_byte_v<C>, int> = 0>
  constexpr hmac_sha256_key(const C* key, std::size_t n,
                            sha256_backend backend = sha256_backend::automatic) noexcept
      : backend_(backend) {
    std::array<std::uint8_t, 64> block{};
    if (n > 64) {
      const auto d = sha256(backend).update(key, n).finish();
      for (std::size_t i = 0; i < d.size(); ++i) block[i] = d[i];
    } else {
      for (std::size_t i = 0; i < n; ++i) block[i] = static_cast<std::uint8_t>(key[i]);
    }
    for (auto& b : block) b ^= 0x36;
    inner_ = detail::sha256_iv;
    detail::sha256_compress(inner_, block.data(), 1, backend);
    for (auto& b : block) b ^= 0x36 ^ 0x5c;
    outer_ = detail::sha256_iv;
    detail::sha256_compress(outer_, block.data(), 1, backend);
    for (auto& b : block) b = 0;
  }

  /// The key of zero bytes.
  constexpr hmac_sha256_key() noexcept : hmac_sha256_key(std::string_view{}) {}
  /// The key made of the bytes of `key` (for an Ably key secret: its UTF-8 bytes).
  constexpr explicit hmac_sha256_key(std::string_view key,
                                     sha256_backend backend = sha256_backend::automatic) noexcept
      : hmac_sha256_key(key.data(), key.size(), backend) {}
  /// HMAC-SHA256 of `n` bytes at `p` under this key.
  template <class C, std::enable_if_t<detail::is_byte_v<C>, int> = 0>
  [[nodiscard]] constexpr sha256_digest sign(const C* p, std::size_t n) const noexcept {
    return detail::hmac_outer(outer_, sha256(inner_, 1, backend_).update(p, n).finish(), backend_);
  }
  /// HMAC-SHA256 of the bytes of `message` under this key.
  [[nodiscard]] constexpr sha256_digest sign(std::string_view message) const noexcept {
    return sign(message.data(), message.size());
  }
  /// True when `mac` is the HMAC of `message` (compared in constant time).
  [[nodiscard]] constexpr bool verify(std::string_view message, const sha256_digest& mac) const noexcept {
    return equal_constant_time(sign(message), mac);
  }
  [[nodiscard]] constexpr sha256_backend backend() const noexcept { return backend_; }

 private:
  friend class hmac_sha256;

  detail::sha256_state inner_{};
  detail::sha256_state outer_{};
  sha256_backend backend_ = sha256_backend::automatic;
};

/// Incremental HMAC-SHA256 under a prepared key: `hmac_sha256 m(key); m.update(a).update(b); m.finish()`.
/// A copy taken after update(prefix) is a midstate: finishing the copy after update(rest) gives
/// the mac of prefix + rest, so a prefix shared by many messages is absorbed once
/// (TokenRequests: token_request_template and the capability_cache).
class hmac_sha256 {
 public:
  /// Starts a mac under `key` (copies its two midstates: the key may go away meanwhile).
  constexpr explicit hmac_sha256(const hmac_sha256_key& key) noexcept
      : inner_(key.inner_, 1, key.backend_), outer_(key.outer_) {}

  template <class C, std::enable_if_t<detail::is_byte_v<C>, int> = 0>
  constexpr hmac_sha256& update(const C* p, std::size_t n) noexcept {
    inner_.update(p, n);
    return *this;
  }
  constexpr hmac_sha256& update(std::string_view s) noexcept { return update(s.data(), s.size()); }
  /// The mac of everything added; call once.
  [[nodiscard]] constexpr sha256_digest finish() noexcept {
    return detail::hmac_outer(outer_, inner_.finish(), inner_.backend());
  }

 private:
  sha256 inner_;
  detail::sha256_state outer_;
};

/// One-shot HMAC-SHA256 of `message` under `key` (prepare an hmac_sha256_key to sign many).
[[nodiscard]] constexpr sha256_digest hmac_sha256_of(std::string_view key, std::string_view message,
                                                     sha256_backend b = sha256_backend::automatic) noexcept {
  return hmac_sha256_key(key, b).sign(message);
}

}  // namespace crypto
CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/crypto/hmac.hpp ----

// ---- begin include/capmatch/key.hpp ----
// capmatch — Ably API keys: `appId.keyId:secret`, parsed once, signing ready, printed redacted.
// SPDX-License-Identifier: MIT

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>


CAPMATCH_NAMESPACE_BEGIN

/// An Ably API key: the key name `appId.keyId` and the secret, whose UTF-8 bytes are the HMAC key
/// (docs/semantics.md §19; the secret is not base64-decoded). It prints as `appId.keyId:***`;
/// no error, text or stream output of this type contains the secret.
class api_key {
 public:
  /// Longest accepted key text, in bytes.
  static constexpr std::size_t max_size = 1024;

  /// The empty key (no name, no secret); parse() makes real ones.
  api_key() = default;

  /// Parses `appId.keyId:secret`. appId and keyId: one or more ASCII letters, digits, `-` or `_`;
  /// secret: non-empty UTF-8 without control characters or `:`. Errors are errc::invalid_key
  /// (40000), their messages give offsets in the key name only and never quote the input.
  [[nodiscard]] static result<api_key> parse(std::string_view text) {
    auto fail = [](std::uint32_t at, std::string_view what) {
      capmatch::error e(errc::invalid_key, at);
      e.append("invalid API key: ").append(what);
      if (at != no_offset) e.append_at();
      return e.append("; expected 'appId.keyId:secret'");
    };
    if (text.empty()) return fail(no_offset, "empty");
    if (text.size() > max_size) return fail(no_offset, "longer than 1024 bytes");
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) return fail(no_offset, "no ':' between the key name and the secret");
    const auto name = text.substr(0, colon), secret = text.substr(colon + 1);
    const auto dot = name.find('.');
    if (dot == std::string_view::npos) return fail(no_offset, "no '.' between the app id and the key id");
    if (dot == 0) return fail(0, "empty app id");
    if (dot + 1 == name.size()) return fail(static_cast<std::uint32_t>(dot + 1), "empty key id");
    for (std::size_t i = 0; i < name.size(); ++i) {
      const char c = name[i];
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '_' || (c == '.' && i == dot);
      if (!ok) return fail(static_cast<std::uint32_t>(i), "a key name character other than a letter, digit, '-' or '_'");
    }
    // Secret checks report no offset: where a bad byte sits is already a hint about the secret.
    if (secret.empty()) return fail(no_offset, "empty secret");
    bool colon_in = false, control = false, utf8 = true;
    for (std::size_t i = 0; i < secret.size();) {
      const auto c = static_cast<unsigned char>(secret[i]);
      colon_in |= c == ':';
      control |= c < 0x20 || c == 0x7F;
      const std::size_t len = detail::utf8_length(secret, i);
      if (len == 0) {
        utf8 = false;
        ++i;
      } else {
        i += len;
      }
    }
    if (colon_in) return fail(no_offset, "the secret contains ':'");
    if (control) return fail(no_offset, "the secret contains a control character");
    if (!utf8) return fail(no_offset, "the secret is not valid UTF-8");
    api_key k;
    k.name_ = name;
    k.dot_ = dot;
    k.secret_ = secret;
    k.hmac_ = crypto::hmac_sha256_key(secret);
    return k;
  }

  /// `appId.keyId`.
  [[nodiscard]] std::string_view name() const noexcept { return name_; }
  [[nodiscard]] std::string_view app_id() const noexcept { return std::string_view(name_).substr(0, dot_); }
  [[nodiscard]] std::string_view key_id() const noexcept {
    return name_.empty() ? std::string_view() : std::string_view(name_).substr(dot_ + 1);
  }
  /// The HMAC-SHA256 key made of the secret (inner and outer pads precomputed).
  [[nodiscard]] const crypto::hmac_sha256_key& hmac() const noexcept { return hmac_; }
  /// HMAC-SHA256 of `message` keyed with the secret.
  [[nodiscard]] crypto::sha256_digest sign(std::string_view message) const noexcept { return hmac_.sign(message); }
  /// `appId.keyId:***`: the only text form of a key.
  [[nodiscard]] std::string to_string() const { return name_ + ":***"; }
  /// The secret itself, for the rare call that must send it (HTTP Basic auth). Never log it.
  [[nodiscard]] std::string_view reveal_secret() const noexcept { return secret_; }

  /// Streams the redacted form (any ostream-like type; <ostream> is not included here).
  template <class Stream, class = decltype(std::declval<Stream&>() << std::string_view())>
  friend Stream& operator<<(Stream& os, const api_key& k) {
    os << std::string_view(k.name_) << std::string_view(":***");
    return os;
  }

 private:
  std::string name_;
  std::size_t dot_ = 0;
  std::string secret_;
  crypto::hmac_sha256_key hmac_;
};

CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/key.hpp ----

// ---- begin include/capmatch/revocation.hpp ----
// capmatch — token revocation (docs/semantics.md §27): build, send and receive revocation
// requests, and a revocation list that answers "is this token revoked?" with hash lookups.
// SPDX-License-Identifier: MIT

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
// ---- end include/capmatch/revocation.hpp ----

// ---- begin include/capmatch/signed_grant.hpp ----
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

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>


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
// ---- end include/capmatch/signed_grant.hpp ----

// ---- begin include/capmatch/replay_guard.hpp ----
// capmatch — replay guards: each (keyName, nonce) pair of a TokenRequest is accepted once
// within its window (docs/semantics.md §5 rule 22, error 40105). An interface, so that several
// verifier processes can share one store, and a bounded, thread-safe in-memory implementation.
// SPDX-License-Identifier: MIT

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <string_view>

#if defined(__linux__)
#include <sys/mman.h>
#endif


CAPMATCH_NAMESPACE_BEGIN

class token_request_verifier;

/// The outcome of replay_guard::try_claim.
enum class claim_status : std::uint8_t {
  fresh,     // first use: the pair is now claimed until its expiry
  replayed,  // already claimed and not yet expired (40105)
  full,      // no room to remember it: refused, never accepted (fail closed)
  unavailable,  // a shared store did not answer: refused, never accepted (fail closed; 50003)
};

/// A store of claimed (keyName, nonce) pairs. try_claim is atomic: of any number of concurrent
/// claims of one unexpired pair exactly one returns `fresh`.
class replay_guard {
 public:
  virtual ~replay_guard() = default;
  /// Claims (key_name, nonce) until `expires_at_ms` (inclusive), given the caller's clock `now_ms`
  /// (both milliseconds since the Unix epoch). An implementation may forget a pair only after
  /// its expiry; when it cannot remember one more it returns claim_status::full.
  [[nodiscard]] virtual claim_status try_claim(std::string_view key_name, std::string_view nonce,
                                               std::int64_t expires_at_ms, std::int64_t now_ms) noexcept = 0;

 protected:
  friend class token_request_verifier;
  /// What prepare() worked out about a pair for the claim that follows (the memory guard: the
  /// pair's fingerprint). Opaque to the verifier.
  struct prepared_claim {
    std::uint64_t words[2] = {0, 0};
  };
  /// The verifier's two-phase claim, with the same outcome as try_claim(key_name, nonce, ...):
  /// prepare(key_name, nonce) right after reading the request (an implementation may start
  /// fetching what the claim will read, so that the fetch overlaps the mac check), then, when
  /// the request is authentic, claim_prepared with the same key_name and nonce and prepare's
  /// result. Only the verifier calls them (a friend: a prepared claim of another pair would
  /// claim the wrong pair). Default: nothing to prepare, and the claim is try_claim.
  [[nodiscard]] virtual prepared_claim prepare(std::string_view key_name, std::string_view nonce) const noexcept {
    static_cast<void>(key_name), static_cast<void>(nonce);
    return {};
  }
  [[nodiscard]] virtual claim_status claim_prepared(const prepared_claim& p, std::string_view key_name,
                                                    std::string_view nonce, std::int64_t expires_at_ms,
                                                    std::int64_t now_ms) noexcept {
    static_cast<void>(p);
    return try_claim(key_name, nonce, expires_at_ms, now_ms);
  }
};


/// A replay guard in this process's memory. Bounded: it remembers at most capacity() pairs,
/// in a table allocated once; a pair's slot is reused after its expiry. Safe under concurrent
/// use (the table is split into independently locked shards), O(1) per claim on average.
///
/// Pairs are stored as a 128-bit fingerprint (two hashes keyed with a per-guard secret seed),
/// not as text: a collision can only make a fresh pair look replayed (probability about
/// n^2 / 2^129 for n live pairs), never let a replay through.
///
/// When a shard is full of unexpired pairs, try_claim returns claim_status::full: the guard
/// fails closed rather than forget a pair that could still be replayed. Size it for the peak
/// rate times the window, e.g. 1000 requests/s x 4 minutes (a timestamp up to 2 minutes old
/// stays valid for 2 more) = 240 000; a shard may fill before the whole does when claims
/// cluster, so leave some margin. A full shard sweeps out expired pairs at most once per
/// millisecond of the callers' clock (each sweep is linear in the shard's size).
class memory_replay_guard final : public replay_guard {
 public:
  /// A guard for at least `capacity` unexpired pairs in `shards` locked shards, hashing with
  /// `seed` (use random bits: with a known seed an attacker can aim collisions at one shard).
  memory_replay_guard(std::size_t capacity, std::uint64_t seed0, std::uint64_t seed1, std::size_t shards = 64)
      : seed0_(seed0), seed1_(seed1) {
    if (shards == 0) shards = 1;
    std::size_t n = 1;
    while (n < shards) n <<= 1;
    shard_count_ = n;
    const std::size_t per_shard = capacity / n + (capacity % n != 0) + 1;
    std::size_t slots = 2;
    while (slots < 2 * per_shard) slots <<= 1;  // load factor at most 1/2: short probes
    table_ = make_table(n * slots);
    slot_mask_ = slots - 1;
    shard_limit_ = per_shard;
    shards_ = std::make_unique<shard[]>(n);
  }

  claim_status try_claim(std::string_view key_name, std::string_view nonce, std::int64_t expires_at_ms,
                         std::int64_t now_ms) noexcept override {
    std::uint64_t h1 = 0, h2 = 0;
    hash(key_name, nonce, h1, h2);
    return claim(h1, h2, expires_at_ms, now_ms);
  }

  /// The most unexpired pairs the guard is sure to hold (shard count x per-shard limit).
  [[nodiscard]] std::size_t capacity() const noexcept { return shard_count_ * shard_limit_; }
  /// Pairs stored now, expired ones not yet swept included (locks each shard in turn).
  [[nodiscard]] std::size_t size() const noexcept {
    std::size_t n = 0;
    for (std::size_t i = 0; i < shard_count_; ++i) {
      std::lock_guard<std::mutex> lock(shards_[i].mutex);
      n += shards_[i].used;
    }
    return n;
  }
  /// Bytes of the table (allocated once, at construction; 24 bytes a slot, at least two slots
  /// per pair of capacity, rounded up to 2 MiB when it is that large: make_table) and shards.
  [[nodiscard]] std::size_t memory_bytes() const noexcept {
    return shard_count_ * sizeof(shard) + table_.get_deleter().bytes;
  }

 private:
  struct slot {
    std::uint64_t h1 = 0, h2 = 0;
    std::int64_t expires = 0;  // 0: empty
  };

  /// Every shard's slots in one allocation. A table of 2 MiB or more is aligned to 2 MiB and,
  /// on Linux, offered to the kernel for huge pages (madvise): a claim reads one random slot of
  /// a table larger than the CPU's caches, and with 4 KiB pages that is a TLB miss as well.
  struct table_free {
    std::size_t align, bytes;
    table_free() noexcept : align(alignof(std::max_align_t)), bytes(0) {}
    table_free(std::size_t a, std::size_t b) noexcept : align(a), bytes(b) {}
    void operator()(slot* p) const noexcept { ::operator delete[](p, std::align_val_t{align}); }
  };
  using table = std::unique_ptr<slot[], table_free>;
  static table make_table(std::size_t count) {
    constexpr std::size_t huge = std::size_t{2} << 20;
    const std::size_t bytes = count * sizeof(slot);
    const std::size_t align = bytes >= huge ? huge : alignof(std::max_align_t);
    const std::size_t rounded = (bytes + align - 1) / align * align;
    void* const raw = ::operator new[](rounded, std::align_val_t{align});
#if defined(__linux__)
    if (align == huge) static_cast<void>(::madvise(raw, rounded, MADV_HUGEPAGE));  // (a hint: ignored if refused)
#endif
    slot* const p = static_cast<slot*>(raw);
    for (std::size_t i = 0; i < count; ++i) ::new (static_cast<void*>(p + i)) slot{};
    return table(p, table_free{align, rounded});
  }

  /// A shard: its lock and counts. Its slots are table_[i * (slot_mask_ + 1), (i + 1) * (slot_mask_ + 1)),
  /// passed in by the guard (shard_slots), with the mask and limit that every shard shares.
  struct alignas(64) shard {
    mutable std::mutex mutex;
    std::size_t used = 0;
    std::int64_t earliest = INT64_MAX;  // no stored pair expires before this

    claim_status claim(slot* slots, std::size_t mask, std::size_t limit, std::uint64_t h1, std::uint64_t h2,
                       std::int64_t expires, std::int64_t now) noexcept {
      constexpr std::size_t none = ~std::size_t{0};
      std::size_t i = h1 & mask, reuse = none;
      for (; slots[i].expires != 0; i = (i + 1) & mask) {  // the chain ends at an empty slot
        slot& e = slots[i];
        if (e.h1 == h1 && e.h2 == h2) {
          if (e.expires >= now) return claim_status::replayed;
          reuse = i;  // the same pair, expired: claim it afresh in its own slot
          break;
        }
        if (reuse == none && e.expires < now) reuse = i;
      }
      if (reuse != none) {  // an expired slot in the chain: overwriting it keeps the chain whole
        slots[reuse] = {h1, h2, expires};
        if (expires < earliest) earliest = expires;
        return claim_status::fresh;
      }
      if (used == limit) {
        if (earliest >= now) return claim_status::full;  // nothing has expired: fail closed
        sweep(slots, mask, now);
        return claim(slots, mask, limit, h1, h2, expires, now);  // (at most once: now earliest >= now)
      }
      slots[i] = {h1, h2, expires};
      ++used;
      if (expires < earliest) earliest = expires;
      return claim_status::fresh;
    }

    /// Drops the expired pairs, in place: empties their slots, then re-inserts every other
    /// pair in table order starting after an empty slot, so that no probe chain stays broken
    /// (linear probing has no tombstones). Allocates nothing.
    void sweep(slot* slots, std::size_t mask, std::int64_t now) noexcept {
      const std::size_t n = mask + 1;
      used = 0;
      earliest = INT64_MAX;
      std::size_t start = n;
      for (std::size_t k = 0; k < n; ++k) {
        if (slots[k].expires != 0 && slots[k].expires < now) slots[k] = slot{};
        if (slots[k].expires == 0 && start == n) start = k;
      }
      for (std::size_t step = 1; step <= n; ++step) {  // (start exists: the load is at most 1/2)
        const std::size_t k = (start + step) & mask;
        if (slots[k].expires == 0) continue;
        const slot e = slots[k];
        slots[k] = slot{};
        std::size_t i = e.h1 & mask;
        while (slots[i].expires != 0) i = (i + 1) & mask;
        slots[i] = e;
        ++used;
        if (e.expires < earliest) earliest = e.expires;
      }
      if (earliest == INT64_MAX) earliest = now;  // empty: nothing to sweep until time moves on
    }
  };

  /// The pair's fingerprint, and the slot its probe reads first starts loading (with a table
  /// larger than the CPU's caches that load is a cache and TLB miss on every claim; the
  /// verifier checks the mac meanwhile). A 24-byte slot straddles two cache lines at two of
  /// every eight indices, and the claim reads its `expires` (the second line then) first: both
  /// lines are fetched. The slot's address comes from fields fixed at construction
  /// (shard_slots), not from the shard, so the fetch waits for no load; the shard (its mutex,
  /// taken by the claim) is fetched too. No lock.
  prepared_claim prepare(std::string_view key_name, std::string_view nonce) const noexcept override {
    prepared_claim p;
    hash(key_name, nonce, p.words[0], p.words[1]);
#if defined(__GNUC__) || defined(__clang__)
    const std::size_t s = shard_of(p.words[1]);
    const slot* const e = shard_slots(s) + (p.words[0] & slot_mask_);
    __builtin_prefetch(e, 1);
    __builtin_prefetch(reinterpret_cast<const char*>(e + 1) - 1, 1);
    __builtin_prefetch(&shards_[s], 1);
#endif
    return p;
  }
  claim_status claim_prepared(const prepared_claim& p, std::string_view, std::string_view, std::int64_t expires_at_ms,
                              std::int64_t now_ms) noexcept override {
    return claim(p.words[0], p.words[1], expires_at_ms, now_ms);
  }

  claim_status claim(std::uint64_t h1, std::uint64_t h2, std::int64_t expires_at_ms, std::int64_t now_ms) noexcept {
    const std::int64_t expires = expires_at_ms > now_ms ? expires_at_ms : now_ms;
    const std::size_t i = shard_of(h2);
    shard& s = shards_[i];
    std::lock_guard<std::mutex> lock(s.mutex);
    return s.claim(shard_slots(i), slot_mask_, shard_limit_, h1, h2, expires < 1 ? 1 : expires, now_ms);
  }

  /// The first slot of shard `i` (shards' slots lie in shard order in table_).
  [[nodiscard]] slot* shard_slots(std::size_t i) const noexcept { return table_.get() + i * (slot_mask_ + 1); }

  /// The shard of a pair whose fingerprint's second word is `h2`.
  [[nodiscard]] std::size_t shard_of(std::uint64_t h2) const noexcept { return (h2 >> 40) & (shard_count_ - 1); }

  /// The pair's 128-bit fingerprint: the same values as seeded_hash(nonce, seeded_hash(key_name,
  /// 0 or 1, seed), seed), in two passes, not four.
  void hash(std::string_view key_name, std::string_view nonce, std::uint64_t& h1, std::uint64_t& h2) const noexcept {
    h1 = 0, h2 = 1;
    detail::seeded_hash2(key_name, h1, h2, seed0_, seed1_);
    detail::seeded_hash2(nonce, h1, h2, seed0_, seed1_);
  }

  std::uint64_t seed0_, seed1_;
  std::size_t shard_count_ = 1;
  std::size_t slot_mask_ = 1;    // slots per shard - 1 (a power of two - 1), the same for every shard
  std::size_t shard_limit_ = 1;  // pairs a shard holds at most (half its slots or fewer)
  table table_;
  std::unique_ptr<shard[]> shards_;
};

CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/replay_guard.hpp ----

// ---- begin include/capmatch/capability_cache.hpp ----
// capmatch — a bounded, thread-safe cache of verified capability texts for the TokenRequest and
// JWT verifiers (docs/token_requests.md "Verification cache"). Opt-in: a verifier uses one only
// when its options point to it.
// SPDX-License-Identifier: MIT

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>


CAPMATCH_NAMESPACE_BEGIN

/// The identity of a verifier's key for capability_cache: a SHA-256 over the key name, the
/// key's capability (every resource and operation set) and, when given, a value derived from
/// the key's secret (the HMAC of a fixed label: the secret cannot be recovered from it).
/// Computed once when the key is built; a lookup then compares 32 bytes instead of the key's
/// capability entry by entry. Keys that differ in any of these parts never share an entry.
class key_fingerprint {
 public:
  /// The fingerprint of (key_name, key_capability or "no capability" when nullptr, secret when
  /// `hmac` is not nullptr).
  [[nodiscard]] static key_fingerprint of(std::string_view key_name, const capability* key_capability,
                                          const crypto::hmac_sha256_key* hmac = nullptr) noexcept {
    crypto::sha256 h;
    auto put_size = [&](std::size_t n) {
      std::array<std::uint8_t, 8> b{};
      for (std::size_t i = 0; i < 8; ++i) b[i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(n) >> (8 * i));
      h.update(b);
    };
    auto put_text = [&](std::string_view s) { put_size(s.size()), h.update(s); };
    put_text("capmatch key fingerprint 1");  // (domain separation from any other SHA-256 use)
    put_text(key_name);
    put_size(key_capability == nullptr ? 0 : 1 + key_capability->size());
    if (key_capability != nullptr) {
      for (std::size_t i = 0; i < key_capability->size(); ++i) {
        put_text(key_capability->resource(i));
        put_size(key_capability->ops(i).bits());
      }
    }
    put_size(hmac == nullptr ? 0 : 1);
    if (hmac != nullptr) h.update(hmac->sign(std::string_view("capmatch capability_cache key identity")));
    key_fingerprint f;
    f.bytes_ = h.finish();
    return f;
  }
  /// Equal fingerprints: the same key name, capability and (when included) secret.
  friend bool operator==(const key_fingerprint& a, const key_fingerprint& b) noexcept {
    return crypto::equal_constant_time(a.bytes_, b.bytes_);
  }
  /// A hash of the fingerprint for choosing a slot.
  [[nodiscard]] std::size_t hash() const noexcept {
    std::size_t h = 0;
    for (std::size_t i = 0; i < sizeof(h); ++i) h = h << 8 | bytes_[i];
    return h;
  }

 private:
  crypto::sha256_digest bytes_{};
};

/// Remembers, for (key, exact requested capability text), what verifying that text gave: its
/// canonical text and the effective capability (key ∩ requested), and optionally the HMAC
/// state absorbed over a signed prefix that ends with that text (the TokenRequest verifier's
/// `keyName\nttl\ncapability\n`, tagged with the ttl text; see token_request.hpp). Only
/// successes are stored, so an invalid text or an empty intersection always takes the full path
/// and gets its full error. The key is identified by its key_fingerprint (computed once per key;
/// a key whose capability or secret changes under the same name never hits an old entry).
/// Bounded: `slots` entries (direct-mapped; a new entry replaces the one in its slot), texts
/// longer than `max_text_bytes` are never stored. Thread-safe: one mutex per slot.
class capability_cache {
 public:
  /// How a looked-up text is written. A TokenRequest's capability string may be looked up as
  /// written inside its JSON string (escapes not decoded: detail::simple_escaped_end), a JWT's
  /// and any other as decoded text. Entries of one form never answer a lookup of the other
  /// (two spellings of one capability are simply two entries).
  enum class text_form : std::uint8_t { decoded, json_escaped };

  /// What a hit copies out.
  struct entry {
    std::string canonical;    // the requested capability's canonical text
    capability effective;     // key ∩ requested
    /// When the entry holds it for the lookup's prefix tag: the HMAC absorbed over the signed
    /// prefix (it is only ever stored by a verifier that checked a mac over that prefix).
    std::optional<crypto::hmac_sha256> signed_prefix;
  };

  /// A cache of `slots` entries (at least 1) for texts of at most `max_text_bytes`.
  explicit capability_cache(std::size_t slots = 1024, std::size_t max_text_bytes = 4096)
      : slots_(new slot[slots == 0 ? 1 : slots]), count_(slots == 0 ? 1 : slots), max_text_(max_text_bytes) {}

  /// On a hit, copies the entry for (key, text) out to `out` and returns true; `out.signed_prefix`
  /// is set only when the entry's prefix was stored with the tag `prefix_tag`.
  [[nodiscard]] bool find(const key_fingerprint& key, std::string_view text, std::string_view prefix_tag,
                          entry& out) const {
    return find(key, text, prefix_tag, out.canonical, out.effective, out.signed_prefix);
  }
  /// find() into the caller's own objects (copy-assigned: a reused string and capability keep
  /// their buffers, so a hit allocates nothing once they have grown). Untouched on a miss.
  [[nodiscard]] bool find(const key_fingerprint& key, std::string_view text, std::string_view prefix_tag,
                          std::string& canonical, capability& effective,
                          std::optional<crypto::hmac_sha256>& signed_prefix, text_form form = text_form::decoded) const {
    return find(key, text, text_hash(text), prefix_tag, canonical, effective, signed_prefix, form);
  }
  /// The same with `hash` = text_hash(text), computed once by a caller that sees one text again
  /// and again (a wrong hash only makes the lookup miss: the entry is matched by key and text).
  [[nodiscard]] bool find(const key_fingerprint& key, std::string_view text, std::uint64_t hash,
                          std::string_view prefix_tag, std::string& canonical, capability& effective,
                          std::optional<crypto::hmac_sha256>& signed_prefix, text_form form = text_form::decoded) const {
    const lookup r = look_up(key, text, hash, prefix_tag, canonical, effective,
                             [&](const crypto::hmac_sha256& prefix) { signed_prefix = prefix; }, form);
    if (r == lookup::hit) signed_prefix.reset();
    return r != lookup::miss;
  }

  /// What find() into a caller's HMAC state found.
  enum class lookup : std::uint8_t {
    miss,             // no entry: nothing written
    hit,              // canonical and effective written; the state untouched (no prefix for the tag)
    hit_with_prefix,  // and the entry's HMAC state over the tagged prefix copied to the caller's
  };
  /// find() with `hash` = text_hash(text) that copies a prefix's HMAC state into the caller's
  /// `signed_prefix` (a verifier's one HMAC object: no std::optional, whose empty storage some
  /// compilers clear on construction).
  [[nodiscard]] lookup find(const key_fingerprint& key, std::string_view text, std::uint64_t hash,
                            std::string_view prefix_tag, std::string& canonical, capability& effective,
                            crypto::hmac_sha256& signed_prefix, text_form form = text_form::decoded) const {
    return look_up(key, text, hash, prefix_tag, canonical, effective,
                   [&](const crypto::hmac_sha256& prefix) { signed_prefix = prefix; }, form);
  }

  /// Stores a verified result (replacing whatever its slot held), with the HMAC state absorbed
  /// over the signed prefix tagged `prefix_tag` when `signed_prefix` is not nullptr. `text` is
  /// written in `form`; the prefix is over its decoded text.
  void insert(const key_fingerprint& key, std::string_view text, std::string_view canonical, const capability& effective,
              std::string_view prefix_tag = {}, const crypto::hmac_sha256* signed_prefix = nullptr,
              text_form form = text_form::decoded) {
    insert(key, text, text_hash(text), canonical, effective, prefix_tag, signed_prefix, form);
  }
  /// The same with `hash` = text_hash(text) (a wrong hash stores the entry where find(), given
  /// the right one, does not look).
  void insert(const key_fingerprint& key, std::string_view text, std::uint64_t hash, std::string_view canonical,
              const capability& effective, std::string_view prefix_tag = {},
              const crypto::hmac_sha256* signed_prefix = nullptr, text_form form = text_form::decoded) {
    if (text.size() > max_text_) return;
    slot& s = at(key, hash);
    std::lock_guard<std::mutex> lock(s.mutex);
    s.used = true;
    s.form = form;
    s.key = key;
    s.text.assign(text);
    s.canonical.assign(canonical);
    s.effective = effective;
    s.prefix_tag.assign(prefix_tag);
    if (signed_prefix != nullptr) s.prefix = *signed_prefix;
    else s.prefix.reset();
  }

  /// The hash of a text that chooses its slot (with the key's): detail::wide_hash with a fixed
  /// seed (a collision only evicts, and only verified results are ever stored).
  [[nodiscard]] static std::uint64_t text_hash(std::string_view text) noexcept {
    return detail::wide_hash(text, detail::hash_p3);
  }

  /// Lookups that found / did not find their entry (texts over the size limit are not counted).
  /// Counted per slot under the slot's lock (a lookup touches no shared counter); reading a
  /// count locks each slot in turn.
  [[nodiscard]] std::uint64_t hits() const noexcept { return sum(&slot::hits); }
  [[nodiscard]] std::uint64_t misses() const noexcept { return sum(&slot::misses); }
  /// Hits that also handed out a signed prefix's HMAC state.
  [[nodiscard]] std::uint64_t prefix_hits() const noexcept { return sum(&slot::prefix_hits); }
  [[nodiscard]] std::size_t slots() const noexcept { return count_; }
  /// The slot an entry for (key, a text of this text_hash) lives in, in [0, slots()).
  [[nodiscard]] std::size_t slot_of(const key_fingerprint& key, std::uint64_t text_hash) const noexcept {
    return detail::hash_to_slot(detail::fold_multiply(text_hash ^ detail::hash_p2, key.hash() ^ detail::hash_p1), count_);
  }

 private:
  struct slot {
    std::mutex mutex;
    bool used = false;
    text_form form = text_form::decoded;
    key_fingerprint key;
    std::string text, canonical, prefix_tag;
    capability effective;
    std::optional<crypto::hmac_sha256> prefix;
    std::uint64_t hits = 0, misses = 0, prefix_hits = 0;
  };
  /// Every lookup: on a hit copies the entry out, hands its prefix state (when stored with
  /// `prefix_tag`) to `take_prefix(state)`, counts, and says which it was.
  template <class TakePrefix>
  [[nodiscard]] lookup look_up(const key_fingerprint& key, std::string_view text, std::uint64_t hash,
                            std::string_view prefix_tag, std::string& canonical, capability& effective,
                            TakePrefix&& take_prefix, text_form form) const {
    if (text.size() > max_text_) return lookup::miss;
    slot& s = at(key, hash);
    std::lock_guard<std::mutex> lock(s.mutex);
    if (!s.used || s.form != form || s.text != text || !(s.key == key)) {
      ++s.misses;
      return lookup::miss;
    }
    canonical.assign(s.canonical);
    effective = s.effective;
    ++s.hits;
    if (s.prefix && s.prefix_tag == prefix_tag) {
      take_prefix(*s.prefix);
      ++s.prefix_hits;
      return lookup::hit_with_prefix;
    }
    return lookup::hit;
  }

  /// The slot of (key, text): the text's hash mixed with the key's, mapped onto the slots by a
  /// multiply (no division): slot_of.
  [[nodiscard]] slot& at(const key_fingerprint& key, std::uint64_t text_hash) const noexcept {
    return slots_[slot_of(key, text_hash)];
  }
  [[nodiscard]] std::uint64_t sum(std::uint64_t slot::*count) const noexcept {
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < count_; ++i) {
      std::lock_guard<std::mutex> lock(slots_[i].mutex);
      n += slots_[i].*count;
    }
    return n;
  }

  std::unique_ptr<slot[]> slots_;
  std::size_t count_;
  std::size_t max_text_;
};

CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/capability_cache.hpp ----

// ---- begin include/capmatch/crypto/random.hpp ----
// capmatch — unpredictable bytes from the operating system's CSPRNG, and nonces made of them.
// SPDX-License-Identifier: MIT

#include <array>
#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>


#if defined(__linux__)
#include <sys/random.h>
#elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__)
#include <unistd.h>
#endif

CAPMATCH_NAMESPACE_BEGIN
namespace crypto {

namespace detail {
/// Fills p[0..n) from `source(p, k)` with k at most `max_request`, which returns the number of
/// bytes it wrote (1..k) or -errno. Retries on EINTR (up to 1000 times in a row) and after short
/// reads; any other failure, or a source that returns 0, is an errc::no_secure_random error.
/// There is no fallback.
template <class Source>
[[nodiscard]] result<std::size_t> fill_random_from(Source&& source, std::uint8_t* p, std::size_t n,
                                                   std::size_t max_request = 256) noexcept {
  std::size_t done = 0;
  int interrupted = 0;
  while (done < n) {
    const std::size_t want = n - done < max_request ? n - done : max_request;
    const long r = source(p + done, want);
    if (r == -EINTR && ++interrupted < 1000) continue;
    if (r <= 0 || static_cast<std::size_t>(r) > want) {
      capmatch::error e(errc::no_secure_random, no_offset, "no secure random source: ");
      if (r >= 0) return e.append("the operating system returned no bytes");
      return e.append("the operating system's generator failed with errno ").append_number(static_cast<std::uint64_t>(-r));
    }
    interrupted = 0;
    done += static_cast<std::size_t>(r);
  }
  return done;
}

/// The most os_random is asked for at once: getentropy's limit is 256 bytes; getrandom takes
/// more in one call (returning early, or EINTR, on a signal: fill_random_from goes on), so that a
/// pool of many nonces costs one system call.
#if defined(__linux__)
inline constexpr std::size_t os_random_max_request = 4096;
#else
inline constexpr std::size_t os_random_max_request = 256;
#endif
/// One call of the operating system's generator (blocks until it is seeded), or -errno.
inline long os_random(std::uint8_t* p, std::size_t n) noexcept {
#if defined(__linux__)
  const auto r = ::getrandom(p, n, 0);
  return r < 0 ? -static_cast<long>(errno) : static_cast<long>(r);
#elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__)
  return ::getentropy(p, n) == 0 ? static_cast<long>(n) : -static_cast<long>(errno);
#else
  (void)p, (void)n;
  return -ENOSYS;
#endif
}
}  // namespace detail

/// Fills p[0..n) from the operating system's CSPRNG (getrandom(2) on Linux) and returns n, or
/// an errc::no_secure_random error (50000). Never falls back to a weaker generator.
[[nodiscard]] inline result<std::size_t> random_bytes(std::uint8_t* p, std::size_t n) noexcept {
  return detail::fill_random_from(detail::os_random, p, n, detail::os_random_max_request);
}

/// A nonce: 32 lower-case hex characters carrying 128 bits from the CSPRNG. Hex is safe anywhere
/// the nonce goes (the signed text, JSON, URLs, headers): no newline, quote, backslash or `=`.
class nonce {
 public:
  static constexpr std::size_t size = 32;
  /// The random bytes a nonce carries (two hex characters each).
  static constexpr std::size_t entropy_bytes = size / 2;
  /// The 32 characters.
  [[nodiscard]] constexpr std::string_view view() const noexcept { return {chars_.data(), chars_.size()}; }
  /// Hex of 16 given bytes (for tests; use random_nonce() for real ones).
  [[nodiscard]] static constexpr nonce from_bytes(const std::array<std::uint8_t, entropy_bytes>& bytes) noexcept {
    constexpr char hex[] = "0123456789abcdef";
    nonce out;
#if CAPMATCH_DETAIL_SSE2
    if (!std::is_constant_evaluated()) {
      // All sixteen bytes at once: high and low nibbles in byte lanes, interleaved (high first),
      // then '0' + n plus 39 ('a' - '0' - 10) in the lanes above 9.
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes.data()));
      const __m128i low4 = _mm_set1_epi8(15);
      const __m128i hi = _mm_and_si128(_mm_srli_epi16(x, 4), low4), lo = _mm_and_si128(x, low4);
      auto chars = [](__m128i n) {
        const __m128i letters = _mm_and_si128(_mm_cmpgt_epi8(n, _mm_set1_epi8(9)), _mm_set1_epi8(39));
        return _mm_add_epi8(_mm_add_epi8(n, _mm_set1_epi8('0')), letters);
      };
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out.chars_.data()), chars(_mm_unpacklo_epi8(hi, lo)));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out.chars_.data() + 16), chars(_mm_unpackhi_epi8(hi, lo)));
      return out;
    }
#endif
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      out.chars_[2 * i] = hex[bytes[i] >> 4];
      out.chars_[2 * i + 1] = hex[bytes[i] & 15];
    }
    return out;
  }

 private:
  std::array<char, size> chars_{};
};

/// A fresh nonce from the CSPRNG, or an errc::no_secure_random error.
[[nodiscard]] inline result<nonce> random_nonce() noexcept {
  std::array<std::uint8_t, nonce::entropy_bytes> bytes{};
  auto r = random_bytes(bytes.data(), bytes.size());
  if (!r) return r.error();
  return nonce::from_bytes(bytes);
}

}  // namespace crypto
CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/crypto/random.hpp ----

// ---- begin include/capmatch/detail/intersect_identity.hpp ----
// capmatch — the exact shortcut of intersect(key, request) when the key is one resource that
// grants every operation and contains every requested pattern: the result is the request
// itself. Internal; the verifiers try it before the general intersection.
// SPDX-License-Identifier: MIT

#include <optional>


CAPMATCH_NAMESPACE_BEGIN
namespace detail {

/// intersect(key, request) byte for byte when it is the request itself, else nullopt (then the
/// caller takes the general path). Applies when `key` is a single normal resource granting all
/// operations (`{"[*]*":["*"]}`, `{"*":["*"]}`, `{"tenant:*":["*"]}`, ...), `request` is
/// non-empty and in normal form, and the key's pattern contains every requested pattern. Then
/// every pair is "the key contains the request" (intersect keeps the requested pattern with its
/// own operations), no key pattern is kept for itself (it would have to lie inside a requested
/// pattern that it contains, hence equal it, and that pair is counted as the request's), and the
/// request is already sorted with unique resources: the result is the request. Source offsets
/// are 0 as in every intersection. Cost: one containment test per requested resource.
[[nodiscard]] constexpr std::optional<capability> intersect_identity(const capability& key, const capability& request) {
  if (key.size() != 1 || !key.ops(0).is_all() || request.empty() || !all_normal(key) || !all_normal(request))
    return std::nullopt;
  const pattern k = key.pattern_at(0);
  for (std::size_t j = 0; j < request.size(); ++j)
    if (!contains(k, request.pattern_at(j))) return std::nullopt;
  capability out;
  for (std::size_t j = 0; j < request.size(); ++j)
    capability_access::add(out, request.resource(j), request.pattern_at(j), request.ops(j), 0);
  return out;
}

}  // namespace detail
CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/detail/intersect_identity.hpp ----

// ---- begin include/capmatch/token_request_wire.hpp ----
// capmatch — the wire form of a TokenRequest (docs/semantics.md §5, rules 19-22): its limits,
// the rule every signed text field obeys, and the verifier's reading of the JSON object.
// See docs/token_requests.md "Verifying".
// SPDX-License-Identifier: MIT

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>


CAPMATCH_NAMESPACE_BEGIN

/// Longest ttl Ably grants: 24 hours, in milliseconds (40003 above it).
inline constexpr std::uint64_t max_token_ttl_ms = 24ull * 60 * 60 * 1000;
/// Longest ttl for a key with revocable tokens: 1 hour, in milliseconds (40003 above it).
inline constexpr std::uint64_t max_revocable_token_ttl_ms = 60ull * 60 * 1000;
/// How far a TokenRequest's timestamp may be from the verifier's clock: 2 minutes (40104 beyond).
inline constexpr std::int64_t token_request_window_ms = 2 * 60 * 1000;
/// Fewest characters in a nonce (rule 21).
inline constexpr std::size_t min_nonce_chars = 16;
/// Most bytes in a nonce, a clientId or a key name (longer ones are errors, 40000).
inline constexpr std::size_t max_nonce_bytes = 256;
inline constexpr std::size_t max_client_id_bytes = 4096;
inline constexpr std::size_t max_key_name_bytes = 256;
/// Largest TokenRequest wire form the verifier reads by default, in bytes.
inline constexpr std::size_t max_token_request_bytes = 64u << 10;
/// Largest timestamp accepted (2^53 - 1, the largest integer a JSON client keeps exactly).
inline constexpr std::uint64_t max_timestamp_ms = (1ull << 53) - 1;

namespace detail {

/// Checks a text field that goes into the signed text: well-formed UTF-8 without control
/// characters (a newline would make the text ambiguous), 1..max bytes.
[[nodiscard]] constexpr error check_signed_field(std::string_view what, std::string_view v, std::size_t max,
                                                 std::size_t min_chars = 1) noexcept {
  if (v.empty()) {
    error e(errc::invalid_token_request, no_offset);
    return e.append(what).append(" is empty");
  }
  if (v.size() > max) {
    error e(errc::invalid_token_request, no_offset);
    return e.append(what).append(" has ").append_number(v.size()).append(" bytes; at most ").append_number(max)
        .append(" allowed");
  }
  // Printable ASCII (the usual key name, nonce and clientId) needs no UTF-8 decoding.
  std::size_t ascii = 0;
  while (ascii < v.size() && static_cast<unsigned char>(v[ascii]) >= 0x20 && static_cast<unsigned char>(v[ascii]) < 0x7F)
    ++ascii;
  if (ascii == v.size() && v.size() >= min_chars) return {};
  std::size_t chars = 0;
  for (std::size_t i = 0; i < v.size(); ++chars) {
    const auto c = static_cast<unsigned char>(v[i]);
    if (c < 0x20 || c == 0x7F) {
      error e(errc::invalid_token_request, no_offset);
      e.append(what).append(" contains a control character at byte ").append_number(i);
      return e.append(" (it would make the signed text ambiguous)");
    }
    const std::size_t len = utf8_length(v, i);
    if (len == 0) {
      error e(errc::invalid_token_request, no_offset);
      return e.append(what).append(" is not valid UTF-8 at byte ").append_number(i);
    }
    i += len;
  }
  if (chars < min_chars) {
    error e(errc::invalid_token_request, no_offset);
    return e.append(what).append(" has ").append_number(chars).append(" characters; at least ")
        .append_number(min_chars).append(" required");
  }
  return {};
}

/// The usual case of check_signed_field: printable ASCII of an allowed size (then the field is
/// allowed; when false, check_signed_field decides).
[[nodiscard]] constexpr bool signed_field_printable(std::string_view v, std::size_t max, std::size_t min_chars) noexcept {
  if (v.empty() || v.size() > max || v.size() < min_chars) return false;
  for (std::size_t i = printable_ascii_end(v, 0); i < v.size(); i = printable_ascii_end(v, i + 1))
    if (v[i] != '"' && v[i] != '\\') return false;  // (the scan also stops at these two printable ones)
  return true;
}

/// check_signed_field(what, v, max, min_chars) without building an error in the usual case
/// (printable ASCII of an allowed size): true when `v` is allowed, else false with `err` set.
[[nodiscard]] constexpr bool signed_field_ok(std::string_view what, std::string_view v, std::size_t max,
                                             std::size_t min_chars, error& err) noexcept {
  if (signed_field_printable(v, max, min_chars)) return true;
  err = check_signed_field(what, v, max, min_chars);
  return err.code() == errc::ok;
}

/// The members of a TokenRequest's wire form as the verifier reads them: views into the JSON
/// text (or into a reader's pool when a string had escapes). The integers and flags have no
/// default value: every reader sets every member when it reads a request (the general reader
/// starts with `f = {}`), and gcc clears a struct this large whose members all have one with a
/// `rep stos` (~20 % of the verifier's own time, once per request); the views' clear stays
/// 14 plain stores. Write `token_request_wire f{}` for one with every member zero.
struct token_request_wire {
  std::string_view key_name, capability, client_id, nonce, mac;
  std::string_view ttl_text, timestamp_text;  // the digits as received
  std::uint64_t ttl, timestamp;
  bool has_ttl, has_capability, has_client_id;
  bool capability_escaped;  // `capability` is as written in its JSON string (\" \\ \/ not decoded)
  /// `capability` is the body of the caller's capability_memo (read_token_request): it was
  /// recognised as the memo's body (not scanned again) or just stored there.
  bool capability_memoised;

  friend constexpr bool operator==(const token_request_wire&, const token_request_wire&) = default;
};

/// Reads the wire form strictly through the general JSON object reader: a flat object with only
/// the seven known members, each of its type (ttl and timestamp also as decimal strings),
/// required ones present. This reader is the definition: it accepts exactly the wire forms the
/// verifier accepts and names the first problem. Returns false with `err` set on the first
/// problem (no error object is built otherwise).
[[nodiscard]] inline bool read_token_request_general(std::string_view json, std::size_t max_bytes, json_object& obj,
                                                     token_request_wire& f, error& err) {
  f = {};
  auto bad = [&err](std::string_view field, std::string_view what, std::uint32_t at) {
    err = error(errc::invalid_token_request, at);
    err.append("TokenRequest ").append(field).append(' ').append(what);
    if (at != no_offset) err.append_at();
    return false;
  };
  if (json.size() > max_bytes) {
    err = error(errc::invalid_token_request, no_offset);
    err.append("TokenRequest of ").append_number(json.size()).append(" bytes; at most ")
        .append_number(max_bytes).append(" allowed");
    return false;
  }
  // Flat (max_depth 0): a nested value is an error naming its member. At most 32 members:
  // seven are known, and the duplicate check is quadratic on unauthenticated input.
  // The capability string is kept as written when its only escapes are \" \\ \/ (ASCII; the
  // usual form): verify decodes it only when the cache cannot answer for it.
  if (auto e = obj.read(json, json_object_limits{max_bytes, 32, 0, "capability"}); e.code() != errc::ok) {
    err = error(errc::invalid_token_request, e.offset());
    err.append("TokenRequest is not a flat JSON object: ").append(e.message());
    return false;
  }
  bool has_key = false, has_ts = false, has_nonce = false, has_mac = false;
  for (std::size_t i = 0; i < obj.size(); ++i) {
    const json_object::member& m = obj.at(i);
    const std::string_view name = obj.key(i);
    const std::string_view value = m.kind == json_type::string ? obj.string_value(i) : obj.raw(i);
    const std::uint32_t at = m.raw_offset;
    auto want_string = [&](std::string_view& into, bool& seen, std::size_t max, std::size_t min_chars) {
      if (m.kind != json_type::string) return bad(name, "must be a string", at);
      if (!signed_field_ok(name, value, max, min_chars, err)) {
        error w(err.code(), at);
        err = w.append("TokenRequest ").append(err.message()).append_at();
        return false;
      }
      into = value;
      seen = true;
      return true;
    };
    auto want_integer = [&](std::uint64_t& into, std::string_view& text, bool& seen, std::uint64_t max) {
      if (m.kind != json_type::number && m.kind != json_type::string)
        return bad(name, "must be a number", at);
      if (!parse_decimal(value, max, into)) {
        err = error(name == "ttl" ? errc::invalid_ttl : errc::invalid_token_request, at);
        err.append("TokenRequest ").append(name).append(" must be a non-negative integer of milliseconds");
        err.append(" (decimal, no sign, fraction, exponent or leading zero, at most 2^53 - 1)").append_at();
        return false;
      }
      text = value;
      seen = true;
      return true;
    };
    bool ok = true;
    if (name == "keyName") ok = want_string(f.key_name, has_key, max_key_name_bytes, 1);
    else if (name == "ttl") ok = want_integer(f.ttl, f.ttl_text, f.has_ttl, max_timestamp_ms);
    else if (name == "capability") {
      if (m.kind != json_type::string) ok = bad("capability", "must be a string holding capability JSON", at);
      else if (value.empty()) ok = bad("capability", "is an empty string; omit it for the key's capability", at);
      else f.capability = value, f.has_capability = true, f.capability_escaped = m.value_escaped;
    } else if (name == "clientId") ok = want_string(f.client_id, f.has_client_id, max_client_id_bytes, 1);
    else if (name == "timestamp") ok = want_integer(f.timestamp, f.timestamp_text, has_ts, max_timestamp_ms);
    else if (name == "nonce") ok = want_string(f.nonce, has_nonce, max_nonce_bytes, min_nonce_chars);
    else if (name == "mac") {
      if (m.kind != json_type::string) ok = bad("mac", "must be a string", at);
      else f.mac = value, has_mac = true;
    } else {
      err = error(errc::invalid_token_request, m.key_at);
      err.append("TokenRequest has an unknown member ").append_quoted(name).append_at();
      err.append("; expected keyName, ttl, capability, clientId, timestamp, nonce, mac");
      ok = false;
    }
    if (!ok) return false;
  }
  auto missing = [&err](std::string_view field) {
    err = error(errc::invalid_token_request, no_offset);
    err.append("TokenRequest has no ").append(field);
    return false;
  };
  if (!has_key) return missing("keyName");
  if (!has_ts) return missing("timestamp");
  if (!has_nonce) return missing("nonce");
  if (!has_mac) return missing("mac");
  return true;
}

// (the one-pass reader's small steps are inlined: called once per member, out of line they
// cost a call each)
#if defined(__GNUC__) || defined(__clang__)
#define CAPMATCH_DETAIL_LAMBDA_INLINE __attribute__((always_inline))
#else
#define CAPMATCH_DETAIL_LAMBDA_INLINE
#endif

/// True when `s` holds the N - 1 bytes of `lit` at `i` (i <= s.size()).
template <std::size_t N>
[[nodiscard]] constexpr bool text_at(std::string_view s, std::size_t i, const char (&lit)[N]) noexcept {
  if (s.size() - i < N - 1) return false;
  if (std::is_constant_evaluated()) return s.substr(i, N - 1) == std::string_view(lit, N - 1);
  return std::memcmp(s.data() + i, lit, N - 1) == 0;
}

/// The usual wire form read in one pass, with no member list: an object of known, distinct
/// member names written without escapes, whose strings are printable ASCII without escapes
/// (the capability: ASCII with only \" \\ \/ escapes, kept as written), integers as digits or
/// digit strings, every value allowed, required members present. Returns true with `f` set
/// exactly as read_token_request_general sets it; false when the text is not in that form (it
/// may still be valid: the general reader decides, and names any error; `f` is then
/// unspecified). Accepts only what the
/// general reader accepts (tests/test_token_request_wire.cpp checks both on hostile input).
/// The caller checks the size limit first.
///
/// `seen_capability`, when not empty, is a capability body this reader accepted before (as
/// written, from `f.capability` with `f.capability_escaped`): when the capability's string is
/// exactly those bytes followed by '"', it ends there without being scanned again (the scan
/// reads only those bytes to decide, so it would end there too) and `f.capability_memoised` is
/// set. Passing any other text is a precondition violation.
[[nodiscard]] constexpr bool read_token_request_usual(std::string_view json, token_request_wire& f,
                                                      std::string_view seen_capability = {}) noexcept {
  enum : unsigned { key_bit = 1, ttl_bit = 2, cap_bit = 4, client_bit = 8, ts_bit = 16, nonce_bit = 32, mac_bit = 64 };
  // (no `f = {}`: every member is set below, the absent ones at the end; a block clear of the
  // whole struct cost more than the read of a member)
  f.has_ttl = f.has_capability = f.has_client_id = f.capability_escaped = f.capability_memoised = false;
  const std::size_t n = json.size();
  std::size_t i = 0;
  auto sub = [&](std::size_t from, std::size_t to) { return std::string_view(json.data() + from, to - from); };
  auto ws = [&] {
    while (i < n && (json[i] == ' ' || json[i] == '\n' || json[i] == '\r' || json[i] == '\t')) ++i;
  };
  // The byte `c`, after whitespace if any (looked for only when `c` is not next: clients
  // write none).
  auto expect = [&](char c) CAPMATCH_DETAIL_LAMBDA_INLINE {
    if (i >= n || json[i] != c) {
      ws();
      if (i >= n || json[i] != c) return false;
    }
    ++i;
    return true;
  };
  // A string of printable ASCII without escapes: its body, of min..max bytes.
  auto printable_string = [&](std::string_view& into, std::size_t max, std::size_t min) CAPMATCH_DETAIL_LAMBDA_INLINE {
    if (i >= n || json[i] != '"') return false;
    const std::size_t end = printable_ascii_end(json, i + 1);
    if (end >= n || json[end] != '"') return false;
    into = sub(i + 1, end);
    i = end + 1;
    return into.size() >= min && into.size() <= max;  // (every caller's min is at least 1)
  };
  // An integer as digits or as a decimal string, read by parse_decimal (the rule: no sign,
  // fraction, exponent or leading zero, at most 2^53 - 1).
  auto integer = [&](std::string_view& text, std::uint64_t& into) CAPMATCH_DETAIL_LAMBDA_INLINE {
    if (i < n && json[i] == '"') {
      if (!printable_string(text, 20, 1)) return false;
    } else {
      const std::size_t start = i;
      while (i < n && static_cast<unsigned char>(json[i] - '0') <= 9) ++i;
      text = sub(start, i);  // (what follows must be whitespace, ',' or '}')
    }
    return parse_decimal(text, max_timestamp_ms, into);
  };
  if (!expect('{')) return false;
  unsigned seen = 0;
  for (;;) {
    if (!expect('"')) return false;
    // the member's name with its closing quote, one compare: a name with an escape, or any
    // other name, is not the usual form
    unsigned bit = 0;
    const char c = i < n ? json[i] : '\0';
    if (c == 'k' && text_at(json, i, "keyName\"")) bit = key_bit, i += 8;
    else if (c == 't' && text_at(json, i, "ttl\"")) bit = ttl_bit, i += 4;
    else if (c == 't' && text_at(json, i, "timestamp\"")) bit = ts_bit, i += 10;
    else if (c == 'c' && text_at(json, i, "capability\"")) bit = cap_bit, i += 11;
    else if (c == 'c' && text_at(json, i, "clientId\"")) bit = client_bit, i += 9;
    else if (c == 'n' && text_at(json, i, "nonce\"")) bit = nonce_bit, i += 6;
    else if (c == 'm' && text_at(json, i, "mac\"")) bit = mac_bit, i += 4;
    else return false;
    if ((seen & bit) != 0) return false;
    seen |= bit;
    if (!expect(':')) return false;
    if (i < n && static_cast<unsigned char>(json[i]) <= ' ') ws();
    bool ok = false;
    switch (bit) {
      case key_bit: ok = printable_string(f.key_name, max_key_name_bytes, 1); break;
      case ttl_bit: f.has_ttl = true, ok = integer(f.ttl_text, f.ttl); break;
      case ts_bit: ok = integer(f.timestamp_text, f.timestamp); break;
      case client_bit: f.has_client_id = true, ok = printable_string(f.client_id, max_client_id_bytes, 1); break;
      case nonce_bit: ok = printable_string(f.nonce, max_nonce_bytes, min_nonce_chars); break;
      case mac_bit: ok = printable_string(f.mac, max_token_request_bytes, 1); break;
      case cap_bit:
        if (i < n && json[i] == '"') {
          f.has_capability = true, f.capability_escaped = true;
          const std::size_t body = i + 1, m = seen_capability.size();
          std::size_t end;
          if (m != 0 && n - body > m && json[body + m] == '"' && json.substr(body, m) == seen_capability)
            end = body + m, f.capability_memoised = true;
          else
            end = simple_escaped_end(json, body);
          ok = end != std::string_view::npos && end > i + 1;  // (an empty capability is an error)
          if (ok) f.capability = sub(i + 1, end), i = end + 1;
        }
        break;
      default: break;
    }
    if (!ok) return false;
    if (expect(',')) continue;
    if (i >= n || json[i] != '}') return false;  // (expect(',') skipped any whitespace)
    ++i;
    break;
  }
  ws();
  constexpr unsigned required = key_bit | ts_bit | nonce_bit | mac_bit;
  if (i != n || (seen & required) != required) return false;
  if ((seen & ttl_bit) == 0) f.ttl_text = {}, f.ttl = 0;
  if ((seen & cap_bit) == 0) f.capability = {};
  if ((seen & client_bit) == 0) f.client_id = {};
  return true;
}

#undef CAPMATCH_DETAIL_LAMBDA_INLINE

/// What a reader remembers of the capability bodies it read (one per thread in the verifier):
/// the last body the usual reader accepted, as written (at most max_body bytes), so that the
/// next request carrying the same capability is not scanned again (clients of one auth server
/// mostly send the same few capabilities; the capability cache rests on the same fact). Only
/// read_token_request writes `body`, and only with a body the reader accepted; each new body
/// takes the next `generation` (0: none yet), so a user that derives a value from `body` (the
/// verifier's cache hash) can tell whether its value is still for the memo's body.
struct capability_memo {
  static constexpr std::size_t max_body = 4096;
  std::string body;
  std::uint64_t generation = 0;
};

/// Reads a TokenRequest's wire form: the usual form in one pass, anything else through the
/// general reader. Returns nothing when the request was read, else the first problem the
/// general reader names. With a memo: a capability body equal to the memo's is recognised
/// without a scan, and a new one (accepted by the usual reader, at most max_body bytes) replaces
/// it; `f.capability_memoised` says the body is the memo's.
[[nodiscard]] inline std::optional<error> read_token_request(std::string_view json, std::size_t max_bytes,
                                                             token_request_wire& f, capability_memo* memo = nullptr) {
  if (json.size() <= max_bytes &&
      read_token_request_usual(json, f, memo != nullptr ? std::string_view(memo->body) : std::string_view())) {
    if (memo != nullptr && f.capability_escaped && !f.capability_memoised &&
        f.capability.size() <= capability_memo::max_body) {
      memo->body.assign(f.capability);
      ++memo->generation;
      f.capability_memoised = true;
    }
    return std::nullopt;  // (no error object is built in the usual case)
  }
  thread_local json_object obj;
  error err;
  if (read_token_request_general(json, max_bytes, obj, f, err)) return std::nullopt;
  return err;
}

}  // namespace detail
CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/token_request_wire.hpp ----

// ---- begin include/capmatch/token_request.hpp ----
// capmatch — signed TokenRequests: create, verify and explain them (docs/semantics.md §5,
// rules 19-23), byte for byte with ably-js createTokenRequest. See docs/token_requests.md.
// SPDX-License-Identifier: MIT

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>


#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#define CAPMATCH_NONCE_POOL 1
#else
#define CAPMATCH_NONCE_POOL 0
#endif

CAPMATCH_NAMESPACE_BEGIN

/// One HTTP response header, as a server framework takes it.
struct http_header {
  std::string_view name, value;
};

/// Response headers for a token endpoint (rule 23; docs/token_requests.md "HTTP"): no cache,
/// proxy, CDN or browser may store a TokenRequest and hand it out again (40105 "Nonce value
/// replayed"). `no-store` forbids storing at all; `no-cache, must-revalidate` stop caches that
/// ignore `no-store` from reusing it; `Pragma` and `Expires` do the same for HTTP/1.0 caches.
/// No `Vary`: it only matters for responses that get stored, and these never are.
inline constexpr http_header token_endpoint_headers[] = {
    {"Cache-Control", "no-cache, no-store, must-revalidate"},
    {"Pragma", "no-cache"},
    {"Expires", "0"},
    {"Content-Type", "application/json"},
};


namespace detail {
/// Writes `canonical` (canonical capability text) at `o` as it goes inside a JSON string and
/// returns the end: canonical text holds no raw control character (they are written as
/// escapes), so only '"' and '\\' need a backslash; at most twice the size.
constexpr char* write_capability_in_string(std::string_view canonical, char* o) noexcept {
  for (const char c : canonical) {  // branch-free: the backslash is kept only when needed
    *o = '\\';
    o += c == '"' || c == '\\';
    *o++ = c;
  }
  return o;
}
}  // namespace detail

/// A capability prepared once for creating many TokenRequests: parsed and validated, with its
/// canonical text and that text as it is written inside the wire form's JSON string. Creating
/// with it costs a copy of those texts instead of writing them. Immutable: share freely.
class prepared_capability {
 public:
  /// Parses and validates capability JSON (errors as capability::parse).
  [[nodiscard]] static result<prepared_capability> parse(std::string_view json) {
    auto cap = capability::parse(json);
    if (!cap) return cap.error();
    return prepared_capability(std::move(*cap));
  }
  /// Prepares an already parsed capability.
  explicit prepared_capability(capability cap) : cap_(std::move(cap)) {
    std::vector<char> text;
    cap_.write_json(text);
    canonical_.assign(text.data(), text.size());
    in_string_.resize(2 * text.size());
    in_string_.resize(static_cast<std::size_t>(
        detail::write_capability_in_string(canonical_, in_string_.data()) - in_string_.data()));
  }
  /// The capability.
  [[nodiscard]] const capability& get() const noexcept { return cap_; }
  /// Its canonical text (what is signed).
  [[nodiscard]] std::string_view canonical() const noexcept { return canonical_; }
  /// The canonical text with '"' and '\\' escaped (what stands between the wire form's quotes).
  [[nodiscard]] std::string_view in_string() const noexcept { return in_string_; }

 private:
  capability cap_;
  std::string canonical_, in_string_;
};

/// What to put in a TokenRequest. Absent fields stay absent (rule 19): no default ttl, and no
/// capability means the key's whole capability, not `{"*":["*"]}`.
struct token_params {
  std::optional<std::string_view> capability;   // capability JSON; validated, signed as canonical text
  const class capability* parsed_capability = nullptr;  // or an already parsed one (then leave `capability` empty)
  const prepared_capability* prepared = nullptr;        // or a prepared one: the fastest (give only one of the three)
  std::optional<std::string_view> client_id;    // `*` allowed; empty or control characters rejected
  std::optional<std::uint64_t> ttl_ms;          // 1 .. 24 h (1 h for a revocable key)
  std::optional<std::uint64_t> timestamp_ms;    // default: the signer's clock plus its offset
  std::optional<std::string_view> nonce;        // default: 128 bits from the CSPRNG (32 hex chars, pooled_nonce)
};

/// A created TokenRequest: the wire form, the exact text that was signed, and the mac.
struct token_request {
  std::string json;         // one line: keyName, ttl, capability, clientId, timestamp, nonce, mac
  std::string signed_text;  // what the mac covers (for debugging a 40101)
  std::string mac;          // standard base64 of the HMAC-SHA256
};

namespace detail {
/// Decimal text of `v` in a small fixed buffer (the digits: detail::write_decimal).
struct decimal {
  char buf[20]{};
  std::size_t len = 0;
  constexpr explicit decimal(std::uint64_t v) noexcept : len(static_cast<std::size_t>(write_decimal(v, buf) - buf)) {}
  [[nodiscard]] constexpr std::string_view view() const noexcept { return {buf, len}; }
};

#if CAPMATCH_NONCE_POOL
/// Counts fork()s in this process's children: a child sees a new value and so discards the
/// nonce bytes it inherited, which its parent is handing out too.
inline std::atomic<std::uint64_t>& fork_generation() noexcept {
  static std::atomic<std::uint64_t> generation{0};
  return generation;
}
#endif

/// The nonce pool's bytes: 64 nonces of 16 bytes, refilled by one request to the operating
/// system's generator (crypto::random_bytes asks for at most os_random_max_request at once).
inline constexpr std::size_t nonce_pool_bytes = 64 * crypto::nonce::entropy_bytes;
#if defined(__linux__)
static_assert(nonce_pool_bytes <= crypto::detail::os_random_max_request, "a pool refill is one getrandom call");
#endif

/// A fresh nonce (32 hex chars, 128 bits) from the operating system's CSPRNG, drawn from a
/// per-thread pool of 1 KiB refilled 64 nonces at a time by one getrandom call (a call costs
/// more than the rest of creating a TokenRequest; the kernel's per-call set-up was ~6 % of a
/// create when the pool held 16). A forked child never reuses its parent's pool (pthread_atfork).
/// Used bytes are wiped. Without POSIX threads: one crypto::random_nonce() call per nonce.
[[nodiscard]] inline result<crypto::nonce> pooled_nonce() noexcept {
#if CAPMATCH_NONCE_POOL
  static const int registered = ::pthread_atfork(nullptr, nullptr, [] {
    fork_generation().fetch_add(1, std::memory_order_relaxed);
  });
  if (registered != 0) return crypto::random_nonce();
  struct pool {
    std::array<std::uint8_t, nonce_pool_bytes> bytes{};
    std::size_t used = nonce_pool_bytes;
    std::uint64_t generation = ~std::uint64_t{0};
  };
  thread_local pool p;
  const std::uint64_t generation = fork_generation().load(std::memory_order_relaxed);
  if (p.used == p.bytes.size() || p.generation != generation) {
    auto r = crypto::random_bytes(p.bytes.data(), p.bytes.size());
    if (!r) return r.error();
    p.used = 0;
    p.generation = generation;
  }
  std::array<std::uint8_t, crypto::nonce::entropy_bytes> b{};
  std::memcpy(b.data(), p.bytes.data() + p.used, b.size());
  std::memset(p.bytes.data() + p.used, 0, b.size());  // (the pool outlives the call: not a dead store)
  p.used += b.size();
  return crypto::nonce::from_bytes(b);
#else
  return crypto::random_nonce();
#endif
}

/// The longest ttl a key may grant: 1 h for a key with revocable tokens, else 24 h.
[[nodiscard]] constexpr std::uint64_t max_ttl_ms(bool revocable) noexcept {
  return revocable ? max_revocable_token_ttl_ms : max_token_ttl_ms;
}
/// The ttl rule (40003): positive and at most max_ttl_ms.
[[nodiscard]] constexpr bool ttl_allowed(std::uint64_t ttl, bool revocable) noexcept {
  return ttl != 0 && ttl <= max_ttl_ms(revocable);
}
/// ttl_allowed's error: none when allowed, else why (40003).
[[nodiscard]] constexpr error check_ttl(std::uint64_t ttl, bool revocable) noexcept {
  if (ttl_allowed(ttl, revocable)) return {};
  const std::uint64_t max = max_ttl_ms(revocable);
  error e(errc::invalid_ttl, no_offset);
  e.append("ttl ").append_number(ttl).append(" ms is ");
  if (ttl == 0) return e.append("not positive; omit ttl for the default");
  e.append("above the ").append(revocable ? "1 hour limit for a key with revocable tokens" : "24 hour limit");
  return e.append(" (").append_number(max).append(" ms)");
}

/// The signed text's one rule (rule 19): every field, then '\n' (an absent field is ""). Feeds
/// each of `lines` and its '\n' to `sink(piece)`. Everything that hashes or writes signed text
/// (or a part of it: a prefix, the rest after one) goes through here.
template <class Sink>
constexpr void for_each_signed_line(std::initializer_list<std::string_view> lines, Sink&& sink) {
  for (std::string_view line : lines) {
    sink(line);
    sink(std::string_view("\n", 1));
  }
}

/// Feeds the signed text (rule 19) of the six fields to `sink(piece)`.
template <class Sink>
constexpr void signed_text_pieces(std::string_view key_name, std::string_view ttl, std::string_view capability,
                                  std::string_view client_id, std::string_view timestamp, std::string_view nonce,
                                  Sink&& sink) {
  for_each_signed_line({key_name, ttl, capability, client_id, timestamp, nonce}, sink);
}

/// Appends `lines` as signed text (for_each_signed_line) to `text`.
inline void append_signed_lines(std::string& text, std::initializer_list<std::string_view> lines) {
  for_each_signed_line(lines, [&](std::string_view s) { text.append(s); });
}

/// Hashes `lines` as signed text (for_each_signed_line) into `h` through a stack buffer: one
/// update per 512 bytes instead of two per line. Returns `h`.
constexpr crypto::hmac_sha256& absorb_lines(crypto::hmac_sha256& h, std::initializer_list<std::string_view> lines) noexcept {
  char buf[512];  // (only the n bytes written are read)
  std::size_t n = 0;
  for_each_signed_line(lines, [&](std::string_view piece) {
    while (!piece.empty()) {
      if (n == sizeof(buf)) h.update(buf, n), n = 0;
      const std::size_t take = std::min(piece.size(), sizeof(buf) - n);
      std::copy(piece.data(), piece.data() + take, buf + n);
      n += take;
      piece.remove_prefix(take);
    }
  });
  return h.update(buf, n);
}
}  // namespace detail

/// The fields of a TokenRequest as they are signed; an absent ttl, capability or clientId is
/// signed as the empty string (rule 19). No policy is applied here (nonce length, ttl range):
/// this is the signing rule alone, for explaining a 40101 and for published test vectors.
struct token_request_fields {
  std::string_view key_name;
  std::optional<std::uint64_t> ttl_ms;
  std::optional<std::string_view> capability;  // the exact capability text that is sent
  std::optional<std::string_view> client_id;
  std::uint64_t timestamp_ms = 0;
  std::string_view nonce;

  /// Feeds the signed text to `sink(piece)`, piece by piece (no allocation).
  template <class Sink>
  constexpr void signed_text(Sink&& sink) const {
    const detail::decimal ttl(ttl_ms.value_or(0)), ts(timestamp_ms);
    detail::signed_text_pieces(key_name, ttl_ms ? ttl.view() : std::string_view(), capability.value_or(std::string_view()),
                               client_id.value_or(std::string_view()), ts.view(), nonce, sink);
  }
  /// The signed text: keyName, ttl, capability, clientId, timestamp and nonce, each followed by '\n'.
  [[nodiscard]] std::string signed_text() const {
    std::string out;
    signed_text([&](std::string_view s) { out.append(s); });
    return out;
  }
  /// The HMAC-SHA256 of the signed text under `key`.
  [[nodiscard]] constexpr crypto::sha256_digest digest(const crypto::hmac_sha256_key& key) const noexcept {
    const detail::decimal ttl(ttl_ms.value_or(0)), ts(timestamp_ms);
    crypto::hmac_sha256 h(key);
    return detail::absorb_lines(h, {key_name, ttl_ms ? ttl.view() : std::string_view(), capability.value_or(std::string_view()),
                                    client_id.value_or(std::string_view()), ts.view(), nonce})
        .finish();
  }
  /// The mac: standard padded base64 of digest(key) (44 characters).
  [[nodiscard]] std::string mac(const crypto::hmac_sha256_key& key) const {
    const auto m = crypto::base64_encode_array<crypto::base64_alphabet::standard>(digest(key));
    return std::string(m.data(), m.size());
  }
};

namespace detail {
/// Completes a TokenRequest whose signed prefix `keyName\nttl\ncapability\n` is absorbed in
/// `prefix` and whose wire form's first members (`{"keyName":...,"ttl":...,"capability":"..."`)
/// are `wire_prefix` (a template's: `json`'s content is replaced by them and the rest) or, when
/// `wire_prefix` is empty, already in `json` (the signer writes them there): checks clientId
/// (unless `client_id_checked`), timestamp and nonce of `p`, hashes
/// `clientId\ntimestamp\nnonce\n` and writes the rest of the wire form. `text` (when not
/// nullptr) holds the signed prefix and gets the rest of the signed text appended, `mac_out`
/// the mac. `json` is sized once: a reused string of the same size is not cleared or filled.
[[nodiscard]] inline bool finish_token_request(const crypto::hmac_sha256& prefix, clock_ms_fn clock,
                                               std::int64_t server_offset_ms, const token_params& p, bool client_id_checked,
                                               std::string_view wire_prefix, std::string& json, std::string* text,
                                               std::string* mac_out, error& err) {
  if (p.client_id && !client_id_checked && !signed_field_ok("clientId", *p.client_id, max_client_id_bytes, 1, err))
    return false;
  std::uint64_t timestamp = 0;
  if (p.timestamp_ms) {
    timestamp = *p.timestamp_ms;
  } else {
    const std::int64_t now = clock() + server_offset_ms;
    timestamp = now < 0 ? 0 : static_cast<std::uint64_t>(now);
  }
  if (timestamp > max_timestamp_ms) {
    error e(errc::invalid_token_request, no_offset);
    return err = e.append("timestamp ").append_number(timestamp).append(" is above 2^53 - 1"), false;
  }
  crypto::nonce fresh;
  std::string_view nonce;
  if (p.nonce) {
    nonce = *p.nonce;
    if (!signed_field_ok("nonce", nonce, max_nonce_bytes, min_nonce_chars, err)) return false;
  } else {
    auto n = pooled_nonce();
    if (!n) return err = n.error(), false;
    fresh = *n;
    nonce = fresh.view();
  }
  const decimal ts_text(timestamp);
  const std::string_view client_id = p.client_id.value_or(std::string_view());
  crypto::hmac_sha256 h = prefix;
  const auto mac = crypto::base64_encode_array<crypto::base64_alphabet::standard>(
      absorb_lines(h, {client_id, ts_text.view(), nonce}).finish());
  const std::string_view mac_text(mac.data(), mac.size());
  if (text != nullptr) {
    append_signed_lines(*text, {client_id, ts_text.view(), nonce});
  }
  if (mac_out != nullptr) mac_out->assign(mac_text);
  // the rest of the wire form (rule 20), measured first and written in place
  const bool plain_nonce = !p.nonce || json_plain(nonce);  // (pooled nonces are hex)
  std::size_t size = sizeof(R"(,"timestamp":,"nonce":"","mac":""})") - 1 + ts_text.len +
                     (plain_nonce ? nonce.size() : json_string_size(nonce)) + mac_text.size();
  const bool plain_client_id = p.client_id && json_plain(client_id);  // (the usual case: one scan)
  if (p.client_id)
    size += sizeof(R"(,"clientId":)") - 1 + (plain_client_id ? client_id.size() + 2 : json_string_size(client_id));
  const std::size_t at = wire_prefix.empty() ? json.size() : wire_prefix.size();
  json.resize(at + size);
  if (!wire_prefix.empty()) std::memcpy(json.data(), wire_prefix.data(), at);
  char* o = json.data() + at;
  auto put = [&](std::string_view s) { o = std::copy(s.begin(), s.end(), o); };
  if (plain_client_id) put(R"(,"clientId":")"), put(client_id), *o++ = '"';
  else if (p.client_id) put(R"(,"clientId":)"), o = write_json_string(client_id, o);
  put(R"(,"timestamp":)"), put(ts_text.view());
  if (plain_nonce) put(R"(,"nonce":")"), put(nonce), *o++ = '"';
  else put(R"(,"nonce":)"), o = write_json_string(nonce, o);
  put(R"(,"mac":")"), put(mac_text), *o++ = '"';  // base64 needs no escape
  *o++ = '}';
  json.resize(static_cast<std::size_t>(o - json.data()));
  return true;
}
}  // namespace detail

/// A signer's key, ttl and capability fixed once for many TokenRequests (one role of an auth
/// server): the HMAC already absorbed over the signed text's prefix `keyName\nttl\ncapability\n`
/// and the wire form's first members already written, so that creating a request hashes only
/// `clientId\ntimestamp\nnonce\n` (1-2 SHA-256 blocks and the outer one instead of 7-8 for an
/// 8-entry capability). Made by token_request_signer::prepare; the requests are byte for byte
/// those the signer creates from the same parameters. Immutable and independent of the signer
/// (it keeps its clock and server offset): share freely between threads. It holds secret-derived
/// state (like the signer): keep it in the server.
class token_request_template {
 public:
  /// A new TokenRequest: wire form, signed text and mac. `p` gives clientId, timestamp and nonce
  /// only (the template fixes capability and ttl: giving one is an error).
  [[nodiscard]] result<token_request> create(const token_params& p) const {
    token_request out;
    error e;
    if (!build(p, out.json, &out.signed_text, &out.mac, e)) return e;
    return out;
  }
  /// Writes a new TokenRequest's wire form to `json` (replacing its content) and returns an
  /// error with code errc::ok, or the error. Allocates nothing once `json` has grown.
  [[nodiscard]] error create_json(const token_params& p, std::string& json) const {
    error e;
    (void)build(p, json, nullptr, nullptr, e);
    return e;
  }

 private:
  friend class token_request_signer;
  token_request_template(const crypto::hmac_sha256& prefix, clock_ms_fn clock, std::int64_t server_offset_ms)
      : prefix_(prefix), clock_(clock), offset_(server_offset_ms) {}

  [[nodiscard]] bool build(const token_params& p, std::string& json, std::string* text, std::string* mac_out,
                           error& err) const {
    if (p.capability || p.parsed_capability != nullptr || p.prepared != nullptr || p.ttl_ms) {
      err = error(errc::invalid_token_request, no_offset,
                  "this template fixes the capability and ttl; give only clientId, timestamp and nonce");
      return false;
    }
    if (text != nullptr) text->assign(signed_prefix_);
    return detail::finish_token_request(prefix_, clock_, offset_, p, false, wire_prefix_, json, text, mac_out, err);
  }

  crypto::hmac_sha256 prefix_;  // absorbed over signed_prefix_
  std::string wire_prefix_;     // {"keyName":...[,"ttl":...][,"capability":"..."]
  std::string signed_prefix_;   // keyName\nttl\ncapability\n
  clock_ms_fn clock_;
  std::int64_t offset_;
};

/// Options of a token_request_signer.
struct token_signer_options {
  bool revocable = false;                    // the key has revocable tokens: ttl at most 1 hour
  std::optional<capability> key_capability;  // when set, requests are intersected first (40160 early)
  clock_ms_fn clock = system_clock_ms;       // the local clock
  std::int64_t server_offset_ms = 0;         // server time - local time (like ably-js queryTime)
};


/// Creates signed TokenRequests with one key. Immutable after construction: safe to share
/// between threads. The HMAC key state (inner and outer pads) is computed once.
class token_request_signer {
 public:
  using options = token_signer_options;

  /// An empty signer (no key); make() builds real ones.
  token_request_signer() = default;

  /// A signer for an Ably API key (`appId.keyId:secret`, see api_key::parse).
  [[nodiscard]] static result<token_request_signer> make(const api_key& key, options opts = {}) {
    return make(key.name(), key.hmac(), std::move(opts));
  }
  /// A signer for any key name (e.g. the published vector's `a_key_name`) and the secret's UTF-8.
  [[nodiscard]] static result<token_request_signer> make(std::string_view key_name, std::string_view secret,
                                                         options opts = {}) {
    if (secret.empty()) return error(errc::invalid_key, no_offset, "invalid API key: empty secret");
    if (secret.find(':') != std::string_view::npos)
      return error(errc::invalid_key, no_offset, "invalid API key: the secret contains ':'");
    return make(key_name, crypto::hmac_sha256_key(secret), std::move(opts));
  }
  /// A signer from a key name and a prepared HMAC key.
  [[nodiscard]] static result<token_request_signer> make(std::string_view key_name, const crypto::hmac_sha256_key& hmac,
                                                         options opts = {}) {
    if (auto e = detail::check_signed_field("keyName", key_name, max_key_name_bytes); e.code() != errc::ok) return e;
    if (key_name.find(':') != std::string_view::npos)
      return error(errc::invalid_token_request, no_offset, "keyName contains ':'");
    token_request_signer s;
    s.key_name_.assign(key_name);
    std::vector<char> quoted;
    detail::write_json_string(key_name, quoted);
    s.key_name_json_.assign(quoted.begin(), quoted.end());
    s.hmac_ = hmac;
    s.opts_ = std::move(opts);
    if (s.opts_.clock == nullptr) s.opts_.clock = system_clock_ms;
    return s;
  }

  [[nodiscard]] std::string_view key_name() const noexcept { return key_name_; }

  /// A new TokenRequest: wire form, signed text and mac.
  [[nodiscard]] result<token_request> create(const token_params& p) const {
    token_request out;
    error e;
    if (!build(p, out.json, &out.signed_text, &out.mac, e)) return e;
    return out;
  }

  /// Writes a new TokenRequest's wire form to `json` (replacing its content) and returns an
  /// error with code errc::ok, or the error. The fast path: with a parsed capability it
  /// allocates nothing once `json` has grown (the canonical text goes through a per-thread buffer).
  [[nodiscard]] error create_json(const token_params& p, std::string& json) const {
    error e;
    (void)build(p, json, nullptr, nullptr, e);
    return e;
  }

  /// A template for many TokenRequests with the capability and ttl of `p` (checked here, once;
  /// clientId, timestamp and nonce must be absent: they are given to each create).
  [[nodiscard]] result<token_request_template> prepare(const token_params& p) const {
    if (p.client_id || p.timestamp_ms || p.nonce)
      return error(errc::invalid_token_request, no_offset,
                   "a template fixes only the capability and ttl; give clientId, timestamp and nonce to each create");
    token_request_template t(crypto::hmac_sha256(hmac_), opts_.clock, opts_.server_offset_ms);
    error e;
    if (!build_prefix(p, true, t.prefix_, t.wire_prefix_, &t.signed_prefix_, e)) return e;
    return t;
  }

 private:
  /// Writes `cap_text` (the canonical text of `cap`) with '"' and '\\' escaped, as it goes
  /// inside a JSON string. Written from the entries when no resource needs escaping (operation
  /// names never do): the per-byte escape was most of the creation time.
  static char* write_escaped_capability(const capability* cap, std::string_view cap_text, char* o) noexcept {
    auto put = [&](std::string_view s) { o = std::copy(s.begin(), s.end(), o); };
    bool plain = true;
    for (std::size_t i = 0; plain && i < cap->size(); ++i) plain = detail::json_plain(cap->resource(i));
    if (!plain) return detail::write_capability_in_string(cap_text, o);
    *o++ = '{';
    for (std::size_t i = 0; i < cap->size(); ++i) {
      if (i != 0) *o++ = ',';
      put(R"(\")"), put(cap->resource(i)), put(R"(\":[)");
      bool first = true;
      cap->ops(i).for_each_name([&](std::string_view n) {
        if (!first) *o++ = ',';
        first = false;
        put(R"(\")"), put(n), put(R"(\")");
      });
      *o++ = ']';
    }
    *o++ = '}';
    return o;
  }

  /// Writes the wire form's first members of `p` (keyName, ttl, capability) to `json`, absorbs
  /// the signed prefix `keyName\nttl\ncapability\n` into `h` and (when not nullptr) writes it to
  /// `signed_prefix`, after checking the capability (and, with `check_client_id`, clientId) and ttl.
  [[nodiscard]] bool build_prefix(const token_params& p, bool check_client_id, crypto::hmac_sha256& h, std::string& json,
                                   std::string* signed_prefix, error& err) const {
    // capability: validated, canonical, optionally checked against the key's
    thread_local std::vector<char> canonical;
    canonical.clear();
    const bool has_cap = p.capability.has_value() || p.parsed_capability != nullptr || p.prepared != nullptr;
    if (p.capability.has_value() && p.parsed_capability != nullptr)
      return err = error(errc::invalid_token_request, no_offset, "give either capability text or a parsed capability, not both"), false;
    if (p.prepared != nullptr && (p.capability.has_value() || p.parsed_capability != nullptr))
      return err = error(errc::invalid_token_request, no_offset,
                         "give one of capability text, a parsed capability or a prepared capability, not several"),
             false;
    std::optional<capability> parsed;
    const capability* cap = p.prepared != nullptr ? &p.prepared->get() : p.parsed_capability;
    if (has_cap) {
      if (cap == nullptr) {
        auto r = capability::parse(*p.capability);
        if (!r) return err = r.error(), false;
        parsed.emplace(std::move(*r));
        cap = &*parsed;
      }
      if (opts_.key_capability) {
        auto eff = intersect(*opts_.key_capability, *cap);
        if (!eff) return err = eff.error(), false;
      }
      if (p.prepared == nullptr) cap->write_json(canonical);
    }
    const std::string_view cap_text =
        p.prepared != nullptr ? p.prepared->canonical() : std::string_view(canonical.data(), canonical.size());
    if (p.client_id && check_client_id && !detail::signed_field_ok("clientId", *p.client_id, max_client_id_bytes, 1, err))
      return false;
    if (p.ttl_ms)
      if (auto e = detail::check_ttl(*p.ttl_ms, opts_.revocable); e.code() != errc::ok) return err = e, false;
    const detail::decimal ttl_text(p.ttl_ms.value_or(0));
    const std::string_view ttl = p.ttl_ms ? ttl_text.view() : std::string_view();
    detail::absorb_lines(h, {key_name_, ttl, cap_text});
    if (signed_prefix != nullptr) {
      signed_prefix->clear();
      detail::append_signed_lines(*signed_prefix, {key_name_, ttl, cap_text});
    }
    // The wire form's first members (rule 20), measured first and written in place. The
    // capability goes in as a JSON string. Canonical text holds no raw control character (they
    // are written as escapes), so only '"' and '\\' need a backslash: at most double size.
    std::size_t size = sizeof(R"({"keyName":)") - 1 + key_name_json_.size();
    if (p.ttl_ms) size += sizeof(R"(,"ttl":)") - 1 + ttl.size();
    if (has_cap) size += sizeof(R"(,"capability":"")") - 1 + 2 * cap_text.size();
    json.resize(size);
    char* o = json.data();
    auto put = [&](std::string_view s) { o = std::copy(s.begin(), s.end(), o); };
    put(R"({"keyName":)"), put(key_name_json_);
    if (p.ttl_ms) put(R"(,"ttl":)"), put(ttl);
    if (has_cap) {
      put(R"(,"capability":")");
      if (p.prepared != nullptr) put(p.prepared->in_string());
      else o = write_escaped_capability(cap, cap_text, o);
      *o++ = '"';
    }
    json.resize(static_cast<std::size_t>(o - json.data()));
    return true;
  }

  [[nodiscard]] bool build(const token_params& p, std::string& json, std::string* text, std::string* mac_out,
                           error& err) const {
    crypto::hmac_sha256 h(hmac_);
    return build_prefix(p, true, h, json, text, err) &&
           detail::finish_token_request(h, opts_.clock, opts_.server_offset_ms, p, true, {}, json, text, mac_out, err);
  }

  std::string key_name_;
  std::string key_name_json_;  // key_name_ as a JSON string, written once
  crypto::hmac_sha256_key hmac_;
  options opts_;
};

/// A key the verifier knows: its name, HMAC key state, capability and whether its tokens are
/// revocable (ttl at most 1 hour). Holds no copy of the secret. Immutable: what verification
/// needs of the key alone is computed once here (the effective capability of a request without
/// a capability, and the key's fingerprint for a capability_cache).
class token_key {
 public:
  /// The key `name` with secret state `hmac`, capability `key_capability`, revocable or not.
  token_key(std::string name, const crypto::hmac_sha256_key& hmac, capability key_capability, bool revocable = false)
      : name_(std::move(name)),
        hmac_(hmac),
        capability_(std::move(key_capability)),
        revocable_(revocable),
        own_(intersect(capability_)),
        fingerprint_(key_fingerprint::of(name_, &capability_, &hmac_)) {}

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] const crypto::hmac_sha256_key& hmac() const noexcept { return hmac_; }
  [[nodiscard]] const capability& key_capability() const noexcept { return capability_; }
  /// True when the key's tokens are revocable (ttl at most 1 hour).
  [[nodiscard]] bool revocable() const noexcept { return revocable_; }
  /// intersect(key_capability()): the effective capability of a request without a capability
  /// (docs/semantics.md §14), or its error (40160 for a key that grants nothing).
  [[nodiscard]] const result<capability>& own_capability() const noexcept { return own_; }
  /// The key's identity in a capability_cache (name, capability and secret).
  [[nodiscard]] const key_fingerprint& fingerprint() const noexcept { return fingerprint_; }

 private:
  std::string name_;
  crypto::hmac_sha256_key hmac_;
  capability capability_;
  bool revocable_ = false;
  result<capability> own_;
  key_fingerprint fingerprint_;
};

/// Where the verifier looks keys up by keyName (a database, a config file, ...).
class key_store {
 public:
  virtual ~key_store() = default;
  /// The key named `key_name`, or nullptr. The pointer must stay valid while the verifier runs.
  [[nodiscard]] virtual const token_key* find(std::string_view key_name) const noexcept = 0;
};

/// A key_store over a fixed list of keys (linear search: for a handful of keys).
class key_list final : public key_store {
 public:
  /// Adds `key` (a later key with the same name is never found).
  void add(token_key key) { keys_.push_back(std::move(key)); }
  /// Adds an API key (`appId.keyId:secret`) with its capability.
  void add(const api_key& key, capability cap, bool revocable = false) {
    keys_.push_back(token_key{std::string(key.name()), key.hmac(), std::move(cap), revocable});
  }
  [[nodiscard]] const token_key* find(std::string_view key_name) const noexcept override {
    for (const auto& k : keys_)
      if (k.name() == key_name) return &k;
    return nullptr;
  }

 private:
  std::vector<token_key> keys_;
};

/// A TokenRequest that passed every check, with the effective capability (key ∩ requested).
struct verified_token_request {
  std::string key_name;
  std::optional<std::uint64_t> ttl_ms;
  std::optional<std::string> capability;  // as requested (canonical text), absent when not given
  std::optional<std::string> client_id;
  std::uint64_t timestamp_ms = 0;
  std::string nonce;
  class capability effective;  // the token's capability (docs/semantics.md §4)
};

/// Options of a token_request_verifier.
struct token_verifier_options {
  std::int64_t window_ms = token_request_window_ms;  // allowed clock difference, each way
  std::size_t max_bytes = max_token_request_bytes;    // largest wire form read
  /// Optional, shared: remembers verified (key, capability text) results (capability_cache.hpp).
  capability_cache* cache = nullptr;
};


/// Verifies TokenRequests as Ably does (rule 22), in this order: the wire form (40000), the key
/// (40101), the mac (40101, constant time), the timestamp (40104), the nonce (40105, claimed in
/// the replay guard), the ttl (40003), the capability (40000 malformed, 40160 empty intersection).
/// Thread-safe when the key store and the replay guard are.
class token_request_verifier {
 public:
  using options = token_verifier_options;

  token_request_verifier(const key_store& keys, replay_guard& guard, clock_ms_fn clock = system_clock_ms)
      : keys_(&keys), guard_(&guard), clock_(clock == nullptr ? system_clock_ms : clock) {}
  token_request_verifier(const key_store& keys, replay_guard& guard, options opts, clock_ms_fn clock = system_clock_ms)
      : keys_(&keys), guard_(&guard), clock_(clock == nullptr ? system_clock_ms : clock), opts_(opts) {}

  /// Verifies the wire form `json` at the verifier's clock.
  [[nodiscard]] result<verified_token_request> verify(std::string_view json) const { return verify(json, clock_()); }

  /// Verifies the wire form `json` at time `now_ms`.
  [[nodiscard]] result<verified_token_request> verify(std::string_view json, std::int64_t now_ms) const {
    verified_token_request out;
    if (error e = verify_into(json, now_ms, out); e.code() != errc::ok) return e;
    return out;
  }

  /// verify() into `out`, which is reused (its strings and capability keep their buffers): for a
  /// server that verifies many requests with one result object per thread. Once `out` has grown,
  /// a request without a capability or with a capability_cache hit allocates nothing. Returns an
  /// error with code errc::ok and `out` set, or the error (`out` then holds no verified request:
  /// read it only after errc::ok).
  [[nodiscard]] error verify_into(std::string_view json, verified_token_request& out) const {
    return verify_into(json, clock_(), out);
  }
  /// verify_into() at time `now_ms`.
  [[nodiscard]] error verify_into(std::string_view json, std::int64_t now_ms, verified_token_request& out) const {
    error e = verify_impl(json, now_ms, out);
    if (e.code() != errc::ok) out = verified_token_request{};  // (nothing of a refused request is left to read)
    return e;
  }

 private:
  [[nodiscard]] error verify_impl(std::string_view json, std::int64_t now_ms, verified_token_request& out) const {
    detail::token_request_wire f;
    // (this thread's last capability body: the same body again is not scanned or hashed again)
    thread_local detail::capability_memo memo;
    thread_local std::uint64_t memo_hash = 0, memo_hash_generation = 0;  // (text_hash of memo.body)
    if (auto e = detail::read_token_request(json, opts_.max_bytes, f, &memo)) return *e;
    // (the guard may start loading what the claim reads: it overlaps the mac check)
    const replay_guard::prepared_claim claim = guard_->prepare(f.key_name, f.nonce);
    const token_key* key = keys_->find(f.key_name);
    if (key == nullptr) {
      error e(errc::unknown_key, no_offset);
      return e.append("no key named ").append_quoted(f.key_name).append(" is known; the mac cannot be checked");
    }
    // mac: over the fields exactly as received. With a cache, a hit for (key, capability text)
    // may hold the HMAC already absorbed over the signed prefix `keyName\nttl\ncapability\n`
    // (stored only after a mac over exactly that prefix, under this key, was verified); only
    // `clientId\ntimestamp\nnonce\n` is hashed then. Every received byte is still covered:
    // the prefix is matched byte for byte (key fingerprint, tag = keyName\nttl, capability text).
    //
    // The capability may have been read as written inside its JSON string (read_token_request: only
    // \" \\ \/ escapes, not decoded); the mac covers its decoded text, made only when needed
    // (no hit with a prefix). The cache is then keyed by the escaped text (text_form::
    // json_escaped): decoding is a function, so equal escaped texts have equal decoded texts
    // and an entry's prefix, stored after a mac over keyName\nttl\n<decoded>\n verified, is
    // the state for every request with the same key, tag and escaped text.
    thread_local std::string decoded_capability;
    bool decoded = false;
    auto signed_capability = [&]() -> std::string_view {
      if (!f.capability_escaped) return f.capability;
      if (!decoded) detail::decode_simple_escaped(f.capability, decoded_capability), decoded = true;
      return decoded_capability;
    };
    const auto form = f.capability_escaped ? capability_cache::text_form::json_escaped
                                           : capability_cache::text_form::decoded;
    auto expected = crypto::base64_decode_digest(f.mac, crypto::base64_alphabet::standard);
    if (!expected)
      return error(errc::mac_mismatch, no_offset,
                   "mac is not the padded standard base64 of 32 bytes (an HMAC-SHA256); Request mac does not match");
    // (parse_decimal accepts no sign, fraction, exponent or leading zero: the digits as received
    // are the decimal text of the value, which is what is signed)
    const std::string_view ttl = f.has_ttl ? f.ttl_text : std::string_view(), ts_text = f.timestamp_text;
    capability_cache* const cache = f.has_capability ? opts_.cache : nullptr;
    // a hit is copied straight into `out` (reused buffers); only a verified request keeps it
    if (f.has_capability && !out.capability) out.capability.emplace();
    bool cached = false, hit_prefix = false;
    // The HMAC: the key's state, then (with a cache) absorbed over the signed prefix or replaced
    // by a hit's state over it, and kept so to be stored with the result. One object, no
    // std::optional (gcc clears an empty optional's storage: a 160-byte block clear each).
    crypto::hmac_sha256 h(key->hmac());
    crypto::sha256_digest digest;
    // the cache entry's prefix tag: keyName\nttl (a key name has at most max_key_name_bytes)
    char tag_buf[max_key_name_bytes + 1 + 20];
    std::string_view tag;
    std::uint64_t text_hash = 0;
    if (cache != nullptr) {
      char* t = std::copy(f.key_name.begin(), f.key_name.end(), tag_buf);
      *t++ = '\n';
      t = std::copy(ttl.begin(), ttl.end(), t);
      tag = std::string_view(tag_buf, static_cast<std::size_t>(t - tag_buf));
      if (!f.capability_memoised) {
        text_hash = capability_cache::text_hash(f.capability);
      } else {
        if (memo_hash_generation != memo.generation)
          memo_hash = capability_cache::text_hash(memo.body), memo_hash_generation = memo.generation;
        text_hash = memo_hash;
      }
      const auto found = cache->find(key->fingerprint(), f.capability, text_hash, tag, *out.capability, out.effective, h, form);
      cached = found != capability_cache::lookup::miss;
      hit_prefix = found == capability_cache::lookup::hit_with_prefix;
      if (hit_prefix) {
        digest = detail::absorb_lines(h, {f.client_id, ts_text, f.nonce}).finish();
      } else {
        detail::absorb_lines(h, {f.key_name, ttl, signed_capability()});
        crypto::hmac_sha256 rest = h;
        digest = detail::absorb_lines(rest, {f.client_id, ts_text, f.nonce}).finish();
      }
    } else {
      digest = detail::absorb_lines(h, {f.key_name, ttl, signed_capability(), f.client_id, ts_text, f.nonce}).finish();
    }
    if (!crypto::equal_constant_time(digest, *expected))
      return error(errc::mac_mismatch, no_offset,
                   "Request mac does not match: the mac is not the HMAC-SHA256 of the signed text under this key");
    // timestamp
    const auto ts = static_cast<std::int64_t>(f.timestamp);
    const std::int64_t skew = ts > now_ms ? ts - now_ms : now_ms - ts;
    if (skew > opts_.window_ms) {
      error e(errc::timestamp_not_current, no_offset);
      e.append("Timestamp not current: timestamp ").append_number(f.timestamp).append(" is ").append_number(
          static_cast<std::uint64_t>(skew));
      e.append(" ms ").append(ts > now_ms ? "ahead of" : "behind").append(" the verifier's clock; at most ");
      return e.append_number(static_cast<std::uint64_t>(opts_.window_ms)).append(" ms allowed");
    }
    // nonce: single use until the timestamp leaves the window
    switch (guard_->claim_prepared(claim, f.key_name, f.nonce, ts + opts_.window_ms, now_ms)) {
      case claim_status::fresh: break;
      case claim_status::replayed:
        return error(errc::nonce_replayed, no_offset,
                     "Nonce value replayed: this keyName and nonce were already used; create a new TokenRequest for "
                     "every token (never cache one)");
      case claim_status::full:
        return error(errc::replay_guard_full, no_offset,
                     "the replay guard is full of unexpired nonces; refused rather than risk a replay (raise its capacity)");
      case claim_status::unavailable:
        return error(errc::store_unavailable, no_offset,
                     "the replay guard's store did not answer; refused rather than risk a replay");
    }
    // ttl
    if (f.has_ttl)
      if (!detail::ttl_allowed(f.ttl, key->revocable())) return detail::check_ttl(f.ttl, key->revocable());
    // capability: from the cache on a hit (already in `out`); absent: the key's own, computed
    // once per key.
    if (!f.has_capability) {
      if (!key->own_capability()) return key->own_capability().error();
      out.effective = *key->own_capability();
      out.capability.reset();
    } else if (cached) {
      if (!hit_prefix)  // (the entry's prefix was for another keyName or ttl: now for this one)
        cache->insert(key->fingerprint(), f.capability, text_hash, *out.capability, out.effective, tag, &h, form);
    } else {
      auto req = capability::parse(signed_capability());
      if (!req) {
        error e(req.error().code(), no_offset);
        return e.append("capability: ").append(req.error().message());
      }
      if (auto same = detail::intersect_identity(key->key_capability(), *req)) {
        out.effective = std::move(*same);
      } else {
        auto eff = intersect(key->key_capability(), *req);
        if (!eff) return eff.error();
        out.effective = std::move(*eff);
      }
      out.capability = req->to_json();
      if (cache != nullptr)
        cache->insert(key->fingerprint(), f.capability, text_hash, *out.capability, out.effective, tag, &h, form);
    }
    out.key_name.assign(f.key_name);
    out.ttl_ms = f.has_ttl ? std::optional<std::uint64_t>(f.ttl) : std::nullopt;
    if (!f.has_client_id) out.client_id.reset();
    else if (out.client_id) out.client_id->assign(f.client_id);
    else out.client_id.emplace(f.client_id);
    out.timestamp_ms = f.timestamp;
    out.nonce.assign(f.nonce);
    return {};
  }

  const key_store* keys_;
  replay_guard* guard_;
  clock_ms_fn clock_;
  options opts_{};
};

CAPMATCH_NAMESPACE_END

#undef CAPMATCH_NONCE_POOL
// ---- end include/capmatch/token_request.hpp ----

// ---- begin include/capmatch/user_claims.hpp ----
// capmatch — user claims: the most specific `ably.channel.<pattern>` claim for a channel
// (SEMANTICS §5 rule 26), compiled with the matcher so that a lookup costs about one check.
// SPDX-License-Identifier: MIT

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>


CAPMATCH_NAMESPACE_BEGIN

/// The prefix of user claim names: "ably.channel.<pattern>".
inline constexpr std::string_view user_claim_prefix = "ably.channel.";

/// One user claim: the channel pattern (the claim name after "ably.channel.") and its value.
struct user_claim {
  std::string pattern;
  std::string value;
};

/// How specific a claim pattern is (rule 26): an exact name beats any wildcard; among
/// wildcards, more literal segments win, then more segments. Greater is more specific.
struct claim_specificity {
  bool exact = false;
  std::uint32_t literal_segments = 0;
  std::uint32_t segments = 0;
  friend constexpr bool operator==(const claim_specificity&, const claim_specificity&) = default;
  friend constexpr bool operator<(const claim_specificity& a, const claim_specificity& b) noexcept {
    if (a.exact != b.exact) return !a.exact;
    if (a.literal_segments != b.literal_segments) return a.literal_segments < b.literal_segments;
    return a.segments < b.segments;
  }
};

/// The specificity of a parsed pattern: "[*]" and every "*" segment count as wildcards.
[[nodiscard]] constexpr claim_specificity specificity_of(const pattern& p) noexcept {
  claim_specificity s;
  bool wild = p.kind == qualifier_kind::any;
  for (std::size_t i = 0;; ) {
    const std::string_view seg = detail::segment_at(p.body, i);
    ++s.segments;
    if (seg == "*") wild = true;
    else ++s.literal_segments;
    if (i + seg.size() >= p.body.size()) break;
    i += seg.size() + 1;
  }
  s.exact = !wild;
  return s;
}

/// What user_claims::compile does when two claims tie for some channel.
enum class claim_ties : std::uint8_t {
  reject,        ///< error ambiguous_user_claim (when issuing a token)
  at_lookup,     ///< accept; a lookup for a channel where they tie is the error (when verifying)
};

/// A set of user claims compiled for lookups. Immutable; any number of threads may look up.
class user_claims {
 public:
  /// Claims per compiled matcher: one operation bit each.
  static constexpr std::size_t chunk = operation_count;

  user_claims() = default;

  /// Compiles `claims`: patterns must be valid capability resources (errc::invalid_claim);
  /// ties (two claims of equal specificity that both match some channel) per `ties`.
  [[nodiscard]] static result<user_claims> compile(std::vector<user_claim> claims,
                                                   claim_ties ties = claim_ties::reject) {
    user_claims out;
    std::vector<std::pair<claim_specificity, std::size_t>> order;
    order.reserve(claims.size());
    for (std::size_t i = 0; i < claims.size(); ++i) {
      const auto p = parse_pattern(claims[i].pattern);
      if (!p) {
        error e(errc::invalid_claim, no_offset);
        e.append("user claim ").append_quoted(claim_name(claims[i].pattern)).append(": ");
        return e.append(p.error().message());
      }
      order.emplace_back(specificity_of(*p), i);
    }
    // Most specific first; equal ones in pattern byte order (deterministic).
    std::sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
      if (!(a.first == b.first)) return b.first < a.first;
      return claims[a.second].pattern < claims[b.second].pattern;
    });
    out.claims_.reserve(claims.size());
    std::vector<claim_specificity> spec;
    for (const auto& [s, i] : order) {
      out.claims_.push_back(std::move(claims[i]));
      spec.push_back(s);
    }
    // Ties: claims of equal specificity whose patterns overlap.
    out.partners_.assign(out.claims_.size(), {});
    std::vector<char> scratch;
    for (std::size_t a = 0; a < out.claims_.size(); ++a) {
      const pattern pa = parse_pattern(out.claims_[a].pattern).value();
      for (std::size_t b = a + 1; b < out.claims_.size() && spec[b] == spec[a]; ++b) {
        const pattern pb = parse_pattern(out.claims_[b].pattern).value();
        scratch.clear();
        if (!capmatch::intersect(pa, pb, scratch)) continue;
        if (ties == claim_ties::reject) {
          error e(errc::ambiguous_user_claim, no_offset);
          e.append("user claims ").append_quoted(claim_name(out.claims_[a].pattern)).append(" and ");
          e.append_quoted(claim_name(out.claims_[b].pattern)).append(" are equally specific and both apply to ");
          return e.append_quoted(std::string_view(scratch.data(), scratch.size()));
        }
        out.partners_[a].push_back(static_cast<std::uint32_t>(b));
        out.partners_[b].push_back(static_cast<std::uint32_t>(a));
      }
    }
    // One matcher per chunk of claims, claim k of a chunk granting operation bit k, so that the
    // lowest bit a check returns is the most specific claim (resolved here, not per lookup).
    // The first chunk also holds a catch-all "[*]*" on the last bit (unless a claim is "[*]*"):
    // a check that returns no bit at all then means an invalid channel name.
    bool catch_all_claim = false;
    for (const auto& c : out.claims_) catch_all_claim = catch_all_claim || c.pattern == "[*]*";
    out.catch_all_ = !catch_all_claim;
    for (std::size_t base = 0; base < out.claims_.size() || base == 0; base += out.chunk_size(base)) {
      capability cap;
      const std::size_t n = std::min(out.chunk_size(base), out.claims_.size() - base);
      chunk_matcher cm;
      for (std::size_t k = 0; k < n; ++k) {
        const std::string_view text = out.claims_[base + k].pattern;
        detail::capability_access::add(cap, text, op_set(static_cast<operation>(k)), 0);
        if (!out.partners_[base + k].empty()) cm.ties |= 1u << k;
      }
      if (base == 0 && out.catch_all_)
        detail::capability_access::add(cap, "[*]*", op_set(static_cast<operation>(chunk - 1)), 0);
      detail::capability_access::sort(cap, true);
      cm.m = matcher(cap);
      out.matchers_.push_back(std::move(cm));
      if (out.claims_.empty()) break;
    }
    return out;
  }

  /// Number of claims.
  [[nodiscard]] std::size_t size() const noexcept { return claims_.size(); }
  [[nodiscard]] bool empty() const noexcept { return claims_.empty(); }
  /// Claim i, most specific first.
  [[nodiscard]] const user_claim& claim(std::size_t i) const noexcept { return claims_[i]; }

  /// The most specific claim that applies to `channel`, or nullptr when none does. Errors: an
  /// invalid channel name (40000), or two equally specific claims that both apply
  /// (ambiguous_user_claim; only with claim_ties::at_lookup). One matcher check for up to 16
  /// claims (17 when one of them is "[*]*"), one more per further 17.
  [[nodiscard]] result<const user_claim*> find(std::string_view channel) const {
    if (matchers_.empty()) return none_for(channel);  // default-constructed
    // The first group (all claims, usually), inline; the others out of line.
    std::uint32_t hits = matchers_.front().m.ops_for(channel).bits() & op_set::op_mask;
    if (catch_all_) {
      if (hits == 0) return parse_name(channel).error();  // only an invalid name misses "[*]*"
      hits &= ~(1u << (chunk - 1));
    }
    if (hits != 0) {
      const auto k = static_cast<std::size_t>(std::countr_zero(hits));
      if ((matchers_.front().ties >> k & 1u) != 0) return tie_at(k, channel);
      return &claims_[k];
    }
    if (matchers_.size() == 1) return catch_all_ ? static_cast<const user_claim*>(nullptr) : none_for(channel);
    return find_after_first(channel);
  }

 private:
  // The full claim name, for messages.
  [[nodiscard]] static std::string claim_name(std::string_view pattern) {
    return std::string(user_claim_prefix).append(pattern);
  }

  // Claims in the chunk starting at claim `base`: 16 in the first (its last bit is the
  // catch-all) unless a claim is "[*]*", 17 in the others.
  [[nodiscard]] std::size_t chunk_size(std::size_t base) const noexcept {
    return base == 0 && catch_all_ ? chunk - 1 : chunk;
  }
  // No claim applies (as far as checked): nullptr for a valid name, else the name's error.
  [[nodiscard]] static result<const user_claim*> none_for(std::string_view channel) {
    if (const auto name = parse_name(channel); !name) return name.error();
    return static_cast<const user_claim*>(nullptr);
  }
  // find() over the groups after the first, which matched nothing.
  [[nodiscard]] result<const user_claim*> find_after_first(std::string_view channel) const {
    std::size_t base = chunk_size(0);
    for (std::size_t c = 1; c < matchers_.size(); base += chunk_size(base), ++c) {
      const std::uint32_t hits = matchers_[c].m.ops_for(channel).bits() & op_set::op_mask;
      if (hits == 0) continue;
      const auto k = static_cast<std::size_t>(std::countr_zero(hits));
      if ((matchers_[c].ties >> k & 1u) != 0) return tie_at(base + k, channel);
      return &claims_[base + k];
    }
    if (catch_all_) return static_cast<const user_claim*>(nullptr);
    return none_for(channel);
  }
  // Claim i applies to `channel`: the error naming the claim it ties with there, or claim i.
  [[nodiscard]] result<const user_claim*> tie_at(std::size_t i, std::string_view channel) const {
    const auto name = parse_name(channel);
    for (const std::uint32_t j : partners_[i]) {
      if (!matches(parse_pattern(claims_[j].pattern).value(), *name)) continue;
      error e(errc::ambiguous_user_claim, no_offset);
      e.append("user claims ").append_quoted(claim_name(claims_[std::min<std::size_t>(i, j)].pattern)).append(" and ");
      e.append_quoted(claim_name(claims_[std::max<std::size_t>(i, j)].pattern));
      return e.append(" are equally specific and both apply to ").append_quoted(channel);
    }
    return &claims_[i];
  }

  struct chunk_matcher {
    matcher m;
    std::uint32_t ties = 0;  // bit k: claim k of the chunk ties with another claim somewhere
  };
  std::vector<user_claim> claims_;                    // most specific first
  std::vector<std::vector<std::uint32_t>> partners_;  // per claim: the claims it ties with
  std::vector<chunk_matcher> matchers_;               // claims in chunks of chunk_size()
  bool catch_all_ = true;                             // the first chunk's last bit is "[*]*"
};

CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/user_claims.hpp ----

// ---- begin include/capmatch/jwt.hpp ----
// capmatch — Ably JWTs: issue and verify HS256 tokens with Ably's claims (SEMANTICS §5 rules 24–26).
// Design, limits and what is and is not checked: docs/jwt.md.
// SPDX-License-Identifier: MIT

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
// ---- end include/capmatch/jwt.hpp ----
