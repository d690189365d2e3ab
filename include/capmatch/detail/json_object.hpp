// capmatch — the strict reader of one JSON object for wire forms: a TokenRequest (flat: scalar
// members only) and JWT headers and claims (nested values validated and kept as raw text).
// Internal; built on json_reader.
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "../error.hpp"
#include "json.hpp"
#include "../version.hpp"

CAPMATCH_NAMESPACE_BEGIN
namespace detail {

/// The kind of a member's value.
enum class json_type : std::uint8_t { string, number, boolean, null, object, array };

/// Limits of json_object::parse; input beyond one is an error, never truncated.
struct json_object_limits {
  std::size_t max_bytes = 64u << 10;  ///< the whole text
  /// Members of the object. The duplicate-name check costs O(n log n) name compares (pairwise
  /// up to json_object::pairwise_members, then one sort of the names): this bounds the object's
  /// size in members, not the check's cost per member.
  std::size_t max_members = 1024;
  /// Nesting depth of one member's value; 0: only strings, numbers, booleans and null (a flat
  /// object such as a TokenRequest), a nested value is an error naming the member.
  std::size_t max_depth = 32;
  /// When not empty: the string value of the member of this name is not decoded when it is
  /// ASCII (no byte below 0x20) whose only escapes are \" \\ \/ (simple_escaped_end); it
  /// is kept as written between its quotes (member::value_escaped). Any other string is read
  /// and decoded as usual (and its errors are the usual ones).
  std::string_view keep_escaped;
};

/// The end (the closing quote's index) of a JSON string whose body starts at `pos` when that
/// body is ASCII (no byte below 0x20) with no escape other than \" \\ \/ (each decodes to its second
/// byte), or std::string_view::npos otherwise. Such a body is a valid JSON string; any string
/// this refuses is left to the decoding reader, which accepts or names its error.
[[nodiscard]] constexpr std::size_t simple_escaped_end(std::string_view text, std::size_t pos) noexcept {
  constexpr std::size_t npos = std::string_view::npos;
  auto simple = [](char c) { return c == '"' || c == '\\' || c == '/'; };
  std::size_t i = pos;
#if CAPMATCH_DETAIL_SSE2
  if (!std::is_constant_evaluated()) {
    // 64 bytes at a time as bit masks (bit k: byte i + k), without a branch per escape, while
    // no backslash follows a backslash (then each backslash escapes the next byte: the escaped
    // bytes are the backslashes shifted by one). A block where one does, and the last bytes, go
    // to the word loop below, starting at the backslash when one escapes the block's first byte.
    auto mask = [&](__m128i v, char c) {
      return static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(c)))));
    };
    std::uint64_t carry = 0;  // 1: byte i is escaped by the backslash at i - 1
    for (; i + 64 <= text.size(); i += 64) {
      std::uint64_t q = 0, b = 0, slash = 0, bad = 0;
      for (unsigned k = 0; k < 4; ++k) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i + 16 * k));
        q |= mask(v, '"') << (16 * k);
        b |= mask(v, '\\') << (16 * k);
        slash |= mask(v, '/') << (16 * k);
        // (signed compare: below 0x20, or 0x80 and above)
        bad |= static_cast<std::uint64_t>(static_cast<std::uint32_t>(
                   _mm_movemask_epi8(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)))))
               << (16 * k);
      }
      const std::uint64_t escaped = b << 1 | carry;
      if ((b & escaped) != 0) break;  // a backslash after a backslash
      const std::uint64_t quote = q & ~escaped;  // unescaped quotes: the first one ends the body
      const std::uint64_t before = quote == 0 ? ~std::uint64_t{0} : (quote & (0 - quote)) - 1;
      if (((bad | (escaped & ~(q | slash))) & before) != 0) return npos;
      if (quote != 0) return i + static_cast<std::size_t>(std::countr_zero(quote));
      carry = b >> 63;
    }
    i -= carry;
  }
#endif
  if (!std::is_constant_evaluated() && std::endian::native == std::endian::little) {
    // Eight bytes at a time; every flagged byte of the word is handled from the word's flags
    // (a capability has an escape every few bytes: one plain_ascii_end call each costs more).
    while (i + 8 <= text.size()) {
      std::uint64_t w;
      std::memcpy(&w, text.data() + i, 8);
      std::uint64_t flags = swar::bytes_equal(w, '"') | swar::bytes_equal(w, '\\') | swar::control_or_high(w);
      std::size_t next = i + 8;
      while (flags != 0) {
        const auto n = static_cast<std::size_t>(std::countr_zero(flags) >> 3);
        const char c = text[i + n];
        if (c == '"') return i + n;
        if (c != '\\' || i + n + 1 >= text.size() || !simple(text[i + n + 1])) return npos;
        if (n == 7) {  // the escaped byte starts the next word: skip it
          next = i + 9;
          break;
        }
        flags &= ~(std::uint64_t{0xFFFF} << (8 * n));  // (the backslash and the byte it escapes)
      }
      i = next;
    }
  }
  for (; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"') return i;
    if (c < 0x20 || c >= 0x80) return npos;
    if (c == '\\') {
      if (i + 1 >= text.size() || !simple(text[i + 1])) return npos;
      ++i;
    }
  }
  return npos;
}

/// Decodes a body accepted by simple_escaped_end (up to its end) at `o`, which has room for
/// body.size() + 8 bytes (word stores), and returns the end of what it wrote: each backslash is
/// dropped and the byte after it kept. Eight bytes at a time; one step per escape.
constexpr char* decode_simple_escaped(std::string_view body, char* o) noexcept {
  std::size_t i = 0;
  const std::size_t n = body.size();
  if (!std::is_constant_evaluated() && std::endian::native == std::endian::little) {
    while (i + 8 <= n) {
      std::uint64_t w;
      std::memcpy(&w, body.data() + i, 8);
      std::memcpy(o, &w, 8);  // (the bytes before the first backslash are kept, the rest rewritten)
      const std::uint64_t flags = swar::bytes_equal(w, '\\');
      if (flags == 0) {
        o += 8, i += 8;
        continue;
      }
      const auto k = static_cast<std::size_t>(std::countr_zero(flags) >> 3);
      o += k;
      *o++ = body[i + k + 1];  // (an accepted body never ends in a lone backslash)
      i += k + 2;
    }
  }
  for (; i < n; ++i) {
    if (body[i] == '\\') ++i;
    *o++ = body[i];
  }
  return o;
}

/// decode_simple_escaped into `out` (replacing what it held).
inline void decode_simple_escaped(std::string_view body, std::string& out) {
  out.resize(body.size() + 8);
  out.resize(static_cast<std::size_t>(decode_simple_escaped(body, out.data()) - out.data()));
}

/// Reads a JSON number at `pos` (RFC 8259 grammar); returns its end, or `pos` when there is
/// none. `*integer` says whether it has no fraction or exponent and fits int64 (`*value`).
[[nodiscard]] constexpr std::size_t read_json_number(std::string_view s, std::size_t pos, bool* integer,
                                                     std::int64_t* value) noexcept {
  std::size_t i = pos;
  auto digit = [&](std::size_t k) { return k < s.size() && s[k] >= '0' && s[k] <= '9'; };
  const bool negative = i < s.size() && s[i] == '-';
  if (negative) ++i;
  if (!digit(i)) return pos;
  bool exact = true;
  std::uint64_t mag = 0;
  const std::uint64_t limit = negative ? std::uint64_t{1} << 63 : (std::uint64_t{1} << 63) - 1;
  if (s[i] == '0') {
    ++i;
  } else {
    for (; digit(i); ++i) {
      const auto d = static_cast<std::uint64_t>(s[i] - '0');
      if (mag > (limit - d) / 10) exact = false;
      else mag = mag * 10 + d;
    }
  }
  if (i < s.size() && s[i] == '.') {
    if (!digit(++i)) return pos;
    while (digit(i)) ++i;
    exact = false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digit(i)) return pos;
    while (digit(i)) ++i;
    exact = false;
  }
  *integer = exact;
  *value = !exact ? 0 : negative ? static_cast<std::int64_t>(0 - mag) : static_cast<std::int64_t>(mag);
  return i;
}

/// A JSON object read strictly (RFC 8259, UTF-8, no duplicate member names). Names and string
/// values are views into the text when written without escapes and into the object's own pool
/// otherwise: the text must outlive the object. Reuse one object (read()) to parse without
/// allocating once its buffers have grown.
class json_object {
 public:
  /// Up to this many members, each name is compared with every earlier one as it is read (at
  /// most 120 compares); beyond, duplicates are found by sorting the names once when the object
  /// ends or reading stops (O(n log n) compares). Either way the error is the same: the first
  /// member, in the text's order, whose name equals an earlier one's, unless an error earlier
  /// in the text came first.
  static constexpr std::size_t pairwise_members = 16;

  struct member {
    std::uint32_t key_offset = 0, key_size = 0;      // decoded name (in the text or the pool)
    std::uint32_t value_offset = 0, value_size = 0;  // decoded string value (in the text or the pool)
    std::uint32_t raw_offset = 0, raw_size = 0;      // the value as written, in the text
    std::uint32_t key_at = 0;                        // byte offset of the name's opening quote
    json_type kind = json_type::null;
    bool integer = false;  // a number written without fraction or exponent that fits int64
    bool key_pooled = false, value_pooled = false;
    /// The string value is kept as written (json_object_limits::keep_escaped), not decoded.
    bool value_escaped = false;
    std::int64_t int_value = 0;
  };

  /// The object in `text`, or the first error (with byte offset).
  [[nodiscard]] static constexpr result<json_object> parse(std::string_view text, json_object_limits lim = {}) {
    json_object out;
    if (error e = out.read(text, lim); e.code() != errc::ok) return e;
    return out;
  }
  /// One JSON value of any kind in `text` (whitespace around it allowed), as member 0 with an
  /// empty name, or the first error (byte offsets in `text`).
  [[nodiscard]] static constexpr result<json_object> parse_value(std::string_view text, json_object_limits lim = {}) {
    json_object out;
    if (error e = out.read_impl(text, lim, true); e.code() != errc::ok) return e;
    return out;
  }
  /// Reads the object in `text` into this one (replacing what it held; buffers keep their
  /// capacity). Returns an error with code errc::ok, or the first error (the object is then empty).
  [[nodiscard]] constexpr error read(std::string_view text, json_object_limits lim = {}) {
    return read_impl(text, lim, false);
  }

  [[nodiscard]] constexpr std::size_t size() const noexcept { return members_.size(); }
  [[nodiscard]] constexpr const member& at(std::size_t i) const noexcept { return members_[i]; }
  /// Decoded name of member i.
  [[nodiscard]] constexpr std::string_view key(std::size_t i) const noexcept {
    const member& m = members_[i];
    return view(m.key_pooled, m.key_offset, m.key_size);
  }
  /// Decoded value of member i when it is a string (empty otherwise); as written between its
  /// quotes when member::value_escaped.
  [[nodiscard]] constexpr std::string_view string_value(std::size_t i) const noexcept {
    const member& m = members_[i];
    return view(m.value_pooled, m.value_offset, m.value_size);
  }
  /// Member i's value exactly as written in the text.
  [[nodiscard]] constexpr std::string_view raw(std::size_t i) const noexcept {
    return text_.substr(members_[i].raw_offset, members_[i].raw_size);
  }
  /// Name compares the duplicate check made in the last read (tests/test_complexity.cpp).
  [[nodiscard]] constexpr std::size_t name_compares() const noexcept { return name_compares_; }
  /// Index of the member named `name`, or size() when absent.
  [[nodiscard]] constexpr std::size_t find(std::string_view name) const noexcept {
    for (std::size_t i = 0; i < members_.size(); ++i)
      if (key(i) == name) return i;
    return members_.size();
  }

 private:
  [[nodiscard]] constexpr std::string_view view(bool pooled, std::uint32_t off, std::uint32_t n) const noexcept {
    if (n == 0) return {};
    return pooled ? std::string_view(pool_.data() + off, n) : text_.substr(off, n);
  }

  /// A string at the cursor (after whitespace): a view into the text when it has no escape and
  /// no non-ASCII byte, else decoded into `into` (pooled). Sets offset/size/pooled.
  [[nodiscard]] static constexpr bool read_string(json_reader& r, std::string_view text, std::vector<char>& into,
                                                  std::uint32_t& offset, std::uint32_t& size, bool& pooled,
                                                  error& err) {
    r.skip_ws();
    const std::size_t start = r.pos();
    const std::size_t before = into.size();
    if (r.peek() == '"' && !r.at_end()) {
      const std::size_t end = plain_ascii_end(text, start + 1);
      if (end < text.size() && text[end] == '"') {
        offset = static_cast<std::uint32_t>(start + 1);
        size = static_cast<std::uint32_t>(end - start - 1);
        pooled = false;
        r.skip(end + 1 - start);
        return true;
      }
      // ASCII with only \" \\ \/ escapes (a capability inside a TokenRequest or a JWT): its end
      // by simple_escaped_end (from the first escape: the plain bytes before it are in its
      // grammar), decoded by decode_simple_escaped; anything else is left to
      // json_reader::read_string, which decodes it or names the error.
      if (const std::size_t close = simple_escaped_end(text, end); close != std::string_view::npos) {
        const std::string_view body = text.substr(start + 1, close - start - 1);
        into.resize(before + body.size() + 8);
        char* const base = into.data() + before;
        const auto n = static_cast<std::size_t>(decode_simple_escaped(body, base) - base);
        into.resize(before + n);
        offset = static_cast<std::uint32_t>(before);
        size = static_cast<std::uint32_t>(n);
        pooled = true;
        r.skip(close + 1 - start);
        return true;
      }
    }
    if (!r.read_string(into, err)) return false;
    offset = static_cast<std::uint32_t>(before);
    size = static_cast<std::uint32_t>(into.size() - before);
    pooled = true;
    return true;
  }

  /// A scalar at the cursor: string (into `into`), number or literal.
  [[nodiscard]] static constexpr bool read_scalar(json_reader& r, std::string_view text, std::vector<char>& into,
                                                  member& m, error& err) {
    const std::size_t start = r.pos();
    const char c = r.peek();
    if (c == '"' && !r.at_end()) {
      if (!read_string(r, text, into, m.value_offset, m.value_size, m.value_pooled, err)) return false;
      m.kind = json_type::string;
      return true;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      const std::size_t end = read_json_number(text, start, &m.integer, &m.int_value);
      if (end == start) return err = r.unexpected("a number"), false;
      m.kind = json_type::number;
      r.skip(end - start);
      return true;
    }
    const std::string_view word = c == 't' ? "true" : c == 'f' ? "false" : "null";
    if ((c != 't' && c != 'f' && c != 'n') || text.substr(start, word.size()) != word)
      return err = r.unexpected("a value"), false;
    m.kind = c == 'n' ? json_type::null : json_type::boolean;
    r.skip(word.size());
    return true;
  }

  /// One member value at the cursor into `m`; nested objects and arrays are validated
  /// iteratively (no recursion, at most lim.max_depth deep) and kept as raw text.
  [[nodiscard]] constexpr bool read_value(json_reader& r, std::string_view text, const json_object_limits& lim,
                                          member& m, std::string_view name, error& err) {
    r.skip_ws();
    const std::size_t start = r.pos();
    const char first = r.peek();
    if (r.at_end()) return err = r.unexpected("a value"), false;
    std::size_t end = std::string_view::npos;
    if (first == '"' && !lim.keep_escaped.empty() && name == lim.keep_escaped &&
        (end = simple_escaped_end(text, start + 1)) != std::string_view::npos) {
      m.kind = json_type::string;
      m.value_offset = static_cast<std::uint32_t>(start + 1);
      m.value_size = static_cast<std::uint32_t>(end - start - 1);
      m.value_escaped = true;
      r.skip(end + 1 - start);
    } else if (first != '{' && first != '[') {
      if (!read_scalar(r, text, pool_, m, err)) return false;
    } else if (lim.max_depth == 0) {
      error e(errc::invalid_json, static_cast<std::uint32_t>(start));
      e.append("member ").append_quoted(name).append(" is ").append(r.hint_text(r.value_kind())).append_at();
      return err = e.append("; expected a string, number, boolean or null"), false;
    } else {
      m.kind = first == '{' ? json_type::object : json_type::array;
      std::size_t depth = 0;
      // Open containers as bits (1 = object), deepest last; beyond 64 levels in a vector.
      std::uint64_t bits = 0;
      stack_.clear();
      auto push = [&](bool object) {
        if (depth < 64) bits = bits << 1 | static_cast<std::uint64_t>(object);
        else stack_.push_back(object);
        ++depth;
      };
      auto top = [&] { return depth > 64 ? stack_.back() : (bits & 1) != 0; };
      auto pop = [&] {
        if (depth > 64) stack_.pop_back();
        else bits >>= 1;
        --depth;
      };
      std::uint32_t off = 0, n = 0;
      bool pooled = false;
      for (;;) {
        // At a value position.
        r.skip_ws();
        const char d = r.peek();
        if (r.at_end()) return err = r.unexpected("a value"), false;
        bool value_done = true;
        if (d == '{' || d == '[') {
          if (depth == lim.max_depth) {
            error e(errc::limit_exceeded, static_cast<std::uint32_t>(r.pos()));
            e.append("value nested deeper than ").append_number(lim.max_depth).append(" levels").append_at();
            return err = e, false;
          }
          r.skip(1);
          push(d == '{');
          r.skip_ws();
          if (r.peek() == (d == '{' ? '}' : ']') && !r.at_end()) {
            r.skip(1);
            pop();
          } else if (d == '{') {
            scratch_.clear();
            if (!read_string(r, text, scratch_, off, n, pooled, err) || !r.expect(':', "':'", err)) return false;
            value_done = false;
          } else {
            value_done = false;
          }
        } else {
          member inner;
          scratch_.clear();
          if (!read_scalar(r, text, scratch_, inner, err)) return false;
        }
        if (!value_done) continue;
        // After a complete value: close containers, or ',' and the next value.
        for (;;) {
          if (depth == 0) break;
          r.skip_ws();
          const bool in_object = top();
          if (r.peek() == (in_object ? '}' : ']') && !r.at_end()) {
            r.skip(1);
            pop();
            continue;
          }
          if (!r.expect(',', in_object ? "',' or '}'" : "',' or ']'", err)) return false;
          if (in_object) {
            scratch_.clear();
            if (!read_string(r, text, scratch_, off, n, pooled, err) || !r.expect(':', "':'", err)) return false;
          }
          break;
        }
        if (depth == 0) break;
      }
    }
    m.raw_offset = static_cast<std::uint32_t>(start);
    m.raw_size = static_cast<std::uint32_t>(r.pos() - start);
    return true;
  }

  [[nodiscard]] constexpr error read_impl(std::string_view text, const json_object_limits& lim, bool one_value) {
    name_compares_ = 0;
    error err = read_members(text, lim, one_value);
    // Beyond pairwise_members the names were not compared as they were read: a duplicate among
    // the members read (the last one may be only its name) comes before any later error.
    if (members_.size() > pairwise_members) {
      if (const std::size_t d = first_duplicate(); d != members_.size()) err = duplicate_error(key(d), members_[d].key_at);
    }
    if (err.code() != errc::ok) members_.clear();
    return err;
  }

  /// The one wording of a duplicate member, for both ways of finding one (as read, or sorted).
  [[nodiscard]] static constexpr error duplicate_error(std::string_view name, std::uint32_t at) {
    error e(errc::invalid_json, at);
    return e.append("member ").append_quoted(name).append(" listed twice").append_at();
  }

  /// The first member (in the text's order) whose name equals an earlier member's, or size():
  /// the member indices sorted by (name, index), then equal neighbours; each group's second
  /// index is its first duplicate.
  [[nodiscard]] constexpr std::size_t first_duplicate() {
    const std::size_t n = members_.size();
    order_.resize(n);
    for (std::size_t i = 0; i < n; ++i) order_[i] = static_cast<std::uint32_t>(i);
    std::sort(order_.begin(), order_.end(), [this](std::uint32_t a, std::uint32_t b) {
      ++name_compares_;
      const int c = key(a).compare(key(b));
      return c < 0 || (c == 0 && a < b);
    });
    std::size_t first = n;
    for (std::size_t k = 1; k < n; ++k) {
      ++name_compares_;
      if (key(order_[k]) == key(order_[k - 1]) && order_[k] < first) first = order_[k];
    }
    return first;
  }

  [[nodiscard]] constexpr error read_members(std::string_view text, const json_object_limits& lim, bool one_value) {
    text_ = text;
    pool_.clear();
    members_.clear();
    if (text.size() > lim.max_bytes) {
      error e(errc::limit_exceeded, static_cast<std::uint32_t>(lim.max_bytes));
      return e.append("JSON object of ").append_number(text.size()).append(" bytes exceeds the limit of ")
          .append_number(lim.max_bytes).append(" bytes");
    }
    json_reader r(text);
    error err;
    r.skip_ws();
    if (one_value) {
      member m;
      if (!read_value(r, text, lim, m, {}, err)) return err;
      members_.push_back(m);
      r.skip_ws();
      if (!r.at_end()) {
        error e(errc::trailing_characters, static_cast<std::uint32_t>(r.pos()));
        return e.append("trailing characters after the JSON value").append_at();
      }
      return {};
    }
    if (r.peek() != '{' || r.at_end()) {
      const auto kind = r.value_kind();
      if (kind == error_hint::none) return r.unexpected("a JSON object");
      error e(errc::not_an_object, static_cast<std::uint32_t>(r.pos()));
      return e.append("expected a JSON object, found ").append(r.hint_text(kind)).append_at();
    }
    r.skip(1);
    r.skip_ws();
    if (r.peek() == '}' && !r.at_end()) {
      r.skip(1);
    } else {
      for (;;) {
        r.skip_ws();
        const auto key_at = static_cast<std::uint32_t>(r.pos());
        if (members_.size() == lim.max_members) {
          error e(errc::limit_exceeded, key_at);
          return e.append("JSON object has more than ").append_number(lim.max_members).append(" members").append_at();
        }
        member m;
        m.key_at = key_at;
        if (!read_string(r, text, pool_, m.key_offset, m.key_size, m.key_pooled, err)) return err;
        const std::string_view name = view(m.key_pooled, m.key_offset, m.key_size);
        if (members_.size() < pairwise_members) {
          for (std::size_t i = 0; i < members_.size(); ++i) {
            ++name_compares_;
            if (key(i) == name) return duplicate_error(name, key_at);
          }
        }
        // (in members_ from here: read_impl's duplicate check sees its name if the value fails)
        members_.push_back(m);
        if (!r.expect(':', "':' after the member name", err)) return err;
        if (!read_value(r, text, lim, members_.back(), name, err)) return err;
        r.skip_ws();
        if (r.peek() == '}' && !r.at_end()) {
          r.skip(1);
          break;
        }
        if (!r.expect(',', "',' or '}'", err)) return err;
      }
    }
    r.skip_ws();
    if (!r.at_end()) {
      error e(errc::trailing_characters, static_cast<std::uint32_t>(r.pos()));
      return e.append("trailing characters after the JSON object").append_at();
    }
    return {};
  }

  std::string_view text_;
  std::vector<char> pool_;     // decoded names and string values that had escapes
  std::vector<member> members_;
  std::vector<char> scratch_;  // strings inside nested values (checked, not kept)
  std::vector<bool> stack_;    // open containers beyond 64 levels
  std::vector<std::uint32_t> order_;  // member indices sorted by name (the duplicate check)
  std::size_t name_compares_ = 0;
};

/// Appends valid JSON text `raw` without its insignificant whitespace (outside strings).
constexpr void append_minified(std::string_view raw, std::vector<char>& out) {
  bool in_string = false, escaped = false;
  for (const char c : raw) {
    if (in_string) {
      in_string = escaped || c != '"';
      escaped = !escaped && c == '\\';
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      continue;
    } else {
      in_string = c == '"';
    }
    out.push_back(c);
  }
}

/// The value of a JSON number or decimal string that is a non-negative integer without sign,
/// fraction, exponent or leading zeros, at most `max`; false otherwise.
[[nodiscard]] constexpr bool parse_decimal(std::string_view s, std::uint64_t max, std::uint64_t& out) noexcept {
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) return false;
  std::uint64_t v = 0;
  if (!std::is_constant_evaluated() && std::endian::native == std::endian::little && s.size() < 20) {
    // (at most 19 digits: no overflow.) Eight digits per step: checked as a word (every byte's
    // high nibble 3, and still 3 after adding 6: '0'..'9'), then combined in three multiplies
    // (neighbours pairwise, byte k being the more significant digit; then pairs of pairs; then
    // halves). The first size % 8 digits are the top bytes of the first word, its other bytes
    // made '0'; under 8 digits, one at a time.
    constexpr std::uint64_t ones = 0x0101010101010101ull, high = 0xF0 * ones;
    auto eight = [&](std::uint64_t w) {
      if (((w & high) | ((w + 6 * ones) & high) >> 4) != 0x33 * ones) return false;
      w -= 0x30 * ones;
      w = (w * 10 + (w >> 8)) & 0x00FF00FF00FF00FFull;    // 16-bit lanes: 2 digits each
      w = (w * 100 + (w >> 16)) & 0x0000FFFF0000FFFFull;  // 32-bit lanes: 4 digits each
      v = v * 100000000 + ((w * 10000 + (w >> 32)) & 0xFFFFFFFFull);
      return true;
    };
    const std::size_t n = s.size();
    std::size_t i = n % 8;
    if (n < 8) {
      for (char c : s) {
        const auto d = static_cast<unsigned char>(c - '0');
        if (d > 9) return false;
        v = v * 10 + d;
      }
    } else if (i != 0) {
      std::uint64_t w;
      std::memcpy(&w, s.data(), 8);
      if (!eight(w << (8 * (8 - i)) | (0x30 * ones) >> (8 * i))) return false;
    }
    for (; i < n; i += 8) {
      std::uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      if (!eight(w)) return false;
    }
  } else {
    for (char c : s) {
      const auto d = static_cast<unsigned char>(c - '0');
      if (d > 9) return false;
      if (s.size() == 20 && (d > max || v > (max - d) / 10)) return false;  // (19 digits cannot overflow 64 bits)
      v = v * 10 + d;
    }
  }
  if (v > max) return false;
  out = v;
  return true;
}

}  // namespace detail
CAPMATCH_NAMESPACE_END

