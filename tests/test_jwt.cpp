// Ably JWTs (jwt.hpp), user claims (user_claims.hpp) and the JSON object reader behind them.
// Expected tokens come from independent implementations (Python hmac/base64, PyJWT) or from
// RFC 7515; expected winners of user-claim lookups from a brute-force reference of rule 26.
#include <capmatch/jwt.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <tuple>
#include <variant>
#include <vector>

#include "algebra_support.hpp"

using namespace capmatch;

namespace {

constexpr std::string_view key_text = "appId.keyId:s3cret";

jwt_key make_key(std::string_view text = key_text, bool revocable = false) {
  return jwt_key{api_key::parse(text).value(), std::nullopt, revocable};
}

/// A token with this header and payload text, signed with `secret` (HS256).
std::string make_token(std::string_view header, std::string_view payload, std::string_view secret = "s3cret") {
  std::string t = crypto::base64url_encode(header) + "." + crypto::base64url_encode(payload);
  const auto mac = crypto::hmac_sha256_of(secret, t);
  return t + "." + crypto::base64url_encode(std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
}

constexpr std::string_view std_header = R"({"typ":"JWT","alg":"HS256","kid":"appId.keyId"})";

jwt_verify_options at(std::int64_t now) {
  jwt_verify_options o;
  o.now = now;
  return o;
}

std::string message_of(const error& e) { return std::string(e.message()); }

/// The error of verifying `payload` under the standard header at time 1100.
error verify_error(std::string_view payload, std::int64_t now = 1100) {
  const auto r = verify_jwt(make_token(std_header, payload), make_key(), at(now));
  REQUIRE_FALSE(r);
  return r.error();
}

}  // namespace

TEST_CASE("json_object: strict members, raw values, exact integers") {
  using detail::json_type;
  using detail::json_object;
  const std::string_view text = R"( {"a":"x\u00e9","n":-12,"f":1.5,"e":1e3,"b":true,"z":null,"o":{"k":[1,{"q":[]}]},"l":[]} )";
  const auto o = json_object::parse(text);
  REQUIRE(o);
  CHECK(o->size() == 8);
  CHECK(o->string_value(o->find("a")) == "x\xC3\xA9");
  CHECK(o->at(o->find("n")).integer);
  CHECK(o->at(o->find("n")).int_value == -12);
  CHECK_FALSE(o->at(o->find("f")).integer);
  CHECK_FALSE(o->at(o->find("e")).integer);
  CHECK(o->at(o->find("b")).kind == json_type::boolean);
  CHECK(o->at(o->find("z")).kind == json_type::null);
  CHECK(o->raw(o->find("o")) == R"({"k":[1,{"q":[]}]})");
  CHECK(o->at(o->find("o")).kind == json_type::object);
  CHECK(o->raw(o->find("l")) == "[]");
  CHECK(o->find("missing") == o->size());
  // int64 bounds: the largest fit, one more does not.
  const auto big = json_object::parse(R"({"a":9223372036854775807,"b":-9223372036854775808,"c":9223372036854775808})");
  REQUIRE(big);
  CHECK(big->at(0).integer);
  CHECK(big->at(0).int_value == INT64_MAX);
  CHECK(big->at(1).integer);
  CHECK(big->at(1).int_value == INT64_MIN);
  CHECK_FALSE(big->at(2).integer);

  CHECK(message_of(json_object::parse(R"({"a":1,"a":2})").error()) == "member 'a' listed twice at byte 7");
  CHECK(message_of(json_object::parse(R"([1])").error()) == "expected a JSON object, found an array at byte 0");
  CHECK(message_of(json_object::parse(R"({"a":01})").error()) ==
        "unexpected character '1' at byte 6; expected ',' or '}'");
  CHECK(message_of(json_object::parse(R"({"a":[1,]})").error()) ==
        "unexpected character ']' at byte 8; expected a value");
  CHECK(message_of(json_object::parse(R"({"a":{"b" 1}})").error()) ==
        "unexpected character '1' at byte 10; expected ':'");
  CHECK(message_of(json_object::parse(R"({"a":tru})").error()) ==
        "unexpected character 't' at byte 5; expected a value");
  CHECK(message_of(json_object::parse(R"({"a":1} x)").error()) == "trailing characters after the JSON object at byte 8");
  CHECK(message_of(json_object::parse(R"({"a":[1})").error()) ==
        "unexpected character '}' at byte 7; expected ',' or ']'");
  std::string deep = R"({"a":)" + std::string(33, '[') + std::string(33, ']') + "}";
  CHECK(message_of(json_object::parse(deep).error()) == "value nested deeper than 32 levels at byte 37");
  deep = R"({"a":)" + std::string(32, '[') + std::string(32, ']') + "}";
  CHECK(json_object::parse(deep));
  CHECK(json_object::parse(std::string(65537, ' ')).error().code() == errc::limit_exceeded);
}

TEST_CASE("RFC 7515 A.1: the HS256 example signs with the HMAC primitive; Ably's verifier wants a kid") {
  // RFC 7515 appendix A.1 (JWS using HMAC SHA-256), the key as its JWK "k" value.
  const std::string_view token =
      "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
      ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
      ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  const auto k = crypto::base64url_decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow");
  REQUIRE(k);
  const auto dot2 = token.rfind('.');
  const auto mac = crypto::hmac_sha256_key(*k).sign(token.substr(0, dot2));
  const auto sig = crypto::base64_decode_digest(token.substr(dot2 + 1), crypto::base64_alphabet::url);
  REQUIRE(sig);
  CHECK(mac == *sig);
  // The header (with its CRLF and spaces) parses; Ably JWTs need a kid, so this one is refused.
  const auto r = verify_jwt(token, make_key(), at(1300819000));
  REQUIRE_FALSE(r);
  CHECK(r.error().ably_code() == 40144);
  CHECK(r.error().status_code() == 401);
  CHECK(message_of(r.error()) == "JWT header has no 'kid'; Ably JWTs name their key (appId.keyId)");
}

TEST_CASE("issue_jwt: the exact token (computed independently with Python's hmac and base64)") {
  jwt_request req;
  req.issued_at = 1000;
  req.ttl = 600;
  req.capability = R"({ "chat:*" : [ "publish" ] })";
  req.client_id = "bob";
  const auto t = issue_jwt(make_key(), req);
  REQUIRE(t);
  CHECK(*t ==
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiIsImtpZCI6ImFwcElkLmtleUlkIn0"
        ".eyJpYXQiOjEwMDAsImV4cCI6MTYwMCwieC1hYmx5LWNhcGFiaWxpdHkiOiJ7XCJjaGF0OipcIjpbXCJwdWJsaXNoXCJdfSIsIngtYWJseS1jbGllbnRJZCI6ImJvYiJ9"
        ".KvWMEA8mkpo2v7WzzXj7QZJ7j7EBFEHH5jUo4p22Sx0");
  const auto v = verify_jwt(*t, make_key(), at(1000));
  REQUIRE(v);
  CHECK(v->key_name == "appId.keyId");
  CHECK(v->issued_at == 1000);
  CHECK(v->expires_at == 1600);
  CHECK(v->capability.to_json() == R"({"chat:*":["publish"]})");
  CHECK(v->capability_claimed);
  CHECK(v->client_id == std::optional<std::string>("bob"));
  CHECK_FALSE(v->revocation_key);
  CHECK(v->to_json() ==
        R"({"keyName":"appId.keyId","iat":1000,"exp":1600,"capability":{"chat:*":["publish"]},"clientId":"bob"})");
}

TEST_CASE("verify_jwt: a token minted by PyJWT (header in another order, typ last)") {
  const std::string_view token =
      "eyJhbGciOiJIUzI1NiIsImtpZCI6ImFwcElkLmtleUlkIiwidHlwIjoiSldUIn0"
      ".eyJpYXQiOjEwMDAsImV4cCI6MTYwMCwieC1hYmx5LWNhcGFiaWxpdHkiOiJ7XCIqXCI6W1wiKlwiXX0iLCJ4LWFibHktY2xpZW50SWQiOiJhbGljZSJ9"
      ".rcuwWOurwDg4St1JYgELUyQJ_KOpitsZUt6FTG7tqT4";
  const jwt_key key(api_key::parse(key_text).value(),
                    capability::parse(R"({"chat:*":["publish","subscribe"],"[meta]*":["subscribe"]})").value());
  jwt_verify_options o = at(1599);
  o.compile_matcher = true;
  const auto v = verify_jwt(token, key, o);
  REQUIRE(v);
  CHECK(v->client_id == std::optional<std::string>("alice"));
  // {"*":["*"]} ∩ key: the unqualified part of the key.
  CHECK(v->capability.to_json() == R"({"chat:*":["publish","subscribe"]})");
  REQUIRE(v->matcher);
  CHECK(v->matcher->allows("chat:x", operation::publish));
  CHECK_FALSE(v->matcher->allows("[meta]x", operation::subscribe));
  CHECK(verify_jwt(token, key, at(1600)).error().code() == errc::jwt_expired);
}

TEST_CASE("verify_jwt: the negative battery, with exact messages and codes") {
  const std::string good_payload = R"({"iat":1000,"exp":1600,"x-ably-capability":"{\"*\":[\"*\"]}"})";
  const std::string good = make_token(std_header, good_payload);
  REQUIRE(verify_jwt(good, make_key(), at(1100)));

  auto fails = [&](std::string_view token, std::uint32_t code, std::string_view message, std::int64_t now = 1100) {
    const auto r = verify_jwt(token, make_key(), at(now));
    REQUIRE_FALSE(r);
    CHECK(r.error().ably_code() == code);
    CHECK(r.error().message() == message);
    CHECK_FALSE(r.error().has_offset());
  };
  SUBCASE("wrong secret") {
    fails(make_token(std_header, good_payload, "other"), 40144,
          "JWT signature does not match (wrong key, or the token was altered)");
  }
  SUBCASE("algorithm confusion: none, HS512, RS256, missing, not a string") {
    const std::string unsigned_token = crypto::base64url_encode(R"({"alg":"none","kid":"appId.keyId"})") + "." +
                                       crypto::base64url_encode(good_payload) + ".";
    fails(unsigned_token, 40144, "JWT algorithm 'none' is not accepted; Ably JWTs use HS256");
    fails(make_token(R"({"alg":"HS512","kid":"appId.keyId"})", good_payload), 40144,
          "JWT algorithm 'HS512' is not accepted; Ably JWTs use HS256");
    fails(make_token(R"({"alg":"RS256","kid":"appId.keyId"})", good_payload), 40144,
          "JWT algorithm 'RS256' is not accepted; Ably JWTs use HS256");
    fails(make_token(R"({"alg":"hs256","kid":"appId.keyId"})", good_payload), 40144,
          "JWT algorithm 'hs256' is not accepted; Ably JWTs use HS256");
    fails(make_token(R"({"kid":"appId.keyId"})", good_payload), 40144, "JWT header has no 'alg'; Ably JWTs use HS256");
    fails(make_token(R"({"alg":null,"kid":"appId.keyId"})", good_payload), 40144,
          "JWT algorithm null is not accepted; Ably JWTs use HS256");
  }
  SUBCASE("kid missing, unknown, not a string; typ and crit") {
    fails(make_token(R"({"alg":"HS256"})", good_payload), 40144,
          "JWT header has no 'kid'; Ably JWTs name their key (appId.keyId)");
    fails(make_token(R"({"alg":"HS256","kid":"appId.other"})", good_payload), 40144,
          "JWT header 'kid' names no known key: 'appId.other'");
    fails(make_token(R"({"alg":"HS256","kid":7})", good_payload), 40144,
          "JWT header 'kid' must be a non-empty string (the key name)");
    fails(make_token(R"({"alg":"HS256","kid":""})", good_payload), 40144,
          "JWT header 'kid' must be a non-empty string (the key name)");
    fails(make_token(R"({"alg":"HS256","kid":"appId.keyId","typ":"JWE"})", good_payload), 40144,
          "JWT header 'typ' must be \"JWT\" when present");
    fails(make_token(R"({"alg":"HS256","kid":"appId.keyId","crit":["exp"]})", good_payload), 40144,
          "JWT header 'crit' names extensions capmatch does not implement");
    CHECK(verify_jwt(make_token(R"({"alg":"HS256","kid":"appId.keyId"})", good_payload), make_key(), at(1100)));
  }
  SUBCASE("tampered payload, header or signature") {
    const auto d1 = good.find('.'), d2 = good.rfind('.');
    const std::string more = R"({"iat":1000,"exp":9600,"x-ably-capability":"{\"*\":[\"*\"]}"})";
    fails(good.substr(0, d1 + 1) + crypto::base64url_encode(more) + good.substr(d2), 40144,
          "JWT signature does not match (wrong key, or the token was altered)");
    std::string flipped = good;
    flipped[d2 + 5] = flipped[d2 + 5] == 'A' ? 'B' : 'A';
    fails(flipped, 40144, "JWT signature does not match (wrong key, or the token was altered)");
    const std::string header2 = crypto::base64url_encode(R"({"typ":"JWT","alg":"HS256","kid":"appId.keyId" })");
    fails(header2 + good.substr(d1), 40144, "JWT signature does not match (wrong key, or the token was altered)");
  }
  SUBCASE("strict base64url: padding, '+' and '/', whitespace") {
    const auto d1 = good.find('.'), d2 = good.rfind('.');
    fails(good + "=", 40144, "JWT signature is not a 43-character base64url HMAC-SHA256");
    std::string sig = good.substr(d2 + 1);
    std::replace(sig.begin(), sig.end(), '-', '+');
    std::replace(sig.begin(), sig.end(), '_', '/');
    if (sig != good.substr(d2 + 1)) fails(good.substr(0, d2 + 1) + sig, 40144, "JWT signature is not a 43-character base64url HMAC-SHA256");
    // The header {"alg":"HS256","kid":"appId.keyId"} is 36 bytes: 48 characters, unpadded.
    const std::string h = crypto::base64url_encode(R"({"alg":"HS256","kid":"appId.keyId"})");  // 35 bytes
    REQUIRE(h.size() == 47);  // ceil(35 * 4 / 3): a padded encoding would add one '='
    fails(h + "=." + crypto::base64url_encode(good_payload) + ".x", 40144,
          "JWT header is not base64url: invalid base64url: padding '=' (base64url is unpadded) at byte 47");
    fails(" " + good, 40144,
          "JWT header is not base64url: invalid base64url: a character outside the base64url alphabet at byte 0");
    fails(good.substr(0, d1) + ".+" + good.substr(d1 + 2), 40144,
          "JWT signature does not match (wrong key, or the token was altered)");  // signature first
  }
  SUBCASE("three parts exactly") {
    fails(good + ".x", 40144, "a JWT has three base64url parts separated by '.', found 4");
    fails(good.substr(0, good.rfind('.')), 40144, "a JWT has three base64url parts separated by '.', found 2");
    fails("", 40144, "a JWT has three base64url parts separated by '.', found 1");
    fails("..", 40144, "JWT header is not a JSON object: unexpected end of input at byte 0; expected a JSON object");
  }
  SUBCASE("header: at most 32 members, nesting 8 (read before the signature)") {
    std::string h = R"({"alg":"HS256","kid":"appId.keyId")";
    for (int i = 0; i < 30; ++i) h += ",\"m" + std::to_string(i) + "\":0";
    CHECK(verify_jwt(make_token(h + "}", good_payload), make_key(), at(1100)));
    fails(make_token(h + R"(,"m30":0})", good_payload), 40144,
          "JWT header is not a JSON object: JSON object has more than 32 members at byte 265");
    fails(make_token(R"({"alg":"HS256","kid":"appId.keyId","x":[[[[[[[[[]]]]]]]]]})", good_payload), 40144,
          "JWT header is not a JSON object: value nested deeper than 8 levels at byte 47");
  }
  SUBCASE("size") {
    const std::string huge(max_jwt_bytes + 1, 'a');
    fails(huge, 40144, "JWT of 8193 bytes exceeds the limit of 8192 bytes (capmatch::max_jwt_bytes)");
  }
}

TEST_CASE("verify_jwt: claims") {
  SUBCASE("iat and exp: required integers") {
    CHECK(message_of(verify_error(R"({"exp":1600})")) ==
          "JWT has no 'iat' claim; Ably JWTs need iat and exp (integer seconds)");
    CHECK(message_of(verify_error(R"({"iat":1000})")) ==
          "JWT has no 'exp' claim; Ably JWTs need iat and exp (integer seconds)");
    CHECK(message_of(verify_error(R"({"iat":1000,"exp":"1600"})")) ==
          "JWT claim 'exp' must be an integer number of seconds, found a string");
    CHECK(message_of(verify_error(R"({"iat":1000,"exp":1600.5})")) ==
          "JWT claim 'exp' must be an integer number of seconds, found a number with a fraction or exponent");
    CHECK(message_of(verify_error(R"({"iat":1000,"exp":1.6e3})")) ==
          "JWT claim 'exp' must be an integer number of seconds, found a number with a fraction or exponent");
    CHECK(message_of(verify_error(R"({"iat":null,"exp":1600})")) ==
          "JWT claim 'iat' must be an integer number of seconds, found null");
    CHECK(message_of(verify_error(R"({"iat":1000,"exp":1000})")) == "JWT 'exp' is not after 'iat'");
    CHECK(verify_error(R"({"iat":1000,"exp":1000})").ably_code() == 40144);
    CHECK(message_of(verify_error(R"({"iat":1000,"exp":1600,"iat":900})")) ==
          "JWT claims are not a JSON object: member 'iat' listed twice at byte 23");
    CHECK(message_of(verify_error(R"([1000,1600])")) ==
          "JWT claims are not a JSON object: expected a JSON object, found an array at byte 0");
  }
  SUBCASE("time: future iat (40001), expiry (40142), leeways") {
    const std::string p = R"({"iat":1000,"exp":1600})";
    CHECK(verify_jwt(make_token(std_header, p), make_key(), at(940)));
    const auto future = verify_error(p, 939);
    CHECK(future.code() == errc::jwt_issued_in_future);
    CHECK(future.ably_code() == 40001);
    CHECK(future.status_code() == 400);
    CHECK(message_of(future) == "JWT issued in the future: iat is 61 s after now, more than the leeway of 60 s");
    CHECK(verify_jwt(make_token(std_header, p), make_key(), at(1599)));
    const auto expired = verify_error(p, 1600);
    CHECK(expired.ably_code() == 40142);
    CHECK(expired.status_code() == 401);
    CHECK(message_of(expired) == "JWT expired");
    jwt_verify_options o = at(1609);
    o.exp_leeway = 10;
    CHECK(verify_jwt(make_token(std_header, p), make_key(), o));
    o.now = 1610;
    CHECK(verify_jwt(make_token(std_header, p), make_key(), o).error().ably_code() == 40142);
    o = at(900);
    o.iat_leeway = 100;
    CHECK(verify_jwt(make_token(std_header, p), make_key(), o));
    o = at(999);
    o.iat_leeway = -5;  // counts as 0
    CHECK(message_of(verify_jwt(make_token(std_header, p), make_key(), o).error()) ==
          "JWT issued in the future: iat is 1 s after now, more than the leeway of 0 s");
    o = at(1600);
    o.exp_leeway = -5;
    CHECK(verify_jwt(make_token(std_header, p), make_key(), o).error().ably_code() == 40142);
    o.now = 1599;
    CHECK(verify_jwt(make_token(std_header, p), make_key(), o));
    // Extreme values do not overflow.
    CHECK(verify_error(R"({"iat":-9223372036854775808,"exp":9223372036854775807})").ably_code() == 40003);
    CHECK(verify_error(R"({"iat":9223372036854775806,"exp":9223372036854775807})").ably_code() == 40001);
  }
  SUBCASE("lifetime: 24 h, 1 h for a revocable key (40003)") {
    CHECK(verify_jwt(make_token(std_header, R"({"iat":1000,"exp":87400})"), make_key(), at(1100)));
    const auto e = verify_error(R"({"iat":1000,"exp":87401})");
    CHECK(e.ably_code() == 40003);
    CHECK(message_of(e) == "JWT lifetime (exp - iat) of 86401 s exceeds the limit of 86400 s");
    const auto revocable = make_key(key_text, true);
    CHECK(verify_jwt(make_token(std_header, R"({"iat":1000,"exp":4600})"), revocable, at(1100)));
    const auto r = verify_jwt(make_token(std_header, R"({"iat":1000,"exp":4601})"), revocable, at(1100));
    CHECK(r.error().ably_code() == 40003);
    CHECK(message_of(r.error()) == "JWT lifetime (exp - iat) of 3601 s exceeds the limit of 3600 s for a key with revocable tokens");
  }
  SUBCASE("x-ably-capability: string or object; present but unusable is an error") {
    const jwt_key key(api_key::parse(key_text).value(),
                      capability::parse(R"({"chat:*":["publish","subscribe"],"status":["history"]})").value());
    auto effective = [&](std::string_view payload) {
      const auto v = verify_jwt(make_token(std_header, payload), key, at(1100));
      REQUIRE(v);
      return v->capability.to_json();
    };
    CHECK(effective(R"({"iat":1000,"exp":1600,"x-ably-capability":"{\"chat:bob\":[\"subscribe\"]}"})") ==
          R"({"chat:bob":["subscribe"]})");
    CHECK(effective(R"({"iat":1000,"exp":1600,"x-ably-capability":{"chat:bob":["subscribe"],"status":["*"]}})") ==
          R"({"chat:bob":["subscribe"],"status":["history"]})");
    CHECK(effective(R"({"iat":1000,"exp":1600})") == R"({"chat:*":["publish","subscribe"],"status":["history"]})");
    auto fails = [&](std::string_view payload, std::uint32_t code, std::string_view message) {
      const auto r = verify_jwt(make_token(std_header, payload), key, at(1100));
      REQUIRE_FALSE(r);
      CHECK(r.error().ably_code() == code);
      CHECK(r.error().message() == message);
    };
    fails(R"({"iat":1000,"exp":1600,"x-ably-capability":""})", 40144,
          "JWT claim 'x-ably-capability' is an empty string; omit the claim for the key's capability");
    fails(R"({"iat":1000,"exp":1600,"x-ably-capability":"{\"chat\":"})", 40000,
          "JWT claim 'x-ably-capability' is not a valid capability: unexpected end of input at byte 8; expected an array of operations");
    fails(R"({"iat":1000,"exp":1600,"x-ably-capability":"{\"chat\":[\"Publish\"]}"})", 40000,
          "JWT claim 'x-ably-capability' is not a valid capability: unknown operation 'Publish' at byte 9; operations are lower-case, did you mean 'publish'?");
    fails(R"({"iat":1000,"exp":1600,"x-ably-capability":null})", 40144,
          "JWT claim 'x-ably-capability' must be a JSON string or object, found null");
    fails(R"({"iat":1000,"exp":1600,"x-ably-capability":[]})", 40144,
          "JWT claim 'x-ably-capability' must be a JSON string or object, found an array");
    fails(R"({"iat":1000,"exp":1600,"x-ably-capability":{}})", 40160, "Key does not support requested capabilities");
    fails(R"({"iat":1000,"exp":1600,"x-ably-capability":"{\"secret\":[\"*\"]}"})", 40160,
          "Key does not support requested capabilities");
  }
  SUBCASE("clientId, revocation key: non-empty strings") {
    CHECK(message_of(verify_error(R"({"iat":1000,"exp":1600,"x-ably-revocation-key":""})")) ==
          "JWT claim 'x-ably-revocation-key' must be a non-empty string, found an empty string");
    CHECK(message_of(verify_error(R"({"iat":1000,"exp":1600,"x-ably-revocation-key":5})")) ==
          "JWT claim 'x-ably-revocation-key' must be a non-empty string, found a number");
    CHECK(message_of(verify_error(R"({"iat":1000,"exp":1600,"x-ably-clientId":""})")) ==
          "JWT claim 'x-ably-clientId' must be a non-empty string, found an empty string");
    const auto v = verify_jwt(make_token(std_header, R"({"iat":1000,"exp":1600,"x-ably-clientId":"*","x-ably-revocation-key":"group-7"})"),
                              make_key(), at(1100));
    REQUIRE(v);
    CHECK(*v->client_id == "*");
    CHECK(*v->revocation_key == "group-7");
  }
  SUBCASE("user claims, limits and other claims") {
    const auto v = verify_jwt(
        make_token(std_header,
                   R"({"iat":1000,"exp":1600,"sub":"u1","ably.channel.chat:*":"moderator","ably.channel.*":"guest",)"
                   R"("ably.limits.publish.perAttachment.maxRate.chat:*":2.5,"x":{"y":[true]}})"),
        make_key(), at(1100));
    REQUIRE(v);
    CHECK(v->user_claims.size() == 2);
    CHECK((*v->user_claims.find("chat:a"))->value == "moderator");
    CHECK((*v->user_claims.find("lobby"))->value == "guest");
    REQUIRE(v->limits.size() == 1);
    CHECK(v->limits[0].first == "ably.limits.publish.perAttachment.maxRate.chat:*");
    CHECK(v->limits[0].second == "2.5");
    REQUIRE(v->other_claims.size() == 2);
    CHECK(v->other_claims[1].second == R"({"y":[true]})");
    CHECK(message_of(verify_error(R"({"iat":1000,"exp":1600,"ably.channel.x":1})")) ==
          "JWT user claim 'ably.channel.x' must be a string, found a number");
    CHECK(message_of(verify_error(R"({"iat":1000,"exp":1600,"ably.limits.x":"1"})")) ==
          "JWT claim 'ably.limits.x' must be a number, found a string");
    CHECK(message_of(verify_error(R"({"iat":1000,"exp":1600,"ably.channel.":"v"})")) ==
          "JWT user claim 'ably.channel.': empty resource at byte 0");
    // Tying claims are accepted here; the lookup where they tie is the error.
    const auto tie = verify_jwt(make_token(std_header, R"({"iat":1000,"exp":1600,"ably.channel.a:*:c":"1","ably.channel.a:b:*":"2"})"),
                                make_key(), at(1100));
    REQUIRE(tie);
    CHECK(message_of(tie->user_claims.find("a:b:c").error()) ==
          "user claims 'ably.channel.a:*:c' and 'ably.channel.a:b:*' are equally specific and both apply to 'a:b:c'");
    CHECK((*tie->user_claims.find("a:b:d"))->value == "2");
  }
  SUBCASE("embedded x-ably-token: must not expire before the outer token") {
    const std::string inner = make_token(std_header, R"({"iat":900,"exp":1600})", "ably-secret");
    const std::string header_with = R"({"typ":"JWT","alg":"HS256","kid":"appId.keyId","x-ably-token":")" + inner + "\"}";
    auto v = verify_jwt(make_token(header_with, R"({"iat":1000,"exp":1600})"), make_key(), at(1100));
    REQUIRE(v);
    CHECK(*v->embedded_token == inner);
    CHECK(*v->embedded_expires_at == 1600);
    auto r = verify_jwt(make_token(header_with, R"({"iat":1000,"exp":1601})"), make_key(), at(1100));
    CHECK(message_of(r.error()) == "JWT expires after its embedded x-ably-token; the outer exp must not be later");
    r = verify_jwt(make_token(std_header, R"({"iat":1000,"exp":1601,"x-ably-token":")" + inner + "\"}"), make_key(), at(1100));
    CHECK(r.error().ably_code() == 40144);
    // An opaque Ably token: accepted (its expiry is the caller's to check) unless required.
    const std::string opaque = R"({"iat":1000,"exp":1600,"x-ably-token":"xVLyHw.DHHyRgSGQ0WBmZ53VbBVTw"})";
    v = verify_jwt(make_token(std_header, opaque), make_key(), at(1100));
    REQUIRE(v);
    CHECK_FALSE(v->embedded_expires_at);
    jwt_verify_options o = at(1100);
    o.require_embedded_expiry = true;
    CHECK(message_of(verify_jwt(make_token(std_header, opaque), make_key(), o).error()) ==
          "embedded x-ably-token is an opaque Ably token whose expiry cannot be checked here");
    const std::string no_exp = make_token(std_header, R"({"iat":900})", "ably-secret");
    CHECK(message_of(verify_error(R"({"iat":1000,"exp":1600,"x-ably-token":")" + no_exp + "\"}")) ==
          "embedded x-ably-token is a JWT without an integer 'exp' claim");
  }
}

TEST_CASE("issue_jwt: refusals") {
  auto fails = [](const jwt_key& key, const jwt_request& req, std::uint32_t code, std::string_view message) {
    const auto r = issue_jwt(key, req);
    REQUIRE_FALSE(r);
    CHECK(r.error().ably_code() == code);
    CHECK(r.error().message() == message);
  };
  jwt_request req;
  req.issued_at = 1000;
  req.ttl = 86401;
  fails(make_key(), req, 40003, "ttl of 86401 s exceeds the limit of 86400 s");
  req.ttl = 3601;
  fails(make_key(key_text, true), req, 40003, "ttl of 3601 s exceeds the limit of 3600 s for a key with revocable tokens");
  req.ttl = 0;
  fails(make_key(), req, 40003, "ttl must be a positive number of seconds");
  req.ttl = 60;
  req.client_id = "";
  fails(make_key(), req, 40000, "x-ably-clientId must not be empty");
  req.client_id = std::nullopt;
  req.revocation_key = "";
  fails(make_key(), req, 40000, "x-ably-revocation-key must not be empty");
  req.revocation_key = std::nullopt;
  req.capability = "{}";
  fails(make_key(), req, 40160, "Key does not support requested capabilities");
  req.capability = R"({"a":["publish_"]})";
  CHECK(issue_jwt(make_key(), req).error().code() == errc::unknown_operation);
  const jwt_key key(api_key::parse(key_text).value(), capability::parse(R"({"chat":["*"]})").value());
  req.capability = R"({"status":["*"]})";
  fails(key, req, 40160, "Key does not support requested capabilities");
  req.capability = std::nullopt;
  for (std::string_view reserved : {"iat", "exp", "x-ably-capability", "x-ably-clientId", "x-ably-anything"}) {
    req.claims = {{reserved, "1"}};
    fails(make_key(), req, 40000,
          "claim '" + std::string(reserved) +
              "' is reserved; set it through its own option (iat, ttl, capability, client id, revocation key)");
  }
  req.claims = {{"sub", "{"}};
  fails(make_key(), req, 40000, "claim 'sub' is not one JSON value: unexpected end of input at byte 1; expected a string");
  req.claims = {{"sub", "1 2"}};
  fails(make_key(), req, 40000, "claim 'sub' is not one JSON value: trailing characters after the JSON value at byte 2");
  req.claims = {{"sub", "1"}, {"sub", "2"}};
  fails(make_key(), req, 40000, "claim 'sub' given twice");
  req.claims = {{"ably.channel.x", "1"}};
  fails(make_key(), req, 40000, "claim 'ably.channel.x' must be a JSON string, found a number");
  req.claims = {{"ably.limits.x", "\"1\""}};
  fails(make_key(), req, 40000, "claim 'ably.limits.x' must be a JSON number, found a string");
  req.claims = {{"ably.channel.a:*:c", "\"1\""}, {"ably.channel.a:b:*", "\"2\""}};
  fails(make_key(), req, 40000,
        "user claims 'ably.channel.a:*:c' and 'ably.channel.a:b:*' are equally specific and both apply to 'a:b:c'");
  req.claims = {{"ably.channel.a::b", "\"1\""}, {"ably.channel.[x", "\"2\""}};
  fails(make_key(), req, 40000, "user claim 'ably.channel.[x': resource '[x' at byte 0 has '[' without a closing ']'");
  const std::string big = "\"" + std::string(8000, 'x') + "\"";  // (the request holds views)
  req.claims = {{"sub", big}};
  const auto r = issue_jwt(make_key(), req);
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == errc::limit_exceeded);
  CHECK(message_of(r.error()) ==
        "the JWT would be 10818 bytes, more than the limit of 8192 bytes (capmatch::max_jwt_bytes; HTTP header limits)");
}

TEST_CASE("issue_jwt and verify_jwt round trip with every kind of claim") {
  jwt_request req;
  req.issued_at = 1700000000;
  req.ttl = 3600;
  req.capability = R"({"[*]*":["subscribe"],"chat:\"q\"":["publish"]})";
  req.client_id = "zoë \"quoted\" \n";
  req.revocation_key = "rk";
  req.claims = {{"ably.channel.chat:*", "\"mod\\u00e9\""}, {"ably.limits.publish.perAttachment.maxRate.chat:*", "-1.5e2"},
                {"roles", R"( [ "a \" b\\" , {"b" :	null} ] )"}};
  const auto t = issue_jwt(make_key(), req);
  REQUIRE(t);
  const auto v = verify_jwt(*t, make_key(), at(1700000000));
  REQUIRE(v);
  CHECK(*v->client_id == "zoë \"quoted\" \n");
  CHECK(*v->revocation_key == "rk");
  CHECK(v->capability.to_json() == R"({"[*]*":["subscribe"],"chat:\"q\"":["publish"]})");
  CHECK((*v->user_claims.find("chat:1"))->value == "mod\xC3\xA9");
  CHECK(v->limits[0].second == "-1.5e2");
  CHECK(v->other_claims[0].second == R"(["a \" b\\",{"b":null}])");  // whitespace outside strings dropped
}

TEST_CASE("user claims: the most specific one (rule 26)") {
  auto compile = [](std::vector<user_claim> c, claim_ties t = claim_ties::reject) {
    auto r = user_claims::compile(std::move(c), t);
    REQUIRE(r);
    return *r;
  };
  auto value = [](const user_claims& u, std::string_view channel) -> std::string {
    const auto r = u.find(channel);
    REQUIRE(r);
    return *r ? (*r)->value : std::string("(none)");
  };
  // The example of Ably's documentation.
  const auto doc = compile({{"chat1", "admin"}, {"chat:*", "moderator"}, {"*", "guest"}});
  CHECK(value(doc, "chat1") == "admin");
  CHECK(value(doc, "chat:general") == "moderator");
  CHECK(value(doc, "chat:general:thread") == "moderator");
  CHECK(value(doc, "lobby") == "guest");
  CHECK(value(doc, "[meta]log") == "(none)");
  CHECK(value(doc, "chat") == "guest");
  CHECK(message_of(doc.find("a::b").error()) == "resource name 'a::b' has an empty segment at byte 2");
  // Exact beats wildcard; more literal segments; then more segments.
  const auto u = compile({{"a:*", "1"}, {"a:*:c", "2"}, {"a:*:*", "3"}, {"a:b:c", "4"}, {"*:*:*:d", "5"}, {"[*]a:b", "6"}});
  CHECK(value(u, "a:b:c") == "4");
  CHECK(value(u, "a:x:c") == "2");
  CHECK(value(u, "a:x:y") == "3");
  CHECK(value(u, "a:x") == "1");
  CHECK(value(u, "a:b") == "6");  // [*]a:b (wildcard, 2 literals) beats a:* (1 literal)
  CHECK(value(u, "[q]a:b") == "6");
  CHECK(value(u, "a:x:y:d") == "5");  // a:*, a:*:*, *:*:*:d: one literal each, the most segments win
  static_assert(specificity_of(pattern{qualifier_kind::none, {}, "a:*:*"}) <
                specificity_of(pattern{qualifier_kind::none, {}, "*:*:*:d"}));
  static_assert(specificity_of(pattern{qualifier_kind::none, {}, "a:*"}) <
                specificity_of(pattern{qualifier_kind::any, {}, "a:b"}));
  static_assert(specificity_of(pattern{qualifier_kind::any, {}, "a:b:c:d"}) <
                specificity_of(pattern{qualifier_kind::none, {}, "x"}));
  // Qualified exact names; [*] is a wildcard.
  const auto q = compile({{"chan", "plain"}, {"[*]chan", "any"}, {"[meta]chan", "meta"}});
  CHECK(value(q, "chan") == "plain");
  CHECK(value(q, "[meta]chan") == "meta");
  CHECK(value(q, "[queue]chan") == "any");
  // Ties are refused at issue time, an error at lookup otherwise.
  const auto tie = user_claims::compile({{"[*]a:*", "x"}, {"a:*", "y"}});
  REQUIRE_FALSE(tie);
  CHECK(tie.error().code() == errc::ambiguous_user_claim);
  CHECK(message_of(tie.error()) == "user claims 'ably.channel.[*]a:*' and 'ably.channel.a:*' are equally specific and both apply to 'a:*'");
  const auto lenient = compile({{"[*]a:*", "x"}, {"a:*", "y"}}, claim_ties::at_lookup);
  CHECK(lenient.find("a:b").error().code() == errc::ambiguous_user_claim);
  CHECK(value(lenient, "[meta]a:b") == "x");
  // Disjoint patterns of equal specificity do not tie.
  CHECK(user_claims::compile({{"a:*", "1"}, {"b:*", "2"}, {"x", "3"}, {"y", "4"}}));
}

TEST_CASE("user claims: many claims (several matchers) agree with a brute-force reference") {
  // Reference: scan every claim with matches(), rank by rule 26 computed here from the text.
  struct rank {
    bool exact;
    int literals, segments;
  };
  auto rank_of = [](std::string_view pat) {
    rank r{true, 0, 0};
    if (pat.substr(0, 3) == "[*]") r.exact = false;
    const auto close = pat.front() == '[' ? pat.find(']') : std::string_view::npos;
    std::string_view body = close == std::string_view::npos ? pat : pat.substr(close + 1);
    for (std::size_t i = 0;;) {
      const auto end = body.find(':', i);
      const auto seg = body.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
      ++r.segments;
      if (seg == "*") r.exact = false;
      else ++r.literals;
      if (end == std::string_view::npos) break;
      i = end + 1;
    }
    return r;
  };
  std::mt19937 rng(1234);  // test data only
  const char* words[] = {"a", "b", "c", "*"};
  for (int round = 0; round < 40; ++round) {
    std::vector<user_claim> claims;
    std::vector<std::string> seen;
    const int n = 1 + static_cast<int>(rng() % 60);
    for (int i = 0; i < n; ++i) {
      std::string p = (rng() % 5 == 0) ? "[*]" : "";
      const int segs = 1 + static_cast<int>(rng() % 4);
      for (int s = 0; s < segs; ++s) p += std::string(s ? ":" : "") + words[rng() % 4];
      if (std::find(seen.begin(), seen.end(), p) != seen.end()) continue;
      seen.push_back(p);
      claims.push_back({p, "v" + std::to_string(i)});
    }
    auto compiled = user_claims::compile(claims, claim_ties::at_lookup);
    REQUIRE(compiled);
    for (int k = 0; k < 50; ++k) {
      std::string channel = rng() % 6 == 0 ? "[q]" : "";
      const int segs = 1 + static_cast<int>(rng() % 5);
      for (int s = 0; s < segs; ++s) channel += std::string(s ? ":" : "") + words[rng() % 3];
      const auto name = parse_name(channel).value();
      // Best rank among matching claims, and how many share it.
      const user_claim* best = nullptr;
      rank br{};
      int ties = 0;
      for (const auto& c : claims) {
        if (!matches(parse_pattern(c.pattern).value(), name)) continue;
        const rank r = rank_of(c.pattern);
        const auto key = [](const rank& x) { return std::make_tuple(x.exact, x.literals, x.segments); };
        if (best == nullptr || key(r) > key(br)) {
          best = &c, br = r, ties = 0;
        } else if (key(r) == key(br)) {
          ++ties;
        }
      }
      const auto got = compiled->find(channel);
      CAPTURE(channel);
      if (ties != 0) {
        REQUIRE_FALSE(got);
        CHECK(got.error().code() == errc::ambiguous_user_claim);
      } else {
        REQUIRE(got);
        CHECK((*got == nullptr) == (best == nullptr));
        if (best && *got) CHECK((*got)->value == best->value);
      }
    }
  }
}

TEST_CASE("user claims: chunk boundaries, the catch-all, invalid names (differential)") {
  // One matcher holds 16 claims plus a catch-all "[*]*" (17 when a claim is "[*]*" itself), the
  // next ones 17 each. Claims "p0:*" .. "p{n-1}:*" and exact "p{i}:x" interleave specificities;
  // the reference is rule 26 read directly (specificity_of over every matching claim).
  auto reference = [](const user_claims& u, std::string_view channel) -> const user_claim* {
    const auto name = parse_name(channel).value();
    const user_claim* best = nullptr;
    claim_specificity bs;
    for (std::size_t i = 0; i < u.size(); ++i) {
      const auto p = parse_pattern(u.claim(i).pattern).value();
      if (!matches(p, name)) continue;
      if (best == nullptr || bs < specificity_of(p)) best = &u.claim(i), bs = specificity_of(p);
    }
    return best;
  };
  for (const std::size_t n : {1u, 15u, 16u, 17u, 18u, 33u, 34u, 50u}) {
    for (const bool with_catch_all_claim : {false, true}) {
      std::vector<user_claim> claims;
      for (std::size_t i = 0; i < n; ++i)
        claims.push_back({(i % 2 ? "p" + std::to_string(i) + ":x" : "p" + std::to_string(i) + ":*"), "v" + std::to_string(i)});
      if (with_catch_all_claim) claims.push_back({"[*]*", "everyone"});
      const auto u = user_claims::compile(claims);
      REQUIRE(u);
      CAPTURE(n);
      CAPTURE(with_catch_all_claim);
      std::size_t found = 0;
      for (std::size_t i = 0; i < n + 2; ++i) {
        for (const std::string& channel : {"p" + std::to_string(i) + ":x", "p" + std::to_string(i) + ":y",
                                           "[q]p" + std::to_string(i) + ":x", "p" + std::to_string(i)}) {
          const auto got = u->find(channel);
          REQUIRE(got);
          CHECK(*got == reference(*u, channel));
          found += *got != nullptr;
        }
      }
      CHECK(found > 0);
      // An invalid name is an error, the same as parse_name's, whether or not "[*]*" is a claim.
      for (std::string_view bad : {"a::b", "", "[meta", "bad\xff", "a:"}) {
        const auto got = u->find(bad);
        REQUIRE_FALSE(got);
        CHECK(message_of(got.error()) == message_of(parse_name(bad).error()));
      }
    }
  }
  // "[*]*" as a claim is the least specific one and applies to every valid name.
  const auto all = user_claims::compile({{"[*]*", "any"}, {"a", "exact"}}).value();
  CHECK((*all.find("a"))->value == "exact");
  CHECK((*all.find("[meta]zzz"))->value == "any");
  // No claims (compiled or default-constructed): nothing applies, and names are still validated.
  for (const user_claims& none : {user_claims::compile({}).value(), user_claims()}) {
    CHECK(*none.find("chat") == nullptr);
    CHECK(message_of(none.find("a::b").error()) == "resource name 'a::b' has an empty segment at byte 2");
  }
}

TEST_CASE("secrets never appear in messages (sentinel)") {
  constexpr std::string_view sentinel = "SENTINEL-s3cret-7f";
  const std::string text = "appId.keyId:" + std::string(sentinel);
  const auto key = make_key(text);
  std::vector<std::string> messages;
  const std::vector<std::string> payloads = {
      R"({"iat":1000,"exp":1600})", R"({"iat":1000})", R"({"iat":1000,"exp":99999})", R"({"iat":5000,"exp":5600})",
      R"({"iat":1000,"exp":1600,"x-ably-capability":""})", R"({"iat":1000,"exp":1600,"x-ably-capability":"{"})"};
  for (const auto& p : payloads) {
    for (std::string_view secret : {sentinel, std::string_view("other")}) {
      const auto r = verify_jwt(make_token(std_header, p, secret), key, at(1100));
      if (!r) messages.emplace_back(r.error().message());
    }
  }
  jwt_request req;
  req.ttl = 999999;
  messages.emplace_back(issue_jwt(key, req).error().message());
  messages.emplace_back(api_key::parse("appId.keyId:" + std::string(sentinel) + ":x").error().message());
  CHECK(messages.size() == 13);  // 5 + 6 verifications, 2 more
  for (const auto& m : messages) {
    CAPTURE(m);
    CHECK(m.find("SENTINEL") == std::string::npos);
    CHECK(m.find("s3cret") == std::string::npos);
  }
}

TEST_CASE("verify_jwt: the capability cache and identity shortcut give the general path's results, errors included") {
  static const char* const qualifiers[] = {"", "", "[meta]", "[*]"};
  static const char* const segments[] = {"a", "b", "*", "chat", ""};
  static const char* const ops[] = {"publish", "subscribe", "presence", "history"};
  capmatch_test::splitmix64 rng{0x1a7e'0005};
  auto pattern = [&](capmatch_test::splitmix64& r) { return capmatch_test::random_pattern(r, qualifiers, segments); };
  const char* const key_caps[] = {nullptr, R"({"[*]*":["*"]})", R"({"*":["*"]})", R"({"a:*":["*"]})",
                                  R"({"a:*":["publish","subscribe"],"[meta]*":["subscribe"],"chat":["*"]})"};
  std::size_t hits = 0;
  for (const char* key_cap : key_caps) {
    const jwt_key key(api_key::parse(key_text).value(),
                      key_cap != nullptr ? std::optional<capability>(capability::parse(key_cap).value()) : std::nullopt);
    capability_cache cache(64);
    jwt_verify_options plain = at(1100), cached = at(1100);
    cached.cache = &cache;
    std::vector<std::string> texts;
    for (int i = 0; i < 300; ++i) {
      const bool reuse = !texts.empty() && rng.chance(50);
      std::string text = reuse ? texts[rng.below(texts.size())] : capmatch_test::random_document(rng, 5, pattern, ops, 20);
      if (!reuse && rng.chance(5)) text = R"({"a":["Publish"]})";
      if (!reuse) texts.push_back(text);
      std::string payload = R"({"iat":1000,"exp":2000)";
      if (rng.chance(10)) {
        // no capability claim: the key's own
      } else if (rng.chance(30)) {
        payload += ",\"x-ably-capability\":" + text;  // object form
      } else {
        std::vector<char> quoted;
        detail::write_json_string(text, quoted);
        payload += ",\"x-ably-capability\":" + std::string(quoted.begin(), quoted.end());
      }
      payload += "}";
      const std::string token = make_token(std_header, payload);
      auto outcome = [&](const jwt_verify_options& o) {
        const auto r = verify_jwt(token, key, o);
        return r ? "ok " + r->to_json() : "error " + std::to_string(static_cast<int>(r.error().code())) + " " + message_of(r.error());
      };
      const std::string a = outcome(plain), b = outcome(cached);
      CHECK(a == b);
    }
    hits += cache.hits();
  }
  CHECK(hits > 100);
}

TEST_CASE("verify_jwt: the cache knows a key by its fingerprint (a rotated secret or another capability misses)") {
  const auto cap = capability::parse(R"({"chat:*":["publish","subscribe"]})").value();
  const jwt_key old_key(api_key::parse("appId.keyId:s3cret").value(), cap);
  const jwt_key rotated(api_key::parse("appId.keyId:n3w").value(), cap);
  const jwt_key narrower(api_key::parse("appId.keyId:s3cret").value(), capability::parse(R"({"chat:*":["publish"]})").value());
  CHECK(old_key.fingerprint() == jwt_key(api_key::parse("appId.keyId:s3cret").value(), cap).fingerprint());
  CHECK(!(old_key.fingerprint() == rotated.fingerprint()));
  capability_cache cache(1);  // one slot: only the key and the text decide a hit
  jwt_verify_options o = at(1100);
  o.cache = &cache;
  const std::string payload = R"({"iat":1000,"exp":2000,"x-ably-capability":"{\"chat:a\":[\"*\"]}"})";
  const std::string under_old = make_token(std_header, payload), under_new = make_token(std_header, payload, "n3w");
  REQUIRE(verify_jwt(under_old, old_key, o));
  REQUIRE(verify_jwt(under_old, old_key, o));
  CHECK(cache.hits() == 1);
  CHECK(cache.misses() == 1);
  // the same name and capability under the rotated secret: a new entry, never the old one's
  const auto r = verify_jwt(under_new, rotated, o);
  REQUIRE(r);
  CHECK(cache.hits() == 1);
  CHECK(cache.misses() == 2);
  CHECK(r->capability.to_json() == R"({"chat:a":["publish","subscribe"]})");
  CHECK(!verify_jwt(under_old, rotated, o));  // (and the old secret's token fails, before the cache)
  // the same name and secret with another capability: a miss, and that key's intersection
  const auto n = verify_jwt(under_old, narrower, o);
  REQUIRE(n);
  CHECK(cache.hits() == 1);
  CHECK(n->capability.to_json() == R"({"chat:a":["publish"]})");
  // and the key without a claim (the empty text) is cached per key too
  const std::string no_claim = make_token(std_header, R"({"iat":1000,"exp":2000})");
  REQUIRE(verify_jwt(no_claim, old_key, o));
  const auto m = verify_jwt(no_claim, narrower, o);
  REQUIRE(m);
  CHECK(m->capability.to_json() == R"({"chat:*":["publish"]})");
  CHECK(cache.hits() == 1);
}

TEST_CASE("json_object: strings (views, simple escapes, the rest) decode as json_reader::read_string does") {
  // Random string literals over an alphabet that reaches every path: plain ASCII (a view), only
  // \" \\ \/ escapes (decoded in place), other escapes, non-ASCII, control bytes and malformed
  // input (json_reader::read_string). Results and errors must be the reader's, byte for byte.
  static const char* const pieces[] = {"a", "b", "\\\"", "\\\\", "\\/", "\\n", "\\u00e9", "\\u", "\\x",
                                       "\xC3\xA9", "\xFF", "\x01", "\"", "\\", " ", "{",
                                       // plain runs longer than the 8-byte scan between escapes
                                       "tenant0:chat:*", "abcdefghijklmnopq"};
  capmatch_test::splitmix64 rng{0x57a1'0005};
  for (int round = 0; round < 20000; ++round) {
    std::string lit = "\"";
    const std::size_t n = rng.below(round % 2 ? 12 : 24);
    for (std::size_t i = 0; i < n; ++i) lit += rng.pick(pieces);
    if (rng.chance(90)) lit += "\"";
    std::vector<char> expected;
    error expected_err;
    detail::json_reader r(lit);
    const bool ok = r.read_string(expected, expected_err);
    const bool complete = ok && r.pos() == lit.size();
    const auto v = detail::json_object::parse_value(lit);
    if (complete) {
      REQUIRE(v.has_value());
      CHECK(v->string_value(0) == std::string_view(expected.data(), expected.size()));
    } else if (!ok) {
      REQUIRE_FALSE(v.has_value());
      CHECK(message_of(v.error()) == message_of(expected_err));
    }
    // the same string as a member value and as a member name of an object
    const std::string obj = "{" + lit + ":" + lit + "}";
    const auto o = detail::json_object::parse(obj);
    if (complete) {
      REQUIRE(o.has_value());
      CHECK(o->key(0) == std::string_view(expected.data(), expected.size()));
      CHECK(o->string_value(0) == std::string_view(expected.data(), expected.size()));
    } else if (!ok) {
      CHECK_FALSE(o.has_value());
    }
  }
}

namespace {

/// A strict base64 decoder written character by character (6 bits at a time into an
/// accumulator), the definition base64_decode_to's loops must give: the decoded bytes, or the
/// offset of the first error (no_offset for a length no encoding has).
std::variant<std::string, std::uint32_t> base64_reference(std::string_view in, crypto::base64_alphabet a) {
  const std::string_view alphabet = a == crypto::base64_alphabet::url
                                        ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                                        : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::size_t n = in.size();
  if (a == crypto::base64_alphabet::standard) {
    if (n % 4 != 0) return no_offset;
    if (n != 0 && in[n - 1] == '=') n -= in[n - 2] == '=' ? 2 : 1;
  } else if (n % 4 == 1) {
    return no_offset;
  }
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t v = alphabet.find(in[i]);
    if (v == std::string_view::npos) return static_cast<std::uint32_t>(i);
    acc = (acc << 6 | static_cast<std::uint32_t>(v)) & 0xFFFFFF;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  if ((acc & ((1u << bits) - 1)) != 0) return static_cast<std::uint32_t>(n - 1);  // unused bits not zero
  return out;
}

}  // namespace

TEST_CASE("base64 decoding (eight characters at a time, then four) agrees with a character-by-character reference") {
  // Encodings of random bytes of 0..120 bytes (every alignment of the 8-character loop and its
  // tail), some with one character replaced by another of the alphabet, by one outside it
  // ('=', whitespace, the other alphabet's, a high byte) or with their length cut.
  capmatch_test::splitmix64 rng{0xba5e'6407};
  static const char* const outside[] = {"=", " ", "\n", "+", "/", "-", "_", ".", "\xC3", "\xFF", "\0"};
  std::size_t ok = 0, refused = 0;
  for (int round = 0; round < 30000; ++round) {
    const auto a = rng.chance(50) ? crypto::base64_alphabet::url : crypto::base64_alphabet::standard;
    std::string bytes(rng.below(121), '\0');
    for (char& c : bytes) c = static_cast<char>(rng.below(256));
    std::string in = a == crypto::base64_alphabet::url ? crypto::base64url_encode(bytes) : crypto::base64_encode(bytes);
    const unsigned what = static_cast<unsigned>(rng.below(4));
    if (what == 1 && !in.empty()) in[rng.below(in.size())] = crypto::base64url_encode(std::string(1, static_cast<char>(rng.below(256))))[0];
    if (what == 2 && !in.empty()) in[rng.below(in.size())] = std::string_view(rng.pick(outside), 1)[0];
    if (what == 3 && !in.empty()) in.resize(rng.below(in.size()));
    std::vector<std::uint8_t> out(crypto::base64_decoded_max(in.size()) + 1);
    const auto got = crypto::base64_decode_to(in, out.data(), out.size() - 1, a);
    const auto want = base64_reference(in, a);
    CAPTURE(in);
    REQUIRE(got.has_value() == std::holds_alternative<std::string>(want));
    if (got) {
      ++ok;
      CHECK(std::string(reinterpret_cast<const char*>(out.data()), *got) == std::get<std::string>(want));
    } else {
      ++refused;
      CHECK(got.error().offset() == std::get<std::uint32_t>(want));
    }
  }
  CHECK(ok > 10000);
  CHECK(refused > 5000);
}
