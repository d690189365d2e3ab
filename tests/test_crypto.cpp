// SHA-256, HMAC-SHA256, base64, constant-time comparison and the CSPRNG: published vectors
// (FIPS 180-4, RFC 4231, RFC 4648), every padding boundary, and differential runs against OpenSSL.
#include <capmatch/crypto/base64.hpp>
#include <capmatch/crypto/compare.hpp>
#include <capmatch/crypto/hmac.hpp>
#include <capmatch/crypto/random.hpp>
#include <capmatch/crypto/sha256.hpp>
#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "random.hpp"

using namespace capmatch;
using namespace capmatch::crypto;

namespace {

constexpr sha256_digest from_hex(std::string_view h) {
  sha256_digest d{};
  auto nib = [](char c) { return static_cast<std::uint8_t>(c <= '9' ? c - '0' : c - 'a' + 10); };
  for (std::size_t i = 0; i < 32; ++i) d[i] = static_cast<std::uint8_t>(nib(h[2 * i]) << 4 | nib(h[2 * i + 1]));
  return d;
}

sha256_digest openssl_sha256(const void* p, std::size_t n) {
  sha256_digest d{};
  SHA256(static_cast<const unsigned char*>(p), n, d.data());
  return d;
}

sha256_digest openssl_hmac(const void* k, std::size_t kn, const void* p, std::size_t n) {
  sha256_digest d{};
  unsigned len = 32;
  HMAC(EVP_sha256(), k, static_cast<int>(kn), static_cast<const unsigned char*>(p), n, d.data(), &len);
  return d;
}

constexpr sha256_backend backends[] = {sha256_backend::portable, sha256_backend::sha_ni, sha256_backend::automatic};

const char* name(sha256_backend b) {
  return b == sha256_backend::portable ? "portable" : b == sha256_backend::sha_ni ? "sha_ni" : "automatic";
}

// FIPS 180-4 / NIST CSRC example values.
constexpr std::string_view abc_hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr std::string_view m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
constexpr std::string_view m448_hex = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
constexpr std::string_view m896 =
    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
constexpr std::string_view m896_hex = "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1";
constexpr std::string_view empty_hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr std::string_view million_a_hex = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";

// Compile time: the portable path, in constant evaluation.
static_assert(sha256_of("abc") == from_hex(abc_hex));
static_assert(sha256_of("") == from_hex(empty_hex));
static_assert(sha256_of(m448) == from_hex(m448_hex));
static_assert(sha256_of(m896) == from_hex(m896_hex));
// RFC 4231 test case 2.
static_assert(hmac_sha256_of("Jefe", "what do ya want for nothing?") ==
              from_hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
static_assert(base64_encode_array<base64_alphabet::standard>(std::array<std::uint8_t, 3>{'f', 'o', 'o'}) ==
              std::array<char, 4>{'Z', 'm', '9', 'v'});
static_assert(equal_constant_time("mac", "mac") && !equal_constant_time("mac", "maC") &&
              !equal_constant_time("mac", "ma"));
static_assert(base64_decode_digest("sYkCH0Un+WgzI7/Nhy0BoQIKq9HmjKynCRs4E3qAbGQ=", base64_alphabet::standard).has_value());

std::string repeat(char c, std::size_t n) { return std::string(n, c); }

}  // namespace

TEST_CASE("SHA-256: FIPS 180-4 vectors, every backend") {
  for (auto b : backends) {
    CAPTURE(name(b));
    CHECK(sha256_of("abc", b) == from_hex(abc_hex));
    CHECK(sha256_of("", b) == from_hex(empty_hex));
    CHECK(sha256_of(m448, b) == from_hex(m448_hex));
    CHECK(sha256_of(m896, b) == from_hex(m896_hex));
    const std::string a = repeat('a', 1000000);
    CHECK(sha256_of(a, b) == from_hex(million_a_hex));
    sha256 h(b);  // the same million in uneven pieces
    for (std::size_t i = 0, step = 1; i < a.size(); i += step, step = step % 131 + 7)
      h.update(std::string_view(a).substr(i, step));
    CHECK(h.finish() == from_hex(million_a_hex));
  }
}

TEST_CASE("SHA-256: every padding boundary (lengths 0..300) and every split, against OpenSSL") {
  capmatch_test::splitmix64 r{12};
  std::string m(300, '\0');
  for (auto& c : m) c = static_cast<char>(r.next());
  for (auto b : backends) {
    CAPTURE(name(b));
    int bad = 0;
    for (std::size_t len = 0; len <= 300; ++len) {
      const auto want = openssl_sha256(m.data(), len);
      bad += sha256_of(m.data(), len, b) != want;
      for (std::size_t cut = 0; cut <= len && len <= 200; ++cut) {
        sha256 h(b);
        h.update(m.data(), cut).update(m.data() + cut, len - cut);
        bad += h.finish() != want;
      }
    }
    CHECK(bad == 0);
  }
}

TEST_CASE("SHA-256: the SHA-NI compression function itself, when the CPU has it") {
  if (!has_sha_ni()) {
    MESSAGE("this CPU has no SHA extensions: sha_ni falls back to portable");
    return;
  }
#if defined(__x86_64__)
  capmatch_test::splitmix64 r{99};
  std::vector<std::uint8_t> blocks(64 * 33);
  int bad = 0;
  for (int round = 0; round < 200; ++round) {
    for (auto& c : blocks) c = static_cast<std::uint8_t>(r.next());
    crypto::detail::sha256_state a{}, b{};
    for (std::size_t i = 0; i < 8; ++i) a[i] = b[i] = static_cast<std::uint32_t>(r.next());
    const std::size_t n = 1 + r.below(33);
    crypto::detail::sha256_compress_portable(a, blocks.data(), n);
    crypto::detail::sha256_compress_sha_ni(b, blocks.data(), n);
    bad += a != b;
  }
  CHECK(bad == 0);
#endif
}

TEST_CASE("HMAC-SHA256: RFC 4231 test cases 1-7, every backend") {
  struct vec {
    std::string key, data;
    std::string_view mac_hex;
    std::size_t bytes;  // compared prefix (case 5 truncates to 128 bits)
  };
  std::string key4;
  for (int i = 1; i <= 25; ++i) key4 += static_cast<char>(i);
  const vec cases[] = {
      {repeat('\x0b', 20), "Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", 32},
      {"Jefe", "what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", 32},
      {repeat('\xaa', 20), repeat('\xdd', 50), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe", 32},
      {key4, repeat('\xcd', 50), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b", 32},
      {repeat('\x0c', 20), "Test With Truncation", "a3b6167473100ee06e0c796c2955552b0000000000000000000000000000000000", 16},
      {repeat('\xaa', 131), "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54", 32},
      {repeat('\xaa', 131),
       "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be "
       "hashed before being used by the HMAC algorithm.",
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2", 32},
  };
  int number = 0;
  for (const auto& c : cases) {
    ++number;
    CAPTURE(number);
    const auto want = from_hex(c.mac_hex);
    for (auto b : backends) {
      CAPTURE(name(b));
      const hmac_sha256_key key(c.key, b);
      const auto got = key.sign(c.data);
      CHECK(std::memcmp(got.data(), want.data(), c.bytes) == 0);
      hmac_sha256 inc(key);  // incremental, byte by byte
      for (char ch : c.data) inc.update(&ch, 1);
      CHECK(inc.finish() == got);
      CHECK(key.verify(c.data, got));
      auto wrong = got;
      wrong[31] ^= 1;
      CHECK_FALSE(key.verify(c.data, wrong));
    }
  }
}

TEST_CASE("HMAC-SHA256: the docs/semantics.md §19 TokenRequest vector") {
  const auto mac = hmac_sha256_key("a_secret").sign("a_key_name\n1000\n\na_id\n1000\nabcde100\n");
  const auto text = base64_encode_array<base64_alphabet::standard>(mac);
  CHECK(std::string_view(text.data(), text.size()) == "sYkCH0Un+WgzI7/Nhy0BoQIKq9HmjKynCRs4E3qAbGQ=");
}

TEST_CASE("HMAC-SHA256: keys of every length 0..200 against OpenSSL (RFC 2104 key hashing)") {
  capmatch_test::splitmix64 r{7};
  std::string k(200, '\0'), m(300, '\0');
  for (auto& c : k) c = static_cast<char>(r.next());
  for (auto& c : m) c = static_cast<char>(r.next());
  int bad = 0;
  for (auto b : backends)
    for (std::size_t kn = 0; kn <= 200; ++kn) {
      const hmac_sha256_key key(k.data(), kn, b);
      for (std::size_t len : {0, 1, 31, 32, 55, 56, 63, 64, 65, 119, 120, 128, 300})
        bad += key.sign(m.data(), len) != openssl_hmac(k.data(), kn, m.data(), len);
    }
  CHECK(bad == 0);
  CHECK(hmac_sha256_key().sign("x") == openssl_hmac("", 0, "x", 1));
}

namespace {
// The count of the differential run: CAPMATCH_CRYPTO_DIFF_COUNT, else the build's default
// (CAPMATCH_CRYPTO_DIFF_DEFAULT, set by tests/meson.build), else 20000.
std::size_t differential_count() {
  for (const char* var : {"CAPMATCH_CRYPTO_DIFF_COUNT", "CAPMATCH_CRYPTO_DIFF_DEFAULT"})
    if (const char* v = std::getenv(var); v && *v) return static_cast<std::size_t>(std::strtoull(v, nullptr, 10));
  return 20000;
}
}  // namespace

TEST_CASE("differential against OpenSSL: random messages 0-1000 bytes, random keys 0-200 bytes, both paths") {
  const std::size_t count = differential_count();
  MESSAGE("messages: " << count);
  capmatch_test::splitmix64 r{20261202};
  std::vector<std::uint8_t> m(1008), k(208);
  std::size_t bad_sha = 0, bad_hmac = 0, bad_inc = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t n = r.below(1001), kn = r.below(201);
    for (std::size_t j = 0; j < n; j += 8) {
      const auto w = r.next();
      std::memcpy(&m[j], &w, 8);
    }
    for (std::size_t j = 0; j < kn; j += 8) {
      const auto w = r.next();
      std::memcpy(&k[j], &w, 8);
    }
    const auto sha = openssl_sha256(m.data(), n);
    const auto mac = openssl_hmac(k.data(), kn, m.data(), n);
    for (auto b : {sha256_backend::portable, sha256_backend::sha_ni}) {
      bad_sha += sha256_of(m.data(), n, b) != sha;
      const hmac_sha256_key key(k.data(), kn, b);
      bad_hmac += key.sign(m.data(), n) != mac;
      if (i % 16 == 0) {  // incremental, split at a random point
        const std::size_t cut = r.below(n + 1);
        hmac_sha256 h(key);
        bad_inc += h.update(m.data(), cut).update(m.data() + cut, n - cut).finish() != mac;
      }
    }
  }
  CHECK(bad_sha == 0);
  CHECK(bad_hmac == 0);
  CHECK(bad_inc == 0);
}

TEST_CASE("base64: RFC 4648 §10 vectors, both alphabets") {
  const std::pair<std::string_view, std::string_view> v[] = {{"", ""},         {"f", "Zg=="},     {"fo", "Zm8="},
                                                             {"foo", "Zm9v"},   {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
                                                             {"foobar", "Zm9vYmFy"}};
  for (const auto& pair : v) {
    const std::string_view plain = pair.first, enc = pair.second;
    CAPTURE(plain);
    CHECK(base64_encode(plain) == enc);
    auto d = base64_decode(enc);
    REQUIRE(d.has_value());
    CHECK(*d == plain);
    const std::string url(enc.substr(0, enc.find('=')));
    CHECK(base64url_encode(plain) == url);
    auto du = base64url_decode(url);
    REQUIRE(du.has_value());
    CHECK(*du == plain);
  }
  // The two alphabets differ in 62 and 63 (RFC 4648 tables 1 and 2).
  CHECK(base64_encode("\xfb\xff") == "+/8=");
  CHECK(base64url_encode("\xfb\xff") == "-_8");
  CHECK(base64_encode("\xfb\xef\xbe") == "++++");
  CHECK(base64url_encode("\xff\xff\xff") == "____");
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  CHECK(*base64_decode(base64_encode(all)) == all);
  CHECK(*base64url_decode(base64url_encode(all)) == all);
}

TEST_CASE("base64: the run-time encoders (SSE2, word at a time) equal the one-character-at-a-time one and OpenSSL") {
  // every 6-bit value in every lane of base64_chars8
  for (const auto a : {base64_alphabet::standard, base64_alphabet::url}) {
    for (unsigned v = 0; v < 64; ++v) {
      std::uint64_t x = 0;
      for (unsigned j = 0; j < 8; ++j) x |= static_cast<std::uint64_t>((v + 7 * j) & 63) << (8 * j);
      const std::uint64_t c = crypto::detail::base64_chars8(x, a);
      for (unsigned j = 0; j < 8; ++j)
        CHECK(static_cast<char>(c >> (8 * j)) == crypto::detail::base64_char((v + 7 * j) & 63, a));
    }
  }
#if CAPMATCH_DETAIL_SSE2
  // every 6-bit value in every lane of base64_chars16 (SSE2)
  for (const auto a : {base64_alphabet::standard, base64_alphabet::url}) {
    for (unsigned v = 0; v < 64; ++v) {
      alignas(16) std::uint8_t in[16], got[16];
      for (unsigned j = 0; j < 16; ++j) in[j] = static_cast<std::uint8_t>((v + 7 * j) & 63);
      _mm_store_si128(reinterpret_cast<__m128i*>(got),
                      crypto::detail::base64_chars16(_mm_load_si128(reinterpret_cast<const __m128i*>(in)), a));
      for (unsigned j = 0; j < 16; ++j) CHECK(static_cast<char>(got[j]) == crypto::detail::base64_char(in[j], a));
    }
  }
#endif
  // random inputs of every length up to 100 (whole 12- and 6-byte groups and every tail), both alphabets
  capmatch_test::splitmix64 rng{0xb64'5a7};
  for (std::size_t n = 0; n <= 100; ++n) {
    for (int round = 0; round < 20; ++round) {
      std::vector<std::uint8_t> in(n);
      for (auto& b : in) b = static_cast<std::uint8_t>(rng.below(256));
      for (const auto a : {base64_alphabet::standard, base64_alphabet::url}) {
        const std::size_t size = base64_encoded_size(n, a);
        std::string fast(size + 8, '?'), slow(size, '!');  // (8 guard bytes: nothing written past the end)
        CHECK(base64_encode_to(in.data(), n, fast.data(), a) == fast.data() + size);
        CHECK(fast.substr(size) == "????????");
        fast.resize(size);
        CHECK(crypto::detail::base64_encode_scalar(in.data(), n, slow.data(), a) == slow.data() + slow.size());
        CHECK(fast == slow);
        // the word-at-a-time encoder (what targets without SSE2 run) too, tested here as well
        std::string words(size + 8, '?');
        CHECK(crypto::detail::base64_encode_words(in.data(), n, words.data(), a) == words.data() + size);
        CHECK(words.substr(size) == "????????");
        words.resize(size);
        CHECK(words == slow);
        if (a == base64_alphabet::standard) {
          std::string ossl(4 * ((n + 2) / 3) + 1, '\0');
          const int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(ossl.data()), in.data(), static_cast<int>(n));
          ossl.resize(static_cast<std::size_t>(len));
          CHECK(fast == ossl);
        }
      }
    }
  }
}

TEST_CASE("nonce: the sixteen-bytes-at-a-time (SSE2) hex of from_bytes is printf's %02x for every byte in every place") {
  static_assert(nonce::from_bytes({0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0, 0x0f, 0xf0, 0xff, 0x10, 0x9a, 0xa9, 0x99})
                    .view() == "0123456789abcdef000ff0ff109aa999");  // (constant evaluation: the table)
  for (unsigned v = 0; v < 256; ++v) {
    std::array<std::uint8_t, 16> b{};
    std::string expected;
    for (std::size_t i = 0; i < b.size(); ++i) {
      b[i] = static_cast<std::uint8_t>(v + 17 * i);
      char two[3];
      std::snprintf(two, sizeof two, "%02x", static_cast<unsigned>(b[i]));
      expected += two;
    }
    CHECK(nonce::from_bytes(b).view() == expected);
  }
}

TEST_CASE("base64: strict decoding errors, exact messages") {
  auto err = [](result<std::string> r) { return r ? std::string("ok") : std::string(r.error().message()); };
  CHECK(err(base64_decode("Zg")) == "invalid base64: the length is not a multiple of 4 (padding is required)");
  CHECK(err(base64_decode("Zg=")) == "invalid base64: the length is not a multiple of 4 (padding is required)");
  CHECK(err(base64_decode("Zm9v\n")) == "invalid base64: the length is not a multiple of 4 (padding is required)");
  CHECK(err(base64_decode("Zh==")) == "invalid base64: non-zero unused bits in the last character at byte 1");
  CHECK(err(base64_decode("Zm9=")) == "invalid base64: non-zero unused bits in the last character at byte 2");
  CHECK(err(base64_decode("Z===")) == "invalid base64: misplaced padding '=' at byte 1");
  CHECK(err(base64_decode("=Zg=")) == "invalid base64: misplaced padding '=' at byte 0");
  CHECK(err(base64_decode("Zg==Zg==")) == "invalid base64: misplaced padding '=' at byte 2");
  CHECK(err(base64_decode("Zm9 ")) == "invalid base64: a character outside the base64 alphabet at byte 3");
  CHECK(err(base64_decode("Zm9vZ\tg=")) == "invalid base64: a character outside the base64 alphabet at byte 5");
  CHECK(err(base64_decode("Zm-v")) == "invalid base64: a character outside the base64 alphabet at byte 2");
  CHECK(err(base64_decode("Zm\xc3\xa9")) == "invalid base64: a character outside the base64 alphabet at byte 2");
  CHECK(err(base64_decode(std::string_view("Zm\0v", 4))) == "invalid base64: a character outside the base64 alphabet at byte 2");
  CHECK(err(base64url_decode("Zg==")) == "invalid base64url: padding '=' (base64url is unpadded) at byte 2");
  CHECK(err(base64url_decode("Zm+v")) == "invalid base64url: a character outside the base64url alphabet at byte 2");
  CHECK(err(base64url_decode("Zm/v")) == "invalid base64url: a character outside the base64url alphabet at byte 2");
  CHECK(err(base64url_decode("Z")) == "invalid base64url: the length leaves a single character over");
  CHECK(err(base64url_decode("Zm9vZ")) == "invalid base64url: the length leaves a single character over");
  CHECK(err(base64url_decode("Zh")) == "invalid base64url: non-zero unused bits in the last character at byte 1");
  CHECK(err(base64url_decode("Zm9")) == "invalid base64url: non-zero unused bits in the last character at byte 2");
  auto e = base64_decode("Zm9 ").error();
  CHECK(e.code() == errc::invalid_base64);
  CHECK(e.ably_code() == 40000);
  CHECK(e.offset() == 3);
  CHECK(name_of(errc::invalid_base64) == "invalid_base64");
  CHECK(base64_decode("Zg").error().offset() == no_offset);
  // A digest takes exactly 44 / 43 characters.
  CHECK(base64_decode_digest("Zm9v", base64_alphabet::standard).error().message() ==
        "invalid base64: a 32-byte digest takes 44 characters");
  std::uint8_t small[2];
  CHECK(base64_decode_to("Zm9v", small, 2, base64_alphabet::standard).error().message() ==
        "invalid base64: the output buffer is too small");
}

TEST_CASE("base64: every 2- and 3-character input decodes exactly when it is canonical") {
  // Independent of the decoder: a string is valid iff it is the encoding of some bytes, i.e.
  // re-encoding the decoded bytes gives it back; everything else must be an error.
  const std::string chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_= .";
  std::set<std::string> canonical_url, canonical_std;
  // All encodings of 1 and 2 bytes, produced by the encoder from every byte value.
  for (int a = 0; a < 256; ++a) {
    const std::string one(1, static_cast<char>(a));
    canonical_url.insert(base64url_encode(one));
    canonical_std.insert(base64_encode(one));
    for (int b = 0; b < 256; ++b) {
      const std::string two{static_cast<char>(a), static_cast<char>(b)};
      canonical_url.insert(base64url_encode(two));
      canonical_std.insert(base64_encode(two));
    }
  }
  CHECK(canonical_url.size() == 256 + 65536);
  std::size_t wrong = 0;
  for (char x : chars)
    for (char y : chars) {
      const std::string s2{x, y};
      wrong += base64url_decode(s2).has_value() != (canonical_url.count(s2) == 1);
      for (char z : chars) {
        const std::string s3{x, y, z};
        wrong += base64url_decode(s3).has_value() != (canonical_url.count(s3) == 1);
        for (char w : {'=', 'A', 'g', '/'}) {
          const std::string s4{x, y, z, w};
          const bool is_std = canonical_std.count(s4) == 1 || (s4.find_first_of("=-_ .") == std::string::npos);
          wrong += base64_decode(s4).has_value() != is_std;
        }
      }
    }
  CHECK(wrong == 0);
}

TEST_CASE("constant-time comparison") {
  CHECK(equal_constant_time("", ""));
  CHECK(equal_constant_time(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
  CHECK_FALSE(equal_constant_time(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
  CHECK_FALSE(equal_constant_time("abc", ""));
  CHECK_FALSE(equal_constant_time("", "abc"));
  CHECK_FALSE(equal_constant_time("abc", "abcd"));
  CHECK_FALSE(equal_constant_time("abcd", "abc"));
  CHECK_FALSE(equal_constant_time("\x01", "\x81"));
  const auto d = sha256_of("x");
  auto e = d;
  CHECK(equal_constant_time(d, e));
  for (std::size_t i = 0; i < 32; ++i)
    for (int bit = 0; bit < 8; ++bit) {
      e = d;
      e[i] ^= static_cast<std::uint8_t>(1 << bit);
      CHECK_FALSE(equal_constant_time(d, e));
    }
}

TEST_CASE("CSPRNG: short reads, EINTR and failures (simulated source)") {
  std::uint8_t buf[600]{};
  int calls = 0;
  auto one_at_a_time = [&](std::uint8_t* p, std::size_t) -> long {
    ++calls;
    *p = 0xA5;
    return 1;
  };
  auto r = crypto::detail::fill_random_from(one_at_a_time, buf, sizeof buf);
  REQUIRE(r.has_value());
  CHECK(*r == 600);
  CHECK(calls == 600);
  CHECK(buf[599] == 0xA5);
  int n = 0;
  auto interrupted_twice = [&](std::uint8_t*, std::size_t k) -> long { return ++n <= 2 ? -EINTR : static_cast<long>(k); };
  CHECK(crypto::detail::fill_random_from(interrupted_twice, buf, 10).has_value());
  CHECK(n == 3);
  auto always_interrupted = [](std::uint8_t*, std::size_t) -> long { return -EINTR; };
  auto e1 = crypto::detail::fill_random_from(always_interrupted, buf, 10);
  REQUIRE_FALSE(e1.has_value());
  CHECK(e1.error().message() == "no secure random source: the operating system's generator failed with errno " +
                                    std::to_string(EINTR));
  auto no_syscall = [](std::uint8_t*, std::size_t) -> long { return -ENOSYS; };
  auto e2 = crypto::detail::fill_random_from(no_syscall, buf, 10);
  REQUIRE_FALSE(e2.has_value());
  CHECK(e2.error().code() == errc::no_secure_random);
  CHECK(e2.error().ably_code() == 50000);
  CHECK(e2.error().status_code() == 500);
  CHECK(name_of(errc::no_secure_random) == "no_secure_random");
  CHECK(e2.error().message() == "no secure random source: the operating system's generator failed with errno " +
                                    std::to_string(ENOSYS));
  auto nothing = [](std::uint8_t*, std::size_t) -> long { return 0; };
  CHECK(crypto::detail::fill_random_from(nothing, buf, 10).error().message() ==
        "no secure random source: the operating system returned no bytes");
  auto too_much = [](std::uint8_t*, std::size_t k) -> long { return static_cast<long>(k) + 1; };
  CHECK_FALSE(crypto::detail::fill_random_from(too_much, buf, 10).has_value());
  CHECK(crypto::detail::fill_random_from(no_syscall, buf, 0).has_value());  // nothing asked, nothing called
  // requests are at most max_request bytes (256 by default: getentropy's limit), whole otherwise
  std::vector<std::size_t> asked;
  auto record = [&](std::uint8_t*, std::size_t k) -> long { return asked.push_back(k), static_cast<long>(k); };
  REQUIRE(crypto::detail::fill_random_from(record, buf, 600).has_value());
  CHECK(asked == std::vector<std::size_t>{256, 256, 88});
  asked.clear();
  REQUIRE(crypto::detail::fill_random_from(record, buf, 600, 4096).has_value());
  CHECK(asked == std::vector<std::size_t>{600});
  asked.clear();
  REQUIRE(crypto::detail::fill_random_from(record, buf, 600, 250).has_value());
  CHECK(asked == std::vector<std::size_t>{250, 250, 100});
}

TEST_CASE("CSPRNG: nonces are 32 lower-case hex characters, all different") {
  static_assert(nonce::size == 32);
  constexpr auto fixed = nonce::from_bytes({0x00, 0x01, 0x7f, 0x80, 0xff, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70,
                                            0x80, 0x90, 0xa0, 0xab});
  static_assert(fixed.view() == "00017f80ff102030405060708090a0ab");
  std::set<std::string> seen;
  std::size_t counts[16]{};
  for (int i = 0; i < 4096; ++i) {
    auto n = random_nonce();
    REQUIRE(n.has_value());
    const auto v = n->view();
    REQUIRE(v.size() == 32);
    for (char c : v) {
      REQUIRE(((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')));
      ++counts[c <= '9' ? c - '0' : c - 'a' + 10];
    }
    seen.insert(std::string(v));
  }
  CHECK(seen.size() == 4096);
  // 131072 hex digits: each value expected 8192 times; a working generator is far inside
  // +-10% (about 11 standard deviations), a stuck or biased one is not.
  for (auto c : counts) CHECK((c > 7372 && c < 9012));
  std::uint8_t a[64]{}, b[64]{};
  REQUIRE(random_bytes(a, sizeof a).has_value());
  REQUIRE(random_bytes(b, sizeof b).has_value());
  CHECK(std::memcmp(a, b, sizeof a) != 0);
}

TEST_CASE("HMAC-SHA256: an incremental mac keeps working after its key object is gone") {
  constexpr auto jefe = [] {
    hmac_sha256 m{hmac_sha256_key("Jefe")};  // the key is a temporary
    m.update("what do ya want ").update("for nothing?");
    return m.finish();
  };
  static_assert(jefe() == from_hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
  CHECK(jefe() == from_hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
}

TEST_CASE("HMAC-SHA256: a copy taken after a prefix is a midstate for every suffix, both paths, against OpenSSL") {
  // (token_request_template and capability_cache rely on this: docs/token_requests.md)
  capmatch_test::splitmix64 rng{0x6d1d'57a7e};
  std::size_t checked = 0;
  for (int round = 0; round < 200; ++round) {
    std::string key(rng.next() % 100, '\0'), msg(rng.next() % 400, '\0'), other(rng.next() % 100, '\0');
    for (char& c : key) c = static_cast<char>(rng.next());
    for (char& c : msg) c = static_cast<char>(rng.next());
    for (char& c : other) c = static_cast<char>(rng.next());
    const std::size_t split = msg.empty() ? 0 : rng.next() % (msg.size() + 1);
    for (sha256_backend b : backends) {
      CAPTURE(name(b));
      const hmac_sha256_key k(key, b);
      hmac_sha256 prefix(k);
      prefix.update(std::string_view(msg).substr(0, split));
      hmac_sha256 first = prefix, second = prefix;  // two messages continue from one absorbed prefix
      CHECK(first.update(std::string_view(msg).substr(split)).finish() == openssl_hmac(key.data(), key.size(), msg.data(), msg.size()));
      const std::string msg2 = msg.substr(0, split) + other;
      CHECK(second.update(other).finish() == openssl_hmac(key.data(), key.size(), msg2.data(), msg2.size()));
      ++checked;
    }
  }
  CHECK(checked == 600);
  // in constant evaluation too (RFC 4231 test case 2, the prefix copied)
  constexpr auto jefe = [] {
    hmac_sha256 prefix{hmac_sha256_key("Jefe")};
    prefix.update("what do ya want ");
    hmac_sha256 copy = prefix;
    return copy.update("for nothing?").finish();
  };
  static_assert(jefe() == from_hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
}
