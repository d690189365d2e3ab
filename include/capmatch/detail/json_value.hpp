// capmatch — a strict reader of flat JSON objects (members are strings, numbers, booleans or
// null), for wire forms such as a TokenRequest or JWT claims. Internal; built on json_reader.
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

/// The kind of a flat member's value.
enum class json_kind : std::uint8_t { string, number, boolean, null };

/// One member of a flat object. `value` is the decoded UTF-8 of a string, the exact text of a
/// number (JSON grammar checked), "true"/"false", or "null"; offsets are bytes into the input.
struct json_member {
  std::string_view name;
  std::string_view value;
  json_kind kind = json_kind::null;
  std::uint32_t offset = 0;       // of the value's first byte
  std::uint32_t name_offset = 0;  // of the name's opening quote
};

/// Limits of flat_json_object::parse; input beyond one is an error, never truncated.
struct flat_json_limits {
  std::size_t max_bytes = 64u << 10;    // whole document
  std::size_t max_string_bytes = 16u << 10;  // one decoded string value or member name
};

/// A parsed flat JSON object: `{` members `}` with unique names, nothing after it but
/// whitespace. Nested objects and arrays are errors (the reader never recurses). Reuse one
/// object to avoid allocating: its buffer keeps its capacity.
class flat_json_object {
 public:
  /// Most members an object may have.
  static constexpr std::size_t max_members = 32;

  /// Parses `in`; on failure returns the error (errc::invalid_json, 40000, with a byte offset)
  /// and leaves the object empty. Returns an error with code errc::ok on success.
  [[nodiscard]] constexpr error parse(std::string_view in, const flat_json_limits& limits = {}) {
    size_ = 0;
    buf_.clear();
    error err = parse_members(in, limits);
    if (err.code() != errc::ok) {
      size_ = 0;
      return err;
    }
    for (std::size_t i = 0; i < size_; ++i) {  // the buffer no longer moves: make the views
      members_[i].name = view(spans_[i].name_at, spans_[i].name_len);
      if (members_[i].kind == json_kind::string) members_[i].value = view(spans_[i].value_at, spans_[i].value_len);
    }
    return err;
  }

  [[nodiscard]] constexpr std::size_t size() const noexcept { return size_; }
  [[nodiscard]] constexpr const json_member& operator[](std::size_t i) const noexcept { return members_[i]; }
  /// The member named `name`, or nullptr.
  [[nodiscard]] constexpr const json_member* find(std::string_view name) const noexcept {
    for (std::size_t i = 0; i < size_; ++i)
      if (members_[i].name == name) return &members_[i];
    return nullptr;
  }

 private:
  struct span {
    std::size_t name_at = 0, name_len = 0, value_at = 0, value_len = 0;
  };

  [[nodiscard]] constexpr std::string_view view(std::size_t at, std::size_t n) const noexcept {
    return n == 0 ? std::string_view() : std::string_view(buf_.data() + at, n);
  }

  [[nodiscard]] constexpr bool read_string(json_reader& r, std::size_t max, std::size_t& at, std::size_t& len,
                                           error& err) {
    r.skip_ws();
    const std::size_t start = r.pos();
    at = buf_.size();
    if (!r.read_string(buf_, err)) return false;
    len = buf_.size() - at;
    if (len > max) {
      error e(errc::limit_exceeded, static_cast<std::uint32_t>(start));
      e.append("string of ").append_number(len).append(" bytes").append_at();
      err = e.append("; at most ").append_number(max).append(" allowed");
      return false;
    }
    return true;
  }

  /// Checks the JSON number grammar at the cursor and returns its text (empty when it is not one).
  [[nodiscard]] static constexpr std::string_view number_at(std::string_view in, std::size_t p) noexcept {
    const std::size_t start = p;
    auto digit = [&](std::size_t i) { return i < in.size() && in[i] >= '0' && in[i] <= '9'; };
    if (p < in.size() && in[p] == '-') ++p;
    if (!digit(p)) return {};
    if (in[p] == '0') ++p;
    else
      while (digit(p)) ++p;
    if (p < in.size() && in[p] == '.') {
      if (!digit(++p)) return {};
      while (digit(p)) ++p;
    }
    if (p < in.size() && (in[p] == 'e' || in[p] == 'E')) {
      ++p;
      if (p < in.size() && (in[p] == '+' || in[p] == '-')) ++p;
      if (!digit(p)) return {};
      while (digit(p)) ++p;
    }
    return in.substr(start, p - start);
  }

  [[nodiscard]] constexpr error parse_members(std::string_view in, const flat_json_limits& limits) {
    if (in.size() > limits.max_bytes) {
      error e(errc::limit_exceeded, 0);
      return e.append("document of ").append_number(in.size()).append(" bytes; at most ")
          .append_number(limits.max_bytes).append(" allowed");
    }
    if (in.empty()) return error(errc::empty_input, 0, "empty input; expected a JSON object");
    buf_.reserve(in.size());  // decoded text is never longer than the input: no view moves
    json_reader r(in);
    error err;
    if (!r.expect('{', "'{' (a JSON object)", err)) return err;
    r.skip_ws();
    if (r.peek() == '}' && !r.at_end()) {
      (void)r.expect('}', "'}'", err);
    } else {
      for (;;) {
        r.skip_ws();
        const std::size_t name_pos = r.pos();
        span s;
        if (!read_string(r, limits.max_string_bytes, s.name_at, s.name_len, err)) return err;
        const std::string_view name = view(s.name_at, s.name_len);
        for (std::size_t i = 0; i < size_; ++i) {
          if (view(spans_[i].name_at, spans_[i].name_len) == name) {
            error e(errc::invalid_json, static_cast<std::uint32_t>(name_pos));
            return e.append("duplicate member ").append_quoted(name).append_at();
          }
        }
        if (size_ == max_members) {
          error e(errc::limit_exceeded, static_cast<std::uint32_t>(name_pos));
          return e.append("more than ").append_number(max_members).append(" members").append_at();
        }
        if (!r.expect(':', "':'", err)) return err;
        r.skip_ws();
        json_member m;
        m.offset = static_cast<std::uint32_t>(r.pos());
        m.name_offset = static_cast<std::uint32_t>(name_pos);
        const char c = r.peek();
        if (c == '"') {
          m.kind = json_kind::string;
          if (!read_string(r, limits.max_string_bytes, s.value_at, s.value_len, err)) return err;
        } else if (c == '{' || c == '[') {
          error e(errc::invalid_json, m.offset);
          e.append("member ").append_quoted(name).append(" is ").append(r.value_kind()).append_at();
          return e.append("; expected a string, number, boolean or null");
        } else {
          std::string_view lit;
          for (std::string_view w : {std::string_view("true"), std::string_view("false"), std::string_view("null")})
            if (in.substr(m.offset, w.size()) == w) lit = w;
          if (!lit.empty()) {
            m.kind = lit == "null" ? json_kind::null : json_kind::boolean;
          } else {
            lit = number_at(in, m.offset);
            if (lit.empty()) return r.unexpected("a string, number, boolean or null");
            m.kind = json_kind::number;
          }
          m.value = lit;
          for (char k : lit)  // (json_reader has no skip: consume the literal's bytes one by one)
            if (!r.expect(k, "a literal", err)) return err;
        }
        members_[size_] = m;
        spans_[size_++] = s;
        r.skip_ws();
        if (r.peek() == ',' && !r.at_end()) {
          (void)r.expect(',', "','", err);
          continue;
        }
        if (!r.expect('}', "',' or '}'", err)) return err;
        break;
      }
    }
    r.skip_ws();
    if (!r.at_end()) {
      error e(errc::trailing_characters, static_cast<std::uint32_t>(r.pos()));
      return e.append("unexpected text after the JSON object").append_at();
    }
    return {};
  }

  std::vector<char> buf_;
  json_member members_[max_members]{};
  span spans_[max_members]{};
  std::size_t size_ = 0;
};

/// The value of a JSON number or decimal string that is a non-negative integer without sign,
/// fraction, exponent or leading zeros, at most `max`; false otherwise.
[[nodiscard]] constexpr bool parse_decimal(std::string_view s, std::uint64_t max, std::uint64_t& out) noexcept {
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (max - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

}  // namespace detail
CAPMATCH_NAMESPACE_END
