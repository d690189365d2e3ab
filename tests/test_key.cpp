// API keys: parsing, redaction, and that no message ever carries the secret.
#include <capmatch/key.hpp>
#include <doctest/doctest.h>
#include <openssl/hmac.h>

#include <sstream>
#include <string>
#include <vector>

using namespace capmatch;

namespace {
// A secret no message could contain by accident.
constexpr std::string_view sentinel = "Qz7xWv3kP9tJ";

// True when `text` holds any 4-byte piece of the sentinel.
bool leaks(std::string_view text) {
  for (std::size_t i = 0; i + 4 <= sentinel.size(); ++i)
    if (text.find(sentinel.substr(i, 4)) != std::string_view::npos) return true;
  return false;
}

crypto::sha256_digest openssl_hmac(std::string_view k, std::string_view m) {
  crypto::sha256_digest d{};
  unsigned len = 32;
  HMAC(EVP_sha256(), k.data(), static_cast<int>(k.size()), reinterpret_cast<const unsigned char*>(m.data()), m.size(),
       d.data(), &len);
  return d;
}
}  // namespace

TEST_CASE("api_key: parses appId.keyId:secret and signs with the secret's UTF-8 bytes") {
  const std::string text = "xVLyHw.G-GITw:" + std::string(sentinel);
  auto k = api_key::parse(text);
  REQUIRE(k.has_value());
  CHECK(k->name() == "xVLyHw.G-GITw");
  CHECK(k->app_id() == "xVLyHw");
  CHECK(k->key_id() == "G-GITw");
  CHECK(k->reveal_secret() == sentinel);
  CHECK(k->sign("hello") == openssl_hmac(sentinel, "hello"));
  CHECK(k->hmac().sign("hello") == openssl_hmac(sentinel, "hello"));
  // A secret that looks like base64 is still used as text.
  auto b = api_key::parse("a.b:c2VjcmV0");
  REQUIRE(b.has_value());
  CHECK(b->sign("m") == openssl_hmac("c2VjcmV0", "m"));
  // Non-ASCII secrets: their UTF-8 bytes.
  auto u = api_key::parse("app_1.key_2:кл\xc3\xa9ч");
  REQUIRE(u.has_value());
  CHECK(u->sign("m") == openssl_hmac("кл\xc3\xa9ч", "m"));
}

TEST_CASE("api_key: prints redacted") {
  auto k = api_key::parse("xVLyHw.G-GITw:" + std::string(sentinel));
  REQUIRE(k.has_value());
  CHECK(k->to_string() == "xVLyHw.G-GITw:***");
  std::ostringstream os;
  os << *k;
  CHECK(os.str() == "xVLyHw.G-GITw:***");
  CHECK_FALSE(leaks(os.str()));
}

TEST_CASE("api_key: malformed keys are clear errors that never contain the secret") {
  const std::string s(sentinel);
  const std::string tail = "; expected 'appId.keyId:secret'";
  struct bad {
    std::string text, message;
    std::uint32_t offset;
  };
  const bad cases[] = {
      {"", "invalid API key: empty", no_offset},
      {"xVLyHw.G-GITw" + s, "invalid API key: no ':' between the key name and the secret", no_offset},
      {s, "invalid API key: no ':' between the key name and the secret", no_offset},
      {"xVLyHwG-GITw:" + s, "invalid API key: no '.' between the app id and the key id", no_offset},
      {s + ":xVLyHw", "invalid API key: no '.' between the app id and the key id", no_offset},
      {s + "." + s + "!:x", "invalid API key: a key name character other than a letter, digit, '-' or '_' at byte 25", 25},
      {".G-GITw:" + s, "invalid API key: empty app id at byte 0", 0},
      {"xVLyHw.:" + s, "invalid API key: empty key id at byte 7", 7},
      {"xVLyHw.G GITw:" + s, "invalid API key: a key name character other than a letter, digit, '-' or '_' at byte 8", 8},
      {"xV.yHw.G-GITw:" + s, "invalid API key: a key name character other than a letter, digit, '-' or '_' at byte 6", 6},
      {"xVLyHw.G-GITw:", "invalid API key: empty secret", no_offset},
      {"xVLyHw.G-GITw:" + s + ":" + s, "invalid API key: the secret contains ':'", no_offset},
      {"xVLyHw.G-GITw::" + s, "invalid API key: the secret contains ':'", no_offset},
      {"xVLyHw.G-GITw:" + s + "\n", "invalid API key: the secret contains a control character", no_offset},
      {"xVLyHw.G-GITw:" + s + "\t" + s, "invalid API key: the secret contains a control character", no_offset},
      {"xVLyHw.G-GITw:" + s + std::string(1, '\0'), "invalid API key: the secret contains a control character",
       no_offset},
      {"xVLyHw.G-GITw:" + s + "\x7f", "invalid API key: the secret contains a control character", no_offset},
      {"xVLyHw.G-GITw:" + s + "\xff", "invalid API key: the secret is not valid UTF-8", no_offset},
      {"xVLyHw.G-GITw:" + s + "\xed\xa0\x80", "invalid API key: the secret is not valid UTF-8", no_offset},
      {"xVLyHw.G-GITw:" + std::string(1100, 'Q') + s, "invalid API key: longer than 1024 bytes", no_offset},
  };
  for (const auto& c : cases) {
    CAPTURE(c.message);
    auto r = api_key::parse(c.text);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message() == c.message + tail);
    CHECK(r.error().code() == errc::invalid_key);
    CHECK(r.error().ably_code() == 40000);
    CHECK(r.error().offset() == c.offset);
    CHECK_FALSE(leaks(r.error().message()));
  }
  CHECK(name_of(errc::invalid_key) == "invalid_key");
}
