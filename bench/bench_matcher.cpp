// capmatch benchmarks: the compiled matcher against what a user would pick instead.
//
//   capmatch_bench [--gate-only] [google-benchmark flags]
//
// Workloads come from a deterministic generator (bench/workloads.hpp, fixed seeds):
// capabilities of N = 1, 8, 64, 512, 4096, 32768 patterns in eleven families and 4096 queries
// each, half hits and half near misses. Before an implementation is timed on a workload, a
// correctness gate checks that it answers every query exactly like a simple reference
// implementation; a mismatch names the query and the benchmark reports an error instead of a
// time. --gate-only runs the gate for everything and exits (1 on a mismatch; the meson test).
//
// Also: capability::parse throughput against nlohmann::json::parse of the same document,
// capmatch::intersect (1000-entry key x 100-entry request) against the pairwise reference,
// and the matcher's build time and memory per pattern. Results: bench/RESULTS.md.
#include <capmatch/capability.hpp>
#include <capmatch/intersect.hpp>
#include <capmatch/matcher.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#if CAPMATCH_BENCH_RE2
#include <re2/re2.h>
#include <re2/set.h>
#endif
#if CAPMATCH_BENCH_HYPERSCAN
#include <hs.h>
#endif
#if CAPMATCH_BENCH_NLOHMANN
#include <nlohmann/json.hpp>
#endif

#include "baselines/sublist.hpp"
#include "workload_capability.hpp"
#include "workloads.hpp"

namespace {

using capmatch::capability;
using capmatch::op_set;

// The workload generator (bench/workloads.hpp) and the strong sublist baseline.
using capmatch_test::splitmix64;
using namespace capmatch_bench;  // NOLINT: the generator's names

// ---------------------------------------------------------------------------------------------
// The reference: docs/semantics.md §6–11 read literally, no cleverness
// ---------------------------------------------------------------------------------------------

struct ref_pattern {
  int kind = 0;  // 0 none, 1 [*], 2 named
  std::string qualifier;
  std::vector<std::string> segments;
  std::uint32_t ops = 0;  // granted bits
};

std::vector<std::string> split(std::string_view s) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  for (;;) {
    const auto colon = s.find(':', pos);
    out.emplace_back(s.substr(pos, colon == std::string_view::npos ? colon : colon - pos));
    if (colon == std::string_view::npos) return out;
    pos = colon + 1;
  }
}

// Qualifier kind and name, and the body, of "[q=v?p]body"; nullopt when malformed.
std::optional<std::pair<ref_pattern, std::string>> ref_split(std::string_view text) {
  ref_pattern p;
  if (text.empty() || text.find('\0') != std::string_view::npos) return std::nullopt;
  if (text[0] != '[') return std::make_pair(p, std::string(text));
  const auto close = text.find(']');
  if (close == std::string_view::npos) return std::nullopt;
  const std::string_view inside = text.substr(1, close - 1);
  if (inside.find('[') != std::string_view::npos) return std::nullopt;
  const auto params = inside.find_first_of("=?");
  const std::string_view q = inside.substr(0, params);
  if (q.empty() && (params == std::string_view::npos || inside[params] != '?')) return std::nullopt;
  p.kind = q.empty() ? 0 : q == "*" ? 1 : 2;
  p.qualifier = std::string(q == "*" ? std::string_view() : q);
  const std::string_view body = text.substr(close + 1);
  if (body.empty() || body[0] == '[') return std::nullopt;
  return std::make_pair(p, std::string(body));
}

struct reference {
  std::vector<ref_pattern> patterns;
  explicit reference(const capability& cap) {
    for (std::size_t i = 0; i < cap.size(); ++i) {
      auto s = ref_split(cap.resource(i));
      s->first.segments = split(s->second);
      s->first.ops = cap.ops(i).granted_bits();
      patterns.push_back(s->first);
    }
  }
  static bool seg_match(const std::vector<std::string>& p, const std::vector<std::string>& n, std::size_t i,
                        std::size_t j) {
    if (i == p.size()) return j == n.size();
    if (p[i] == "*" && i + 1 == p.size()) return j < n.size();
    if (j == n.size()) return false;
    return (p[i] == "*" || p[i] == n[j]) && seg_match(p, n, i + 1, j + 1);
  }
  std::uint32_t ops(std::string_view name) const {
    const auto s = ref_split(name);
    if (!s || s->first.kind == 1 || name.size() > capmatch::max_resource_bytes) return 0;
    const auto segs = split(s->second);
    if (segs.size() > capmatch::max_segments) return 0;
    for (const auto& g : segs)
      if (g.empty()) return 0;
    std::uint32_t acc = 0;
    for (const auto& p : patterns) {
      const bool qual_ok = p.kind == 1 || (p.kind == 0 ? s->first.kind == 0
                                                        : s->first.kind == 2 && s->first.qualifier == p.qualifier);
      if (qual_ok && seg_match(p.segments, segs, 0, 0)) acc |= p.ops;
    }
    return acc;
  }
};

// ---------------------------------------------------------------------------------------------
// Implementations under test. Each answers the granted op bits for a name.
// ---------------------------------------------------------------------------------------------

// The compiled matcher.
struct impl_matcher {
  capmatch::matcher m;
  explicit impl_matcher(const capability& cap) : m(cap) {}
  std::uint32_t ops(std::string_view name) const { return m.ops_for(name).granted_bits(); }
};

// The same tables, walked as a trie (the fallback beyond the automaton bound).
struct impl_trie_walk {
  capmatch::matcher m;
  explicit impl_trie_walk(const capability& cap) : m(cap, capmatch::matcher_mode::trie_walk) {}
  std::uint32_t ops(std::string_view name) const { return m.ops_for(name).granted_bits(); }
};

// The library's un-compiled check: parse_name, then a loop over the patterns.
struct impl_ops_for {
  const capability* cap;
  explicit impl_ops_for(const capability& c) : cap(&c) {}
  std::uint32_t ops(std::string_view name) const { return cap->ops_for(name).granted_bits(); }
};

// Naive: split the name into a vector of segments, loop over pre-split patterns.
struct impl_naive {
  struct pat {
    int kind;
    std::string qualifier;
    std::vector<std::string> segs;
    std::uint32_t ops;
  };
  std::vector<pat> pats;
  explicit impl_naive(const capability& cap) {
    reference r(cap);
    for (auto& p : r.patterns) pats.push_back({p.kind, p.qualifier, p.segments, p.ops});
  }
  std::uint32_t ops(std::string_view name) const {
    const auto s = ref_split(name);
    if (!s || s->first.kind == 1) return 0;
    std::vector<std::string_view> segs;
    std::string_view body = s->second;
    for (std::size_t pos = 0;;) {
      const auto colon = body.find(':', pos);
      segs.push_back(body.substr(pos, colon == std::string_view::npos ? colon : colon - pos));
      if (segs.back().empty()) return 0;
      if (colon == std::string_view::npos) break;
      pos = colon + 1;
    }
    if (segs.size() > capmatch::max_segments) return 0;
    std::uint32_t acc = 0;
    for (const auto& p : pats) {
      if (p.kind == 0 ? s->first.kind != 0 : p.kind == 2 && (s->first.kind != 2 || s->first.qualifier != p.qualifier))
        continue;
      bool ok = true;
      std::size_t i = 0;
      for (; i < p.segs.size(); ++i) {
        if (p.segs[i] == "*" && i + 1 == p.segs.size()) {
          ok = segs.size() > i;
          i = segs.size();
          break;
        }
        if (i >= segs.size() || (p.segs[i] != "*" && p.segs[i] != segs[i])) {
          ok = false;
          break;
        }
      }
      if (ok && i == segs.size()) acc |= p.ops;
    }
    return acc;
  }
};

// A pattern as a regular expression over valid names (the workload's names are all valid;
// the regex baselines do not validate names). The same text serves ECMAScript (std::regex),
// RE2 and Hyperscan.
std::string escape_regex(std::string_view s) {
  std::string o;
  for (char c : s) {
    if (std::strchr("\\^$.|?*+()[]{}", c) != nullptr && c != '\0') o += '\\';
    o += c;
  }
  return o;
}
std::string to_regex(std::string_view resource) {
  const auto s = ref_split(resource);
  std::string re;
  switch (s->first.kind) {
    case 0: re = R"((?:\[\?[^\]]*\])?)"; break;                          // unqualified, or "[?params]"
    case 1: re = R"((?:\[[^\]\[]*\])?)"; break;                          // [*]: any qualifier or none
    default: re = "\\[" + escape_regex(s->first.qualifier) + R"((?:[=?][^\]]*)?\])"; break;
  }
  const auto segs = split(s->second);
  for (std::size_t i = 0; i < segs.size(); ++i) {
    if (i) re += ':';
    // A body never starts with '[' (that would be a qualifier), so neither does a first segment.
    if (segs[i] == "*") re += std::string(i == 0 ? "[^:\\[][^:]*" : "[^:]+") + (i + 1 == segs.size() ? "(?::[^:]+)*" : "");
    else re += escape_regex(segs[i]);
  }
  return re;
}

// std::regex, one per pattern.
struct impl_std_regex {
  std::vector<std::regex> res;
  std::vector<std::uint32_t> ops_of;
  explicit impl_std_regex(const capability& cap) {
    for (std::size_t i = 0; i < cap.size(); ++i) {
      res.emplace_back(to_regex(cap.resource(i)), std::regex::ECMAScript | std::regex::optimize);
      ops_of.push_back(cap.ops(i).granted_bits());
    }
  }
  std::uint32_t ops(std::string_view name) const {
    std::uint32_t acc = 0;
    for (std::size_t i = 0; i < res.size(); ++i)
      if (std::regex_match(name.begin(), name.end(), res[i])) acc |= ops_of[i];
    return acc;
  }
};

#if CAPMATCH_BENCH_RE2
// One anchored RE2::Set of all patterns.
struct impl_re2_set {
  std::unique_ptr<RE2::Set> set;
  std::vector<std::uint32_t> ops_of;
  mutable std::vector<int> hits;
  bool ok = true;
  explicit impl_re2_set(const capability& cap) {
    RE2::Options o;
    o.set_max_mem(std::int64_t{1} << 30);
    o.set_log_errors(false);
    set = std::make_unique<RE2::Set>(o, RE2::ANCHOR_BOTH);
    for (std::size_t i = 0; i < cap.size(); ++i) {
      std::string err;
      if (set->Add(to_regex(cap.resource(i)), &err) < 0) ok = false;
      ops_of.push_back(cap.ops(i).granted_bits());
    }
    ok = ok && set->Compile();
    hits.reserve(cap.size());
  }
  std::uint32_t ops(std::string_view name) const {
    hits.clear();
    if (!set->Match(re2::StringPiece(name.data(), name.size()), &hits)) return 0;
    std::uint32_t acc = 0;
    for (int i : hits) acc |= ops_of[static_cast<std::size_t>(i)];
    return acc;
  }
};
#endif

#if CAPMATCH_BENCH_HYPERSCAN
// One Hyperscan block-mode database of all patterns.
struct impl_hyperscan {
  hs_database_t* db = nullptr;
  hs_scratch_t* scratch = nullptr;
  std::vector<std::uint32_t> ops_of;
  bool ok = true;
  explicit impl_hyperscan(const capability& cap) {
    std::vector<std::string> res;
    std::vector<const char*> ptrs;
    std::vector<unsigned> flags, ids;
    for (std::size_t i = 0; i < cap.size(); ++i) {
      std::string anchored = "^";  // (appended, not "^" + ...: g++ 12 -O3 warns falsely on that)
      anchored.append(to_regex(cap.resource(i))).append("$");
      res.push_back(std::move(anchored));
      ops_of.push_back(cap.ops(i).granted_bits());
    }
    for (std::size_t i = 0; i < res.size(); ++i) {
      ptrs.push_back(res[i].c_str());
      flags.push_back(HS_FLAG_SINGLEMATCH);
      ids.push_back(static_cast<unsigned>(i));
    }
    hs_compile_error_t* err = nullptr;
    if (hs_compile_multi(ptrs.data(), flags.data(), ids.data(), static_cast<unsigned>(ptrs.size()), HS_MODE_BLOCK,
                         nullptr, &db, &err) != HS_SUCCESS) {
      std::fprintf(stderr, "hyperscan: %s\n", err ? err->message : "?");
      hs_free_compile_error(err);
      ok = false;
      return;
    }
    ok = hs_alloc_scratch(db, &scratch) == HS_SUCCESS;
  }
  impl_hyperscan(const impl_hyperscan&) = delete;
  impl_hyperscan& operator=(const impl_hyperscan&) = delete;
  ~impl_hyperscan() {
    hs_free_scratch(scratch);
    hs_free_database(db);
  }
  static int on_match(unsigned id, unsigned long long, unsigned long long, unsigned, void* ctx) {
    auto* self = static_cast<std::pair<const impl_hyperscan*, std::uint32_t>*>(ctx);
    self->second |= self->first->ops_of[id];
    return 0;
  }
  std::uint32_t ops(std::string_view name) const {
    std::pair<const impl_hyperscan*, std::uint32_t> ctx{this, 0};
    hs_scan(db, name.data(), static_cast<unsigned>(name.size()), 0, scratch, on_match, &ctx);
    return ctx.second;
  }
};
#endif

// The sessions 1-3 sublist baseline, kept (as sublist_std, scoped and global families only)
// to show how much of the old "best / matcher" ratio came from a weak baseline: per level a
// std::unordered_map of literal tokens, a `*` child and a trailing slot (NATS's `>`), one root
// per qualifier class, capmatch::parse_name for validation; backtracking match.
struct impl_sublist_std {
  struct hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  struct node {
    std::unordered_map<std::string, std::unique_ptr<node>, hash, std::equal_to<>> literal;
    std::unique_ptr<node> star;
    std::uint32_t trailing = 0;  // patterns ending in a trailing `*` here
    std::uint32_t term = 0;      // patterns ending here
  };
  node none, any;
  std::unordered_map<std::string, node, hash, std::equal_to<>> named;

  explicit impl_sublist_std(const capability& cap) {
    for (std::size_t i = 0; i < cap.size(); ++i) {
      const auto s = ref_split(cap.resource(i));
      node* n = s->first.kind == 0 ? &none : s->first.kind == 1 ? &any : &named[s->first.qualifier];
      const auto segs = split(s->second);
      const std::uint32_t ops = cap.ops(i).granted_bits();
      for (std::size_t k = 0; k < segs.size(); ++k) {
        if (segs[k] == "*" && k + 1 == segs.size()) {
          n->trailing |= ops;
          n = nullptr;
          break;
        }
        auto& child = segs[k] == "*" ? n->star : n->literal[segs[k]];
        if (!child) child = std::make_unique<node>();
        n = child.get();
      }
      if (n) n->term |= ops;
    }
  }
  static void match(const node* n, const std::string_view* segs, std::size_t count, std::uint32_t& acc) {
    if (count == 0) {
      acc |= n->term;
      return;
    }
    acc |= n->trailing;
    if (auto it = n->literal.find(segs[0]); it != n->literal.end()) match(it->second.get(), segs + 1, count - 1, acc);
    if (n->star) match(n->star.get(), segs + 1, count - 1, acc);
  }
  std::uint32_t ops(std::string_view name) const {
    const auto parsed = capmatch::parse_name(name);
    if (!parsed) return 0;
    std::string_view segs[capmatch::max_segments];
    std::size_t count = 0;
    for (std::size_t pos = 0;;) {
      const auto colon = parsed->body.find(':', pos);
      segs[count++] = parsed->body.substr(pos, colon == std::string_view::npos ? colon : colon - pos);
      if (colon == std::string_view::npos) break;
      pos = colon + 1;
    }
    std::uint32_t acc = 0;
    const node* root = &none;
    if (parsed->qualified) {
      const auto it = named.find(parsed->qualifier);
      root = it == named.end() ? nullptr : &it->second;
    }
    if (root) match(root, segs, count, acc);
    match(&any, segs, count, acc);
    return acc;
  }
};

// The strong NATS-style sublist (bench/baselines/sublist.hpp): issue 15's baseline.
struct impl_sublist {
  capmatch_bench::strong_sublist s;
  explicit impl_sublist(const capability& cap) : s(cap) {}
  std::uint32_t ops(std::string_view name) const { return s.ops(name); }
};

// The floor: hashing the name once (a word-at-a-time multiply hash), no lookup at all.
struct impl_floor {
  explicit impl_floor(const capability&) {}
  std::uint32_t ops(std::string_view name) const {
    std::uint64_t h = name.size();
    std::size_t i = 0;
    for (; i + 8 <= name.size(); i += 8) {
      std::uint64_t w;
      std::memcpy(&w, name.data() + i, 8);
      h = (h ^ w) * 0x9E3779B97F4A7C15ull;
    }
    for (; i < name.size(); ++i) h = (h ^ static_cast<unsigned char>(name[i])) * 0x100000001B3ull;
    return static_cast<std::uint32_t>(h >> 32);
  }
};

// ---------------------------------------------------------------------------------------------
// Workloads, the gate, the benchmarks
// ---------------------------------------------------------------------------------------------

const std::size_t sizes[] = {1, 8, 64, 512, 4096, 32768};
// The shapes (bench/workloads.hpp, shape_pattern) from 64 patterns: smaller ones are the
// families' small cells again.
const std::size_t shape_sizes[] = {64, 512, 4096, 32768};

// RE2::Set and Hyperscan are built for N <= 4096 only: at 32768 their compilation takes
// minutes (and RE2's DFA runs out of its memory budget), beyond a 10-minute run.
constexpr std::size_t regex_set_max_n = 4096;

// Every workload the benchmark times and gates: the families at `sizes`, the shapes at
// `shape_sizes` (runs_on says which implementations run on each).
std::vector<std::pair<std::string, std::size_t>> all_workloads() {
  std::vector<std::pair<std::string, std::size_t>> out;
  for (const auto& fi : families)
    for (std::size_t n : sizes) out.emplace_back(fi.name, n);
  for (const auto& fi : shapes)
    for (std::size_t n : shape_sizes) out.emplace_back(fi.name, n);
  return out;
}

bool old_family(const std::string& f) { return f == "scoped" || f == "global"; }

struct prepared {
  workload w;
  capability cap;
  mutable std::vector<std::uint32_t> expected;  // see expected_of
};

// Built on first use (a filtered run prepares only the workloads it times).
const prepared& get_workload(const std::string& family, std::size_t n) {
  static std::map<std::pair<std::string, std::size_t>, std::unique_ptr<prepared>> cache;
  auto& slot = cache[{family, n}];
  if (!slot) {
    auto p = std::make_unique<prepared>();
    p->w = make_workload(family, n);
    p->cap = workload_capability(p->w);
    slot = std::move(p);
  }
  return *slot;
}

// The reference's answers, computed on first use (a floor-only run needs none; at N = 32768
// the reference takes seconds per workload).
const std::vector<std::uint32_t>& expected_of(const prepared& p) {
  if (p.expected.empty()) {
    const reference ref(p.cap);
    for (auto q : p.w.queries) p.expected.push_back(ref.ops(q));
  }
  return p.expected;
}

bool gate_failed = false;

// Empty when `impl` answers like the reference on the first `limit` queries, else the first
// difference (also printed to stderr).
template <class Impl>
std::string gate_one(const char* impl_name, const prepared& p, const Impl& impl, std::size_t limit = 4096) {
  expected_of(p);
  for (std::size_t i = 0; i < p.w.queries.size() && i < limit; ++i) {
    const std::uint32_t got = impl.ops(p.w.queries[i]);
    if (got != p.expected[i]) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "query #%zu: got %#x, reference %#x", i, got, p.expected[i]);
      std::fprintf(stderr, "GATE FAILED: %s on %s/N=%zu %s '%s'\n", impl_name, p.w.family.c_str(), p.w.n, buf,
                   std::string(p.w.queries[i]).c_str());
      gate_failed = true;
      return buf;
    }
  }
  return {};
}

// Which implementations run on which workloads (the gate and the timing use the same rule).
bool runs_on(std::string_view impl, const std::string& family, std::size_t n) {
  if (impl == "ops_for" || impl == "naive" || impl == "std_regex" || impl == "sublist_std")
    return old_family(family) && n <= 4096;
  if (impl == "re2_set" || impl == "hyperscan") return n <= regex_set_max_n;
  return true;
}

// std::regex is gated on the first 512 queries for N >= 512 (all 4096 would take minutes).
std::size_t gate_limit(std::string_view impl, std::size_t n) { return impl == "std_regex" && n >= 512 ? 512 : 4096; }

template <class Impl>
void gate_impl(const char* impl_name, const prepared& p) {
  if (!runs_on(impl_name, p.w.family, p.w.n)) return;
  // RE2::Set and Hyperscan take minutes to compile the larger workloads; --gate-only checks
  // them up to N = 512 (a timed run gates each one it times, at any N).
  if ((std::string_view(impl_name) == "re2_set" || std::string_view(impl_name) == "hyperscan") && p.w.n > 512) return;
  const Impl impl(p.cap);
  if constexpr (requires { impl.ok; }) {
    if (!impl.ok) {
      std::fprintf(stderr, "note: %s did not compile for %s/%zu\n", impl_name, p.w.family.c_str(), p.w.n);
      return;
    }
  }
  gate_one(impl_name, p, impl, gate_limit(impl_name, p.w.n));
}

// Every implementation against the reference on every query of every workload.
bool run_gate(bool verbose) {
  std::size_t checked = 0, hits = 0, count = 0;
  const auto gate_family = [&](const std::string& family, std::size_t n) {
    const prepared& p = get_workload(family, n);
    ++count;
    for (const std::uint32_t e : expected_of(p)) hits += e != 0;
    gate_impl<impl_matcher>("matcher", p);
    gate_impl<impl_trie_walk>("trie_walk", p);
    gate_impl<impl_sublist>("sublist", p);
    gate_impl<impl_sublist_std>("sublist_std", p);
    gate_impl<impl_ops_for>("ops_for", p);
    gate_impl<impl_naive>("naive", p);
    gate_impl<impl_std_regex>("std_regex", p);
#if CAPMATCH_BENCH_RE2
    gate_impl<impl_re2_set>("re2_set", p);
#endif
#if CAPMATCH_BENCH_HYPERSCAN
    gate_impl<impl_hyperscan>("hyperscan", p);
#endif
    checked += p.w.queries.size();
    if (verbose) std::fprintf(stderr, "gate: %s/%zu done\n", family.c_str(), n);
  };
  for (const auto& [f, n] : all_workloads()) gate_family(f, n);
  if (verbose)
    std::fprintf(stderr, "gate: %zu workloads, %zu queries (%zu granted something): %s\n", count, checked, hits,
                 gate_failed ? "FAILED" : "all implementations agree with the reference");
  return !gate_failed;
}

// check/FAMILY/IMPL/N, or shape/SHAPE/IMPL/N for the shapes (outside the grid's filter).
template <class Impl>
void register_check(const char* impl_name, const std::string& family, std::size_t n) {
  if (!runs_on(impl_name, family, n)) return;
  const std::string name =
      (is_shape(family) ? "shape/" : "check/") + family + "/" + impl_name + "/" + std::to_string(n);
  benchmark::RegisterBenchmark(name.c_str(), [family, n, impl_name](benchmark::State& st) {
    const prepared* p = &get_workload(family, n);
    (void)impl_name;  // unused in the floor's instantiation
    // Built and gated once per (workload, implementation), outside the timing: Google
    // Benchmark calls this function several times (iteration count estimation, repetitions).
    struct built_impl {
      std::unique_ptr<Impl> impl;
      std::string gate;  // empty: agrees with the reference
    };
    static std::map<const prepared*, built_impl> built;
    auto& slot = built[p];
    if (!slot.impl) {
      slot.impl = std::make_unique<Impl>(p->cap);
      bool compiled = true;
      if constexpr (requires { slot.impl->ok; }) compiled = slot.impl->ok;
      // The floor answers a hash, not ops: it is the only thing not gated.
      if constexpr (!std::is_same_v<Impl, impl_floor>)
        slot.gate = compiled ? gate_one(impl_name, *p, *slot.impl, gate_limit(impl_name, n)) : "did not compile";
    }
    if (!slot.gate.empty()) {
      st.SkipWithError(("correctness gate: " + slot.gate).c_str());
      return;
    }
    const Impl& impl = *slot.impl;
    if constexpr (std::is_same_v<Impl, impl_matcher>) st.counters["dfa"] = impl.m.determinised() ? 1 : 0;
    const std::string_view* qs = p->w.queries.data();
    std::size_t i = 0;
    for (auto _ : st) {
      benchmark::DoNotOptimize(impl.ops(qs[i]));
      i = (i + 1) & 4095;
    }
    st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()));
  });
}

void register_all() {
  const auto workloads = all_workloads();
  for (const auto& [f, n] : workloads) {
    register_check<impl_floor>("floor_hash", f, n);
    register_check<impl_matcher>("matcher", f, n);
    register_check<impl_trie_walk>("trie_walk", f, n);
    register_check<impl_sublist>("sublist", f, n);
    register_check<impl_sublist_std>("sublist_std", f, n);
    register_check<impl_ops_for>("ops_for", f, n);
    register_check<impl_naive>("naive", f, n);
#if CAPMATCH_BENCH_RE2
    register_check<impl_re2_set>("re2_set", f, n);
#endif
#if CAPMATCH_BENCH_HYPERSCAN
    register_check<impl_hyperscan>("hyperscan", f, n);
#endif
    register_check<impl_std_regex>("std_regex", f, n);
  }
  // Build cost and memory per pattern (shape_build/... for the shapes).
  for (const auto& w : workloads) {
    const std::string family = w.first;
    const std::size_t size = w.second;
    const std::string name = (is_shape(family) ? "shape_build/" : "build/") + family + "/" + std::to_string(size);
    benchmark::RegisterBenchmark(name.c_str(), [family, size](benchmark::State& st) {
      const prepared* p = &get_workload(family, size);
      std::size_t bytes = 0, states = 0;
      bool dfa = true;
      for (auto _ : st) {
        capmatch::matcher m(p->cap);
        bytes = m.memory_bytes();
        states = m.state_count();
        dfa = m.determinised();
        benchmark::DoNotOptimize(m);
      }
      std::size_t pattern_bytes = 0;
      for (const auto& s : p->w.patterns) pattern_bytes += s.size();
      const auto n = static_cast<double>(p->w.n);
      st.counters["patterns"] = n;
      st.counters["ns_per_pattern"] =
          benchmark::Counter(n, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
      st.counters["bytes_per_pattern"] = static_cast<double>(bytes) / n;
      st.counters["pattern_bytes_per_pattern"] = static_cast<double>(pattern_bytes) / n;
      st.counters["states"] = static_cast<double>(states);
      st.counters["dfa"] = dfa ? 1 : 0;
      // The strong sublist's tables, for comparison (bench/baselines/sublist.hpp).
      st.counters["sublist_bytes_per_pattern"] =
          static_cast<double>(capmatch_bench::strong_sublist(p->cap).memory_bytes()) / n;
    });
  }
}

// ---- parse + validate + canonicalise vs nlohmann::json::parse ----

void register_parse() {
  for (std::size_t size : {64, 512, 4096}) {
    const prepared* p = &get_workload("scoped", size);
    const std::string suffix = "/" + std::to_string(p->w.n);
    benchmark::RegisterBenchmark(("parse/capmatch" + suffix).c_str(), [p](benchmark::State& st) {
      std::size_t out = 0;
      for (auto _ : st) {
        auto c = capability::parse(p->w.json);
        out += c->size();
        benchmark::DoNotOptimize(c);
      }
      st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * p->w.json.size()));
      benchmark::DoNotOptimize(out);
    });
    benchmark::RegisterBenchmark(("parse/capmatch_with_canonical_text" + suffix).c_str(), [p](benchmark::State& st) {
      std::vector<char> text;
      for (auto _ : st) {
        auto c = capability::parse(p->w.json);
        text.clear();
        c->write_json(text);
        benchmark::DoNotOptimize(text.data());
      }
      st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * p->w.json.size()));
    });
#if CAPMATCH_BENCH_NLOHMANN
    benchmark::RegisterBenchmark(("parse/nlohmann_json_parse" + suffix).c_str(), [p](benchmark::State& st) {
      for (auto _ : st) {
        auto j = nlohmann::json::parse(p->w.json);
        benchmark::DoNotOptimize(j);
      }
      st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * p->w.json.size()));
    });
#endif
  }
}

// ---- intersection: 1000-entry key x 100-entry request ----

// The pairwise reference: every (key, request) pair, as docs/semantics.md §15 states it.
capability intersect_pairwise(const capability& key, const capability& request) {
  capability out;
  std::vector<char> text;
  for (std::size_t i = 0; i < key.size(); ++i) {
    const capmatch::pattern kp = key.pattern_at(i);
    for (std::size_t j = 0; j < request.size(); ++j) {
      const op_set ops = key.ops(i) & request.ops(j);
      if (ops.empty()) continue;
      text.clear();
      if (!capmatch::intersect(kp, request.pattern_at(j), text)) continue;
      capmatch::detail::capability_access::add(out, std::string_view(text.data(), text.size()), ops, 0);
    }
  }
  capmatch::detail::capability_access::sort(out, true);
  return out;
}

struct intersection_case {
  capability key, request;
};

const intersection_case& intersection_workload() {
  static const intersection_case c = [] {
    splitmix64 r{1000100};
    std::set<std::string> seen;
    std::string key = "{", req = "{";
    std::vector<std::string> kp;
    while (kp.size() < 1000) {
      std::string p = scoped_pattern(r, 150);
      if (seen.insert(p).second) {
        key += (kp.empty() ? "\"" : ",\"") + p + "\":" + gen_ops(r);
        kp.push_back(p);
      }
    }
    key += ",\"*\":[\"subscribe\"],\"[*]*\":[\"channel-metadata\"]}";
    seen.clear();
    std::size_t n = 0;
    while (n < 100) {
      // Requests: narrower names under the key's patterns, a few wildcards, some strangers.
      std::string p;
      switch (r.below(4)) {
        case 0: p = instantiate(r, kp[r.below(kp.size())]); break;
        case 1: p = scoped_pattern(r, 150); break;
        case 2: p = "tenant" + std::to_string(r.below(150)) + ":*"; break;
        default: p = "stranger" + std::to_string(r.below(1000)) + ":room"; break;
      }
      if (p.find('=') != std::string::npos || !seen.insert(p).second) continue;
      req += (n ? ",\"" : "\"") + p + "\":" + gen_ops(r);
      ++n;
    }
    req += "}";
    return intersection_case{capability::parse(key).value(), capability::parse(req).value()};
  }();
  return c;
}

bool intersection_gate() {
  const auto& c = intersection_workload();
  const auto fast = capmatch::intersect(c.key, c.request);
  const capability slow = intersect_pairwise(c.key, c.request);
  if (!fast || !(*fast == slow)) {
    std::fprintf(stderr, "GATE FAILED: capmatch::intersect differs from the pairwise reference\n");
    return false;
  }
  return true;
}

void register_intersection() {
  benchmark::RegisterBenchmark("intersect/capmatch/1000x100", [](benchmark::State& st) {
    const auto& c = intersection_workload();
    for (auto _ : st) {
      auto out = capmatch::intersect(c.key, c.request);
      benchmark::DoNotOptimize(out);
    }
    st.counters["result_size"] = static_cast<double>(capmatch::intersect(c.key, c.request)->size());
  });
  benchmark::RegisterBenchmark("intersect/pairwise_reference/1000x100", [](benchmark::State& st) {
    const auto& c = intersection_workload();
    for (auto _ : st) {
      auto out = intersect_pairwise(c.key, c.request);
      benchmark::DoNotOptimize(out);
    }
  });
}

// --passes=FAMILY/N/PASSES: the matcher over the workload's 4096 queries PASSES times, then
// exit; for counting instructions per check under `perf stat -e instructions:u` on a noisy
// machine (run with PASSES = 0 and with PASSES = k: the difference over k * 4096 checks).
int run_passes(const char* spec) {
  const std::string s(spec);
  const auto a = s.find('/'), b = s.rfind('/');
  if (a == std::string::npos || a == b) return std::fprintf(stderr, "--passes=FAMILY/N/PASSES\n"), 2;
  const prepared& p = get_workload(s.substr(0, a), std::stoul(s.substr(a + 1, b - a - 1)));
  const std::size_t passes = std::stoul(s.substr(b + 1));
  const impl_matcher impl(p.cap);
  // The matcher's shape, on stderr (the first group's tables: states, those with a fallback).
  const auto& t = capmatch::detail::cm::matcher_access::tables(impl.m);
  std::size_t fallback_states = 0;
  t.for_each_state([&](std::uint32_t, capmatch::detail::cm::state_ref st) {
    fallback_states += st.has_fallback() ? 1 : 0;
  });
  std::fprintf(stderr, "groups %zu determinised %d states %u with a fallback %zu\n", impl.m.groups(),
               impl.m.determinised() ? 1 : 0, t.state_count, fallback_states);
  std::uint32_t sum = 0;
  for (std::size_t k = 0; k < passes; ++k)
    for (const std::string_view q : p.w.queries) sum += impl.ops(q);
  std::printf("%u\n", sum);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  bool gate_only = false, no_gate = false;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--gate-only") == 0) gate_only = true;
    else if (std::strcmp(argv[i], "--no-gate-for-profiling") == 0) no_gate = true;
    else if (std::strncmp(argv[i], "--passes=", 9) == 0) return run_passes(argv[i] + 9);
    else args.push_back(argv[i]);
  }
  // --gate-only (the meson test): every implementation on every workload, then exit. A timed
  // run gates each (implementation, workload) just before timing it instead (SkipWithError on
  // a mismatch), so a filtered run builds and checks only what it times.
  if (gate_only) return run_gate(true) && intersection_gate() ? 0 : 1;
  if (!no_gate && !intersection_gate()) return 1;
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  register_all();
  register_parse();
  register_intersection();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
