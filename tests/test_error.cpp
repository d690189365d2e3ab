#include <capmatch/capability.hpp>
#include <capmatch/error.hpp>
#include <capmatch/pattern.hpp>
#include <doctest/doctest.h>

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "random.hpp"

using namespace capmatch;

TEST_CASE("error codes map to Ably codes and HTTP statuses") {
  static_assert(ably_code(errc::unknown_operation) == 40000 && http_status(errc::unknown_operation) == 400);
  static_assert(ably_code(errc::empty_intersection) == 40160 && http_status(errc::empty_intersection) == 401);
  CHECK(error(errc::capability_denied, no_offset).ably_code() == 40160);
  CHECK(error(errc::invalid_json, 3).status_code() == 400);
  CHECK(name_of(errc::duplicate_resource) == "duplicate_resource");
}

TEST_CASE("messages quote input on one line and clip long excerpts") {
  error e(errc::invalid_json, 7);
  e.append("bad ").append_quoted("a\nb").append_at();
  CHECK(e.message() == "bad 'a\\u000Ab' at byte 7");
  error long_one(errc::invalid_json, 0);
  long_one.append_quoted(std::string_view("0123456789012345678901234567890123456789012345678901234567890"));
  CHECK(long_one.message() == "'012345678901234567890123456789012345678901234567...'");
}

namespace {
constexpr std::string_view decimal_of(std::uint64_t v, char (&buf)[20]) { return {buf, static_cast<std::size_t>(detail::write_decimal(v, buf) - buf)}; }
std::string to_chars_text(std::uint64_t v) {
  char b[24];
  return std::string(b, static_cast<std::size_t>(std::to_chars(b, b + sizeof b, v).ptr - b));
}
}  // namespace

TEST_CASE("decimal digits: the eight-at-a-time writer equals std::to_chars at every length and boundary") {
  // constant evaluation takes the digit-by-digit loop
  static_assert([] { char b[20]{}; return decimal_of(0, b) == "0"; }());
  static_assert([] { char b[20]{}; return decimal_of(18446744073709551615ull, b) == "18446744073709551615"; }());
  static_assert(detail::eight_digits(12345678) == 0x0807060504030201ull && detail::eight_digits(0) == 0);
  // eight_digits: every value below 10^6 and a spread of the rest up to 10^8 - 1
  for (std::uint32_t x = 0; x < 1'000'000; ++x) {
    const std::uint64_t d = detail::eight_digits(x);
    std::uint32_t back = 0;
    for (unsigned j = 0; j < 8; ++j) back = back * 10 + static_cast<std::uint32_t>(d >> (8 * j) & 0xFF);
    if (back != x) FAIL_CHECK("eight_digits(" << x << ") reads back as " << back);
  }
  // write_decimal: 0, every power of ten and its neighbours, 2^k and its neighbours, 2^64 - 1,
  // and random values of every digit count (with guard bytes beyond the 20 it may write)
  std::vector<std::uint64_t> values{0, 18446744073709551615ull, 99'999'999, 100'000'000, 9'999'999'999'999'999ull,
                                    10'000'000'000'000'000ull, 1'764'547'200'000ull};
  for (std::uint64_t p = 1; p <= 1'000'000'000'000'000'000ull; p *= 10) values.insert(values.end(), {p - 1, p, p + 1});
  for (unsigned k = 0; k < 64; ++k) {
    const std::uint64_t p = std::uint64_t{1} << k;
    values.insert(values.end(), {p - 1, p, p + 1});
  }
  capmatch_test::splitmix64 rng{0xdec1'3a1};
  for (int i = 0; i < 200'000; ++i) values.push_back(rng.next() >> rng.below(64));
  for (const std::uint64_t v : values) {
    char buf[28];
    std::fill(std::begin(buf), std::end(buf), '#');
    const char* end = detail::write_decimal(v, buf);
    const std::string want = to_chars_text(v);
    if (std::string_view(buf, static_cast<std::size_t>(end - buf)) != want) FAIL_CHECK(v << " written as " << std::string_view(buf, static_cast<std::size_t>(end - buf)));
    if (std::string_view(buf + 20, 8) != "########") FAIL_CHECK(v << " wrote beyond 20 bytes");
  }
  CHECK(error(errc::invalid_json, 0).append_number(1'764'547'200'123ull).message() == "1764547200123");
}

TEST_CASE("result holds a value or an error") {
  constexpr result<int> ok = 5;
  static_assert(ok.has_value() && ok.value() == 5);
  constexpr result<int> bad = error(errc::empty_input, 0, "empty");
  static_assert(!bad && bad.error().code() == errc::empty_input);
  CHECK(bad.error().message() == "empty");
}

namespace {
constexpr bool codes_are_consistent() {
  // Every error from empty_input to limit_exceeded is an invalid request (40000/400); the two
  // authorization errors are 40160/401 (docs/semantics.md §1.3, §13, §17); ok is 0.
  for (auto e = static_cast<int>(errc::empty_input); e <= static_cast<int>(errc::limit_exceeded); ++e)
    if (ably_code(static_cast<errc>(e)) != 40000 || http_status(static_cast<errc>(e)) != 400) return false;
  return ably_code(errc::capability_denied) == 40160 && http_status(errc::capability_denied) == 401 &&
         ably_code(errc::empty_intersection) == 40160 && http_status(errc::empty_intersection) == 401 &&
         ably_code(errc::ok) == 0 && http_status(errc::ok) == 0;
}
constexpr bool names_are_distinct() {
  constexpr int last = static_cast<int>(errc::empty_intersection);
  for (int a = 0; a <= last; ++a) {
    if (name_of(static_cast<errc>(a)) == "unknown") return false;
    for (int b = a + 1; b <= last; ++b)
      if (name_of(static_cast<errc>(a)) == name_of(static_cast<errc>(b))) return false;
  }
  return true;
}
}  // namespace

TEST_CASE("§13/§17 every error kind has its Ably code, HTTP status and a distinct stable name") {
  static_assert(codes_are_consistent());
  CHECK(codes_are_consistent());
  static_assert(names_are_distinct());
  CHECK(names_are_distinct());
  CHECK(name_of(errc::wildcard_not_alone) == "wildcard_not_alone");
  CHECK(error(errc::capability_denied, no_offset).status_code() == 401);
  CHECK(!error(errc::empty_intersection, no_offset).has_offset());
}

namespace {
// A value type with no default constructor.
struct no_default {
  int v;
  constexpr explicit no_default(int x) noexcept : v(x) {}
};
// A move-only value type that counts the moves and copies it sees (none may be copies).
struct move_only {
  int v = 0;
  int moves = 0;
  constexpr explicit move_only(int x) noexcept : v(x) {}
  constexpr move_only(move_only&& o) noexcept : v(o.v), moves(o.moves + 1) { o.v = -1; }
  constexpr move_only& operator=(move_only&& o) noexcept {
    v = o.v, moves = o.moves + 1, o.v = -1;
    return *this;
  }
  move_only(const move_only&) = delete;
  move_only& operator=(const move_only&) = delete;
};
// A value type that owns heap memory (a non-trivial destructor), as capability does.
struct owns {
  int* p;
  constexpr explicit owns(int x) : p(new int(x)) {}
  constexpr owns(const owns& o) : p(new int(*o.p)) {}
  constexpr owns& operator=(const owns& o) {
    *p = *o.p;
    return *this;
  }
  constexpr ~owns() { delete p; }
};

constexpr error some_error() { return error(errc::invalid_json, 4, "bad"); }

constexpr bool no_default_works() {
  result<no_default> r = no_default(7);
  result<no_default> e = some_error();
  return r.has_value() && r->v == 7 && !e && e.error().offset() == 4 && e.value_or(no_default(3)).v == 3;
}
constexpr bool moves_out() {
  result<move_only> r(std::in_place, 5);
  const int before = r->moves;
  move_only m = *std::move(r);  // moved, not copied (a copy would not compile)
  move_only n = std::move(r).value();
  return m.v == 5 && m.moves == before + 1 && n.v == -1 && n.moves == m.moves;
}
constexpr bool owning_values_switch_sides() {
  // Assignment between value and error destroys and constructs the right member; a leak or a
  // double delete fails constant evaluation.
  result<owns> r = owns(1);
  r = some_error();
  if (r.has_value() || r.error().message() != "bad") return false;
  r = owns(2);
  result<owns> copy = r;
  r = owns(3);
  return *copy->p == 2 && *r->p == 3;
}
constexpr bool monadic_operations() {
  const result<int> five = 5;
  const result<int> bad = some_error();
  auto half = [](int v) -> result<int> { return v % 2 == 0 ? result<int>(v / 2) : result<int>(error(errc::invalid_json, 0, "odd")); };
  auto twice = [](int v) { return 2 * v; };
  auto recover = [](const error& e) -> result<int> { return static_cast<int>(e.offset()); };
  return five.and_then(half).error().message() == "odd" && five.transform(twice).and_then(half).value() == 5 &&
         bad.and_then(half).error().message() == "bad" && bad.transform(twice).error().offset() == 4 &&
         bad.or_else(recover).value() == 4 && five.or_else(recover).value() == 5 && bad.value_or(9) == 9 &&
         five.value_or(9) == 5 && five.transform([](int v) { return v > 4; }).value();
}
constexpr bool void_results() {
  const result<void> ok;
  const result<void> bad = some_error();
  auto next = [] { return result<int>(1); };
  return ok.has_value() && !bad && bad.error().code() == errc::invalid_json && ok.and_then(next).value() == 1 &&
         bad.and_then(next).error().message() == "bad" &&
         bad.or_else([](const error&) { return result<void>(); }).has_value();
}
}  // namespace

TEST_CASE("result is a discriminated union shaped like std::expected") {
  static_assert(no_default_works());
  CHECK(no_default_works());
  static_assert(moves_out());
  CHECK(moves_out());
  static_assert(owning_values_switch_sides());
  CHECK(owning_values_switch_sides());
  static_assert(monadic_operations());
  CHECK(monadic_operations());
  static_assert(void_results());
  CHECK(void_results());
  // The value and the error share storage: a result is no bigger than the larger of the two plus a flag.
  static_assert(sizeof(result<std::uint8_t>) <= sizeof(error) + alignof(error));
  static_assert(!std::is_default_constructible_v<result<int>>);
}

namespace {
// The reason and hint of the error parse reports for `text`.
constexpr std::pair<error_reason, error_hint> why(std::string_view text) {
  const auto r = capability::parse(text);
  return {r.error().reason(), r.error().hint()};
}
constexpr bool reasons_are_set_where_raised() {
  using R = error_reason;
  using H = error_hint;
  return why("") == std::pair(R::empty_input, H::none) && why("{\"a\":[\"Publish\"]}") == std::pair(R::unknown_operation, H::did_you_mean_publish) &&
         why("{\"a\":[\"xyzzy\"]}") == std::pair(R::unknown_operation, H::name_an_operation) &&
         why("{\"a\" [") == std::pair(R::unexpected_character, H::expected_colon) &&
         why("{\"a\":") == std::pair(R::unexpected_end, H::expected_operations) &&
         why("[1]") == std::pair(R::not_an_object, H::found_array) &&
         why("{\"a\":[1]}") == std::pair(R::operation_not_string, H::found_number) &&
         why("{\"[x\":[\"*\"]}") == std::pair(R::unclosed_qualifier, H::none) &&
         why("{\"[q]\":[\"*\"]}") == std::pair(R::qualifier_without_name, H::none) &&
         why("{\"a\":[\"*\"],\"a\":[\"*\"]}") == std::pair(R::duplicate_resource, H::none) &&
         parse_name("a::b").error().reason() == R::empty_segment && parse_name("[*]a").error().reason() == R::any_qualifier_in_name;
}
constexpr bool every_reason_has_its_code() {
  // Every reason but unspecified maps to an error code other than ok, and the JSON syntax
  // reasons (empty_input .. trailing_characters) to the JSON syntax codes.
  for (int r = 1; r <= static_cast<int>(error_reason::empty_intersection); ++r) {
    const errc c = code_of(static_cast<error_reason>(r));
    if (c == errc::ok) return false;
    if (r <= static_cast<int>(error_reason::trailing_characters) && c > errc::trailing_characters) return false;
  }
  return code_of(error_reason::unspecified) == errc::ok;
}
}  // namespace

TEST_CASE("errors carry a stable reason and hint set where they are raised") {
  static_assert(reasons_are_set_where_raised());
  CHECK(reasons_are_set_where_raised());
  static_assert(every_reason_has_its_code());
  CHECK(every_reason_has_its_code());
  // The fixed values are part of the contract: appended only.
  static_assert(static_cast<int>(error_reason::empty_intersection) == 39);
  static_assert(static_cast<int>(error_hint::did_you_mean_subscribe) == 35);
}
