// capmatch — the 17 operations and op_set.
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "detail/suggest.hpp"
#include "error.hpp"
#include "version.hpp"

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
