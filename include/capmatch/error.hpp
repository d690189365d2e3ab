// capmatch — errors and result<T>.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string_view>
#include <type_traits>
#include <utility>

#include "detail/fixed_text.hpp"
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
