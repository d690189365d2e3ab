// Signed TokenRequests (issue 12, docs/semantics.md §5 rules 19-23): the published vector,
// creation (absent stays absent, every parameter error), verification (every error path, one
// changed byte anywhere), the replay guard under two threads, and the token endpoint headers.
// Macs are checked against OpenSSL's HMAC, not against capmatch's own.
#include <capmatch/detail/intersect_identity.hpp>
#include <capmatch/jwt.hpp>
#include <capmatch/replay_guard.hpp>
#include <capmatch/token_request.hpp>
#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "algebra_support.hpp"

using namespace capmatch;
using namespace std::literals;

namespace {

// A sentinel secret: no message, wire form or signed text may ever contain it.
constexpr std::string_view secret = "SENTINEL-SECRET-c0ffee";
constexpr std::string_view key_name = "appid.keyid";

/// The mac as OpenSSL computes it: base64(HMAC-SHA256(secret, text)).
std::string openssl_mac(std::string_view key, std::string_view text) {
  unsigned char md[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(text.data()),
       text.size(), md, &len);
  unsigned char b64[64];
  const int n = EVP_EncodeBlock(b64, md, static_cast<int>(len));
  return std::string(reinterpret_cast<char*>(b64), static_cast<std::size_t>(n));
}

std::int64_t fixed_clock() noexcept { return 1'700'000'000'000; }

token_request_signer make_signer(token_signer_options o = {}) {
  auto key = api_key::parse(std::string(key_name) + ":" + std::string(secret));
  REQUIRE(key.has_value());
  o.clock = fixed_clock;
  auto s = token_request_signer::make(*key, std::move(o));
  REQUIRE(s.has_value());
  return std::move(*s);
}

key_list make_keys(std::string_view key_cap = R"({"[*]*":["*"]})", bool revocable = false) {
  key_list keys;
  auto cap = capability::parse(key_cap);
  REQUIRE(cap.has_value());
  keys.add(token_key{std::string(key_name), crypto::hmac_sha256_key(secret), std::move(*cap), revocable});
  return keys;
}

/// A wire form signed (with OpenSSL) over exactly the given member texts; `members` are raw JSON.
std::string signed_wire(std::string_view ttl, std::string_view cap, std::string_view client_id, std::string_view ts,
                        std::string_view nonce) {
  const std::string text = std::string(key_name) + "\n" + std::string(ttl) + "\n" + std::string(cap) + "\n" +
                           std::string(client_id) + "\n" + std::string(ts) + "\n" + std::string(nonce) + "\n";
  return openssl_mac(secret, text);
}

std::string msg(const error& e) { return std::string(e.message()); }

void check_no_secret(const error& e) { CHECK(msg(e).find(secret) == std::string::npos); }

struct verify_fixture {
  key_list keys = make_keys();
  memory_replay_guard guard{1024, 11, 22, 4};
  token_request_verifier verifier{keys, guard, fixed_clock};
};

constexpr std::string_view nonce16 = "0123456789abcdef";

}  // namespace

TEST_CASE("token request: the published vector (ably-python test_hmac)") {
  const token_request_fields f{"a_key_name", 1000, std::nullopt, "a_id", 1000, "abcde100"};
  CHECK(f.signed_text() == "a_key_name\n1000\n\na_id\n1000\nabcde100\n");
  CHECK(f.mac(crypto::hmac_sha256_key("a_secret")) == "sYkCH0Un+WgzI7/Nhy0BoQIKq9HmjKynCRs4E3qAbGQ=");
  CHECK(openssl_mac("a_secret", f.signed_text()) == "sYkCH0Un+WgzI7/Nhy0BoQIKq9HmjKynCRs4E3qAbGQ=");
  static_assert(token_request_fields{"k", std::nullopt, std::nullopt, std::nullopt, 0, "n"}.digest(
                    crypto::hmac_sha256_key("s"))[0] == token_request_fields{"k", std::nullopt, std::nullopt,
                                                                             std::nullopt, 0, "n"}
                                                            .digest(crypto::hmac_sha256_key("s"))[0]);
}

TEST_CASE("token request: create signs exactly what it sends; absent fields stay absent") {
  const auto s = make_signer();
  token_params p;
  p.timestamp_ms = 1000;
  p.nonce = nonce16;
  auto r = s.create(p);
  REQUIRE(r.has_value());
  CHECK(r->signed_text == "appid.keyid\n\n\n\n1000\n0123456789abcdef\n");
  CHECK(r->mac == openssl_mac(secret, r->signed_text));
  CHECK(r->json == R"({"keyName":"appid.keyid","timestamp":1000,"nonce":"0123456789abcdef","mac":")" + r->mac + "\"}");

  p.ttl_ms = 3'600'000;
  p.client_id = "*";
  p.capability = R"( {"private":["subscribe","publish","presence"], "*":["subscribe"], "caf\u00e9":["history"]} )";
  r = s.create(p);
  REQUIRE(r.has_value());
  const std::string cap = "{\"*\":[\"subscribe\"],\"café\":[\"history\"],\"private\":[\"presence\",\"publish\",\"subscribe\"]}";
  CHECK(r->signed_text == "appid.keyid\n3600000\n" + cap + "\n*\n1000\n0123456789abcdef\n");
  CHECK(r->mac == openssl_mac(secret, r->signed_text));
  CHECK(r->json == R"({"keyName":"appid.keyid","ttl":3600000,"capability":"{\"*\":[\"subscribe\"],\"café\":[\"history\"],)"
                   R"(\"private\":[\"presence\",\"publish\",\"subscribe\"]}","clientId":"*","timestamp":1000,)"
                   R"("nonce":"0123456789abcdef","mac":")" + r->mac + "\"}");
  CHECK(r->json.find(secret) == std::string::npos);
  CHECK(r->signed_text.find(secret) == std::string::npos);

  // create_json writes the same wire form; a parsed capability gives the same bytes
  std::string json;
  CHECK(s.create_json(p, json).code() == errc::ok);
  CHECK(json == r->json);
  const auto parsed = capability::parse(*p.capability);
  p.capability.reset();
  p.parsed_capability = &*parsed;
  CHECK(s.create_json(p, json).code() == errc::ok);
  CHECK(json == r->json);

  // escapes in the capability and clientId survive as JSON in JSON
  token_params q;
  q.timestamp_ms = 5;
  q.nonce = nonce16;
  q.capability = R"({"a\"b\\c":["publish"]})";
  q.client_id = "quote\"back\\slash";
  r = s.create(q);
  REQUIRE(r.has_value());
  CHECK(r->signed_text == "appid.keyid\n\n{\"a\\\"b\\\\c\":[\"publish\"]}\nquote\"back\\slash\n5\n0123456789abcdef\n");
  CHECK(r->json == R"({"keyName":"appid.keyid","capability":"{\"a\\\"b\\\\c\":[\"publish\"]}",)"
                   R"("clientId":"quote\"back\\slash","timestamp":5,"nonce":"0123456789abcdef","mac":")" +
                       openssl_mac(secret, r->signed_text) + "\"}");
}

TEST_CASE("token request: a caller nonce with characters JSON escapes is escaped and verifies") {
  const auto s = make_signer();
  token_params p;
  p.timestamp_ms = fixed_clock();
  p.nonce = R"(nonce"with\quote)";
  auto r = s.create(p);
  REQUIRE(r.has_value());
  CHECK(r->json == R"({"keyName":"appid.keyid","timestamp":1700000000000,"nonce":"nonce\"with\\quote","mac":")" +
                       openssl_mac(secret, "appid.keyid\n\n\n\n1700000000000\nnonce\"with\\quote\n") + "\"}");
  verify_fixture fx;
  auto v = fx.verifier.verify(r->json);
  REQUIRE(v.has_value());
  CHECK(v->nonce == R"(nonce"with\quote)");
}

TEST_CASE("token request: default timestamp from the injected clock plus the server offset, CSPRNG nonce") {
  token_signer_options o;
  o.server_offset_ms = -250;
  const auto s = make_signer(std::move(o));
  auto a = s.create({}), b = s.create({});
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  const auto ts = "\n" + std::to_string(fixed_clock() - 250) + "\n";
  CHECK(a->signed_text.find(ts) != std::string::npos);
  const std::string_view nonce = std::string_view(a->signed_text).substr(a->signed_text.rfind('\n', a->signed_text.size() - 2) + 1, 32);
  CHECK(nonce.size() == 32);
  CHECK(nonce.find_first_not_of("0123456789abcdef") == std::string_view::npos);
  CHECK(a->signed_text != b->signed_text);  // two fresh nonces
  CHECK(a->mac == openssl_mac(secret, a->signed_text));
}

TEST_CASE("token request: pooled nonces are distinct, also across fork()") {
  // The parent draws one nonce (filling its per-thread pool), then forks: the child must not hand
  // out the parent's next nonce from the inherited pool.
  std::vector<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.emplace_back(std::string(detail::pooled_nonce()->view()));
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const auto n = detail::pooled_nonce();
    const bool ok = n.has_value() && ::write(fds[1], n->view().data(), 32) == 32;
    ::_exit(ok ? 0 : 1);
  }
  ::close(fds[1]);
  char child[32];
  std::size_t got = 0;
  for (ssize_t r; got < sizeof child && (r = ::read(fds[0], child + got, sizeof child - got)) > 0;) got += static_cast<std::size_t>(r);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(got == 32u);
  CHECK(WIFEXITED(status));
  const std::string parent(detail::pooled_nonce()->view());
  CHECK(std::string(child, 32) != parent);
  seen.push_back(parent);
  seen.emplace_back(child, 32);
  std::sort(seen.begin(), seen.end());
  CHECK(std::adjacent_find(seen.begin(), seen.end()) == seen.end());
}

TEST_CASE("token request: creation errors (exact messages, never the secret)") {
  token_signer_options o;
  o.revocable = true;
  o.key_capability = *capability::parse(R"({"chat:*":["subscribe"]})");
  const auto s = make_signer(std::move(o));
  const auto plain = make_signer();
  auto err = [&](const token_request_signer& signer, token_params p) {
    p.timestamp_ms = p.timestamp_ms.value_or(1000);
    auto r = signer.create(p);
    REQUIRE(!r.has_value());
    check_no_secret(r.error());
    std::string json;
    CHECK(signer.create_json(p, json) == r.error());
    return std::to_string(r.error().ably_code()) + " " + std::string(name_of(r.error().code())) + ": " + msg(r.error());
  };
  token_params p;
  p.nonce = nonce16;
  auto with = [&](auto f) {
    token_params q = p;
    f(q);
    return q;
  };
  CHECK(err(plain, with([](auto& q) { q.client_id = ""; })) == "40000 invalid_token_request: clientId is empty");
  CHECK(err(plain, with([](auto& q) { q.client_id = "a\nb"; })) ==
        "40000 invalid_token_request: clientId contains a control character at byte 1 (it would make the signed text ambiguous)");
  CHECK(err(plain, with([](auto& q) { q.client_id = "tab\there"; })) ==
        "40000 invalid_token_request: clientId contains a control character at byte 3 (it would make the signed text ambiguous)");
  CHECK(err(plain, with([](auto& q) { q.client_id = "bad\xFF"; })) == "40000 invalid_token_request: clientId is not valid UTF-8 at byte 3");
  CHECK(err(plain, with([](auto& q) { q.ttl_ms = 0; })) == "40003 invalid_ttl: ttl 0 ms is not positive; omit ttl for the default");
  CHECK(err(plain, with([](auto& q) { q.ttl_ms = 86'400'001; })) ==
        "40003 invalid_ttl: ttl 86400001 ms is above the 24 hour limit (86400000 ms)");
  CHECK(err(s, with([](auto& q) { q.ttl_ms = 3'600'001; })) ==
        "40003 invalid_ttl: ttl 3600001 ms is above the 1 hour limit for a key with revocable tokens (3600000 ms)");
  CHECK(err(plain, with([](auto& q) { q.nonce = "0123456789abcde"; })) ==
        "40000 invalid_token_request: nonce has 15 characters; at least 16 required");
  CHECK(err(plain, with([](auto& q) { q.nonce = "0123456789abcde\n"; })) ==
        "40000 invalid_token_request: nonce contains a control character at byte 15 (it would make the signed text ambiguous)");
  CHECK(err(plain, with([](auto& q) { q.nonce = "ééééééééééééééé"; })) ==  // 30 bytes, 15 characters
        "40000 invalid_token_request: nonce has 15 characters; at least 16 required");
  CHECK(err(plain, with([](auto& q) { q.capability = R"({"a":["Publish"]})"; })) ==
        "40000 unknown_operation: unknown operation 'Publish' at byte 6; operations are lower-case, did you mean 'publish'?");
  CHECK(err(s, with([](auto& q) { q.capability = R"({"news":["subscribe"]})"; })) ==
        "40160 empty_intersection: Key does not support requested capabilities");
  CHECK(err(plain, with([](auto& q) { q.timestamp_ms = 1ull << 53; })) ==
        "40000 invalid_token_request: timestamp 9007199254740992 is above 2^53 - 1");
  const auto cap = capability::parse("{}");
  CHECK(err(plain, with([&](auto& q) { q.capability = "{}", q.parsed_capability = &*cap; })) ==
        "40000 invalid_token_request: give either capability text or a parsed capability, not both");
  // the key capability check passes what the key allows
  token_params ok = p;
  ok.timestamp_ms = 1;
  ok.ttl_ms = 3'600'000;
  ok.capability = R"({"chat:bob":["subscribe","publish"]})";
  CHECK(s.create(ok).has_value());

  // bad keys: no secret in the message
  auto bad = token_request_signer::make("name", "se:cret");
  REQUIRE(!bad.has_value());
  CHECK(msg(bad.error()) == "invalid API key: the secret contains ':'");
  auto bad_name = token_request_signer::make("na\nme", secret);
  REQUIRE(!bad_name.has_value());
  CHECK(msg(bad_name.error()) == "keyName contains a control character at byte 2 (it would make the signed text ambiguous)");
  check_no_secret(bad_name.error());
}

TEST_CASE("token request: created requests verify; the effective capability is key ∩ request") {
  verify_fixture fx;
  const auto s = make_signer();
  token_params p;
  p.timestamp_ms = fixed_clock() - 1000;
  p.ttl_ms = 60'000;
  p.client_id = "bob";
  p.capability = R"({"chat:*":["publish"],"[queue]q":["subscribe"]})";
  auto r = s.create(p);
  REQUIRE(r.has_value());
  auto v = fx.verifier.verify(r->json);
  REQUIRE(v.has_value());
  CHECK(v->key_name == key_name);
  CHECK(v->ttl_ms == 60'000u);
  CHECK(v->client_id == "bob");
  CHECK(v->capability == R"({"[queue]q":["subscribe"],"chat:*":["publish"]})");
  CHECK(v->effective.to_json() == R"({"[queue]q":["subscribe"],"chat:*":["publish"]})");
  CHECK(v->timestamp_ms == static_cast<std::uint64_t>(fixed_clock() - 1000));
  // without a capability: the key's own
  token_params q;
  q.timestamp_ms = fixed_clock();
  auto r2 = s.create(q);
  REQUIRE(r2.has_value());
  auto v2 = fx.verifier.verify(r2->json);
  REQUIRE(v2.has_value());
  CHECK(!v2->capability.has_value());
  CHECK(!v2->ttl_ms.has_value());
  CHECK(!v2->client_id.has_value());
  CHECK(v2->effective.to_json() == R"({"[*]*":["*"]})");
}

TEST_CASE("token request: verify errors (exact messages, never the secret)") {
  const std::string ts = std::to_string(fixed_clock());
  auto wire = [&](std::string_view extra_members, std::string_view ttl, std::string_view cap, std::string_view client,
                  std::string_view t, std::string_view nonce) {
    return std::string(extra_members) + R"("mac":")" + signed_wire(ttl, cap, client, t, nonce) + "\"}";
  };
  auto verify = [&](std::string_view json, std::string_view key_cap = R"({"[*]*":["*"]})", bool revocable = false) {
    key_list keys = make_keys(key_cap, revocable);
    memory_replay_guard guard(64, 1, 2, 1);
    token_request_verifier v(keys, guard, fixed_clock);
    auto r = v.verify(json);
    if (r) return "ok " + r->effective.to_json();
    check_no_secret(r.error());
    return std::to_string(r.error().ably_code()) + "/" + std::to_string(r.error().status_code()) + " " +
           std::string(name_of(r.error().code())) + ": " + msg(r.error());
  };
  const std::string base = R"({"keyName":"appid.keyid","timestamp":)" + ts + R"(,"nonce":"0123456789abcdef",)";
  // accepted forms
  CHECK(verify(wire(base, "", "", "", ts, nonce16)) == R"(ok {"[*]*":["*"]})");
  CHECK(verify(wire(R"({"keyName":"appid.keyid","ttl":"1000","timestamp":")" + ts + R"(","nonce":"0123456789abcdef",)",
                    "1000", "", "", ts, nonce16)) == R"(ok {"[*]*":["*"]})");  // decimal strings tolerated
  CHECK(verify(" \n{ \"mac\" : \"" + signed_wire("", "", "", ts, nonce16) + "\" , \"nonce\":\"0123456789abcdef\", \"timestamp\" : " +
               ts + ", \"keyName\":\"appid.keyid\" }\n") == R"(ok {"[*]*":["*"]})");  // any order, whitespace
  // the wire form
  CHECK(verify("") == "40000/400 invalid_token_request: TokenRequest is not a flat JSON object: unexpected end of input at byte 0; expected a JSON object");
  CHECK(verify("[]") ==
        "40000/400 invalid_token_request: TokenRequest is not a flat JSON object: expected a JSON object, found an array at byte 0");
  CHECK(verify(R"({"keyName":"a","keyName":"b"})") ==
        "40000/400 invalid_token_request: TokenRequest is not a flat JSON object: member 'keyName' listed twice at byte 15");
  CHECK(verify(R"({"keyName":{"a":1}})") ==
        "40000/400 invalid_token_request: TokenRequest is not a flat JSON object: member 'keyName' is an object at byte 11; expected a string, number, boolean or null");
  CHECK(verify(base + R"("extra":1})") ==
        "40000/400 invalid_token_request: TokenRequest has an unknown member 'extra' at byte 78; expected keyName, ttl, capability, clientId, timestamp, nonce, mac");
  CHECK(verify(R"({"keyName":5})") == "40000/400 invalid_token_request: TokenRequest keyName must be a string at byte 11");
  CHECK(verify(R"({"keyName":""})") == "40000/400 invalid_token_request: TokenRequest keyName is empty at byte 11");
  CHECK(verify(R"({"timestamp":true})") == "40000/400 invalid_token_request: TokenRequest timestamp must be a number at byte 13");
  CHECK(verify(R"({"timestamp":1.5})") ==
        "40000/400 invalid_token_request: TokenRequest timestamp must be a non-negative integer of milliseconds (decimal, no sign, fraction, exponent or leading zero, at most 2^53 - 1) at byte 13");
  CHECK(verify(R"({"timestamp":"01"})").starts_with("40000/400 invalid_token_request: TokenRequest timestamp must be a non-negative integer"));
  CHECK(verify(R"({"timestamp":-1})").starts_with("40000/400 invalid_token_request: TokenRequest timestamp must be a non-negative integer"));
  CHECK(verify(R"({"timestamp":9007199254740992})").starts_with("40000/400 invalid_token_request: TokenRequest timestamp must"));
  CHECK(verify(R"({"ttl":"1e3"})").starts_with("40003/400 invalid_ttl: TokenRequest ttl must be a non-negative integer"));
  CHECK(verify(R"({"ttl":null})") == "40000/400 invalid_token_request: TokenRequest ttl must be a number at byte 7");
  CHECK(verify(R"({"capability":{}})") ==
        "40000/400 invalid_token_request: TokenRequest is not a flat JSON object: member 'capability' is an object at byte 14; expected a string, number, boolean or null");
  CHECK(verify(R"({"capability":5})") ==
        "40000/400 invalid_token_request: TokenRequest capability must be a string holding capability JSON at byte 14");
  CHECK(verify(R"({"capability":""})") ==
        "40000/400 invalid_token_request: TokenRequest capability is an empty string; omit it for the key's capability at byte 14");
  CHECK(verify(R"({"clientId":""})") == "40000/400 invalid_token_request: TokenRequest clientId is empty at byte 12");
  CHECK(verify(R"({"clientId":"a\u0000b"})") ==
        "40000/400 invalid_token_request: TokenRequest clientId contains a control character at byte 1 (it would make the signed text ambiguous) at byte 12");
  CHECK(verify(R"({"nonce":"short"})") ==
        "40000/400 invalid_token_request: TokenRequest nonce has 5 characters; at least 16 required at byte 9");
  CHECK(verify(R"({"mac":null})") == "40000/400 invalid_token_request: TokenRequest mac must be a string at byte 7");
  CHECK(verify(R"({"timestamp":1,"nonce":"0123456789abcdef","mac":"x"})") ==
        "40000/400 invalid_token_request: TokenRequest has no keyName");
  CHECK(verify(R"({"keyName":"k","nonce":"0123456789abcdef","mac":"x"})") == "40000/400 invalid_token_request: TokenRequest has no timestamp");
  CHECK(verify(R"({"keyName":"k","timestamp":1,"mac":"x"})") == "40000/400 invalid_token_request: TokenRequest has no nonce");
  CHECK(verify(R"({"keyName":"k","timestamp":1,"nonce":"0123456789abcdef"})") == "40000/400 invalid_token_request: TokenRequest has no mac");
  CHECK(verify(std::string(70000, ' ')) == "40000/400 invalid_token_request: TokenRequest of 70000 bytes; at most 65536 allowed");
  // key and mac
  CHECK(verify(R"({"keyName":"other.key","timestamp":1,"nonce":"0123456789abcdef","mac":"x"})") ==
        "40101/401 unknown_key: no key named 'other.key' is known; the mac cannot be checked");
  CHECK(verify(base + R"("mac":"not base64!"})") ==
        "40101/401 mac_mismatch: mac is not the padded standard base64 of 32 bytes (an HMAC-SHA256); Request mac does not match");
  CHECK(verify(base + R"("mac":"AAAA"})") ==
        "40101/401 mac_mismatch: mac is not the padded standard base64 of 32 bytes (an HMAC-SHA256); Request mac does not match");
  std::string urlsafe = signed_wire("", "", "", ts, nonce16);
  for (char& c : urlsafe) c = c == '+' ? '-' : c == '/' ? '_' : c;
  if (urlsafe != signed_wire("", "", "", ts, nonce16))
    CHECK(verify(base + R"("mac":")" + urlsafe + "\"}").starts_with("40101/401 mac_mismatch: mac is not the padded"));
  CHECK(verify(base + R"("mac":")" + openssl_mac("wrong secret", "x") + "\"}") ==
        "40101/401 mac_mismatch: Request mac does not match: the mac is not the HMAC-SHA256 of the signed text under this key");
  // a mac over a different text (ttl signed, not sent)
  CHECK(verify(wire(base, "1000", "", "", ts, nonce16)).starts_with("40101/401 mac_mismatch: Request mac does not match"));
  // timestamp: the window is inclusive
  for (std::int64_t d : {-120'000, 120'000}) {
    const std::string t = std::to_string(fixed_clock() + d);
    CHECK(verify(wire(R"({"keyName":"appid.keyid","timestamp":)" + t + R"(,"nonce":"0123456789abcdef",)", "", "", "", t, nonce16))
              .starts_with("ok "));
  }
  {
    const std::string t = std::to_string(fixed_clock() - 120'001);
    CHECK(verify(wire(R"({"keyName":"appid.keyid","timestamp":)" + t + R"(,"nonce":"0123456789abcdef",)", "", "", "", t, nonce16)) ==
          "40104/401 timestamp_not_current: Timestamp not current: timestamp 1699999879999 is 120001 ms behind the verifier's clock; at most 120000 ms allowed");
    const std::string u = std::to_string(fixed_clock() + 120'001);
    CHECK(verify(wire(R"({"keyName":"appid.keyid","timestamp":)" + u + R"(,"nonce":"0123456789abcdef",)", "", "", "", u, nonce16)) ==
          "40104/401 timestamp_not_current: Timestamp not current: timestamp 1700000120001 is 120001 ms ahead of the verifier's clock; at most 120000 ms allowed");
  }
  // ttl limits (signed correctly, so the mac passes)
  const std::string with_ttl = R"({"keyName":"appid.keyid","ttl":86400001,"timestamp":)" + ts + R"(,"nonce":"0123456789abcdef",)";
  CHECK(verify(wire(with_ttl, "86400001", "", "", ts, nonce16)) ==
        "40003/400 invalid_ttl: ttl 86400001 ms is above the 24 hour limit (86400000 ms)");
  const std::string hour = R"({"keyName":"appid.keyid","ttl":3600001,"timestamp":)" + ts + R"(,"nonce":"0123456789abcdef",)";
  CHECK(verify(wire(hour, "3600001", "", "", ts, nonce16)).starts_with("ok "));
  CHECK(verify(wire(hour, "3600001", "", "", ts, nonce16), R"({"[*]*":["*"]})", true) ==
        "40003/400 invalid_ttl: ttl 3600001 ms is above the 1 hour limit for a key with revocable tokens (3600000 ms)");
  const std::string zero = R"({"keyName":"appid.keyid","ttl":0,"timestamp":)" + ts + R"(,"nonce":"0123456789abcdef",)";
  CHECK(verify(wire(zero, "0", "", "", ts, nonce16)) == "40003/400 invalid_ttl: ttl 0 ms is not positive; omit ttl for the default");
  // capability
  auto with_cap = [&](std::string_view cap_json_string, std::string_view cap_text) {
    return wire(R"({"keyName":"appid.keyid","capability":)" + std::string(cap_json_string) + R"(,"timestamp":)" + ts +
                    R"(,"nonce":"0123456789abcdef",)",
                "", cap_text, "", ts, nonce16);
  };
  CHECK(verify(with_cap(R"("{\"a\":[\"publish_\"]}")", R"({"a":["publish_"]})")) ==
        "40000/400 unknown_operation: capability: unknown operation 'publish_' at byte 6; did you mean 'publish'?");
  CHECK(verify(with_cap(R"("{\"status\":[\"*\"]}")", R"({"status":["*"]})"), R"({"chat":["*"]})") ==
        "40160/401 empty_intersection: Key does not support requested capabilities");
  CHECK(verify(with_cap(R"("{\"chat:bob\":[\"subscribe\"],\"status\":[\"*\"],\"secret\":[\"publish\",\"subscribe\"]}")",
                        R"({"chat:bob":["subscribe"],"status":["*"],"secret":["publish","subscribe"]})"),
               R"({"chat:*":["publish","subscribe","presence"],"status":["subscribe","history"],"alerts":["subscribe"]})") ==
        R"(ok {"chat:bob":["subscribe"],"status":["history","subscribe"]})");  // docs/semantics.md §18 worked example
  // the capability is signed as sent, not re-canonicalised: non-canonical text with its own mac verifies
  CHECK(verify(with_cap(R"("{ \"b\":[\"subscribe\"], \"a\":[\"publish\"] }")", R"({ "b":["subscribe"], "a":["publish"] })")) ==
        R"(ok {"a":["publish"],"b":["subscribe"]})");
}

TEST_CASE("token request: a replayed nonce is refused (40105); the guard fails closed when full") {
  verify_fixture fx;
  const auto s = make_signer();
  token_params p;
  p.timestamp_ms = fixed_clock();
  auto r = s.create(p);
  REQUIRE(r.has_value());
  CHECK(fx.verifier.verify(r->json).has_value());
  auto again = fx.verifier.verify(r->json);
  REQUIRE(!again.has_value());
  CHECK(again.error().ably_code() == 40105);
  CHECK(again.error().status_code() == 401);
  CHECK(msg(again.error()) ==
        "Nonce value replayed: this keyName and nonce were already used; create a new TokenRequest for every token (never cache one)");
  // still refused at the far edge of the window, then the timestamp check takes over
  auto late = fx.verifier.verify(r->json, fixed_clock() + token_request_window_ms);
  REQUIRE(!late.has_value());
  CHECK(late.error().code() == errc::nonce_replayed);
  auto later = fx.verifier.verify(r->json, fixed_clock() + token_request_window_ms + 1);
  REQUIRE(!later.has_value());
  CHECK(later.error().code() == errc::timestamp_not_current);

  // a full guard refuses fresh nonces rather than forget unexpired ones
  memory_replay_guard tiny(2, 5, 6, 1);
  CHECK(tiny.capacity() == 3);  // 2 per shard, rounded up, plus one of slack
  token_request_verifier v(fx.keys, tiny, fixed_clock);
  for (int i = 0; i < 3; ++i) {
    auto ok = s.create(p);
    CHECK(v.verify(ok->json).has_value());
  }
  auto full = v.verify(s.create(p)->json);
  REQUIRE(!full.has_value());
  CHECK(full.error().code() == errc::replay_guard_full);
  CHECK(full.error().ably_code() == 50000);
  CHECK(full.error().status_code() == 500);
  CHECK(msg(full.error()) ==
        "the replay guard is full of unexpired nonces; refused rather than risk a replay (raise its capacity)");
  CHECK(tiny.size() == 3);

  // a shared store that does not answer refuses, with its own code (neither replayed nor full)
  struct down_store final : replay_guard {
    claim_status try_claim(std::string_view, std::string_view, std::int64_t, std::int64_t) noexcept override {
      return claim_status::unavailable;
    }
  } down;
  token_request_verifier dv(fx.keys, down, fixed_clock);
  auto unavailable = dv.verify(s.create(p)->json);
  REQUIRE(!unavailable.has_value());
  CHECK(unavailable.error().code() == errc::store_unavailable);
  CHECK(unavailable.error().ably_code() == 50003);
  CHECK(unavailable.error().status_code() == 500);
  CHECK(msg(unavailable.error()) == "the replay guard's store did not answer; refused rather than risk a replay");
  // once the stored ones expire, their room is reused: three fresh claims fit again
  token_params later_p = p;
  later_p.timestamp_ms = fixed_clock() + 2 * token_request_window_ms + 1;
  for (int i = 0; i < 3; ++i) {
    auto fresh = s.create(later_p);
    CHECK(v.verify(fresh->json, *later_p.timestamp_ms).has_value());
  }
  CHECK(tiny.size() == 3);
}

TEST_CASE("token request: one byte changed anywhere in a created request fails verification") {
  const auto s = make_signer();
  token_params p;
  p.timestamp_ms = fixed_clock();
  p.ttl_ms = 60'000;
  p.client_id = "client-é";
  p.capability = R"({"chat:*":["publish","subscribe"],"[meta]log":["subscribe"],"x\"y":["history"]})";
  auto r = s.create(p);
  REQUIRE(r.has_value());
  const key_list keys = make_keys();
  std::size_t tried = 0;
  for (std::size_t i = 0; i < r->json.size(); ++i) {
    for (unsigned char delta : {0x01, 0x02, 0x20, 0x80}) {
      std::string changed = r->json;
      changed[i] = static_cast<char>(static_cast<unsigned char>(changed[i]) ^ delta);
      memory_replay_guard guard(16, 1, 2, 1);
      token_request_verifier v(keys, guard, fixed_clock);
      auto out = v.verify(changed);
      CHECK_MESSAGE(!out.has_value(), "byte ", i, " ^ ", int(delta), ": ", changed);
      ++tried;
    }
  }
  CHECK(tried == 4 * r->json.size());
  memory_replay_guard guard(16, 1, 2, 1);
  CHECK(token_request_verifier(keys, guard, fixed_clock).verify(r->json).has_value());  // the original does
}

TEST_CASE("replay guard: the verifier's prepared claim and try_claim claim the same pair") {
  // The verifier claims through prepare + claim_prepared (one hash, the slot fetched early);
  // any other caller through try_claim. Both must name the same pair in the same table.
  const auto s = make_signer();
  const key_list keys = make_keys();
  for (int order = 0; order < 2; ++order) {
    memory_replay_guard guard(1024, 31, 32, 8);
    const token_request_verifier v(keys, guard, fixed_clock);
    for (int i = 0; i < 50; ++i) {
      token_params p;
      p.timestamp_ms = fixed_clock();
      const std::string nonce = "pair-" + std::to_string(order) + "-" + std::to_string(i) + "-0123456789";
      p.nonce = nonce;
      auto r = s.create(p);
      REQUIRE(r.has_value());
      if (order == 0) {  // the verifier first: try_claim then sees the pair claimed
        REQUIRE(v.verify(r->json).has_value());
        CHECK(guard.try_claim(key_name, nonce, fixed_clock() + 1000, fixed_clock()) == claim_status::replayed);
      } else {  // try_claim first: the verifier then refuses the request as replayed
        REQUIRE(guard.try_claim(key_name, nonce, fixed_clock() + 1000, fixed_clock()) == claim_status::fresh);
        auto again = v.verify(r->json);
        REQUIRE(!again.has_value());
        CHECK(again.error().code() == errc::nonce_replayed);
      }
      // and another pair of the same key stays fresh
      CHECK(guard.try_claim(key_name, nonce + "x", fixed_clock() + 1000, fixed_clock()) == claim_status::fresh);
    }
    CHECK(guard.size() == 100);
  }
}

TEST_CASE("replay guard: two threads, a million nonces: no false accept, no false reject, bounded memory") {
  // Both threads claim the same million nonces in the same order (each one exactly once must
  // win), with a clock that advances 1 ms per 100 nonces and entries that live 200 ms. A barrier
  // every 10 000 nonces keeps the threads within 100 ms of each other, so a pair one thread
  // claimed is still unexpired when the other claims it.
  constexpr std::size_t total = 1'000'000, batch = 10'000;
  constexpr std::int64_t life = 200;
  memory_replay_guard guard(64 * 1024, 0x1234, 0x5678, 16);
  const std::size_t capacity = guard.capacity();
  std::atomic<std::size_t> fresh{0}, replayed{0}, full{0}, max_size{0};
  std::atomic<int> arrived{0};
  std::atomic<std::size_t> generation{0};
  auto barrier = [&] {
    const std::size_t g = generation.load();
    if (arrived.fetch_add(1) == 1) {
      arrived = 0;
      max_size = std::max(max_size.load(), guard.size());
      generation.fetch_add(1);
    } else {
      while (generation.load() == g) std::this_thread::yield();
    }
  };
  auto run = [&](int id) {
    std::size_t f = 0, r = 0, u = 0;
    char nonce[24] = "nonce-";
    for (std::size_t i = 0; i < total; ++i) {
      std::size_t n = 6, v = i;
      do nonce[n++] = static_cast<char>('0' + v % 10), v /= 10;
      while (v != 0);
      const std::int64_t now = static_cast<std::int64_t>(i / 100);
      switch (guard.try_claim(id == 0 ? "app.key" : "app.key", std::string_view(nonce, n), now + life, now)) {
        case claim_status::fresh: ++f; break;
        case claim_status::replayed: ++r; break;
        case claim_status::full:
        case claim_status::unavailable: ++u; break;
      }
      if ((i + 1) % batch == 0) barrier();
    }
    fresh += f, replayed += r, full += u;
  };
  std::thread a(run, 0), b(run, 1);
  a.join();
  b.join();
  CHECK(fresh.load() == total);     // every nonce accepted once: no false reject
  CHECK(replayed.load() == total);  // and refused the second time: no false accept
  CHECK(full.load() == 0u);
  CHECK(max_size.load() <= capacity);
  CHECK(max_size.load() >= 20'000u);  // the live window really was held (200 ms x 100 per ms)
  CHECK(guard.size() <= capacity);
  // the table: 24-byte slots at a load of at most 1/2, a power of two per shard (at most 2x
  // more), one allocation rounded up to 2 MiB (huge pages)
  CHECK(guard.memory_bytes() >= 2 * 24 * capacity);
  CHECK(guard.memory_bytes() <= 4 * 24 * capacity + (2u << 20) + 16 * 1024);
  // The same nonce under another key name is a different pair.
  CHECK(guard.try_claim("other.key", "nonce-5", 10'000, 9'999) == claim_status::fresh);
  CHECK(guard.try_claim("app.key", "nonce-999999", 10'050, 10'000) == claim_status::replayed);
}

TEST_CASE("token endpoint headers") {
  std::string all;
  for (const auto& h : token_endpoint_headers) all += std::string(h.name) + ": " + std::string(h.value) + "\n";
  CHECK(all ==
        "Cache-Control: no-cache, no-store, must-revalidate\nPragma: no-cache\nExpires: 0\nContent-Type: application/json\n");
}

// ---- fast paths against the general path (session 5) ----

namespace {
const char* const fast_qualifiers[] = {"", "", "[meta]", "[*]", "[queue]"};
const char* const fast_segments[] = {"a", "b", "*", "chat", "x1", ""};
const char* const fast_ops[] = {"publish", "subscribe", "presence", "history", "channel-metadata"};

std::string random_fast_pattern(capmatch_test::splitmix64& rng) {
  return capmatch_test::random_pattern(rng, fast_qualifiers, fast_segments);
}

/// Sometimes a request that is not a valid capability: an unknown operation or empty list.
std::string random_request_text(capmatch_test::splitmix64& rng) {
  std::string doc = capmatch_test::random_document(rng, 6, random_fast_pattern, fast_ops, 20);
  if (rng.chance(5)) doc.replace(0, 1, R"({"a":["Publish"],)");
  if (rng.chance(3)) doc = R"({"a":[]})";
  if (doc == "{" || doc.back() != '}') doc = "{}";
  return doc;
}

std::string json_quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

/// What a verification gave, as text: the effective capability, the requested canonical text
/// and the source offsets, or the error's code and message.
std::string outcome(const result<verified_token_request>& r) {
  if (!r) return "error " + std::to_string(static_cast<int>(r.error().code())) + " " + msg(r.error());
  std::string s = "ok " + r->effective.to_json() + " " + r->capability.value_or("(absent)");
  for (std::size_t i = 0; i < r->effective.size(); ++i) s += " " + std::to_string(r->effective.source_offset(i));
  return s;
}
}  // namespace

TEST_CASE("token request: intersect_identity is intersect byte for byte whenever it applies") {
  capmatch_test::splitmix64 rng{0x5e55'10a5};
  const char* const single_keys[] = {"[*]*", "*", "a:*", "[meta]*", "[*]a:*", "chat", "a:*:b"};
  std::size_t applied = 0, declined = 0;
  for (int round = 0; round < 10000; ++round) {
    std::string key_text = "{\"" + std::string(rng.pick(single_keys)) + "\":" +
                           (rng.chance(80) ? std::string(R"(["*"])") : capmatch_test::random_ops_json(rng, fast_ops, 0, 50)) + "}";
    if (rng.chance(10)) key_text = capmatch_test::random_document(rng, 3, random_fast_pattern, fast_ops, 50);
    const auto key = capability::parse(key_text);
    const auto req = capability::parse(capmatch_test::random_document(rng, 6, random_fast_pattern, fast_ops, 20));
    if (!key || !req) continue;  // (a generated pattern may be invalid, e.g. "[*]" alone)
    const auto fast = detail::intersect_identity(*key, *req);
    const auto general = intersect(*key, *req);
    if (!fast) {
      ++declined;
      continue;
    }
    ++applied;
    REQUIRE(general.has_value());
    CHECK(fast->to_json() == general->to_json());
    REQUIRE(fast->size() == general->size());
    for (std::size_t i = 0; i < fast->size(); ++i) CHECK(fast->source_offset(i) == general->source_offset(i));
    // and a key that grants everything: the same as intersect(request) (a JWT key without a capability)
    if (key_text == R"({"[*]*":["*"]})") CHECK(intersect(*req)->to_json() == fast->to_json());
  }
  CHECK(applied > 200);  // the shortcut was exercised (and declined) often enough to mean something
  CHECK(declined > 200);
}

TEST_CASE("token request: the capability cache and identity shortcut give the general path's results, errors included") {
  capmatch_test::splitmix64 rng{0xcace'0005};
  const auto s = make_signer();
  const char* const key_caps[] = {R"({"[*]*":["*"]})", R"({"*":["*"]})", R"({"a:*":["*"]})",
                                  R"({"a:*":["publish","subscribe"],"[meta]*":["subscribe"],"chat":["*"]})"};
  std::size_t hits_expected = 0, n = 0;
  for (const char* key_cap : key_caps) {
    const key_list keys = make_keys(key_cap);
    capability_cache cache(64);
    memory_replay_guard guard_plain{1 << 14, 11, 22, 4}, guard_cached{1 << 14, 11, 22, 4};
    token_verifier_options with_cache;
    with_cache.cache = &cache;
    const token_request_verifier plain(keys, guard_plain, fixed_clock);
    const token_request_verifier cached(keys, guard_cached, with_cache, fixed_clock);
    std::vector<std::string> texts;
    for (int i = 0; i < 300; ++i) {
      // reuse earlier texts often, so that the cache hits
      const bool reuse = !texts.empty() && rng.chance(50);
      const std::string text = reuse ? texts[rng.below(texts.size())] : random_request_text(rng);
      if (!reuse) texts.push_back(text);
      const bool absent = rng.chance(10);
      const std::string nonce = "nonce-fast-path-" + std::to_string(n++);
      const std::string ts = std::to_string(fixed_clock());
      const std::string wire = R"({"keyName":"appid.keyid",)" + (absent ? std::string() : "\"capability\":" + json_quoted(text) + ",") +
                               R"("timestamp":)" + ts + R"(,"nonce":")" + nonce + R"(","mac":")" +
                               signed_wire("", absent ? "" : text, "", ts, nonce) + "\"}";
      const std::string a = outcome(plain.verify(wire)), b = outcome(cached.verify(wire));
      CHECK(a == b);
      hits_expected += reuse && a.rfind("ok", 0) == 0;
    }
    // signed and created with a prepared capability: the same bytes as from the text
    for (const std::string& text : texts) {
      const auto prepared = prepared_capability::parse(text);
      if (!prepared) continue;
      token_params by_text, by_prepared;
      by_text.capability = text;
      by_prepared.prepared = &*prepared;
      for (token_params* p : {&by_text, &by_prepared}) p->timestamp_ms = fixed_clock(), p->nonce = nonce16, p->ttl_ms = 1000;
      std::string x, y;
      REQUIRE(s.create_json(by_text, x).code() == errc::ok);
      REQUIRE(s.create_json(by_prepared, y).code() == errc::ok);
      CHECK(x == y);
    }
    CHECK(cache.hits() > 0);
  }
  CHECK(hits_expected > 100);
}

// ---- midstates: templates and cached signed prefixes (session 6) ----

namespace {
/// A random request's per-request fields: sometimes invalid (empty or control-character
/// clientId, short nonce), sometimes with characters JSON escapes.
void random_request_fields(capmatch_test::splitmix64& rng, token_params& p, std::string& client_id, std::string& nonce,
                           std::size_t n) {
  const char* const ids[] = {"user-42", "*", "client-é", "a\"b\\c", "", "tab\there", "x"};
  if (rng.chance(80)) client_id = ids[rng.below(std::size(ids))], p.client_id = client_id;
  nonce = rng.chance(5) ? "short" : (rng.chance(10) ? "quote\"nonce-" : "nonce-midstate-") + std::to_string(n);
  p.nonce = nonce;
  if (rng.chance(80)) p.timestamp_ms = fixed_clock() + rng.below(1000);
}
}  // namespace

TEST_CASE("token request: a template creates byte for byte what the signer creates; macs as OpenSSL computes them") {
  capmatch_test::splitmix64 rng{0x7e3a'1a7e};
  token_signer_options o;
  o.server_offset_ms = 5000;
  const auto s = make_signer(o);
  const std::uint64_t ttls[] = {1000, 3'600'000, 0, max_token_ttl_ms + 1};
  std::size_t same_ok = 0, same_error = 0;
  for (std::size_t n = 0; n < 400; ++n) {
    const std::string cap_text = random_request_text(rng);
    token_params fixed;  // what the template fixes
    if (!rng.chance(15)) fixed.capability = cap_text;
    if (rng.chance(80)) fixed.ttl_ms = ttls[rng.below(rng.chance(90) ? 2 : 4)];
    token_params rest;  // what each request gives
    std::string client_id, nonce;
    random_request_fields(rng, rest, client_id, nonce, n);
    token_params all = rest;
    all.capability = fixed.capability;
    all.ttl_ms = fixed.ttl_ms;
    const auto by_signer = s.create(all);
    const auto tmpl = s.prepare(fixed);
    if (!tmpl) {  // the capability or ttl is refused: as the signer refuses it (when clientId is fine)
      REQUIRE(!by_signer.has_value());
      if (!rest.client_id || detail::check_signed_field("clientId", *rest.client_id, max_client_id_bytes).code() == errc::ok)
        CHECK(msg(tmpl.error()) == msg(by_signer.error()));
      ++same_error;
      continue;
    }
    const auto by_template = tmpl->create(rest);
    REQUIRE(by_template.has_value() == by_signer.has_value());
    if (!by_signer) {
      CHECK(msg(by_template.error()) == msg(by_signer.error()));
      ++same_error;
      continue;
    }
    CHECK(by_template->json == by_signer->json);
    CHECK(by_template->signed_text == by_signer->signed_text);
    CHECK(by_template->mac == by_signer->mac);
    CHECK(by_template->mac == openssl_mac(secret, by_template->signed_text));
    std::string json;
    REQUIRE(tmpl->create_json(rest, json).code() == errc::ok);
    CHECK(json == by_signer->json);
    ++same_ok;
  }
  CHECK(same_ok > 150);
  CHECK(same_error > 50);
}

TEST_CASE("token request: template errors (exact messages), default timestamp and fresh nonces") {
  token_signer_options o;
  o.server_offset_ms = 5000;
  const auto s = make_signer(o);
  token_params with_id;
  with_id.client_id = "user";
  CHECK(msg(s.prepare(with_id).error()) ==
        "a template fixes only the capability and ttl; give clientId, timestamp and nonce to each create");
  token_params fixed;
  fixed.capability = R"({"chat:*":["publish"]})";
  fixed.ttl_ms = 60'000;
  const auto t = s.prepare(fixed);
  REQUIRE(t.has_value());
  token_params with_ttl;
  with_ttl.ttl_ms = 1000;
  CHECK(msg(t->create(with_ttl).error()) == "this template fixes the capability and ttl; give only clientId, timestamp and nonce");
  const prepared_capability prepared = *prepared_capability::parse(R"({"a":["*"]})");
  token_params with_cap;
  with_cap.prepared = &prepared;
  std::string json;
  CHECK(msg(t->create_json(with_cap, json)) == "this template fixes the capability and ttl; give only clientId, timestamp and nonce");
  token_params bad_nonce;
  bad_nonce.nonce = "short";
  CHECK(msg(t->create(bad_nonce).error()) == "nonce has 5 characters; at least 16 required");
  token_params ttl0;
  ttl0.ttl_ms = 0;
  CHECK(msg(s.prepare(ttl0).error()) == "ttl 0 ms is not positive; omit ttl for the default");
  // default timestamp (clock + offset) and CSPRNG nonces: two requests differ only in nonce and mac
  const auto a = t->create({}), b = t->create({});
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  CHECK(a->json != b->json);
  const key_list keys = make_keys();
  memory_replay_guard guard(16, 1, 2, 1);
  const token_request_verifier v(keys, guard, fixed_clock);
  for (const auto* r : {&*a, &*b}) {
    const auto got = v.verify(r->json);
    REQUIRE(got.has_value());
    CHECK(got->timestamp_ms == static_cast<std::uint64_t>(fixed_clock() + 5000));
    CHECK(got->ttl_ms == 60'000u);
    CHECK(got->nonce.size() == 32);
    CHECK(got->effective.to_json() == R"({"chat:*":["publish"]})");
    CHECK(r->json.find(secret) == std::string::npos);
    CHECK(r->signed_text.find(secret) == std::string::npos);
  }
}

namespace {
/// A wire form with the given members (raw JSON texts; empty = absent), mac by OpenSSL under `key_secret`.
std::string wire_with(std::string_view key_secret, std::string_view ttl, std::string_view cap, std::string_view client_id,
                      std::string_view nonce) {
  const std::string ts = std::to_string(fixed_clock());
  const std::string text = std::string(key_name) + "\n" + std::string(ttl) + "\n" + std::string(cap) + "\n" +
                           std::string(client_id) + "\n" + ts + "\n" + std::string(nonce) + "\n";
  std::string w = R"({"keyName":")" + std::string(key_name) + "\"";
  if (!ttl.empty()) w += R"(,"ttl":)" + std::string(ttl);
  if (!cap.empty()) w += R"(,"capability":)" + json_quoted(cap);
  if (!client_id.empty()) w += R"(,"clientId":)" + json_quoted(client_id);
  return w + R"(,"timestamp":)" + ts + R"(,"nonce":)" + json_quoted(nonce) + R"(,"mac":")" +
         openssl_mac(key_secret, text) + "\"}";
}
}  // namespace

TEST_CASE("token request: a cached signed prefix gives the uncached result for every request, changed bytes included") {
  capmatch_test::splitmix64 rng{0x9e1f'cafe};
  const char* const key_caps[] = {R"({"[*]*":["*"]})", R"({"a:*":["publish","subscribe"],"[meta]*":["subscribe"],"chat":["*"]})",
                                  R"({"a::b":["*"]})"};
  const char* const ttls[] = {"", "60000", "60000", "60000", "3600000"};  // (a tag is keyName and ttl)
  std::size_t n = 0, changed_total = 0, prefix_hits = 0;
  for (const char* key_cap : key_caps) {
    const key_list keys = make_keys(key_cap);
    capability_cache cache(1024);
    memory_replay_guard guard_plain{1 << 14, 11, 22, 4}, guard_cached{1 << 14, 11, 22, 4};
    token_verifier_options with_cache;
    with_cache.cache = &cache;
    const token_request_verifier plain(keys, guard_plain, fixed_clock);
    const token_request_verifier cached(keys, guard_cached, with_cache, fixed_clock);
    std::vector<std::string> texts;
    for (int i = 0; i < 600; ++i) {
      const bool reuse = !texts.empty() && rng.chance(85);
      const std::string text = reuse ? texts[rng.below(texts.size())] : random_request_text(rng);
      if (!reuse) texts.push_back(text);
      const bool absent = rng.chance(10);
      const std::string nonce = "nonce-prefix-" + std::to_string(n++);
      std::string wire = wire_with(secret, ttls[rng.below(std::size(ttls))], absent ? "" : text,
                                   rng.chance(50) ? "user-7" : "", nonce);
      const bool change = rng.chance(30);
      if (change) {  // one byte changed anywhere
        wire[rng.below(wire.size())] ^= static_cast<char>(1 + rng.below(255));
        ++changed_total;
      }
      const std::string a = outcome(plain.verify(wire)), b = outcome(cached.verify(wire));
      CHECK(a == b);
      if (change) CHECK_MESSAGE(a.rfind("ok", 0) != 0, wire);
    }
    prefix_hits += cache.prefix_hits();
  }
  CHECK(changed_total > 400);
  CHECK(prefix_hits > 60);  // the cached prefix was used, not only stored (94 with this seed)
}

TEST_CASE("token request: one byte changed anywhere in a request whose prefix is cached fails as it does uncached") {
  const std::string cap = R"({"chat:*":["publish","subscribe"],"[meta]log":["subscribe"],"x\"y":["history"]})";
  const key_list keys = make_keys();
  capability_cache cache(16);
  token_verifier_options with_cache;
  with_cache.cache = &cache;
  {  // the prefix (keyName, ttl 60000, cap) is stored by one verified request, and used by the next
    memory_replay_guard guard(16, 1, 2, 1);
    const token_request_verifier v(keys, guard, with_cache, fixed_clock);
    REQUIRE(v.verify(wire_with(secret, "60000", cap, "client-é", "nonce-first-0000")).has_value());
    REQUIRE(v.verify(wire_with(secret, "60000", cap, "client-é", "nonce-second-000")).has_value());
    REQUIRE(cache.prefix_hits() == 1);
  }
  const std::string wire = wire_with(secret, "60000", cap, "client-é", "nonce-changed-00");
  std::size_t tried = 0, mac_mismatch = 0;
  const std::uint64_t hits_before = cache.prefix_hits();
  for (std::size_t i = 0; i < wire.size(); ++i) {
    for (unsigned char delta : {0x01, 0x02, 0x20, 0x80}) {
      std::string changed = wire;
      changed[i] = static_cast<char>(static_cast<unsigned char>(changed[i]) ^ delta);
      memory_replay_guard g1(16, 1, 2, 1), g2(16, 1, 2, 1);
      const auto with = token_request_verifier(keys, g1, with_cache, fixed_clock).verify(changed);
      const auto without = token_request_verifier(keys, g2, fixed_clock).verify(changed);
      CHECK_MESSAGE(!with.has_value(), "byte ", i, " ^ ", int(delta), ": ", changed);
      CHECK(outcome(with) == outcome(without));
      mac_mismatch += !with && with.error().code() == errc::mac_mismatch;
      ++tried;
    }
  }
  CHECK(tried == 4 * wire.size());
  CHECK(mac_mismatch > wire.size());  // most changes reach the mac check, and fail it
  CHECK(cache.prefix_hits() - hits_before > wire.size() / 2);  // with the cached prefix
  memory_replay_guard guard(16, 1, 2, 1);
  CHECK(token_request_verifier(keys, guard, with_cache, fixed_clock).verify(wire).has_value());  // the original does
}

TEST_CASE("token request: a rotated secret under the same key name never reuses a cached prefix") {
  constexpr std::string_view old_secret = secret, new_secret = "SENTINEL-ROTATED-beef";
  const std::string cap = R"({"chat:*":["publish","subscribe"]})";
  auto key_with = [&](std::string_view s, std::string_view c) {
    key_list keys;
    keys.add(token_key{std::string(key_name), crypto::hmac_sha256_key(s), *capability::parse(c), false});
    return keys;
  };
  const key_list before = key_with(old_secret, R"({"[*]*":["*"]})"), after = key_with(new_secret, R"({"[*]*":["*"]})");
  const key_list other_cap = key_with(old_secret, R"({"chat:*":["*"]})");
  CHECK(!(before.find(key_name)->fingerprint() == after.find(key_name)->fingerprint()));
  CHECK(!(before.find(key_name)->fingerprint() == other_cap.find(key_name)->fingerprint()));
  CHECK(before.find(key_name)->fingerprint() == key_with(old_secret, R"({"[*]*":["*"]})").find(key_name)->fingerprint());
  capability_cache cache(16);
  token_verifier_options with_cache;
  with_cache.cache = &cache;
  memory_replay_guard guard(64, 1, 2, 1);
  const token_request_verifier v_before(before, guard, with_cache, fixed_clock), v_after(after, guard, with_cache, fixed_clock);
  REQUIRE(v_before.verify(wire_with(old_secret, "1000", cap, "", "nonce-rotate-0000")).has_value());
  REQUIRE(v_before.verify(wire_with(old_secret, "1000", cap, "", "nonce-rotate-0001")).has_value());
  REQUIRE(cache.prefix_hits() == 1);
  const std::uint64_t hits = cache.hits();
  // the old secret's request under the new key: refused (its prefix state is not the new key's)
  const auto stale = v_after.verify(wire_with(old_secret, "1000", cap, "", "nonce-rotate-0002"));
  REQUIRE(!stale.has_value());
  CHECK(stale.error().code() == errc::mac_mismatch);
  CHECK(cache.hits() == hits);  // a different fingerprint: not even a capability hit
  CHECK(v_after.verify(wire_with(new_secret, "1000", cap, "", "nonce-rotate-0003")).has_value());
  CHECK(v_after.verify(wire_with(new_secret, "1000", cap, "", "nonce-rotate-0004")).has_value());
  CHECK(cache.prefix_hits() == 2);  // the new key's own prefix, stored by its first request
  // and the old key, still configured elsewhere, keeps its own entry working (or re-creates it)
  CHECK(v_before.verify(wire_with(old_secret, "1000", cap, "", "nonce-rotate-0005")).has_value());
  CHECK(!v_before.verify(wire_with(new_secret, "1000", cap, "", "nonce-rotate-0006")).has_value());
}

TEST_CASE("token request: without a capability the effective capability is intersect(key), computed once per key") {
  capmatch_test::splitmix64 rng{0x0c0a'b0de};
  std::size_t n = 0, errors = 0;
  for (int round = 0; round < 100; ++round) {
    std::string key_cap = random_request_text(rng);
    if (round == 0) key_cap = R"({"a::b":["*"]})";  // grants nothing: 40160 like intersect
    auto cap = capability::parse(key_cap);
    if (!cap) continue;
    const auto expected = intersect(*cap);  // docs/semantics.md §14
    const key_list keys = make_keys(key_cap);
    memory_replay_guard guard(16, 1, 2, 1);
    const token_request_verifier v(keys, guard, fixed_clock);
    const auto got = v.verify(wire_with(secret, "", "", "", "nonce-own-capab-" + std::to_string(n++)));
    REQUIRE(got.has_value() == expected.has_value());
    if (got) {
      CHECK(got->effective.to_json() == expected->to_json());
    } else {
      CHECK(msg(got.error()) == msg(expected.error()));
      ++errors;
    }
  }
  CHECK(errors >= 1);
  CHECK(n > 50);
}

TEST_CASE("replay guard: the one-pass two-lane hash is the two seeded hashes it replaces") {
  capmatch_test::splitmix64 rng{0x5eed'4a54};
  for (int i = 0; i < 2000; ++i) {
    std::string a(rng.below(40), '\0'), b(rng.below(300), '\0');
    for (char& c : a) c = static_cast<char>(rng.next());
    for (char& c : b) c = static_cast<char>(rng.next());
    const std::uint64_t s0 = rng.next(), s1 = rng.next();
    std::uint64_t h0 = 0, h1 = 1;
    detail::seeded_hash2(a, h0, h1, s0, s1);
    detail::seeded_hash2(b, h0, h1, s0, s1);
    CHECK(h0 == detail::seeded_hash(b, detail::seeded_hash(a, 0, s0), s0));
    CHECK(h1 == detail::seeded_hash(b, detail::seeded_hash(a, 1, s1), s1));
  }
}

TEST_CASE("hashes: a tail of 0-8 bytes is read as a memcpy into a zeroed word reads it") {
  // detail::swar::load_partial (the hashes' tails, the JSON scans' short strings) replaced a
  // variable-length memcpy with overlapping loads: every length, every byte value at every
  // position, and the bytes beyond the tail never read into it
  capmatch_test::splitmix64 rng{0x7a11'0e4d};
  for (int round = 0; round < 200; ++round) {
    char buf[16];
    for (char& c : buf) c = static_cast<char>(rng.next());
    for (std::size_t n = 0; n <= 8; ++n) {
      std::uint64_t expected = 0;
      for (std::size_t k = 0; k < n; ++k) expected |= std::uint64_t{static_cast<unsigned char>(buf[4 + k])} << (8 * k);
      INFO("n ", n);
      if constexpr (std::endian::native == std::endian::little) {
        CHECK(detail::swar::load_partial(buf + 4, n) == expected);
        std::uint64_t word = 0;
        std::memcpy(&word, buf + 4, n);
        CHECK(detail::swar::load_partial(buf + 4, n) == word);
      }
    }
  }
  CHECK(detail::swar::load_partial(nullptr, 0) == 0);
}

TEST_CASE("capability cache: the wide hash reads every byte and spreads texts over the slots") {
  // detail::wide_hash chooses a capability_cache slot for a capability text (hundreds of bytes,
  // two chains of 16 bytes per multiply, then a tail): a byte it skipped would make texts that
  // differ there share a slot, a weak mix would crowd some slots.
  capmatch_test::splitmix64 rng{0x51de'4a54};
  for (std::size_t size : {0u, 1u, 31u, 32u, 33u, 63u, 64u, 65u, 100u, 415u, 1000u}) {
    std::string text(size, '\0');
    for (char& c : text) c = static_cast<char>(rng.next());
    const std::uint64_t seed = rng.next(), h = detail::wide_hash(text, seed);
    CHECK(detail::wide_hash(text, seed) == h);
    if (size >= 32) CHECK(detail::wide_hash(text, seed ^ 1) != h);  // (a seed changes everything)
    for (std::size_t i = 0; i < size; ++i) {  // one byte changed anywhere: another hash
      std::string other = text;
      other[i] = static_cast<char>(other[i] ^ (1 << rng.below(8)));
      INFO("size ", size, " byte ", i);
      CHECK(detail::wide_hash(other, seed) != h);
    }
    if (size > 0) CHECK(detail::wide_hash(std::string_view(text).substr(0, size - 1), seed) != h);
  }
  // an empty view without data (a JWT's absent capability; std::string_view{}) reads nothing
  // (memcpy from a null pointer is undefined even for 0 bytes: UBSan caught it in CI)
  CHECK(detail::wide_hash(std::string_view{}, 7) == detail::wide_hash(std::string_view(""), 7));
  CHECK(detail::seeded_hash(std::string_view{}, 1, 7) == detail::seeded_hash(std::string_view(""), 1, 7));
  std::uint64_t e0 = 0, e1 = 1;
  detail::seeded_hash2(std::string_view{}, e0, e1, 7, 8);
  CHECK(e0 == detail::seeded_hash(std::string_view(""), 0, 7));
  // 64 000 capability-like texts differing in a few bytes, into 1024 slots as the cache maps
  // them (text hash mixed with the key's, the high bits of that x slots), under two keys: every
  // slot used, none with more than twice the mean; and one text under 64 keys spreads too
  constexpr std::size_t slots = 1024, texts = 64'000;
  const capability_cache cache(slots);
  const std::string text = R"({"tenant0:room:*":["publish","subscribe","presence"],"tenant0:*:admin":["*"],"status":["subscribe"]})";
  for (const char* name : {"app.key1", "app.key2"}) {
    const auto key = key_fingerprint::of(name, nullptr);
    std::vector<std::uint32_t> load(slots);
    for (std::size_t k = 0; k < texts; ++k) {
      const std::string t = text + std::to_string(k);
      const std::size_t at = cache.slot_of(key, capability_cache::text_hash(t));
      REQUIRE(at < slots);
      ++load[at];
    }
    const auto [lo, hi] = std::minmax_element(load.begin(), load.end());
    CHECK(*lo > 0);
    CHECK(*hi <= 2 * texts / slots);
  }
  std::vector<std::size_t> used;
  for (int k = 0; k < 64; ++k)
    used.push_back(cache.slot_of(key_fingerprint::of("app.key" + std::to_string(k), nullptr), capability_cache::text_hash(text)));
  std::sort(used.begin(), used.end());
  CHECK(std::unique(used.begin(), used.end()) - used.begin() >= 56);  // (64 balls in 1024 bins: ~2 collide)
}

TEST_CASE("wire form strings: the word-at-a-time escape decoding equals the general JSON string reader") {
  // (json_object decodes \" \\ \/ escapes eight bytes at a time, as in a TokenRequest's
  // capability; json_reader::read_string is the general, byte-at-a-time reader)
  capmatch_test::splitmix64 rng{0x5171'76a5};
  const char* const pieces[] = {"a", "chat:*", "\\\"", "\\\\", "\\/", "\\n", "\\u00e9", "\xc3\xa9", "\x01", "\\x", "\"", "\\"};
  std::size_t decoded = 0, refused = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string body;
    const std::size_t n = rng.below(40);
    for (std::size_t k = 0; k < n; ++k) body += pieces[rng.below(rng.chance(90) ? 6 : std::size(pieces))];
    const std::string doc = R"({"capability":")" + body + "\"}";
    const auto got = detail::json_object::parse(doc);
    detail::json_reader ref(std::string_view(doc).substr(14));
    std::vector<char> out;
    error e;
    const bool ok = ref.read_string(out, e);
    if (got) {
      REQUIRE(ok);  // (a string the reference refuses is never accepted)
      CHECK(got->string_value(0) == std::string_view(out.data(), out.size()));
      ++decoded;
    } else {
      ++refused;
    }
  }
  CHECK(decoded > 10000);
  CHECK(refused > 100);
}

TEST_CASE("capability cache: a key's fingerprint tells keys apart by name, capability and secret") {
  capability_cache cache(1);  // one slot: every entry competes for it, so only the key decides a hit
  const auto a = *capability::parse(R"({"chat:*":["*"]})"), b = *capability::parse(R"({"chat:*":["publish"]})");
  const auto c = *capability::parse(R"({"chat:*":["*"],"x":["subscribe"]})");
  const auto eff = *capability::parse(R"({"chat:a":["publish"]})");
  const crypto::hmac_sha256_key s("s"), t("t");
  constexpr std::string_view text = R"({"chat:a":["publish"]})";
  cache.insert(key_fingerprint::of("app.key", &a, &s), text, text, eff);
  capability_cache::entry e;
  CHECK(cache.find(key_fingerprint::of("app.key", &a, &s), text, "", e));
  CHECK(e.effective == eff);
  CHECK(e.canonical == text);
  CHECK(!cache.find(key_fingerprint::of("app.key", &b, &s), text, "", e));   // other operations
  CHECK(!cache.find(key_fingerprint::of("app.key", &c, &s), text, "", e));   // one more entry
  CHECK(!cache.find(key_fingerprint::of("app.key", nullptr, &s), text, "", e));  // no capability
  CHECK(!cache.find(key_fingerprint::of("app.kez", &a, &s), text, "", e));   // other name
  CHECK(!cache.find(key_fingerprint::of("app.key", &a, &t), text, "", e));   // other secret
  CHECK(!cache.find(key_fingerprint::of("app.key", &a), text, "", e));       // no secret
  CHECK(!cache.find(key_fingerprint::of("app.key", &a, &s), R"({"chat:a":["publish"] })", "", e));  // other text
  // a TokenRequest key and a JWT key for the same key are one identity (they share entries)
  const token_key k("app.key", s, a);
  const jwt_key j(api_key::parse("app.key:s").value(), a);
  CHECK(k.fingerprint() == key_fingerprint::of("app.key", &a, &s));
  CHECK(j.fingerprint() == k.fingerprint());
  CHECK(cache.hits() == 1);
}

// ---------------------------------------------------------------------------------------------
// Allocations counted: every operator new of this test program (this file's binary only).
namespace {
std::atomic<std::size_t> g_news{0};
}  // namespace
void* operator new(std::size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) std::abort();  // (no exceptions in the noexcept build variants)
  g_news.fetch_add(1, std::memory_order_relaxed);
  return p;
}
// (not inlined: GCC would otherwise see free() of an operator new pointer and warn)
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {
/// Every field of a verification's result, or its error.
std::string full_outcome(const result<verified_token_request>& r) {
  if (!r) return outcome(r);
  std::string s = outcome(r) + " key=" + r->key_name + " ttl=" + (r->ttl_ms ? std::to_string(*r->ttl_ms) : "(absent)") +
                  " client=" + r->client_id.value_or("(absent)") + " ts=" + std::to_string(r->timestamp_ms) +
                  " nonce=" + r->nonce;
  return s;
}
}  // namespace

TEST_CASE("token request: verify_into with one reused result gives verify()'s result for every request") {
  capmatch_test::splitmix64 rng{0x5107'0001};
  const char* const ttls[] = {"", "60000", "3600000"};
  const key_list keys = make_keys(R"({"a:*":["publish","subscribe"],"[meta]*":["subscribe"],"chat":["*"]})");
  capability_cache cache(1024);
  token_verifier_options with_cache;
  with_cache.cache = &cache;
  for (const bool use_cache : {false, true}) {
    memory_replay_guard guard_new{1 << 13, 11, 22, 4}, guard_reused{1 << 13, 11, 22, 4};
    const token_request_verifier fresh(keys, guard_new, use_cache ? with_cache : token_verifier_options{}, fixed_clock);
    const token_request_verifier reused(keys, guard_reused, use_cache ? with_cache : token_verifier_options{}, fixed_clock);
    verified_token_request out;  // one result for every request: nothing of an earlier one may show
    std::vector<std::string> texts;
    std::size_t oks = 0, errors = 0;
    for (int i = 0; i < 1500; ++i) {
      const bool reuse = !texts.empty() && rng.chance(80);
      const std::string text = reuse ? texts[rng.below(texts.size())] : random_request_text(rng);
      if (!reuse) texts.push_back(text);
      const std::string nonce = "nonce-into-" + std::to_string(i) + (use_cache ? "c" : "p");
      std::string wire = wire_with(secret, ttls[rng.below(std::size(ttls))], rng.chance(15) ? "" : text,
                                   rng.chance(50) ? "user-7" : "", nonce);
      if (rng.chance(15)) wire[rng.below(wire.size())] ^= static_cast<char>(1 + rng.below(255));
      const std::string a = full_outcome(fresh.verify(wire));
      const error e = reused.verify_into(wire, fixed_clock(), out);
      const std::string b = e.code() == errc::ok ? full_outcome(result<verified_token_request>(out))
                                                 : full_outcome(result<verified_token_request>(e));
      CHECK(a == b);
      if (e.code() != errc::ok) {  // a refused request leaves nothing to read
        CHECK(out.key_name.empty());
        CHECK(!out.capability);
        CHECK(out.effective.size() == 0);
        CHECK(out.nonce.empty());
        ++errors;
      } else {
        ++oks;
      }
    }
    CHECK(oks > 150);  // (most random capabilities have no entry in common with the key's: 40160)
    CHECK(errors > 200);
  }
  CHECK(cache.prefix_hits() > 150);
}

TEST_CASE("token request: verify_into allocates nothing once its result has grown (cache hit, no capability)") {
  const std::string cap = R"({"chat:*":["publish","subscribe"],"[meta]log":["subscribe"],"x\"y":["history"]})";
  const key_list keys = make_keys();
  capability_cache cache(16);
  token_verifier_options with_cache;
  with_cache.cache = &cache;
  memory_replay_guard guard(1024, 1, 2, 1);
  const token_request_verifier v(keys, guard, with_cache, fixed_clock);
  std::vector<std::string> wires;  // 100 with the capability (cache hits), then 100 without
  for (int i = 0; i < 200; ++i) {
    const std::string nonce = "nonce-alloc-" + std::to_string(1'000'000 + i) + "-with-a-long-tail";
    wires.push_back(wire_with(secret, "60000", i < 100 ? std::string_view(cap) : std::string_view(), "client-42", nonce));
  }
  verified_token_request out;
  for (const std::size_t from : {0, 100}) {  // (an absent capability keeps no buffer: each form grows once)
    for (std::size_t i = from; i < from + 4; ++i) REQUIRE(v.verify_into(wires[i], fixed_clock(), out).code() == errc::ok);
    const std::size_t before = g_news.load();
    std::size_t ok = 0;
    for (std::size_t i = from + 4; i < from + 100; ++i) ok += v.verify_into(wires[i], fixed_clock(), out).code() == errc::ok;
    CHECK(ok == 96);
    CHECK(g_news.load() - before == 0);
  }
  CHECK(cache.prefix_hits() >= 98);
  // verify() allocates its result each time (the control: the counter does count)
  const std::size_t before_copy = g_news.load();
  memory_replay_guard guard2(1024, 1, 2, 1);
  const token_request_verifier v2(keys, guard2, with_cache, fixed_clock);
  for (std::size_t i = 4; i < 14; ++i) REQUIRE(v2.verify(wires[i]).has_value());
  CHECK(g_news.load() - before_copy >= 10);
}

// ---- session 8: the capability read as written (not decoded), and its cache entries ----

TEST_CASE("wire form strings: a capability kept escaped is exactly what decoding accepts, and decodes to its text") {
  // (json_object_limits::keep_escaped: detail::simple_escaped_end checks \" \\ \/ escapes eight
  // bytes at a time without decoding; anything else goes to the decoding reader. The same
  // document read both ways must give the same error, or the same decoded text.)
  capmatch_test::splitmix64 rng{0x5e55'1088};
  const char* const pieces[] = {"a",      "chat:*", "\\\"",     "\\\\", "\\/", "\\n",  "\\u00e9", "\xc3\xa9",
                                "\x01",   "\\x",    "\"",       "\\",   "\x7f", "\xff", "\\u", "\\\\\\\""};
  const detail::json_object_limits keep{64u << 10, 32, 0, "capability"}, plain_limits{64u << 10, 32, 0, {}};
  std::size_t kept_escaped = 0, decoded = 0, refused = 0;
  detail::json_object kept, plain;
  for (int i = 0; i < 30000; ++i) {
    std::string body;
    const std::size_t n = rng.below(48);
    const bool simple = rng.chance(50);  // (then only plain text and \" \\ \/ escapes)
    for (std::size_t k = 0; k < n; ++k)
      body += pieces[rng.below(simple ? 5 : rng.chance(92) ? 6 : std::size(pieces))];
    const std::string doc = R"({"capability":")" + body + R"(","nonce":"n\/1"})";
    const error ek = kept.read(doc, keep), ep = plain.read(doc, plain_limits);
    REQUIRE(ek.code() == ep.code());
    CHECK(msg(ek) == msg(ep));
    CHECK(ek.offset() == ep.offset());
    if (ek.code() != errc::ok) {
      ++refused;
      continue;
    }
    REQUIRE(kept.size() == plain.size());
    CHECK(!kept.at(1).value_escaped);  // only the named member is kept as written
    CHECK(kept.string_value(1) == plain.string_value(1));
    std::string got(kept.string_value(0));
    if (kept.at(0).value_escaped) {
      CHECK(kept.raw(0) == "\"" + got + "\"");  // the whole body, as written
      detail::decode_simple_escaped(kept.string_value(0), got);
      ++kept_escaped;
    } else {
      ++decoded;
    }
    CHECK(got == plain.string_value(0));
  }
  CHECK(kept_escaped > 10000);
  CHECK(decoded > 100);  // (valid strings with other escapes or non-ASCII: decoded as before)
  CHECK(refused > 100);
}

TEST_CASE("token request: two spellings of one capability are two cache entries; each verifies as uncached") {
  // `/` may be written `\/`: the same decoded (signed) text, another escaped text. The cache is
  // keyed by the escaped text, so each spelling has its own entry and signed prefix. (The
  // spellings come twice each, in turn: the verifier's thread memo of the last capability body
  // recognises the repeat, a change, and a return to the first; the counts are as without it.)
  const std::string cap = R"({"a/b:*":["publish"],"x\"y":["history"]})";
  const key_list keys = make_keys(R"({"a/b:*":["*"],"x\"y":["*"]})");
  capability_cache cache(64);
  token_verifier_options with_cache;
  with_cache.cache = &cache;
  memory_replay_guard guard(64, 1, 2, 1), guard_plain(64, 1, 2, 1);
  const token_request_verifier v(keys, guard, with_cache, fixed_clock), plain(keys, guard_plain, fixed_clock);
  auto spelled = [&](std::string_view nonce, bool slash_escaped) {
    std::string w = wire_with(secret, "1000", cap, "", nonce);
    if (slash_escaped) {
      const std::size_t at = w.find("a/b");
      REQUIRE(at != std::string::npos);
      w.replace(at, 3, "a\\/b");
    }
    return w;
  };
  int k = 0;
  for (const bool slash_escaped : {false, true, false, true}) {
    for (int twice = 0; twice < 2; ++twice) {
      const std::string nonce = "nonce-spelling-" + std::to_string(k++);
      const std::string w = spelled(nonce, slash_escaped);
      const auto a = v.verify(w), b = plain.verify(w);
      REQUIRE(a.has_value());
      CHECK(outcome(a) == outcome(b));
    }
  }
  CHECK(cache.misses() == 2);  // each spelling's first request
  CHECK(cache.hits() == 6);
  CHECK(cache.prefix_hits() == 6);
}

TEST_CASE("capability cache: an entry of one text form never answers a lookup of the other") {
  // (a JWT's capability claim is looked up decoded, a TokenRequest's as written in its string;
  // the two share one cache)
  const key_list keys = make_keys();
  const key_fingerprint& fp = keys.find(key_name)->fingerprint();
  const auto eff = capability::parse(R"({"a":["*"]})");
  REQUIRE(eff.has_value());
  using form = capability_cache::text_form;
  for (const form stored : {form::decoded, form::json_escaped}) {
    capability_cache cache(1);
    const std::string text = R"({"a":["*"]})";
    cache.insert(fp, text, text, *eff, "tag", nullptr, stored);
    std::string canonical;
    capability effective;
    std::optional<crypto::hmac_sha256> prefix;
    const form other = stored == form::decoded ? form::json_escaped : form::decoded;
    CHECK(!cache.find(fp, text, "tag", canonical, effective, prefix, other));
    CHECK(cache.find(fp, text, "tag", canonical, effective, prefix, stored));
    CHECK(canonical == text);
  }
}

TEST_CASE("capability cache: find into the caller's HMAC state says miss, hit or hit with the prefix") {
  // The verifier's lookup (one hmac_sha256, no std::optional): the state is written only on
  // hit_with_prefix, and the optional overload answers the same lookups the same way.
  const key_list keys = make_keys();
  const key_fingerprint& fp = keys.find(key_name)->fingerprint();
  const auto eff = capability::parse(R"({"a":["*"]})");
  REQUIRE(eff.has_value());
  const std::string text = R"({"a":["*"]})";
  const std::uint64_t hash = capability_cache::text_hash(text);
  const crypto::hmac_sha256_key k1("one"), k2("two");
  crypto::hmac_sha256 stored(k1);
  stored.update(std::string_view("keyName\nttl\n{\"a\":[\"*\"]}\n"));
  const crypto::sha256_digest stored_mac = crypto::hmac_sha256(stored).finish();
  const crypto::sha256_digest untouched_mac = crypto::hmac_sha256(k2).finish();
  using lookup = capability_cache::lookup;
  capability_cache cache(4);
  std::string canonical = "unchanged";
  capability effective;
  crypto::hmac_sha256 h(k2);
  CHECK(cache.find(fp, text, hash, "tag", canonical, effective, h) == lookup::miss);
  CHECK(canonical == "unchanged");
  CHECK(crypto::hmac_sha256(h).finish() == untouched_mac);
  cache.insert(fp, text, hash, text, *eff, "tag", nullptr);  // no prefix stored
  CHECK(cache.find(fp, text, hash, "tag", canonical, effective, h) == lookup::hit);
  CHECK(canonical == text);
  CHECK(effective == *eff);
  CHECK(crypto::hmac_sha256(h).finish() == untouched_mac);
  cache.insert(fp, text, hash, text, *eff, "tag", &stored);
  CHECK(cache.find(fp, text, hash, "other tag", canonical, effective, h) == lookup::hit);
  CHECK(crypto::hmac_sha256(h).finish() == untouched_mac);
  CHECK(cache.find(fp, text, hash, "tag", canonical, effective, h) == lookup::hit_with_prefix);
  CHECK(crypto::hmac_sha256(h).finish() == stored_mac);
  CHECK(cache.find(fp, text, hash, "tag", canonical, effective, h, capability_cache::text_form::json_escaped) ==
        lookup::miss);
  // the optional overload: reset on a hit without the tag's prefix, set with it, untouched on a miss
  std::optional<crypto::hmac_sha256> prefix(k2);
  CHECK(cache.find(fp, text, hash, "other tag", canonical, effective, prefix));
  CHECK(!prefix.has_value());
  CHECK(cache.find(fp, text, hash, "tag", canonical, effective, prefix));
  REQUIRE(prefix.has_value());
  CHECK(prefix->finish() == stored_mac);
  CHECK(!cache.find(fp, "{}", "tag", canonical, effective, prefix));
  CHECK(prefix.has_value());
  CHECK(cache.hits() == 5);
  CHECK(cache.prefix_hits() == 2);
  CHECK(cache.misses() == 3);
}
