// capmatch fuzz targets: shared helpers and the deliberately naive reference matcher.
// The reference splits strings and compares them; it shares no code with the library.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <capmatch/capmatch.hpp>

// A failed property stops the run with a message; libFuzzer saves the input.
#define FUZZ_CHECK(cond)                                                              \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                   \
    }                                                                                 \
  } while (0)

namespace naive {

inline std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out(1);
  for (char c : s) {
    if (c == ':') out.emplace_back();
    else out.back() += c;
  }
  return out;
}

// A resource as the reference sees it: qualifier text ("" for none, "*" for [*]), body, and the
// body's segments (split once when read: the matcher target compares every name with every pattern).
struct res {
  bool valid = false;
  bool qualified = false;
  std::string qualifier;
  std::string body;
  std::vector<std::string> segments;
};

// Well-formed UTF-8 (RFC 3629 table 3-7, written out): no overlong form, no surrogate, nothing
// above U+10FFFF, no truncated sequence.
inline bool well_formed_utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const unsigned c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    unsigned lo = 0x80, hi = 0xBF;
    if (c < 0x80) n = 0;
    else if (c >= 0xC2 && c <= 0xDF) n = 1;
    else if (c == 0xE0) n = 2, lo = 0xA0;
    else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) n = 2;
    else if (c == 0xED) n = 2, hi = 0x9F;
    else if (c == 0xF0) n = 3, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) n = 3;
    else if (c == 0xF4) n = 3, hi = 0x8F;
    else return false;
    if (i + n >= s.size() && n != 0) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      const unsigned b = static_cast<unsigned char>(s[i + k]);
      if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return false;
    }
    i += n + 1;
  }
  return true;
}

// Reads "[q=v?p]body" the slow way. Patterns allow [*]; names do not, need non-empty segments
// and must be well-formed UTF-8 (issue 14 item 4).
inline res read(const std::string& t, bool is_pattern) {
  res r;
  if (t.empty() || t.find('\0') != std::string::npos) return r;
  std::string body = t;
  if (t[0] == '[') {
    std::size_t close = t.find(']');
    if (close == std::string::npos) return r;
    std::string inside = t.substr(1, close - 1);
    if (inside.find('[') != std::string::npos) return r;
    std::string q;
    std::size_t k = 0;
    while (k < inside.size() && inside[k] != '=' && inside[k] != '?') q += inside[k++];
    if (q.empty()) {
      if (k == inside.size() || inside[k] != '?') return r;
    } else {
      r.qualified = true;
      r.qualifier = q;
    }
    body = t.substr(close + 1);
    if (body.empty() || body[0] == '[') return r;
  }
  if (!well_formed_utf8(t)) return r;  // names and patterns alike (docs/semantics.md, D2 and I14b)
  r.segments = split(body);
  if (!is_pattern) {
    if (r.qualified && r.qualifier == "*") return r;
    for (const auto& s : r.segments)
      if (s.empty()) return r;
  }
  r.body = body;
  r.valid = true;
  return r;
}

// docs/semantics.md §8-10 written out directly.
inline bool matches(const res& p, const res& n) {
  if (!p.valid || !n.valid) return false;
  if (!(p.qualified && p.qualifier == "*")) {
    if (p.qualified != n.qualified) return false;
    if (p.qualified && p.qualifier != n.qualifier) return false;
  }
  const auto &ps = p.segments, &ns = n.segments;
  const bool trailing = ps.back() == "*";
  if (trailing ? ns.size() < ps.size() : ns.size() != ps.size()) return false;
  for (std::size_t i = 0; i < ps.size(); ++i) {
    if (trailing && i + 1 == ps.size()) break;
    if (ps[i] != "*" && ps[i] != ns[i]) return false;
  }
  return true;
}

// A capability as the reference sees it: (pattern, granted bits) pairs, read once.
using cap = std::vector<std::pair<res, std::uint32_t>>;

inline cap read_cap(const std::vector<std::pair<std::string, std::uint32_t>>& entries) {
  cap out;
  for (const auto& [p, bits] : entries) out.emplace_back(read(p, true), bits);
  return out;
}

// Operations granted on `name`: the union over every matching pattern (docs/semantics.md §11).
// A name longer than max_resource_bytes or of more than max_segments segments (qualifier not
// counted) is invalid and granted nothing (docs/limits.md).
inline std::uint32_t ops_for(const cap& c, const std::string& name) {
  std::uint32_t out = 0;
  const res n = read(name, false);
  if (name.size() > capmatch::max_resource_bytes || n.segments.size() > capmatch::max_segments) return 0;
  for (const auto& [p, bits] : c)
    if (matches(p, n)) out |= bits;
  return out;
}
inline std::uint32_t ops_for(const std::vector<std::pair<std::string, std::uint32_t>>& entries, const std::string& name) {
  return ops_for(read_cap(entries), name);
}

}  // namespace naive

namespace fuzz {

inline std::vector<std::pair<std::string, std::uint32_t>> entries(const capmatch::capability& c) {
  std::vector<std::pair<std::string, std::uint32_t>> out;
  for (std::size_t i = 0; i < c.size(); ++i) out.emplace_back(std::string(c.resource(i)), c.ops(i).granted_bits());
  return out;
}

// True when `s` is well-formed UTF-8 without C0 control characters: one line, valid in JSON.
inline bool one_line_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20) return false;
    const std::size_t len = capmatch::detail::utf8_length(s, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

// Every error is a 40000/400 or 40160/401 with a message; parse errors point inside the input.
inline void check_error(const capmatch::error& e, std::size_t input_size) {
  FUZZ_CHECK(e.code() != capmatch::errc::ok);
  FUZZ_CHECK(e.ably_code() == 40000 || e.ably_code() == 40160);
  FUZZ_CHECK(!e.message().empty());
  FUZZ_CHECK(!e.has_offset() || e.offset() <= input_size || e.code() == capmatch::errc::limit_exceeded);
  FUZZ_CHECK(one_line_utf8(e.message()));
}

// A small deterministic byte reader for structure-building targets.
class bytes {
 public:
  bytes(const std::uint8_t* d, std::size_t n) : d_(d), n_(n) {}
  bool empty() const { return i_ >= n_; }
  std::uint8_t next() { return i_ < n_ ? d_[i_++] : 0; }
  std::string_view rest() const { return {reinterpret_cast<const char*>(d_ + i_), n_ - i_}; }

 private:
  const std::uint8_t* d_;
  std::size_t n_;
  std::size_t i_ = 0;
};

}  // namespace fuzz

// Structure-building helpers: patterns from a small alphabet, documents, and names.
namespace gen {

inline constexpr std::string_view segs[] = {"a", "b", "*", "*", "ab", "c", "", "a*", "abcdefgh", "abcdefghij"};
// (More named qualifiers than the matcher's four quick ones, so that capabilities reach the
// entry fallbacks: docs/matcher.md, "Entry fallbacks in the plain construction".)
inline constexpr std::string_view quals[] = {"",     "",     "",     "",     "[*]",       "[queue]",  "[meta]",
                                             "[q1]", "[q2]", "[q3]", "[*]", "[q4444444]", "[?rewind=1]", "[queue=v]",
                                             "[*?x]"};

inline std::string make_pattern(fuzz::bytes& in) {
  std::string p(quals[in.next() % std::size(quals)]);
  const int n = 1 + in.next() % 4;
  for (int i = 0; i < n; ++i) {
    if (i != 0) p += ':';
    p += segs[in.next() % std::size(segs)];
  }
  return p;
}

inline std::string make_doc(fuzz::bytes& in, std::vector<std::string>& patterns, int max_entries) {
  const int n = in.next() % max_entries;
  std::set<std::string> seen;
  std::vector<char> doc{'{'};
  for (int i = 0; i < n; ++i) {
    std::string p = make_pattern(in);
    const std::uint8_t sel = in.next();
    std::uint32_t bits = (sel | static_cast<std::uint32_t>(in.next()) << 8) & 0x1FFFFu;
    if (!capmatch::parse_pattern(p) || !seen.insert(p).second) continue;
    patterns.push_back(p);
    if (doc.size() > 1) doc.push_back(',');
    capmatch::detail::write_json_string(p, doc);
    doc.push_back(':');
    doc.push_back('[');
    if (sel % 5 == 0 || bits == 0) {
      capmatch::detail::write_json_string("*", doc);
    } else {
      capmatch::op_set::from_bits(bits).for_each_name([&, first = true](std::string_view o) mutable {
        if (!first) doc.push_back(',');
        first = false;
        capmatch::detail::write_json_string(o, doc);
      });
    }
    doc.push_back(']');
  }
  doc.push_back('}');
  return std::string(doc.begin(), doc.end());
}

// Names a pattern matches (and some it nearly matches): '*' replaced by choices.
inline void instances(const std::string& pattern, std::uint8_t choice, std::vector<std::string>& out) {
  const naive::res r = naive::read(pattern, true);
  if (!r.valid) return;
  constexpr std::string_view fill[] = {"a", "b", "zz", "*", "abcdefghij", "abcdefgh"};
  constexpr std::string_view q_for_any[] = {"", "[queue]", "[meta]", "[other]", "[q1]", "[q4444444]"};
  for (int variant = 0; variant < 3; ++variant) {
    std::string q;
    if (r.qualified && r.qualifier == "*") q = q_for_any[(choice + variant) % std::size(q_for_any)];
    else if (r.qualified) q = "[" + r.qualifier + "]";
    const auto parts = naive::split(r.body);
    std::string body;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      if (i != 0) body += ':';
      body += parts[i] == "*" ? std::string(fill[(choice + i + variant) % std::size(fill)]) : parts[i];
    }
    if (parts.back() == "*" && variant == 2) body += ":zz";
    out.push_back(q + body);
    // A near miss: the body under a qualifier, and the body alone.
    if (variant == 0) {
      out.push_back("[queue]" + body);
      out.push_back(body);
    }
  }
}

}  // namespace gen
