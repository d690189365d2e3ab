// The TokenRequest half of the example auth server (create at /auth, verify at the token
// exchange), behind a small interface of standard types.
//
// Why a separate translation unit: on the branches this example was built from, token_request.hpp
// and jwt.hpp / signed_grant.hpp each define a capmatch::detail name the other also defines
// (detail::json_kind, detail::decimal), so one source file cannot include both yet. Once the
// library resolves that, this file can fold back into auth_server.cpp.
#pragma once

#include <capmatch/replay_guard.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace auth_server {

/// An error as Ably reports it.
struct ably_error {
  std::uint32_t code = 0;
  std::uint16_t status = 0;
  std::string message;
};

/// What a verified TokenRequest grants.
struct verified_request {
  std::string key_name;
  std::optional<std::uint64_t> ttl_ms;
  std::optional<std::string> client_id;
  std::string capability;  // effective (key ∩ requested), canonical JSON
};

/// The token endpoint's response headers (capmatch::token_endpoint_headers, rule 23), without
/// Content-Type: no cache may store a TokenRequest and hand it out again.
[[nodiscard]] std::vector<std::pair<std::string, std::string>> no_cache_headers();

class token_requests {
 public:
  /// For the key `key_text` (appId.keyId:secret) with capability `key_capability` (JSON);
  /// nonces are claimed in `guard`. Errors go to `error` (then the object is unusable).
  token_requests(std::string_view key_text, std::string_view key_capability, bool revocable, capmatch::replay_guard& guard,
                 std::string& error);
  ~token_requests();
  token_requests(const token_requests&) = delete;
  token_requests& operator=(const token_requests&) = delete;

  /// A new signed TokenRequest (wire JSON) for `capability` (JSON) and `client_id`.
  [[nodiscard]] std::variant<std::string, ably_error> create(std::string_view capability, std::string_view client_id,
                                                             std::uint64_t ttl_ms) const;
  /// Verifies a TokenRequest body as Ably does (mac, timestamp, nonce, ttl, capability).
  [[nodiscard]] std::variant<verified_request, ably_error> verify(std::string_view body, std::int64_t now_ms) const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace auth_server
