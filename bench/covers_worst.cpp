// covers' worst case (docs/limits.md, "covers"): n random {x,*}^127:z and the all-'*' cover in
// a, n names x^127:v<m> in b; prints the answer, the trie steps and the time. Not built by meson:
//   g++ -std=c++20 -O2 -DNDEBUG -I include bench/covers_worst.cpp -o /tmp/covers_worst
//   /tmp/covers_worst 9999            # default budget
//   /tmp/covers_worst 1000 unlimited  # the exact answer, no budget
// SPDX-License-Identifier: MIT
#include <capmatch/covers.hpp>
#include <chrono>
#include <cstdio>
#include <random>
#include <set>
#include <string>
using namespace capmatch;
int main(int argc, char** argv) {
  const std::size_t n = std::stoul(argv[1]);
  const int depth = 127;
  std::mt19937_64 r(7);
  std::set<std::string> seen;
  std::string a = "{";
  while (seen.size() < n) {
    std::string s;
    for (int d = 0; d < depth; ++d) s += (r() & 1) ? "x:" : "*:";
    s += "z";
    if (!seen.insert(s).second) continue;
    a.append(a.size() > 1 ? ",\"" : "\"").append(s).append("\":[\"subscribe\"]");
  }
  std::string star = "*";
  for (int d = 0; d < depth; ++d) star += ":*";
  a.append(",\"").append(star).append("\":[\"subscribe\"]}");
  std::string xs, b = "{";
  for (int d = 0; d < depth; ++d) xs += "x:";
  for (std::size_t m = 0; m < n; ++m) b.append(m ? ",\"" : "\"").append(xs).append("v").append(std::to_string(m)).append("\":[\"subscribe\"]");
  b += "}";
  const auto ca = capability::parse(a).value(), cb = capability::parse(b).value();
  const auto t0 = std::chrono::steady_clock::now();
  detail::covers_work w;
  const bool c = detail::covers_counted(ca, cb, argc > 2 ? static_cast<std::size_t>(-1) : covers_default_budget(ca, cb), w);
  const auto t1 = std::chrono::steady_clock::now();
  std::printf("n=%zu a=%zu B b=%zu B covers=%d steps=%zu exhausted=%d budget=%zu time=%.3f s\n", n, a.size(), b.size(), c, w.steps,
              w.exhausted, covers_default_budget(ca, cb), std::chrono::duration<double>(t1 - t0).count());
}
