// capmatch — the small strict JSON reader and canonical writer the capability parser needs.
// Internal: the public surface is capability::parse and capability::to_json.
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstring>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <vector>

#include "../error.hpp"
#include "../version.hpp"
#include "escape.hpp"
#include "swar.hpp"
#include "utf8.hpp"
#include "simd.hpp"

CAPMATCH_NAMESPACE_BEGIN
namespace detail {

/// plain_ascii_end's run-time scan without SIMD (little-endian): eight bytes at a time (SWAR:
/// each test flags exactly the bytes it names, no borrow crosses a byte), the last 1-7 as one
/// word that ends at the string's end (the bytes before `pos` shifted out) or, in a string
/// shorter than a word, as swar::load_partial's word. Reads no byte outside `s`.
template <bool stop_at_del>
[[nodiscard]] inline std::size_t plain_ascii_end_words(std::string_view s, std::size_t pos) noexcept {
  const std::size_t n = s.size();
  auto stops = [](std::uint64_t w) {  // 0x80 in every byte of w that stops
    std::uint64_t f = swar::bytes_equal(w, '"') | swar::bytes_equal(w, '\\') | swar::control_or_high(w);
    if constexpr (stop_at_del) f |= swar::bytes_equal(w, 0x7F);
    return f;
  };
  for (; pos + 8 <= n; pos += 8)
    if (const std::uint64_t f = stops(swar::load_partial(s.data() + pos, 8)); f != 0)
      return pos + static_cast<std::size_t>(std::countr_zero(f) >> 3);
  if (pos == n) return n;
  std::uint64_t f;
  if (n >= 8) {
    f = stops(swar::load_partial(s.data() + n - 8, 8)) >> (8 * (pos + 8 - n));  // (pos + 8 - n bytes seen)
  } else {
    const std::size_t k = n - pos;  // 1..7; the zero bytes above them would stop: masked off
    f = stops(swar::load_partial(s.data() + pos, k)) & ((std::uint64_t{1} << (8 * k)) - 1);
  }
  return f != 0 ? pos + static_cast<std::size_t>(std::countr_zero(f) >> 3) : n;
}

#if CAPMATCH_DETAIL_SSE2
/// plain_ascii_end's run-time scan with SSE2: sixteen bytes at a time, the last 1-15 as one
/// window that ends at the string's end (the bytes before `pos` shifted out) or, in a string
/// shorter than sixteen bytes, one register of swar::load_partial's words. Reads no byte
/// outside `s`.
template <bool stop_at_del>
[[nodiscard]] inline std::size_t plain_ascii_end_sse2(std::string_view s, std::size_t pos) noexcept {
  const std::size_t n = s.size();
  const char* p = s.data();
  auto stops = [](__m128i v) {  // bit k: byte k of v stops
    __m128i m = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
    m = _mm_or_si128(m, _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));  // (signed: below 0x20, or 0x80 and above)
    if constexpr (stop_at_del) m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7F)));
    return static_cast<unsigned>(_mm_movemask_epi8(m));
  };
  auto at = [p](std::size_t i) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i)); };
  unsigned bits;
  if (n >= 16) {
    for (; pos + 16 <= n; pos += 16)
      if ((bits = stops(at(pos))) != 0) return pos + static_cast<std::size_t>(std::countr_zero(bits));
    if (pos == n) return n;
    bits = stops(at(n - 16)) >> (pos + 16 - n);  // (pos + 16 - n bytes of it seen)
  } else {
    if (pos == n) return n;
    const std::size_t k = n - pos;  // 1..15; the zero bytes above them would stop: masked off
    const std::uint64_t lo = swar::load_partial(p + pos, k < 8 ? k : 8);
    const std::uint64_t hi = k > 8 ? swar::load_partial(p + pos + 8, k - 8) : 0;
    bits = stops(_mm_set_epi64x(static_cast<long long>(hi), static_cast<long long>(lo))) & ((1u << k) - 1);
  }
  return bits != 0 ? pos + static_cast<std::size_t>(std::countr_zero(bits)) : n;
}
#endif

/// The first index from `pos` of a byte that a JSON string reader or writer must look at:
/// '"', '\\', U+0000..U+001F or a non-ASCII byte; s.size() if none. At run time sixteen bytes
/// at a time with SSE2 (plain_ascii_end_sse2), else eight (plain_ascii_end_words), with no
/// byte loop; in constant evaluation (and on big-endian targets) a byte at a time.
/// (With `stop_at_del`, also 0x7F: printable_ascii_end.)
template <bool stop_at_del = false>
[[nodiscard]] constexpr std::size_t plain_ascii_end(std::string_view s, std::size_t pos) noexcept {
  if (!std::is_constant_evaluated() && std::endian::native == std::endian::little) {
#if CAPMATCH_DETAIL_SSE2
    return plain_ascii_end_sse2<stop_at_del>(s, pos);
#else
    return plain_ascii_end_words<stop_at_del>(s, pos);
#endif
  }
  for (; pos < s.size(); ++pos) {
    const auto c = static_cast<unsigned char>(s[pos]);
    if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80 || (stop_at_del && c == 0x7F)) return pos;
  }
  return pos;
}
/// The first index from `pos` of a byte that is not printable ASCII (U+0020..U+007E) or is '"'
/// or '\\'; s.size() if none.
[[nodiscard]] constexpr std::size_t printable_ascii_end(std::string_view s, std::size_t pos) noexcept {
  return plain_ascii_end<true>(s, pos);
}

/// A cursor over JSON text (RFC 8259) with the few reads a capability needs. Every
/// failure becomes an error with the byte offset and stops the read; nothing is skipped.
class json_reader {
 public:
  constexpr explicit json_reader(std::string_view in) noexcept : in_(in) {}

  [[nodiscard]] constexpr std::size_t pos() const noexcept { return pos_; }
  [[nodiscard]] constexpr bool at_end() const noexcept { return pos_ >= in_.size(); }
  [[nodiscard]] constexpr char peek() const noexcept { return at_end() ? '\0' : in_[pos_]; }

  /// Steps over `n` bytes the caller has already checked (a number or literal it read itself).
  constexpr void skip(std::size_t n) noexcept { pos_ += n; }

  constexpr void skip_ws() noexcept {
    while (pos_ < in_.size()) {
      const char c = in_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
      ++pos_;
    }
  }

  /// Consumes `c` after whitespace, or fails naming what was expected.
  [[nodiscard]] constexpr bool expect(char c, error_hint expected, error& err) noexcept {
    skip_ws();
    if (peek() == c && !at_end()) return ++pos_, true;
    err = unexpected(expected);
    return false;
  }

  /// An error for whatever stands at the cursor, saying what was expected there.
  [[nodiscard]] constexpr error unexpected(error_hint expected) const noexcept {
    error e(error_reason::unexpected_end, static_cast<std::uint32_t>(pos_));
    if (at_end()) {
      e.append("unexpected end of input").append_at();
    } else {
      const auto c = static_cast<unsigned char>(in_[pos_]);
      if (c >= 0x20 && c < 0x7F) {
        e = error(error_reason::unexpected_character, static_cast<std::uint32_t>(pos_));
        e.append("unexpected character ").append_quoted(in_.substr(pos_, 1)).append_at();
      } else {
        e = error(error_reason::unexpected_byte, static_cast<std::uint32_t>(pos_));
        e.append("unexpected byte 0x").append(hex_digit(c >> 4)).append(hex_digit(c)).append_at();
      }
    }
    return e.append("; expected ").append(hint_text(expected)).set_hint(expected);
  }

  /// expect, naming in words of the caller what was expected (for a wire form that is not a capability).
  [[nodiscard]] constexpr bool expect(char c, std::string_view expected, error& err) noexcept {
    if (expect(c, error_hint::none, err)) return true;
    err.append(expected);
    return false;
  }

  /// unexpected, naming in words of the caller what was expected.
  [[nodiscard]] constexpr error unexpected(std::string_view expected) const noexcept {
    error e = unexpected(error_hint::none);
    e.append(expected);
    return e;
  }

  /// What kind of JSON value starts at the cursor (error_hint::found_string, ...), or
  /// error_hint::none when no value starts there.
  [[nodiscard]] constexpr error_hint value_kind() const noexcept {
    switch (peek()) {
      case '"': return error_hint::found_string;
      case '{': return error_hint::found_object;
      case '[': return error_hint::found_array;
      case 't':
      case 'f': return error_hint::found_boolean;
      case 'n': return error_hint::found_null;
      case '-':
      case '0': case '1': case '2': case '3': case '4':
      case '5': case '6': case '7': case '8': case '9': return error_hint::found_number;
      default: return error_hint::none;
    }
  }

  /// The words of an expected_* or found_* hint: "a string", "':' after the resource name".
  [[nodiscard]] static constexpr std::string_view hint_text(error_hint h) noexcept {
    switch (h) {
      case error_hint::expected_object: return "a JSON object";
      case error_hint::expected_string: return "a string";
      case error_hint::expected_colon: return "':' after the resource name";
      case error_hint::expected_operations: return "an array of operations";
      case error_hint::expected_operation_name: return "an operation name string";
      case error_hint::expected_comma_or_bracket: return "',' or ']'";
      case error_hint::expected_comma_or_brace: return "',' or '}'";
      case error_hint::expected_open_brace: return "'{'";
      case error_hint::expected_open_bracket: return "'['";
      case error_hint::expected_close_bracket: return "']'";
      case error_hint::expected_close_brace: return "'}'";
      case error_hint::found_string: return "a string";
      case error_hint::found_object: return "an object";
      case error_hint::found_array: return "an array";
      case error_hint::found_boolean: return "a boolean";
      case error_hint::found_null: return "null";
      case error_hint::found_number: return "a number";
      default: return {};
    }
  }

  /// Reads a string at the cursor (after whitespace), appending its decoded UTF-8 to `out`.
  [[nodiscard]] constexpr bool read_string(std::vector<char>& out, error& err) {
    skip_ws();
    if (peek() != '"' || at_end()) return err = unexpected(error_hint::expected_string), false;
    const std::size_t start = pos_++;
    for (;;) {
      // Fast path: copy the run of plain ASCII up to the next byte that needs a look.
      const std::size_t run = plain_ascii_end(in_, pos_);
      out.insert(out.end(), in_.begin() + static_cast<std::ptrdiff_t>(pos_),
                 in_.begin() + static_cast<std::ptrdiff_t>(run));
      pos_ = run;
      if (at_end()) {
        error e(error_reason::unterminated_string, static_cast<std::uint32_t>(start));
        return err = e.append("unterminated string starting").append_at(), false;
      }
      const auto c = static_cast<unsigned char>(in_[pos_]);
      if (c == '"') return ++pos_, true;
      if (c == '\\') {
        if (!read_escape(out, err)) return false;
      } else if (c < 0x20) {
        error e(error_reason::control_character, static_cast<std::uint32_t>(pos_));
        e.append("control character U+00").append(hex_digit(c >> 4)).append(hex_digit(c));
        e.append(" in a string").append_at().append("; escape it (\\n, \\t, \\u00XX)");
        return err = e, false;
      } else if (!read_utf8(out, err)) {
        return false;
      }
    }
  }

 private:
  [[nodiscard]] constexpr int hex4(std::size_t at) const noexcept {
    if (at + 4 > in_.size()) return -1;
    int v = 0;
    for (std::size_t i = at; i < at + 4; ++i) {
      const char c = in_[i];
      const int d = (c >= '0' && c <= '9') ? c - '0'
                    : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                    : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                             : -1;
      if (d < 0) return -1;
      v = v * 16 + d;
    }
    return v;
  }

  static constexpr void put_utf8(std::vector<char>& out, std::uint32_t cp) {
    auto b = [&](std::uint32_t v) { out.push_back(static_cast<char>(static_cast<unsigned char>(v))); };
    if (cp < 0x80) {
      b(cp);
    } else if (cp < 0x800) {
      b(0xC0 | (cp >> 6)), b(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      b(0xE0 | (cp >> 12)), b(0x80 | ((cp >> 6) & 0x3F)), b(0x80 | (cp & 0x3F));
    } else {
      b(0xF0 | (cp >> 18)), b(0x80 | ((cp >> 12) & 0x3F)), b(0x80 | ((cp >> 6) & 0x3F)), b(0x80 | (cp & 0x3F));
    }
  }

  [[nodiscard]] constexpr bool read_escape(std::vector<char>& out, error& err) {
    const std::size_t at = pos_;
    if (pos_ + 1 >= in_.size()) {
      error e(error_reason::unterminated_escape, static_cast<std::uint32_t>(at));
      return err = e.append("unterminated escape").append_at(), false;
    }
    const char c = in_[pos_ + 1];
    char simple = 0;
    switch (c) {
      case '"': simple = '"'; break;
      case '\\': simple = '\\'; break;
      case '/': simple = '/'; break;
      case 'b': simple = '\b'; break;
      case 'f': simple = '\f'; break;
      case 'n': simple = '\n'; break;
      case 'r': simple = '\r'; break;
      case 't': simple = '\t'; break;
      case 'u': break;
      default: {
        error e(error_reason::invalid_escape, static_cast<std::uint32_t>(at));
        e.append("invalid escape ").append_quoted(in_.substr(at, 2)).append_at();
        return err = e.append("; valid escapes are \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX"), false;
      }
    }
    if (simple != 0) {
      out.push_back(simple);
      pos_ += 2;
      return true;
    }
    auto bad_u = [&](std::size_t where) {
      error e(error_reason::invalid_unicode_escape, static_cast<std::uint32_t>(where));
      return e.append("invalid \\u escape").append_at().append("; expected four hex digits");
    };
    const int hi = hex4(pos_ + 2);
    if (hi < 0) return err = bad_u(at), false;
    pos_ += 6;
    std::uint32_t cp = static_cast<std::uint32_t>(hi);
    auto lone = [&](std::size_t where) {
      error e(error_reason::lone_surrogate, static_cast<std::uint32_t>(where));
      e.append("lone surrogate ").append_quoted(in_.substr(where, 6)).append_at();
      return e.append("; a \\uD800-\\uDBFF escape must be followed by a \\uDC00-\\uDFFF escape");
    };
    if (cp >= 0xDC00 && cp <= 0xDFFF) return err = lone(at), false;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (pos_ + 1 >= in_.size() || in_[pos_] != '\\' || in_[pos_ + 1] != 'u') return err = lone(at), false;
      const int lo = hex4(pos_ + 2);
      if (lo < 0) return err = bad_u(pos_), false;
      if (lo < 0xDC00 || lo > 0xDFFF) return err = lone(at), false;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (static_cast<std::uint32_t>(lo) - 0xDC00);
      pos_ += 6;
    }
    put_utf8(out, cp);
    return true;
  }

  /// Validates (utf8_length) and copies one multi-byte UTF-8 sequence.
  [[nodiscard]] constexpr bool read_utf8(std::vector<char>& out, error& err) {
    const std::size_t at = pos_;
    const std::size_t len = utf8_length(in_, at);
    const bool ok = len != 0;
    if (!ok) {
      error e(error_reason::invalid_utf8, static_cast<std::uint32_t>(at));
      return err = e.append("invalid UTF-8").append_at(), false;
    }
    out.insert(out.end(), in_.begin() + static_cast<std::ptrdiff_t>(at),
               in_.begin() + static_cast<std::ptrdiff_t>(at + len));
    pos_ += len;
    return true;
  }

  std::string_view in_;
  std::size_t pos_ = 0;
};

/// True when `s` holds no byte that JSON escapes ('"', '\\', U+0000..U+001F).
[[nodiscard]] constexpr bool json_plain(std::string_view s) noexcept {
  for (std::size_t i = plain_ascii_end(s, 0); i < s.size(); i = plain_ascii_end(s, i + 1)) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\' || c < 0x20) return false;  // (else non-ASCII: written as it is)
  }
  return true;
}

/// Bytes of `s` written as a JSON string (quotes included): see write_json_string.
[[nodiscard]] constexpr std::size_t json_string_size(std::string_view s) noexcept {
  std::size_t size = s.size() + 2;
  if (json_plain(s)) return size;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') size += 1;
    else if (c < 0x20) size += c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t' ? 1 : 5;
  }
  return size;
}

/// Writes `s` as a JSON string at p (json_string_size(s) bytes), escaping only what RFC 8259
/// requires (docs/semantics.md §1.5): '"', '\\' and U+0000..U+001F (as \b \f \n \r \t or \u00XX).
/// Returns the end of what was written.
constexpr char* write_json_string(std::string_view s, char* p) noexcept {
  *p++ = '"';
  if (json_plain(s)) {
    p = std::copy(s.begin(), s.end(), p);
    *p++ = '"';
    return p;
  }
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      *p++ = '\\';
      *p++ = ch;
    } else if (c < 0x20) {
      *p++ = '\\';
      switch (c) {
        case '\b': *p++ = 'b'; break;
        case '\f': *p++ = 'f'; break;
        case '\n': *p++ = 'n'; break;
        case '\r': *p++ = 'r'; break;
        case '\t': *p++ = 't'; break;
        default:
          *p++ = 'u', *p++ = '0', *p++ = '0';
          *p++ = hex_digit(c >> 4, true), *p++ = hex_digit(c, true);
      }
    } else {
      *p++ = ch;
    }
  }
  *p++ = '"';
  return p;
}

/// Appends `s` as a JSON string (see write_json_string above).
constexpr void write_json_string(std::string_view s, std::vector<char>& out) {
  const std::size_t at = out.size();
  out.resize(at + json_string_size(s), '\0');
  write_json_string(s, out.data() + at);
}

}  // namespace detail
CAPMATCH_NAMESPACE_END
