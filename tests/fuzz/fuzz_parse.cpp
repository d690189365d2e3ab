// Fuzz target 1: the capability parser. Success implies the canonical text re-parses to an
// equal capability and canonicalisation is idempotent; failure is a well-formed error.
// SPDX-License-Identifier: MIT
#include "common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto cap = capmatch::capability::parse(in);
  if (!cap) {
    fuzz::check_error(cap.error(), size);
    FUZZ_CHECK(cap.error().ably_code() == 40000);
    return 0;
  }
  const std::string text = cap->to_json();
  const auto again = capmatch::capability::parse(text);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(*again == *cap);
  FUZZ_CHECK(again->to_json() == text);
  // Canonical order: resources strictly ascending by byte value, every op set non-empty.
  for (std::size_t i = 0; i < cap->size(); ++i) {
    FUZZ_CHECK(!cap->ops(i).empty());
    FUZZ_CHECK(capmatch::parse_pattern(cap->resource(i)).has_value());
    if (i != 0) FUZZ_CHECK(cap->resource(i - 1) < cap->resource(i));
  }
  // The parsed capability agrees with the naive reference on the names it lists.
  const auto ref = fuzz::entries(*cap);
  for (std::size_t i = 0; i < cap->size() && i < 64; ++i) {
    const std::string name(cap->resource(i));
    FUZZ_CHECK(cap->ops_for(name).granted_bits() == naive::ops_for(ref, name));
  }
  return 0;
}
