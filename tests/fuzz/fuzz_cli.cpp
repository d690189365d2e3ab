// Fuzz target 5: the CLI path. The command-line tool (tools/capmatch.cpp) parses a
// capability, checks (explains) an operation on a name, intersects, lints, and prints text or
// JSON; this target makes the same library calls on fuzzer-chosen arguments (first byte: the
// command; then fields separated by 0xFF bytes: capability, name, operation, request) and
// checks that every output is one line of valid UTF-8.
// SPDX-License-Identifier: MIT
#include <capmatch/lint.hpp>

#include "common.hpp"

namespace {
std::string_view field(std::string_view& in) {
  const auto sep = in.find('\xFF');
  const std::string_view f = in.substr(0, sep);
  in = sep == std::string_view::npos ? std::string_view() : in.substr(sep + 1);
  return f;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::string_view doc = field(in), name = field(in), opname = field(in), req_doc = field(in);

  const auto cap = capmatch::capability::parse(doc);
  if (!cap) {
    fuzz::check_error(cap.error(), doc.size());
    return 0;
  }
  const std::string text = cap->to_json();
  FUZZ_CHECK(!text.empty() && text.front() == '{' && text.back() == '}');

  switch (mode % 4) {
    case 0: {  // check / explain
      const auto op = capmatch::parse_operation(opname);
      if (!op) {
        fuzz::check_error(op.error(), opname.size());
        return 0;
      }
      const capmatch::decision d = capmatch::explain(*cap, name, *op);
      FUZZ_CHECK(d.allowed == cap->allows(name, *op));
      FUZZ_CHECK((d.reason == capmatch::denial::none) == d.allowed);
      const std::string line = d.to_string(), json = d.to_json();
      FUZZ_CHECK(!line.empty() && json.front() == '{' && json.back() == '}');
      FUZZ_CHECK(fuzz::one_line_utf8(line) && fuzz::one_line_utf8(json));
      if (d.reason == capmatch::denial::invalid_name) FUZZ_CHECK(!capmatch::parse_name(name));
      break;
    }
    case 1: {  // intersect
      const auto req = capmatch::capability::parse(req_doc);
      if (!req) {
        fuzz::check_error(req.error(), req_doc.size());
        return 0;
      }
      const auto both = capmatch::intersect(*cap, *req);
      if (both) {
        const std::string t = both->to_json();
        const auto again = capmatch::capability::parse(t);
        FUZZ_CHECK(again && *again == *both);
      } else {
        fuzz::check_error(both.error(), 0);
      }
      break;
    }
    case 2: {  // lint
      const auto findings = capmatch::lint(*cap);
      for (const auto& f : findings) {
        const std::string line = capmatch::to_string(f);
        FUZZ_CHECK(fuzz::one_line_utf8(line));
        FUZZ_CHECK(f.offset <= doc.size());
      }
      const std::string json = capmatch::to_json(findings);
      FUZZ_CHECK(fuzz::one_line_utf8(json) && json.front() == '{' && json.back() == '}');
      break;
    }
    default: {  // app-wide checks
      for (std::size_t o = 0; o < capmatch::operation_count; ++o)
        (void)cap->allows_app_wide(static_cast<capmatch::operation>(o));
      FUZZ_CHECK(cap->allows_channel_enumeration() == cap->allows_app_wide(capmatch::operation::channel_metadata));
      break;
    }
  }
  return 0;
}
