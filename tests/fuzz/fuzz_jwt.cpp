// Fuzz target: Ably JWTs (jwt.hpp, user_claims.hpp, detail/json_object.hpp). The first byte picks
// a mode: a raw token; a header and claims (split at the first 0xFF) signed with the key and then
// verified; an issue request built from the bytes, issued and verified back; or one JSON value.
// Properties: errors are well-formed JWT/capability errors that never contain the secret; a
// verified token satisfies every rule the verifier claims to check; its JSON output is strict JSON;
// an altered token never verifies; what issue_jwt signs verifies to what was asked.
// SPDX-License-Identifier: MIT
#include "common.hpp"

#include <capmatch/jwt.hpp>

namespace {

constexpr std::string_view secret = "FuzzSecret-Sentinel";
constexpr std::int64_t now = 1700000000;
// The secret may appear in output only when the input itself holds it (as data: a kid, a claim).
bool input_has_secret = false;

const capmatch::jwt_key& key() {
  static const capmatch::jwt_key k{capmatch::api_key::parse("appId.keyId:" + std::string(secret)).value(),
                                   capmatch::capability::parse(R"({"[*]*":["subscribe"],"chat:*":["*"],"x":["publish"]})").value(),
                                   false};
  return k;
}

capmatch::jwt_verify_options options() {
  capmatch::jwt_verify_options o;
  o.now = now;
  o.compile_matcher = true;
  return o;
}

void check_jwt_error(const capmatch::error& e) {
  FUZZ_CHECK(e.code() != capmatch::errc::ok);
  const auto code = e.ably_code();
  FUZZ_CHECK(code == 40144 || code == 40142 || code == 40001 || code == 40003 || code == 40160 || code == 40000);
  FUZZ_CHECK(!e.message().empty());
  FUZZ_CHECK(fuzz::one_line_utf8(e.message()));
  FUZZ_CHECK(input_has_secret || e.message().find(secret) == std::string_view::npos);
}

void check_verified(const capmatch::verified_jwt& v, std::string_view token) {
  FUZZ_CHECK(v.key_name == "appId.keyId");
  FUZZ_CHECK(v.issued_at < v.expires_at);
  FUZZ_CHECK(v.issued_at <= now + 60);
  FUZZ_CHECK(v.expires_at > now);
  FUZZ_CHECK(v.expires_at - v.issued_at <= capmatch::max_jwt_ttl);
  FUZZ_CHECK(!v.capability.empty());
  FUZZ_CHECK(v.matcher.has_value());
  // Effective ⊆ key: every resource it lists is granted by the key for the same ops.
  for (std::size_t i = 0; i < v.capability.size() && i < 32; ++i) {
    const std::string_view r = v.capability.resource(i);
    if (!capmatch::parse_name(r)) continue;
    const auto granted = v.capability.ops_for(r).granted_bits();
    FUZZ_CHECK((granted & ~key().capability()->ops_for(r).granted_bits()) == 0);
    FUZZ_CHECK(v.matcher->ops_for(r) == v.capability.ops_for(r));
  }
  if (v.client_id) FUZZ_CHECK(!v.client_id->empty());
  if (v.revocation_key) FUZZ_CHECK(!v.revocation_key->empty());
  if (v.embedded_expires_at) FUZZ_CHECK(*v.embedded_expires_at >= v.expires_at);
  const std::string json = v.to_json();
  FUZZ_CHECK(fuzz::one_line_utf8(json));
  FUZZ_CHECK(capmatch::detail::json_object::parse(json, {1u << 20, 1u << 16, 64, {}}).has_value());
  FUZZ_CHECK(input_has_secret || json.find(secret) == std::string::npos);
  // Any one-byte change of the token is refused.
  std::string altered(token);
  const std::size_t at = (token.size() * 7 + 3) % token.size();
  altered[at] = static_cast<char>(altered[at] ^ 0x01);
  FUZZ_CHECK(!capmatch::verify_jwt(altered, key(), options()).has_value());
}

std::string sign(std::string_view header, std::string_view claims) {
  std::string t = capmatch::crypto::base64url_encode(header) + "." + capmatch::crypto::base64url_encode(claims);
  const auto mac = key().key().sign(t);
  return t + "." + capmatch::crypto::base64url_encode(std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
}

void verify(std::string_view token) {
  const auto v = capmatch::verify_jwt(token, key(), options());
  if (!v) return check_jwt_error(v.error());
  check_verified(*v, token);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  input_has_secret = in.find("Sentinel") != std::string_view::npos;
  switch (data[0] % 4) {
    case 0:  // a raw token
      verify(in);
      break;
    case 1: {  // header and claims, signed with the key
      const auto cut = in.find('\xFF');
      const std::string_view header = cut == std::string_view::npos ? R"({"alg":"HS256","kid":"appId.keyId"})" : in.substr(0, cut);
      const std::string_view claims = cut == std::string_view::npos ? in : in.substr(cut + 1);
      verify(sign(header, claims));
      break;
    }
    case 2: {  // an issue request: fields separated by 0xFF: capability, client id, then NAME=JSON claims
      std::vector<std::string_view> f;
      for (std::size_t i = 0;;) {
        const auto j = in.find('\xFF', i);
        f.push_back(in.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
        if (j == std::string_view::npos) break;
        i = j + 1;
      }
      capmatch::jwt_request req;
      req.issued_at = now - 10;
      req.ttl = 11 + static_cast<std::int64_t>((f[0].size() * 977) % 90000);  // > 10: not expired at now
      if (!f[0].empty()) req.capability = f[0];
      if (f.size() > 1 && !f[1].empty()) req.client_id = f[1];
      for (std::size_t i = 2; i < f.size() && i < 40; ++i) {
        const auto eq = f[i].find('=');
        if (eq == std::string_view::npos) continue;
        req.claims.emplace_back(f[i].substr(0, eq), f[i].substr(eq + 1));
      }
      const auto t = capmatch::issue_jwt(key(), req);
      if (!t) {
        check_jwt_error(t.error());
        break;
      }
      FUZZ_CHECK(t->size() <= capmatch::max_jwt_bytes);
      const auto v = capmatch::verify_jwt(*t, key(), options());
      FUZZ_CHECK(v.has_value());
      check_verified(*v, *t);
      FUZZ_CHECK(v->issued_at == req.issued_at && v->expires_at == req.issued_at + req.ttl);
      FUZZ_CHECK(v->client_id.has_value() == req.client_id.has_value());
      if (req.client_id) FUZZ_CHECK(*v->client_id == *req.client_id);
      FUZZ_CHECK(v->capability_claimed == req.capability.has_value());
      // Issued claims never tie: a claim's own text (when it is a channel name) finds a claim at
      // least as specific as itself.
      for (std::size_t i = 0; i < v->user_claims.size(); ++i) {
        const auto& c = v->user_claims.claim(i);
        if (!capmatch::parse_name(c.pattern)) continue;
        const auto found = v->user_claims.find(c.pattern);
        FUZZ_CHECK(found.has_value() && *found != nullptr);
        FUZZ_CHECK(!(capmatch::specificity_of(capmatch::parse_pattern((*found)->pattern).value()) <
                     capmatch::specificity_of(capmatch::parse_pattern(c.pattern).value())));
      }
      break;
    }
    default: {  // one JSON value: success re-reads the same from its raw text
      const auto v = capmatch::detail::json_object::parse_value(in);
      if (!v) {
        fuzz::check_error(v.error(), in.size());
        break;
      }
      FUZZ_CHECK(v->size() == 1);
      const auto again = capmatch::detail::json_object::parse_value(v->raw(0));
      FUZZ_CHECK(again.has_value() && again->raw(0) == v->raw(0) && again->at(0).kind == v->at(0).kind);
      break;
    }
  }
  return 0;
}
