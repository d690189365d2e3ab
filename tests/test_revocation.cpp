// Token revocation (docs/semantics.md §27): targets, requests and their JSON body, the Basic
// authorization header, and the revocation list (verbatim channel targets, issuedBefore,
// allowReauthMargin, expiry, concurrent readers).
#include <capmatch/revocation.hpp>
#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

using namespace capmatch;

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
  REQUIRE_MESSAGE(r.has_value(), msg(r.error()));
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
  REQUIRE_MESSAGE(back.has_value(), msg(back.error()));
  CHECK(back->targets == r.targets);
  CHECK(back->issued_before_ms == r.issued_before_ms);
  CHECK(back->allow_reauth_margin);

  auto spaced = parse_revocation_request(" {\n \"allowReauthMargin\" : false , \"targets\" : [ \"channel:a\\u003Ab\" ] }\n", now);
  REQUIRE_MESSAGE(spaced.has_value(), msg(spaced.error()));
  CHECK(spaced->targets.at(0).value == "a:b");
  CHECK_FALSE(spaced->allow_reauth_margin);
  CHECK_FALSE(spaced->issued_before_ms.has_value());

  CHECK(parse_revocation_request(target_list(100), now).has_value());
}

TEST_CASE("revocation request body: errors") {
  struct row {
    std::string body;
    std::string_view message;
    errc code = errc::invalid_revocation_request;
  };
  const std::vector<row> rows = {
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
      {R"({"targets":["clientId:a"],"targets":["clientId:b"]})", "duplicate member 'targets' at byte 26"},
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
      {R"({"targets":["clientId:a"],"allowReauthMargin":tru})", "allowReauthMargin at byte 46 must be true or false, not a boolean"},
      {R"({"targets":["clientId:a"],"allowReauthMargin":truex})", "unexpected character 'x' at byte 50; expected ',' or '}'",
       errc::invalid_json},
      {R"({"targets":["clientId:a"]} x)", "unexpected characters after the request object at byte 27", errc::trailing_characters},
      {R"({"targets":["clientId:a"])", "unexpected end of input at byte 25; expected ',' or '}'", errc::invalid_json},
      {R"({"targets":["clientId:a",]})", "a target at byte 25 must be a string", errc::invalid_revocation_request},
      {target_list(101), "more than 100 targets at byte 1502 (capmatch::max_revocation_targets)"},
      {std::string(max_revocation_body_bytes + 1, ' '),
       "revocation request body of 262145 bytes exceeds the limit of 262144 bytes (capmatch::max_revocation_body_bytes)",
       errc::limit_exceeded},
  };
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
  // Every code has its own name.
  for (int a = 0; a <= static_cast<int>(errc::grant_expired); ++a) {
    CHECK(name_of(static_cast<errc>(a)) != "unknown");
    for (int b = a + 1; b <= static_cast<int>(errc::grant_expired); ++b)
      CHECK(name_of(static_cast<errc>(a)) != name_of(static_cast<errc>(b)));
  }
}
