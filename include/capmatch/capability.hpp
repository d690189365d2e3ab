// capmatch — capabilities: parse and validate (docs/semantics.md §1), canonical text, checks (§3).
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "error.hpp"
#include "detail/json.hpp"
#include "limits.hpp"
#include "operation.hpp"
#include "pattern.hpp"
#include "version.hpp"

CAPMATCH_NAMESPACE_BEGIN

class capability;
namespace detail {
struct capability_access;
}

/// A validated capability: resource patterns with the operations each grants, kept in
/// canonical order (resources ascending by byte value). Immutable once built.
class capability {
 public:
  /// A parsed capability document, or the first error in it (code 40000, with byte offset).
  [[nodiscard]] static constexpr result<capability> parse(std::string_view json);

  constexpr capability() = default;

  /// Number of resources.
  [[nodiscard]] constexpr std::size_t size() const noexcept { return entries_.size(); }
  [[nodiscard]] constexpr bool empty() const noexcept { return entries_.empty(); }
  /// Resource i (0 <= i < size()) as written, in canonical order.
  [[nodiscard]] constexpr std::string_view resource(std::size_t i) const noexcept {
    const auto& e = entries_[i];
    return view(e.offset, e.size);
  }
  /// The operations resource i grants.
  [[nodiscard]] constexpr op_set ops(std::size_t i) const noexcept { return entries_[i].ops; }
  /// Resource i as a pattern (a view into this capability).
  [[nodiscard]] constexpr pattern pattern_at(std::size_t i) const noexcept {
    const auto& e = entries_[i];
    return pattern{e.kind, view(e.qualifier_offset, e.qualifier_size),
                   view(e.offset + e.body_skip, e.size - e.body_skip)};
  }
  /// Byte offset of resource i in the parsed document (0 for built capabilities).
  [[nodiscard]] constexpr std::uint32_t source_offset(std::size_t i) const noexcept {
    return entries_[i].source_offset;
  }

  /// Union of the operations of every pattern that matches `name` (docs/semantics.md §11).
  [[nodiscard]] constexpr op_set ops_for(const resource_name& name) const noexcept {
    op_set out;
    for (std::size_t i = 0; i < entries_.size(); ++i)
      if (matches(pattern_at(i), name)) out = out | entries_[i].ops;
    return out;
  }
  /// As above for a name in text; an invalid name is granted nothing (parse_name says why).
  [[nodiscard]] constexpr op_set ops_for(std::string_view name) const noexcept {
    const auto parsed = parse_name(name);
    return parsed ? ops_for(*parsed) : op_set{};
  }
  /// True when `op` is allowed on `name`. App-wide operations (stats, push-admin) are never
  /// allowed on a resource: check them with allows_app_wide (docs/semantics.md §12).
  [[nodiscard]] constexpr bool allows(const resource_name& name, operation op) const noexcept {
    return !is_app_wide(op) && ops_for(name).contains(op);
  }
  [[nodiscard]] constexpr bool allows(std::string_view name, operation op) const noexcept {
    const auto parsed = parse_name(name);
    return parsed && allows(*parsed, op);
  }
  /// True when `op` is granted app-wide: on "*" or "[*]*" (docs/semantics.md §12). This is the check
  /// for stats, push-admin, and (with channel_metadata) enumerating channels.
  [[nodiscard]] constexpr bool allows_app_wide(operation op) const noexcept {
    for (std::size_t i = 0; i < entries_.size(); ++i)
      if (pattern_at(i).covers_all_channels() && entries_[i].ops.contains(op)) return true;
    return false;
  }
  /// True when the capability allows enumerating channels (channel-metadata on "*" or "[*]*").
  [[nodiscard]] constexpr bool allows_channel_enumeration() const noexcept {
    return allows_app_wide(operation::channel_metadata);
  }

  /// Appends the canonical JSON text (docs/semantics.md §1.5) to `out`.
  constexpr void write_json(std::vector<char>& out) const {
    // Measured first, then written in place: one resize, no per-byte capacity checks.
    std::size_t size = 2 + (entries_.empty() ? 0 : entries_.size() - 1);  // {}, commas
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      size += detail::json_string_size(resource(i)) + 3;  // :[]
      std::size_t names = 0;
      entries_[i].ops.for_each_name([&](std::string_view n) { size += n.size() + 2 + (names++ != 0); });
    }
    const std::size_t at = out.size();
    out.resize(at + size, '\0');  // (with a value: clang's constant evaluation rejects resize(n) of chars)
    char* p = out.data() + at;
    *p++ = '{';
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (i != 0) *p++ = ',';
      p = detail::write_json_string(resource(i), p);
      *p++ = ':';
      *p++ = '[';
      bool first = true;
      // Operation names need no escapes: written directly (write_json_string's escape check
      // on each name measured ~9 % slower on parse + canonical text at 4096 entries).
      entries_[i].ops.for_each_name([&](std::string_view n) {
        if (!first) *p++ = ',';
        first = false;
        *p++ = '"';
        p = std::copy(n.begin(), n.end(), p);
        *p++ = '"';
      });
      *p++ = ']';
    }
    *p = '}';
  }
  /// The canonical JSON text: byte-identical for equal capabilities.
  [[nodiscard]] std::string to_json() const {
    std::vector<char> out;
    write_json(out);
    return std::string(out.begin(), out.end());
  }

  /// Equal when the canonical texts are equal.
  friend constexpr bool operator==(const capability& a, const capability& b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (a.resource(i) != b.resource(i) || a.ops(i) != b.ops(i)) return false;
    return true;
  }

 private:
  friend struct detail::capability_access;

  struct entry {
    std::uint32_t offset = 0, size = 0;  // resource bytes in text_
    std::uint32_t qualifier_offset = 0, qualifier_size = 0;
    std::uint32_t body_skip = 0;  // bytes of the qualifier prefix
    std::uint32_t source_offset = 0;
    qualifier_kind kind = qualifier_kind::none;
    op_set ops;
  };

  [[nodiscard]] constexpr std::string_view view(std::uint32_t off, std::uint32_t n) const noexcept {
    return n == 0 ? std::string_view() : std::string_view(text_.data() + off, n);
  }

  // Appends a resource known to be a valid pattern.
  constexpr void add(std::string_view res, const pattern& p, op_set ops, std::uint32_t source_offset) {
    const std::size_t at = text_.size();
    text_.insert(text_.end(), res.begin(), res.end());
    add_text_end(at, p, ops, source_offset);
  }
  // Makes the text from byte `at` to the end of text_ an entry: a valid pattern whose qualifier
  // and body sizes are p's.
  constexpr void add_text_end(std::size_t at, const pattern& p, op_set ops, std::uint32_t source_offset) {
    entry e;
    e.offset = static_cast<std::uint32_t>(at);
    e.size = static_cast<std::uint32_t>(text_.size() - at);
    e.kind = p.kind;
    e.body_skip = static_cast<std::uint32_t>(e.size - p.body.size());
    if (p.kind == qualifier_kind::named) {
      e.qualifier_offset = e.offset + 1;  // "[q..." : the name starts after '['
      e.qualifier_size = static_cast<std::uint32_t>(p.qualifier.size());
    }
    e.source_offset = source_offset;
    e.ops = ops;
    entries_.push_back(e);
  }

  // Sorts into canonical order. With merge, equal resources unite their ops; without,
  // the first equal pair is returned as an index (the later of the two in the source).
  constexpr std::size_t sort_entries(bool merge) {
    if (entries_.size() <= small_sort) {
      // Few entries (a typical token): insertion sort in place, stable, so equal resources keep
      // the order they were added in, which is source order for a parsed document.
      for (std::size_t i = 1; i < entries_.size(); ++i) {
        const entry e = entries_[i];
        const std::string_view res = view(e.offset, e.size);
        std::size_t k = i;
        for (; k != 0 && res < view(entries_[k - 1].offset, entries_[k - 1].size); --k) entries_[k] = entries_[k - 1];
        entries_[k] = e;
      }
    } else {
      sort_large();
    }
    std::size_t out = 0;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (out != 0 && view(entries_[out - 1].offset, entries_[out - 1].size) ==
                          view(entries_[i].offset, entries_[i].size)) {
        if (!merge) return i;
        entries_[out - 1].ops = entries_[out - 1].ops | entries_[i].ops;
        continue;
      }
      entries_[out++] = entries_[i];
    }
    entries_.resize(out);
    return entries_.size();
  }
  // Up to this many entries sort_entries sorts in place without keys (measured: the keys,
  // their allocation and the permutation cost more than they save on a typical token).
  static constexpr std::size_t small_sort = 16;

  // Sorts by resource, ties by source offset: as small keys, then the entries permuted once.
  constexpr void sort_large() {
    // Most comparisons are decided by the first 16 bytes, compared as two numbers (big-endian, a
    // shorter resource zero-padded: no resource holds U+0000, so this orders like the bytes);
    // ties compare the rest.
    struct sort_key {
      std::uint64_t p0 = 0, p1 = 0;
      std::uint32_t index = 0;
    };
    std::vector<sort_key> keys(entries_.size());
    for (std::size_t k = 0; k < entries_.size(); ++k) {
      const entry& e = entries_[k];
      const std::string_view res = view(e.offset, e.size);
      sort_key& key = keys[k];
      for (std::size_t i = 0; i < 16; ++i) {
        const std::uint64_t byte = i < res.size() ? static_cast<unsigned char>(res[i]) : 0u;
        (i < 8 ? key.p0 : key.p1) = (i < 8 ? key.p0 : key.p1) << 8 | byte;
      }
      key.index = static_cast<std::uint32_t>(k);
    }
    std::sort(keys.begin(), keys.end(), [this](const sort_key& x, const sort_key& y) {
      if (x.p0 != y.p0) return x.p0 < y.p0;
      if (x.p1 != y.p1) return x.p1 < y.p1;
      const entry& a = entries_[x.index];
      const entry& b = entries_[y.index];
      const int c = view(a.offset, a.size).compare(view(b.offset, b.size));
      return c != 0 ? c < 0 : a.source_offset < b.source_offset;
    });
    std::vector<entry> sorted(entries_.size());
    for (std::size_t k = 0; k < keys.size(); ++k) sorted[k] = entries_[keys[k].index];
    entries_ = std::move(sorted);
  }

  // Drops resource text no entry refers to any more (after a merging sort).
  constexpr void compact_text() {
    std::size_t live = 0;
    for (const auto& e : entries_) live += e.size;
    if (live == text_.size()) return;  // no dead text (each entry has text of its own)
    std::vector<char> text;
    text.reserve(live);
    for (auto& e : entries_) {
      const auto off = static_cast<std::uint32_t>(text.size());
      text.insert(text.end(), text_.begin() + e.offset, text_.begin() + e.offset + e.size);
      if (e.kind == qualifier_kind::named) e.qualifier_offset = e.qualifier_offset - e.offset + off;
      e.offset = off;
    }
    text_ = std::move(text);
  }

  std::vector<char> text_;
  std::vector<entry> entries_;
};

namespace detail {
/// Builds capabilities from already-validated parts (used by parse and intersect).
struct capability_access {
  static constexpr void add(capability& c, std::string_view res, op_set ops, std::uint32_t source_offset) {
    c.add(res, parse_pattern(res).value(), ops, source_offset);
  }
  static constexpr void add(capability& c, std::string_view res, const pattern& p, op_set ops,
                            std::uint32_t source_offset) {
    c.add(res, p, ops, source_offset);
  }
  /// The text buffer, for detail::intersect to write a resource into before add_text_end.
  [[nodiscard]] static constexpr std::vector<char>& text(capability& c) noexcept { return c.text_; }
  /// Makes the text from byte `at` to the end of text(c) a resource: a valid pattern whose
  /// qualifier and body have the sizes of p's.
  static constexpr void add_text_end(capability& c, std::size_t at, const pattern& p, op_set ops) {
    c.add_text_end(at, p, ops, 0);
  }
  /// Room for `entries` resources of `bytes` bytes in all.
  static constexpr void reserve(capability& c, std::size_t entries, std::size_t bytes) {
    c.entries_.reserve(entries);
    c.text_.reserve(bytes);
  }
  /// Canonical order; returns the index of a duplicate resource, or size() if none.
  static constexpr std::size_t sort(capability& c, bool merge) { return c.sort_entries(merge); }
  /// Releases the text of entries a merging sort removed.
  static constexpr void compact(capability& c) { c.compact_text(); }
};

}  // namespace detail

constexpr result<capability> capability::parse(std::string_view json) {
  if (json.size() > max_document_bytes) {
    error e(error_reason::document_too_large, static_cast<std::uint32_t>(max_document_bytes));
    return e.append("capability document of ").append_number(json.size()).append(" bytes exceeds the limit of ")
        .append_number(max_document_bytes).append(" bytes (capmatch::max_document_bytes)");
  }
  if (json.size() >= 3 && json[0] == '\xEF' && json[1] == '\xBB' && json[2] == '\xBF')
    return error(error_reason::byte_order_mark, 0, "byte order mark at byte 0; capability JSON must start with '{'");
  detail::json_reader r(json);
  r.skip_ws();
  if (r.at_end())
    return error(error_reason::empty_input, 0, "empty input; a capability is a JSON object such as {\"channel\":[\"subscribe\"]}");
  if (r.peek() != '{') {
    const auto kind = r.value_kind();
    if (kind == error_hint::none) return r.unexpected(error_hint::expected_object);
    error e(error_reason::not_an_object, static_cast<std::uint32_t>(r.pos()));
    e.append("a capability must be a JSON object, found ").append(r.hint_text(kind)).append_at();
    return e.set_hint(kind);
  }
  error err;
  (void)r.expect('{', error_hint::expected_open_brace, err);
  capability cap;
  // One allocation each for the text and the entries: decoded resources are never longer than
  // the document, and a resource takes at least 10 bytes of it ("r":["*"],).
  cap.text_.reserve(json.size());
  cap.entries_.reserve(std::min<std::size_t>(json.size() / 10 + 1, capability::small_sort));
  // At run time a string without escapes, controls or non-ASCII bytes is a view of the document;
  // any other is decoded (and checked) by read_string into `buf`, exactly as before. (Constant
  // evaluation always copies: g++ 12 rejects views into a temporary document, as in
  // static_capability's parse of its own text.)
  std::vector<char> key, op;
  auto read_text = [&](std::vector<char>& buf, std::string_view& out) {
    r.skip_ws();
    if (!std::is_constant_evaluated() && r.peek() == '"' && !r.at_end()) {
      const std::size_t begin = r.pos() + 1, end = detail::plain_ascii_end(json, begin);
      if (end < json.size() && json[end] == '"') {
        out = json.substr(begin, end - begin);
        r.skip(end + 1 - r.pos());
        return true;
      }
    }
    buf.clear();
    if (!r.read_string(buf, err)) return false;
    out = std::string_view(buf.data(), buf.size());
    return true;
  };
  r.skip_ws();
  if (r.peek() == '}') {
    (void)r.expect('}', error_hint::expected_close_brace, err);
  } else {
    for (;;) {
      r.skip_ws();
      const auto key_at = static_cast<std::uint32_t>(r.pos());
      if (cap.size() == max_resources) {
        error e(error_reason::too_many_resources, key_at);
        e.append("capability lists more than ").append_number(max_resources).append(" resources").append_at();
        return e.append(" (capmatch::max_resources)");
      }
      std::string_view res;
      if (!read_text(key, res)) return err;
      auto pat = parse_pattern(res, key_at);
      if (!pat) return pat.error();
      if (!r.expect(':', error_hint::expected_colon, err)) return err;
      r.skip_ws();
      if (r.peek() != '[' || r.at_end()) {
        const auto kind = r.value_kind();
        if (kind == error_hint::none) return r.unexpected(error_hint::expected_operations);
        error e(error_reason::operations_not_array, static_cast<std::uint32_t>(r.pos()));
        e.append("operations for resource ").append_quoted(res).append(" must be an array of strings, found ");
        return e.append(r.hint_text(kind)).append_at().set_hint(kind);
      }
      const auto list_at = static_cast<std::uint32_t>(r.pos());
      (void)r.expect('[', error_hint::expected_open_bracket, err);
      r.skip_ws();
      if (r.peek() == ']') {
        error e(error_reason::empty_operations, list_at);
        e.append("empty operation list for resource ").append_quoted(res).append_at();
        return e.append("; list at least one operation, or \"*\" for all");
      }
      op_set ops;
      for (;;) {
        r.skip_ws();
        const auto op_at = static_cast<std::uint32_t>(r.pos());
        if (r.peek() != '"' || r.at_end()) {
          const auto kind = r.value_kind();
          if (kind == error_hint::none) return r.unexpected(error_hint::expected_operation_name);
          error e(error_reason::operation_not_string, op_at);
          e.append("operations for resource ").append_quoted(res).append(" must be strings, found ");
          return e.append(r.hint_text(kind)).append_at().set_hint(kind);
        }
        std::string_view name;
        if (!read_text(op, name)) return err;
        if (name == "*" || ops.is_all()) {
          if (!ops.empty()) {
            error e(error_reason::wildcard_not_alone, op_at);
            e.append("'*' must be the only operation for resource ").append_quoted(res);
            if (name != "*") {
              e.append(", found ").append_quoted(name);  // ["*", "publish"]
            } else if (ops.is_all()) {
              e.append(", found it twice");  // ["*", "*"]
            } else {
              std::string_view before;  // ["publish", "*"]: name an operation listed before it
              ops.for_each_name([&](std::string_view n) { before = before.empty() ? n : before; });
              e.append(", found it after ").append_quoted(before);
            }
            return e.append_at();
          }
          ops = op_set::all();
        } else if (const auto o = parse_operation(name, op_at); !o) {
          return o.error();
        } else if (ops.contains(*o)) {
          error e(error_reason::duplicate_operation, op_at);
          e.append("operation ").append_quoted(name).append(" listed twice for resource ").append_quoted(res);
          return e.append_at();
        } else {
          ops.insert(*o);
        }
        r.skip_ws();
        if (r.peek() == ']' && !r.at_end()) {
          (void)r.expect(']', error_hint::expected_close_bracket, err);
          break;
        }
        if (!r.expect(',', error_hint::expected_comma_or_bracket, err)) return err;
      }
      detail::capability_access::add(cap, res, *pat, ops, key_at);
      r.skip_ws();
      if (r.peek() == '}' && !r.at_end()) {
        (void)r.expect('}', error_hint::expected_close_brace, err);
        break;
      }
      if (!r.expect(',', error_hint::expected_comma_or_brace, err)) return err;
    }
  }
  r.skip_ws();
  if (!r.at_end()) {
    error e(error_reason::trailing_characters, static_cast<std::uint32_t>(r.pos()));
    return e.append("trailing characters after the capability").append_at();
  }
  const std::size_t dup = detail::capability_access::sort(cap, false);
  if (dup != cap.size()) {
    const auto at = cap.source_offset(dup);
    error e(error_reason::duplicate_resource, at);
    e.append("resource ").append_quoted(cap.resource(dup)).append(" listed twice").append_at();
    return e.append(" (first at byte ").append_number(cap.source_offset(dup - 1)).append(')');
  }
  return cap;
}

CAPMATCH_NAMESPACE_END
