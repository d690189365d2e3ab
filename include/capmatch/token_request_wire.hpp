// capmatch — the wire form of a TokenRequest (docs/semantics.md §5, rules 19-22): its limits,
// the rule every signed text field obeys, and the verifier's reading of the JSON object.
// See docs/token_requests.md "Verifying".
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "detail/json.hpp"
#include "detail/json_object.hpp"
#include "detail/utf8.hpp"
#include "error.hpp"
#include "version.hpp"

CAPMATCH_NAMESPACE_BEGIN

/// Longest ttl Ably grants: 24 hours, in milliseconds (40003 above it).
inline constexpr std::uint64_t max_token_ttl_ms = 24ull * 60 * 60 * 1000;
/// Longest ttl for a key with revocable tokens: 1 hour, in milliseconds (40003 above it).
inline constexpr std::uint64_t max_revocable_token_ttl_ms = 60ull * 60 * 1000;
/// How far a TokenRequest's timestamp may be from the verifier's clock: 2 minutes (40104 beyond).
inline constexpr std::int64_t token_request_window_ms = 2 * 60 * 1000;
/// Fewest characters in a nonce (rule 21).
inline constexpr std::size_t min_nonce_chars = 16;
/// Most bytes in a nonce, a clientId or a key name (longer ones are errors, 40000).
inline constexpr std::size_t max_nonce_bytes = 256;
inline constexpr std::size_t max_client_id_bytes = 4096;
inline constexpr std::size_t max_key_name_bytes = 256;
/// Largest TokenRequest wire form the verifier reads by default, in bytes.
inline constexpr std::size_t max_token_request_bytes = 64u << 10;
/// Largest timestamp accepted (2^53 - 1, the largest integer a JSON client keeps exactly).
inline constexpr std::uint64_t max_timestamp_ms = (1ull << 53) - 1;

namespace detail {

/// Checks a text field that goes into the signed text: well-formed UTF-8 without control
/// characters (a newline would make the text ambiguous), 1..max bytes.
[[nodiscard]] constexpr error check_signed_field(std::string_view what, std::string_view v, std::size_t max,
                                                 std::size_t min_chars = 1) noexcept {
  if (v.empty()) {
    error e(errc::invalid_token_request, no_offset);
    return e.append(what).append(" is empty");
  }
  if (v.size() > max) {
    error e(errc::invalid_token_request, no_offset);
    return e.append(what).append(" has ").append_number(v.size()).append(" bytes; at most ").append_number(max)
        .append(" allowed");
  }
  // Printable ASCII (the usual key name, nonce and clientId) needs no UTF-8 decoding.
  std::size_t ascii = 0;
  while (ascii < v.size() && static_cast<unsigned char>(v[ascii]) >= 0x20 && static_cast<unsigned char>(v[ascii]) < 0x7F)
    ++ascii;
  if (ascii == v.size() && v.size() >= min_chars) return {};
  std::size_t chars = 0;
  for (std::size_t i = 0; i < v.size(); ++chars) {
    const auto c = static_cast<unsigned char>(v[i]);
    if (c < 0x20 || c == 0x7F) {
      error e(errc::invalid_token_request, no_offset);
      e.append(what).append(" contains a control character at byte ").append_number(i);
      return e.append(" (it would make the signed text ambiguous)");
    }
    const std::size_t len = utf8_length(v, i);
    if (len == 0) {
      error e(errc::invalid_token_request, no_offset);
      return e.append(what).append(" is not valid UTF-8 at byte ").append_number(i);
    }
    i += len;
  }
  if (chars < min_chars) {
    error e(errc::invalid_token_request, no_offset);
    return e.append(what).append(" has ").append_number(chars).append(" characters; at least ")
        .append_number(min_chars).append(" required");
  }
  return {};
}

/// The usual case of check_signed_field: printable ASCII of an allowed size (then the field is
/// allowed; when false, check_signed_field decides).
[[nodiscard]] constexpr bool signed_field_printable(std::string_view v, std::size_t max, std::size_t min_chars) noexcept {
  if (v.empty() || v.size() > max || v.size() < min_chars) return false;
  for (std::size_t i = printable_ascii_end(v, 0); i < v.size(); i = printable_ascii_end(v, i + 1))
    if (v[i] != '"' && v[i] != '\\') return false;  // (the scan also stops at these two printable ones)
  return true;
}

/// check_signed_field(what, v, max, min_chars) without building an error in the usual case
/// (printable ASCII of an allowed size): true when `v` is allowed, else false with `err` set.
[[nodiscard]] constexpr bool signed_field_ok(std::string_view what, std::string_view v, std::size_t max,
                                             std::size_t min_chars, error& err) noexcept {
  if (signed_field_printable(v, max, min_chars)) return true;
  err = check_signed_field(what, v, max, min_chars);
  return err.code() == errc::ok;
}

/// The members of a TokenRequest's wire form as the verifier reads them: views into the JSON
/// text (or into a reader's pool when a string had escapes). The integers and flags have no
/// default value: every reader sets every member when it reads a request (the general reader
/// starts with `f = {}`), and gcc clears a struct this large whose members all have one with a
/// `rep stos` (~20 % of the verifier's own time, once per request); the views' clear stays
/// 14 plain stores. Write `token_request_wire f{}` for one with every member zero.
struct token_request_wire {
  std::string_view key_name, capability, client_id, nonce, mac;
  std::string_view ttl_text, timestamp_text;  // the digits as received
  std::uint64_t ttl, timestamp;
  bool has_ttl, has_capability, has_client_id;
  bool capability_escaped;  // `capability` is as written in its JSON string (\" \\ \/ not decoded)
  /// `capability` is the body of the caller's capability_memo (read_token_request): it was
  /// recognised as the memo's body (not scanned again) or just stored there.
  bool capability_memoised;

  friend constexpr bool operator==(const token_request_wire&, const token_request_wire&) = default;
};

/// Reads the wire form strictly through the general JSON object reader: a flat object with only
/// the seven known members, each of its type (ttl and timestamp also as decimal strings),
/// required ones present. This reader is the definition: it accepts exactly the wire forms the
/// verifier accepts and names the first problem. Returns false with `err` set on the first
/// problem (no error object is built otherwise).
[[nodiscard]] inline bool read_token_request_general(std::string_view json, std::size_t max_bytes, json_object& obj,
                                                     token_request_wire& f, error& err) {
  f = {};
  auto bad = [&err](std::string_view field, std::string_view what, std::uint32_t at) {
    err = error(errc::invalid_token_request, at);
    err.append("TokenRequest ").append(field).append(' ').append(what);
    if (at != no_offset) err.append_at();
    return false;
  };
  if (json.size() > max_bytes) {
    err = error(errc::invalid_token_request, no_offset);
    err.append("TokenRequest of ").append_number(json.size()).append(" bytes; at most ")
        .append_number(max_bytes).append(" allowed");
    return false;
  }
  // Flat (max_depth 0): a nested value is an error naming its member. At most 32 members:
  // seven are known, and the duplicate check is quadratic on unauthenticated input.
  // The capability string is kept as written when its only escapes are \" \\ \/ (ASCII; the
  // usual form): verify decodes it only when the cache cannot answer for it.
  if (auto e = obj.read(json, json_object_limits{max_bytes, 32, 0, "capability"}); e.code() != errc::ok) {
    err = error(errc::invalid_token_request, e.offset());
    err.append("TokenRequest is not a flat JSON object: ").append(e.message());
    return false;
  }
  bool has_key = false, has_ts = false, has_nonce = false, has_mac = false;
  for (std::size_t i = 0; i < obj.size(); ++i) {
    const json_object::member& m = obj.at(i);
    const std::string_view name = obj.key(i);
    const std::string_view value = m.kind == json_type::string ? obj.string_value(i) : obj.raw(i);
    const std::uint32_t at = m.raw_offset;
    auto want_string = [&](std::string_view& into, bool& seen, std::size_t max, std::size_t min_chars) {
      if (m.kind != json_type::string) return bad(name, "must be a string", at);
      if (!signed_field_ok(name, value, max, min_chars, err)) {
        error w(err.code(), at);
        err = w.append("TokenRequest ").append(err.message()).append_at();
        return false;
      }
      into = value;
      seen = true;
      return true;
    };
    auto want_integer = [&](std::uint64_t& into, std::string_view& text, bool& seen, std::uint64_t max) {
      if (m.kind != json_type::number && m.kind != json_type::string)
        return bad(name, "must be a number", at);
      if (!parse_decimal(value, max, into)) {
        err = error(name == "ttl" ? errc::invalid_ttl : errc::invalid_token_request, at);
        err.append("TokenRequest ").append(name).append(" must be a non-negative integer of milliseconds");
        err.append(" (decimal, no sign, fraction, exponent or leading zero, at most 2^53 - 1)").append_at();
        return false;
      }
      text = value;
      seen = true;
      return true;
    };
    bool ok = true;
    if (name == "keyName") ok = want_string(f.key_name, has_key, max_key_name_bytes, 1);
    else if (name == "ttl") ok = want_integer(f.ttl, f.ttl_text, f.has_ttl, max_timestamp_ms);
    else if (name == "capability") {
      if (m.kind != json_type::string) ok = bad("capability", "must be a string holding capability JSON", at);
      else if (value.empty()) ok = bad("capability", "is an empty string; omit it for the key's capability", at);
      else f.capability = value, f.has_capability = true, f.capability_escaped = m.value_escaped;
    } else if (name == "clientId") ok = want_string(f.client_id, f.has_client_id, max_client_id_bytes, 1);
    else if (name == "timestamp") ok = want_integer(f.timestamp, f.timestamp_text, has_ts, max_timestamp_ms);
    else if (name == "nonce") ok = want_string(f.nonce, has_nonce, max_nonce_bytes, min_nonce_chars);
    else if (name == "mac") {
      if (m.kind != json_type::string) ok = bad("mac", "must be a string", at);
      else f.mac = value, has_mac = true;
    } else {
      err = error(errc::invalid_token_request, m.key_at);
      err.append("TokenRequest has an unknown member ").append_quoted(name).append_at();
      err.append("; expected keyName, ttl, capability, clientId, timestamp, nonce, mac");
      ok = false;
    }
    if (!ok) return false;
  }
  auto missing = [&err](std::string_view field) {
    err = error(errc::invalid_token_request, no_offset);
    err.append("TokenRequest has no ").append(field);
    return false;
  };
  if (!has_key) return missing("keyName");
  if (!has_ts) return missing("timestamp");
  if (!has_nonce) return missing("nonce");
  if (!has_mac) return missing("mac");
  return true;
}

// (the one-pass reader's small steps are inlined: called once per member, out of line they
// cost a call each)
#if defined(__GNUC__) || defined(__clang__)
#define CAPMATCH_DETAIL_LAMBDA_INLINE __attribute__((always_inline))
#else
#define CAPMATCH_DETAIL_LAMBDA_INLINE
#endif

/// True when `s` holds the N - 1 bytes of `lit` at `i` (i <= s.size()).
template <std::size_t N>
[[nodiscard]] constexpr bool text_at(std::string_view s, std::size_t i, const char (&lit)[N]) noexcept {
  if (s.size() - i < N - 1) return false;
  if (std::is_constant_evaluated()) return s.substr(i, N - 1) == std::string_view(lit, N - 1);
  return std::memcmp(s.data() + i, lit, N - 1) == 0;
}

/// The usual wire form read in one pass, with no member list: an object of known, distinct
/// member names written without escapes, whose strings are printable ASCII without escapes
/// (the capability: ASCII with only \" \\ \/ escapes, kept as written), integers as digits or
/// digit strings, every value allowed, required members present. Returns true with `f` set
/// exactly as read_token_request_general sets it; false when the text is not in that form (it
/// may still be valid: the general reader decides, and names any error; `f` is then
/// unspecified). Accepts only what the
/// general reader accepts (tests/test_token_request_wire.cpp checks both on hostile input).
/// The caller checks the size limit first.
///
/// `seen_capability`, when not empty, is a capability body this reader accepted before (as
/// written, from `f.capability` with `f.capability_escaped`): when the capability's string is
/// exactly those bytes followed by '"', it ends there without being scanned again (the scan
/// reads only those bytes to decide, so it would end there too) and `f.capability_memoised` is
/// set. Passing any other text is a precondition violation.
[[nodiscard]] constexpr bool read_token_request_usual(std::string_view json, token_request_wire& f,
                                                      std::string_view seen_capability = {}) noexcept {
  enum : unsigned { key_bit = 1, ttl_bit = 2, cap_bit = 4, client_bit = 8, ts_bit = 16, nonce_bit = 32, mac_bit = 64 };
  // (no `f = {}`: every member is set below, the absent ones at the end; a block clear of the
  // whole struct cost more than the read of a member)
  f.has_ttl = f.has_capability = f.has_client_id = f.capability_escaped = f.capability_memoised = false;
  const std::size_t n = json.size();
  std::size_t i = 0;
  auto sub = [&](std::size_t from, std::size_t to) { return std::string_view(json.data() + from, to - from); };
  auto ws = [&] {
    while (i < n && (json[i] == ' ' || json[i] == '\n' || json[i] == '\r' || json[i] == '\t')) ++i;
  };
  // The byte `c`, after whitespace if any (looked for only when `c` is not next: clients
  // write none).
  auto expect = [&](char c) CAPMATCH_DETAIL_LAMBDA_INLINE {
    if (i >= n || json[i] != c) {
      ws();
      if (i >= n || json[i] != c) return false;
    }
    ++i;
    return true;
  };
  // A string of printable ASCII without escapes: its body, of min..max bytes.
  auto printable_string = [&](std::string_view& into, std::size_t max, std::size_t min) CAPMATCH_DETAIL_LAMBDA_INLINE {
    if (i >= n || json[i] != '"') return false;
    const std::size_t end = printable_ascii_end(json, i + 1);
    if (end >= n || json[end] != '"') return false;
    into = sub(i + 1, end);
    i = end + 1;
    return into.size() >= min && into.size() <= max;  // (every caller's min is at least 1)
  };
  // An integer as digits or as a decimal string, read by parse_decimal (the rule: no sign,
  // fraction, exponent or leading zero, at most 2^53 - 1).
  auto integer = [&](std::string_view& text, std::uint64_t& into) CAPMATCH_DETAIL_LAMBDA_INLINE {
    if (i < n && json[i] == '"') {
      if (!printable_string(text, 20, 1)) return false;
    } else {
      const std::size_t start = i;
      while (i < n && static_cast<unsigned char>(json[i] - '0') <= 9) ++i;
      text = sub(start, i);  // (what follows must be whitespace, ',' or '}')
    }
    return parse_decimal(text, max_timestamp_ms, into);
  };
  if (!expect('{')) return false;
  unsigned seen = 0;
  for (;;) {
    if (!expect('"')) return false;
    // the member's name with its closing quote, one compare: a name with an escape, or any
    // other name, is not the usual form
    unsigned bit = 0;
    const char c = i < n ? json[i] : '\0';
    if (c == 'k' && text_at(json, i, "keyName\"")) bit = key_bit, i += 8;
    else if (c == 't' && text_at(json, i, "ttl\"")) bit = ttl_bit, i += 4;
    else if (c == 't' && text_at(json, i, "timestamp\"")) bit = ts_bit, i += 10;
    else if (c == 'c' && text_at(json, i, "capability\"")) bit = cap_bit, i += 11;
    else if (c == 'c' && text_at(json, i, "clientId\"")) bit = client_bit, i += 9;
    else if (c == 'n' && text_at(json, i, "nonce\"")) bit = nonce_bit, i += 6;
    else if (c == 'm' && text_at(json, i, "mac\"")) bit = mac_bit, i += 4;
    else return false;
    if ((seen & bit) != 0) return false;
    seen |= bit;
    if (!expect(':')) return false;
    if (i < n && static_cast<unsigned char>(json[i]) <= ' ') ws();
    bool ok = false;
    switch (bit) {
      case key_bit: ok = printable_string(f.key_name, max_key_name_bytes, 1); break;
      case ttl_bit: f.has_ttl = true, ok = integer(f.ttl_text, f.ttl); break;
      case ts_bit: ok = integer(f.timestamp_text, f.timestamp); break;
      case client_bit: f.has_client_id = true, ok = printable_string(f.client_id, max_client_id_bytes, 1); break;
      case nonce_bit: ok = printable_string(f.nonce, max_nonce_bytes, min_nonce_chars); break;
      case mac_bit: ok = printable_string(f.mac, max_token_request_bytes, 1); break;
      case cap_bit:
        if (i < n && json[i] == '"') {
          f.has_capability = true, f.capability_escaped = true;
          const std::size_t body = i + 1, m = seen_capability.size();
          std::size_t end;
          if (m != 0 && n - body > m && json[body + m] == '"' && json.substr(body, m) == seen_capability)
            end = body + m, f.capability_memoised = true;
          else
            end = simple_escaped_end(json, body);
          ok = end != std::string_view::npos && end > i + 1;  // (an empty capability is an error)
          if (ok) f.capability = sub(i + 1, end), i = end + 1;
        }
        break;
      default: break;
    }
    if (!ok) return false;
    if (expect(',')) continue;
    if (i >= n || json[i] != '}') return false;  // (expect(',') skipped any whitespace)
    ++i;
    break;
  }
  ws();
  constexpr unsigned required = key_bit | ts_bit | nonce_bit | mac_bit;
  if (i != n || (seen & required) != required) return false;
  if ((seen & ttl_bit) == 0) f.ttl_text = {}, f.ttl = 0;
  if ((seen & cap_bit) == 0) f.capability = {};
  if ((seen & client_bit) == 0) f.client_id = {};
  return true;
}

#undef CAPMATCH_DETAIL_LAMBDA_INLINE

/// What a reader remembers of the capability bodies it read (one per thread in the verifier):
/// the last body the usual reader accepted, as written (at most max_body bytes), so that the
/// next request carrying the same capability is not scanned again (clients of one auth server
/// mostly send the same few capabilities; the capability cache rests on the same fact). Only
/// read_token_request writes `body`, and only with a body the reader accepted; each new body
/// takes the next `generation` (0: none yet), so a user that derives a value from `body` (the
/// verifier's cache hash) can tell whether its value is still for the memo's body.
struct capability_memo {
  static constexpr std::size_t max_body = 4096;
  std::string body;
  std::uint64_t generation = 0;
};

/// Reads a TokenRequest's wire form: the usual form in one pass, anything else through the
/// general reader. Returns nothing when the request was read, else the first problem the
/// general reader names. With a memo: a capability body equal to the memo's is recognised
/// without a scan, and a new one (accepted by the usual reader, at most max_body bytes) replaces
/// it; `f.capability_memoised` says the body is the memo's.
[[nodiscard]] inline std::optional<error> read_token_request(std::string_view json, std::size_t max_bytes,
                                                             token_request_wire& f, capability_memo* memo = nullptr) {
  if (json.size() <= max_bytes &&
      read_token_request_usual(json, f, memo != nullptr ? std::string_view(memo->body) : std::string_view())) {
    if (memo != nullptr && f.capability_escaped && !f.capability_memoised &&
        f.capability.size() <= capability_memo::max_body) {
      memo->body.assign(f.capability);
      ++memo->generation;
      f.capability_memoised = true;
    }
    return std::nullopt;  // (no error object is built in the usual case)
  }
  thread_local json_object obj;
  error err;
  if (read_token_request_general(json, max_bytes, obj, f, err)) return std::nullopt;
  return err;
}

}  // namespace detail
CAPMATCH_NAMESPACE_END
