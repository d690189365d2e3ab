// The seeded generator shared by the tests and the benchmarks: every generated capability,
// name and workload comes from this one stream, so a seed means the same input everywhere.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace capmatch_test {

/// splitmix64 (Steele, Lea, Flood 2014): tiny, fast, and the same stream on every platform.
struct splitmix64 {
  std::uint64_t s = 0;

  constexpr std::uint64_t next() noexcept {
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  /// An integer in [0, n), n > 0 (modulo bias is irrelevant at these n).
  constexpr std::size_t below(std::size_t n) noexcept { return static_cast<std::size_t>(next() % n); }
  /// True with the given probability in percent.
  constexpr bool chance(unsigned percent) noexcept { return below(100) < percent; }
  template <class T, std::size_t N>
  constexpr const T& pick(const T (&a)[N]) noexcept {
    return a[below(N)];
  }
};

/// A JSON list of operations: ["*"] with probability all_percent, else each of `names` with
/// probability each_percent (in order), and ["subscribe"] when none was drawn.
template <std::size_t N>
std::string random_ops_json(splitmix64& r, const char* const (&names)[N], unsigned all_percent,
                            unsigned each_percent) {
  if (r.chance(all_percent)) return R"(["*"])";
  std::string o = "[";
  for (const char* n : names) {
    if (!r.chance(each_percent)) continue;
    o.append(o.size() > 1 ? ",\"" : "\"").append(n).append("\"");
  }
  if (o.size() == 1) o += "\"subscribe\"";
  return o + "]";
}

}  // namespace capmatch_test
