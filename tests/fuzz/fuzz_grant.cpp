// Fuzz target 8: the signed-grant cookie decoder (docs/semantics.md §28). The first byte picks a
// mode: raw cookie text to verify_grant; or a capability from the input, issued as a grant, then
// one byte of it changed (position and value from the input); or two capabilities (split at 0xFF),
// the first issued and extended by the second.
// Asserts: a random cookie never verifies and fails with 40000/40101 and a one-line UTF-8 message
// that is the same under other secrets (so it cannot carry them); an issued grant verifies to the
// same capability, for its clientId only, and fails once any byte changes; extend gives exactly
// unite(a, b), which grants a resource's operation exactly when a or b does.
// SPDX-License-Identifier: MIT
#include <capmatch/signed_grant.hpp>

#include "common.hpp"

namespace {
constexpr std::int64_t now = 1'700'000'000'000;
constexpr std::string_view secret = "Qz7xWv3kP9tJ8rLm2Nb5Hc6Yd4Fg1Ks0";

const capmatch::grant_keyring& keys() {
  static const capmatch::grant_keyring k = [] {
    capmatch::grant_keyring r;
    FUZZ_CHECK(r.add("k1", secret).code() == capmatch::errc::ok);
    FUZZ_CHECK(r.add("k2", "Hm4rTy8uLp2eWq9zXc3vBn7mAs5dFg6J").code() == capmatch::errc::ok);
    return r;
  }();
  return k;
}
const capmatch::grant_keyring& other_keys() {
  static const capmatch::grant_keyring k = [] {
    capmatch::grant_keyring r;
    FUZZ_CHECK(r.add("k1", "0123456789abcdefghijklmnopqrstuv").code() == capmatch::errc::ok);
    FUZZ_CHECK(r.add("k2", "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345").code() == capmatch::errc::ok);
    return r;
  }();
  return k;
}

void check_failure(const capmatch::error& e) {
  FUZZ_CHECK(e.ably_code() == 40000 || e.ably_code() == 40101);
  FUZZ_CHECK(!e.message().empty() && fuzz::one_line_utf8(e.message()));
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto v = capmatch::verify_grant(keys(), in, "bob", now);
      FUZZ_CHECK(!v.has_value());  // no forgery without the secret
      check_failure(v.error());
      // The error does not depend on the secrets: the same key ids with other secrets give the same one.
      FUZZ_CHECK(capmatch::verify_grant(other_keys(), in, "bob", now).error() == v.error());
      break;
    }
    case 1: {
      if (in.size() < 3) return 0;
      const std::size_t pos = static_cast<std::uint8_t>(in[0]) | static_cast<std::size_t>(static_cast<std::uint8_t>(in[1])) << 8;
      const char to = in[2];
      auto cap = capmatch::capability::parse(in.substr(3));
      if (!cap) return 0;
      auto g = capmatch::issue_grant(keys(), "bob", *cap, now, 60'000);
      if (!g) {
        check_failure(g.error());
        return 0;
      }
      auto v = capmatch::verify_grant(keys(), g->cookie, "bob", now);
      FUZZ_CHECK(v.has_value() && v->granted == *cap);
      FUZZ_CHECK(capmatch::verify_grant(keys(), g->cookie, "bob2", now).error().code() == capmatch::errc::grant_rejected);
      std::string t = g->cookie;
      const std::size_t at = pos % t.size();
      if (t[at] == to) return 0;
      t[at] = to;
      auto w = capmatch::verify_grant(keys(), t, "bob", now);
      FUZZ_CHECK(!w.has_value());
      check_failure(w.error());
      break;
    }
    default: {
      const auto cut = in.find('\xff');
      if (cut == std::string_view::npos) return 0;
      auto a = capmatch::capability::parse(in.substr(0, cut));
      auto b = capmatch::capability::parse(in.substr(cut + 1));
      if (!a || !b) return 0;
      auto g = capmatch::issue_grant(keys(), "bob", *a, now, 60'000);
      if (!g) return 0;
      auto e = capmatch::extend_grant(keys(), g->cookie, "bob", *b, now + 1, 60'000);
      if (!e) {
        check_failure(e.error());
        return 0;
      }
      auto u = capmatch::unite(*a, *b);
      FUZZ_CHECK(u.has_value() && e->granted == *u);
      auto v = capmatch::verify_grant(keys(), e->cookie, "bob", now + 2);
      FUZZ_CHECK(v.has_value() && v->granted == *u);
      for (const auto* c : {&*a, &*b})
        for (std::size_t i = 0; i < c->size(); ++i) {
          auto n = capmatch::parse_name(c->resource(i));
          if (!n) continue;
          FUZZ_CHECK(u->ops_for(*n) == (a->ops_for(*n) | b->ops_for(*n)));
        }
      break;
    }
  }
  return 0;
}
