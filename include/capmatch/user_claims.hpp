// capmatch — user claims: the most specific `ably.channel.<pattern>` claim for a channel
// (SEMANTICS §5 rule 26), compiled with the matcher so that a lookup costs about one check.
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "capability.hpp"
#include "error.hpp"
#include "matcher.hpp"
#include "operation.hpp"
#include "pattern.hpp"
#include "version.hpp"

CAPMATCH_NAMESPACE_BEGIN

/// The prefix of user claim names: "ably.channel.<pattern>".
inline constexpr std::string_view user_claim_prefix = "ably.channel.";

/// One user claim: the channel pattern (the claim name after "ably.channel.") and its value.
struct user_claim {
  std::string pattern;
  std::string value;
};

/// How specific a claim pattern is (rule 26): an exact name beats any wildcard; among
/// wildcards, more literal segments win, then more segments. Greater is more specific.
struct claim_specificity {
  bool exact = false;
  std::uint32_t literal_segments = 0;
  std::uint32_t segments = 0;
  friend constexpr bool operator==(const claim_specificity&, const claim_specificity&) = default;
  friend constexpr bool operator<(const claim_specificity& a, const claim_specificity& b) noexcept {
    if (a.exact != b.exact) return !a.exact;
    if (a.literal_segments != b.literal_segments) return a.literal_segments < b.literal_segments;
    return a.segments < b.segments;
  }
};

/// The specificity of a parsed pattern: "[*]" and every "*" segment count as wildcards.
[[nodiscard]] constexpr claim_specificity specificity_of(const pattern& p) noexcept {
  claim_specificity s;
  bool wild = p.kind == qualifier_kind::any;
  for (std::size_t i = 0;; ) {
    const std::string_view seg = detail::segment_at(p.body, i);
    ++s.segments;
    if (seg == "*") wild = true;
    else ++s.literal_segments;
    if (i + seg.size() >= p.body.size()) break;
    i += seg.size() + 1;
  }
  s.exact = !wild;
  return s;
}

/// What user_claims::compile does when two claims tie for some channel.
enum class claim_ties : std::uint8_t {
  reject,        ///< error ambiguous_user_claim (when issuing a token)
  at_lookup,     ///< accept; a lookup for a channel where they tie is the error (when verifying)
};

/// A set of user claims compiled for lookups. Immutable; any number of threads may look up.
class user_claims {
 public:
  /// Claims per compiled matcher: one operation bit each.
  static constexpr std::size_t chunk = operation_count;

  user_claims() = default;

  /// Compiles `claims`: patterns must be valid capability resources (errc::invalid_claim);
  /// ties (two claims of equal specificity that both match some channel) per `ties`.
  [[nodiscard]] static result<user_claims> compile(std::vector<user_claim> claims,
                                                   claim_ties ties = claim_ties::reject) {
    user_claims out;
    std::vector<std::pair<claim_specificity, std::size_t>> order;
    order.reserve(claims.size());
    for (std::size_t i = 0; i < claims.size(); ++i) {
      const auto p = parse_pattern(claims[i].pattern);
      if (!p) {
        error e(errc::invalid_claim, no_offset);
        e.append("user claim ").append_quoted(claim_name(claims[i].pattern)).append(": ");
        return e.append(p.error().message());
      }
      order.emplace_back(specificity_of(*p), i);
    }
    // Most specific first; equal ones in pattern byte order (deterministic).
    std::sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
      if (!(a.first == b.first)) return b.first < a.first;
      return claims[a.second].pattern < claims[b.second].pattern;
    });
    out.claims_.reserve(claims.size());
    std::vector<claim_specificity> spec;
    for (const auto& [s, i] : order) {
      out.claims_.push_back(std::move(claims[i]));
      spec.push_back(s);
    }
    // Ties: claims of equal specificity whose patterns overlap.
    out.partners_.assign(out.claims_.size(), {});
    std::vector<char> scratch;
    for (std::size_t a = 0; a < out.claims_.size(); ++a) {
      const pattern pa = parse_pattern(out.claims_[a].pattern).value();
      for (std::size_t b = a + 1; b < out.claims_.size() && spec[b] == spec[a]; ++b) {
        const pattern pb = parse_pattern(out.claims_[b].pattern).value();
        scratch.clear();
        if (!capmatch::intersect(pa, pb, scratch)) continue;
        if (ties == claim_ties::reject) {
          error e(errc::ambiguous_user_claim, no_offset);
          e.append("user claims ").append_quoted(claim_name(out.claims_[a].pattern)).append(" and ");
          e.append_quoted(claim_name(out.claims_[b].pattern)).append(" are equally specific and both apply to ");
          return e.append_quoted(std::string_view(scratch.data(), scratch.size()));
        }
        out.partners_[a].push_back(static_cast<std::uint32_t>(b));
        out.partners_[b].push_back(static_cast<std::uint32_t>(a));
      }
    }
    // One matcher per chunk of claims, claim k of a chunk granting operation bit k, so that the
    // lowest bit a check returns is the most specific claim (resolved here, not per lookup).
    // The first chunk also holds a catch-all "[*]*" on the last bit (unless a claim is "[*]*"):
    // a check that returns no bit at all then means an invalid channel name.
    bool catch_all_claim = false;
    for (const auto& c : out.claims_) catch_all_claim = catch_all_claim || c.pattern == "[*]*";
    out.catch_all_ = !catch_all_claim;
    for (std::size_t base = 0; base < out.claims_.size() || base == 0; base += out.chunk_size(base)) {
      capability cap;
      const std::size_t n = std::min(out.chunk_size(base), out.claims_.size() - base);
      chunk_matcher cm;
      for (std::size_t k = 0; k < n; ++k) {
        const std::string_view text = out.claims_[base + k].pattern;
        detail::capability_access::add(cap, text, op_set(static_cast<operation>(k)), 0);
        if (!out.partners_[base + k].empty()) cm.ties |= 1u << k;
      }
      if (base == 0 && out.catch_all_)
        detail::capability_access::add(cap, "[*]*", op_set(static_cast<operation>(chunk - 1)), 0);
      detail::capability_access::sort(cap, true);
      cm.m = matcher(cap);
      out.matchers_.push_back(std::move(cm));
      if (out.claims_.empty()) break;
    }
    return out;
  }

  /// Number of claims.
  [[nodiscard]] std::size_t size() const noexcept { return claims_.size(); }
  [[nodiscard]] bool empty() const noexcept { return claims_.empty(); }
  /// Claim i, most specific first.
  [[nodiscard]] const user_claim& claim(std::size_t i) const noexcept { return claims_[i]; }

  /// The most specific claim that applies to `channel`, or nullptr when none does. Errors: an
  /// invalid channel name (40000), or two equally specific claims that both apply
  /// (ambiguous_user_claim; only with claim_ties::at_lookup). One matcher check for up to 16
  /// claims (17 when one of them is "[*]*"), one more per further 17.
  [[nodiscard]] result<const user_claim*> find(std::string_view channel) const {
    if (matchers_.empty()) return none_for(channel);  // default-constructed
    // The first group (all claims, usually), inline; the others out of line.
    std::uint32_t hits = matchers_.front().m.ops_for(channel).bits() & op_set::op_mask;
    if (catch_all_) {
      if (hits == 0) return parse_name(channel).error();  // only an invalid name misses "[*]*"
      hits &= ~(1u << (chunk - 1));
    }
    if (hits != 0) {
      const auto k = static_cast<std::size_t>(std::countr_zero(hits));
      if ((matchers_.front().ties >> k & 1u) != 0) return tie_at(k, channel);
      return &claims_[k];
    }
    if (matchers_.size() == 1) return catch_all_ ? static_cast<const user_claim*>(nullptr) : none_for(channel);
    return find_after_first(channel);
  }

 private:
  // The full claim name, for messages.
  [[nodiscard]] static std::string claim_name(std::string_view pattern) {
    return std::string(user_claim_prefix).append(pattern);
  }

  // Claims in the chunk starting at claim `base`: 16 in the first (its last bit is the
  // catch-all) unless a claim is "[*]*", 17 in the others.
  [[nodiscard]] std::size_t chunk_size(std::size_t base) const noexcept {
    return base == 0 && catch_all_ ? chunk - 1 : chunk;
  }
  // No claim applies (as far as checked): nullptr for a valid name, else the name's error.
  [[nodiscard]] static result<const user_claim*> none_for(std::string_view channel) {
    if (const auto name = parse_name(channel); !name) return name.error();
    return static_cast<const user_claim*>(nullptr);
  }
  // find() over the groups after the first, which matched nothing.
  [[nodiscard]] result<const user_claim*> find_after_first(std::string_view channel) const {
    std::size_t base = chunk_size(0);
    for (std::size_t c = 1; c < matchers_.size(); base += chunk_size(base), ++c) {
      const std::uint32_t hits = matchers_[c].m.ops_for(channel).bits() & op_set::op_mask;
      if (hits == 0) continue;
      const auto k = static_cast<std::size_t>(std::countr_zero(hits));
      if ((matchers_[c].ties >> k & 1u) != 0) return tie_at(base + k, channel);
      return &claims_[base + k];
    }
    if (catch_all_) return static_cast<const user_claim*>(nullptr);
    return none_for(channel);
  }
  // Claim i applies to `channel`: the error naming the claim it ties with there, or claim i.
  [[nodiscard]] result<const user_claim*> tie_at(std::size_t i, std::string_view channel) const {
    const auto name = parse_name(channel);
    for (const std::uint32_t j : partners_[i]) {
      if (!matches(parse_pattern(claims_[j].pattern).value(), *name)) continue;
      error e(errc::ambiguous_user_claim, no_offset);
      e.append("user claims ").append_quoted(claim_name(claims_[std::min<std::size_t>(i, j)].pattern)).append(" and ");
      e.append_quoted(claim_name(claims_[std::max<std::size_t>(i, j)].pattern));
      return e.append(" are equally specific and both apply to ").append_quoted(channel);
    }
    return &claims_[i];
  }

  struct chunk_matcher {
    matcher m;
    std::uint32_t ties = 0;  // bit k: claim k of the chunk ties with another claim somewhere
  };
  std::vector<user_claim> claims_;                    // most specific first
  std::vector<std::vector<std::uint32_t>> partners_;  // per claim: the claims it ties with
  std::vector<chunk_matcher> matchers_;               // claims in chunks of chunk_size()
  bool catch_all_ = true;                             // the first chunk's last bit is "[*]*"
};

CAPMATCH_NAMESPACE_END
