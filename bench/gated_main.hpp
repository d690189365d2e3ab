// capmatch benchmarks — the main every benchmark binary shares: run the correctness gate first
// (a benchmark of a wrong answer is worthless), stop with status 1 when it fails, print what it
// checked and stop with --gate-only (the meson test), else run Google Benchmark.
// SPDX-License-Identifier: MIT
#pragma once

#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>
#include <string_view>

namespace capmatch_bench {

/// `gate()` returns "" when every implementation agrees with the reference, else what differs;
/// `checked()` says, on success, what the gate checked.
template <class Gate, class Checked>
int gated_main(int argc, char** argv, Gate gate, Checked checked) {
  const std::string err = gate();
  if (!err.empty()) {
    std::fprintf(stderr, "correctness gate failed: %s\n", err.c_str());
    return 1;
  }
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--gate-only") {
      std::printf("correctness gate passed: %s\n", std::string(checked()).c_str());
      return 0;
    }
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace capmatch_bench
