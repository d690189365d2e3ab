// Token revocation (docs/semantics.md §27): targets, requests and their JSON body, the Basic
// authorization header, and the revocation list (verbatim channel targets, issuedBefore,
// allowReauthMargin, expiry, concurrent readers).
#include <capmatch/revocation.hpp>
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "random.hpp"

using namespace capmatch;

// A counting operator new for this test runner: bytes live and bytes ever allocated, so that tests
// can measure what a revocation list holds and what an update allocates (no timing).
namespace {
std::atomic<std::int64_t> g_live{0};
std::atomic<std::uint64_t> g_allocated{0};
constexpr std::size_t alloc_header = alignof(std::max_align_t);  // the block size, kept before the block
}  // namespace

[[gnu::noinline]] void* operator new(std::size_t n) {
  void* p = std::malloc(n + alloc_header);
  if (p == nullptr) {
#if defined(__cpp_exceptions)
    throw std::bad_alloc();
#else
    std::abort();
#endif
  }
  std::memcpy(p, &n, sizeof n);
  g_live.fetch_add(static_cast<std::int64_t>(n), std::memory_order_relaxed);
  g_allocated.fetch_add(n, std::memory_order_relaxed);
  return static_cast<char*>(p) + alloc_header;
}
[[gnu::noinline]] void operator delete(void* p) noexcept {
  if (p == nullptr) return;
  char* block = static_cast<char*>(p) - alloc_header;
  std::size_t n = 0;
  std::memcpy(&n, block, sizeof n);
  g_live.fetch_sub(static_cast<std::int64_t>(n), std::memory_order_relaxed);
  std::free(block);
}
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete[](void* p) noexcept { operator delete(p); }
void operator delete[](void* p, std::size_t) noexcept { operator delete(p); }

namespace {
constexpr std::int64_t now = 1'700'000'000'000;  // an arbitrary receiver clock, ms
constexpr std::int64_t hour = 3'600'000;

std::string msg(const error& e) { return std::string(e.message()); }

capability cap_of(std::string_view json) {
  auto c = capability::parse(json);
  REQUIRE(c.has_value());
  return *c;
}

revocation_request request(std::initializer_list<std::string_view> targets, std::int64_t at,
                           std::optional<std::int64_t> issued_before = std::nullopt, bool margin = false) {
  auto r = make_revocation_request(targets, at, issued_before, margin);
  REQUIRE_MESSAGE(r.has_value(), (r.has_value() ? std::string() : msg(r.error())));  // -s stringifies it on success too
  return *r;
}

std::string target_list(std::size_t n) {
  std::string body = "{\"targets\":[";
  for (std::size_t i = 0; i < n; ++i) body += (i ? ",\"clientId:c" : "\"clientId:c") + std::to_string(i) + "\"";
  return body + "]}";
}
}  // namespace

TEST_CASE("revocation target: split at the first ':', the value may contain ':'") {
  struct row {
    std::string_view text;
    revocation_target_kind kind;
    std::string_view value;
  };
  for (const row& r : {row{"clientId:bob", revocation_target_kind::client_id, "bob"},
                       row{"clientId:a:b", revocation_target_kind::client_id, "a:b"},
                       row{"revocationKey:users:42", revocation_target_kind::revocation_key, "users:42"},
                       row{"channel:foo:*", revocation_target_kind::channel, "foo:*"},
                       row{"channel:[queue]app:q", revocation_target_kind::channel, "[queue]app:q"},
                       row{"channel:*", revocation_target_kind::channel, "*"}}) {
    CAPTURE(r.text);
    auto t = parse_revocation_target(r.text);
    REQUIRE(t.has_value());
    CHECK(t->kind == r.kind);
    CHECK(t->value == r.value);
    CHECK(t->to_string() == r.text);
  }
}

TEST_CASE("revocation target: errors") {
  struct row {
    std::string_view text, message;
    errc code = errc::invalid_revocation_request;
  };
  const std::string long_value = "clientId:" + std::string(2049, 'x');
  for (const row& r : {
           row{"bob", "revocation target 'bob' has no ':'; expected clientId:<id>, revocationKey:<key> or channel:<resource>"},
           row{"clientId:", "revocation target 'clientId:' has an empty value; expected clientId:<value>"},
           row{"channel:", "revocation target 'channel:' has an empty value; expected channel:<value>"},
           row{"user:bob", "unknown revocation target type 'user'; expected clientId, revocationKey or channel"},
           row{":bob", "unknown revocation target type ''; expected clientId, revocationKey or channel"},
           row{"ClientId:bob", "unknown revocation target type 'ClientId'; expected clientId, revocationKey or channel "
                               "(types are case-sensitive: did you mean 'clientId'?)"},
           row{"clientId:a\nb", "revocation target 'clientId:a\\u000Ab' contains a control character"},
           row{"clientId:a\xff", "revocation target 'clientId:a\\xFF' is not valid UTF-8"},
           row{"channel:[foo", "channel target 'channel:[foo' is not a capability resource (resource '[foo' at byte 0 has "
                               "'[' without a closing ']')"},
           row{long_value, "revocation target value of 2049 bytes exceeds the limit of 2048 bytes "
                           "(capmatch::max_revocation_value_bytes)",
               errc::limit_exceeded},
       }) {
    CAPTURE(r.text);
    auto t = parse_revocation_target(r.text);
    REQUIRE_FALSE(t.has_value());
    CHECK(t.error().code() == r.code);
    CHECK(t.error().ably_code() == 40000);
    CHECK(msg(t.error()) == r.message);
  }
  auto exact = parse_revocation_target("clientId:" + std::string(2048, 'x'));
  CHECK(exact.has_value());
}

TEST_CASE("revocation request: 1 to 100 distinct targets") {
  std::vector<std::string> texts;
  for (int i = 0; i < 101; ++i) texts.push_back("clientId:c" + std::to_string(i));
  std::vector<std::string_view> views(texts.begin(), texts.end());
  auto hundred = make_revocation_request(std::span<const std::string_view>(views.data(), 100), now);
  REQUIRE(hundred.has_value());
  CHECK(hundred->targets.size() == 100);
  auto over = make_revocation_request(std::span<const std::string_view>(views.data(), 101), now);
  REQUIRE_FALSE(over.has_value());
  CHECK(msg(over.error()) == "a revocation request has 101 targets, more than the limit of 100 (capmatch::max_revocation_targets)");
  auto none = make_revocation_request(std::span<const std::string_view>(), now);
  REQUIRE_FALSE(none.has_value());
  CHECK(msg(none.error()) == "a revocation request needs at least one target");
  auto dup = make_revocation_request({"clientId:bob", "channel:x", "clientId:bob"}, now);
  REQUIRE_FALSE(dup.has_value());
  CHECK(msg(dup.error()) == "duplicate revocation target 'clientId:bob'");
  // The same value under two kinds is two targets.
  CHECK(make_revocation_request({"clientId:x", "channel:x", "revocationKey:x"}, now).has_value());
  // validate() applies the same rules to a request built by hand.
  revocation_request hand;
  hand.targets.push_back({revocation_target_kind::client_id, ""});
  CHECK(msg(validate(hand, now)) == "revocation target 'clientId:' has an empty value; expected clientId:<value>");
}

TEST_CASE("revocation request: issuedBefore not in the future, at most an hour in the past") {
  CHECK(make_revocation_request({"clientId:bob"}, now, now).has_value());
  CHECK(make_revocation_request({"clientId:bob"}, now, now - hour).has_value());
  auto future = make_revocation_request({"clientId:bob"}, now, now + 1);
  REQUIRE_FALSE(future.has_value());
  CHECK(future.error().code() == errc::invalid_revocation_request);
  CHECK(msg(future.error()) == "issuedBefore 1700000000001 is in the future (now is 1700000000000)");
  auto old = make_revocation_request({"clientId:bob"}, now, now - hour - 1);
  REQUIRE_FALSE(old.has_value());
  CHECK(msg(old.error()) ==
        "issuedBefore 1699996399999 is more than an hour before now (1700000000000); the earliest accepted is 1699996400000");
}

TEST_CASE("revocation request: the JSON body and the Basic authorization header") {
  auto r = request({"clientId:bob", "channel:foo:*", "revocationKey:k\"1"}, now, now - 5000, true);
  CHECK(to_json(r) ==
        R"({"targets":["clientId:bob","channel:foo:*","revocationKey:k\"1"],"issuedBefore":1699999995000,"allowReauthMargin":true})");
  CHECK(to_json(request({"clientId:bob"}, now)) == R"({"targets":["clientId:bob"]})");

  auto key = api_key::parse("xVLyHw.G-GITw:Qz7xWv3kP9tJ");
  REQUIRE(key.has_value());
  CHECK(revoke_tokens_path(*key) == "/keys/xVLyHw.G-GITw/revokeTokens");
  // base64 of "xVLyHw.G-GITw:Qz7xWv3kP9tJ" (Python's base64.b64encode).
  CHECK(basic_authorization(*key) == "Basic eFZMeUh3LkctR0lUdzpRejd4V3Yza1A5dEo=");
}

TEST_CASE("revocation request body: parsed strictly, round trip") {
  auto r = request({"clientId:bob", "channel:foo:*"}, now, now - 5000, true);
  auto back = parse_revocation_request(to_json(r), now);
  REQUIRE_MESSAGE(back.has_value(), (back.has_value() ? std::string() : msg(back.error())));
  CHECK(back->targets == r.targets);
  CHECK(back->issued_before_ms == r.issued_before_ms);
  CHECK(back->allow_reauth_margin);

  auto spaced = parse_revocation_request(" {\n \"allowReauthMargin\" : false , \"targets\" : [ \"channel:a\\u003Ab\" ] }\n", now);
  REQUIRE_MESSAGE(spaced.has_value(), (spaced.has_value() ? std::string() : msg(spaced.error())));
  CHECK(spaced->targets.at(0).value == "a:b");
  CHECK_FALSE(spaced->allow_reauth_margin);
  CHECK_FALSE(spaced->issued_before_ms.has_value());

  CHECK(parse_revocation_request(target_list(100), now).has_value());
}

TEST_CASE("revocation request body: errors") {
  struct row {
    std::string body;
    std::string message;
    errc code = errc::invalid_revocation_request;
  };
  std::vector<row> rows = {
      {"", "empty revocation request body; expected {\"targets\":[...]}", errc::empty_input},
      {"[]", "unexpected character '[' at byte 0; expected a JSON object such as {\"targets\":[\"clientId:bob\"]}",
       errc::invalid_json},
      {"{}", "a revocation request needs a targets member"},
      {R"({"targets":[]})", "a revocation request needs at least one target"},
      {R"({"targets":"clientId:bob"})", "targets at byte 11 must be an array of strings, not a string"},
      {R"({"targets":[1]})", "a target at byte 12 must be a string, not a number"},
      {R"({"targets":["bob"]})", "revocation target 'bob' at byte 12 has no ':'; expected clientId:<id>, "
                                 "revocationKey:<key> or channel:<resource>"},
      {R"({"targets":["clientId:a","clientId:a"]})", "duplicate revocation target 'clientId:a' at byte 25"},
      {R"({"targets":["channel:[x"]})", "channel target 'channel:[x' at byte 12 is not a capability resource (resource "
                                     "'[x' at byte 12 has '[' without a closing ']')"},
      {R"({"targets":["clientId:"]})", "revocation target 'clientId:' at byte 12 has an empty value; expected clientId:<value>"},
      // The object is read by detail::json_object: JSON-level errors are its messages (errc::invalid_json).
      {R"({"targets":["clientId:a"],"targets":["clientId:b"]})", "member 'targets' listed twice at byte 26",
       errc::invalid_json},
      {R"({"targets":["clientId:a"],"issuedbefore":1})",
       "unknown member 'issuedbefore' at byte 26; a revocation request has targets, issuedBefore and allowReauthMargin"},
      {R"({"targets":["clientId:a"],"issuedBefore":-5})",
       "issuedBefore at byte 41 must be a non-negative integer (milliseconds since the epoch), not a negative number"},
      {R"({"targets":["clientId:a"],"issuedBefore":"5"})",
       "issuedBefore at byte 41 must be a non-negative integer (milliseconds since the epoch), not a string"},
      {R"({"targets":["clientId:a"],"issuedBefore":1.5})", "issuedBefore at byte 41 must be an integer number of milliseconds"},
      {R"({"targets":["clientId:a"],"issuedBefore":1e3})", "issuedBefore at byte 41 must be an integer number of milliseconds"},
      {R"({"targets":["clientId:a"],"issuedBefore":01})", "number with a leading zero at byte 41", errc::invalid_json},
      {R"({"targets":["clientId:a"],"issuedBefore":12345678901234567})",
       "issuedBefore at byte 41 is too large (more than 16 digits)"},
      {R"({"targets":["clientId:a"],"issuedBefore":1700000000001})",
       "issuedBefore 1700000000001 is in the future (now is 1700000000000)"},
      {R"({"targets":["clientId:a"],"allowReauthMargin":"true"})",
       "allowReauthMargin at byte 46 must be true or false, not a string"},
      {R"({"targets":["clientId:a"],"allowReauthMargin":tru})", "unexpected character 't' at byte 46; expected a value",
       errc::invalid_json},
      {R"({"targets":["clientId:a"],"allowReauthMargin":null})", "allowReauthMargin at byte 46 must be true or false, not null"},
      {R"({"targets":["clientId:a"],"allowReauthMargin":[true]})",
       "allowReauthMargin at byte 46 must be true or false, not an array"},
      {R"({"targets":["clientId:a"],"issuedBefore":-01})", "number with a leading zero at byte 41", errc::invalid_json},
      {R"({"targets":["clientId:a"],"issuedBefore":{"ms":1}})",
       "issuedBefore at byte 41 must be a non-negative integer (milliseconds since the epoch), not an object"},
      {R"({"targets":[["clientId:a"]]})", "a target at byte 12 must be a string, not an array"},
      {R"({"issuedbefore":1,"targets":[1]})",
       "unknown member 'issuedbefore' at byte 1; a revocation request has targets, issuedBefore and allowReauthMargin"},
      {R"({"targets":["clientId:a"],"issuedBefore":1,"allowReauthMargin":true,"x":"y"})",
       "unknown member 'x' at byte 68; a revocation request has targets, issuedBefore and allowReauthMargin"},
      {R"({"targets":["clientId:a"],"allowReauthMargin":truex})", "unexpected character 'x' at byte 50; expected ',' or '}'",
       errc::invalid_json},
      {R"({"targets":["clientId:a"]} x)", "trailing characters after the JSON object at byte 27", errc::trailing_characters},
      {R"({"targets":["clientId:a"])", "unexpected end of input at byte 25; expected ',' or '}'", errc::invalid_json},
      {R"({"targets":["clientId:a",]})", "unexpected character ']' at byte 25; expected a value", errc::invalid_json},
      // 30 bytes before the first '[': the 33rd opens at byte 62.
      {"{\"targets\":[\"clientId:a\"],\"x\":" + std::string(40, '[') + std::string(40, ']') + "}",
       "value nested deeper than 32 levels at byte 62", errc::limit_exceeded},
      {target_list(101), "more than 100 targets at byte 1502 (capmatch::max_revocation_targets)"},
      {std::string(max_revocation_body_bytes + 1, ' '),
       "revocation request body of 262145 bytes exceeds the limit of 262144 bytes (capmatch::max_revocation_body_bytes)",
       errc::limit_exceeded},
  };
  // At most 16 members (three are valid): the 17th is refused where its name starts.
  std::string many = "{";
  for (int i = 0; i < 17; ++i) many += (i ? ",\"a" : "\"a") + std::to_string(i) + "\":0";
  many += "}";
  rows.push_back({many, "JSON object has more than 16 members at byte " + std::to_string(many.find("\"a16\"")),
                  errc::limit_exceeded});
  for (const row& r : rows) {
    CAPTURE(r.body.substr(0, 80));
    auto p = parse_revocation_request(r.body, now);
    REQUIRE_FALSE(p.has_value());
    CHECK(p.error().code() == r.code);
    CHECK(p.error().ably_code() == 40000);
    CHECK(msg(p.error()) == r.message);
  }
}

TEST_CASE("revocation list: clientId and revocationKey targets, issuedBefore") {
  revocation_list list;
  const auto cap = cap_of(R"({"chat:*":["subscribe"]})");
  REQUIRE(list.revoke(request({"clientId:bob", "revocationKey:group-7"}, now), now).code() == errc::ok);
  CHECK(list.size() == 2);
  // issuedBefore defaults to the receipt time: only tokens issued strictly before it.
  auto e = list.check("bob", "", cap, now - 1, now);
  CHECK(e.code() == errc::token_revoked);
  CHECK(e.ably_code() == 40141);
  CHECK(e.status_code() == 401);
  CHECK(msg(e) == "token revoked: target 'clientId:bob' covers tokens issued before 1700000000000; obtain a new token");
  CHECK(list.check("bob", "", cap, now, now + 1).code() == errc::ok);
  CHECK(list.check("bobby", "", cap, now - 1, now).code() == errc::ok);
  CHECK(list.check("", "", cap, now - 1, now).code() == errc::ok);  // no clientId: not a clientId target's token
  CHECK(msg(list.check("alice", "group-7", cap, now - 1, now)) ==
        "token revoked: target 'revocationKey:group-7' covers tokens issued before 1700000000000; obtain a new token");
  CHECK(list.check("alice", "group-70", cap, now - 1, now).code() == errc::ok);
  // An explicit issuedBefore.
  REQUIRE(list.revoke(request({"clientId:carol"}, now, now - 60000), now).code() == errc::ok);
  CHECK(list.check("carol", "", cap, now - 60001, now).code() == errc::token_revoked);
  CHECK(list.check("carol", "", cap, now - 60000, now).code() == errc::ok);
  // Through the store interface, and without a capability.
  const revocation_store& store = list;
  CHECK(store.is_revoked(revocation_subject{"bob", {}, nullptr, now - 5}, now));
  CHECK_FALSE(store.is_revoked(revocation_subject{"dave", {}, nullptr, now - 5}, now));
}

TEST_CASE("revocation list: a channel target matches a capability resource verbatim, no wildcard reasoning") {
  revocation_list list;
  REQUIRE(list.revoke(request({"channel:foo:*"}, now), now).code() == errc::ok);
  const std::int64_t issued = now - 1;
  // docs/semantics.md §27: channel:foo:* revokes a foo:* token ...
  CHECK(msg(list.check("", "", cap_of(R"({"foo:*":["publish"],"other":["*"]})"), issued, now)) ==
        "token revoked: target 'channel:foo:*' covers tokens issued before 1700000000000; obtain a new token");
  // ... but not a token for foo:bar (which foo:* covers), nor one for * or *:* (which cover foo:*).
  for (std::string_view c : {R"({"foo:bar":["*"]})", R"({"*":["*"]})", R"({"*:*":["*"]})", R"({"foo":["*"]})",
                             R"({"[*]foo:*":["*"]})", R"({"foo:**":["*"]})"}) {
    CAPTURE(c);
    CHECK(list.check("", "", cap_of(c), issued, now).code() == errc::ok);
  }
  // channel:*:* and channel:foo:bar do not revoke a foo:* token.
  revocation_list other;
  REQUIRE(other.revoke(request({"channel:*:*", "channel:foo:bar", "channel:*"}, now), now).code() == errc::ok);
  CHECK(other.check("", "", cap_of(R"({"foo:*":["*"]})"), issued, now).code() == errc::ok);
  CHECK(other.check("", "", cap_of(R"({"*:*":["*"]})"), issued, now).code() == errc::token_revoked);
  CHECK(other.check("", "", cap_of(R"({"*":["*"]})"), issued, now).code() == errc::token_revoked);
  CHECK(other.check("", "", cap_of(R"({"a":["*"],"foo:bar":["subscribe"]})"), issued, now).code() == errc::token_revoked);
}

TEST_CASE("revocation list: allowReauthMargin postpones enforcement by 30 s") {
  revocation_list list;
  const auto cap = cap_of(R"({"x":["*"]})");
  REQUIRE(list.revoke(request({"clientId:bob"}, now, std::nullopt, true), now).code() == errc::ok);
  CHECK(list.check("bob", "", cap, now - 1, now).code() == errc::ok);
  CHECK(list.check("bob", "", cap, now - 1, now + 29999).code() == errc::ok);
  CHECK(list.check("bob", "", cap, now - 1, now + 30000).code() == errc::token_revoked);
  // A later request without the margin for an older issuedBefore applies at once, and only to
  // the tokens it names; the first one still waits for its margin.
  REQUIRE(list.revoke(request({"clientId:bob"}, now + 10, now - 100), now + 10).code() == errc::ok);
  CHECK(list.check("bob", "", cap, now - 101, now + 10).code() == errc::token_revoked);
  CHECK(list.check("bob", "", cap, now - 100, now + 10).code() == errc::ok);
  CHECK(list.check("bob", "", cap, now - 100, now + 30000).code() == errc::token_revoked);
  CHECK(list.size() == 1);
}

TEST_CASE("revocation list: revoke validates again, and the target limit") {
  revocation_list small(revocation_list_options{default_max_token_lifetime_ms, 3});
  revocation_request bad;
  bad.targets.push_back({revocation_target_kind::client_id, "bob"});
  bad.issued_before_ms = now + 1;
  CHECK(msg(small.revoke(bad, now)) == "issuedBefore 1700000000001 is in the future (now is 1700000000000)");
  REQUIRE(small.revoke(request({"clientId:a", "clientId:b", "clientId:c"}, now), now).code() == errc::ok);
  // Targets already held do not count again.
  REQUIRE(small.revoke(request({"clientId:a"}, now + 1), now + 1).code() == errc::ok);
  auto e = small.revoke(request({"clientId:a", "channel:d"}, now + 2), now + 2);
  CHECK(e.code() == errc::limit_exceeded);
  CHECK(msg(e) == "the revocation list would hold 4 targets, more than its limit of 3 (revocation_list_options::max_targets)");
  CHECK(small.size() == 3);
}

TEST_CASE("revocation list: memory is bounded by the longest token lifetime") {
  revocation_list list(revocation_list_options{hour, 1'000'000});
  std::vector<std::string> texts;
  for (int i = 0; i < 50; ++i) texts.push_back("channel:room:" + std::to_string(i));
  std::vector<std::string_view> views(texts.begin(), texts.end());
  auto req = make_revocation_request(std::span<const std::string_view>(views), now);
  REQUIRE(req.has_value());
  REQUIRE(list.revoke(*req, now).code() == errc::ok);
  REQUIRE(list.revoke(request({"clientId:late"}, now + 1000), now + 1000).code() == errc::ok);
  CHECK(list.size() == 51);
  // A token issued before `now` expires by now + hour at the latest: until then the entries stay.
  CHECK(list.expire(now + hour - 1) == 0);
  CHECK(list.size() == 51);
  CHECK(list.expire(now + hour) == 50);
  CHECK(list.size() == 1);
  CHECK(list.expire(now + hour + 1000) == 1);
  CHECK(list.size() == 0);
  // revoke() sweeps on its own once the oldest entry is a lifetime (plus 1/64 of it) old.
  REQUIRE(list.revoke(*make_revocation_request(std::span<const std::string_view>(views), now + 2 * hour), now + 2 * hour)
              .code() == errc::ok);
  CHECK(list.size() == 50);
  const std::int64_t later = now + 3 * hour + hour / 64;
  REQUIRE(list.revoke(request({"clientId:x"}, later), later).code() == errc::ok);
  CHECK(list.size() == 1);
  // A request whose issuedBefore is already a lifetime old can match no live token: not stored.
  revocation_list short_lived(revocation_list_options{1000, 10});
  REQUIRE(short_lived.revoke(request({"clientId:x"}, now, now - 1000), now).code() == errc::ok);
  CHECK(short_lived.size() == 0);
}

TEST_CASE("revocation list: 5,000 targets through growth and partial expiry") {
  // Request k (0..49) revokes 100 targets at now + k s; one kind in three of each value.
  revocation_list list(revocation_list_options{hour, 1'000'000});
  const std::string_view kinds[3] = {"clientId:", "revocationKey:", "channel:"};
  auto text = [&](int k, int j) { return std::string(kinds[j % 3]) + "v" + std::to_string(k * 100 + j); };
  for (int k = 0; k < 50; ++k) {
    std::vector<std::string> texts;
    for (int j = 0; j < 100; ++j) texts.push_back(text(k, j));
    std::vector<std::string_view> views(texts.begin(), texts.end());
    auto r = make_revocation_request(std::span<const std::string_view>(views), now + k * 1000);
    REQUIRE(r.has_value());
    REQUIRE(list.revoke(*r, now + k * 1000).code() == errc::ok);
  }
  CHECK(list.size() == 5000);
  auto revoked = [&](int k, int j, std::int64_t at) {
    const std::string v = "v" + std::to_string(k * 100 + j);
    const std::string res = "{\"" + v + "\":[\"*\"]}";
    const auto cap = cap_of(res);
    const auto empty = cap_of("{}");
    revocation_subject s{{}, {}, &empty, now - 1};
    if (j % 3 == 0) s.client_id = v;
    if (j % 3 == 1) s.revocation_key = v;
    if (j % 3 == 2) s.cap = &cap;
    revocation_subject wrong_kind = s;  // the same value as another kind of fact
    wrong_kind.client_id = j % 3 == 0 ? std::string_view() : std::string_view(v);
    wrong_kind.revocation_key = j % 3 == 1 ? std::string_view() : std::string_view(v);
    wrong_kind.cap = j % 3 == 2 ? &empty : &cap;
    CHECK_FALSE(list.is_revoked(wrong_kind, at));
    return list.is_revoked(s, at);
  };
  int hits = 0;
  for (int k = 0; k < 50; ++k)
    for (int j = 0; j < 100; j += 7) hits += revoked(k, j, now + hour);
  CHECK(hits == 50 * 15);
  // Requests 0..25 (issuedBefore now + k s, k <= 25) can match no live token at now + hour + 25 s.
  CHECK(list.expire(now + hour + 25'000) == 2600);
  CHECK(list.size() == 2400);
  int left = 0, gone = 0;
  for (int k = 0; k < 50; ++k)
    for (int j = 0; j < 100; j += 7) (k <= 25 ? gone : left) += revoked(k, j, now + hour + 25'000);
  CHECK(gone == 0);
  CHECK(left == 24 * 15);
}

TEST_CASE("revocation list: concurrent readers while one writer revokes") {
  // Revocation is monotonic until entries expire: once a reader sees a token revoked it must
  // never see it allowed again, and after the writer finishes every target is revoked.
  revocation_list list;
  constexpr int targets = 400;
  const auto cap = cap_of(R"({"room":["subscribe"]})");
  std::atomic<bool> done{false};
  std::atomic<int> violations{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&, r] {
      std::vector<bool> seen(targets, false);
      std::vector<std::string> ids;
      for (int i = 0; i < targets; ++i) ids.push_back("c" + std::to_string(i));
      for (;;) {
        const bool last = done.load();  // one full pass after the writer finished
        for (int i = r; i < targets; ++i) {
          const bool revoked = list.is_revoked(revocation_subject{ids[i], {}, &cap, now - 1}, now);
          if (seen[i] && !revoked) violations.fetch_add(1);
          seen[i] = seen[i] || revoked;
        }
        if (last) break;
      }
      for (int i = r; i < targets; ++i)
        if (!seen[i]) violations.fetch_add(1);
    });
  }
  for (int i = 0; i < targets; ++i) {
    const std::string t = "clientId:c" + std::to_string(i);
    REQUIRE(list.revoke(request({t}, now), now).code() == errc::ok);
  }
  done.store(true);
  for (auto& t : readers) t.join();
  CHECK(violations.load() == 0);
  CHECK(list.size() == targets);
}

TEST_CASE("revocation: the key secret appears in no message") {
  constexpr std::string_view sentinel = "Qz7xWv3kP9tJ";
  auto key = api_key::parse("xVLyHw.G-GITw:" + std::string(sentinel));
  REQUIRE(key.has_value());
  const std::string header = basic_authorization(*key);
  CHECK(header.find(sentinel) == std::string::npos);  // only its base64 leaves
  CHECK(revoke_tokens_path(*key).find(sentinel) == std::string::npos);
  std::vector<std::string> messages;
  for (std::string_view body : {"", "{", R"({"targets":["x"]})", R"({"targets":["clientId:"]})", "{\"a\":1}"})
    messages.push_back(msg(parse_revocation_request(body, now).error()));
  for (const auto& m : messages) CHECK(m.find(sentinel) == std::string::npos);
}

TEST_CASE("revocation and grant error codes: names, Ably codes, HTTP status (docs/semantics.md §29)") {
  struct row {
    errc code;
    std::string_view name;
    std::uint32_t ably;
    std::uint16_t status;
  };
  for (const row& r : {row{errc::token_revoked, "token_revoked", 40141, 401},
                       row{errc::invalid_revocation_request, "invalid_revocation_request", 40000, 400},
                       row{errc::invalid_grant, "invalid_grant", 40000, 400},
                       row{errc::grant_rejected, "grant_rejected", 40101, 401},
                       row{errc::grant_expired, "grant_expired", 40101, 401}}) {
    CAPTURE(r.name);
    CHECK(name_of(r.code) == r.name);
    CHECK(ably_code(r.code) == r.ably);
    CHECK(http_status(r.code) == r.status);
  }
  static_assert(ably_code(errc::token_revoked) == 40141);
  // A store that cannot answer: Ably's 50003 ("timeout error" in ably-common errors.json), HTTP 500,
  // a code of its own (neither token_revoked nor an internal error of the library).
  CHECK(name_of(errc::store_unavailable) == "store_unavailable");
  CHECK(ably_code(errc::store_unavailable) == 50003);
  CHECK(http_status(errc::store_unavailable) == 500);
  for (int a = 0; a < static_cast<int>(errc::store_unavailable); ++a)
    CHECK(name_of(static_cast<errc>(a)) != "store_unavailable");
  // Every code has its own name.
  for (int a = 0; a <= static_cast<int>(errc::grant_expired); ++a) {
    CHECK(name_of(static_cast<errc>(a)) != "unknown");
    for (int b = a + 1; b <= static_cast<int>(errc::grant_expired); ++b)
      CHECK(name_of(static_cast<errc>(a)) != name_of(static_cast<errc>(b)));
  }
}

TEST_CASE("revocation: a JWT's iat (seconds) against issuedBefore (milliseconds), both sides of the boundary") {
  // docs/semantics.md §27: the token counts as issued at the start of its iat second, so a token
  // issued in the same second as issuedBefore is revoked (it may have been issued before it) ...
  static_assert(revocation_issued_at_ms(1'700'000'000) == 1'700'000'000'000);
  static_assert(revocation_issued_at_ms(0) == 0);
  static_assert(revocation_issued_at_ms(INT64_MAX / 1000 + 1) == INT64_MAX);  // saturates
  static_assert(revocation_issued_at_ms(-(INT64_MAX / 1000) - 1) == INT64_MIN);
  revocation_list list;
  const auto cap = cap_of(R"({"x":["*"]})");
  const std::int64_t ib = now + 500;  // 1700000000.500 s
  REQUIRE(list.revoke(request({"clientId:bob", "clientId:eve"}, now + 600, ib), now + 600).code() == errc::ok);
  auto revoked = [&](std::string_view who, std::int64_t iat) {
    return list.check(who, "", cap, revocation_issued_at_ms(iat), now + 600).code() == errc::token_revoked;
  };
  CHECK(revoked("bob", 1'699'999'999));      // the second before
  CHECK(revoked("bob", 1'700'000'000));      // the same second: revoked (never grants more)
  CHECK_FALSE(revoked("bob", 1'700'000'001));  // the second after
  // ... unless issuedBefore is the first millisecond of that second: then every instant of the
  // token's second is at or after it, and the token survives.
  revocation_list whole;
  REQUIRE(whole.revoke(request({"clientId:bob"}, now + 600, now), now + 600).code() == errc::ok);
  CHECK(whole.check("bob", "", cap, revocation_issued_at_ms(1'699'999'999), now + 600).code() == errc::token_revoked);
  CHECK(whole.check("bob", "", cap, revocation_issued_at_ms(1'700'000'000), now + 600).code() == errc::ok);
}

namespace {
// The reference: every (kind, value, issuedBefore, enforceFrom) ever recorded, scanned, judged at
// `at` or at the latest receipt recorded if that is later (time does not go back for the list).
struct reference_entry {
  revocation_target_kind kind;
  std::string value;
  std::int64_t issued_before, enforce_from;
};
bool reference_revoked(const std::vector<reference_entry>& ref, const revocation_subject& s, std::int64_t at) {
  for (const auto& e : ref) {
    bool names = false;
    if (e.kind == revocation_target_kind::client_id) names = !s.client_id.empty() && e.value == s.client_id;
    if (e.kind == revocation_target_kind::revocation_key) names = !s.revocation_key.empty() && e.value == s.revocation_key;
    if (e.kind == revocation_target_kind::channel && s.cap != nullptr)
      for (std::size_t i = 0; i < s.cap->size(); ++i) names = names || s.cap->resource(i) == e.value;
    if (names && s.issued_at_ms < e.issued_before && at >= e.enforce_from) return true;
  }
  return false;
}
}  // namespace

TEST_CASE("revocation list: every path agrees with a brute-force reference (random lists and tokens)") {
  // Plain check, prepared check, is_revoked (plain and prepared), and the per-kind early exits:
  // lists hold only some kinds in some rounds. Tokens are live (issued within the lifetime), so
  // entries the list drops as expired cannot matter.
  capmatch_test::splitmix64 rng{2026};
  const char* values[] = {"a", "b", "c:d", "e:*", "f:g:h", "x", "[meta]a", "long-value-over-sixteen-bytes:1"};
  std::vector<capability> caps;
  for (int i = 0; i < 40; ++i) {
    std::string doc = "{";
    const std::size_t n = rng.below(5);
    std::vector<std::string> used;
    for (std::size_t k = 0; k < n; ++k) {
      std::string v = rng.pick(values);
      if (std::find(used.begin(), used.end(), v) != used.end()) continue;
      used.push_back(v);
      doc += (used.size() > 1 ? ",\"" : "\"") + v + "\":[\"subscribe\"]";
    }
    caps.push_back(cap_of(doc + "}"));
  }
  std::size_t checks = 0, hits = 0;
  for (int round = 0; round < 30; ++round) {
    revocation_list list;
    std::vector<reference_entry> ref;
    const unsigned kinds = 1 + static_cast<unsigned>(rng.below(7));  // bit set of the kinds this round uses
    std::int64_t t = now, latest = now;
    for (int step = 0; step < 12; ++step) {
      t += static_cast<std::int64_t>(rng.below(20'000));
      if (rng.chance(15)) t -= static_cast<std::int64_t>(rng.below(30'000));  // received out of order
      std::vector<std::string> texts;
      for (std::size_t n = 1 + rng.below(6); texts.size() < n;) {
        const auto k = static_cast<revocation_target_kind>(rng.below(3));
        if ((kinds >> static_cast<unsigned>(k) & 1u) == 0) continue;
        std::string text = std::string(name_of(k)) + ":" + rng.pick(values);
        if (std::find(texts.begin(), texts.end(), text) == texts.end()) texts.push_back(text);
      }
      std::vector<std::string_view> views(texts.begin(), texts.end());
      const std::optional<std::int64_t> ib = rng.chance(50) ? std::optional<std::int64_t>(t - static_cast<std::int64_t>(rng.below(60'000)))
                                                            : std::nullopt;
      const bool margin = rng.chance(30);
      auto req = make_revocation_request(std::span<const std::string_view>(views), t, ib, margin);
      REQUIRE(req);
      REQUIRE(list.revoke(*req, t).code() == errc::ok);
      for (const auto& target : req->targets)
        ref.push_back({target.kind, target.value, ib.value_or(t), t + (margin ? reauth_margin_ms : 0)});
      latest = std::max(latest, t);
      // Probe tokens around every boundary: issue times near the issuedBefores, check times near the margins.
      for (int q = 0; q < 40; ++q) {
        const revocation_subject s{rng.chance(70) ? std::string_view(rng.pick(values)) : std::string_view(),
                                   rng.chance(50) ? std::string_view(rng.pick(values)) : std::string_view(),
                                   rng.chance(90) ? &caps[rng.below(caps.size())] : nullptr,
                                   t - static_cast<std::int64_t>(rng.below(90'000))};
        std::int64_t at = t + static_cast<std::int64_t>(rng.below(40'000));
        if (rng.chance(20)) at -= static_cast<std::int64_t>(rng.below(60'000));  // a clock behind the list's
        const bool want = reference_revoked(ref, s, std::max(at, latest));
        const prepared_revocation_subject p(s);
        CAPTURE(round);
        CAPTURE(step);
        CHECK(list.is_revoked(s, at) == want);
        CHECK(list.is_revoked(p, at) == want);
        CHECK((list.check(s, at).code() == errc::token_revoked) == want);
        CHECK((list.check(p, at).code() == errc::token_revoked) == want);
        const revocation_store& store = list;  // the interface: the virtual prepared overload
        CHECK((store.check(p, at).code() == errc::token_revoked) == want);
        ++checks;
        hits += want;
      }
    }
  }
  // The random data exercises both answers plentifully.
  CHECK(checks == 30 * 12 * 40);
  CHECK(hits > checks / 10);
  CHECK(hits < checks - checks / 10);
}

TEST_CASE("revocation list: prepared tokens, the error text, and lists that hold no target of a kind") {
  revocation_list list;
  const auto cap = cap_of(R"({"chat:*":["subscribe"],"news":["history"]})");
  const prepared_revocation_subject p(revocation_subject{"bob", "k1", &cap, now - 1});
  CHECK(p.facts().size() == 4);  // clientId, revocation key, 2 resources
  CHECK(p.first_channel() == 2);
  CHECK(p.subject().client_id == "bob");
  CHECK_FALSE(list.is_revoked(p, now));  // empty list
  CHECK(list.check(p, now).code() == errc::ok);
  REQUIRE(list.revoke(request({"channel:news"}, now), now).code() == errc::ok);
  CHECK(msg(list.check(p, now)) == "token revoked: target 'channel:news' covers tokens issued before 1700000000000; obtain a new token");
  // No clientId or revocation key facts: only the resources are probed.
  const prepared_revocation_subject anonymous(revocation_subject{{}, {}, &cap, now - 1});
  CHECK(anonymous.facts().size() == 2);
  CHECK(list.is_revoked(anonymous, now));
  // The first matching fact in order clientId, revocation key, resources names the error.
  REQUIRE(list.revoke(request({"revocationKey:k1", "clientId:bob"}, now), now).code() == errc::ok);
  CHECK(msg(list.check(p, now)) == "token revoked: target 'clientId:bob' covers tokens issued before 1700000000000; obtain a new token");
  // A prepared token without a capability.
  const prepared_revocation_subject bare(revocation_subject{"carol", "k1", nullptr, now - 1});
  CHECK(bare.facts().size() == 2);
  CHECK(msg(list.check(bare, now)) == "token revoked: target 'revocationKey:k1' covers tokens issued before 1700000000000; obtain a new token");
}

TEST_CASE("revocation list: revoke many requests at once (one snapshot), the first error returned") {
  revocation_list list(revocation_list_options{default_max_token_lifetime_ms, 3});
  std::vector<received_revocation_request> batch;
  batch.push_back({request({"clientId:a"}, now), now});
  revocation_request future;
  future.targets.push_back({revocation_target_kind::client_id, "b"});
  future.issued_before_ms = now + 10;
  batch.push_back({future, now});                                    // refused: issuedBefore in the future
  batch.push_back({request({"clientId:c", "clientId:d"}, now + 5), now + 5});
  batch.push_back({request({"clientId:e"}, now + 6), now + 6});      // refused: a 4th target
  const error e = list.revoke(std::span<const received_revocation_request>(batch));
  CHECK(msg(e) == "issuedBefore 1700000000010 is in the future (now is 1700000000000)");
  CHECK(list.size() == 3);
  const auto cap = cap_of(R"({"x":["*"]})");
  CHECK(list.check("a", "", cap, now - 1, now).code() == errc::token_revoked);
  CHECK(list.check("b", "", cap, now - 1, now + 20).code() == errc::ok);
  CHECK(list.check("d", "", cap, now + 4, now + 5).code() == errc::token_revoked);  // received at now + 5
  CHECK(list.check("d", "", cap, now + 5, now + 5).code() == errc::ok);
  CHECK(list.check("e", "", cap, now, now + 6).code() == errc::ok);
  // Nothing to do: no snapshot, no error.
  CHECK(list.revoke(std::span<const received_revocation_request>()).code() == errc::ok);
}

TEST_CASE("revocation list: lists sharing a reader-cache way answer for themselves") {
  // A thread caches one snapshot per way (list id modulo readers_cache_ways): 2 × ways + 1 lists
  // checked in turn evict each other's snapshots all the time and must never borrow one.
  constexpr std::size_t n = 2 * revocation_list::readers_cache_ways + 1;
  std::vector<std::unique_ptr<revocation_list>> lists;
  for (std::size_t i = 0; i < n; ++i) {
    lists.push_back(std::make_unique<revocation_list>());
    REQUIRE(lists[i]->revoke(request({"clientId:c" + std::to_string(i)}, now), now).code() == errc::ok);
  }
  const auto cap = cap_of(R"({"x":["*"]})");
  for (int pass = 0; pass < 3; ++pass)
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) {
        const std::string id = "c" + std::to_string(j);
        CHECK(lists[i]->is_revoked(revocation_subject{id, {}, &cap, now - 1}, now) == (i == j));
      }
  // An update to one list is seen by the next check in this thread.
  REQUIRE(lists[0]->revoke(request({"clientId:late"}, now + 1), now + 1).code() == errc::ok);
  CHECK(lists[0]->is_revoked(revocation_subject{"late", {}, &cap, now}, now + 1));
  CHECK_FALSE(lists[1]->is_revoked(revocation_subject{"late", {}, &cap, now}, now + 1));
  // A list destroyed while a thread still caches its snapshot, and a new one created: no mix-up.
  lists.erase(lists.begin());
  revocation_list fresh;
  CHECK_FALSE(fresh.is_revoked(revocation_subject{"c0", {}, &cap, now - 1}, now));
  CHECK(fresh.size() == 0);
}

TEST_CASE("revocation list: prepared readers while one writer revokes (batches too) and expires") {
  // As the test above, through prepared tokens and check(); the writer also publishes batches
  // and calls expire() (nothing has expired: it must drop nothing and publish nothing wrong).
  revocation_list list(revocation_list_options{hour, 1'000'000});
  constexpr int targets = 300;
  const auto cap = cap_of(R"({"room":["subscribe"]})");
  std::vector<std::string> ids;
  for (int i = 0; i < targets; ++i) ids.push_back("c" + std::to_string(i));
  std::vector<prepared_revocation_subject> tokens;
  for (int i = 0; i < targets; ++i) tokens.emplace_back(revocation_subject{ids[i], {}, &cap, now - 1});
  std::atomic<bool> done{false};
  std::atomic<int> violations{0};
  std::atomic<long> reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&, r] {
      std::vector<bool> seen(targets, false);
      for (;;) {
        const bool last = done.load();
        for (int i = r; i < targets; i += 2) {
          const bool revoked = r == 0 ? list.is_revoked(tokens[i], now)
                                      : list.check(tokens[i], now).code() == errc::token_revoked;
          if (seen[i] && !revoked) violations.fetch_add(1);
          seen[i] = seen[i] || revoked;
          reads.fetch_add(1, std::memory_order_relaxed);
        }
        if (last) break;
      }
      for (int i = r; i < targets; i += 2)
        if (!seen[i]) violations.fetch_add(1);
    });
  }
  for (int i = 0; i < targets; i += 3) {
    std::vector<received_revocation_request> batch;
    for (int k = i; k < i + 3 && k < targets; ++k) batch.push_back({request({"clientId:" + ids[k]}, now), now});
    REQUIRE(list.revoke(std::span<const received_revocation_request>(batch)).code() == errc::ok);
    CHECK(list.expire(now) == 0);
  }
  done.store(true);
  for (auto& t : readers) t.join();
  CHECK(violations.load() == 0);
  CHECK(reads.load() >= targets);
  CHECK(list.size() == targets);
}

TEST_CASE("revocation list: a check earlier than the latest recorded receipt is judged at that receipt") {
  // docs/revocation.md, "Several requests for one target": time does not go back for the list.
  revocation_list list;
  const auto cap = cap_of(R"({"x":["*"]})");
  REQUIRE(list.revoke(request({"clientId:bob"}, now), now).code() == errc::ok);
  REQUIRE(list.revoke(request({"clientId:bob"}, now + 5000), now + 5000).code() == errc::ok);
  // Both requests are in force at every check; the second covers everything the first does.
  CHECK(list.window_count() == 1);
  CHECK(msg(list.check("bob", "", cap, now - 1, now)) ==
        "token revoked: target 'clientId:bob' covers tokens issued before 1700000005000; obtain a new token");
  // A token issued between the two issuedBefores, checked with a clock behind the second receipt:
  // judged at now + 5000, where the second request revokes it.
  CHECK(list.check("bob", "", cap, now + 10, now + 20).code() == errc::token_revoked);
  CHECK(list.check("bob", "", cap, now + 5000, now + 20).code() == errc::ok);
  // A pending window (allowReauthMargin) starts early for a stale clock only up to the latest
  // receipt: received at now + 6000, enforced from now + 36000.
  REQUIRE(list.revoke(request({"clientId:carol"}, now + 6000, std::nullopt, true), now + 6000).code() == errc::ok);
  CHECK(list.check("carol", "", cap, now, now + 35999).code() == errc::ok);
  CHECK(list.check("carol", "", cap, now, now + 36000).code() == errc::token_revoked);
  // A later receipt (of another target) moves the list's time past the margin: a check with a
  // clock before it is judged at now + 40000.
  REQUIRE(list.revoke(request({"clientId:dave"}, now + 40000), now + 40000).code() == errc::ok);
  CHECK(list.check("carol", "", cap, now, now + 7000).code() == errc::token_revoked);
  // A request received out of order (an earlier receipt replayed later) is in force at once.
  REQUIRE(list.revoke(request({"clientId:erin"}, now + 1000), now + 1000).code() == errc::ok);
  CHECK(list.check("erin", "", cap, now + 999, now + 1000).code() == errc::token_revoked);
  CHECK(list.check("erin", "", cap, now + 1000, now + 1000).code() == errc::ok);
}

namespace {
// k revocations of clientId:bob, one a second (issuedBefore = receipt), into a fresh list. Returns
// the bytes the list holds afterwards (its writer copy, its snapshot and this thread's cached
// snapshot), and sets `allocated` to the bytes revoke() allocated in all.
std::int64_t held_after_revocations(int k, bool margin, std::uint64_t& allocated, std::size_t& windows) {
  revocation_list list;
  const auto cap = cap_of(R"({"x":["*"]})");
  CHECK_FALSE(list.is_revoked(revocation_subject{"bob", {}, &cap, now - 1}, now));  // caches the empty snapshot
  const std::int64_t before = g_live.load();
  allocated = 0;
  for (int i = 0; i < k; ++i) {
    const std::int64_t at = now + i * std::int64_t{1000};
    const auto req = request({"clientId:bob"}, at, std::nullopt, margin);
    const std::uint64_t a = g_allocated.load();
    REQUIRE(list.revoke(req, at).code() == errc::ok);
    allocated += g_allocated.load() - a;
  }
  const std::int64_t last = now + (k - 1) * std::int64_t{1000};
  // The latest request revokes a token issued just before it once its margin has passed.
  CHECK(list.is_revoked(revocation_subject{"bob", {}, &cap, last - 1}, last + (margin ? reauth_margin_ms : 0)));
  CHECK(list.size() == 1);
  windows = list.window_count();
  return g_live.load() - before;
}
}  // namespace

TEST_CASE("revocation_list keeps a bounded number of windows per target under repeated revocations") {
  // Without a margin every request is in force at once and covers every earlier one: one window.
  // With allowReauthMargin, one a second: the requests of the last 30 s are pending, plus one in
  // force (docs/revocation.md).
  for (const bool margin : {false, true}) {
    CAPTURE(margin);
    const std::size_t want = margin ? 1 + static_cast<std::size_t>(reauth_margin_ms / 1000) : 1;
    std::uint64_t alloc1 = 0, alloc4 = 0;
    std::size_t w1 = 0, w4 = 0;
    const std::int64_t held1 = held_after_revocations(1000, margin, alloc1, w1);
    const std::int64_t held4 = held_after_revocations(4000, margin, alloc4, w4);
    MESSAGE("margin " << margin << ": held " << held1 << " / " << held4 << " bytes, revoke allocated " << alloc1
                      << " / " << alloc4 << " bytes, windows " << w1 << " / " << w4);
    CHECK(w1 == want);
    CHECK(w4 == want);
    CHECK(held1 > 0);
    CHECK(held4 < held1 + 4096);
    // Revoke cost: each update copies what the list holds (its snapshot), so the bytes allocated
    // over k revocations grow linearly in k (4 times the requests: at most about 4 times the bytes;
    // k windows would make it 16 times).
    CHECK(alloc4 >= 4 * alloc1 - alloc1 / 8);
    CHECK(alloc4 <= 4 * alloc1 + alloc1 / 8);
  }
}
