// capmatch — build a capability from (resource, operations) pairs, and template untrusted
// values into resource names safely (docs/semantics.md §1, §2, Decisions B1–B4).
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "capability.hpp"
#include "error.hpp"
#include "json.hpp"
#include "limits.hpp"
#include "operation.hpp"
#include "resource.hpp"
#include "version.hpp"

CAPMATCH_NAMESPACE_BEGIN

/// One value for a resource_template placeholder: {name} takes `value`.
struct binding {
  std::string_view name;
  std::string_view value;
};

/// A resource pattern with placeholders, e.g. "chat:{room}:*", into which untrusted values are
/// put (docs/semantics.md Decision B3). A placeholder is a whole body segment `{name}` (name:
/// ASCII letters, digits, '_', at most 64 bytes); outside placeholders the template is a valid
/// pattern and holds no '{' or '}'. A value fills exactly one segment and is never read as
/// pattern syntax: it must be non-empty valid UTF-8 without ':', '*', '[', ']', '?', '=', '{',
/// '}' or control characters (U+0000–U+001F, U+007F–U+009F), else the formatting is an error.
class resource_template {
 public:
  static constexpr std::size_t max_placeholder_name = 64;

  /// A validated template, or an error (40000, offset into `text`).
  [[nodiscard]] static constexpr result<resource_template> parse(std::string_view text);

  constexpr resource_template() = default;

  /// The template text as given.
  [[nodiscard]] constexpr std::string_view text() const noexcept { return {text_.data(), text_.size()}; }
  /// Number of placeholder occurrences (a name used twice counts twice).
  [[nodiscard]] constexpr std::size_t placeholders() const noexcept { return holes_.size(); }

  /// Appends the resource with every placeholder replaced by its bound value, and returns the
  /// number of bytes appended; on error appends nothing. Errors (40000): a binding whose name is
  /// no placeholder, a name bound twice, a placeholder left unbound, a value that is not a safe
  /// segment (offset: the byte in the value), a result beyond the pattern limits.
  constexpr result<std::size_t> format_to(std::vector<char>& out, std::span<const binding> values) const;
  /// As above, for a braced list: format_to(out, {{"room", value}}).
  constexpr result<std::size_t> format_to(std::vector<char>& out, std::initializer_list<binding> values) const {
    return format_to(out, std::span<const binding>(values.begin(), values.size()));
  }
  /// The formatted resource as a string (run time).
  [[nodiscard]] result<std::string> format(std::initializer_list<binding> values) const {
    std::vector<char> out;
    const auto r = format_to(out, values);
    if (!r) return r.error();
    return std::string(out.begin(), out.end());
  }

 private:
  struct hole {
    std::uint32_t at = 0, size = 0;  // "{name}" in text_, braces included
  };
  [[nodiscard]] constexpr std::string_view hole_name(const hole& h) const noexcept {
    return text().substr(h.at + 1, h.size - 2);
  }
  std::vector<char> text_;
  std::vector<hole> holes_;
};

namespace detail {

/// Why `value` cannot fill the segment of placeholder `name`, or a value (true) when it can.
[[nodiscard]] constexpr result<bool> check_segment_value(std::string_view name, std::string_view value) noexcept {
  auto fail = [&](std::size_t at) {
    error e(errc::invalid_resource, static_cast<std::uint32_t>(at));
    return e.append("value for {").append(name).append('}');
  };
  if (value.empty()) {
    error e(errc::invalid_resource, 0);
    return e.append("value for {").append(name).append("} is empty; a value fills exactly one segment");
  }
  for (std::size_t i = 0; i < value.size();) {
    const auto c = static_cast<unsigned char>(value[i]);
    std::uint32_t control = 0x110000;  // the code point when it is a control character
    std::size_t len = 1;
    if (c < 0x20 || c == 0x7F) {
      control = c;
    } else if (c >= 0x80) {
      len = utf8_length(value, i);
      if (len == 0) return fail(i).append(" is not valid UTF-8").append_at();
      if (c == 0xC2 && static_cast<unsigned char>(value[i + 1]) < 0xA0)  // U+0080..U+009F (C1)
        control = static_cast<unsigned char>(value[i + 1]);
    } else {
      constexpr std::string_view forbidden = ":*[]?={}";
      if (forbidden.find(static_cast<char>(c)) != std::string_view::npos) {
        error e = fail(i);
        e.append(" contains '").append(static_cast<char>(c)).append('\'').append_at();
        return e.append("; a value fills one segment and may not hold : * [ ] ? = { } or control characters");
      }
    }
    if (control != 0x110000) {
      constexpr char hex[] = "0123456789ABCDEF";
      const char u[6] = {'U', '+', '0', '0', hex[control >> 4], hex[control & 15]};
      return fail(i).append(" contains the control character ").append(std::string_view(u, 6)).append_at();
    }
    i += len;
  }
  return true;
}

}  // namespace detail

constexpr result<resource_template> resource_template::parse(std::string_view text) {
  auto fail = [&](std::size_t at, std::string_view what) {
    error e(errc::invalid_resource, static_cast<std::uint32_t>(at));
    return e.append("template ").append_quoted(text).append(what).append_at();
  };
  // The text itself must be a valid pattern: a placeholder is then one literal segment to it.
  if (auto p = parse_pattern(text); !p) return p.error();
  const std::size_t body_at = text.size() - parse_pattern(text)->body.size();
  resource_template t;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '}') return fail(i, " has '}' without an opening '{'");
    if (text[i] != '{') continue;
    if (i < body_at) return fail(i, " has a placeholder inside its qualifier; placeholders fill body segments only");
    const std::size_t close = text.find('}', i);
    if (close == std::string_view::npos) return fail(i, " has '{' without a closing '}'");
    const std::string_view name = text.substr(i + 1, close - i - 1);
    bool ok = !name.empty() && name.size() <= max_placeholder_name;
    for (char c : name)
      ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_');
    if (!ok) return fail(i, " has a placeholder name that is not 1-64 letters, digits or '_'");
    const bool starts = i == body_at || text[i - 1] == ':';
    const bool ends = close + 1 == text.size() || text[close + 1] == ':';
    if (!starts || !ends) return fail(i, " has a placeholder that is not a whole segment, as in 'chat:{room}:*'");
    t.holes_.push_back(hole{static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(close - i + 1)});
    i = close;
  }
  t.text_.assign(text.begin(), text.end());
  return t;
}

constexpr result<std::size_t> resource_template::format_to(std::vector<char>& out,
                                                           std::span<const binding> values) const {
  for (std::size_t k = 0; k < values.size(); ++k) {
    const binding& b = values[k];
    bool known = false;
    for (const hole& h : holes_) known = known || hole_name(h) == b.name;
    if (!known) {
      error e(errc::invalid_resource, no_offset);
      return e.append("template ").append_quoted(text()).append(" has no placeholder ").append_quoted(b.name);
    }
    for (std::size_t m = 0; m < k; ++m) {
      if (values[m].name != b.name) continue;
      error e(errc::invalid_resource, no_offset);
      return e.append("placeholder {").append(b.name).append("} is bound twice");
    }
    if (auto ok = detail::check_segment_value(b.name, b.value); !ok) return ok.error();
  }
  const std::size_t mark = out.size();
  std::size_t from = 0;
  for (const hole& h : holes_) {
    const binding* bound = nullptr;
    for (const binding& b : values) bound = b.name == hole_name(h) ? &b : bound;
    if (bound == nullptr) {
      out.resize(mark);
      error e(errc::invalid_resource, no_offset);
      return e.append("placeholder {").append(hole_name(h)).append("} of template ").append_quoted(text()).append(" is not bound");
    }
    out.insert(out.end(), text_.begin() + static_cast<std::ptrdiff_t>(from), text_.begin() + h.at);
    out.insert(out.end(), bound->value.begin(), bound->value.end());
    from = h.at + h.size;
  }
  out.insert(out.end(), text_.begin() + static_cast<std::ptrdiff_t>(from), text_.end());
  // Values are single safe segments, so only the limits can fail here.
  if (auto p = parse_pattern(std::string_view(out.data() + mark, out.size() - mark)); !p) {
    out.resize(mark);
    return p.error();
  }
  return out.size() - mark;
}

/// Builds a capability without JSON (docs/semantics.md Decisions B1–B2). Entries are checked as
/// they are added, exactly as capability::parse checks the equivalent document: the one that
/// lists the same entries, in the order added, as compact JSON ({"res":["op",...],...}). The first
/// error is kept (later adds are ignored) and build() returns it: the same code, offset and
/// message parse gives for that document up to and including the failing entry. A resource
/// added twice (the same bytes) is error duplicate_resource, as in a document; to merge, use
/// unite (union.hpp). The result is canonical: build() and parse give identical capabilities.
class capability_builder {
 public:
  constexpr capability_builder() = default;

  /// Adds `resource` granting the operations named in `ops` ("*" alone for all).
  constexpr capability_builder& add(std::string_view resource, std::span<const std::string_view> ops) {
    if (failed_) return *this;
    bool ok = valid_text(resource) && parse_pattern(resource).has_value() && !ops.empty();
    op_set set;
    for (std::size_t i = 0; ok && i < ops.size(); ++i) {
      const std::string_view name = ops[i];
      if (!valid_text(name)) {
        ok = false;
      } else if (name == "*" || set.is_all()) {
        ok = set.empty();
        set = op_set::all();
      } else if (const auto o = parse_operation(name); !o || set.contains(*o)) {
        ok = false;
      } else {
        set.insert(*o);
      }
    }
    std::size_t list = 2 + (ops.empty() ? 0 : ops.size() - 1);  // [] and commas
    for (const std::string_view name : ops) list += detail::json_string_size(name);
    return accept(resource, set, list, ok, ops);
  }
  /// As above, for a braced list: add("chat:*", {"publish", "subscribe"}).
  constexpr capability_builder& add(std::string_view resource, std::initializer_list<std::string_view> ops) {
    return add(resource, std::span<const std::string_view>(ops.begin(), ops.size()));
  }
  /// Adds `resource` granting `ops` (written by their names in canonical order; empty is an error).
  constexpr capability_builder& add(std::string_view resource, op_set ops) {
    if (failed_) return *this;
    std::size_t list = 2 + (ops.empty() ? 0 : ops.size() - 1);
    ops.for_each_name([&](std::string_view n) { list += n.size() + 2; });
    const bool ok = valid_text(resource) && parse_pattern(resource).has_value() && !ops.empty();
    return accept(resource, ops, list, ok, std::span<const std::string_view>());
  }
  /// Adds the resource `tmpl` gives with `values` (resource_template::format_to: its errors are
  /// the template's own, without an offset into a document).
  constexpr capability_builder& add(const resource_template& tmpl, std::initializer_list<binding> values, op_set ops) {
    if (failed_) return *this;
    std::vector<char> res;
    if (const auto r = tmpl.format_to(res, values); !r) return fail(r.error());
    return add(std::string_view(res.data(), res.size()), ops);
  }
  /// As above, with the operations by name.
  constexpr capability_builder& add(const resource_template& tmpl, std::initializer_list<binding> values,
                                    std::initializer_list<std::string_view> ops) {
    if (failed_) return *this;
    std::vector<char> res;
    if (const auto r = tmpl.format_to(res, values); !r) return fail(r.error());
    return add(std::string_view(res.data(), res.size()), ops);
  }

  /// True when every add so far was valid (a duplicate resource is found only by build()).
  [[nodiscard]] constexpr bool ok() const noexcept { return !failed_; }
  /// The capability, in canonical order, or the first error.
  [[nodiscard]] constexpr result<capability> build() const {
    if (failed_) return error_;
    capability c = cap_;
    if (detail::capability_access::sort(c, false) != c.size()) return parse_error();
    return c;
  }

 private:
  // True when `s` is text a JSON document can carry: well-formed UTF-8 (the reader's rule).
  [[nodiscard]] static constexpr bool valid_text(std::string_view s) noexcept {
    for (std::size_t i = 0; i < s.size();) {
      const std::size_t len = detail::utf8_length(s, i);
      if (len == 0) return false;
      i += len;
    }
    return true;
  }

  constexpr capability_builder& accept(std::string_view resource, op_set set, std::size_t list_bytes, bool ok,
                                       std::span<const std::string_view> names) {
    const std::size_t key_at = doc_bytes_ + (cap_.empty() ? 0 : 1);
    const std::size_t end = key_at + detail::json_string_size(resource) + 1 + list_bytes;
    ok = ok && cap_.size() < max_resources && end + 1 <= max_document_bytes;
    if (!ok) return fail(parse_error(resource, set, names, true));
    detail::capability_access::add(cap_, resource, set, static_cast<std::uint32_t>(key_at));
    doc_bytes_ = end;
    return *this;
  }

  constexpr capability_builder& fail(const error& e) {
    failed_ = true;
    error_ = e;
    return *this;
  }

  // The error capability::parse gives for the equivalent document: the entries added so far
  // (valid, so their operations in canonical order take the same bytes as written), then, with
  // `pending`, the failing entry as given (its names, or `set` written by name when `names` is
  // empty). One validation path: parse's own.
  [[nodiscard]] constexpr error parse_error(std::string_view res = {}, op_set set = {},
                                            std::span<const std::string_view> names = {}, bool pending = false) const {
    std::vector<char> doc{'{'};
    auto entry = [&](std::string_view res, auto&& each_op) {
      if (doc.size() > 1) doc.push_back(',');
      detail::write_json_string(res, doc);
      doc.push_back(':');
      doc.push_back('[');
      const std::size_t at = doc.size();
      each_op([&](std::string_view n) {
        if (doc.size() != at) doc.push_back(',');
        detail::write_json_string(n, doc);
      });
      doc.push_back(']');
    };
    for (std::size_t i = 0; i < cap_.size(); ++i)
      entry(cap_.resource(i), [&](auto&& put) { cap_.ops(i).for_each_name(put); });
    if (pending) {
      if (names.empty())
        entry(res, [&](auto&& put) { set.for_each_name(put); });
      else
        entry(res, [&](auto&& put) { for (const std::string_view n : names) put(n); });
    }
    doc.push_back('}');
    const auto r = capability::parse(std::string_view(doc.data(), doc.size()));
    if (!r) return r.error();
    return error(errc::invalid_json, no_offset, "capability_builder: internal error: the document parses");
  }

  capability cap_;
  std::size_t doc_bytes_ = 1;  // the equivalent document so far, without its closing '}'
  bool failed_ = false;
  error error_;
};

CAPMATCH_NAMESPACE_END
