// Signed grants for incremental authorization (docs/semantics.md §28): the cookie format byte
// for byte against OpenSSL's HMAC, verification (clientId binding, tampering, expiry, key ids),
// extend by exact union, key rotation, the size limit, and secrets in no message.
#include <capmatch/signed_grant.hpp>
#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>
#include <vector>

using namespace capmatch;

namespace {
constexpr std::int64_t now = 1'700'000'000'000;
constexpr std::int64_t minute = 60'000;
// Secrets no message could contain by accident (32 bytes each).
constexpr std::string_view secret1 = "Qz7xWv3kP9tJ8rLm2Nb5Hc6Yd4Fg1Ks0";
constexpr std::string_view secret2 = "Hm4rTy8uLp2eWq9zXc3vBn7mAs5dFg6J";

std::string msg(const error& e) { return std::string(e.message()); }

capability cap_of(std::string_view json) {
  auto c = capability::parse(json);
  REQUIRE(c.has_value());
  return *c;
}

grant_keyring keyring() {
  grant_keyring k;
  REQUIRE(k.add("k1", secret1).code() == errc::ok);
  return k;
}

// The reference encoding, from OpenSSL: standard base64, then the RFC 4648 §5 substitutions.
std::string openssl_b64url(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}
std::string openssl_hmac(std::string_view key, std::string_view m) {
  unsigned char d[32];
  unsigned len = 32;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(m.data()),
       m.size(), d, &len);
  return std::string(reinterpret_cast<const char*>(d), 32);
}
// The cookie the format in signed_grant.hpp's header comment defines, built independently.
std::string reference_cookie(std::string_view secret, std::string_view kid, std::int64_t expires,
                             std::string_view client_id, std::string_view cap_text) {
  const std::string exp = std::to_string(expires);
  const std::string signed_text = "capmatch-grant-v1\n" + std::string(kid) + "\n" + exp + "\n" +
                                  std::to_string(client_id.size()) + "\n" + std::string(client_id) + ":" +
                                  std::string(cap_text);
  return "g1." + std::string(kid) + "." + exp + "." + openssl_b64url(cap_text) + "." +
         openssl_b64url(openssl_hmac(secret, signed_text));
}
}  // namespace

TEST_CASE("signed grant: the cookie, byte for byte") {
  const auto keys = keyring();
  const auto cap = cap_of(R"({"chat:*":["subscribe","publish"],"alerts":["subscribe"]})");
  auto g = issue_grant(keys, "bob", cap, now, 10 * minute);
  REQUIRE_MESSAGE(g.has_value(), (g.has_value() ? std::string() : msg(g.error())));
  // The canonical text is what is signed (resources and operations sorted, docs/semantics.md §1.5).
  const std::string text = R"({"alerts":["subscribe"],"chat:*":["publish","subscribe"]})";
  CHECK(g->cookie == reference_cookie(secret1, "k1", now + 10 * minute, "bob", text));
  CHECK(g->expires_ms == now + 10 * minute);
  CHECK(g->granted == cap);
  for (char c : g->cookie) {  // cookie-safe without quoting
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.';
    CHECK(ok);
  }
  // A clientId containing ':' and non-ASCII text: its length in the signed text keeps the split.
  auto odd = issue_grant(keys, "a:{\xc3\xa9", cap, now, minute);
  REQUIRE(odd.has_value());
  CHECK(odd->cookie == reference_cookie(secret1, "k1", now + minute, "a:{\xc3\xa9", text));
}

TEST_CASE("signed grant: verify") {
  const auto keys = keyring();
  const auto cap = cap_of(R"({"chat:*":["subscribe"]})");
  const auto g = issue_grant(keys, "bob", cap, now, 10 * minute);
  REQUIRE(g.has_value());
  auto v = verify_grant(keys, g->cookie, "bob", now + minute);
  REQUIRE_MESSAGE(v.has_value(), (v.has_value() ? std::string() : msg(v.error())));
  CHECK(v->granted == cap);
  CHECK(v->expires_ms == now + 10 * minute);
  CHECK(v->key_id == "k1");

  // Another clientId.
  for (std::string_view other : {"bobb", "Bob", "bo", "alice"}) {
    auto w = verify_grant(keys, g->cookie, other, now);
    REQUIRE_FALSE(w.has_value());
    CHECK(w.error().code() == errc::grant_rejected);
    CHECK(w.error().ably_code() == 40101);
    CHECK(w.error().status_code() == 401);
    CHECK(msg(w.error()) == "grant signature does not verify (tampered, or issued to another clientId)");
  }
  // Expiry: valid until the millisecond before expires_ms.
  CHECK(verify_grant(keys, g->cookie, "bob", now + 10 * minute - 1).has_value());
  auto late = verify_grant(keys, g->cookie, "bob", now + 10 * minute);
  REQUIRE_FALSE(late.has_value());
  CHECK(late.error().code() == errc::grant_expired);
  CHECK(msg(late.error()) == "grant expired at 1700000600000 (now is 1700000600000)");
  // Unknown key id.
  grant_keyring other;
  REQUIRE(other.add("k2", secret2).code() == errc::ok);
  auto unknown = verify_grant(other, g->cookie, "bob", now);
  REQUIRE_FALSE(unknown.has_value());
  CHECK(unknown.error().code() == errc::grant_rejected);
  CHECK(msg(unknown.error()) == "grant signed with unknown key id 'k1' (retired, or not ours)");
  // The same key id with another secret.
  grant_keyring impostor;
  REQUIRE(impostor.add("k1", secret2).code() == errc::ok);
  CHECK(verify_grant(impostor, g->cookie, "bob", now).error().code() == errc::grant_rejected);
}

TEST_CASE("signed grant: one byte changed, removed or added anywhere fails") {
  const auto keys = keyring();
  const auto g = issue_grant(keys, "bob", cap_of(R"({"a":["*"],"b:*":["presence","subscribe"]})"), now, minute);
  REQUIRE(g.has_value());
  const std::string& c = g->cookie;
  std::size_t checked = 0;
  for (std::size_t i = 0; i < c.size(); ++i) {
    for (int b = 0; b < 256; ++b) {
      if (static_cast<char>(b) == c[i]) continue;
      std::string t = c;
      t[i] = static_cast<char>(b);
      auto v = verify_grant(keys, t, "bob", now);
      if (v.has_value()) FAIL("accepted with byte ", i, " changed to ", b);
      ++checked;
    }
    std::string cut = c;
    cut.erase(i, 1);
    CHECK_FALSE(verify_grant(keys, cut, "bob", now).has_value());
    for (char ins : {'A', '.', '0', '-'}) {
      std::string more = c;
      more.insert(i, 1, ins);
      CHECK_FALSE(verify_grant(keys, more, "bob", now).has_value());
    }
  }
  CHECK(checked == c.size() * 255);
  CHECK_FALSE(verify_grant(keys, c + "A", "bob", now).has_value());
  CHECK(verify_grant(keys, c, "bob", now).has_value());
}

TEST_CASE("signed grant: malformed cookies") {
  const auto keys = keyring();
  const auto g = issue_grant(keys, "bob", cap_of(R"({"a":["*"]})"), now, minute);
  REQUIRE(g.has_value());
  const std::string mac = g->cookie.substr(g->cookie.rfind('.') + 1);
  const std::string capb = openssl_b64url(R"({"a":["*"]})");
  struct row {
    std::string cookie;
    std::string_view message;
  };
  const std::vector<row> rows = {
      {"", "malformed grant: expected 5 '.'-separated parts g1.<keyId>.<expiresMs>.<capability>.<mac>"},
      {"g1.k1.1." + capb, "malformed grant: expected 5 '.'-separated parts g1.<keyId>.<expiresMs>.<capability>.<mac>"},
      {g->cookie + ".x", "malformed grant: expected 5 '.'-separated parts g1.<keyId>.<expiresMs>.<capability>.<mac>"},
      {"g2.k1.1." + capb + "." + mac, "unknown grant format 'g2'; expected 'g1'"},
      {"g1.k1.01." + capb + "." + mac, "malformed grant: the expiry is not a decimal number of milliseconds"},
      {"g1.k1.." + capb + "." + mac, "malformed grant: the expiry is not a decimal number of milliseconds"},
      {"g1.k1.-1." + capb + "." + mac, "malformed grant: the expiry is not a decimal number of milliseconds"},
      {"g1.k1.12345678901234567." + capb + "." + mac, "malformed grant: the expiry is not a decimal number of milliseconds"},
      {"g1.k1.1." + capb + "." + mac + "A", "malformed grant: the mac is not 43 characters of base64url"},
      {"g1.k1.1." + capb + "=." + mac, "malformed grant: the capability is not base64url"},
  };
  for (const row& r : rows) {
    CAPTURE(r.cookie);
    auto v = verify_grant(keys, r.cookie, "bob", now);
    REQUIRE_FALSE(v.has_value());
    CHECK(v.error().code() == errc::invalid_grant);
    CHECK(v.error().ably_code() == 40000);
    CHECK(msg(v.error()) == r.message);
  }
  auto big = verify_grant(keys, std::string(4097, 'a'), "bob", now);
  CHECK(msg(big.error()) == "grant of 4097 bytes exceeds the limit of 4096 bytes (capmatch::max_grant_bytes)");
  // An authentic grant over text that is not a canonical capability (only a faulty signer makes one).
  const std::string bad_text = R"({"b":["*"],"a":["*"]})";
  auto forged = verify_grant(keys, reference_cookie(secret1, "k1", now + 1, "bob", bad_text), "bob", now);
  CHECK(msg(forged.error()) == "grant holds a capability that is not canonical capability text");
}

TEST_CASE("signed grant: the 4096-byte limit") {
  const auto keys = keyring();
  // A capability whose canonical text is T bytes makes a cookie of
  // 2 + 1 + 2 + 1 + 13 (expiry) + 1 + ceil(4T/3) + 1 + 43 bytes.
  auto cookie_size = [](std::size_t t) { return 64 + (4 * t + 2) / 3; };
  auto cap_with_text = [](std::size_t t) {  // three resources, 2 + 3 * 8 + 2 + (t - 2028) + 2000 = t bytes
    return cap_of("{\"0" + std::string(t - 2029, 'y') + "\":[\"*\"],\"1" + std::string(999, 'x') + "\":[\"*\"],\"2" +
                  std::string(999, 'x') + "\":[\"*\"]}");
  };
  std::size_t fits = 0;
  for (std::size_t t = 3000; cookie_size(t) <= 4096; ++t) fits = t;
  auto ok = issue_grant(keys, "bob", cap_with_text(fits), now, minute);
  REQUIRE_MESSAGE(ok.has_value(), (ok.has_value() ? std::string() : msg(ok.error())));
  CHECK(ok->granted.to_json().size() == fits);
  CHECK(ok->cookie.size() == cookie_size(fits));
  CHECK(verify_grant(keys, ok->cookie, "bob", now).has_value());
  auto over = issue_grant(keys, "bob", cap_with_text(fits + 1), now, minute);
  REQUIRE_FALSE(over.has_value());
  CHECK(over.error().code() == errc::invalid_grant);
  CHECK(msg(over.error()) == "the grant would be " + std::to_string(cookie_size(fits + 1)) +
                                 " bytes, more than the limit of 4096 (capmatch::max_grant_bytes); grant fewer or "
                                 "shorter resources");
  // extend() hits the same limit.
  auto ext = extend_grant(keys, ok->cookie, "bob", cap_of(R"({"y":["*"]})"), now, minute);
  REQUIRE_FALSE(ext.has_value());
  CHECK(ext.error().code() == errc::invalid_grant);
}

TEST_CASE("signed grant: extend takes the exact union and re-signs") {
  const auto keys = keyring();
  const auto a = cap_of(R"({"chat:*":["subscribe"],"news":["history"]})");
  const auto b = cap_of(R"({"chat:*":["publish"],"dm:bob":["*"]})");
  auto g = issue_grant(keys, "bob", a, now, minute);
  REQUIRE(g.has_value());
  auto e = extend_grant(keys, g->cookie, "bob", b, now + 1000, 10 * minute);
  REQUIRE_MESSAGE(e.has_value(), (e.has_value() ? std::string() : msg(e.error())));
  // The union written out by hand: same resource, union of operations; canonical order.
  const std::string text = R"({"chat:*":["publish","subscribe"],"dm:bob":["*"],"news":["history"]})";
  CHECK(e->granted.to_json() == text);
  CHECK(e->expires_ms == now + 1000 + 10 * minute);
  CHECK(e->cookie == reference_cookie(secret1, "k1", now + 1000 + 10 * minute, "bob", text));
  // allowed(a ∪ b) == allowed(a) || allowed(b) on names around both.
  for (std::string_view name : {"chat:x", "chat", "news", "dm:bob", "dm:alice", "other", "chat:x:y"})
    for (operation op : {operation::publish, operation::subscribe, operation::history, operation::presence}) {
      CAPTURE(name);
      CHECK(e->granted.allows(name, op) == (a.allows(name, op) || b.allows(name, op)));
    }
  auto v = verify_grant(keys, e->cookie, "bob", now + 2000);
  REQUIRE(v.has_value());
  CHECK(v->granted == e->granted);
  // extend verifies first: another clientId, a tampered or an expired grant is not extended.
  CHECK(extend_grant(keys, g->cookie, "alice", b, now, minute).error().code() == errc::grant_rejected);
  std::string t = g->cookie;
  t[10] = t[10] == 'A' ? 'B' : 'A';
  CHECK(extend_grant(keys, t, "bob", b, now, minute).error().code() != errc::ok);
  CHECK(extend_grant(keys, g->cookie, "bob", b, now + minute, minute).error().code() == errc::grant_expired);
  // Extending an empty grant gives the new capability.
  auto empty = issue_grant(keys, "bob", cap_of("{}"), now, minute);
  REQUIRE(empty.has_value());
  auto first = extend_grant(keys, empty->cookie, "bob", b, now, minute);
  REQUIRE(first.has_value());
  CHECK(first->granted == b);
}

TEST_CASE("signed grant: secret rotation with several keys by id") {
  grant_keyring keys = keyring();
  const auto cap = cap_of(R"({"a":["*"]})");
  auto old = issue_grant(keys, "bob", cap, now, 10 * minute);
  REQUIRE(old.has_value());
  REQUIRE(keys.add("k2", secret2).code() == errc::ok);
  CHECK(keys.signing_key_id() == "k1");
  REQUIRE(keys.use_for_signing("k2").code() == errc::ok);
  CHECK(keys.signing_key_id() == "k2");
  CHECK(verify_grant(keys, old->cookie, "bob", now).has_value());  // still verifies under k1
  auto renewed = extend_grant(keys, old->cookie, "bob", cap_of(R"({"b":["*"]})"), now, 10 * minute);
  REQUIRE(renewed.has_value());
  CHECK(renewed->cookie.rfind("g1.k2.", 0) == 0);
  CHECK(renewed->cookie == reference_cookie(secret2, "k2", now + 10 * minute, "bob", R"({"a":["*"],"b":["*"]})"));
  CHECK(msg(keys.remove("k2")) == "grant key 'k2' signs new grants; choose another with use_for_signing first");
  REQUIRE(keys.remove("k1").code() == errc::ok);
  CHECK(keys.size() == 1);
  CHECK(msg(verify_grant(keys, old->cookie, "bob", now).error()) ==
        "grant signed with unknown key id 'k1' (retired, or not ours)");
  CHECK(verify_grant(keys, renewed->cookie, "bob", now).has_value());
}

TEST_CASE("signed grant: keyring, clientId and ttl errors; secrets in no message") {
  std::vector<std::string> messages;
  auto expect = [&](const error& e, std::string_view m) {
    CHECK(e.code() == errc::invalid_grant);
    CHECK(msg(e) == m);
    messages.push_back(msg(e));
  };
  grant_keyring keys;
  const auto cap = cap_of(R"({"a":["*"]})");
  expect(issue_grant(keys, "bob", cap, now, minute).error(), "the grant keyring is empty; add a key first");
  expect(keys.add("", secret1), "grant key id '' must be 1 to 32 letters, digits, '-' or '_'");
  expect(keys.add("k.1", secret1), "grant key id 'k.1' must be 1 to 32 letters, digits, '-' or '_'");
  expect(keys.add(std::string(33, 'k'), secret1),
         "grant key id 'kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk' must be 1 to 32 letters, digits, '-' or '_'");
  expect(keys.add("k1", secret1.substr(0, 31)),
         "the secret of grant key 'k1' is shorter than 32 bytes (capmatch::min_grant_secret_bytes); use 32 random bytes");
  REQUIRE(keys.add("k1", secret1).code() == errc::ok);
  expect(keys.add("k1", secret2), "grant key id 'k1' is already in the keyring");
  expect(keys.use_for_signing("k9"), "no grant key 'k9' in the keyring");
  expect(keys.remove("k9"), "no grant key 'k9' in the keyring");
  for (int i = 2; i <= 16; ++i) REQUIRE(keys.add("k" + std::to_string(i), secret2).code() == errc::ok);
  expect(keys.add("k17", secret2), "a grant keyring holds at most 16 keys (capmatch::max_grant_keys)");
  expect(issue_grant(keys, "", cap, now, minute).error(),
         "a grant needs a non-empty clientId (an anonymous grant could be used by anyone)");
  expect(issue_grant(keys, "a\tb", cap, now, minute).error(), "clientId 'a\\u0009b' contains a control character");
  expect(issue_grant(keys, "a\xc0", cap, now, minute).error(), "clientId 'a\\xC0' is not valid UTF-8");
  expect(issue_grant(keys, std::string(1025, 'c'), cap, now, minute).error(),
         "clientId of 1025 bytes exceeds the limit of 1024 bytes (capmatch::max_grant_client_id_bytes)");
  expect(issue_grant(keys, "bob", cap, now, 0).error(), "a grant's ttl must be a positive number of milliseconds");
  expect(issue_grant(keys, "bob", cap, 9'999'999'999'999'999, 1).error(),
         "a grant's expiry (now + ttl) must lie between 0 and 9999999999999999 ms since the epoch");
  auto g = issue_grant(keys, "bob", cap, now, minute);
  REQUIRE(g.has_value());
  for (std::string_view c : {std::string_view(g->cookie), std::string_view("g1.k1.1.e30.x")})
    for (std::string_view id : {"bob", "alice", ""}) {
      auto v = verify_grant(keys, c, id, now + 2 * minute);
      REQUIRE_FALSE(v.has_value());
      messages.push_back(msg(v.error()));
    }
  for (const auto& m : messages)
    for (std::string_view s : {secret1, secret2})
      for (std::size_t i = 0; i + 6 <= s.size(); ++i) CHECK(m.find(s.substr(i, 6)) == std::string::npos);
}
