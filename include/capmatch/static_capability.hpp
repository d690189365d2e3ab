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
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "capability.hpp"
#include "error.hpp"
#include "intersect.hpp"
#include "matcher.hpp"
#include "operation.hpp"
#include "version.hpp"

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
