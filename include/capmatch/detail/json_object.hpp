// capmatch — a strict reader for one flat-or-nested JSON object (JWT headers and claims).
// Internal: members are read one level deep; nested values are validated and kept as raw text.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "../error.hpp"
#include "../json.hpp"
#include "../version.hpp"

CAPMATCH_NAMESPACE_BEGIN
namespace detail {

/// The kind of a member's value.
enum class json_type : std::uint8_t { string, number, boolean, null, object, array };

/// Limits of json_object::parse: input size, members, nesting depth of a value.
struct json_object_limits {
  std::size_t max_bytes = 64u << 10;
  std::size_t max_members = 1024;
  std::size_t max_depth = 32;
};

/// A JSON object read strictly (RFC 8259, UTF-8, no duplicate member names). Views point into
/// the parsed text (raw values) and into the object's own pool (decoded strings): the text must
/// outlive the object.
class json_object {
 public:
  struct member {
    std::uint32_t key_offset = 0, key_size = 0;      // decoded name, in the pool
    std::uint32_t value_offset = 0, value_size = 0;  // decoded string value, in the pool
    std::uint32_t raw_offset = 0, raw_size = 0;      // the value as written, in the text
    json_type kind = json_type::null;
    bool integer = false;  // a number written without fraction or exponent that fits int64
    std::int64_t int_value = 0;
  };

  /// The object in `text`, or the first error (with byte offset).
  [[nodiscard]] static constexpr result<json_object> parse(std::string_view text, json_object_limits lim = {}) {
    return read(text, lim, false);
  }
  /// One JSON value of any kind in `text` (whitespace around it allowed), as member 0 with an
  /// empty name, or the first error (byte offsets in `text`).
  [[nodiscard]] static constexpr result<json_object> parse_value(std::string_view text, json_object_limits lim = {}) {
    return read(text, lim, true);
  }

  [[nodiscard]] constexpr std::size_t size() const noexcept { return members_.size(); }
  [[nodiscard]] constexpr const member& at(std::size_t i) const noexcept { return members_[i]; }
  /// Decoded name of member i.
  [[nodiscard]] constexpr std::string_view key(std::size_t i) const noexcept {
    return pool(members_[i].key_offset, members_[i].key_size);
  }
  /// Decoded value of member i when it is a string (empty otherwise).
  [[nodiscard]] constexpr std::string_view string_value(std::size_t i) const noexcept {
    return pool(members_[i].value_offset, members_[i].value_size);
  }
  /// Member i's value exactly as written in the text.
  [[nodiscard]] constexpr std::string_view raw(std::size_t i) const noexcept {
    return text_.substr(members_[i].raw_offset, members_[i].raw_size);
  }
  /// Index of the member named `name`, or size() when absent.
  [[nodiscard]] constexpr std::size_t find(std::string_view name) const noexcept {
    for (std::size_t i = 0; i < members_.size(); ++i)
      if (key(i) == name) return i;
    return members_.size();
  }

 private:
  [[nodiscard]] static constexpr result<json_object> read(std::string_view text, json_object_limits lim, bool one_value);
  [[nodiscard]] constexpr std::string_view pool(std::uint32_t off, std::uint32_t n) const noexcept {
    return n == 0 ? std::string_view() : std::string_view(pool_.data() + off, n);
  }

  std::string_view text_;
  std::vector<char> pool_;
  std::vector<member> members_;
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

constexpr result<json_object> json_object::read(std::string_view text, json_object_limits lim, bool one_value) {
  if (text.size() > lim.max_bytes) {
    error e(errc::limit_exceeded, static_cast<std::uint32_t>(lim.max_bytes));
    return e.append("JSON object of ").append_number(text.size()).append(" bytes exceeds the limit of ")
        .append_number(lim.max_bytes).append(" bytes");
  }
  json_object out;
  out.text_ = text;
  out.pool_.reserve(text.size());  // decoded strings are never longer than the text
  out.members_.reserve(16);
  json_reader r(text);
  error err;
  r.skip_ws();
  if (!one_value && (r.peek() != '{' || r.at_end())) {
    const auto kind = r.value_kind();
    if (kind.empty()) return r.unexpected("a JSON object");
    error e(errc::not_an_object, static_cast<std::uint32_t>(r.pos()));
    return e.append("expected a JSON object, found ").append(kind).append_at();
  }
  // Steps over n bytes already checked (json_reader moves only by what it reads).
  auto advance = [&](std::size_t n) {
    for (std::size_t k = 0; k < n; ++k) (void)r.expect(text[r.pos()], "", err);
  };
  std::vector<char> scratch;
  std::vector<bool> stack;  // open containers of a nested value: true for '{'
  // A scalar at the cursor (after whitespace): string (decoded into `into`), number or literal.
  auto read_scalar = [&](member& m, std::vector<char>& into) -> bool {
    const std::size_t start = r.pos();
    const char c = r.peek();
    if (c == '"' && !r.at_end()) {
      const std::size_t before = into.size();
      if (!r.read_string(into, err)) return false;
      m.kind = json_type::string;
      m.value_offset = static_cast<std::uint32_t>(before);
      m.value_size = static_cast<std::uint32_t>(into.size() - before);
      return true;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      const std::size_t end = read_json_number(text, start, &m.integer, &m.int_value);
      if (end == start) return err = r.unexpected("a number"), false;
      m.kind = json_type::number;
      advance(end - start);
      return true;
    }
    const std::string_view word = c == 't' ? "true" : c == 'f' ? "false" : "null";
    if ((c != 't' && c != 'f' && c != 'n') || text.substr(start, word.size()) != word)
      return err = r.unexpected("a value"), false;
    m.kind = c == 'n' ? json_type::null : json_type::boolean;
    advance(word.size());
    return true;
  };
  // One member value at the cursor into `m`; nested objects and arrays are validated
  // iteratively (no recursion) and kept as raw text.
  auto read_value = [&](member& m) -> bool {
    r.skip_ws();
    const std::size_t start = r.pos();
    const char first = r.peek();
    if (r.at_end()) return err = r.unexpected("a value"), false;
    if (first != '{' && first != '[') {
      if (!read_scalar(m, out.pool_)) return false;
    } else {
      m.kind = first == '{' ? json_type::object : json_type::array;
      stack.clear();
      for (;;) {
        // At a value position.
        r.skip_ws();
        const char d = r.peek();
        if (r.at_end()) return err = r.unexpected("a value"), false;
        bool value_done = true;
        if (d == '{' || d == '[') {
          if (stack.size() == lim.max_depth) {
            error e(errc::limit_exceeded, static_cast<std::uint32_t>(r.pos()));
            e.append("value nested deeper than ").append_number(lim.max_depth).append(" levels").append_at();
            return err = e, false;
          }
          advance(1);
          stack.push_back(d == '{');
          r.skip_ws();
          if (r.peek() == (d == '{' ? '}' : ']') && !r.at_end()) {
            advance(1);
            stack.pop_back();
          } else if (d == '{') {
            scratch.clear();
            if (!r.read_string(scratch, err) || !r.expect(':', "':'", err)) return false;
            value_done = false;
          } else {
            value_done = false;
          }
        } else {
          member inner;
          scratch.clear();
          if (!read_scalar(inner, scratch)) return false;
        }
        if (!value_done) continue;
        // After a complete value: close containers, or ',' and the next value.
        for (;;) {
          if (stack.empty()) break;
          r.skip_ws();
          const bool in_object = stack.back();
          if (r.peek() == (in_object ? '}' : ']') && !r.at_end()) {
            advance(1);
            stack.pop_back();
            continue;
          }
          if (!r.expect(',', in_object ? "',' or '}'" : "',' or ']'", err)) return false;
          if (in_object) {
            scratch.clear();
            if (!r.read_string(scratch, err) || !r.expect(':', "':'", err)) return false;
          }
          break;
        }
        if (stack.empty()) break;
      }
    }
    m.raw_offset = static_cast<std::uint32_t>(start);
    m.raw_size = static_cast<std::uint32_t>(r.pos() - start);
    return true;
  };
  if (one_value) {
    member m;
    if (!read_value(m)) return err;
    out.members_.push_back(m);
    r.skip_ws();
    if (!r.at_end()) {
      error e(errc::trailing_characters, static_cast<std::uint32_t>(r.pos()));
      return e.append("trailing characters after the JSON value").append_at();
    }
    return out;
  }
  (void)r.expect('{', "'{'", err);
  r.skip_ws();
  if (r.peek() == '}' && !r.at_end()) {
    (void)r.expect('}', "'}'", err);
  } else {
    for (;;) {
      r.skip_ws();
      const auto key_at = static_cast<std::uint32_t>(r.pos());
      if (out.members_.size() == lim.max_members) {
        error e(errc::limit_exceeded, key_at);
        return e.append("JSON object has more than ").append_number(lim.max_members).append(" members").append_at();
      }
      member m;
      const std::size_t before = out.pool_.size();
      if (!r.read_string(out.pool_, err)) return err;
      m.key_offset = static_cast<std::uint32_t>(before);
      m.key_size = static_cast<std::uint32_t>(out.pool_.size() - before);
      const std::string_view name(out.pool_.data() + before, m.key_size);
      for (std::size_t i = 0; i < out.members_.size(); ++i) {
        if (out.key(i) == name) {
          error e(errc::invalid_json, key_at);
          return e.append("member ").append_quoted(name).append(" listed twice").append_at();
        }
      }
      if (!r.expect(':', "':' after the member name", err)) return err;
      if (!read_value(m)) return err;
      out.members_.push_back(m);
      r.skip_ws();
      if (r.peek() == '}' && !r.at_end()) {
        (void)r.expect('}', "'}'", err);
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
  return out;
}

}  // namespace detail
CAPMATCH_NAMESPACE_END
