// Prototype (issue 15, session 20; bench/RESULTS.md "Session 20"): each state's short
// transitions in a small table right after its record, against the matcher's one shared
// open-addressing table, on the same automata and in one simplified check loop. Not the
// library: it reads a plain automaton (no fallbacks, chains or trie walk) that the builder
// made, lays it out again and times both layouts, so that the layout alone differs.
//
//   capmatch_proto_per_state_tables [--gate-only | --passes=FAMILY/N/K/LAYOUT] [Google Benchmark flags]
//
// Layout "per-state": one u32 array. A state is its offset in it (dead: 0): its record (four
// words: default, trail ops | the table's log2 size << 24 | "has long transitions" << 23, term
// ops and run length, filter or a start run's pool offset), then 2^k entries of three words
// (an 8-byte segment key, 0 for an empty slot; the state after it). A table of one to four
// transitions is full (1, 2 or 4 entries), a larger one at load <= 2/3; a lookup probes from
// bits 59-k..58 of the key's hash (the filter uses the top five) and stops at the key, an empty
// slot or after 2^k entries. Transitions on longer segments stay in a shared table, keyed by
// the state's offset times ref_mul. The variant "no filter" skips the filter (the long flag
// decides whether to probe the long table). The gate compares every layout with the matcher on
// every query of every workload.
// SPDX-License-Identifier: MIT
#include <benchmark/benchmark.h>
#include <capmatch/matcher.hpp>

#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "workload_capability.hpp"
#include "workloads.hpp"

using namespace capmatch;
using namespace capmatch::detail::cm;
using namespace capmatch_bench;  // NOLINT: the generator's names

namespace {

struct layouts {
  storage s;
  tables t;
  std::vector<u32> map_old;  // index_of(old ref) -> old ref (identity; the same extra load in both loops)
  std::vector<u32> map_new;  // index_of(old ref) -> new offset
  std::vector<u32> mem;      // new: records + per-state tables
  std::vector<long_edge_rec> long_new;
  u32 long_cap = 0;
  std::size_t new_bytes = 0, old_bytes = 0;

  explicit layouts(const capability& cap) : s(builder(cap, matcher_mode::automatic).out), t(s.view()) {
    if (s.out_of_line || s.walk) {
      std::fprintf(stderr, "not a plain automaton\n");
      std::exit(1);
    }
    const std::size_t n = s.states.size();
    map_old.resize(n);
    for (u32 i = 0; i < n; ++i) map_old[i] = ref(i);
    std::vector<std::vector<std::pair<u64, u32>>> out(n);
    for (const auto& e : s.edges)
      if (e.from != no_state) out[index_of(e.from)].push_back({e.key, index_of(e.to)});
    std::vector<u32> k(n, 0);
    map_new.resize(n);
    u32 at = 0;
    for (u32 i = 0; i < n; ++i) {
      const std::size_t c = out[i].size();
      u32 kk = 0;
      if (c != 0) {
        std::size_t S = 1;
        if (c <= 4) while (S < c) S *= 2;
        else while (2 * S < 3 * c) S *= 2;
        while ((std::size_t{1} << kk) < S) ++kk;
      }
      k[i] = kk;
      map_new[i] = at;
      at += 4 + (c == 0 ? 0 : 3u << kk);
    }
    mem.assign(at + 4, 0);
    for (u32 i = 0; i < n; ++i) {
      const state_rec& r = s.states[i];
      u32* rec = mem.data() + map_new[i];
      rec[0] = map_new[index_of(r.default_next())];
      rec[1] = r.trail_ops() | k[i] << 24;
      rec[2] = r.term_bits();
      rec[3] = r.filter();
      if (out[i].empty()) continue;
      const u32 mask = (1u << k[i]) - 1;
      const u32 kbits = k[i];
      for (const auto& [key, to] : out[i]) {
        const u64 hk = key * k_mul;
        u32 j = static_cast<u32>(hk >> (59 - kbits)) & mask;
        for (;; j = (j + 1) & mask) {
          u32* e = rec + 4 + 3 * j;
          u64 v;
          std::memcpy(&v, e, 8);
          if (v == 0) break;
        }
        u32* e = rec + 4 + 3 * j;
        std::memcpy(e, &key, 8);
        e[2] = map_new[to];
      }
    }
    for (const auto& e : s.long_edges)
      if (e.from != no_state && e.key != mid_run_key) mem[map_new[index_of(e.from)] + 1] |= 1u << 23;
    long_cap = s.long_cap;
    long_new.assign(s.long_edges.empty() ? 1 : long_cap + 1, long_edge_rec{});
    for (const auto& e : s.long_edges) {
      if (e.from == no_state) continue;
      long_edge_rec x = e;
      x.from = map_new[index_of(e.from)];
      x.to = map_new[index_of(e.to)];
      std::size_t i = home_slot(x.key * k_mul, x.from * ref_mul, long_cap);
      while (long_new[i].from != no_state) ++i;
      long_new[i] = x;
      if (i + 1 == long_new.size()) long_new.push_back(long_edge_rec{});
    }
    old_bytes = s.states.size() * 16 + s.edges.size() * 16 + s.long_edges.size() * sizeof(long_edge_rec);
    new_bytes = mem.size() * 4 + long_new.size() * sizeof(long_edge_rec);
  }

  template <bool New, bool NoFilter = false>
  [[gnu::noinline]] op_set check(std::string_view name) const {
    const char* s0 = name.data();
    const std::size_t n = name.size();
    if (n == 0 || n > max_resource_bytes) return {};
    std::size_t pos = 0;
    u32 st = t.entry(s0, n, &pos);
    if (st == no_state) return {};
    st = (New ? map_new : map_old)[index_of(st)];
    if (st == 0) return {};
    char tiny[16] = {};
    const char* text = s0;
    if (n < 8) {
      for (std::size_t i = 0; i < n; ++i) tiny[8 + i] = s0[i];
      text = tiny + 8;
    }
    name_scanner::windows_t windows;
    name_scanner sc(text, n, pos, windows);
    if (!sc.ok()) return {};
    u32 acc = 0;
    if constexpr (New) {
      const u32* rec = mem.data() + st;
      if (const std::size_t len = rec[2] >> run_shift; len != 0) {
        const std::size_t p0 = sc.position(), end = p0 + len;
        acc = rec[1] & 0x7FFFFF;
        if (!(end <= n && (end == n || s0[end] == ':') && tables::run_equal(s0, n, p0, s.pool.data() + rec[3], len))) return finish(acc);
        st = rec[0];
        if (end == n) return finish(acc | mem[st + 2]);
        if (st == 0) return finish(acc);
        sc.seek(end + 1);
      }
    } else {
      if (const state_rec& r = t.state(st); r.run_length() != 0) {
        const std::size_t p0 = sc.position(), end = p0 + r.run_length();
        acc = r.trail_ops();
        if (!t.run_matches(r, s0, n, p0)) return finish(acc);
        st = r.run_end();
        if (end == n) return finish(acc | t.state(st).term_bits());
        if (st == 0) return finish(acc);
        sc.seek(end + 1);
      }
    }
    for (;;) {
      const segment g = sc.next();
      const u64 hk = g.key * k_mul;
      if constexpr (New) {
        const u32* rec = mem.data() + st;
        acc |= rec[1] & 0x7FFFFF;
        const u32 otherwise = rec[0];
        if (!NoFilter && (rec[3] & filter_bit(hk)) == 0) st = otherwise;
        else if (g.len <= 8) {
          const u32 kbits = rec[1] >> 24;
          const u32 mask = (1u << kbits) - 1;
          u32 j = static_cast<u32>(hk >> (59 - kbits)) & mask;
          const u32* tab = rec + 4;
          for (u32 c = 0;; j = (j + 1) & mask) {
            const u32* e = tab + 3 * j;
            u64 v;
            std::memcpy(&v, e, 8);
            if (v == g.key) { st = e[2]; break; }
            if (v == 0 || c++ == mask) { st = otherwise; break; }
          }
        } else if (NoFilter && (rec[1] & (1u << 23)) == 0) {
          st = otherwise;
        } else {
          const u32 self = static_cast<u32>(rec - mem.data());
          st = otherwise;
          for (const long_edge_rec* e = long_new.data() + home_slot(hk, self * ref_mul, long_cap);; ++e) {
            if (e->key == g.key && e->from == self && e->size == g.len &&
                (g.len <= 16 ? load8(s.pool.data() + e->offset) == g.w0 && load8(s.pool.data() + e->offset + 8) == g.w1
                             : bytes_equal(s.pool.data() + e->offset, s0 + g.pos, g.len))) {
              st = e->to;
              break;
            }
            if (e->from == no_state) break;
          }
        }
        if (g.last) return finish(acc | mem[st + 2]);
      } else {
        const state_rec& r = t.state(st);
        acc |= r.trail_ops();
        if ((r.filter() & filter_bit(hk)) == 0) st = r.default_next();
        else st = t.lookup(st, g, s0, hk, r.default_next());
        if (g.last) return finish(acc | t.state(st).term_bits());
      }
      if (st == 0) return finish(acc);
    }
  }
};

struct prepared {
  workload w;
  capability cap;
  std::unique_ptr<layouts> layout;
};

// Built and gated on first use.
prepared& get(const std::string& spec) {
  static std::map<std::string, std::unique_ptr<prepared>> cache;
  auto& slot = cache[spec];
  if (slot) return *slot;
  const auto sl = spec.find('/');
  auto p = std::make_unique<prepared>();
  p->w = make_workload(spec.substr(0, sl), std::stoul(spec.substr(sl + 1)));
  p->cap = workload_capability(p->w);
  p->layout = std::make_unique<layouts>(p->cap);
  const matcher m(p->cap);
  std::size_t wrong = 0;
  for (const auto q : p->w.queries) {
    const op_set want = m.ops_for(q);
    const layouts& l = *p->layout;
    if (l.check<false>(q) != want || l.check<true>(q) != want || l.check<true, true>(q) != want) ++wrong;
  }
  std::fprintf(stderr, "%s: %zu of %zu answers differ from the matcher's; tables %.1f -> %.1f bytes per pattern\n",
               spec.c_str(), wrong, p->w.queries.size(), double(p->layout->old_bytes) / double(p->w.patterns.size()),
               double(p->layout->new_bytes) / double(p->w.patterns.size()));
  if (wrong != 0) std::exit(1);
  slot = std::move(p);
  return *slot;
}

template <bool New, bool NoFilter = false>
void run(benchmark::State& state, const std::string& spec) {
  const prepared& p = get(spec);
  std::size_t i = 0;
  const auto& qs = p.w.queries;
  for (auto _ : state) {
    benchmark::DoNotOptimize(p.layout->check<New, NoFilter>(qs[i]));
    if (++i == qs.size()) i = 0;
  }
}

std::vector<std::string> specs() {
  std::vector<std::string> out;
  for (const char* f : {"scoped", "global", "params", "anyq"})
    for (const char* n : {"8", "64", "512", "4096"}) out.push_back(std::string(f) + "/" + n);
  for (const char* f : {"scoped", "global", "params"}) out.push_back(std::string(f) + "/32768");
  return out;
}

// --passes=FAMILY/N/K/LAYOUT (shared, per_state or per_state_no_filter): K passes over the
// workload's queries, for instruction counts under callgrind (K = 3 minus K = 1, over 2 × 4096).
int run_passes(const std::string& arg) {
  const auto a = arg.find('/'), b = arg.find('/', a + 1), c = arg.find('/', b + 1);
  if (a == std::string::npos || b == std::string::npos || c == std::string::npos) return 2;
  const prepared& p = get(arg.substr(0, b));
  const std::size_t passes = std::stoul(arg.substr(b + 1, c - b - 1));
  const std::string layout = arg.substr(c + 1);
  std::uint32_t sum = 0;
  for (std::size_t k = 0; k < passes; ++k)
    for (const auto q : p.w.queries)
      sum += (layout == "shared"      ? p.layout->check<false>(q)
              : layout == "per_state" ? p.layout->check<true>(q)
                                      : p.layout->check<true, true>(q))
                 .bits();
  std::printf("%u\n", sum);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--gate-only") == 0) {
      for (const auto& spec : specs()) get(spec);
      return 0;
    }
    if (std::strncmp(argv[i], "--passes=", 9) == 0) return run_passes(argv[i] + 9);
  }
  for (const auto& spec : specs()) {
    benchmark::RegisterBenchmark(("shared/" + spec).c_str(), run<false>, spec);
    benchmark::RegisterBenchmark(("per_state/" + spec).c_str(), run<true>, spec);
    benchmark::RegisterBenchmark(("per_state_no_filter/" + spec).c_str(), run<true, true>, spec);
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
