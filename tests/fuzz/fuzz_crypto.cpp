// Fuzz target 6: the crypto primitives against OpenSSL. The first byte picks the key length
// (0..200), the next one a split point; the key comes next and the rest is the message.
// Asserts: SHA-256 (portable and SHA-NI, one-shot and split) == OpenSSL SHA256; HMAC-SHA256
// (both paths, one-shot and incremental) == OpenSSL HMAC; base64/base64url decode succeeds exactly
// on canonical text and round-trips; equal_constant_time == operator==; api_key errors are one of
// the fixed messages (so they cannot carry any of the input).
// SPDX-License-Identifier: MIT
#include <capmatch/crypto/base64.hpp>
#include <capmatch/crypto/compare.hpp>
#include <capmatch/crypto/hmac.hpp>
#include <capmatch/crypto/sha256.hpp>
#include <capmatch/key.hpp>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "common.hpp"

namespace {
using namespace capmatch::crypto;

bool known_key_error(std::string_view m) {
  static const char* const whats[] = {"empty",
                                      "longer than 1024 bytes",
                                      "no ':' between the key name and the secret",
                                      "no '.' between the app id and the key id",
                                      "empty app id",
                                      "empty key id",
                                      "a key name character other than a letter, digit, '-' or '_'",
                                      "empty secret",
                                      "the secret contains ':'",
                                      "the secret contains a control character",
                                      "the secret is not valid UTF-8"};
  constexpr std::string_view head = "invalid API key: ", tail = "; expected 'appId.keyId:secret'";
  if (m.substr(0, head.size()) != head || m.size() < head.size() + tail.size() || m.substr(m.size() - tail.size()) != tail)
    return false;
  std::string_view what = m.substr(head.size(), m.size() - head.size() - tail.size());
  if (const auto at = what.find(" at byte "); at != std::string_view::npos) {
    for (char c : what.substr(at + 9)) if (c < '0' || c > '9') return false;
    what = what.substr(0, at);
  }
  for (const char* w : whats)
    if (what == w) return true;
  return false;
}

void check_base64(std::string_view text, base64_alphabet a) {
  auto r = a == base64_alphabet::url ? base64url_decode(text) : base64_decode(text);
  if (r) {
    const auto again = a == base64_alphabet::url ? base64url_encode(*r) : base64_encode(*r);
    FUZZ_CHECK(again == text);  // only canonical text decodes
  } else {
    FUZZ_CHECK(r.error().code() == capmatch::errc::invalid_base64);
    fuzz::check_error(r.error(), text.size());
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  std::size_t kn = data[0] % 201;
  const std::uint8_t split_byte = data[1];
  data += 2, size -= 2;
  if (kn > size) kn = size;
  const std::uint8_t* key = data;
  const std::uint8_t* msg = data + kn;
  const std::size_t n = size - kn;
  const std::size_t cut = n == 0 ? 0 : split_byte * n / 255;

  sha256_digest want{};
  SHA256(msg, n, want.data());
  sha256_digest want_mac{};
  unsigned len = 32;
  HMAC(EVP_sha256(), key, static_cast<int>(kn), msg, n, want_mac.data(), &len);
  for (auto b : {sha256_backend::portable, sha256_backend::sha_ni}) {
    FUZZ_CHECK(sha256_of(msg, n, b) == want);
    sha256 h(b);
    FUZZ_CHECK(h.update(msg, cut).update(msg + cut, n - cut).finish() == want);
    const hmac_sha256_key k(key, kn, b);
    FUZZ_CHECK(k.sign(msg, n) == want_mac);
    hmac_sha256 m(k);
    FUZZ_CHECK(m.update(msg, cut).update(msg + cut, n - cut).finish() == want_mac);
  }

  const std::string_view text(reinterpret_cast<const char*>(msg), n);
  check_base64(text, base64_alphabet::standard);
  check_base64(text, base64_alphabet::url);
  FUZZ_CHECK(*base64_decode(base64_encode(text)) == text);
  FUZZ_CHECK(*base64url_decode(base64url_encode(text)) == text);

  const std::string_view left = text.substr(0, cut), right = text.substr(cut);
  FUZZ_CHECK(equal_constant_time(left, right) == (left == right));
  FUZZ_CHECK(equal_constant_time(left, left));

  auto k = capmatch::api_key::parse(text);
  if (k) {
    FUZZ_CHECK(k->to_string() == std::string(k->name()) + ":***");
    FUZZ_CHECK(k->name().size() + 1 + k->reveal_secret().size() == text.size());
  } else {
    FUZZ_CHECK(k.error().code() == capmatch::errc::invalid_key);
    FUZZ_CHECK(known_key_error(k.error().message()));
  }
  return 0;
}
