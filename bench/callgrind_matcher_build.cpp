// Driver for instruction counts (callgrind) and timing of the matcher's build on the
// workloads of bench_matcher.cpp (bench/workloads.hpp):
//
//   capmatch_callgrind_matcher_build build FAMILY N K   builds capmatch::matcher(cap) K times
//   capmatch_callgrind_matcher_build hash                one line per family and size: a hash
//        of every byte the builder emits, for every pattern group (docs/matcher.md, "Groups"),
//        and of the matcher's memory_bytes / state_count / groups
//
// Per build: (run(K2) - run(K1)) / (K2 - K1), e.g. with
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null BIN build scoped 4096 20   (and 10)
// `hash` compares two versions of the builder: the outputs must be identical
// (bench/RESULTS.md "Session 13 — matcher: the build").
#include <capmatch/matcher.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "workload_capability.hpp"
#include "workloads.hpp"

using namespace capmatch;
using namespace capmatch_bench;

namespace {

struct fnv {
  std::uint64_t h = 0xcbf29ce484222325ull;
  void bytes(const void* p, std::size_t n) {
    const auto* c = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < n; ++i) h = (h ^ c[i]) * 0x100000001b3ull;
  }
  template <class T>
  void value(const T& v) {
    bytes(&v, sizeof v);
  }
  template <class T>
  void vec(const std::vector<T>& v) {
    value(v.size());
    if (!v.empty()) bytes(v.data(), v.size() * sizeof(T));
  }
};

void hash_storage(fnv& f, const detail::cm::storage& s) {
  f.value(s.state_count), f.value(s.qualifier_root), f.value(s.long_cap), f.value(s.start), f.value(s.any_root), f.value(s.app_wide);
  f.value(s.walk), f.value(s.chains), f.value(s.fallbacks), f.value(s.out_of_line), f.value(s.quick_all);
  for (const auto& q : s.quick) f.value(q);
  f.vec(s.words), f.vec(s.long_edges), f.vec(s.pool);
  f.value(s.patterns), f.value(s.in_group);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "build" && argc == 5) {
    const workload w = make_workload(argv[2], std::strtoull(argv[3], nullptr, 10));
    const capability cap = workload_capability(w);
    const auto k = std::strtoull(argv[4], nullptr, 10);
    std::size_t sink = 0;
    for (std::size_t i = 0; i < k; ++i) {
      const matcher m(cap);
      sink += m.state_count();
    }
    std::printf("%zu\n", sink);
    return 0;
  }
  if (mode == "hash") {
    using detail::cm::pattern_group;
    const pattern_group groups[] = {pattern_group::all,      pattern_group::literal_led, pattern_group::plain_literal,
                                    pattern_group::any_literal, pattern_group::star_led, pattern_group::any_star_led,
                                    pattern_group::all_star_led};
    for (const auto& fi : families)
      for (std::size_t n : {std::size_t{1}, std::size_t{8}, std::size_t{64}, std::size_t{512}, std::size_t{4096}, std::size_t{32768}}) {
        const workload w = make_workload(fi.name, n);
        const capability cap = workload_capability(w);
        fnv f;
        for (const auto g : groups)
          for (const auto m : {matcher_mode::automatic, matcher_mode::trie_walk})
            hash_storage(f, detail::cm::builder(cap, m, g).out);
        const matcher m(cap);
        f.value(m.memory_bytes()), f.value(m.state_count()), f.value(m.groups());
        std::printf("%s/%zu %016llx\n", fi.name, n, static_cast<unsigned long long>(f.h));
      }
    return 0;
  }
  std::fprintf(stderr, "usage: %s build FAMILY N K | hash\n", argv[0]);
  return 1;
}
