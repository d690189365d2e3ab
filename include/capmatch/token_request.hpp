// capmatch — signed TokenRequests: create, verify and explain them (docs/semantics.md §5,
// rules 19-23), byte for byte with ably-js createTokenRequest. See docs/token_requests.md.
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "capability.hpp"
#include "capability_cache.hpp"
#include "clock.hpp"
#include "crypto/base64.hpp"
#include "crypto/compare.hpp"
#include "crypto/hmac.hpp"
#include "crypto/random.hpp"
#include "detail/json.hpp"
#include "detail/fixed_text.hpp"
#include "detail/intersect_identity.hpp"
#include "detail/json_object.hpp"
#include "detail/utf8.hpp"
#include "error.hpp"
#include "intersect.hpp"
#include "key.hpp"
#include "replay_guard.hpp"
#include "token_request_wire.hpp"
#include "version.hpp"

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#define CAPMATCH_NONCE_POOL 1
#else
#define CAPMATCH_NONCE_POOL 0
#endif

CAPMATCH_NAMESPACE_BEGIN

/// One HTTP response header, as a server framework takes it.
struct http_header {
  std::string_view name, value;
};

/// Response headers for a token endpoint (rule 23; docs/token_requests.md "HTTP"): no cache,
/// proxy, CDN or browser may store a TokenRequest and hand it out again (40105 "Nonce value
/// replayed"). `no-store` forbids storing at all; `no-cache, must-revalidate` stop caches that
/// ignore `no-store` from reusing it; `Pragma` and `Expires` do the same for HTTP/1.0 caches.
/// No `Vary`: it only matters for responses that get stored, and these never are.
inline constexpr http_header token_endpoint_headers[] = {
    {"Cache-Control", "no-cache, no-store, must-revalidate"},
    {"Pragma", "no-cache"},
    {"Expires", "0"},
    {"Content-Type", "application/json"},
};


namespace detail {
/// Writes `canonical` (canonical capability text) at `o` as it goes inside a JSON string and
/// returns the end: canonical text holds no raw control character (they are written as
/// escapes), so only '"' and '\\' need a backslash; at most twice the size.
constexpr char* write_capability_in_string(std::string_view canonical, char* o) noexcept {
  for (const char c : canonical) {  // branch-free: the backslash is kept only when needed
    *o = '\\';
    o += c == '"' || c == '\\';
    *o++ = c;
  }
  return o;
}
}  // namespace detail

/// A capability prepared once for creating many TokenRequests: parsed and validated, with its
/// canonical text and that text as it is written inside the wire form's JSON string. Creating
/// with it costs a copy of those texts instead of writing them. Immutable: share freely.
class prepared_capability {
 public:
  /// Parses and validates capability JSON (errors as capability::parse).
  [[nodiscard]] static result<prepared_capability> parse(std::string_view json) {
    auto cap = capability::parse(json);
    if (!cap) return cap.error();
    return prepared_capability(std::move(*cap));
  }
  /// Prepares an already parsed capability.
  explicit prepared_capability(capability cap) : cap_(std::move(cap)) {
    std::vector<char> text;
    cap_.write_json(text);
    canonical_.assign(text.data(), text.size());
    in_string_.resize(2 * text.size());
    in_string_.resize(static_cast<std::size_t>(
        detail::write_capability_in_string(canonical_, in_string_.data()) - in_string_.data()));
  }
  /// The capability.
  [[nodiscard]] const capability& get() const noexcept { return cap_; }
  /// Its canonical text (what is signed).
  [[nodiscard]] std::string_view canonical() const noexcept { return canonical_; }
  /// The canonical text with '"' and '\\' escaped (what stands between the wire form's quotes).
  [[nodiscard]] std::string_view in_string() const noexcept { return in_string_; }

 private:
  capability cap_;
  std::string canonical_, in_string_;
};

/// What to put in a TokenRequest. Absent fields stay absent (rule 19): no default ttl, and no
/// capability means the key's whole capability, not `{"*":["*"]}`.
struct token_params {
  std::optional<std::string_view> capability;   // capability JSON; validated, signed as canonical text
  const class capability* parsed_capability = nullptr;  // or an already parsed one (then leave `capability` empty)
  const prepared_capability* prepared = nullptr;        // or a prepared one: the fastest (give only one of the three)
  std::optional<std::string_view> client_id;    // `*` allowed; empty or control characters rejected
  std::optional<std::uint64_t> ttl_ms;          // 1 .. 24 h (1 h for a revocable key)
  std::optional<std::uint64_t> timestamp_ms;    // default: the signer's clock plus its offset
  std::optional<std::string_view> nonce;        // default: 128 bits from the CSPRNG (32 hex chars, pooled_nonce)
};

/// A created TokenRequest: the wire form, the exact text that was signed, and the mac.
struct token_request {
  std::string json;         // one line: keyName, ttl, capability, clientId, timestamp, nonce, mac
  std::string signed_text;  // what the mac covers (for debugging a 40101)
  std::string mac;          // standard base64 of the HMAC-SHA256
};

namespace detail {
/// Decimal text of `v` in a small fixed buffer (the digits: detail::write_decimal).
struct decimal {
  char buf[20]{};
  std::size_t len = 0;
  constexpr explicit decimal(std::uint64_t v) noexcept : len(static_cast<std::size_t>(write_decimal(v, buf) - buf)) {}
  [[nodiscard]] constexpr std::string_view view() const noexcept { return {buf, len}; }
};

#if CAPMATCH_NONCE_POOL
/// Counts fork()s in this process's children: a child sees a new value and so discards the
/// nonce bytes it inherited, which its parent is handing out too.
inline std::atomic<std::uint64_t>& fork_generation() noexcept {
  static std::atomic<std::uint64_t> generation{0};
  return generation;
}
#endif

/// The nonce pool's bytes: 64 nonces of 16 bytes, refilled by one request to the operating
/// system's generator (crypto::random_bytes asks for at most os_random_max_request at once).
inline constexpr std::size_t nonce_pool_bytes = 64 * crypto::nonce::entropy_bytes;
#if defined(__linux__)
static_assert(nonce_pool_bytes <= crypto::detail::os_random_max_request, "a pool refill is one getrandom call");
#endif

/// A fresh nonce (32 hex chars, 128 bits) from the operating system's CSPRNG, drawn from a
/// per-thread pool of 1 KiB refilled 64 nonces at a time by one getrandom call (a call costs
/// more than the rest of creating a TokenRequest; the kernel's per-call set-up was ~6 % of a
/// create when the pool held 16). A forked child never reuses its parent's pool (pthread_atfork).
/// Used bytes are wiped. Without POSIX threads: one crypto::random_nonce() call per nonce.
[[nodiscard]] inline result<crypto::nonce> pooled_nonce() noexcept {
#if CAPMATCH_NONCE_POOL
  static const int registered = ::pthread_atfork(nullptr, nullptr, [] {
    fork_generation().fetch_add(1, std::memory_order_relaxed);
  });
  if (registered != 0) return crypto::random_nonce();
  struct pool {
    std::array<std::uint8_t, nonce_pool_bytes> bytes{};
    std::size_t used = nonce_pool_bytes;
    std::uint64_t generation = ~std::uint64_t{0};
  };
  thread_local pool p;
  const std::uint64_t generation = fork_generation().load(std::memory_order_relaxed);
  if (p.used == p.bytes.size() || p.generation != generation) {
    auto r = crypto::random_bytes(p.bytes.data(), p.bytes.size());
    if (!r) return r.error();
    p.used = 0;
    p.generation = generation;
  }
  std::array<std::uint8_t, crypto::nonce::entropy_bytes> b{};
  std::memcpy(b.data(), p.bytes.data() + p.used, b.size());
  std::memset(p.bytes.data() + p.used, 0, b.size());  // (the pool outlives the call: not a dead store)
  p.used += b.size();
  return crypto::nonce::from_bytes(b);
#else
  return crypto::random_nonce();
#endif
}

/// The longest ttl a key may grant: 1 h for a key with revocable tokens, else 24 h.
[[nodiscard]] constexpr std::uint64_t max_ttl_ms(bool revocable) noexcept {
  return revocable ? max_revocable_token_ttl_ms : max_token_ttl_ms;
}
/// The ttl rule (40003): positive and at most max_ttl_ms.
[[nodiscard]] constexpr bool ttl_allowed(std::uint64_t ttl, bool revocable) noexcept {
  return ttl != 0 && ttl <= max_ttl_ms(revocable);
}
/// ttl_allowed's error: none when allowed, else why (40003).
[[nodiscard]] constexpr error check_ttl(std::uint64_t ttl, bool revocable) noexcept {
  if (ttl_allowed(ttl, revocable)) return {};
  const std::uint64_t max = max_ttl_ms(revocable);
  error e(errc::invalid_ttl, no_offset);
  e.append("ttl ").append_number(ttl).append(" ms is ");
  if (ttl == 0) return e.append("not positive; omit ttl for the default");
  e.append("above the ").append(revocable ? "1 hour limit for a key with revocable tokens" : "24 hour limit");
  return e.append(" (").append_number(max).append(" ms)");
}

/// The signed text's one rule (rule 19): every field, then '\n' (an absent field is ""). Feeds
/// each of `lines` and its '\n' to `sink(piece)`. Everything that hashes or writes signed text
/// (or a part of it: a prefix, the rest after one) goes through here.
template <class Sink>
constexpr void for_each_signed_line(std::initializer_list<std::string_view> lines, Sink&& sink) {
  for (std::string_view line : lines) {
    sink(line);
    sink(std::string_view("\n", 1));
  }
}

/// Feeds the signed text (rule 19) of the six fields to `sink(piece)`.
template <class Sink>
constexpr void signed_text_pieces(std::string_view key_name, std::string_view ttl, std::string_view capability,
                                  std::string_view client_id, std::string_view timestamp, std::string_view nonce,
                                  Sink&& sink) {
  for_each_signed_line({key_name, ttl, capability, client_id, timestamp, nonce}, sink);
}

/// Appends `lines` as signed text (for_each_signed_line) to `text`.
inline void append_signed_lines(std::string& text, std::initializer_list<std::string_view> lines) {
  for_each_signed_line(lines, [&](std::string_view s) { text.append(s); });
}

/// Hashes `lines` as signed text (for_each_signed_line) into `h` through a stack buffer: one
/// update per 512 bytes instead of two per line. Returns `h`.
constexpr crypto::hmac_sha256& absorb_lines(crypto::hmac_sha256& h, std::initializer_list<std::string_view> lines) noexcept {
  char buf[512];  // (only the n bytes written are read)
  std::size_t n = 0;
  for_each_signed_line(lines, [&](std::string_view piece) {
    while (!piece.empty()) {
      if (n == sizeof(buf)) h.update(buf, n), n = 0;
      const std::size_t take = std::min(piece.size(), sizeof(buf) - n);
      std::copy(piece.data(), piece.data() + take, buf + n);
      n += take;
      piece.remove_prefix(take);
    }
  });
  return h.update(buf, n);
}
}  // namespace detail

/// The fields of a TokenRequest as they are signed; an absent ttl, capability or clientId is
/// signed as the empty string (rule 19). No policy is applied here (nonce length, ttl range):
/// this is the signing rule alone, for explaining a 40101 and for published test vectors.
struct token_request_fields {
  std::string_view key_name;
  std::optional<std::uint64_t> ttl_ms;
  std::optional<std::string_view> capability;  // the exact capability text that is sent
  std::optional<std::string_view> client_id;
  std::uint64_t timestamp_ms = 0;
  std::string_view nonce;

  /// Feeds the signed text to `sink(piece)`, piece by piece (no allocation).
  template <class Sink>
  constexpr void signed_text(Sink&& sink) const {
    const detail::decimal ttl(ttl_ms.value_or(0)), ts(timestamp_ms);
    detail::signed_text_pieces(key_name, ttl_ms ? ttl.view() : std::string_view(), capability.value_or(std::string_view()),
                               client_id.value_or(std::string_view()), ts.view(), nonce, sink);
  }
  /// The signed text: keyName, ttl, capability, clientId, timestamp and nonce, each followed by '\n'.
  [[nodiscard]] std::string signed_text() const {
    std::string out;
    signed_text([&](std::string_view s) { out.append(s); });
    return out;
  }
  /// The HMAC-SHA256 of the signed text under `key`.
  [[nodiscard]] constexpr crypto::sha256_digest digest(const crypto::hmac_sha256_key& key) const noexcept {
    const detail::decimal ttl(ttl_ms.value_or(0)), ts(timestamp_ms);
    crypto::hmac_sha256 h(key);
    return detail::absorb_lines(h, {key_name, ttl_ms ? ttl.view() : std::string_view(), capability.value_or(std::string_view()),
                                    client_id.value_or(std::string_view()), ts.view(), nonce})
        .finish();
  }
  /// The mac: standard padded base64 of digest(key) (44 characters).
  [[nodiscard]] std::string mac(const crypto::hmac_sha256_key& key) const {
    const auto m = crypto::base64_encode_array<crypto::base64_alphabet::standard>(digest(key));
    return std::string(m.data(), m.size());
  }
};

namespace detail {
/// Completes a TokenRequest whose signed prefix `keyName\nttl\ncapability\n` is absorbed in
/// `prefix` and whose wire form's first members (`{"keyName":...,"ttl":...,"capability":"..."`)
/// are `wire_prefix` (a template's: `json`'s content is replaced by them and the rest) or, when
/// `wire_prefix` is empty, already in `json` (the signer writes them there): checks clientId
/// (unless `client_id_checked`), timestamp and nonce of `p`, hashes
/// `clientId\ntimestamp\nnonce\n` and writes the rest of the wire form. `text` (when not
/// nullptr) holds the signed prefix and gets the rest of the signed text appended, `mac_out`
/// the mac. `json` is sized once: a reused string of the same size is not cleared or filled.
[[nodiscard]] inline bool finish_token_request(const crypto::hmac_sha256& prefix, clock_ms_fn clock,
                                               std::int64_t server_offset_ms, const token_params& p, bool client_id_checked,
                                               std::string_view wire_prefix, std::string& json, std::string* text,
                                               std::string* mac_out, error& err) {
  if (p.client_id && !client_id_checked && !signed_field_ok("clientId", *p.client_id, max_client_id_bytes, 1, err))
    return false;
  std::uint64_t timestamp = 0;
  if (p.timestamp_ms) {
    timestamp = *p.timestamp_ms;
  } else {
    const std::int64_t now = clock() + server_offset_ms;
    timestamp = now < 0 ? 0 : static_cast<std::uint64_t>(now);
  }
  if (timestamp > max_timestamp_ms) {
    error e(errc::invalid_token_request, no_offset);
    return err = e.append("timestamp ").append_number(timestamp).append(" is above 2^53 - 1"), false;
  }
  crypto::nonce fresh;
  std::string_view nonce;
  if (p.nonce) {
    nonce = *p.nonce;
    if (!signed_field_ok("nonce", nonce, max_nonce_bytes, min_nonce_chars, err)) return false;
  } else {
    auto n = pooled_nonce();
    if (!n) return err = n.error(), false;
    fresh = *n;
    nonce = fresh.view();
  }
  const decimal ts_text(timestamp);
  const std::string_view client_id = p.client_id.value_or(std::string_view());
  crypto::hmac_sha256 h = prefix;
  const auto mac = crypto::base64_encode_array<crypto::base64_alphabet::standard>(
      absorb_lines(h, {client_id, ts_text.view(), nonce}).finish());
  const std::string_view mac_text(mac.data(), mac.size());
  if (text != nullptr) {
    append_signed_lines(*text, {client_id, ts_text.view(), nonce});
  }
  if (mac_out != nullptr) mac_out->assign(mac_text);
  // the rest of the wire form (rule 20), measured first and written in place
  const bool plain_nonce = !p.nonce || json_plain(nonce);  // (pooled nonces are hex)
  std::size_t size = sizeof(R"(,"timestamp":,"nonce":"","mac":""})") - 1 + ts_text.len +
                     (plain_nonce ? nonce.size() : json_string_size(nonce)) + mac_text.size();
  const bool plain_client_id = p.client_id && json_plain(client_id);  // (the usual case: one scan)
  if (p.client_id)
    size += sizeof(R"(,"clientId":)") - 1 + (plain_client_id ? client_id.size() + 2 : json_string_size(client_id));
  const std::size_t at = wire_prefix.empty() ? json.size() : wire_prefix.size();
  json.resize(at + size);
  if (!wire_prefix.empty()) std::memcpy(json.data(), wire_prefix.data(), at);
  char* o = json.data() + at;
  auto put = [&](std::string_view s) { o = std::copy(s.begin(), s.end(), o); };
  if (plain_client_id) put(R"(,"clientId":")"), put(client_id), *o++ = '"';
  else if (p.client_id) put(R"(,"clientId":)"), o = write_json_string(client_id, o);
  put(R"(,"timestamp":)"), put(ts_text.view());
  if (plain_nonce) put(R"(,"nonce":")"), put(nonce), *o++ = '"';
  else put(R"(,"nonce":)"), o = write_json_string(nonce, o);
  put(R"(,"mac":")"), put(mac_text), *o++ = '"';  // base64 needs no escape
  *o++ = '}';
  json.resize(static_cast<std::size_t>(o - json.data()));
  return true;
}
}  // namespace detail

/// A signer's key, ttl and capability fixed once for many TokenRequests (one role of an auth
/// server): the HMAC already absorbed over the signed text's prefix `keyName\nttl\ncapability\n`
/// and the wire form's first members already written, so that creating a request hashes only
/// `clientId\ntimestamp\nnonce\n` (1-2 SHA-256 blocks and the outer one instead of 7-8 for an
/// 8-entry capability). Made by token_request_signer::prepare; the requests are byte for byte
/// those the signer creates from the same parameters. Immutable and independent of the signer
/// (it keeps its clock and server offset): share freely between threads. It holds secret-derived
/// state (like the signer): keep it in the server.
class token_request_template {
 public:
  /// A new TokenRequest: wire form, signed text and mac. `p` gives clientId, timestamp and nonce
  /// only (the template fixes capability and ttl: giving one is an error).
  [[nodiscard]] result<token_request> create(const token_params& p) const {
    token_request out;
    error e;
    if (!build(p, out.json, &out.signed_text, &out.mac, e)) return e;
    return out;
  }
  /// Writes a new TokenRequest's wire form to `json` (replacing its content) and returns an
  /// error with code errc::ok, or the error. Allocates nothing once `json` has grown.
  [[nodiscard]] error create_json(const token_params& p, std::string& json) const {
    error e;
    (void)build(p, json, nullptr, nullptr, e);
    return e;
  }

 private:
  friend class token_request_signer;
  token_request_template(const crypto::hmac_sha256& prefix, clock_ms_fn clock, std::int64_t server_offset_ms)
      : prefix_(prefix), clock_(clock), offset_(server_offset_ms) {}

  [[nodiscard]] bool build(const token_params& p, std::string& json, std::string* text, std::string* mac_out,
                           error& err) const {
    if (p.capability || p.parsed_capability != nullptr || p.prepared != nullptr || p.ttl_ms) {
      err = error(errc::invalid_token_request, no_offset,
                  "this template fixes the capability and ttl; give only clientId, timestamp and nonce");
      return false;
    }
    if (text != nullptr) text->assign(signed_prefix_);
    return detail::finish_token_request(prefix_, clock_, offset_, p, false, wire_prefix_, json, text, mac_out, err);
  }

  crypto::hmac_sha256 prefix_;  // absorbed over signed_prefix_
  std::string wire_prefix_;     // {"keyName":...[,"ttl":...][,"capability":"..."]
  std::string signed_prefix_;   // keyName\nttl\ncapability\n
  clock_ms_fn clock_;
  std::int64_t offset_;
};

/// Options of a token_request_signer.
struct token_signer_options {
  bool revocable = false;                    // the key has revocable tokens: ttl at most 1 hour
  std::optional<capability> key_capability;  // when set, requests are intersected first (40160 early)
  clock_ms_fn clock = system_clock_ms;       // the local clock
  std::int64_t server_offset_ms = 0;         // server time - local time (like ably-js queryTime)
};


/// Creates signed TokenRequests with one key. Immutable after construction: safe to share
/// between threads. The HMAC key state (inner and outer pads) is computed once.
class token_request_signer {
 public:
  using options = token_signer_options;

  /// An empty signer (no key); make() builds real ones.
  token_request_signer() = default;

  /// A signer for an Ably API key (`appId.keyId:secret`, see api_key::parse).
  [[nodiscard]] static result<token_request_signer> make(const api_key& key, options opts = {}) {
    return make(key.name(), key.hmac(), std::move(opts));
  }
  /// A signer for any key name (e.g. the published vector's `a_key_name`) and the secret's UTF-8.
  [[nodiscard]] static result<token_request_signer> make(std::string_view key_name, std::string_view secret,
                                                         options opts = {}) {
    if (secret.empty()) return error(errc::invalid_key, no_offset, "invalid API key: empty secret");
    if (secret.find(':') != std::string_view::npos)
      return error(errc::invalid_key, no_offset, "invalid API key: the secret contains ':'");
    return make(key_name, crypto::hmac_sha256_key(secret), std::move(opts));
  }
  /// A signer from a key name and a prepared HMAC key.
  [[nodiscard]] static result<token_request_signer> make(std::string_view key_name, const crypto::hmac_sha256_key& hmac,
                                                         options opts = {}) {
    if (auto e = detail::check_signed_field("keyName", key_name, max_key_name_bytes); e.code() != errc::ok) return e;
    if (key_name.find(':') != std::string_view::npos)
      return error(errc::invalid_token_request, no_offset, "keyName contains ':'");
    token_request_signer s;
    s.key_name_.assign(key_name);
    std::vector<char> quoted;
    detail::write_json_string(key_name, quoted);
    s.key_name_json_.assign(quoted.begin(), quoted.end());
    s.hmac_ = hmac;
    s.opts_ = std::move(opts);
    if (s.opts_.clock == nullptr) s.opts_.clock = system_clock_ms;
    return s;
  }

  [[nodiscard]] std::string_view key_name() const noexcept { return key_name_; }

  /// A new TokenRequest: wire form, signed text and mac.
  [[nodiscard]] result<token_request> create(const token_params& p) const {
    token_request out;
    error e;
    if (!build(p, out.json, &out.signed_text, &out.mac, e)) return e;
    return out;
  }

  /// Writes a new TokenRequest's wire form to `json` (replacing its content) and returns an
  /// error with code errc::ok, or the error. The fast path: with a parsed capability it
  /// allocates nothing once `json` has grown (the canonical text goes through a per-thread buffer).
  [[nodiscard]] error create_json(const token_params& p, std::string& json) const {
    error e;
    (void)build(p, json, nullptr, nullptr, e);
    return e;
  }

  /// A template for many TokenRequests with the capability and ttl of `p` (checked here, once;
  /// clientId, timestamp and nonce must be absent: they are given to each create).
  [[nodiscard]] result<token_request_template> prepare(const token_params& p) const {
    if (p.client_id || p.timestamp_ms || p.nonce)
      return error(errc::invalid_token_request, no_offset,
                   "a template fixes only the capability and ttl; give clientId, timestamp and nonce to each create");
    token_request_template t(crypto::hmac_sha256(hmac_), opts_.clock, opts_.server_offset_ms);
    error e;
    if (!build_prefix(p, true, t.prefix_, t.wire_prefix_, &t.signed_prefix_, e)) return e;
    return t;
  }

 private:
  /// Writes `cap_text` (the canonical text of `cap`) with '"' and '\\' escaped, as it goes
  /// inside a JSON string. Written from the entries when no resource needs escaping (operation
  /// names never do): the per-byte escape was most of the creation time.
  static char* write_escaped_capability(const capability* cap, std::string_view cap_text, char* o) noexcept {
    auto put = [&](std::string_view s) { o = std::copy(s.begin(), s.end(), o); };
    bool plain = true;
    for (std::size_t i = 0; plain && i < cap->size(); ++i) plain = detail::json_plain(cap->resource(i));
    if (!plain) return detail::write_capability_in_string(cap_text, o);
    *o++ = '{';
    for (std::size_t i = 0; i < cap->size(); ++i) {
      if (i != 0) *o++ = ',';
      put(R"(\")"), put(cap->resource(i)), put(R"(\":[)");
      bool first = true;
      cap->ops(i).for_each_name([&](std::string_view n) {
        if (!first) *o++ = ',';
        first = false;
        put(R"(\")"), put(n), put(R"(\")");
      });
      *o++ = ']';
    }
    *o++ = '}';
    return o;
  }

  /// Writes the wire form's first members of `p` (keyName, ttl, capability) to `json`, absorbs
  /// the signed prefix `keyName\nttl\ncapability\n` into `h` and (when not nullptr) writes it to
  /// `signed_prefix`, after checking the capability (and, with `check_client_id`, clientId) and ttl.
  [[nodiscard]] bool build_prefix(const token_params& p, bool check_client_id, crypto::hmac_sha256& h, std::string& json,
                                   std::string* signed_prefix, error& err) const {
    // capability: validated, canonical, optionally checked against the key's
    thread_local std::vector<char> canonical;
    canonical.clear();
    const bool has_cap = p.capability.has_value() || p.parsed_capability != nullptr || p.prepared != nullptr;
    if (p.capability.has_value() && p.parsed_capability != nullptr)
      return err = error(errc::invalid_token_request, no_offset, "give either capability text or a parsed capability, not both"), false;
    if (p.prepared != nullptr && (p.capability.has_value() || p.parsed_capability != nullptr))
      return err = error(errc::invalid_token_request, no_offset,
                         "give one of capability text, a parsed capability or a prepared capability, not several"),
             false;
    std::optional<capability> parsed;
    const capability* cap = p.prepared != nullptr ? &p.prepared->get() : p.parsed_capability;
    if (has_cap) {
      if (cap == nullptr) {
        auto r = capability::parse(*p.capability);
        if (!r) return err = r.error(), false;
        parsed.emplace(std::move(*r));
        cap = &*parsed;
      }
      if (opts_.key_capability) {
        auto eff = intersect(*opts_.key_capability, *cap);
        if (!eff) return err = eff.error(), false;
      }
      if (p.prepared == nullptr) cap->write_json(canonical);
    }
    const std::string_view cap_text =
        p.prepared != nullptr ? p.prepared->canonical() : std::string_view(canonical.data(), canonical.size());
    if (p.client_id && check_client_id && !detail::signed_field_ok("clientId", *p.client_id, max_client_id_bytes, 1, err))
      return false;
    if (p.ttl_ms)
      if (auto e = detail::check_ttl(*p.ttl_ms, opts_.revocable); e.code() != errc::ok) return err = e, false;
    const detail::decimal ttl_text(p.ttl_ms.value_or(0));
    const std::string_view ttl = p.ttl_ms ? ttl_text.view() : std::string_view();
    detail::absorb_lines(h, {key_name_, ttl, cap_text});
    if (signed_prefix != nullptr) {
      signed_prefix->clear();
      detail::append_signed_lines(*signed_prefix, {key_name_, ttl, cap_text});
    }
    // The wire form's first members (rule 20), measured first and written in place. The
    // capability goes in as a JSON string. Canonical text holds no raw control character (they
    // are written as escapes), so only '"' and '\\' need a backslash: at most double size.
    std::size_t size = sizeof(R"({"keyName":)") - 1 + key_name_json_.size();
    if (p.ttl_ms) size += sizeof(R"(,"ttl":)") - 1 + ttl.size();
    if (has_cap) size += sizeof(R"(,"capability":"")") - 1 + 2 * cap_text.size();
    json.resize(size);
    char* o = json.data();
    auto put = [&](std::string_view s) { o = std::copy(s.begin(), s.end(), o); };
    put(R"({"keyName":)"), put(key_name_json_);
    if (p.ttl_ms) put(R"(,"ttl":)"), put(ttl);
    if (has_cap) {
      put(R"(,"capability":")");
      if (p.prepared != nullptr) put(p.prepared->in_string());
      else o = write_escaped_capability(cap, cap_text, o);
      *o++ = '"';
    }
    json.resize(static_cast<std::size_t>(o - json.data()));
    return true;
  }

  [[nodiscard]] bool build(const token_params& p, std::string& json, std::string* text, std::string* mac_out,
                           error& err) const {
    crypto::hmac_sha256 h(hmac_);
    return build_prefix(p, true, h, json, text, err) &&
           detail::finish_token_request(h, opts_.clock, opts_.server_offset_ms, p, true, {}, json, text, mac_out, err);
  }

  std::string key_name_;
  std::string key_name_json_;  // key_name_ as a JSON string, written once
  crypto::hmac_sha256_key hmac_;
  options opts_;
};

/// A key the verifier knows: its name, HMAC key state, capability and whether its tokens are
/// revocable (ttl at most 1 hour). Holds no copy of the secret. Immutable: what verification
/// needs of the key alone is computed once here (the effective capability of a request without
/// a capability, and the key's fingerprint for a capability_cache).
class token_key {
 public:
  /// The key `name` with secret state `hmac`, capability `key_capability`, revocable or not.
  token_key(std::string name, const crypto::hmac_sha256_key& hmac, capability key_capability, bool revocable = false)
      : name_(std::move(name)),
        hmac_(hmac),
        capability_(std::move(key_capability)),
        revocable_(revocable),
        own_(intersect(capability_)),
        fingerprint_(key_fingerprint::of(name_, &capability_, &hmac_)) {}

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] const crypto::hmac_sha256_key& hmac() const noexcept { return hmac_; }
  [[nodiscard]] const capability& key_capability() const noexcept { return capability_; }
  /// True when the key's tokens are revocable (ttl at most 1 hour).
  [[nodiscard]] bool revocable() const noexcept { return revocable_; }
  /// intersect(key_capability()): the effective capability of a request without a capability
  /// (docs/semantics.md §14), or its error (40160 for a key that grants nothing).
  [[nodiscard]] const result<capability>& own_capability() const noexcept { return own_; }
  /// The key's identity in a capability_cache (name, capability and secret).
  [[nodiscard]] const key_fingerprint& fingerprint() const noexcept { return fingerprint_; }

 private:
  std::string name_;
  crypto::hmac_sha256_key hmac_;
  capability capability_;
  bool revocable_ = false;
  result<capability> own_;
  key_fingerprint fingerprint_;
};

/// Where the verifier looks keys up by keyName (a database, a config file, ...).
class key_store {
 public:
  virtual ~key_store() = default;
  /// The key named `key_name`, or nullptr. The pointer must stay valid while the verifier runs.
  [[nodiscard]] virtual const token_key* find(std::string_view key_name) const noexcept = 0;
};

/// A key_store over a fixed list of keys (linear search: for a handful of keys).
class key_list final : public key_store {
 public:
  /// Adds `key` (a later key with the same name is never found).
  void add(token_key key) { keys_.push_back(std::move(key)); }
  /// Adds an API key (`appId.keyId:secret`) with its capability.
  void add(const api_key& key, capability cap, bool revocable = false) {
    keys_.push_back(token_key{std::string(key.name()), key.hmac(), std::move(cap), revocable});
  }
  [[nodiscard]] const token_key* find(std::string_view key_name) const noexcept override {
    for (const auto& k : keys_)
      if (k.name() == key_name) return &k;
    return nullptr;
  }

 private:
  std::vector<token_key> keys_;
};

/// A TokenRequest that passed every check, with the effective capability (key ∩ requested).
struct verified_token_request {
  std::string key_name;
  std::optional<std::uint64_t> ttl_ms;
  std::optional<std::string> capability;  // as requested (canonical text), absent when not given
  std::optional<std::string> client_id;
  std::uint64_t timestamp_ms = 0;
  std::string nonce;
  class capability effective;  // the token's capability (docs/semantics.md §4)
};

/// Options of a token_request_verifier.
struct token_verifier_options {
  std::int64_t window_ms = token_request_window_ms;  // allowed clock difference, each way
  std::size_t max_bytes = max_token_request_bytes;    // largest wire form read
  /// Optional, shared: remembers verified (key, capability text) results (capability_cache.hpp).
  capability_cache* cache = nullptr;
};


/// Verifies TokenRequests as Ably does (rule 22), in this order: the wire form (40000), the key
/// (40101), the mac (40101, constant time), the timestamp (40104), the nonce (40105, claimed in
/// the replay guard), the ttl (40003), the capability (40000 malformed, 40160 empty intersection).
/// Thread-safe when the key store and the replay guard are.
class token_request_verifier {
 public:
  using options = token_verifier_options;

  token_request_verifier(const key_store& keys, replay_guard& guard, clock_ms_fn clock = system_clock_ms)
      : keys_(&keys), guard_(&guard), clock_(clock == nullptr ? system_clock_ms : clock) {}
  token_request_verifier(const key_store& keys, replay_guard& guard, options opts, clock_ms_fn clock = system_clock_ms)
      : keys_(&keys), guard_(&guard), clock_(clock == nullptr ? system_clock_ms : clock), opts_(opts) {}

  /// Verifies the wire form `json` at the verifier's clock.
  [[nodiscard]] result<verified_token_request> verify(std::string_view json) const { return verify(json, clock_()); }

  /// Verifies the wire form `json` at time `now_ms`.
  [[nodiscard]] result<verified_token_request> verify(std::string_view json, std::int64_t now_ms) const {
    verified_token_request out;
    if (error e = verify_into(json, now_ms, out); e.code() != errc::ok) return e;
    return out;
  }

  /// verify() into `out`, which is reused (its strings and capability keep their buffers): for a
  /// server that verifies many requests with one result object per thread. Once `out` has grown,
  /// a request without a capability or with a capability_cache hit allocates nothing. Returns an
  /// error with code errc::ok and `out` set, or the error (`out` then holds no verified request:
  /// read it only after errc::ok).
  [[nodiscard]] error verify_into(std::string_view json, verified_token_request& out) const {
    return verify_into(json, clock_(), out);
  }
  /// verify_into() at time `now_ms`.
  [[nodiscard]] error verify_into(std::string_view json, std::int64_t now_ms, verified_token_request& out) const {
    error e = verify_impl(json, now_ms, out);
    if (e.code() != errc::ok) out = verified_token_request{};  // (nothing of a refused request is left to read)
    return e;
  }

 private:
  [[nodiscard]] error verify_impl(std::string_view json, std::int64_t now_ms, verified_token_request& out) const {
    detail::token_request_wire f;
    // (this thread's last capability body: the same body again is not scanned or hashed again)
    thread_local detail::capability_memo memo;
    thread_local std::uint64_t memo_hash = 0, memo_hash_generation = 0;  // (text_hash of memo.body)
    if (auto e = detail::read_token_request(json, opts_.max_bytes, f, &memo)) return *e;
    // (the guard may start loading what the claim reads: it overlaps the mac check)
    const replay_guard::prepared_claim claim = guard_->prepare(f.key_name, f.nonce);
    const token_key* key = keys_->find(f.key_name);
    if (key == nullptr) {
      error e(errc::unknown_key, no_offset);
      return e.append("no key named ").append_quoted(f.key_name).append(" is known; the mac cannot be checked");
    }
    // mac: over the fields exactly as received. With a cache, a hit for (key, capability text)
    // may hold the HMAC already absorbed over the signed prefix `keyName\nttl\ncapability\n`
    // (stored only after a mac over exactly that prefix, under this key, was verified); only
    // `clientId\ntimestamp\nnonce\n` is hashed then. Every received byte is still covered:
    // the prefix is matched byte for byte (key fingerprint, tag = keyName\nttl, capability text).
    //
    // The capability may have been read as written inside its JSON string (read_token_request: only
    // \" \\ \/ escapes, not decoded); the mac covers its decoded text, made only when needed
    // (no hit with a prefix). The cache is then keyed by the escaped text (text_form::
    // json_escaped): decoding is a function, so equal escaped texts have equal decoded texts
    // and an entry's prefix, stored after a mac over keyName\nttl\n<decoded>\n verified, is
    // the state for every request with the same key, tag and escaped text.
    thread_local std::string decoded_capability;
    bool decoded = false;
    auto signed_capability = [&]() -> std::string_view {
      if (!f.capability_escaped) return f.capability;
      if (!decoded) detail::decode_simple_escaped(f.capability, decoded_capability), decoded = true;
      return decoded_capability;
    };
    const auto form = f.capability_escaped ? capability_cache::text_form::json_escaped
                                           : capability_cache::text_form::decoded;
    auto expected = crypto::base64_decode_digest(f.mac, crypto::base64_alphabet::standard);
    if (!expected)
      return error(errc::mac_mismatch, no_offset,
                   "mac is not the padded standard base64 of 32 bytes (an HMAC-SHA256); Request mac does not match");
    // (parse_decimal accepts no sign, fraction, exponent or leading zero: the digits as received
    // are the decimal text of the value, which is what is signed)
    const std::string_view ttl = f.has_ttl ? f.ttl_text : std::string_view(), ts_text = f.timestamp_text;
    capability_cache* const cache = f.has_capability ? opts_.cache : nullptr;
    // a hit is copied straight into `out` (reused buffers); only a verified request keeps it
    if (f.has_capability && !out.capability) out.capability.emplace();
    bool cached = false, hit_prefix = false;
    // The HMAC: the key's state, then (with a cache) absorbed over the signed prefix or replaced
    // by a hit's state over it, and kept so to be stored with the result. One object, no
    // std::optional (gcc clears an empty optional's storage: a 160-byte block clear each).
    crypto::hmac_sha256 h(key->hmac());
    crypto::sha256_digest digest;
    // the cache entry's prefix tag: keyName\nttl (a key name has at most max_key_name_bytes)
    char tag_buf[max_key_name_bytes + 1 + 20];
    std::string_view tag;
    std::uint64_t text_hash = 0;
    if (cache != nullptr) {
      char* t = std::copy(f.key_name.begin(), f.key_name.end(), tag_buf);
      *t++ = '\n';
      t = std::copy(ttl.begin(), ttl.end(), t);
      tag = std::string_view(tag_buf, static_cast<std::size_t>(t - tag_buf));
      if (!f.capability_memoised) {
        text_hash = capability_cache::text_hash(f.capability);
      } else {
        if (memo_hash_generation != memo.generation)
          memo_hash = capability_cache::text_hash(memo.body), memo_hash_generation = memo.generation;
        text_hash = memo_hash;
      }
      const auto found = cache->find(key->fingerprint(), f.capability, text_hash, tag, *out.capability, out.effective, h, form);
      cached = found != capability_cache::lookup::miss;
      hit_prefix = found == capability_cache::lookup::hit_with_prefix;
      if (hit_prefix) {
        digest = detail::absorb_lines(h, {f.client_id, ts_text, f.nonce}).finish();
      } else {
        detail::absorb_lines(h, {f.key_name, ttl, signed_capability()});
        crypto::hmac_sha256 rest = h;
        digest = detail::absorb_lines(rest, {f.client_id, ts_text, f.nonce}).finish();
      }
    } else {
      digest = detail::absorb_lines(h, {f.key_name, ttl, signed_capability(), f.client_id, ts_text, f.nonce}).finish();
    }
    if (!crypto::equal_constant_time(digest, *expected))
      return error(errc::mac_mismatch, no_offset,
                   "Request mac does not match: the mac is not the HMAC-SHA256 of the signed text under this key");
    // timestamp
    const auto ts = static_cast<std::int64_t>(f.timestamp);
    const std::int64_t skew = ts > now_ms ? ts - now_ms : now_ms - ts;
    if (skew > opts_.window_ms) {
      error e(errc::timestamp_not_current, no_offset);
      e.append("Timestamp not current: timestamp ").append_number(f.timestamp).append(" is ").append_number(
          static_cast<std::uint64_t>(skew));
      e.append(" ms ").append(ts > now_ms ? "ahead of" : "behind").append(" the verifier's clock; at most ");
      return e.append_number(static_cast<std::uint64_t>(opts_.window_ms)).append(" ms allowed");
    }
    // nonce: single use until the timestamp leaves the window
    switch (guard_->claim_prepared(claim, f.key_name, f.nonce, ts + opts_.window_ms, now_ms)) {
      case claim_status::fresh: break;
      case claim_status::replayed:
        return error(errc::nonce_replayed, no_offset,
                     "Nonce value replayed: this keyName and nonce were already used; create a new TokenRequest for "
                     "every token (never cache one)");
      case claim_status::full:
        return error(errc::replay_guard_full, no_offset,
                     "the replay guard is full of unexpired nonces; refused rather than risk a replay (raise its capacity)");
      case claim_status::unavailable:
        return error(errc::store_unavailable, no_offset,
                     "the replay guard's store did not answer; refused rather than risk a replay");
    }
    // ttl
    if (f.has_ttl)
      if (!detail::ttl_allowed(f.ttl, key->revocable())) return detail::check_ttl(f.ttl, key->revocable());
    // capability: from the cache on a hit (already in `out`); absent: the key's own, computed
    // once per key.
    if (!f.has_capability) {
      if (!key->own_capability()) return key->own_capability().error();
      out.effective = *key->own_capability();
      out.capability.reset();
    } else if (cached) {
      if (!hit_prefix)  // (the entry's prefix was for another keyName or ttl: now for this one)
        cache->insert(key->fingerprint(), f.capability, text_hash, *out.capability, out.effective, tag, &h, form);
    } else {
      auto req = capability::parse(signed_capability());
      if (!req) {
        error e(req.error().code(), no_offset);
        return e.append("capability: ").append(req.error().message());
      }
      if (auto same = detail::intersect_identity(key->key_capability(), *req)) {
        out.effective = std::move(*same);
      } else {
        auto eff = intersect(key->key_capability(), *req);
        if (!eff) return eff.error();
        out.effective = std::move(*eff);
      }
      out.capability = req->to_json();
      if (cache != nullptr)
        cache->insert(key->fingerprint(), f.capability, text_hash, *out.capability, out.effective, tag, &h, form);
    }
    out.key_name.assign(f.key_name);
    out.ttl_ms = f.has_ttl ? std::optional<std::uint64_t>(f.ttl) : std::nullopt;
    if (!f.has_client_id) out.client_id.reset();
    else if (out.client_id) out.client_id->assign(f.client_id);
    else out.client_id.emplace(f.client_id);
    out.timestamp_ms = f.timestamp;
    out.nonce.assign(f.nonce);
    return {};
  }

  const key_store* keys_;
  replay_guard* guard_;
  clock_ms_fn clock_;
  options opts_{};
};

CAPMATCH_NAMESPACE_END

#undef CAPMATCH_NONCE_POOL
