// capmatch — a bounded, thread-safe cache of verified capability texts for the TokenRequest and
// JWT verifiers (docs/token_requests.md "Verification cache"). Opt-in: a verifier uses one only
// when its options point to it.
// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "capability.hpp"
#include "version.hpp"

CAPMATCH_NAMESPACE_BEGIN

/// Remembers, for (key name, key capability, exact requested capability text), what verifying
/// that text gave: its canonical text and the effective capability (key ∩ requested). Only
/// successes are stored, so an invalid text or an empty intersection always takes the full path
/// and gets its full error. A hit compares all three parts exactly (the key's capability entry by
/// entry), so a key whose capability changes under the same name never hits an old entry.
/// Bounded: `slots` entries (direct-mapped; a new entry replaces the one in its slot), texts
/// longer than `max_text_bytes` are never stored. Thread-safe: one mutex per slot.
class capability_cache {
 public:
  /// A cache of `slots` entries (at least 1) for texts of at most `max_text_bytes`.
  explicit capability_cache(std::size_t slots = 1024, std::size_t max_text_bytes = 4096)
      : slots_(new slot[slots == 0 ? 1 : slots]), count_(slots == 0 ? 1 : slots), max_text_(max_text_bytes) {}

  /// On a hit, copies the stored canonical text and effective capability out and returns true.
  /// `key_capability` nullptr means "the key has no capability" (a JWT key that grants everything).
  [[nodiscard]] bool find(std::string_view key_name, const capability* key_capability, std::string_view text,
                          std::string* canonical, capability& effective) const {
    if (text.size() > max_text_) return false;
    slot& s = at(key_name, text);
    std::lock_guard<std::mutex> lock(s.mutex);
    if (!s.used || s.text != text || s.key_name != key_name || s.has_key_capability != (key_capability != nullptr) ||
        (key_capability != nullptr && !(s.key_capability == *key_capability))) {
      misses_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    if (canonical != nullptr) canonical->assign(s.canonical);
    effective = s.effective;
    hits_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }

  /// Stores a verified result (replacing whatever its slot held).
  void insert(std::string_view key_name, const capability* key_capability, std::string_view text,
              std::string_view canonical, const capability& effective) {
    if (text.size() > max_text_) return;
    slot& s = at(key_name, text);
    std::lock_guard<std::mutex> lock(s.mutex);
    s.used = true;
    s.key_name.assign(key_name);
    s.has_key_capability = key_capability != nullptr;
    s.key_capability = key_capability != nullptr ? *key_capability : capability();
    s.text.assign(text);
    s.canonical.assign(canonical);
    s.effective = effective;
  }

  /// Lookups that found / did not find their entry (texts over the size limit are not counted).
  [[nodiscard]] std::uint64_t hits() const noexcept { return hits_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t misses() const noexcept { return misses_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::size_t slots() const noexcept { return count_; }

 private:
  struct slot {
    std::mutex mutex;
    bool used = false, has_key_capability = false;
    std::string key_name, text, canonical;
    capability key_capability, effective;
  };
  [[nodiscard]] slot& at(std::string_view key_name, std::string_view text) const noexcept {
    const std::size_t h = std::hash<std::string_view>{}(text) ^ (std::hash<std::string_view>{}(key_name) * 0x9E3779B97F4A7C15ull);
    return slots_[h % count_];
  }

  std::unique_ptr<slot[]> slots_;
  std::size_t count_;
  std::size_t max_text_;
  mutable std::atomic<std::uint64_t> hits_{0}, misses_{0};
};

CAPMATCH_NAMESPACE_END
