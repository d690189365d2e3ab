// capmatch — a bounded, thread-safe cache of verified capability texts for the TokenRequest and
// JWT verifiers (docs/token_requests.md "Verification cache"). Opt-in: a verifier uses one only
// when its options point to it.
// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "capability.hpp"
#include "crypto/compare.hpp"
#include "crypto/hmac.hpp"
#include "crypto/sha256.hpp"
#include "detail/hash.hpp"
#include "version.hpp"

CAPMATCH_NAMESPACE_BEGIN

/// The identity of a verifier's key for capability_cache: a SHA-256 over the key name, the
/// key's capability (every resource and operation set) and, when given, a value derived from
/// the key's secret (the HMAC of a fixed label: the secret cannot be recovered from it).
/// Computed once when the key is built; a lookup then compares 32 bytes instead of the key's
/// capability entry by entry. Keys that differ in any of these parts never share an entry.
class key_fingerprint {
 public:
  /// The fingerprint of (key_name, key_capability or "no capability" when nullptr, secret when
  /// `hmac` is not nullptr).
  [[nodiscard]] static key_fingerprint of(std::string_view key_name, const capability* key_capability,
                                          const crypto::hmac_sha256_key* hmac = nullptr) noexcept {
    crypto::sha256 h;
    auto put_size = [&](std::size_t n) {
      std::array<std::uint8_t, 8> b{};
      for (std::size_t i = 0; i < 8; ++i) b[i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(n) >> (8 * i));
      h.update(b);
    };
    auto put_text = [&](std::string_view s) { put_size(s.size()), h.update(s); };
    put_text("capmatch key fingerprint 1");  // (domain separation from any other SHA-256 use)
    put_text(key_name);
    put_size(key_capability == nullptr ? 0 : 1 + key_capability->size());
    if (key_capability != nullptr) {
      for (std::size_t i = 0; i < key_capability->size(); ++i) {
        put_text(key_capability->resource(i));
        put_size(key_capability->ops(i).bits());
      }
    }
    put_size(hmac == nullptr ? 0 : 1);
    if (hmac != nullptr) h.update(hmac->sign(std::string_view("capmatch capability_cache key identity")));
    key_fingerprint f;
    f.bytes_ = h.finish();
    return f;
  }
  /// Equal fingerprints: the same key name, capability and (when included) secret.
  friend bool operator==(const key_fingerprint& a, const key_fingerprint& b) noexcept {
    return crypto::equal_constant_time(a.bytes_, b.bytes_);
  }
  /// A hash of the fingerprint for choosing a slot.
  [[nodiscard]] std::size_t hash() const noexcept {
    std::size_t h = 0;
    for (std::size_t i = 0; i < sizeof(h); ++i) h = h << 8 | bytes_[i];
    return h;
  }

 private:
  crypto::sha256_digest bytes_{};
};

/// Remembers, for (key, exact requested capability text), what verifying that text gave: its
/// canonical text and the effective capability (key ∩ requested), and optionally the HMAC
/// state absorbed over a signed prefix that ends with that text (the TokenRequest verifier's
/// `keyName\nttl\ncapability\n`, tagged with the ttl text; see token_request.hpp). Only
/// successes are stored, so an invalid text or an empty intersection always takes the full path
/// and gets its full error. The key is identified by its key_fingerprint (computed once per key;
/// a key whose capability or secret changes under the same name never hits an old entry).
/// Bounded: `slots` entries (direct-mapped; a new entry replaces the one in its slot), texts
/// longer than `max_text_bytes` are never stored. Thread-safe: one mutex per slot.
class capability_cache {
 public:
  /// How a looked-up text is written. A TokenRequest's capability string may be looked up as
  /// written inside its JSON string (escapes not decoded: detail::simple_escaped_end), a JWT's
  /// and any other as decoded text. Entries of one form never answer a lookup of the other
  /// (two spellings of one capability are simply two entries).
  enum class text_form : std::uint8_t { decoded, json_escaped };

  /// What a hit copies out.
  struct entry {
    std::string canonical;    // the requested capability's canonical text
    capability effective;     // key ∩ requested
    /// When the entry holds it for the lookup's prefix tag: the HMAC absorbed over the signed
    /// prefix (it is only ever stored by a verifier that checked a mac over that prefix).
    std::optional<crypto::hmac_sha256> signed_prefix;
  };

  /// A cache of `slots` entries (at least 1) for texts of at most `max_text_bytes`.
  explicit capability_cache(std::size_t slots = 1024, std::size_t max_text_bytes = 4096)
      : slots_(new slot[slots == 0 ? 1 : slots]), count_(slots == 0 ? 1 : slots), max_text_(max_text_bytes) {}

  /// On a hit, copies the entry for (key, text) out to `out` and returns true; `out.signed_prefix`
  /// is set only when the entry's prefix was stored with the tag `prefix_tag`.
  [[nodiscard]] bool find(const key_fingerprint& key, std::string_view text, std::string_view prefix_tag,
                          entry& out) const {
    return find(key, text, prefix_tag, out.canonical, out.effective, out.signed_prefix);
  }
  /// find() into the caller's own objects (copy-assigned: a reused string and capability keep
  /// their buffers, so a hit allocates nothing once they have grown). Untouched on a miss.
  [[nodiscard]] bool find(const key_fingerprint& key, std::string_view text, std::string_view prefix_tag,
                          std::string& canonical, capability& effective,
                          std::optional<crypto::hmac_sha256>& signed_prefix, text_form form = text_form::decoded) const {
    return find(key, text, text_hash(text), prefix_tag, canonical, effective, signed_prefix, form);
  }
  /// The same with `hash` = text_hash(text), computed once by a caller that sees one text again
  /// and again (a wrong hash only makes the lookup miss: the entry is matched by key and text).
  [[nodiscard]] bool find(const key_fingerprint& key, std::string_view text, std::uint64_t hash,
                          std::string_view prefix_tag, std::string& canonical, capability& effective,
                          std::optional<crypto::hmac_sha256>& signed_prefix, text_form form = text_form::decoded) const {
    const lookup r = look_up(key, text, hash, prefix_tag, canonical, effective,
                             [&](const crypto::hmac_sha256& prefix) { signed_prefix = prefix; }, form);
    if (r == lookup::hit) signed_prefix.reset();
    return r != lookup::miss;
  }

  /// What find() into a caller's HMAC state found.
  enum class lookup : std::uint8_t {
    miss,             // no entry: nothing written
    hit,              // canonical and effective written; the state untouched (no prefix for the tag)
    hit_with_prefix,  // and the entry's HMAC state over the tagged prefix copied to the caller's
  };
  /// find() with `hash` = text_hash(text) that copies a prefix's HMAC state into the caller's
  /// `signed_prefix` (a verifier's one HMAC object: no std::optional, whose empty storage some
  /// compilers clear on construction).
  [[nodiscard]] lookup find(const key_fingerprint& key, std::string_view text, std::uint64_t hash,
                            std::string_view prefix_tag, std::string& canonical, capability& effective,
                            crypto::hmac_sha256& signed_prefix, text_form form = text_form::decoded) const {
    return look_up(key, text, hash, prefix_tag, canonical, effective,
                   [&](const crypto::hmac_sha256& prefix) { signed_prefix = prefix; }, form);
  }

  /// Stores a verified result (replacing whatever its slot held), with the HMAC state absorbed
  /// over the signed prefix tagged `prefix_tag` when `signed_prefix` is not nullptr. `text` is
  /// written in `form`; the prefix is over its decoded text.
  void insert(const key_fingerprint& key, std::string_view text, std::string_view canonical, const capability& effective,
              std::string_view prefix_tag = {}, const crypto::hmac_sha256* signed_prefix = nullptr,
              text_form form = text_form::decoded) {
    insert(key, text, text_hash(text), canonical, effective, prefix_tag, signed_prefix, form);
  }
  /// The same with `hash` = text_hash(text) (a wrong hash stores the entry where find(), given
  /// the right one, does not look).
  void insert(const key_fingerprint& key, std::string_view text, std::uint64_t hash, std::string_view canonical,
              const capability& effective, std::string_view prefix_tag = {},
              const crypto::hmac_sha256* signed_prefix = nullptr, text_form form = text_form::decoded) {
    if (text.size() > max_text_) return;
    slot& s = at(key, hash);
    std::lock_guard<std::mutex> lock(s.mutex);
    s.used = true;
    s.form = form;
    s.key = key;
    s.text.assign(text);
    s.canonical.assign(canonical);
    s.effective = effective;
    s.prefix_tag.assign(prefix_tag);
    if (signed_prefix != nullptr) s.prefix = *signed_prefix;
    else s.prefix.reset();
  }

  /// The hash of a text that chooses its slot (with the key's): detail::wide_hash with a fixed
  /// seed (a collision only evicts, and only verified results are ever stored).
  [[nodiscard]] static std::uint64_t text_hash(std::string_view text) noexcept {
    return detail::wide_hash(text, detail::hash_p3);
  }

  /// Lookups that found / did not find their entry (texts over the size limit are not counted).
  /// Counted per slot under the slot's lock (a lookup touches no shared counter); reading a
  /// count locks each slot in turn.
  [[nodiscard]] std::uint64_t hits() const noexcept { return sum(&slot::hits); }
  [[nodiscard]] std::uint64_t misses() const noexcept { return sum(&slot::misses); }
  /// Hits that also handed out a signed prefix's HMAC state.
  [[nodiscard]] std::uint64_t prefix_hits() const noexcept { return sum(&slot::prefix_hits); }
  [[nodiscard]] std::size_t slots() const noexcept { return count_; }
  /// The slot an entry for (key, a text of this text_hash) lives in, in [0, slots()).
  [[nodiscard]] std::size_t slot_of(const key_fingerprint& key, std::uint64_t text_hash) const noexcept {
    return detail::hash_to_slot(detail::fold_multiply(text_hash ^ detail::hash_p2, key.hash() ^ detail::hash_p1), count_);
  }

 private:
  struct slot {
    std::mutex mutex;
    bool used = false;
    text_form form = text_form::decoded;
    key_fingerprint key;
    std::string text, canonical, prefix_tag;
    capability effective;
    std::optional<crypto::hmac_sha256> prefix;
    std::uint64_t hits = 0, misses = 0, prefix_hits = 0;
  };
  /// Every lookup: on a hit copies the entry out, hands its prefix state (when stored with
  /// `prefix_tag`) to `take_prefix(state)`, counts, and says which it was.
  template <class TakePrefix>
  [[nodiscard]] lookup look_up(const key_fingerprint& key, std::string_view text, std::uint64_t hash,
                            std::string_view prefix_tag, std::string& canonical, capability& effective,
                            TakePrefix&& take_prefix, text_form form) const {
    if (text.size() > max_text_) return lookup::miss;
    slot& s = at(key, hash);
    std::lock_guard<std::mutex> lock(s.mutex);
    if (!s.used || s.form != form || s.text != text || !(s.key == key)) {
      ++s.misses;
      return lookup::miss;
    }
    canonical.assign(s.canonical);
    effective = s.effective;
    ++s.hits;
    if (s.prefix && s.prefix_tag == prefix_tag) {
      take_prefix(*s.prefix);
      ++s.prefix_hits;
      return lookup::hit_with_prefix;
    }
    return lookup::hit;
  }

  /// The slot of (key, text): the text's hash mixed with the key's, mapped onto the slots by a
  /// multiply (no division): slot_of.
  [[nodiscard]] slot& at(const key_fingerprint& key, std::uint64_t text_hash) const noexcept {
    return slots_[slot_of(key, text_hash)];
  }
  [[nodiscard]] std::uint64_t sum(std::uint64_t slot::*count) const noexcept {
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < count_; ++i) {
      std::lock_guard<std::mutex> lock(slots_[i].mutex);
      n += slots_[i].*count;
    }
    return n;
  }

  std::unique_ptr<slot[]> slots_;
  std::size_t count_;
  std::size_t max_text_;
};

CAPMATCH_NAMESPACE_END
