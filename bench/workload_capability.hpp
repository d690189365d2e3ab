// The capability of a bench workload (bench/workloads.hpp): its JSON document parsed, or, beyond
// max_resources entries (no document of more parses), assembled entry by entry as
// capmatch::intersect does (each entry parsed as a one-entry document first). Exits on failure.
// SPDX-License-Identifier: MIT
#pragma once

#include <capmatch/capability.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include "workloads.hpp"

namespace capmatch_bench {

inline capmatch::capability workload_capability(const workload& w) {
  if (w.n <= capmatch::max_resources) {
    auto c = capmatch::capability::parse(w.json);
    if (!c) {
      std::fprintf(stderr, "workload %s/%zu does not parse: %s\n", w.family.c_str(), w.n,
                   std::string(c.error().message()).c_str());
      std::exit(1);
    }
    return std::move(*c);
  }
  capmatch::capability cap;
  for (std::size_t i = 0; i < w.patterns.size(); ++i) {
    const auto one = capmatch::capability::parse("{\"" + w.patterns[i] + "\":" + w.pattern_ops[i] + "}");
    if (!one) {
      std::fprintf(stderr, "workload %s/%zu: entry %zu does not parse\n", w.family.c_str(), w.n, i);
      std::exit(1);
    }
    capmatch::detail::capability_access::add(cap, one->resource(0), one->ops(0), 0);
  }
  capmatch::detail::capability_access::sort(cap, true);
  return cap;
}

}  // namespace capmatch_bench
