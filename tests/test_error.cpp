#include <capmatch/error.hpp>
#include <doctest/doctest.h>

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
  // authorization errors are 40160/401 (SEMANTICS §1.3, §13, §17); ok is 0.
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
