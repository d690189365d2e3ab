// Fuzz target 7: the revocation request body parser (docs/semantics.md §27). The input is a body
// received at a fixed clock; after a 0xFF byte, the rest is also read as one target text.
// Asserts: a parsed request has 1..100 distinct targets whose text re-parses to the same target,
// an issuedBefore inside [now - 1 h, now], and to_json() of it parses back to the same request;
// a revocation list given it revokes a token of each clientId / revocationKey target and of each
// channel target's resource, issued just before issuedBefore, from the enforcement time on and not
// a millisecond earlier; every error is a 40000 with a one-line UTF-8 message and an offset inside
// the input.
// SPDX-License-Identifier: MIT
#include <capmatch/revocation.hpp>

#include "common.hpp"

namespace {
constexpr std::int64_t now = 1'700'000'000'000;

void check_request(const capmatch::revocation_request& r) {
  using namespace capmatch;
  FUZZ_CHECK(!r.targets.empty() && r.targets.size() <= max_revocation_targets);
  for (std::size_t i = 0; i < r.targets.size(); ++i) {
    FUZZ_CHECK(!r.targets[i].value.empty());
    auto again = parse_revocation_target(r.targets[i].to_string());
    FUZZ_CHECK(again.has_value() && *again == r.targets[i]);
    for (std::size_t j = 0; j < i; ++j) FUZZ_CHECK(!(r.targets[j] == r.targets[i]));
  }
  const std::int64_t before = r.issued_before_ms.value_or(now);
  FUZZ_CHECK(before <= now && before >= now - max_issued_before_age_ms);
  auto round = parse_revocation_request(to_json(r), now);
  FUZZ_CHECK(round.has_value());
  FUZZ_CHECK(round->targets == r.targets && round->issued_before_ms == r.issued_before_ms &&
             round->allow_reauth_margin == r.allow_reauth_margin);

  revocation_list list;
  FUZZ_CHECK(list.revoke(r, now).code() == errc::ok);
  FUZZ_CHECK(list.size() == r.targets.size());
  const std::int64_t enforce = now + (r.allow_reauth_margin ? reauth_margin_ms : 0);
  for (const auto& t : r.targets) {
    std::string cap_text;
    revocation_subject s;
    s.issued_at_ms = before - 1;
    capability cap;
    if (t.kind == revocation_target_kind::client_id) s.client_id = t.value;
    if (t.kind == revocation_target_kind::revocation_key) s.revocation_key = t.value;
    if (t.kind == revocation_target_kind::channel) {
      std::vector<char> json;
      json.push_back('{');
      detail::write_json_string(t.value, json);
      const std::string_view tail = ":[\"*\"]}";
      json.insert(json.end(), tail.begin(), tail.end());
      auto c = capability::parse(std::string_view(json.data(), json.size()));
      FUZZ_CHECK(c.has_value());  // a channel target is a valid capability resource
      cap = *c;
      s.cap = &cap;
    }
    FUZZ_CHECK(list.check(s, enforce).code() == errc::token_revoked);
    FUZZ_CHECK(fuzz::one_line_utf8(list.check(s, enforce).message()));
    if (enforce > now) FUZZ_CHECK(list.check(s, enforce - 1).code() == errc::ok);
    // The prepared path (hashes computed once) answers and words it the same.
    const prepared_revocation_subject p(s);
    FUZZ_CHECK(list.is_revoked(p, enforce) && list.check(p, enforce).message() == list.check(s, enforce).message());
    if (enforce > now) FUZZ_CHECK(!list.is_revoked(p, enforce - 1));
    s.issued_at_ms = before;  // issued at issuedBefore: not before it
    FUZZ_CHECK(list.check(s, enforce).code() == errc::ok);
    FUZZ_CHECK(!list.is_revoked(prepared_revocation_subject(s), enforce));
  }
}

void check_failure(const capmatch::error& e, std::size_t size) {
  FUZZ_CHECK(e.ably_code() == 40000);
  fuzz::check_error(e, size);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto cut = in.find('\xff');
  const std::string_view body = in.substr(0, cut);
  auto r = capmatch::parse_revocation_request(body, now);
  if (r) check_request(*r);
  else check_failure(r.error(), body.size());
  if (cut != std::string_view::npos) {
    const std::string_view text = in.substr(cut + 1);
    auto t = capmatch::parse_revocation_target(text);
    if (t) {
      FUZZ_CHECK(t->to_string() == text);
      auto req = capmatch::make_revocation_request({text}, now);
      FUZZ_CHECK(req.has_value());
      check_request(*req);
    } else {
      check_failure(t.error(), text.size());
    }
  }
  return 0;
}
