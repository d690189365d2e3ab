// Tests for operation.hpp: the 17 operations (docs/semantics.md §1.2), their names, op_set and the
// "unknown operation" messages.
#include <capmatch/operation.hpp>
#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "support.hpp"

using namespace capmatch;
using capmatch_test::describe;

namespace {

constexpr std::string_view spec_operations[] = {
    "subscribe",          "publish",          "presence",           "history",
    "stats",              "push-subscribe",   "push-admin",         "channel-metadata",
    "privileged-headers", "object-subscribe", "object-publish",     "annotation-subscribe",
    "annotation-publish", "message-update-own", "message-update-any", "message-delete-own",
    "message-delete-any",
};

constexpr bool every_spec_operation_parses_and_round_trips() {
  for (std::string_view n : spec_operations) {
    const auto op = parse_operation(n);
    if (!op || name_of(*op) != n) return false;
  }
  return true;
}

constexpr bool names_strictly_ascending() {
  for (std::size_t i = 1; i < operation_count; ++i)
    if (!(name_of(static_cast<operation>(i - 1)) < name_of(static_cast<operation>(i)))) return false;
  return true;
}

constexpr capmatch_test::text unknown(std::string_view name, std::uint32_t at = 0) {
  const auto r = parse_operation(name, at);
  if (r) return capmatch_test::text{}.put("parsed as ").put(name_of(*r));
  return describe(r.error());
}

constexpr std::size_t count_names(op_set s) {
  std::size_t n = 0;
  s.for_each_name([&](std::string_view) { ++n; });
  return n;
}

}  // namespace

TEST_CASE("§1.2 there are exactly 17 operations and each name parses to itself") {
  static_assert(sizeof spec_operations / sizeof spec_operations[0] == 17);
  static_assert(operation_count == 17);
  CM_BOTH(every_spec_operation_parses_and_round_trips());
  // Distinct: 17 names parse to 17 different enumerators.
  std::uint32_t seen = 0;
  for (std::string_view n : spec_operations) seen |= op_set(parse_operation(n).value()).bits();
  CHECK(seen == op_set::op_mask);
}

TEST_CASE("§1.5 operation enumerators are in ascending byte order of their names (canonical op order)") {
  CM_BOTH(names_strictly_ascending());
  CM_BOTH(name_of(operation::push_admin) == "push-admin");
  CM_BOTH(name_of(operation::annotation_publish) == "annotation-publish");
  CM_BOTH(name_of(operation::subscribe) == "subscribe");
}

TEST_CASE("§1.2 operation names are exact and case-sensitive; '*' is not an operation") {
  CM_BOTH(!parse_operation("Subscribe"));
  CM_BOTH(!parse_operation("subscribe "));
  CM_BOTH(!parse_operation(""));
  CM_BOTH(!parse_operation("*"));
  CM_BOTH(parse_operation("*").error().code() == errc::unknown_operation);
}

TEST_CASE("§1.3 unknown operation: exact messages, offsets and suggestions") {
  // A typo a person makes: same letters, wrong case.
  CM_TEXT(unknown("Publish", 14),
          "unknown_operation 40000/400 at 14: unknown operation 'Publish' at byte 14; operations are "
          "lower-case, did you mean 'publish'?");
  // docs/semantics.md §1.3's other example: one character too many.
  CM_TEXT(unknown("publish_", 3),
          "unknown_operation 40000/400 at 3: unknown operation 'publish_' at byte 3; did you mean 'publish'?");
  // '_' for '-' is the usual slip.
  CM_TEXT(unknown("push_admin"),
          "unknown_operation 40000/400 at 0: unknown operation 'push_admin' at byte 0; did you mean 'push-admin'?");
  CM_TEXT(unknown("PUSH_ADMIN", 7),
          "unknown_operation 40000/400 at 7: unknown operation 'PUSH_ADMIN' at byte 7; operations are "
          "lower-case, did you mean 'push-admin'?");
  // A typo within edit distance 2.
  CM_TEXT(unknown("subscrbe", 2),
          "unknown_operation 40000/400 at 2: unknown operation 'subscrbe' at byte 2; did you mean 'subscribe'?");
  CM_TEXT(unknown("presense"),
          "unknown_operation 40000/400 at 0: unknown operation 'presense' at byte 0; did you mean 'presence'?");
  // Nothing close: say what an operation looks like.
  CM_TEXT(unknown("xyz", 9),
          "unknown_operation 40000/400 at 9: unknown operation 'xyz' at byte 9; expected an operation such as "
          "'subscribe' or 'publish', or '*' for all");
  CM_TEXT(unknown(""),
          "unknown_operation 40000/400 at 0: unknown operation '' at byte 0; expected an operation such as "
          "'subscribe' or 'publish', or '*' for all");
  // "*" is not an operation: it stands for all of them in a capability's list.
  CM_TEXT(unknown("*", 3),
          "unknown_operation 40000/400 at 3: unknown operation '*' at byte 3; '*' stands for every operation and is "
          "not one itself: name one, such as 'subscribe'");
}

TEST_CASE("unknown operation: long names are clipped in the message and control characters shown") {
  // 60 bytes: quoted up to 48 and marked "...".
  const std::string long_op(60, 'q');
  const auto r = parse_operation(long_op, 1);
  REQUIRE(!r);
  CHECK(std::string(r.error().message()) ==
        "unknown operation '" + std::string(48, 'q') +
            "...' at byte 1; expected an operation such as 'subscribe' or 'publish', or '*' for all");
  // A newline inside the name must not break the one-line message.
  CM_TEXT(unknown("pub\nlish"),
          "unknown_operation 40000/400 at 0: unknown operation 'pub\\u000Alish' at byte 0; did you mean 'publish'?");
}

TEST_CASE("§12 only stats and push-admin are app-wide operations") {
  CM_BOTH(is_app_wide(operation::stats));
  CM_BOTH(is_app_wide(operation::push_admin));
  std::size_t app_wide = 0;
  for (std::size_t i = 0; i < operation_count; ++i) app_wide += is_app_wide(static_cast<operation>(i));
  CHECK(app_wide == 2);
  CM_BOTH(!is_app_wide(operation::channel_metadata));
  CM_BOTH(!is_app_wide(operation::push_subscribe));
}

TEST_CASE("op_set: empty, single, insert, contains, size") {
  constexpr op_set none;
  CM_BOTH(none.empty());
  CM_BOTH(none.size() == 0);
  CM_BOTH(!none.contains(operation::publish));
  constexpr op_set one = operation::publish;
  CM_BOTH(!one.empty());
  CM_BOTH(one.size() == 1);
  CM_BOTH(one.contains(operation::publish));
  CM_BOTH(!one.contains(operation::subscribe));
  constexpr op_set two = op_set(operation::publish).insert(operation::subscribe);
  CM_BOTH(two.size() == 2);
  CM_BOTH(two.contains(operation::subscribe));
  CM_BOTH(two.contains(operation::publish));
  CM_BOTH(!two.is_all());
  CM_BOTH(two.granted_bits() == two.bits());
}

TEST_CASE("§1.2 op_set::all() is written [\"*\"], grants every operation, and differs from all 17 listed") {
  constexpr op_set all = op_set::all();
  CM_BOTH(all.is_all());
  CM_BOTH(all.size() == 1);
  CM_BOTH(!all.empty());
  CM_BOTH(all.granted_bits() == op_set::op_mask);
  for (std::size_t i = 0; i < operation_count; ++i) CHECK(all.contains(static_cast<operation>(i)));
  constexpr op_set listed = op_set::from_bits(op_set::op_mask);
  CM_BOTH(!listed.is_all());
  CM_BOTH(listed.size() == 17);
  // Canonical text keeps ["*"] as ["*"]: the two sets are not equal as written.
  CM_BOTH(listed != all);
  CM_BOTH(count_names(all) == 1);
  CM_BOTH(count_names(listed) == 17);
  // from_bits drops bits that name nothing.
  CM_BOTH(op_set::from_bits(0xFFFFFFFFu).bits() == (op_set::op_mask | op_set::star_bit));
}

TEST_CASE("op_set names come out in canonical (ascending) order, ['*'] as '*'") {
  const op_set s = op_set(operation::subscribe).insert(operation::presence).insert(operation::publish);
  std::vector<std::string> names;
  s.for_each_name([&](std::string_view n) { names.emplace_back(n); });
  CHECK(names == std::vector<std::string>{"presence", "publish", "subscribe"});
  names.clear();
  op_set::all().for_each_name([&](std::string_view n) { names.emplace_back(n); });
  CHECK(names == std::vector<std::string>{"*"});
}

TEST_CASE("§15 op intersection: [*] ∩ X = X, X ∩ [*] = X, [*] ∩ [*] = [*]; union: [*] absorbs") {
  constexpr op_set star = op_set::all();
  constexpr op_set ps = op_set(operation::publish).insert(operation::subscribe);
  constexpr op_set sh = op_set(operation::subscribe).insert(operation::history);
  CM_BOTH((star & ps) == ps);
  CM_BOTH((ps & star) == ps);
  CM_BOTH((star & star) == star);
  CM_BOTH((ps & sh) == op_set(operation::subscribe));
  CM_BOTH((ps & op_set(operation::history)).empty());
  CM_BOTH((ps | sh).size() == 3);
  CM_BOTH((ps | star) == star);
  CM_BOTH((star | ps) == star);
  CM_BOTH((op_set() | op_set()).empty());
}
