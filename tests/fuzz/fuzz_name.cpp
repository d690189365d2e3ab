// Fuzz target 2: the resource-name normaliser. parse_name / parse_pattern on arbitrary text
// (a pattern and a name separated by the first 0xFF byte), matches() against the naive
// reference, and the normal form of a pattern re-parsing to the same pattern.
// SPDX-License-Identifier: MIT
#include "common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto sep = in.find('\xFF');
  const std::string_view ptext = in.substr(0, sep);
  const std::string_view ntext = sep == std::string_view::npos ? in : in.substr(sep + 1);

  const auto p = capmatch::parse_pattern(ptext);
  const auto n = capmatch::parse_name(ntext);
  const naive::res rp = naive::read(std::string(ptext), true);
  const naive::res rn = naive::read(std::string(ntext), false);
  if (!p) fuzz::check_error(p.error(), ptext.size());
  if (!n) fuzz::check_error(n.error(), ntext.size());
  // Limits aside, the library and the reference agree on validity.
  if (p || p.error().code() != capmatch::errc::limit_exceeded) FUZZ_CHECK(p.has_value() == rp.valid);
  if (n || n.error().code() != capmatch::errc::limit_exceeded) FUZZ_CHECK(n.has_value() == rn.valid);

  if (p) {
    FUZZ_CHECK(p->body == rp.body);
    FUZZ_CHECK((p->kind == capmatch::qualifier_kind::named) == (rp.qualified && rp.qualifier != "*"));
    FUZZ_CHECK((p->kind == capmatch::qualifier_kind::any) == (rp.qualified && rp.qualifier == "*"));
    if (p->kind == capmatch::qualifier_kind::named) FUZZ_CHECK(p->qualifier == rp.qualifier);
    std::vector<char> normal;
    capmatch::append_text(*p, normal);
    const std::string_view nt(normal.data(), normal.size());
    const auto p2 = capmatch::parse_pattern(nt);
    if (p2 || p2.error().code() != capmatch::errc::limit_exceeded) {
      FUZZ_CHECK(p2.has_value());
      FUZZ_CHECK(p2->kind == p->kind && p2->qualifier == p->qualifier && p2->body == p->body);
    }
    // A pattern matches itself read as a name whenever that name is valid.
    const auto self = capmatch::parse_name(nt);
    if (self && p->kind != capmatch::qualifier_kind::any) FUZZ_CHECK(capmatch::matches(*p, *self));
  }
  if (n) {
    FUZZ_CHECK(n->body == rn.body && n->qualified == rn.qualified);
    if (n->qualified) FUZZ_CHECK(n->qualifier == rn.qualifier);
    FUZZ_CHECK(!n->body.empty());
  }
  if (p && n) FUZZ_CHECK(capmatch::matches(*p, *n) == naive::matches(rp, rn));
  return 0;
}
