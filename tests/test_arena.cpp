// The builder's arena and arrays (include/capmatch/matcher/arena.hpp): bvec against std::vector
// on random operations, with and without an arena; the arena's block reuse and alignment; and
// the same operations in constant evaluation.
// SPDX-License-Identifier: MIT
#include <capmatch/matcher.hpp>
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <vector>
#include "random.hpp"

using capmatch::detail::cm::build_arena;
using capmatch::detail::cm::bvec;

namespace {

struct item {  // a builder item's shape: trivially copyable, zero by default
  std::uint32_t a = 0, b = 0;
  std::uint64_t c = 0;
  friend bool operator==(const item&, const item&) = default;
};

template <class T>
bool same(const bvec<T>& v, const std::vector<T>& ref) {
  if (v.size() != ref.size() || v.capacity() < v.size()) return false;
  for (std::size_t i = 0; i < ref.size(); ++i)
    if (!(v[i] == ref[i])) return false;
  return true;
}

// Random operations on a bvec and a std::vector side by side; every operation's result must be
// the same. Sizes cross build_arena::small_limit often (the arena to the heap and back).
void differential(build_arena* arena, std::uint64_t seed) {
  capmatch_test::splitmix64 rng{seed};
  bvec<item> v(arena), w(arena);
  std::vector<item> rv, rw;
  auto some = [&] { return item{static_cast<std::uint32_t>(rng.next()), 7, rng.next()}; };
  for (int step = 0; step < 3000; ++step) {
    const std::size_t n = rng.below(rng.chance(80) ? 40 : 400);
    switch (rng.below(11)) {
      case 0:
      case 1: {
        const item x = some();
        v.push_back(x), rv.push_back(x);
        break;
      }
      case 2:
        if (!rv.empty()) {  // an item of the array itself, as a grown array would lose it
          const std::size_t i = rng.below(rv.size());
          v.push_back(v[i]), rv.push_back(rv[i]);
        }
        break;
      case 3: v.resize(n), rv.resize(n); break;
      case 4: {
        const item x = some();
        v.resize(n, x), rv.resize(n, x);
        break;
      }
      case 5: {
        const item x = some();
        v.assign(n, x), rv.assign(n, x);
        break;
      }
      case 6: v.append(w.begin(), w.end()), rv.insert(rv.end(), rw.begin(), rw.end()); break;
      case 7:
        if (!rv.empty()) {
          const std::size_t a = rng.below(rv.size() + 1), b = a + rng.below(rv.size() - a + 1);
          v.erase(v.begin() + a, v.begin() + b), rv.erase(rv.begin() + a, rv.begin() + b);
        }
        break;
      case 8: v.swap(w), rv.swap(rw); break;
      case 9:
        if (rng.chance(50)) w = v, rw = rv;
        else w = std::move(v), rw = std::move(rv), v.clear(), rv.clear();
        break;
      case 10:
        if (!rv.empty()) v.pop_back(), rv.pop_back();
        v.reserve(n), rv.reserve(n);
        break;
    }
    REQUIRE(same(v, rv));
    REQUIRE(same(w, rw));
  }
  const bvec<item> copy = v;
  CHECK(same(copy, rv));
  CHECK(copy.arena() == v.arena());
}

constexpr std::uint64_t in_constant_evaluation() {
  build_arena arena;
  bvec<std::uint32_t> v(&arena);
  for (std::uint32_t i = 0; i < 1000; ++i) v.push_back(i);        // 0..999
  v.erase(v.begin() + 10, v.begin() + 990);                        // 0..9, 990..999
  bvec<std::uint32_t> w(5, 3, &arena);                             // 3 3 3 3 3
  w.append(v.begin(), v.end());                                    // + 0..9, 990..999
  w.resize(30, 1);                                                 // + 1 1 1 1 1
  bvec<std::uint32_t> x = w;
  x.swap(v);
  std::uint64_t sum = 0;
  for (const std::uint32_t e : v) sum += e;
  return sum * 1000 + v.size();
}

}  // namespace

TEST_CASE("bvec does what std::vector does, in the arena, across it and without it") {
  build_arena arena;
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    CAPTURE(seed);
    differential(&arena, seed);
    differential(nullptr, seed);
  }
}

TEST_CASE("bvec in constant evaluation: the same operations, with every item constructed") {
  // 5 * 3 + (0 + ... + 9) + (990 + ... + 999) + 5 * 1 = 15 + 45 + 9945 + 5; 30 items.
  static_assert(in_constant_evaluation() == (15 + 45 + 9945 + 5) * 1000 + 30);
  CHECK(in_constant_evaluation() == (15 + 45 + 9945 + 5) * 1000 + 30);
}

TEST_CASE("the arena takes back the last block only, and aligns every block") {
  build_arena arena;
  void* const p = arena.take(100);
  arena.give_back(p, 100);
  CHECK(arena.take(100) == p);  // the last block: reused
  void* const q = arena.take(24);
  arena.give_back(p, 100);      // not the last block: left where it is
  void* const r = arena.take(100);
  CHECK(r != p);
  for (void* b : {p, q, r}) CHECK(reinterpret_cast<std::uintptr_t>(b) % build_arena::align == 0);
  // Past the buffer inside the arena: blocks from heap chunks, until the arena goes. Each block
  // filled whole with its own byte keeps it: no two blocks overlap.
  std::vector<unsigned char*> blocks;
  for (std::size_t i = 0; i < 3 * build_arena::chunk_bytes / build_arena::small_limit; ++i) {
    blocks.push_back(static_cast<unsigned char*>(arena.take(build_arena::small_limit)));
    std::memset(blocks.back(), static_cast<int>(i + 1), build_arena::small_limit);
  }
  bool distinct = true;
  for (std::size_t i = 0; i < blocks.size(); ++i)
    for (std::size_t b = 0; b < build_arena::small_limit; ++b)
      distinct &= blocks[i][b] == static_cast<unsigned char>(i + 1);
  CHECK(distinct);
}
