// See token_requests.hpp.
#include "token_requests.hpp"

#include <capmatch/token_request.hpp>

namespace auth_server {
namespace {
ably_error to_ably(const capmatch::error& e) {
  return {e.ably_code(), e.status_code(), std::string(e.message())};
}
}  // namespace

std::vector<std::pair<std::string, std::string>> no_cache_headers() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& h : capmatch::token_endpoint_headers)
    if (h.name != "Content-Type") out.emplace_back(h.name, h.value);
  return out;
}

struct token_requests::impl {
  capmatch::key_list keys;
  capmatch::token_request_signer signer;
  capmatch::token_request_verifier verifier;
  impl(capmatch::replay_guard& guard) : verifier(keys, guard) {}
};

token_requests::token_requests(std::string_view key_text, std::string_view key_capability, bool revocable,
                               capmatch::replay_guard& guard, std::string& error)
    : impl_(std::make_unique<impl>(guard)) {
  auto key = capmatch::api_key::parse(key_text);
  if (!key) {
    error = "key: " + std::string(key.error().message());
    return;
  }
  auto cap = capmatch::capability::parse(key_capability);
  if (!cap) {
    error = "keyCapability: " + std::string(cap.error().message());
    return;
  }
  impl_->keys.add(*key, *cap, revocable);
  capmatch::token_signer_options o;
  o.revocable = revocable;
  o.key_capability = std::move(*cap);
  auto signer = capmatch::token_request_signer::make(*key, std::move(o));
  if (!signer) {
    error = "signer: " + std::string(signer.error().message());
    return;
  }
  impl_->signer = std::move(*signer);
}

token_requests::~token_requests() = default;

std::variant<std::string, ably_error> token_requests::create(std::string_view capability, std::string_view client_id,
                                                             std::uint64_t ttl_ms) const {
  capmatch::token_params p;
  p.capability = capability;
  p.client_id = client_id;
  p.ttl_ms = ttl_ms;
  auto tr = impl_->signer.create(p);
  if (!tr) return to_ably(tr.error());
  return std::move(tr->json);
}

std::variant<verified_request, ably_error> token_requests::verify(std::string_view body, std::int64_t now_ms) const {
  auto v = impl_->verifier.verify(body, now_ms);
  if (!v) return to_ably(v.error());
  return verified_request{std::move(v->key_name), v->ttl_ms, std::move(v->client_id), v->effective.to_json()};
}

}  // namespace auth_server
