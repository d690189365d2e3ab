// capmatch — replay guards: each (keyName, nonce) pair of a TokenRequest is accepted once
// within its window (docs/semantics.md §5 rule 22, error 40105). An interface, so that several
// verifier processes can share one store, and a bounded, thread-safe in-memory implementation.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <string_view>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "detail/hash.hpp"
#include "version.hpp"

CAPMATCH_NAMESPACE_BEGIN

class token_request_verifier;

/// The outcome of replay_guard::try_claim.
enum class claim_status : std::uint8_t {
  fresh,     // first use: the pair is now claimed until its expiry
  replayed,  // already claimed and not yet expired (40105)
  full,      // no room to remember it: refused, never accepted (fail closed)
  unavailable,  // a shared store did not answer: refused, never accepted (fail closed; 50003)
};

/// A store of claimed (keyName, nonce) pairs. try_claim is atomic: of any number of concurrent
/// claims of one unexpired pair exactly one returns `fresh`.
class replay_guard {
 public:
  virtual ~replay_guard() = default;
  /// Claims (key_name, nonce) until `expires_at_ms` (inclusive), given the caller's clock `now_ms`
  /// (both milliseconds since the Unix epoch). An implementation may forget a pair only after
  /// its expiry; when it cannot remember one more it returns claim_status::full.
  [[nodiscard]] virtual claim_status try_claim(std::string_view key_name, std::string_view nonce,
                                               std::int64_t expires_at_ms, std::int64_t now_ms) noexcept = 0;

 protected:
  friend class token_request_verifier;
  /// What prepare() worked out about a pair for the claim that follows (the memory guard: the
  /// pair's fingerprint). Opaque to the verifier.
  struct prepared_claim {
    std::uint64_t words[2] = {0, 0};
  };
  /// The verifier's two-phase claim, with the same outcome as try_claim(key_name, nonce, ...):
  /// prepare(key_name, nonce) right after reading the request (an implementation may start
  /// fetching what the claim will read, so that the fetch overlaps the mac check), then, when
  /// the request is authentic, claim_prepared with the same key_name and nonce and prepare's
  /// result. Only the verifier calls them (a friend: a prepared claim of another pair would
  /// claim the wrong pair). Default: nothing to prepare, and the claim is try_claim.
  [[nodiscard]] virtual prepared_claim prepare(std::string_view key_name, std::string_view nonce) const noexcept {
    static_cast<void>(key_name), static_cast<void>(nonce);
    return {};
  }
  [[nodiscard]] virtual claim_status claim_prepared(const prepared_claim& p, std::string_view key_name,
                                                    std::string_view nonce, std::int64_t expires_at_ms,
                                                    std::int64_t now_ms) noexcept {
    static_cast<void>(p);
    return try_claim(key_name, nonce, expires_at_ms, now_ms);
  }
};


/// A replay guard in this process's memory. Bounded: it remembers at most capacity() pairs,
/// in a table allocated once; a pair's slot is reused after its expiry. Safe under concurrent
/// use (the table is split into independently locked shards), O(1) per claim on average.
///
/// Pairs are stored as a 128-bit fingerprint (two hashes keyed with a per-guard secret seed),
/// not as text: a collision can only make a fresh pair look replayed (probability about
/// n^2 / 2^129 for n live pairs), never let a replay through.
///
/// When a shard is full of unexpired pairs, try_claim returns claim_status::full: the guard
/// fails closed rather than forget a pair that could still be replayed. Size it for the peak
/// rate times the window, e.g. 1000 requests/s x 4 minutes (a timestamp up to 2 minutes old
/// stays valid for 2 more) = 240 000; a shard may fill before the whole does when claims
/// cluster, so leave some margin. A full shard sweeps out expired pairs at most once per
/// millisecond of the callers' clock (each sweep is linear in the shard's size).
class memory_replay_guard final : public replay_guard {
 public:
  /// A guard for at least `capacity` unexpired pairs in `shards` locked shards, hashing with
  /// `seed` (use random bits: with a known seed an attacker can aim collisions at one shard).
  memory_replay_guard(std::size_t capacity, std::uint64_t seed0, std::uint64_t seed1, std::size_t shards = 64)
      : seed0_(seed0), seed1_(seed1) {
    if (shards == 0) shards = 1;
    std::size_t n = 1;
    while (n < shards) n <<= 1;
    shard_count_ = n;
    const std::size_t per_shard = capacity / n + (capacity % n != 0) + 1;
    std::size_t slots = 2;
    while (slots < 2 * per_shard) slots <<= 1;  // load factor at most 1/2: short probes
    table_ = make_table(n * slots);
    slot_mask_ = slots - 1;
    shard_limit_ = per_shard;
    shards_ = std::make_unique<shard[]>(n);
  }

  claim_status try_claim(std::string_view key_name, std::string_view nonce, std::int64_t expires_at_ms,
                         std::int64_t now_ms) noexcept override {
    std::uint64_t h1 = 0, h2 = 0;
    hash(key_name, nonce, h1, h2);
    return claim(h1, h2, expires_at_ms, now_ms);
  }

  /// The most unexpired pairs the guard is sure to hold (shard count x per-shard limit).
  [[nodiscard]] std::size_t capacity() const noexcept { return shard_count_ * shard_limit_; }
  /// Pairs stored now, expired ones not yet swept included (locks each shard in turn).
  [[nodiscard]] std::size_t size() const noexcept {
    std::size_t n = 0;
    for (std::size_t i = 0; i < shard_count_; ++i) {
      std::lock_guard<std::mutex> lock(shards_[i].mutex);
      n += shards_[i].used;
    }
    return n;
  }
  /// Bytes of the table (allocated once, at construction; 24 bytes a slot, at least two slots
  /// per pair of capacity, rounded up to 2 MiB when it is that large: make_table) and shards.
  [[nodiscard]] std::size_t memory_bytes() const noexcept {
    return shard_count_ * sizeof(shard) + table_.get_deleter().bytes;
  }

 private:
  struct slot {
    std::uint64_t h1 = 0, h2 = 0;
    std::int64_t expires = 0;  // 0: empty
  };

  /// Every shard's slots in one allocation. A table of 2 MiB or more is aligned to 2 MiB and,
  /// on Linux, offered to the kernel for huge pages (madvise): a claim reads one random slot of
  /// a table larger than the CPU's caches, and with 4 KiB pages that is a TLB miss as well.
  struct table_free {
    std::size_t align, bytes;
    table_free() noexcept : align(alignof(std::max_align_t)), bytes(0) {}
    table_free(std::size_t a, std::size_t b) noexcept : align(a), bytes(b) {}
    void operator()(slot* p) const noexcept { ::operator delete[](p, std::align_val_t{align}); }
  };
  using table = std::unique_ptr<slot[], table_free>;
  static table make_table(std::size_t count) {
    constexpr std::size_t huge = std::size_t{2} << 20;
    const std::size_t bytes = count * sizeof(slot);
    const std::size_t align = bytes >= huge ? huge : alignof(std::max_align_t);
    const std::size_t rounded = (bytes + align - 1) / align * align;
    void* const raw = ::operator new[](rounded, std::align_val_t{align});
#if defined(__linux__)
    if (align == huge) static_cast<void>(::madvise(raw, rounded, MADV_HUGEPAGE));  // (a hint: ignored if refused)
#endif
    slot* const p = static_cast<slot*>(raw);
    for (std::size_t i = 0; i < count; ++i) ::new (static_cast<void*>(p + i)) slot{};
    return table(p, table_free{align, rounded});
  }

  /// A shard: its lock and counts. Its slots are table_[i * (slot_mask_ + 1), (i + 1) * (slot_mask_ + 1)),
  /// passed in by the guard (shard_slots), with the mask and limit that every shard shares.
  struct alignas(64) shard {
    mutable std::mutex mutex;
    std::size_t used = 0;
    std::int64_t earliest = INT64_MAX;  // no stored pair expires before this

    claim_status claim(slot* slots, std::size_t mask, std::size_t limit, std::uint64_t h1, std::uint64_t h2,
                       std::int64_t expires, std::int64_t now) noexcept {
      constexpr std::size_t none = ~std::size_t{0};
      std::size_t i = h1 & mask, reuse = none;
      for (; slots[i].expires != 0; i = (i + 1) & mask) {  // the chain ends at an empty slot
        slot& e = slots[i];
        if (e.h1 == h1 && e.h2 == h2) {
          if (e.expires >= now) return claim_status::replayed;
          reuse = i;  // the same pair, expired: claim it afresh in its own slot
          break;
        }
        if (reuse == none && e.expires < now) reuse = i;
      }
      if (reuse != none) {  // an expired slot in the chain: overwriting it keeps the chain whole
        slots[reuse] = {h1, h2, expires};
        if (expires < earliest) earliest = expires;
        return claim_status::fresh;
      }
      if (used == limit) {
        if (earliest >= now) return claim_status::full;  // nothing has expired: fail closed
        sweep(slots, mask, now);
        return claim(slots, mask, limit, h1, h2, expires, now);  // (at most once: now earliest >= now)
      }
      slots[i] = {h1, h2, expires};
      ++used;
      if (expires < earliest) earliest = expires;
      return claim_status::fresh;
    }

    /// Drops the expired pairs, in place: empties their slots, then re-inserts every other
    /// pair in table order starting after an empty slot, so that no probe chain stays broken
    /// (linear probing has no tombstones). Allocates nothing.
    void sweep(slot* slots, std::size_t mask, std::int64_t now) noexcept {
      const std::size_t n = mask + 1;
      used = 0;
      earliest = INT64_MAX;
      std::size_t start = n;
      for (std::size_t k = 0; k < n; ++k) {
        if (slots[k].expires != 0 && slots[k].expires < now) slots[k] = slot{};
        if (slots[k].expires == 0 && start == n) start = k;
      }
      for (std::size_t step = 1; step <= n; ++step) {  // (start exists: the load is at most 1/2)
        const std::size_t k = (start + step) & mask;
        if (slots[k].expires == 0) continue;
        const slot e = slots[k];
        slots[k] = slot{};
        std::size_t i = e.h1 & mask;
        while (slots[i].expires != 0) i = (i + 1) & mask;
        slots[i] = e;
        ++used;
        if (e.expires < earliest) earliest = e.expires;
      }
      if (earliest == INT64_MAX) earliest = now;  // empty: nothing to sweep until time moves on
    }
  };

  /// The pair's fingerprint, and the slot its probe reads first starts loading (with a table
  /// larger than the CPU's caches that load is a cache and TLB miss on every claim; the
  /// verifier checks the mac meanwhile). A 24-byte slot straddles two cache lines at two of
  /// every eight indices, and the claim reads its `expires` (the second line then) first: both
  /// lines are fetched. The slot's address comes from fields fixed at construction
  /// (shard_slots), not from the shard, so the fetch waits for no load; the shard (its mutex,
  /// taken by the claim) is fetched too. No lock.
  prepared_claim prepare(std::string_view key_name, std::string_view nonce) const noexcept override {
    prepared_claim p;
    hash(key_name, nonce, p.words[0], p.words[1]);
#if defined(__GNUC__) || defined(__clang__)
    const std::size_t s = shard_of(p.words[1]);
    const slot* const e = shard_slots(s) + (p.words[0] & slot_mask_);
    __builtin_prefetch(e, 1);
    __builtin_prefetch(reinterpret_cast<const char*>(e + 1) - 1, 1);
    __builtin_prefetch(&shards_[s], 1);
#endif
    return p;
  }
  claim_status claim_prepared(const prepared_claim& p, std::string_view, std::string_view, std::int64_t expires_at_ms,
                              std::int64_t now_ms) noexcept override {
    return claim(p.words[0], p.words[1], expires_at_ms, now_ms);
  }

  claim_status claim(std::uint64_t h1, std::uint64_t h2, std::int64_t expires_at_ms, std::int64_t now_ms) noexcept {
    const std::int64_t expires = expires_at_ms > now_ms ? expires_at_ms : now_ms;
    const std::size_t i = shard_of(h2);
    shard& s = shards_[i];
    std::lock_guard<std::mutex> lock(s.mutex);
    return s.claim(shard_slots(i), slot_mask_, shard_limit_, h1, h2, expires < 1 ? 1 : expires, now_ms);
  }

  /// The first slot of shard `i` (shards' slots lie in shard order in table_).
  [[nodiscard]] slot* shard_slots(std::size_t i) const noexcept { return table_.get() + i * (slot_mask_ + 1); }

  /// The shard of a pair whose fingerprint's second word is `h2`.
  [[nodiscard]] std::size_t shard_of(std::uint64_t h2) const noexcept { return (h2 >> 40) & (shard_count_ - 1); }

  /// The pair's 128-bit fingerprint: the same values as seeded_hash(nonce, seeded_hash(key_name,
  /// 0 or 1, seed), seed), in two passes, not four.
  void hash(std::string_view key_name, std::string_view nonce, std::uint64_t& h1, std::uint64_t& h2) const noexcept {
    h1 = 0, h2 = 1;
    detail::seeded_hash2(key_name, h1, h2, seed0_, seed1_);
    detail::seeded_hash2(nonce, h1, h2, seed0_, seed1_);
  }

  std::uint64_t seed0_, seed1_;
  std::size_t shard_count_ = 1;
  std::size_t slot_mask_ = 1;    // slots per shard - 1 (a power of two - 1), the same for every shard
  std::size_t shard_limit_ = 1;  // pairs a shard holds at most (half its slots or fewer)
  table table_;
  std::unique_ptr<shard[]> shards_;
};

CAPMATCH_NAMESPACE_END
