// Redis back ends for the example auth server: the replay guard and the revocation store that
// several verifier processes share (docs/auth_server.md "Beyond one machine"). They implement
// the library's interfaces (capmatch::replay_guard, capmatch::revocation_store); the library
// itself never depends on Redis.
//
// - redis_replay_guard: one `SET capmatch:nonce:<keyName>\n<nonce> 1 NX PX <ms>` per claim. Redis
//   runs commands one at a time, so of any number of processes claiming one pair exactly one
//   gets "OK" (fresh); the others get nil (replayed). A Redis error fails closed (claim_status::unavailable: 50003).
// - redis_revocation_store: every revocation request is appended, with the time it was received,
//   to the stream `capmatch:revocations` (entries older than the longest token lifetime are
//   trimmed). Each process replays the stream into its own capmatch::revocation_list before each
//   check (one XRANGE from the last entry it has seen: usually an empty answer), so the matching
//   rules are the library's, and a revocation posted to any process is enforced by all of them
//   on their next request. If Redis cannot be read, check() fails closed (40141 is not claimed;
//   the error is 50000 with a message saying why).
#pragma once

#include <capmatch/replay_guard.hpp>
#include <capmatch/revocation.hpp>

#include <hiredis.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace auth_server {

/// A small pool of synchronous hiredis connections (a redisContext is not thread-safe).
class redis_pool {
 public:
  redis_pool(std::string host, int port) : host_(std::move(host)), port_(port) {}
  redis_pool(const redis_pool&) = delete;
  redis_pool& operator=(const redis_pool&) = delete;
  ~redis_pool() {
    for (redisContext* c : idle_) redisFree(c);
  }

  /// Connects once to check that Redis answers; false (and `why`) when it does not.
  [[nodiscard]] bool ping(std::string& why) {
    auto r = command({"PING"});
    if (!r) {
      why = last_error();
      return false;
    }
    return true;
  }

  struct reply_deleter {
    void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
  };
  using reply = std::unique_ptr<redisReply, reply_deleter>;

  /// Runs one command (binary-safe arguments); nullptr when the connection or the command
  /// failed (a reply of type REDIS_REPLY_ERROR is returned as a reply). Retries once on a
  /// fresh connection when a pooled one turns out to be broken.
  [[nodiscard]] reply command(const std::vector<std::string_view>& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    for (auto a : args) argv.push_back(a.data()), lens.push_back(a.size());
    for (int attempt = 0; attempt < 2; ++attempt) {
      redisContext* c = acquire();
      if (c == nullptr) return nullptr;
      auto* r = static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lens.data()));
      if (r == nullptr) {  // connection broken: drop it and retry once
        set_error(c->errstr);
        redisFree(c);
        continue;
      }
      release(c);
      return reply(r);
    }
    return nullptr;
  }

  [[nodiscard]] std::string last_error() const {
    std::lock_guard lock(mutex_);
    return error_;
  }

 private:
  redisContext* acquire() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        redisContext* c = idle_.back();
        idle_.pop_back();
        return c;
      }
    }
    const timeval timeout{2, 0};
    redisContext* c = redisConnectWithTimeout(host_.c_str(), port_, timeout);
    if (c == nullptr || c->err != 0) {
      set_error(c != nullptr ? c->errstr : "cannot allocate a redis context");
      if (c != nullptr) redisFree(c);
      return nullptr;
    }
    redisSetTimeout(c, timeout);
    return c;
  }
  void release(redisContext* c) {
    std::lock_guard lock(mutex_);
    idle_.push_back(c);
  }
  void set_error(std::string_view e) {
    std::lock_guard lock(mutex_);
    error_.assign(e);
  }

  std::string host_;
  int port_;
  mutable std::mutex mutex_;
  std::vector<redisContext*> idle_;
  std::string error_;
};

/// Single-use (keyName, nonce) pairs shared by every process that uses the same Redis.
class redis_replay_guard final : public capmatch::replay_guard {
 public:
  explicit redis_replay_guard(redis_pool& pool) : pool_(&pool) {}

  [[nodiscard]] capmatch::claim_status try_claim(std::string_view key_name, std::string_view nonce,
                                                 std::int64_t expires_at_ms, std::int64_t now_ms) noexcept override {
    try {
      // keyName never contains '\n' (a TokenRequest field has no control character), so
      // "<keyName>\n<nonce>" names one pair unambiguously.
      std::string key = "capmatch:nonce:";
      key.append(key_name).append(1, '\n').append(nonce);
      // Kept until its expiry (inclusive), and at least 1 ms.
      const std::int64_t ttl = expires_at_ms - now_ms + 1 > 0 ? expires_at_ms - now_ms + 1 : 1;
      const std::string px = std::to_string(ttl);
      auto r = pool_->command({"SET", key, "1", "NX", "PX", px});
      if (!r) return capmatch::claim_status::unavailable;
      if (r->type == REDIS_REPLY_STATUS) return capmatch::claim_status::fresh;  // "OK"
      if (r->type == REDIS_REPLY_NIL) return capmatch::claim_status::replayed;
      return capmatch::claim_status::unavailable;  // a Redis error: refuse rather than risk a replay
    } catch (...) {
      return capmatch::claim_status::full;
    }
  }

 private:
  redis_pool* pool_;
};

/// Revocations shared through a Redis stream, matched by a local capmatch::revocation_list.
class redis_revocation_store final : public capmatch::revocation_store {
 public:
  static constexpr std::string_view stream = "capmatch:revocations";

  explicit redis_revocation_store(redis_pool& pool, capmatch::revocation_list_options options = {})
      : pool_(&pool), local_(options), max_lifetime_ms_(options.max_token_lifetime_ms) {}

  [[nodiscard]] capmatch::error revoke(const capmatch::revocation_request& request, std::int64_t now_ms) override {
    if (auto e = capmatch::validate(request, now_ms); e.code() != capmatch::errc::ok) return e;
    capmatch::revocation_request fixed = request;
    fixed.issued_before_ms = request.issued_before_ms.value_or(now_ms);  // "now" is the receiver's
    const std::string body = capmatch::to_json(fixed), received = std::to_string(now_ms);
    // Trim what no live token can match any more (approximately: '~' lets Redis trim cheaply).
    const std::string min_id = std::to_string(now_ms - max_lifetime_ms_ - 60'000 > 0 ? now_ms - max_lifetime_ms_ - 60'000 : 0);
    auto r = pool_->command({"XADD", stream, "MINID", "~", min_id, "*", "body", body, "received", received});
    if (!r || r->type == REDIS_REPLY_ERROR) return unavailable("record the revocation in");
    return sync();
  }

  [[nodiscard]] capmatch::error check(const capmatch::revocation_subject& token, std::int64_t now_ms) const override {
    if (auto e = sync(); e.code() != capmatch::errc::ok) return e;
    return local_.check(token, now_ms);
  }
  using capmatch::revocation_store::check;

  std::size_t expire(std::int64_t now_ms) override { return local_.expire(now_ms); }

 private:
  [[nodiscard]] capmatch::error unavailable(std::string_view what) const {
    // Neither "revoked" nor "allowed": errc::store_unavailable (Ably code 50003, HTTP 500).
    capmatch::error e(capmatch::errc::store_unavailable, capmatch::no_offset);
    return e.append("the shared revocation store is unavailable: cannot ").append(what).append(" Redis");
  }

  // Applies every stream entry after the last one seen to the local list: one round trip when
  // nothing is new, one more per 1000 new entries, one snapshot of the list per round trip.
  [[nodiscard]] capmatch::error sync() const {
    std::lock_guard lock(sync_mutex_);
    std::vector<capmatch::received_revocation_request> batch;
    for (;;) {
      batch.clear();
      const std::string from = last_id_.empty() ? std::string("-") : "(" + last_id_;
      auto r = pool_->command({"XRANGE", stream, from, "+", "COUNT", "1000"});
      if (!r || r->type != REDIS_REPLY_ARRAY) return unavailable("read revocations from");
      for (std::size_t i = 0; i < r->elements; ++i) {
        const redisReply* entry = r->element[i];
        if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2) continue;
        last_id_.assign(entry->element[0]->str, entry->element[0]->len);
        const redisReply* fields = entry->element[1];
        std::string_view body;
        std::int64_t received = -1;
        for (std::size_t f = 0; f + 1 < fields->elements; f += 2) {
          const std::string_view name(fields->element[f]->str, fields->element[f]->len);
          const std::string_view value(fields->element[f + 1]->str, fields->element[f + 1]->len);
          if (name == "body") body = value;
          if (name == "received") received = parse_ms(value);
        }
        if (received < 0) continue;  // not written by redis_revocation_store::revoke
        auto req = capmatch::parse_revocation_request(body, received);
        if (!req) continue;  // validated by the process that wrote it: cannot happen
        batch.push_back({std::move(*req), received});
      }
      (void)local_.revoke(std::span<const capmatch::received_revocation_request>(batch));
      if (r->elements < 1000) return capmatch::error{};
    }
  }

  // A non-negative decimal number of milliseconds, or -1.
  [[nodiscard]] static std::int64_t parse_ms(std::string_view s) noexcept {
    if (s.empty() || s.size() > 18) return -1;
    std::int64_t v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return -1;
      v = v * 10 + (c - '0');
    }
    return v;
  }

  redis_pool* pool_;
  mutable capmatch::revocation_list local_;
  std::int64_t max_lifetime_ms_;
  mutable std::mutex sync_mutex_;
  mutable std::string last_id_;
};

}  // namespace auth_server
