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

// ---- begin include/capmatch/error.hpp ----
// capmatch — errors and result<T>.
// SPDX-License-Identifier: MIT

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
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
  capability_denied,
  empty_intersection,
};

/// The Ably numeric error code of `e` (40000 invalid request, 40160 capability denied).
[[nodiscard]] constexpr std::uint32_t ably_code(errc e) noexcept {
  switch (e) {
    case errc::ok: return 0;
    case errc::capability_denied:
    case errc::empty_intersection: return 40160;
    default: return 40000;
  }
}

/// The HTTP status that accompanies `e` (400 or 401).
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
//   shorter pattern; its result is bounded like a parsed capability.
// - the compiled matcher (matcher.hpp) bounds its automaton by matcher_dfa_growth and
//   matcher_dfa_slack and otherwise falls back to walking the pattern trie.

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

CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/limits.hpp ----

// ---- begin include/capmatch/operation.hpp ----
// capmatch — the 17 operations and op_set.
// SPDX-License-Identifier: MIT

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>


CAPMATCH_NAMESPACE_BEGIN

/// The operations a capability can grant (SEMANTICS §1.2). The enumerators are in
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

/// True for operations that are app-wide rather than per resource (SEMANTICS §12).
[[nodiscard]] constexpr bool is_app_wide(operation op) noexcept {
  return op == operation::stats || op == operation::push_admin;
}

namespace detail {
/// Levenshtein distance, capped: returns > limit as limit + 1.
[[nodiscard]] constexpr std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit) {
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

/// The "unknown operation" error, with the most likely intended operation when there is one.
[[nodiscard]] constexpr error unknown_operation_error(std::string_view op, std::uint32_t at) {
  error e(errc::unknown_operation, at);
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
      return e.append_quoted(name).append('?');
    }
  }
  std::string_view best;
  std::size_t best_d = 3;
  for (std::string_view name : operation_names) {
    const std::size_t d = edit_distance(f, name, 2);
    if (d < best_d) best_d = d, best = name;
  }
  if (!best.empty()) return e.append("; did you mean ").append_quoted(best).append('?');
  return e.append("; expected an operation such as 'subscribe' or 'publish', or '*' for all");
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
/// names all 17, because canonical text keeps ["*"] as ["*"] (SEMANTICS §1.5).
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
  /// Intersection (SEMANTICS §15): ["*"] ∩ X = X, ["*"] ∩ ["*"] = ["*"].
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

// ---- begin include/capmatch/resource.hpp ----
// capmatch — resource names, patterns, matching and pattern intersection (SEMANTICS §2, §15).
// SPDX-License-Identifier: MIT

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>


CAPMATCH_NAMESPACE_BEGIN

/// How a name or pattern is qualified: not at all, "[*]" (patterns only: any qualifier
/// or none), or with a named qualifier such as "[queue]" or "[meta]".
enum class qualifier_kind : std::uint8_t { none, any, named };

/// A parsed resource name, e.g. "[meta]log" or "chat:room:7". A view: it points into
/// the text it was parsed from. Valid names have a non-empty body, no empty segment,
/// and no U+0000. `=value` and `?params` in the qualifier are dropped (SEMANTICS §6).
struct resource_name {
  bool qualified = false;
  std::string_view qualifier;  // without brackets and params; empty when !qualified
  std::string_view body;       // the part after the qualifier, segments joined by ':'
};

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
    return kind != qualifier_kind::named && body == "*";
  }
};

namespace detail {

struct split_result {
  qualifier_kind kind = qualifier_kind::none;
  std::string_view qualifier;
  std::string_view body;
};

/// Splits "[q=v?p]body" into its parts, shared by names and patterns. `what` is "resource"
/// or "resource name" for messages; `base` is the byte offset of `text` in the document.
[[nodiscard]] constexpr result<split_result> split_qualifier(std::string_view text, std::string_view what,
                                                             std::uint32_t base) noexcept {
  auto fail = [&](errc code, std::string_view tail) {
    error e(code, base);
    e.append(what).append(' ').append_quoted(text).append_at().append(tail);
    return e;
  };
  if (text.empty()) {
    error e(errc::empty_resource, base);
    return e.append("empty ").append(what).append_at();
  }
  for (char c : text)
    if (c == '\0') return fail(errc::invalid_resource, " contains U+0000");
  split_result out;
  if (text.front() != '[') {
    out.body = text;
    return out;
  }
  const auto close = text.find(']');
  if (close == std::string_view::npos) return fail(errc::invalid_resource, " has '[' without a closing ']'");
  const std::string_view inside = text.substr(1, close - 1);
  if (inside.find('[') != std::string_view::npos)
    return fail(errc::invalid_resource, " has '[' inside its qualifier");
  out.body = text.substr(close + 1);
  const auto params = inside.find_first_of("=?");
  const std::string_view qname = inside.substr(0, params);
  if (qname.empty()) {
    // "[?rewind=1]chan" is the unqualified channel "chan" (SEMANTICS §6).
    if (params == std::string_view::npos || inside[params] != '?')
      return fail(errc::invalid_resource, " has an empty qualifier; write [queue], [meta], [*] or no brackets");
    out.kind = qualifier_kind::none;
  } else {
    out.kind = qname == "*" ? qualifier_kind::any : qualifier_kind::named;
    if (out.kind == qualifier_kind::named) out.qualifier = qname;
  }
  if (out.body.empty())
    return fail(errc::empty_resource, what == "resource"
                                          ? " has a qualifier but no channel name after it; follow it with '*' for every such channel"
                                          : " has a qualifier but no channel name after it");
  if (out.body.front() == '[') return fail(errc::invalid_resource, " has more than one qualifier");
  return out;
}

/// The segment of `s` starting at `pos`, up to the next ':' or the end.
[[nodiscard]] constexpr std::string_view segment_at(std::string_view s, std::size_t pos) noexcept {
  const auto end = s.find(':', pos);
  return s.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
}

}  // namespace detail

namespace detail {
/// The number of ':'-separated segments in `body`, counting no further than max_segments + 1;
/// `*beyond` gets the index of the ':' that starts segment max_segments + 1.
[[nodiscard]] constexpr std::size_t count_segments(std::string_view body, std::size_t* beyond) noexcept {
  std::size_t n = 1;
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] != ':') continue;
    if (++n > max_segments) {
      *beyond = i;
      return n;
    }
  }
  return n;
}
}  // namespace detail

/// Parses a capability resource into a pattern. `base` offsets error positions: every error
/// about a pattern points at `base` (in a document, the resource's opening quote).
/// Limits: max_resource_bytes, max_segments (errc::limit_exceeded).
[[nodiscard]] constexpr result<pattern> parse_pattern(std::string_view text, std::uint32_t base = 0) noexcept {
  if (text.size() > max_resource_bytes) {
    error e(errc::limit_exceeded, base);
    e.append("resource of ").append_number(text.size()).append(" bytes").append_at();
    return e.append(" exceeds the limit of ").append_number(max_resource_bytes).append(" bytes (capmatch::max_resource_bytes)");
  }
  auto split = detail::split_qualifier(text, "resource", base);
  if (!split) return split.error();
  std::size_t beyond = 0;
  if (detail::count_segments(split->body, &beyond) > max_segments) {
    error e(errc::limit_exceeded, base);
    e.append("resource ").append_quoted(text).append(" has more than ").append_number(max_segments);
    return e.append(" segments").append_at().append(" (capmatch::max_segments)");
  }
  return pattern{split->kind, split->qualifier, split->body};
}

/// Parses a resource name to check (channel, queue or metachannel name). Error offsets are
/// byte offsets in `text`. Limits: max_resource_bytes, max_segments (errc::limit_exceeded).
[[nodiscard]] constexpr result<resource_name> parse_name(std::string_view text) noexcept {
  if (text.size() > max_resource_bytes) {
    error e(errc::limit_exceeded, static_cast<std::uint32_t>(max_resource_bytes));
    e.append("resource name of ").append_number(text.size()).append(" bytes exceeds the limit of ");
    return e.append_number(max_resource_bytes).append(" bytes (capmatch::max_resource_bytes)");
  }
  auto split = detail::split_qualifier(text, "resource name", 0);
  if (!split) return split.error();
  if (split->kind == qualifier_kind::any) {
    error e(errc::invalid_resource, 0);
    return e.append("resource name ").append_quoted(text).append_at().append(
        " cannot use the [*] qualifier; [*] is for capability patterns");
  }
  const std::string_view body = split->body;
  const auto body_at = static_cast<std::uint32_t>(text.size() - body.size());
  for (std::size_t i = 0; i <= body.size(); ++i) {
    const bool boundary = i == body.size() || body[i] == ':';
    const bool starts_segment = i == 0 || body[i - 1] == ':';
    if (boundary && starts_segment) {
      error e(errc::invalid_resource, body_at + static_cast<std::uint32_t>(i));
      return e.append("resource name ").append_quoted(text).append(" has an empty segment").append_at();
    }
  }
  std::size_t beyond = 0;
  if (detail::count_segments(body, &beyond) > max_segments) {
    error e(errc::limit_exceeded, body_at + static_cast<std::uint32_t>(beyond));
    e.append("resource name ").append_quoted(text).append(" has more than ").append_number(max_segments);
    return e.append(" segments").append_at().append(" (capmatch::max_segments)");
  }
  return resource_name{split->kind == qualifier_kind::named, split->qualifier, body};
}

/// True when pattern `p` matches name `n` (SEMANTICS §8–10).
[[nodiscard]] constexpr bool matches(const pattern& p, const resource_name& n) noexcept {
  if (p.kind == qualifier_kind::none ? n.qualified
      : p.kind == qualifier_kind::named ? (!n.qualified || n.qualifier != p.qualifier)
                                         : false)
    return false;
  std::size_t i = 0, j = 0;
  for (;;) {
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

/// Exact set intersection of two patterns (SEMANTICS §15): appends the text of the one
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
// ---- end include/capmatch/resource.hpp ----

// ---- begin include/capmatch/json.hpp ----
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

/// The first index from `pos` of a byte that a JSON string reader or writer must look at:
/// '"', '\\', U+0000..U+001F or a non-ASCII byte; s.size() if none. At run time eight bytes at
/// a time: each test flags exactly the bytes it names (no borrow crosses a byte).
[[nodiscard]] constexpr std::size_t plain_ascii_end(std::string_view s, std::size_t pos) noexcept {
  if (!std::is_constant_evaluated() && std::endian::native == std::endian::little) {
    constexpr std::uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull, low7 = ~high;
    auto zero = [&](std::uint64_t v) { return ~(((v & low7) + low7) | v | low7); };  // 0x80 where v's byte is 0
    for (; pos + 8 <= s.size(); pos += 8) {
      std::uint64_t w;
      std::memcpy(&w, s.data() + pos, 8);
      const std::uint64_t control_or_high = (~((w & low7) + (0x80 - 0x20) * ones) | w) & high;  // < 0x20 or >= 0x80
      const std::uint64_t flags = zero(w ^ ('"' * ones)) | zero(w ^ ('\\' * ones)) | control_or_high;
      if (flags != 0) return pos + static_cast<std::size_t>(std::countr_zero(flags) >> 3);
    }
  }
  for (; pos < s.size(); ++pos) {
    const auto c = static_cast<unsigned char>(s[pos]);
    if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) return pos;
  }
  return pos;
}

/// A cursor over JSON text (RFC 8259) with the few reads a capability needs. Every
/// failure becomes an error with the byte offset and stops the read; nothing is skipped.
class json_reader {
 public:
  constexpr explicit json_reader(std::string_view in) noexcept : in_(in) {}

  [[nodiscard]] constexpr std::size_t pos() const noexcept { return pos_; }
  [[nodiscard]] constexpr bool at_end() const noexcept { return pos_ >= in_.size(); }
  [[nodiscard]] constexpr char peek() const noexcept { return at_end() ? '\0' : in_[pos_]; }

  constexpr void skip_ws() noexcept {
    while (pos_ < in_.size()) {
      const char c = in_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
      ++pos_;
    }
  }

  /// Consumes `c` after whitespace, or fails naming what was expected.
  [[nodiscard]] constexpr bool expect(char c, std::string_view expected, error& err) noexcept {
    skip_ws();
    if (peek() == c && !at_end()) return ++pos_, true;
    err = unexpected(expected);
    return false;
  }

  /// An error for whatever stands at the cursor, saying what was expected there.
  [[nodiscard]] constexpr error unexpected(std::string_view expected) const noexcept {
    error e(errc::invalid_json, static_cast<std::uint32_t>(pos_));
    if (at_end()) {
      e.append("unexpected end of input").append_at();
    } else {
      const auto c = static_cast<unsigned char>(in_[pos_]);
      if (c >= 0x20 && c < 0x7F) {
        e.append("unexpected character ").append_quoted(in_.substr(pos_, 1)).append_at();
      } else {
        constexpr char hex[] = "0123456789ABCDEF";
        e.append("unexpected byte 0x").append(hex[c >> 4]).append(hex[c & 15]).append_at();
      }
    }
    return e.append("; expected ").append(expected);
  }

  /// What kind of JSON value starts at the cursor ("a number", "an object", ...), for messages.
  [[nodiscard]] constexpr std::string_view value_kind() const noexcept {
    switch (peek()) {
      case '"': return "a string";
      case '{': return "an object";
      case '[': return "an array";
      case 't':
      case 'f': return "a boolean";
      case 'n': return "null";
      case '-':
      case '0': case '1': case '2': case '3': case '4':
      case '5': case '6': case '7': case '8': case '9': return "a number";
      default: return {};
    }
  }

  /// Reads a string at the cursor (after whitespace), appending its decoded UTF-8 to `out`.
  [[nodiscard]] constexpr bool read_string(std::vector<char>& out, error& err) {
    skip_ws();
    if (peek() != '"' || at_end()) return err = unexpected("a string"), false;
    const std::size_t start = pos_++;
    for (;;) {
      // Fast path: copy the run of plain ASCII up to the next byte that needs a look.
      const std::size_t run = plain_ascii_end(in_, pos_);
      out.insert(out.end(), in_.begin() + static_cast<std::ptrdiff_t>(pos_),
                 in_.begin() + static_cast<std::ptrdiff_t>(run));
      pos_ = run;
      if (at_end()) {
        error e(errc::invalid_json, static_cast<std::uint32_t>(start));
        return err = e.append("unterminated string starting").append_at(), false;
      }
      const auto c = static_cast<unsigned char>(in_[pos_]);
      if (c == '"') return ++pos_, true;
      if (c == '\\') {
        if (!read_escape(out, err)) return false;
      } else if (c < 0x20) {
        constexpr char hex[] = "0123456789ABCDEF";
        error e(errc::control_character, static_cast<std::uint32_t>(pos_));
        e.append("control character U+00").append(hex[c >> 4]).append(hex[c & 15]);
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
      error e(errc::invalid_json, static_cast<std::uint32_t>(at));
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
        error e(errc::invalid_escape, static_cast<std::uint32_t>(at));
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
      error e(errc::invalid_escape, static_cast<std::uint32_t>(where));
      return e.append("invalid \\u escape").append_at().append("; expected four hex digits");
    };
    const int hi = hex4(pos_ + 2);
    if (hi < 0) return err = bad_u(at), false;
    pos_ += 6;
    std::uint32_t cp = static_cast<std::uint32_t>(hi);
    auto lone = [&](std::size_t where) {
      error e(errc::lone_surrogate, static_cast<std::uint32_t>(where));
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

  /// Validates and copies one multi-byte UTF-8 sequence (RFC 3629: no overlongs, no
  /// surrogates, nothing above U+10FFFF).
  [[nodiscard]] constexpr bool read_utf8(std::vector<char>& out, error& err) {
    const std::size_t at = pos_;
    auto byte = [&](std::size_t i) -> unsigned {
      return i < in_.size() ? static_cast<unsigned char>(in_[i]) : 0u;
    };
    const unsigned b0 = byte(at);
    std::size_t len = 0;
    unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (b0 >= 0xC2 && b0 <= 0xDF) len = 2;
    else if (b0 == 0xE0) len = 3, lo = 0xA0;
    else if (b0 >= 0xE1 && b0 <= 0xEC) len = 3;
    else if (b0 == 0xED) len = 3, hi = 0x9F;
    else if (b0 >= 0xEE && b0 <= 0xEF) len = 3;
    else if (b0 == 0xF0) len = 4, lo = 0x90;
    else if (b0 >= 0xF1 && b0 <= 0xF3) len = 4;
    else if (b0 == 0xF4) len = 4, hi = 0x8F;
    bool ok = len != 0 && at + len <= in_.size();
    for (std::size_t i = 1; ok && i < len; ++i) {
      const unsigned b = byte(at + i);
      ok = i == 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
    }
    if (!ok) {
      error e(errc::invalid_utf8, static_cast<std::uint32_t>(at));
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
/// requires (SEMANTICS §1.5): '"', '\\' and U+0000..U+001F (as \b \f \n \r \t or \u00XX).
/// Returns the end of what was written.
constexpr char* write_json_string(std::string_view s, char* p) noexcept {
  constexpr char hex[] = "0123456789abcdef";
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
          *p++ = hex[c >> 4], *p++ = hex[c & 15];
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
// ---- end include/capmatch/json.hpp ----

// ---- begin include/capmatch/capability.hpp ----
// capmatch — capabilities: parse and validate (SEMANTICS §1), canonical text, checks (§3).
// SPDX-License-Identifier: MIT

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
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

  /// Union of the operations of every pattern that matches `name` (SEMANTICS §11).
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
  /// allowed on a resource: check them with allows_app_wide (SEMANTICS §12).
  [[nodiscard]] constexpr bool allows(const resource_name& name, operation op) const noexcept {
    return !is_app_wide(op) && ops_for(name).contains(op);
  }
  [[nodiscard]] constexpr bool allows(std::string_view name, operation op) const noexcept {
    const auto parsed = parse_name(name);
    return parsed && allows(*parsed, op);
  }
  /// True when `op` is granted app-wide: on "*" or "[*]*" (SEMANTICS §12). This is the check
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

  /// Appends the canonical JSON text (SEMANTICS §1.5) to `out`.
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
    entry e;
    e.offset = static_cast<std::uint32_t>(text_.size());
    e.size = static_cast<std::uint32_t>(res.size());
    e.kind = p.kind;
    e.body_skip = static_cast<std::uint32_t>(res.size() - p.body.size());
    if (p.kind == qualifier_kind::named) {
      e.qualifier_offset = e.offset + 1;  // "[q..." : the name starts after '['
      e.qualifier_size = static_cast<std::uint32_t>(p.qualifier.size());
    }
    e.source_offset = source_offset;
    e.ops = ops;
    text_.insert(text_.end(), res.begin(), res.end());
    entries_.push_back(e);
  }

  // Sorts into canonical order. With merge, equal resources unite their ops; without,
  // the first equal pair is returned as an index (the later of the two in the source).
  constexpr std::size_t sort_entries(bool merge) {
    // Sorted as small keys, then the entries permuted once. Most comparisons are decided by
    // the first 16 bytes, compared as two numbers (big-endian, a shorter resource zero-padded:
    // no resource holds U+0000, so this orders like the bytes); ties compare the rest.
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

  // Drops resource text no entry refers to any more (after a merging sort).
  constexpr void compact_text() {
    std::vector<char> text;
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
  /// Canonical order; returns the index of a duplicate resource, or size() if none.
  static constexpr std::size_t sort(capability& c, bool merge) { return c.sort_entries(merge); }
  /// Releases the text of entries a merging sort removed.
  static constexpr void compact(capability& c) { c.compact_text(); }
};

}  // namespace detail

constexpr result<capability> capability::parse(std::string_view json) {
  if (json.size() > max_document_bytes) {
    error e(errc::limit_exceeded, static_cast<std::uint32_t>(max_document_bytes));
    return e.append("capability document of ").append_number(json.size()).append(" bytes exceeds the limit of ")
        .append_number(max_document_bytes).append(" bytes (capmatch::max_document_bytes)");
  }
  if (json.size() >= 3 && json[0] == '\xEF' && json[1] == '\xBB' && json[2] == '\xBF')
    return error(errc::byte_order_mark, 0, "byte order mark at byte 0; capability JSON must start with '{'");
  detail::json_reader r(json);
  r.skip_ws();
  if (r.at_end())
    return error(errc::empty_input, 0, "empty input; a capability is a JSON object such as {\"channel\":[\"subscribe\"]}");
  if (r.peek() != '{') {
    const auto kind = r.value_kind();
    if (kind.empty()) return r.unexpected("a JSON object");
    error e(errc::not_an_object, static_cast<std::uint32_t>(r.pos()));
    return e.append("a capability must be a JSON object, found ").append(kind).append_at();
  }
  error err;
  (void)r.expect('{', "'{'", err);
  capability cap;
  std::vector<char> key, op;
  r.skip_ws();
  if (r.peek() == '}') {
    (void)r.expect('}', "'}'", err);
  } else {
    for (;;) {
      r.skip_ws();
      const auto key_at = static_cast<std::uint32_t>(r.pos());
      if (cap.size() == max_resources) {
        error e(errc::limit_exceeded, key_at);
        e.append("capability lists more than ").append_number(max_resources).append(" resources").append_at();
        return e.append(" (capmatch::max_resources)");
      }
      key.clear();
      if (!r.read_string(key, err)) return err;
      const std::string_view res(key.data(), key.size());
      auto pat = parse_pattern(res, key_at);
      if (!pat) return pat.error();
      if (!r.expect(':', "':' after the resource name", err)) return err;
      r.skip_ws();
      if (r.peek() != '[' || r.at_end()) {
        const auto kind = r.value_kind();
        if (kind.empty()) return r.unexpected("an array of operations");
        error e(errc::operations_not_array, static_cast<std::uint32_t>(r.pos()));
        e.append("operations for resource ").append_quoted(res).append(" must be an array of strings, found ");
        return e.append(kind).append_at();
      }
      const auto list_at = static_cast<std::uint32_t>(r.pos());
      (void)r.expect('[', "'['", err);
      r.skip_ws();
      if (r.peek() == ']') {
        error e(errc::empty_operations, list_at);
        e.append("empty operation list for resource ").append_quoted(res).append_at();
        return e.append("; list at least one operation, or \"*\" for all");
      }
      op_set ops;
      for (;;) {
        r.skip_ws();
        const auto op_at = static_cast<std::uint32_t>(r.pos());
        if (r.peek() != '"' || r.at_end()) {
          const auto kind = r.value_kind();
          if (kind.empty()) return r.unexpected("an operation name string");
          error e(errc::operation_not_string, op_at);
          e.append("operations for resource ").append_quoted(res).append(" must be strings, found ");
          return e.append(kind).append_at();
        }
        op.clear();
        if (!r.read_string(op, err)) return err;
        const std::string_view name(op.data(), op.size());
        if (name == "*" || ops.is_all()) {
          if (!ops.empty()) {
            error e(errc::wildcard_not_alone, op_at);
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
          error e(errc::duplicate_operation, op_at);
          e.append("operation ").append_quoted(name).append(" listed twice for resource ").append_quoted(res);
          return e.append_at();
        } else {
          ops.insert(*o);
        }
        r.skip_ws();
        if (r.peek() == ']' && !r.at_end()) {
          (void)r.expect(']', "']'", err);
          break;
        }
        if (!r.expect(',', "',' or ']'", err)) return err;
      }
      detail::capability_access::add(cap, res, *pat, ops, key_at);
      r.skip_ws();
      if (r.peek() == '}' && !r.at_end()) {
        (void)r.expect('}', "'}'", err);
        break;
      }
      if (!r.expect(',', "',' or '}'", err)) return err;
    }
  }
  r.skip_ws();
  if (!r.at_end()) {
    error e(errc::trailing_characters, static_cast<std::uint32_t>(r.pos()));
    return e.append("trailing characters after the capability").append_at();
  }
  const std::size_t dup = detail::capability_access::sort(cap, false);
  if (dup != cap.size()) {
    const auto at = cap.source_offset(dup);
    error e(errc::duplicate_resource, at);
    e.append("resource ").append_quoted(cap.resource(dup)).append(" listed twice").append_at();
    return e.append(" (first at byte ").append_number(cap.source_offset(dup - 1)).append(')');
  }
  return cap;
}

CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/capability.hpp ----

// ---- begin include/capmatch/intersect.hpp ----
// capmatch — effective token capability = key ∩ request (SEMANTICS §4).
// SPDX-License-Identifier: MIT

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>


CAPMATCH_NAMESPACE_BEGIN

namespace detail {
[[nodiscard]] constexpr error empty_intersection_error() noexcept {
  return error(errc::empty_intersection, no_offset, "Key does not support requested capabilities");
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

/// The effective capability of a token whose key has capability `key` and whose request
/// asked for `request`: for every pair of entries whose patterns and operations overlap,
/// their exact intersection; equal resources merged. An empty result is error 40160/401
/// "Key does not support requested capabilities". Resources in the result are written in
/// normal form (qualifier params dropped). Limits (errc::limit_exceeded, 40000):
/// key.size() * request.size() <= max_intersection_pairs; the result has at most
/// max_resources resources of at most max_resource_bytes each (a pair whose intersection is
/// longer matches no valid name and is left out; a "[*]" one that still could is an error).
///
namespace detail {
/// The two limit errors of intersect (shared with the tests' pairwise reference).
[[nodiscard]] constexpr error too_many_pairs(std::size_t keys, std::size_t requested) noexcept {
  error e(errc::limit_exceeded, no_offset);
  e.append("intersecting ").append_number(keys).append(" key resources with ").append_number(requested);
  e.append(" requested resources exceeds the limit of ").append_number(max_intersection_pairs);
  return e.append(" pairs (capmatch::max_intersection_pairs)");
}
[[nodiscard]] constexpr error too_many_results() noexcept {
  error e(errc::limit_exceeded, no_offset);
  e.append("the intersection has more than ").append_number(max_resources);
  return e.append(" resources (capmatch::max_resources)");
}
}  // namespace detail

/// Pairs are visited in the order of the pairwise definition (key-major), but each key
/// pattern meets only the requested patterns with a compatible first segment (found through
/// detail::request_index): time is linear in the inputs plus the candidate pairs.
[[nodiscard]] constexpr result<capability> intersect(const capability& key, const capability& request) {
  if (key.size() != 0 && request.size() > max_intersection_pairs / key.size())
    return detail::too_many_pairs(key.size(), request.size());
  const detail::request_index index(request);
  const auto& star_first = index.star_first;
  capability out;
  std::vector<char> text;
  std::vector<std::uint32_t> candidates;  // request indices, increasing
  for (std::size_t i = 0; i < key.size(); ++i) {
    const pattern kpat = key.pattern_at(i);
    const std::string_view first = detail::request_index::first_segment(kpat.body);
    candidates.clear();
    if (first == "*" || index.degenerate) {
      for (std::size_t j = 0; j < request.size(); ++j)
        if (!index.facts[j].nothing) candidates.push_back(static_cast<std::uint32_t>(j));
    } else {
      // Merge the bucket of `first` with the "*"-first patterns (both increasing).
      std::uint32_t a = index.head(first);
      std::size_t b = 0;
      while (a != detail::request_index::none || b != star_first.size()) {
        if (b == star_first.size() || (a != detail::request_index::none && a < star_first[b])) {
          candidates.push_back(a);
          a = index.next[a];
        } else {
          candidates.push_back(star_first[b++]);
        }
      }
    }
    if (candidates.empty()) continue;
    const detail::pattern_facts kp(kpat);
    for (const std::uint32_t j : candidates) {
      const op_set ops = key.ops(i) & request.ops(j);
      if (ops.empty()) continue;
      const detail::pattern_facts& rp = index.facts[j];
      text.clear();
      if (!detail::intersect(kp, rp, text)) continue;
      if (text.size() > max_resource_bytes) {
        // A pattern matches only names at least as long as its text (its body, for "[*]"), and
        // no valid name is longer than max_resource_bytes: such a pair grants nothing checkable.
        const bool any = text.size() >= 3 && text[0] == '[' && text[1] == '*' && text[2] == ']';
        if (!any || text.size() - 3 > max_resource_bytes) continue;
        error e(errc::limit_exceeded, no_offset);
        e.append("the intersection of ").append_quoted(key.resource(i)).append(" and ").append_quoted(request.resource(j));
        e.append(" is a resource of ").append_number(text.size()).append(" bytes, more than the limit of ");
        return e.append_number(max_resource_bytes).append(" bytes (capmatch::max_resource_bytes)");
      }
      // The text is "[q]body", "[*]body" or "body" with the qualifier of whichever side is not
      // "[*]" (detail::intersect): its pattern is known without parsing it again.
      const pattern& q = kp.p.kind == qualifier_kind::any ? rp.p : kp.p;
      const std::size_t prefix =
          q.kind == qualifier_kind::any ? 3 : q.kind == qualifier_kind::named ? q.qualifier.size() + 2 : 0;
      const std::string_view res(text.data(), text.size());
      detail::capability_access::add(out, res, pattern{q.kind, q.qualifier, res.substr(prefix)}, ops, 0);
      // Merge duplicates as we go so that memory stays bounded by the result limit.
      if (out.size() >= 2 * max_resources) {
        detail::capability_access::sort(out, true);
        detail::capability_access::compact(out);
        if (out.size() > max_resources) return detail::too_many_results();
      }
    }
  }
  detail::capability_access::sort(out, true);
  detail::capability_access::compact(out);
  if (out.size() > max_resources) return detail::too_many_results();
  if (out.empty()) return detail::empty_intersection_error();
  return out;
}

/// The effective capability when no capability was requested: the key's own (SEMANTICS §14).
/// A key that grants nothing gives error 40160 like any empty result.
[[nodiscard]] constexpr result<capability> intersect(const capability& key) {
  if (key.empty()) return detail::empty_intersection_error();
  return key;
}

CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/intersect.hpp ----

// ---- begin include/capmatch/explain.hpp ----
// capmatch — explain a check: which patterns granted, or why it was denied (SEMANTICS §13).
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
  error e;
  e.append_quoted(v);
  return std::string(e.message());
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

// ---- begin include/capmatch/matcher.hpp ----
// capmatch — the compiled matcher: capability::ops_for in one pass over the name (SEMANTICS §2–3).
// SPDX-License-Identifier: MIT
//
// A matcher is compiled once from a capability and answers exactly what capability::ops_for
// and capability::allows answer. A check reads the name once, allocates nothing and does work
// independent of the number of patterns: the patterns' segment trie is determinised into a
// segment-level automaton whose transitions live in one flat open-addressing table keyed by
// (state, segment). Design, bounds and costs: docs/matcher.md.

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#include <emmintrin.h>
#define CAPMATCH_DETAIL_SSE2 1
#else
#define CAPMATCH_DETAIL_SSE2 0
#endif


CAPMATCH_NAMESPACE_BEGIN

/// The automaton bound. Determinising the pattern trie can blow up on adversarial capabilities
/// (many `*:*:x` patterns, many qualifiers beside `[*]` patterns). The matcher keeps the
/// deterministic automaton only while the work of building it — states, transitions, and the
/// trie nodes and edges those stand for — stays within
/// `matcher_dfa_growth` × (trie nodes + trie edges) + `matcher_dfa_slack`; beyond that it
/// answers by walking the trie itself (same answers, no allocation, work bounded by the trie).
/// Either way, build time and memory are linear in the capability's size.
inline constexpr std::size_t matcher_dfa_growth = 4;
inline constexpr std::size_t matcher_dfa_slack = 1024;

/// How a matcher is compiled: `automatic` determinises within the bound above;
/// `trie_walk` always uses the fallback (for tests and for comparing the two).
enum class matcher_mode : std::uint8_t { automatic, trie_walk };

namespace detail::cm {

using u8 = std::uint8_t;
using u32 = std::uint32_t;
using u64 = std::uint64_t;

inline constexpr u32 no_state = 0xFFFFFFFFu;  // empty slot marker in the edge tables
inline constexpr u32 dead = 0;                // the state (or trie node) that matches nothing more
inline constexpr u32 qualifier_state = 1;     // pseudo-state: transitions on the qualifier name
inline constexpr u32 star_child_flag = 0x80000000u;
// A run state (DFA only) keeps the length of its run in the high bits of `term`; op bits
// stay below bit 18 (op_set::from_bits drops the rest).
inline constexpr unsigned run_shift = 20;
static_assert(max_resource_bytes < (std::size_t{1} << (32 - run_shift)));

// The tables refer to state i as ref(i) = i * ref_mul (mod 2^32), a bijection: the reference
// is already a well-spread hash of the state, so the slot of (state, segment) is one xor and
// one multiply away from the transition that led there (the check's critical path).
inline constexpr u32 ref_mul = 0x9E3779B1u;
[[nodiscard]] constexpr u32 ref_inverse() noexcept {
  u32 x = ref_mul;  // Newton's iteration for the inverse modulo 2^32
  for (int i = 0; i < 5; ++i) x *= 2u - ref_mul * x;
  return x;
}
inline constexpr u32 ref_inv = ref_inverse();
static_assert(ref_mul * ref_inv == 1u);
[[nodiscard]] constexpr u32 ref(u32 index) noexcept { return index * ref_mul; }
[[nodiscard]] constexpr u32 index_of(u32 r) noexcept { return r * ref_inv; }
inline constexpr u64 k_mul = 0x9E3779B97F4A7C15ull;
inline constexpr u64 k_state = 0xC2B2AE3D27D4EB4Full;
inline constexpr u64 k_long = 0x165667B19E3779F9ull;
inline constexpr u64 ones = 0x0101010101010101ull;
inline constexpr u64 high_bits = 0x8080808080808080ull;
inline constexpr u64 low7 = 0x7F7F7F7F7F7F7F7Full;

/// One automaton state (or, in trie-walk mode, one trie node). 16 bytes.
/// A *run state* (DFA only; `term >> run_shift` is its run's length, not 0) has no default
/// transition and one way on: the literal segments of its run, `a:b:c`, whose bytes are at
/// `pool + aux`; `next` is the state after them. See docs/matcher.md, "Runs".
struct state_rec {
  u32 next = dead;  ///< DFA: default transition (the middle `*`), or a run's end; trie: the `*` child
  u32 trail = 0;    ///< op bits granted when one or more further segments follow (trailing `*`)
  u32 term = 0;     ///< op bits granted when the name ends here; a run state: | run length << run_shift
  u32 aux = 0;      ///< DFA: 32-bit filter of the literal transitions' hashes, or a run's pool offset;
                    ///< trie: parent | star flag
};
/// A transition on a segment of at most 8 bytes: `key` is the segment's bytes, zero-padded
/// (segments never contain U+0000, so the padded word identifies the segment exactly).
struct edge_rec {
  u64 key = 0;
  u32 from = no_state;
  u32 to = dead;
};
/// A transition on a longer segment: `key` is a hash, the bytes are verified in the pool.
struct long_edge_rec {
  u64 key = 0;
  u32 from = no_state;
  u32 to = dead;
  u32 offset = 0;
  u32 size = 0;
};

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

// ---- leaf helpers: the only places that branch on constant evaluation ----

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

/// 0x80 in every byte of v that is zero, 0 elsewhere (exact, no false positives).
[[nodiscard]] constexpr u64 zero_bytes(u64 v) noexcept { return ~(((v & low7) + low7) | v | low7); }

/// Names up to this many bytes are checked with a stop mask of the whole name (name_stops).
inline constexpr std::size_t short_name_bytes = 64;

/// Where a name of at most short_name_bytes bytes holds ':' (bit i set when s[i] == ':')
/// and whether it holds U+0000 anywhere. One pass, before the automaton runs: the segment
/// boundaries then come from the mask (clear lowest bit, count trailing zeros).
struct name_stops_t {
  u64 colons = 0;
  bool nul = false;
};
[[nodiscard]] constexpr name_stops_t name_stops(const char* s, std::size_t n) noexcept {
  name_stops_t r;
  if (!std::is_constant_evaluated()) {
#if CAPMATCH_DETAIL_SSE2
    if (n >= 16) {
      const __m128i colon = _mm_set1_epi8(':');
      const __m128i zero = _mm_setzero_si128();
      u32 z = 0;
      std::size_t i = 0;
      for (; i + 16 <= n; i += 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
        r.colons |= static_cast<u64>(static_cast<u32>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, colon)))) << i;
        z |= static_cast<u32>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, zero)));
      }
      if (i < n) {  // the last 16 bytes, overlapping the previous block
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + n - 16));
        r.colons |= static_cast<u64>(static_cast<u32>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, colon)))) << (n - 16);
        z |= static_cast<u32>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, zero)));
      }
      r.nul = z != 0;
      return r;
    }
    if (n >= 8) {  // the first and the last 8 bytes (overlapping) in one register
      const __m128i v = _mm_set_epi64x(static_cast<long long>(load8(s + n - 8)), static_cast<long long>(load8(s)));
      const auto c = static_cast<u32>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(':'))));
      r.colons = static_cast<u64>(c & 0xFF) | static_cast<u64>(c >> 8) << (n - 8);
      r.nul = _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_setzero_si128())) != 0;
      return r;
    }
#endif
    if (n >= 8) {  // words, the last one overlapping its predecessor
      u64 z = 0;
      for (std::size_t i = 0;; i += 8) {
        const std::size_t at = i + 8 <= n ? i : n - 8;
        const u64 w = load8(s + at);
        const u64 c = zero_bytes(w ^ (ones * ':'));
        r.colons |= (((c >> 7) * 0x0102040810204080ull) >> 56) << at;
        z |= zero_bytes(w);
        if (at + 8 == n) break;
      }
      r.nul = z != 0;
      return r;
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (s[i] == ':') r.colons |= u64{1} << i;
    if (s[i] == '\0') r.nul = true;
  }
  return r;
}
/// 0x80 in the lowest byte of v that is ':' or U+0000 (where a segment stops); bytes above
/// it may be flagged too (borrows), so only the lowest flag is meaningful. 0 when none.
[[nodiscard]] constexpr u64 stop_bytes(u64 v) noexcept {
  const u64 c = v ^ (ones * ':');
  return (((c - ones) & ~c) | ((v - ones) & ~v)) & high_bits;
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
[[nodiscard]] constexpr qualifier_flags qualifier_word(u64 w, u64 in) noexcept {
  const u64 closes = zero_bytes(w ^ (ones * ']')) & in;
  const u64 close = closes & (0 - closes);
  const u64 before = close == 0 ? ~u64{0} : close - 1;  // bytes before the first ']'
  return {close, (zero_bytes(w ^ (ones * '[')) | zero_bytes(w)) & in & before,
          (zero_bytes(w ^ (ones * '=')) | zero_bytes(w ^ (ones * '?'))) & in & before};
}
[[nodiscard]] constexpr qualifier_scan scan_qualifier(const char* s, std::size_t n) noexcept {
  qualifier_scan q;
  if (!std::is_constant_evaluated()) {
#if CAPMATCH_DETAIL_SSE2
    if (n >= 16) {  // 16-byte blocks, the last one overlapping its predecessor
      for (std::size_t i = 0;; i += 16) {
        const std::size_t at = i + 16 <= n ? i : n - 16;
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + at));
        const auto mask = [&](char c) {
          return static_cast<u32>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(c))));
        };
        const u32 in = (0xFFFFu << (i - at + (at == 0 ? 1 : 0))) & 0xFFFFu;  // not s[0], nor bytes seen before
        const u32 cl = mask(']') & in;
        const u32 before = cl == 0 ? ~u32{0} : (cl & (0 - cl)) - 1;  // bytes before the first ']'
        if (((mask('[') | mask('\0')) & in & before) != 0) return {};
        const u32 par = (mask('=') | mask('?')) & in & before;
        if (q.params == 0 && par != 0) q.params = at + static_cast<std::size_t>(std::countr_zero(par));
        if (cl != 0) {
          q.close = at + static_cast<std::size_t>(std::countr_zero(cl));
          return q;
        }
        if (at + 16 == n) return {};
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

/// Hash of a segment longer than 16 bytes, s[begin, end). Reads whole words; the last one
/// overlaps its predecessor (so no byte beyond `end` is read).
[[nodiscard]] constexpr u64 long_key(const char* s, std::size_t begin, std::size_t end) noexcept {
  const std::size_t len = end - begin;
  u64 h = static_cast<u64>(len) * k_long;
  std::size_t p = begin;
  for (; end - p > 8; p += 8) {
    h = (h ^ load8(s + p)) * k_mul;
    h ^= h >> 31;
  }
  h = (h ^ load8(s + end - 8)) * k_mul;
  return h ^ (h >> 29);
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

/// True when s[pos, n) is one to `segments` non-empty segments separated by ':', no U+0000.
[[nodiscard]] constexpr bool rest_valid(const char* s, std::size_t n, std::size_t pos, std::size_t segments) noexcept {
  bool empty = true;
  for (std::size_t i = pos; i < n; ++i) {
    const char c = s[i];
    if (c == '\0') return false;
    if (c == ':') {
      if (empty || --segments == 0) return false;
      empty = true;
    } else {
      empty = false;
    }
  }
  return !empty;
}

/// rest_valid a word at a time: s[pos, n) is one to `segments` non-empty segments, no U+0000.
[[nodiscard]] constexpr bool rest_valid_words(const char* s, std::size_t n, std::size_t pos,
                                              std::size_t segments) noexcept {
  if (pos >= n || s[pos] == ':' || s[n - 1] == ':') return false;
  std::size_t colons = 0;
  u64 prev = 0;  // 0x80 when the previous word ended with ':'
  for (std::size_t p = pos; p < n; p += 8) {
    const std::size_t rem = n - p;
    const u64 w = rem >= 8 ? load8(s + p) : load_tail(s, n, rem);
    const u64 in = rem >= 8 ? high_bits : low_bytes(rem);
    const u64 colon = zero_bytes(w ^ (ones * ':')) & in;
    if ((zero_bytes(w) & in) != 0 || (colon & (colon >> 8)) != 0 || (prev & colon & 0x80) != 0) return false;
    prev = colon >> 56;
    colons += static_cast<std::size_t>(std::popcount(colon));
  }
  return colons < segments;
}

/// A segment found by scan_segment.
struct segment {
  u64 key = 0;
  u64 w0 = 0, w1 = 0;  // 9 to 16 bytes: the two zero-padded words (verified against the pool)
  std::size_t len = 0;
  bool last = false;
  bool ok = false;  // false: empty segment or U+0000 (the name is invalid)
};

#if defined(__GNUC__) || defined(__clang__)
#define CAPMATCH_DETAIL_INLINE [[gnu::always_inline]] inline
#define CAPMATCH_DETAIL_NOINLINE [[gnu::noinline]]
#else
#define CAPMATCH_DETAIL_INLINE inline
#define CAPMATCH_DETAIL_NOINLINE
#endif

/// The word at s + pos (rem = n - pos bytes left) and where it holds a stop (':' or U+0000):
/// 0x80 in each such byte, only among the bytes that belong to the name.
struct word_scan {
  u64 w, stops;
};
CAPMATCH_DETAIL_INLINE constexpr word_scan scan_word(const char* s, std::size_t n, std::size_t pos,
                                                     std::size_t rem) noexcept {
  if (rem >= 8) {
    const u64 w = load8(s + pos);
    return {w, stop_bytes(w)};
  }
  const u64 w = load_tail(s, n, rem);
  return {w, stop_bytes(w) & low_bytes(rem)};
}

/// End of a segment longer than 16 bytes that starts before `q`, or n + 1 if it holds U+0000.
CAPMATCH_DETAIL_NOINLINE constexpr std::size_t long_segment_end(const char* s, std::size_t n, std::size_t q) noexcept {
  for (;;) {
    const std::size_t r = n - q;
    if (r == 0) return n;
    const word_scan v = scan_word(s, n, q, r);
    if (v.stops != 0) {
      const unsigned bit = static_cast<unsigned>(std::countr_zero(v.stops)) - 7;
      if (((v.w >> bit) & 0xFF) == 0) return n + 1;
      return q + (bit >> 3);
    }
    if (r <= 8) return n;
    q += 8;
  }
}

/// Scans the segment starting at pos: finds its end (':' or the end of the name), rejects
/// empty segments and U+0000, and computes its key, in one pass of word loads (one load for
/// segments under 8 bytes, two up to 16).
CAPMATCH_DETAIL_INLINE constexpr segment scan_segment(const char* s, std::size_t n, std::size_t pos) noexcept {
  segment g;
  const std::size_t rem = n - pos;
  if (rem == 0) return g;
  const word_scan a = scan_word(s, n, pos, rem);
  if (a.stops != 0) {
    const unsigned bit = static_cast<unsigned>(std::countr_zero(a.stops)) - 7;  // 8 * index of the stop
    if (bit == 0 || ((a.w >> bit) & 0xFF) == 0) return g;
    g.key = a.w & ((u64{1} << bit) - 1);
    g.len = bit >> 3;
    g.ok = true;
    return g;
  }
  g.ok = true;
  if (rem <= 8) {
    g.key = a.w;
    g.len = rem;
    g.last = true;
    return g;
  }
  const word_scan b = scan_word(s, n, pos + 8, rem - 8);
  if (b.stops != 0) {
    const unsigned bit = static_cast<unsigned>(std::countr_zero(b.stops)) - 7;
    if (((b.w >> bit) & 0xFF) == 0) return g.ok = false, g;
    if (bit == 0) {  // exactly 8 bytes
      g.key = a.w;
      g.len = 8;
      return g;
    }
    g.w0 = a.w;
    g.w1 = b.w & ((u64{1} << bit) - 1);
    g.len = 8 + (bit >> 3);
  } else if (rem <= 16) {
    g.w0 = a.w;
    g.w1 = b.w;
    g.len = rem;
    g.last = true;
  } else {
    const std::size_t end = long_segment_end(s, n, pos + 16);
    if (end > n) return g.ok = false, g;
    g.len = end - pos;
    g.last = end == n;
    if (g.len > 16) {
      g.key = long_key(s, pos, end);
      return g;
    }
    g.w0 = a.w;  // exactly 16 bytes
    g.w1 = b.w;
  }
  g.key = medium_key(g.w0, g.w1);
  return g;
}

/// What a compiled matcher holds besides its arrays: held by `storage` and fixed_matcher,
/// copied into every `tables` view.
struct header {
  u32 edge_cap = 0;       // home range of edges (the array has overflow slots after it)
  u32 long_cap = 0;       // home range of long_edges
  u32 start = dead;       // ref of: DFA, the start state for unqualified names; trie, the unqualified root
  u32 any_root = dead;    // trie walk only: ref of the root of the [*] patterns
  u32 app_wide = 0;       // op bits granted on "*" or "[*]*"
  bool walk = false;      // true: trie-walk fallback; false: DFA
  quick_qualifier quick[quick_qualifiers] = {};  // the first few short qualifiers (see quick_qualifier)
  bool quick_all = false;  // true: every qualifier of at most quick_qualifier_bytes is in quick
};

/// Flat tables of a compiled matcher, as spans: what a check reads. Built by `matcher`
/// (std::vector storage) or copied into static storage (fixed_matcher); the same code
/// queries both, at run time and in constant evaluation.
struct tables : header {
  const state_rec* states = nullptr;
  const edge_rec* edges = nullptr;
  const long_edge_rec* long_edges = nullptr;
  const char* pool = nullptr;

  constexpr tables() = default;
  constexpr tables(const header& h, const state_rec* s, const edge_rec* e, const long_edge_rec* le,
                   const char* p) noexcept
      : header(h), states(s), edges(e), long_edges(le), pool(p) {}

  [[nodiscard]] constexpr const state_rec& state(u32 r) const noexcept { return states[index_of(r)]; }

  [[nodiscard]] constexpr u32 find(u32 from, const segment& g, const char* s, std::size_t pos, u32 otherwise,
                                   bool filtered) const noexcept {
    const u64 hk = g.key * k_mul;
    if (filtered && (state(from).aux & filter_bit(hk)) == 0) return otherwise;
    if (g.len <= 8) return find_short(from, g.key, hk, otherwise);
    return find_long(from, g.key, g.w0, g.w1, g.len, s, pos, otherwise, hk);
  }
  // Segments of at most 8 bytes: the key is the segment itself.
  CAPMATCH_DETAIL_INLINE constexpr u32 find_short(u32 from, u64 key, u64 hk, u32 otherwise) const noexcept {
    for (const edge_rec* e = edges + home_slot(hk, from, edge_cap);; ++e) {
      if (e->key == key && e->from == from) return e->to;
      if (e->from == no_state) return otherwise;
    }
  }
  // Segments over 8 bytes: up to 16 are compared as two words (the pool holds them padded
  // to 16 bytes), longer ones byte by byte. (Arguments by value: a segment passed by
  // reference would have to live in memory in the caller's loop.)
  CAPMATCH_DETAIL_NOINLINE constexpr u32 find_long(u32 from, u64 key, u64 w0, u64 w1, std::size_t len,
                                                   const char* s, std::size_t pos, u32 otherwise,
                                                   u64 hk) const noexcept {
    for (const long_edge_rec* e = long_edges + home_slot(hk, from, long_cap);; ++e) {
      if (e->key == key && e->from == from && e->size == len &&
          (len <= 16 ? load8(pool + e->offset) == w0 && load8(pool + e->offset + 8) == w1
                     : bytes_equal(pool + e->offset, s + pos, len)))
        return e->to;
      if (e->from == no_state) return otherwise;
    }
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

  // True when the run of run state r is the name's next bytes from pos: the whole run, and
  // then the end of the name or ':' (a run ends at a segment boundary).
  CAPMATCH_DETAIL_INLINE constexpr bool run_matches(const state_rec& r, const char* s, std::size_t n,
                                                    std::size_t pos) const noexcept {
    const std::size_t len = r.term >> run_shift, end = pos + len;
    return end <= n && (end == n || s[end] == ':') && run_equal(s, n, pos, pool + r.aux, len);
  }

  // One transition of the automaton (DFA mode), for the segment s[pos, pos + len) with key
  // `key` (and, for 9 to 16 bytes, its two words): the state's trailing-`*` ops join acc,
  // then the automaton moves along the segment's literal transition, or the default one.
  // The filter spares the table probe for most segments that no literal transition names.
  CAPMATCH_DETAIL_INLINE constexpr u32 step(u32 st, const state_rec& r, u64 key, u64 w0, u64 w1, std::size_t len,
                                            const char* s, std::size_t pos, u32& acc) const noexcept {
    acc |= r.trail;
    const u64 hk = key * k_mul;
    if ((r.aux & filter_bit(hk)) == 0) return r.next;
    if (len <= 8) return find_short(st, key, hk, r.next);
    return find_long(st, key, w0, w1, len, s, pos, r.next, hk);
  }

  // A name's qualifier: one of the quick ones when the name starts with it (the word holds
  // the whole qualifier, so it has no parameters, '[' or U+0000, and n >= 9 leaves a body);
  // when every short qualifier is a quick one, any other short one without parameters is the
  // "other qualifiers" class; else parsed. Sets *body to the first byte of the body;
  // returns no_state if the name is invalid.
  CAPMATCH_DETAIL_INLINE constexpr u32 quick_qualifiers_or_parse(const char* s, std::size_t n,
                                                                 std::size_t* body) const noexcept {
    if (n >= 9) {
      const u64 w = load8(s);
      for (const quick_qualifier& q : quick)
        if ((w & q.mask) == q.key) {
          *body = q.size;
          return s[q.size] == '[' ? no_state : q.to;  // a second qualifier
        }
      if (quick_all) {
        // "[q]" with q of 2 to 6 bytes (1 byte: "[*]" is for patterns only, and is parsed)
        // and no '[', '=', '?' or U+0000 in it: the word test of scan_qualifier, from byte 1.
        const qualifier_flags f = qualifier_word(w, high_bits & ~u64{0xFF});
        const unsigned at = f.close == 0 ? 0 : static_cast<unsigned>(std::countr_zero(f.close)) >> 3;
        if (at >= 3 && (f.bad | f.params) == 0) {
          *body = at + 1;
          return s[at + 1] == '[' ? no_state : states[qualifier_state].next;
        }
      }
    }
    return qualifier(s, n, body);
  }

  // Parses "[q=v?p]" at the start of s: sets *body to the first byte of the body and returns
  // the state (DFA) or root (trie) for the qualifier, or no_state if the name is invalid.
  CAPMATCH_DETAIL_NOINLINE constexpr u32 qualifier(const char* s, std::size_t n, std::size_t* body) const noexcept {
    const qualifier_scan q = scan_qualifier(s, n);
    if (q.close == 0) return no_state;
    const std::size_t close = q.close, params = q.params, qend = params == 0 ? close : params;
    *body = close + 1;
    if (close + 1 == n || s[close + 1] == '[') return no_state;  // no body, or a second qualifier
    if (qend == 1) return params != 0 && s[params] == '?' ? start : no_state;  // "[?p]x" is unqualified
    if (qend == 2 && s[1] == '*') return no_state;  // [*] is for patterns only
    segment g;
    g.len = qend - 1;
    if (g.len <= 8) {
      g.key = word_from(s, n, 1) & (~u64{0} >> (64 - 8 * g.len));
    } else {
      const std::string_view name(s + 1, g.len);
      g.key = segment_key(name);
      if (g.len <= 16) g.w0 = word_at(name, 0), g.w1 = word_at(name, 8);
    }
    return find(ref(qualifier_state), g, s, 1, states[qualifier_state].next, !walk);
  }

  // A check. The common case — a DFA and a name of at most short_name_bytes bytes — is
  // inlined into the caller; qualifiers, longer names and the trie walk are calls.
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
    if (walk || n > short_name_bytes || n < 8) return other_ops(s, n, pos, st);
    if (st == dead) return {};  // no pattern covers this qualifier class: nothing to validate for
    return short_ops(s, n, pos, st);
  }

  // Longer names (scanned a word at a time) and the trie walk.
  CAPMATCH_DETAIL_NOINLINE constexpr op_set other_ops(const char* s, std::size_t n, std::size_t pos,
                                                      u32 st) const noexcept {
    if (walk) return walk_ops(s, n, pos, st);
    u32 acc = 0;
    std::size_t left = max_segments;
    if (const state_rec& r = state(st); (r.term >> run_shift) != 0) {
      // A run: its segments are the name's next bytes, or the automaton is dead.
      const std::size_t len = r.term >> run_shift, end = pos + len;
      acc = r.trail;
      if (!run_matches(r, s, n, pos)) return acc != 0 && rest_valid_words(s, n, pos, left) ? finish(acc) : op_set{};
      const char* run = pool + r.aux;
      const auto segments = static_cast<std::size_t>(1 + std::count(run, run + len, ':'));
      if (segments > left) return {};  // (patterns are held to max_segments too; never taken)
      left -= segments;
      st = r.next;
      if (end == n) return finish(acc | state(st).term);
      pos = end + 1;
      if (st == dead) return acc != 0 && rest_valid_words(s, n, pos, left) ? finish(acc) : op_set{};
    }
    for (;;) {
      const state_rec& r = state(st);
      const segment g = scan_segment(s, n, pos);
      if (!g.ok || left-- == 0) return {};
      st = step(st, r, g.key, g.w0, g.w1, g.len, s, pos, acc);
      if (g.last) return finish(acc | state(st).term);
      pos += g.len + 1;
      // Nothing more can be granted: what was, stands if the rest of the name is valid.
      if (st == dead) return acc != 0 && rest_valid_words(s, n, pos, left) ? finish(acc) : op_set{};
    }
  }

  // The automaton over a name of at most short_name_bytes bytes: the segment boundaries come
  // from a stop mask of the whole name, so finding the next segment is two instructions
  // (clear the lowest bit, count trailing zeros) instead of a scan, and the whole name is
  // validated from the mask before the automaton runs. Such a name has at most 32 segments,
  // under max_segments.
  CAPMATCH_DETAIL_INLINE constexpr op_set short_ops(const char* s, std::size_t n, std::size_t pos,
                                                    u32 st) const noexcept {
    static_assert(short_name_bytes <= 64 && (short_name_bytes + 1) / 2 <= max_segments);
    // 8 <= n <= short_name_bytes (shorter names take the word loop: the keys here are loads
    // of 8 bytes that end at the name's end at the latest).
    const name_stops_t stops = name_stops(s, n);
    u64 m = stops.colons & (~u64{0} << pos);  // pos < n <= 64
    // Invalid: U+0000, or an empty segment (the body starts or ends with ':' or holds "::").
    if (stops.nul || ((m >> pos) & 1) != 0 || ((m >> (n - 1)) & 1) != 0 || (m & (m >> 1)) != 0) return {};
    u32 acc = 0;
    if (const state_rec& r = state(st); (r.term >> run_shift) != 0) {
      // A run: its segments are the name's next bytes, or the automaton is dead.
      const std::size_t end = pos + (r.term >> run_shift);
      acc = r.trail;
      if (!run_matches(r, s, n, pos)) return finish(acc);  // (the name is valid)
      st = r.next;
      if (end == n) return finish(acc | state(st).term);
      if (st == dead) return finish(acc);
      pos = end + 1;  // < n: the name does not end with ':'
      m &= ~u64{0} << pos;
    }
    for (;;) {
      const state_rec& r = state(st);
      const bool last = m == 0;
      const std::size_t end = last ? n : static_cast<std::size_t>(std::countr_zero(m));
      const std::size_t len = end - pos;
      u64 key, w0 = 0, w1 = 0;
      if (len <= 8) {
        // The word at pos, or for a segment in the last 8 bytes the name's last word shifted
        // down: never a byte beyond the name, and no branch on where the segment lies.
        const std::size_t at = pos + 8 <= n ? pos : n - 8;
        key = (load8(s + at) >> (8 * (pos - at))) & (~u64{0} >> (64 - 8 * len));
      } else if (len <= 16) {
        w0 = load8(s + pos);
        w1 = word_from(s, n, pos + 8) & (~u64{0} >> (64 - 8 * (len - 8)));
        key = medium_key(w0, w1);
      } else {
        key = long_key(s, pos, end);
      }
      st = step(st, r, key, w0, w1, len, s, pos, acc);
      if (last) return finish(acc | state(st).term);
      if (st == dead) return finish(acc);  // nothing more can be granted; the name is valid
      pos = end + 1;
      m &= m - 1;
    }
  }

  // The fallback: a depth-first walk of the trie from the qualifier's root and the [*] root,
  // each node visited at most once, no stack (parents are stored in the nodes).
  [[nodiscard]] constexpr op_set walk_ops(const char* s, std::size_t n, std::size_t body,
                                          u32 root) const noexcept {
    if (!rest_valid(s, n, body, max_segments)) return {};
    u32 acc = 0;
    const u32 roots[2] = {root, any_root};
    for (const u32 r : roots) {
      if (r == dead) continue;
      u32 node = r;
      std::size_t pos = body;  // start of the next segment; n + 1 when none is left
      for (;;) {
        // Descend from `node` with the segment at pos.
        bool descended = false;
        if (pos == n + 1) {
          acc |= state(node).term;
        } else {
          acc |= state(node).trail;
          const segment g = scan_segment(s, n, pos);
          u32 child = find(node, g, s, pos, dead, false);
          if (child == dead) child = state(node).next;
          if (child != dead) {
            node = child;
            pos += g.len + 1;
            descended = true;
          }
        }
        if (descended) continue;
        // Ascend until a node has an untried `*` child.
        bool resumed = false;
        while (node != r) {
          const u32 parent = state(node).aux;
          const u32 star = state(parent).next;
          pos = previous_segment(s, body, pos);
          const bool was_star = star == node;
          node = parent;
          if (!was_star && star != dead) {
            node = star;
            pos = segment_end(s, n, pos) + 1;
            resumed = true;
            break;
          }
        }
        if (!resumed) break;
      }
    }
    return finish(acc);
  }

  // Start of the segment before the one starting at pos (pos may be n + 1: past the end).
  [[nodiscard]] static constexpr std::size_t previous_segment(const char* s, std::size_t body,
                                                              std::size_t pos) noexcept {
    std::size_t i = pos - 1;  // the ':' (or the end) that closed the previous segment
    while (i > body && s[i - 1] != ':') --i;
    return i;
  }
  [[nodiscard]] static constexpr std::size_t segment_end(const char* s, std::size_t n, std::size_t pos) noexcept {
    while (pos < n && s[pos] != ':') ++pos;
    return pos;
  }
};

// ---- construction ----

/// A growable open-addressing index of items 0..n-1 by 64-bit hash (construction only).
struct index_map {
  std::vector<u32> slots;  // item + 1, 0 when empty
  std::size_t count = 0;

  template <class Same>
  [[nodiscard]] constexpr u32 find(u64 h, Same&& same) const {
    if (slots.empty()) return no_state;
    const std::size_t mask = slots.size() - 1;
    for (std::size_t i = static_cast<std::size_t>((h * k_mul) >> 32) & mask;; i = (i + 1) & mask) {
      if (slots[i] == 0) return no_state;
      if (same(slots[i] - 1)) return slots[i] - 1;
    }
  }
  /// Sizes the table for `n` items up front (one allocation instead of a growth sequence).
  constexpr void reserve(std::size_t n) {
    if (!slots.empty() || n <= 8) return;  // the first insert allocates 16 slots anyway
    std::size_t size = 16;
    while (size < 2 * n) size *= 2;
    slots.assign(size, 0);
  }
  template <class HashOf>
  constexpr void insert(u64 h, u32 item, HashOf&& hash_of) {
    if (2 * (count + 1) > slots.size()) {
      std::vector<u32> old(slots.size() < 16 ? 16 : 2 * slots.size(), 0);
      old.swap(slots);
      for (const u32 v : old)
        if (v != 0) place(hash_of(v - 1), v - 1);
    }
    place(h, item);
    ++count;
  }

 private:
  constexpr void place(u64 h, u32 item) {
    const std::size_t mask = slots.size() - 1;
    std::size_t i = static_cast<std::size_t>((h * k_mul) >> 32) & mask;
    while (slots[i] != 0) i = (i + 1) & mask;
    slots[i] = item + 1;
  }
};

/// The one slot of an empty transition table (home range 0): every probe ends there.
inline constexpr edge_rec empty_edge{};
inline constexpr long_edge_rec empty_long_edge{};
/// The dead state and the qualifier pseudo-state of a matcher that grants nothing.
inline constexpr state_rec empty_states[2]{};

/// Everything a matcher owns; built by build(), queried through view().
struct storage : header {
  std::vector<state_rec> states;
  std::vector<edge_rec> edges;
  std::vector<long_edge_rec> long_edges;
  std::vector<char> pool;
  std::size_t patterns = 0;

  [[nodiscard]] constexpr tables view() const noexcept {
    if (states.empty())  // moved from: grants nothing
      return tables(header{}, empty_states, &empty_edge, &empty_long_edge, nullptr);
    return tables(*this, states.data(), edges.empty() ? &empty_edge : edges.data(),
                  long_edges.empty() ? &empty_long_edge : long_edges.data(), pool.data());
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

class builder {
 public:
  constexpr builder(const capability& cap, matcher_mode mode) { build(cap, mode); }
  storage out;

 private:
  // Segments (and qualifier names), interned.
  std::vector<char> seg_text;
  std::vector<seg_info> segs;
  index_map seg_index;
  // The trie. Node 0 is the dead node, 1 the qualifier pseudo-node, 2 the unqualified root,
  // 3 the [*] root; named roots and inner nodes follow.
  std::vector<state_rec> nodes;
  std::vector<trie_edge> tedges;
  index_map tedge_index;
  std::vector<trie_edge> qualifier_edges;  // (1, qualifier sid, named root)

  [[nodiscard]] constexpr std::string_view seg_view(u32 sid) const noexcept {
    return std::string_view(seg_text.data() + segs[sid].offset, segs[sid].size);
  }
  [[nodiscard]] static constexpr u64 seg_hash(u64 key, std::size_t size) noexcept { return key ^ (size << 56); }

  constexpr u32 intern(std::string_view seg) {
    const u64 key = segment_key(seg);
    const u64 h = seg_hash(key, seg.size());
    const u32 found = seg_index.find(h, [&](u32 i) { return segs[i].key == key && seg_view(i) == seg; });
    if (found != no_state) return found;
    const auto id = static_cast<u32>(segs.size());
    segs.push_back(seg_info{key, static_cast<u32>(seg_text.size()), static_cast<u32>(seg.size())});
    seg_text.insert(seg_text.end(), seg.begin(), seg.end());
    seg_index.insert(h, id, [&](u32 i) { return seg_hash(segs[i].key, segs[i].size); });
    return id;
  }

  constexpr u32 new_node(u32 parent, bool star) {
    const auto id = static_cast<u32>(nodes.size());
    nodes.push_back(state_rec{dead, 0, 0, parent | (star ? star_child_flag : 0)});
    return id;
  }

  constexpr u32 literal_child(u32 node, u32 sid) {
    const u64 h = mix2(node, sid);
    const u32 found =
        tedge_index.find(h, [&](u32 i) { return tedges[i].node == node && tedges[i].sid == sid; });
    if (found != no_state) return tedges[found].child;
    const u32 child = new_node(node, false);
    const auto id = static_cast<u32>(tedges.size());
    tedges.push_back(trie_edge{node, sid, child});
    tedge_index.insert(h, id, [&](u32 i) { return mix2(tedges[i].node, tedges[i].sid); });
    return child;
  }

  constexpr u32 star_child(u32 node) {
    if (nodes[node].next == dead) {
      const u32 child = new_node(node, true);
      nodes[node].next = child;
    }
    return nodes[node].next;
  }

  constexpr void add_pattern(u32 root, std::string_view body, u32 ops) {
    u32 node = root;
    std::size_t pos = 0;
    for (;;) {
      const auto colon = body.find(':', pos);
      const bool last = colon == std::string_view::npos;
      const std::string_view seg = body.substr(pos, last ? std::string_view::npos : colon - pos);
      if (last && seg == "*") {
        nodes[node].trail |= ops;
        return;
      }
      node = seg == "*" ? star_child(node) : literal_child(node, intern(seg));
      if (last) {
        nodes[node].term |= ops;
        return;
      }
      pos = colon + 1;
    }
  }

  constexpr void build(const capability& cap, matcher_mode mode) {
    out.patterns = cap.size();
    // Sized up front from the capability (segments and bytes): building a small matcher is
    // mostly allocation otherwise.
    std::size_t segments = 0, bytes = 0;  // literal segments (and qualifier names), their bytes
    for (std::size_t i = 0; i < cap.size(); ++i) {
      const pattern p = cap.pattern_at(i);
      if (!p.qualifier.empty()) ++segments, bytes += p.qualifier.size();
      for (std::size_t pos = 0, end; pos <= p.body.size(); pos = end + 1) {
        end = std::min(p.body.find(':', pos), p.body.size());
        if (end - pos != 1 || p.body[pos] != '*') ++segments, bytes += end - pos;
      }
    }
    seg_text.reserve(bytes);
    segs.reserve(segments);
    seg_index.reserve(segments);
    nodes.reserve(segments + 4);
    tedges.reserve(segments);
    tedge_index.reserve(segments);
    nodes.resize(4);
    nodes[0].aux = 0;
    std::vector<u32> qualifier_roots;  // indexed by sid: root + 1, 0 when absent
    for (std::size_t i = 0; i < cap.size(); ++i) {
      const pattern p = cap.pattern_at(i);
      const u32 ops = cap.ops(i).bits();
      if (p.covers_all_channels()) out.app_wide |= ops;
      if (p.matches_nothing()) continue;
      u32 root = p.kind == qualifier_kind::none ? 2u : 3u;
      if (p.kind == qualifier_kind::named) {
        const u32 q = intern(p.qualifier);
        if (qualifier_roots.size() <= q) qualifier_roots.resize(q + 1, 0);
        if (qualifier_roots[q] == 0) {
          qualifier_roots[q] = new_node(qualifier_state, false) + 1;
          qualifier_edges.push_back(trie_edge{qualifier_state, q, qualifier_roots[q] - 1});
        }
        root = qualifier_roots[q] - 1;
      }
      add_pattern(root, p.body, ops);
    }
    // Literal edges grouped by node, for determinisation and for the trie tables.
    std::sort(tedges.begin(), tedges.end(), [](const trie_edge& a, const trie_edge& b) {
      return a.node != b.node ? a.node < b.node : a.sid < b.sid;
    });
    tedge_index = index_map{};
    if (mode == matcher_mode::automatic && determinise()) return;
    // Fallback: the trie itself.
    out.walk = true;
    out.start = 2;
    out.any_root = 3;
    out.states = nodes;
    out.states[qualifier_state].next = dead;
    std::vector<transition> ts;
    ts.reserve(tedges.size() + qualifier_edges.size());
    for (const auto& e : qualifier_edges) ts.push_back(transition{e.node, e.sid, e.child});
    for (const auto& e : tedges) ts.push_back(transition{e.node, e.sid, e.child});
    emit(ts, false);
  }

  // Subset construction over the trie. Returns false (leaving `out` untouched) when the
  // automaton would exceed the documented bound.
  constexpr bool determinise() {
    const std::size_t limit = matcher_dfa_growth * (nodes.size() + tedges.size()) + matcher_dfa_slack;
    std::vector<u32> node_edges(nodes.size() + 1, 0);  // per node: range in tedges
    for (const auto& e : tedges) ++node_edges[e.node + 1];
    for (std::size_t i = 1; i < node_edges.size(); ++i) node_edges[i] += node_edges[i - 1];

    std::vector<u32> set_items;        // the trie nodes of every state, concatenated
    std::vector<u32> set_offsets{0, 0, 0};  // state i: [set_offsets[i], set_offsets[i+1]); 0 dead, 1 qualifier
    index_map set_index;
    set_items.reserve(2 * nodes.size());
    set_offsets.reserve(nodes.size() + 3);
    set_index.reserve(nodes.size());
    auto set_hash = [](const u32* p, std::size_t n) {
      u64 h = n;
      for (std::size_t i = 0; i < n; ++i) h = mix2(h, p[i]);
      return h;
    };
    auto hash_of_state = [&](u32 st) {
      return set_hash(set_items.data() + set_offsets[st], set_offsets[st + 1] - set_offsets[st]);
    };
    set_index.insert(set_hash(nullptr, 0), dead, hash_of_state);
    std::size_t work = 2;
    bool over = false;
    // The state for a sorted, duplicate-free set of trie nodes (interned).
    auto state_of = [&](const std::vector<u32>& set) -> u32 {
      const u64 h = set_hash(set.data(), set.size());
      const u32 found = set_index.find(h, [&](u32 st) {
        const u32 b = set_offsets[st], e = set_offsets[st + 1];
        if (e - b != set.size()) return false;
        for (u32 i = 0; i < set.size(); ++i)
          if (set_items[b + i] != set[i]) return false;
        return true;
      });
      if (found != no_state) return found;
      const auto id = static_cast<u32>(set_offsets.size() - 1);
      set_items.insert(set_items.end(), set.begin(), set.end());
      set_offsets.push_back(static_cast<u32>(set_items.size()));
      set_index.insert(h, id, hash_of_state);
      work += 1 + set.size();  // a state, and the set elements that stand for it
      if (work > limit) over = true;
      return id;
    };
    // A trie node worth tracking: it grants something or leads somewhere.
    auto live = [&](u32 node) {
      const auto& r = nodes[node];
      return r.next != dead || r.trail != 0 || r.term != 0 || node_edges[node + 1] != node_edges[node];
    };
    std::vector<u32> set;
    auto start_set = [&](u32 a, u32 b) {
      set.clear();
      if (a != dead && live(a)) set.push_back(a);
      if (b != dead && live(b)) set.push_back(b);
      std::sort(set.begin(), set.end());
      return state_of(set);
    };

    std::vector<state_rec> states(3);
    std::vector<transition> ts;
    states.reserve(nodes.size() + 3);
    ts.reserve(tedges.size() + qualifier_edges.size());
    const u32 start = start_set(2, 3);
    const u32 other = start_set(3, dead);
    states[qualifier_state].next = other;
    for (const auto& q : qualifier_edges) ts.push_back(transition{qualifier_state, q.sid, start_set(q.child, 3)});

    std::vector<u32> stars, gathered_sid, group;
    std::vector<trie_edge> gathered;
    for (u32 st = 2; st + 1 < set_offsets.size() && !over; ++st) {
      const u32 b = set_offsets[st], e = set_offsets[st + 1];
      state_rec rec;
      stars.clear();
      gathered.clear();
      for (u32 i = b; i < e; ++i) {
        const u32 node = set_items[i];
        rec.trail |= nodes[node].trail;
        rec.term |= nodes[node].term;
        if (nodes[node].next != dead && live(nodes[node].next)) stars.push_back(nodes[node].next);
        for (u32 k = node_edges[node]; k < node_edges[node + 1]; ++k)
          if (live(tedges[k].child)) gathered.push_back(tedges[k]);
      }
      std::sort(stars.begin(), stars.end());
      if (e - b > 1)
        std::sort(gathered.begin(), gathered.end(), [](const trie_edge& x, const trie_edge& y) {
          return x.sid != y.sid ? x.sid < y.sid : x.child < y.child;
        });
      work += gathered.size();
      rec.next = state_of(stars);
      for (std::size_t i = 0; i < gathered.size();) {
        std::size_t j = i;
        set.clear();
        while (j < gathered.size() && gathered[j].sid == gathered[i].sid) set.push_back(gathered[j++].child);
        if (!stars.empty()) {
          set.insert(set.end(), stars.begin(), stars.end());
          // Not std::inplace_merge: it is not constexpr (it may allocate), and construction must be.
          std::sort(set.begin(), set.end());
        }
        ts.push_back(transition{st, gathered[i].sid, state_of(set)});
        if (++work > limit) over = true;
        i = j;
      }
      if (states.size() <= st) states.resize(st + 1);
      states[st] = rec;
    }
    if (over) return false;
    states.resize(set_offsets.size() - 1);
    u32 first_state = start;
    minimise(states, ts, first_state);
    compress_runs(states, ts, first_state);
    out.walk = false;
    out.start = first_state;
    out.states = std::move(states);
    emit(ts, true);
    return true;
  }

  // Merges equivalent states (same masks, same default, same transitions to equivalent
  // states): the many states where one pattern ends and nothing follows collapse into one
  // per op set. Transitions only go to higher-numbered states (or dead), so one pass from
  // the last state down suffices. Renumbers `states` and `ts` in place.
  static constexpr void minimise(std::vector<state_rec>& states, std::vector<transition>& ts, u32& start) {
    const auto count = static_cast<u32>(states.size());
    std::vector<u32> first(count + 1, 0);  // transitions of state i: [first[i], first[i+1]) in ts
    for (const auto& t : ts) ++first[t.from + 1];
    for (u32 i = 1; i <= count; ++i) first[i] += first[i - 1];
    std::vector<u32> rep(count, 0);
    rep[qualifier_state] = qualifier_state;
    index_map sigs;
    auto hash_of = [&](u32 st) {
      u64 h = mix2(mix2(states[st].trail, states[st].term), rep[states[st].next]);
      for (u32 k = first[st]; k < first[st + 1]; ++k) h = mix2(mix2(h, ts[k].sid), rep[ts[k].to]);
      return h;
    };
    auto same = [&](u32 a, u32 b) {
      if (states[a].trail != states[b].trail || states[a].term != states[b].term ||
          rep[states[a].next] != rep[states[b].next] || first[a + 1] - first[a] != first[b + 1] - first[b])
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
      const u64 h = hash_of(st);
      const u32 found = sigs.find(h, [&](u32 other) { return same(st, other); });
      if (found != no_state) {
        rep[st] = found;
      } else {
        rep[st] = st;
        sigs.insert(h, st, hash_of);
      }
    }
    // Renumber the representatives in order; drop the others.
    std::vector<u32> id(count, 0);
    u32 next_id = 2;
    id[qualifier_state] = qualifier_state;
    for (u32 st = 2; st < count; ++st)
      if (rep[st] == st) id[st] = next_id++;
    std::vector<state_rec> out_states(next_id);
    out_states[qualifier_state] = states[qualifier_state];
    out_states[qualifier_state].next = id[rep[states[qualifier_state].next]];
    std::vector<transition> out_ts;
    for (const auto& t : ts) {
      if (rep[t.from] != t.from) continue;
      out_ts.push_back(transition{id[t.from], t.sid, id[rep[t.to]]});
    }
    for (u32 st = 2; st < count; ++st) {
      if (rep[st] != st) continue;
      state_rec r = states[st];
      r.next = id[rep[r.next]];
      out_states[id[st]] = r;
    }
    states = std::move(out_states);
    ts = std::move(out_ts);
    start = id[rep[start]];
  }

  // Runs. A state with one literal transition and no default one (a path through the
  // patterns, such as every state of "tenant7:room:42" when nothing else shares it) does not
  // need the transition table: the check compares the name's bytes with the segment's. Going
  // on while the next state is the same and grants nothing (trail and term 0), the literal
  // segments join into one run "tenant7:room:42", compared as bytes in one go; the states
  // inside a run are then only reachable through it and are dropped. Runs are written to the
  // pool by emit. Renumbers `states` and `ts` in place.
  struct run_info {
    u32 state = 0, target = 0, offset = 0, size = 0;  // bytes in run_text
  };
  std::vector<run_info> runs;
  std::vector<char> run_text;

  constexpr void compress_runs(std::vector<state_rec>& states, std::vector<transition>& ts, u32& start) {
    const auto count = static_cast<u32>(states.size());
    std::vector<u32> degree(count, 0), only(count, 0);  // only: the index in ts of a state's transition
    for (u32 i = 0; i < ts.size(); ++i) {
      ++degree[ts[i].from];
      only[ts[i].from] = i;
    }
    // Entry states: where a check starts (per qualifier class). Only those that nothing else
    // leads to start runs, so the check looks for a run once, before its loop.
    std::vector<u8> entry(count, 0), entered(count, 0);
    entry[start] = 1;
    entry[states[qualifier_state].next] = 1;
    for (const auto& t : ts) (t.from == qualifier_state ? entry : entered)[t.to] = 1;
    for (u32 st = 2; st < count; ++st) entered[states[st].next] = 1;
    auto one_way = [&](u32 st) { return st >= 2 && degree[st] == 1 && states[st].next == dead; };
    auto inside_run = [&](u32 st) { return one_way(st) && states[st].trail == 0 && states[st].term == 0; };
    std::vector<u32> run_of(count, no_state);  // the run a state starts
    for (u32 st = 2; st < count; ++st) {
      if (!entry[st] || entered[st] || !one_way(st)) continue;
      run_info r{st, 0, static_cast<u32>(run_text.size()), 0};
      for (u32 at = st;;) {
        const std::string_view seg = seg_view(ts[only[at]].sid);
        if (at != st) run_text.push_back(':');
        run_text.insert(run_text.end(), seg.begin(), seg.end());
        at = ts[only[at]].to;
        r.target = at;
        if (!inside_run(at) || run_text.size() - r.offset + 1 + segs[ts[only[at]].sid].size > max_resource_bytes) break;
      }
      r.size = static_cast<u32>(run_text.size()) - r.offset;
      run_of[st] = static_cast<u32>(runs.size());
      runs.push_back(r);
    }
    // Keep the states still reachable: from the start states, through defaults, transitions
    // of non-run states, and runs (states are numbered in breadth order of depth: one pass).
    std::vector<u8> keep(count, 0);
    keep[dead] = keep[qualifier_state] = 1;
    keep[start] = 1;
    keep[states[qualifier_state].next] = 1;
    std::vector<u32> first(count + 1, 0);
    for (const auto& t : ts) ++first[t.from + 1];
    for (u32 i = 1; i <= count; ++i) first[i] += first[i - 1];
    for (u32 st = 1; st < count; ++st) {
      if (!keep[st]) continue;
      keep[states[st].next] = 1;
      if (run_of[st] != no_state) {
        keep[runs[run_of[st]].target] = 1;
        continue;
      }
      for (u32 k = first[st]; k < first[st + 1]; ++k) keep[ts[k].to] = 1;
    }
    std::vector<u32> id(count, 0);
    u32 next_id = 0;
    for (u32 st = 0; st < count; ++st)
      if (keep[st]) id[st] = next_id++;
    std::vector<state_rec> out_states(next_id);
    for (u32 st = 0; st < count; ++st) {
      if (!keep[st]) continue;
      state_rec r = states[st];
      r.next = id[r.next];
      out_states[id[st]] = r;
    }
    std::vector<transition> out_ts;
    for (const auto& t : ts)
      if (keep[t.from] && run_of[t.from] == no_state) out_ts.push_back(transition{id[t.from], t.sid, id[t.to]});
    for (auto& r : runs) {
      r.state = id[r.state];
      r.target = id[r.target];
    }
    states = std::move(out_states);
    ts = std::move(out_ts);
    start = id[start];
  }

  // Lays the transitions out in the two open-addressing tables (load factor <= 2/3).
  constexpr void emit(const std::vector<transition>& ts, bool filter) {
    std::size_t n_short = 0, n_long = 0;
    for (const auto& t : ts) (segs[t.sid].size <= 8 ? n_short : n_long)++;
    // An empty table stays empty: lookups then probe a shared empty slot (storage::view).
    out.edge_cap = n_short == 0 ? 0 : static_cast<u32>(n_short + n_short / 2 + 1);
    out.long_cap = n_long == 0 ? 0 : static_cast<u32>(n_long + n_long / 2 + 1);
    out.edges.assign(n_short == 0 ? 0 : out.edge_cap + 1, edge_rec{});
    out.long_edges.assign(n_long == 0 ? 0 : out.long_cap + 1, long_edge_rec{});
    std::vector<u32> pool_at(segs.size(), no_state);
    for (const auto& t : ts) {
      const seg_info& g = segs[t.sid];
      const u64 hk = g.key * k_mul;
      if (filter) out.states[t.from].aux |= filter_bit(hk);
      if (g.size <= 8) {
        place(out.edges, home_slot(hk, ref(t.from), out.edge_cap), edge_rec{g.key, ref(t.from), ref(t.to)});
      } else {
        if (pool_at[t.sid] == no_state) {  // each segment's bytes once
          pool_at[t.sid] = static_cast<u32>(out.pool.size());
          const std::string_view bytes = seg_view(t.sid);
          out.pool.insert(out.pool.end(), bytes.begin(), bytes.end());
          if (bytes.size() < 16) out.pool.resize(pool_at[t.sid] + 16, '\0');  // compared as two padded words
        }
        const u32 off = pool_at[t.sid];
        place(out.long_edges, home_slot(hk, ref(t.from), out.long_cap),
              long_edge_rec{g.key, ref(t.from), ref(t.to), off, g.size});
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
        state_rec& st = out.states[r.state];
        st.next = r.target;
        st.term |= r.size << run_shift;
        st.aux = static_cast<u32>(out.pool.size());
        out.pool.insert(out.pool.end(), run_text.begin() + r.offset, run_text.begin() + r.offset + r.size);
      }
    // State references: the default transition (trie: the `*` child), and in trie-walk mode the parent.
    for (auto& st : out.states) {
      st.next = ref(st.next);
      if (!filter) st.aux = ref(st.aux & ~star_child_flag);
    }
    out.start = ref(out.start);
    out.any_root = ref(out.any_root);
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
      out.quick[quick++] = quick_qualifier{key, ~u64{0} >> (64 - 8 * size), ref(t.to), static_cast<u32>(size)};
    }
  }

  // Linear probing without wrap-around: overflow slots are appended, and the table always
  // ends with an empty slot, so a lookup needs no bounds check.
  // (Two overloads, not a template: clang 14 cannot evaluate a member template instantiated here.)
  static constexpr void place(std::vector<edge_rec>& table, u32 home, const edge_rec& rec) {
    std::size_t i = home;
    while (table[i].from != no_state) ++i;
    table[i] = rec;
    if (i + 1 == table.size()) table.push_back(edge_rec{});
  }
  static constexpr void place(std::vector<long_edge_rec>& table, u32 home, const long_edge_rec& rec) {
    std::size_t i = home;
    while (table[i].from != no_state) ++i;
    table[i] = rec;
    if (i + 1 == table.size()) table.push_back(long_edge_rec{});
  }
};

}  // namespace detail::cm

/// Table sizes of a compiled matcher: the template arguments of a fixed_matcher.
struct matcher_shape {
  std::size_t states = 0, edges = 0, long_edges = 0, pool = 0;
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
      : s_(std::move(detail::cm::builder(cap, mode).out)), t_(s_.view()) {}
  // The view t_ points into s_'s vectors: copies and moves take a fresh one.
  constexpr matcher(const matcher& o) : s_(o.s_), t_(s_.view()) {}
  constexpr matcher(matcher&& o) noexcept : s_(std::move(o.s_)), t_(s_.view()) { o.t_ = o.s_.view(); }
  constexpr matcher& operator=(const matcher& o) {
    if (this != &o) {
      s_ = o.s_;
      t_ = s_.view();
    }
    return *this;
  }
  constexpr matcher& operator=(matcher&& o) noexcept {
    if (this != &o) {
      s_ = std::move(o.s_);
      t_ = s_.view();
      o.t_ = o.s_.view();
    }
    return *this;
  }
  constexpr ~matcher() = default;

  /// Union of the operations of every pattern that matches `name`; empty for an invalid name.
  [[nodiscard]] constexpr op_set ops_for(std::string_view name) const noexcept { return t_.ops_for(name); }
  /// True when `op` is allowed on `name`; app-wide operations never are (see allows_app_wide).
  [[nodiscard]] constexpr bool allows(std::string_view name, operation op) const noexcept {
    return !is_app_wide(op) && ops_for(name).contains(op);
  }
  /// True when `op` is granted on "*" or "[*]*" (SEMANTICS §12), as capability::allows_app_wide.
  [[nodiscard]] constexpr bool allows_app_wide(operation op) const noexcept {
    return op_set::from_bits(s_.app_wide).contains(op);
  }
  [[nodiscard]] constexpr bool allows_channel_enumeration() const noexcept {
    return allows_app_wide(operation::channel_metadata);
  }

  /// False when the automaton bound was exceeded (or trie_walk requested) and checks walk the trie.
  [[nodiscard]] constexpr bool determinised() const noexcept { return !s_.walk; }
  /// Number of patterns compiled.
  [[nodiscard]] constexpr std::size_t pattern_count() const noexcept { return s_.patterns; }
  /// Bytes of table memory (states, transitions, long-segment and run bytes), excluding this
  /// object (sizeof(matcher), which holds the quick-qualifier table and the tables' view).
  [[nodiscard]] constexpr std::size_t memory_bytes() const noexcept {
    return s_.states.size() * sizeof(detail::cm::state_rec) + s_.edges.size() * sizeof(detail::cm::edge_rec) +
           s_.long_edges.size() * sizeof(detail::cm::long_edge_rec) + s_.pool.size();
  }
  /// Number of automaton states (or trie nodes in trie-walk mode).
  [[nodiscard]] constexpr std::size_t state_count() const noexcept { return s_.states.size(); }
  /// Sizes of the tables, to copy them into a fixed_matcher.
  [[nodiscard]] constexpr matcher_shape shape() const noexcept {
    return {s_.states.size(), s_.edges.size(), s_.long_edges.size(), s_.pool.size()};
  }
  /// The flat tables (internal; used by fixed_matcher).
  [[nodiscard]] constexpr const detail::cm::storage& raw_tables() const noexcept { return s_; }

 private:
  detail::cm::storage s_;
  detail::cm::tables t_;  // what a check reads: pointers into s_
};

/// A matcher's tables in fixed-size arrays (static storage, no heap), e.g. computed during
/// compilation: `constexpr fixed_matcher<shape.states, shape.edges, shape.long_edges, shape.pool>
/// m{matcher{cap}};`. Checks run the same code as matcher's.
template <std::size_t States, std::size_t Edges, std::size_t LongEdges, std::size_t Pool>
class fixed_matcher {
 public:
  constexpr explicit fixed_matcher(const matcher& m) noexcept {
    const auto& s = m.raw_tables();
    for (std::size_t i = 0; i < States && i < s.states.size(); ++i) states_[i] = s.states[i];
    for (std::size_t i = 0; i < Edges && i < s.edges.size(); ++i) edges_[i] = s.edges[i];
    for (std::size_t i = 0; i < LongEdges && i < s.long_edges.size(); ++i) long_edges_[i] = s.long_edges[i];
    for (std::size_t i = 0; i < Pool && i < s.pool.size(); ++i) pool_[i] = s.pool[i];
    header_ = s;
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
    return detail::cm::tables(header_, states_, edges_, long_edges_, Pool ? pool_ : nullptr);
  }
  detail::cm::state_rec states_[States]{};
  detail::cm::edge_rec edges_[Edges ? Edges : 1]{};  // an empty table: one empty slot
  detail::cm::long_edge_rec long_edges_[LongEdges ? LongEdges : 1]{};
  char pool_[Pool ? Pool : 1]{};
  detail::cm::header header_{};
};

CAPMATCH_NAMESPACE_END
// ---- end include/capmatch/matcher.hpp ----

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
    case lint_code::shadowed: return lint_severity::warning;
    case lint_code::channel_enumeration:
    case lint_code::implied_op:
    case lint_code::ignored_params: return lint_severity::suggestion;
  }
  return lint_severity::suggestion;
}

namespace detail {
/// Fixed-capacity text for finding messages (no std::string: usable in constant evaluation).
class lint_text {
 public:
  static constexpr std::size_t capacity = 320;
  [[nodiscard]] constexpr std::string_view view() const noexcept { return {buf_, len_}; }
  constexpr lint_text& append(std::string_view s) noexcept {
    for (char c : s) {
      if (len_ == capacity) break;
      buf_[len_++] = c;
    }
    return *this;
  }
  constexpr lint_text& append_number(std::uint64_t v) noexcept {
    error e;
    return append(e.append_number(v).message());
  }
  /// `s` in single quotes, clipped and with control characters escaped (as in error messages).
  constexpr lint_text& append_quoted(std::string_view s) noexcept {
    error e;
    return append(e.append_quoted(s).message());
  }

 private:
  std::size_t len_ = 0;
  char buf_[capacity]{};
};
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

/// True when every name `b` matches is matched by `a`. Exact, and equivalent to "a ∩ b is b
/// itself in normal form" (tests check the two agree); decided segment by segment without
/// allocating, since lint compares every pair of entries. Patterns that match nothing are
/// never contained and contain nothing.
[[nodiscard]] constexpr bool contains(const pattern& a, const pattern& b) noexcept {
  if (a.matches_nothing() || b.matches_nothing()) return false;
  // Qualifiers: [*] holds every qualifier and none; otherwise they must be the same.
  if (a.kind != qualifier_kind::any &&
      (a.kind != b.kind || (a.kind == qualifier_kind::named && a.qualifier != b.qualifier)))
    return false;
  const bool ta = a.trailing_wildcard(), tb = b.trailing_wildcard();
  std::size_t i = 0, j = 0;
  for (;;) {
    const std::string_view sa = segment_at(a.body, i), sb = segment_at(b.body, j);
    const bool last_a = i + sa.size() == a.body.size(), last_b = j + sb.size() == b.body.size();
    if (last_a && ta) return true;         // a's trailing '*' takes b's remaining segments, wildcards too
    if (sa != "*" && (sa != sb || sb == "*")) return false;  // a literal holds only that literal
    if (last_a || last_b) return last_a && last_b && !tb;    // same length; b unbounded only if a is
    i += sa.size() + 1;
    j += sb.size() + 1;
  }
}

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
  constexpr explicit linter(const capability& cap) : cap_(cap) {}

  [[nodiscard]] constexpr std::vector<lint_finding> run() {
    index_by_first_segment();
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

  // Entries that may contain entry i (detail::contains), in index order: a container has
  // i's qualifier or [*], and i's first segment or "*" as its first segment. So lint
  // compares an entry only with the entries sharing its first segment and those starting
  // with "*", not with every entry: linear for capabilities whose patterns spread over many
  // first segments (tenants, apps), quadratic only when everything starts with "*".
  struct first_key {
    qualifier_kind kind = qualifier_kind::none;
    std::string_view qualifier, first;
    friend constexpr bool operator<(const first_key& a, const first_key& b) noexcept {
      if (a.kind != b.kind) return a.kind < b.kind;
      if (a.qualifier != b.qualifier) return a.qualifier < b.qualifier;
      return a.first < b.first;
    }
  };
  [[nodiscard]] constexpr first_key key_of(std::size_t i) const {
    const pattern p = cap_.pattern_at(i);
    return {p.kind, p.kind == qualifier_kind::named ? p.qualifier : std::string_view(), segment_at(p.body, 0)};
  }
  constexpr void index_by_first_segment() {
    for (std::size_t i = 0; i < cap_.size(); ++i) by_first_.push_back(i);
    std::sort(by_first_.begin(), by_first_.end(), [&](std::size_t a, std::size_t b) {
      const first_key ka = key_of(a), kb = key_of(b);
      return ka < kb || (!(kb < ka) && a < b);
    });
  }
  [[nodiscard]] constexpr std::vector<std::size_t> candidates(std::size_t i) const {
    const first_key k = key_of(i);
    first_key wants[4] = {k, k, {qualifier_kind::any, {}, k.first}, {qualifier_kind::any, {}, "*"}};
    wants[1].first = "*";
    std::vector<std::size_t> out;
    for (const first_key& want : wants) {
      auto it = std::lower_bound(by_first_.begin(), by_first_.end(), want,
                                 [&](std::size_t e, const first_key& w) { return key_of(e) < w; });
      for (; it != by_first_.end() && !(want < key_of(*it)); ++it)
        if (*it != i) out.push_back(*it);
    }
    std::sort(out.begin(), out.end());  // index order, as the full scan had: the same findings
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  // True when `op` is granted on entry i itself or on an entry whose pattern contains it.
  [[nodiscard]] constexpr bool granted_over(std::size_t i, operation op) const {
    if (cap_.ops(i).contains(op)) return true;
    for (const std::size_t j : candidates(i))
      if (cap_.ops(j).contains(op) && contains(cap_.pattern_at(j), cap_.pattern_at(i))) return true;
    return false;
  }

  constexpr void check(std::size_t i) {
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
    std::string_view best;
    std::size_t best_d = 3;
    for (std::string_view q : known_qualifiers) {
      const std::size_t d = edit_distance(p.qualifier, q, 2);
      if (d < best_d) best_d = d, best = q;
    }
    if (!best.empty())
      f.fix_text.append("did you mean '[").append(best).append("]'?");
    else
      f.fix_text.append("use [queue], [meta], [filter], [*] or no qualifier");
  }

  constexpr void shadowed(std::size_t i, const pattern& p, op_set ops) {
    for (const std::size_t j : candidates(i)) {
      const std::uint32_t mine = ops.granted_bits(), theirs = cap_.ops(j).granted_bits();
      if ((mine & theirs) != mine) continue;
      const pattern q = cap_.pattern_at(j);
      if (!contains(q, p)) continue;
      // Two entries that shadow each other (same names, same ops): keep the one in normal
      // form (no qualifier params), then the earlier one, and report only the other.
      if (mine == theirs && contains(p, q)) {
        const bool i_normal = is_normal(i), j_normal = is_normal(j);
        if (i_normal != j_normal ? i_normal : cap_.source_offset(i) < cap_.source_offset(j)) continue;
      }
      auto& f = add(i, lint_code::shadowed);
      f.message_text.append("shadowed by ").append_quoted(cap_.resource(j)).append(" (at byte ")
          .append_number(cap_.source_offset(j))
          .append("), which matches every name this does and grants all its operations; there is no precedence or deny");
      f.fix_text.append("remove this entry, or narrow ").append_quoted(cap_.resource(j))
          .append(" if this entry was meant to restrict access");
      return;
    }
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
  std::vector<std::size_t> by_first_;  // entries sorted by first_key (then index)
  std::vector<lint_finding> out_;
};

}  // namespace detail

/// Findings about `cap`, in document order (by resource offset), each entry's findings in
/// lint_code order. Resource views point into `cap`. An empty vector means nothing to report.
[[nodiscard]] constexpr std::vector<lint_finding> lint(const capability& cap) {
  return detail::linter(cap).run();
}

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
  for (char c : f.resource) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      constexpr char hex[] = "0123456789ABCDEF";
      s.append("\\u00").append(1, hex[u >> 4]).append(1, hex[u & 15]);
    } else {
      s += c;
    }
  }
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

[[nodiscard]] constexpr bool contains(std::string_view s, std::string_view part) noexcept {
  return s.find(part) != std::string_view::npos;
}

// The hint: the part of the message after the excerpt that does not depend on the input.
// Each row writes its literal in the call itself (not through a macro or a variable), so
// that g++ shows it: g++ prints the calls that led to the error as source text.
constexpr char report_with_hint(const char* what, std::string_view m, std::uint32_t at) noexcept {
  if (contains(m, "did you mean 'annotation-publish'?"))
    return capability_literal_error(what, "did you mean 'annotation-publish'?", at);
  if (contains(m, "did you mean 'annotation-subscribe'?"))
    return capability_literal_error(what, "did you mean 'annotation-subscribe'?", at);
  if (contains(m, "did you mean 'channel-metadata'?"))
    return capability_literal_error(what, "did you mean 'channel-metadata'?", at);
  if (contains(m, "did you mean 'history'?"))
    return capability_literal_error(what, "did you mean 'history'?", at);
  if (contains(m, "did you mean 'message-delete-any'?"))
    return capability_literal_error(what, "did you mean 'message-delete-any'?", at);
  if (contains(m, "did you mean 'message-delete-own'?"))
    return capability_literal_error(what, "did you mean 'message-delete-own'?", at);
  if (contains(m, "did you mean 'message-update-any'?"))
    return capability_literal_error(what, "did you mean 'message-update-any'?", at);
  if (contains(m, "did you mean 'message-update-own'?"))
    return capability_literal_error(what, "did you mean 'message-update-own'?", at);
  if (contains(m, "did you mean 'object-publish'?"))
    return capability_literal_error(what, "did you mean 'object-publish'?", at);
  if (contains(m, "did you mean 'object-subscribe'?"))
    return capability_literal_error(what, "did you mean 'object-subscribe'?", at);
  if (contains(m, "did you mean 'presence'?"))
    return capability_literal_error(what, "did you mean 'presence'?", at);
  if (contains(m, "did you mean 'privileged-headers'?"))
    return capability_literal_error(what, "did you mean 'privileged-headers'?", at);
  if (contains(m, "did you mean 'publish'?"))
    return capability_literal_error(what, "did you mean 'publish'?", at);
  if (contains(m, "did you mean 'push-admin'?"))
    return capability_literal_error(what, "did you mean 'push-admin'?", at);
  if (contains(m, "did you mean 'push-subscribe'?"))
    return capability_literal_error(what, "did you mean 'push-subscribe'?", at);
  if (contains(m, "did you mean 'stats'?"))
    return capability_literal_error(what, "did you mean 'stats'?", at);
  if (contains(m, "did you mean 'subscribe'?"))
    return capability_literal_error(what, "did you mean 'subscribe'?", at);
  if (contains(m, "expected an operation such as 'subscribe' or 'publish', or '*' for all"))
    return capability_literal_error(what, "expected an operation such as 'subscribe' or 'publish', or '*' for all", at);
  if (contains(m, "expected a JSON object"))
    return capability_literal_error(what, "expected a JSON object", at);
  if (contains(m, "expected a string")) return capability_literal_error(what, "expected a string", at);
  if (contains(m, "expected ':' after the resource name"))
    return capability_literal_error(what, "expected ':' after the resource name", at);
  if (contains(m, "expected an array of operations"))
    return capability_literal_error(what, "expected an array of operations", at);
  if (contains(m, "expected an operation name string"))
    return capability_literal_error(what, "expected an operation name string", at);
  if (contains(m, "expected ',' or ']'")) return capability_literal_error(what, "expected ',' or ']'", at);
  if (contains(m, "expected ',' or '}'")) return capability_literal_error(what, "expected ',' or '}'", at);
  if (contains(m, "found a string")) return capability_literal_error(what, "found a string", at);
  if (contains(m, "found an object")) return capability_literal_error(what, "found an object", at);
  if (contains(m, "found an array")) return capability_literal_error(what, "found an array", at);
  if (contains(m, "found a boolean")) return capability_literal_error(what, "found a boolean", at);
  if (contains(m, "found null")) return capability_literal_error(what, "found null", at);
  if (contains(m, "found a number")) return capability_literal_error(what, "found a number", at);
  return capability_literal_error(what, "", at);
}

/// Turns a parse error into a compile error that shows the error's key phrase (a piece of
/// its message that does not depend on the input), its hint, and its byte offset.
constexpr char report_literal_error(const error& e) noexcept {
  const std::string_view m = e.message();
  const std::uint32_t at = e.offset();
  switch (e.code()) {
    case errc::duplicate_resource: return report_with_hint("resource listed twice", m, at);
    case errc::duplicate_operation: return report_with_hint("operation listed twice for resource", m, at);
    case errc::limit_exceeded:
      if (contains(m, "(capmatch::max_document_bytes)"))
        return report_with_hint("(capmatch::max_document_bytes)", m, at);
      if (contains(m, "(capmatch::max_resources)"))
        return report_with_hint("(capmatch::max_resources)", m, at);
      if (contains(m, "(capmatch::max_resource_bytes)"))
        return report_with_hint("(capmatch::max_resource_bytes)", m, at);
      if (contains(m, "(capmatch::max_segments)")) return report_with_hint("(capmatch::max_segments)", m, at);
      return report_with_hint("limit exceeded (capmatch/limits.hpp)", m, at);
    default: break;
  }
  // JSON syntax
  if (contains(m, "empty input")) return report_with_hint("empty input", m, at);
  if (contains(m, "byte order mark")) return report_with_hint("byte order mark", m, at);
  if (contains(m, "unexpected end of input")) return report_with_hint("unexpected end of input", m, at);
  if (contains(m, "unexpected character")) return report_with_hint("unexpected character", m, at);
  if (contains(m, "unexpected byte")) return report_with_hint("unexpected byte", m, at);
  if (contains(m, "unterminated string")) return report_with_hint("unterminated string", m, at);
  if (contains(m, "unterminated escape")) return report_with_hint("unterminated escape", m, at);
  if (contains(m, "invalid \\u escape")) return report_with_hint("invalid \\u escape", m, at);
  if (contains(m, "invalid escape")) return report_with_hint("invalid escape", m, at);
  if (contains(m, "lone surrogate")) return report_with_hint("lone surrogate", m, at);
  if (contains(m, "invalid UTF-8")) return report_with_hint("invalid UTF-8", m, at);
  if (contains(m, "control character")) return report_with_hint("control character", m, at);
  if (contains(m, "trailing characters after the capability"))
    return report_with_hint("trailing characters after the capability", m, at);
  // Capability structure
  if (contains(m, "a capability must be a JSON object"))
    return report_with_hint("a capability must be a JSON object", m, at);
  if (contains(m, "must be an array of strings"))
    return report_with_hint("must be an array of strings", m, at);
  if (contains(m, "must be strings")) return report_with_hint("must be strings", m, at);
  if (contains(m, "empty operation list for resource"))
    return report_with_hint("empty operation list for resource", m, at);
  if (contains(m, "unknown operation")) return report_with_hint("unknown operation", m, at);
  if (contains(m, "'*' must be the only operation for resource"))
    return report_with_hint("'*' must be the only operation for resource", m, at);
  // Resource patterns
  if (contains(m, "empty resource")) return report_with_hint("empty resource", m, at);
  if (contains(m, "contains U+0000")) return report_with_hint("contains U+0000", m, at);
  if (contains(m, "has '[' without a closing ']'"))
    return report_with_hint("has '[' without a closing ']'", m, at);
  if (contains(m, "has '[' inside its qualifier"))
    return report_with_hint("has '[' inside its qualifier", m, at);
  if (contains(m, "has an empty qualifier; write [queue], [meta], [*] or no brackets"))
    return report_with_hint("has an empty qualifier; write [queue], [meta], [*] or no brackets", m, at);
  if (contains(m, "has a qualifier but no channel name after it; follow it with '*' for every such channel"))
    return report_with_hint("has a qualifier but no channel name after it; follow it with '*' for every such channel", m, at);
  if (contains(m, "has more than one qualifier"))
    return report_with_hint("has more than one qualifier", m, at);
  return report_with_hint("invalid capability", m, at);
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
/// capability::parse reports (SEMANTICS §1) is a compile error naming the error and its
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

  /// The canonical JSON text (SEMANTICS §1.5), pointing into this object.
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

/// The effective capability of key ∩ request (SEMANTICS §4), for literals; usable in
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
using static_matcher_type = fixed_matcher<static_matcher_shape<Cap>.states, static_matcher_shape<Cap>.edges,
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
