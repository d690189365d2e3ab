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
