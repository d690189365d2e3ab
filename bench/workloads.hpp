// The benchmark's deterministic workload generator (fixed seeds: the same workloads on every
// run and host). Families of capabilities of N patterns, 4096 queries each, even-numbered
// queries hits (a pattern instantiated), odd-numbered near misses. bench/RESULTS.md describes
// every family.
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "../tests/random.hpp"

namespace capmatch_bench {

// ---------------------------------------------------------------------------------------------
// Deterministic workload generator
// ---------------------------------------------------------------------------------------------

using capmatch_test::splitmix64;

const char* const op_names[] = {"subscribe", "publish", "presence", "history", "channel-metadata",
                                "object-subscribe", "annotation-publish", "push-subscribe"};

std::string gen_ops(splitmix64& r) { return capmatch_test::random_ops_json(r, op_names, 10, 35); }

std::string token(splitmix64& r) {
  static const char* const words[] = {"room", "lobby", "admin", "typing", "user", "jobs", "log", "app", "chat"};
  switch (r.below(4)) {
    case 0: return words[r.below(std::size(words))];
    case 1: return "u" + std::to_string(r.below(100000));
    case 2: return "msg" + std::to_string(r.below(1000));
    default: return std::to_string(r.below(100));
  }
}

std::string scoped_pattern(splitmix64& r, std::size_t tenants) {
  const std::string t = "tenant" + std::to_string(r.below(tenants));
  const std::string room = std::to_string(r.below(100));
  switch (r.below(10)) {
    case 0: case 1: return t + ":room:" + room;                                   // exact
    case 2: return t + ":room:" + room + ":thread" + std::to_string(r.below(10));  // exact, 4 segments
    case 3: return r.chance(50) ? t + ":*:admin" : t + ":room:*:typing";            // middle wildcard
    case 4: return r.chance(50) ? t + ":room:*" : t + ":user:u" + std::to_string(r.below(1000)) + ":*";  // trailing
    case 5: return r.chance(50) ? t + ":room*:" + room : t + ":lobby*";            // literal-star segments
    case 6: return "[*]" + t + ":app:*";
    case 7: return r.chance(50) ? "[queue]" + t + ":jobs:" + room : "[queue]" + t + ":jobs:*";
    case 8: return r.chance(50) ? "[meta]" + t + ":log" : "[meta]" + t + ":log:" + room;
    default: return t + ":chat:" + room + ":" + token(r);
  }
}

struct workload {
  std::string family;
  std::size_t n = 0;
  std::vector<std::string> patterns;
  std::vector<std::string> pattern_ops;  // each pattern's JSON op list
  std::string json;
  std::vector<std::string> query_text;
  std::vector<std::string_view> queries;
  std::vector<std::uint8_t> is_hit;
};

std::size_t segment_count(std::string_view name) {
  const auto close = name[0] == '[' ? name.find(']') + 1 : 0;
  return 1 + static_cast<std::size_t>(std::count(name.begin() + static_cast<std::ptrdiff_t>(close), name.end(), ':'));
}

// A name the pattern matches: wildcards filled with tokens, a [*] qualifier with any qualifier.
// With `tenant_first` tenants, a wildcard first segment is one of those tenants half the time (the traffic a
// leading-wildcard pattern sees in a tenant-scoped application); with `fill`, middle
// wildcards are that literal half the time (the adversarial family's `a` segments).
std::string instantiate(splitmix64& r, std::string_view p, std::size_t tenant_first = 0, std::string_view fill = {}) {
  std::string name;
  std::size_t i = 0;
  if (p[0] == '[') {
    i = p.find(']') + 1;
    if (p.substr(0, i) == "[*]") {
      static const char* const qs[] = {"", "", "[queue]", "[meta]", "[filter=name == 'x']"};
      name = qs[r.below(5)];
    } else {
      name = std::string(p.substr(0, i));
    }
  } else if (r.chance(3)) {
    name = "[?rewind=1]";
  }
  const std::string_view body = p.substr(i);
  std::size_t pos = 0;
  for (bool first = true;; first = false) {
    const auto colon = body.find(':', pos);
    const std::string_view seg = body.substr(pos, colon == std::string_view::npos ? colon : colon - pos);
    if (!first) name += ':';
    if (seg == "*") {
      if (first && tenant_first && r.chance(50)) name += "tenant" + std::to_string(r.below(tenant_first));
      else if (!fill.empty() && colon != std::string_view::npos && r.chance(50)) name += fill;
      else name += token(r);
      if (colon == std::string_view::npos)
        for (std::size_t k = r.below(3); k != 0; --k) name += ":" + token(r);
    } else {
      name += seg;
    }
    if (colon == std::string_view::npos) break;
    pos = colon + 1;
  }
  return name;
}

// One segment changed, added or removed, or the wrong qualifier.
std::string near_miss(splitmix64& r, std::string name) {
  const std::size_t close = name[0] == '[' ? name.find(']') + 1 : 0;
  std::string qual = name.substr(0, close), body = name.substr(close);
  std::vector<std::string> segs;
  for (std::size_t pos = 0;;) {
    const auto colon = body.find(':', pos);
    segs.push_back(body.substr(pos, colon == std::string::npos ? colon : colon - pos));
    if (colon == std::string::npos) break;
    pos = colon + 1;
  }
  switch (r.below(4)) {
    case 0: {
      auto& s = segs[r.below(segs.size())];
      s = r.chance(50) ? token(r) : s + "x";
      break;
    }
    case 1: segs.insert(segs.begin() + static_cast<std::ptrdiff_t>(r.below(segs.size() + 1)), token(r)); break;
    case 2:
      if (segs.size() > 1) segs.erase(segs.begin() + static_cast<std::ptrdiff_t>(r.below(segs.size())));
      break;
    default:
      qual = qual.empty() ? (r.chance(50) ? "[queue]" : "[meta]") : qual == "[queue]" ? "[meta]" : "";
      break;
  }
  std::string out = qual;
  for (std::size_t i = 0; i < segs.size(); ++i) out += (i ? ":" : "") + segs[i];
  return out;
}

// ---- issue 15's families ----

// Leading-wildcard patterns, the shapes an app adds to tenant-scoped capabilities.
std::string leading_pattern(splitmix64& r, std::size_t spread) {
  static const char* const tails[] = {"admin", "typing", "presence", "x", "audit", "events"};
  std::string tail = tails[r.below(std::size(tails))];
  if (r.chance(70)) tail += std::to_string(r.below(spread));
  switch (r.below(4)) {
    case 0: return "*:room:" + tail;
    case 1: return "*:*:" + tail;
    case 2: return "[*]*:" + tail;
    default: return "*:user:" + tail + ":*";
  }
}

// `[*]`-qualified deep wildcards: 3-7 segments under a tenant, 40 % of the middle ones `*`,
// ending in a trailing `*` half the time.
std::string anyq_pattern(splitmix64& r, std::size_t tenants) {
  static const char* const words[] = {"room", "events", "typing", "app", "log", "state", "user"};
  std::string p = "[*]tenant" + std::to_string(r.below(tenants));
  const std::size_t segs = 2 + r.below(5);
  for (std::size_t i = 0; i + 1 < segs; ++i) p += r.chance(40) ? std::string(":*") : ":" + std::string(words[r.below(std::size(words))]);
  p += r.chance(50) ? std::string(":*") : ":" + std::to_string(r.below(100));
  return p;
}

// Many distinct qualifiers: [ns0] ... [ns(N/4)], some [*] patterns among them.
std::string quals_pattern(splitmix64& r, std::size_t tenants, std::size_t quals) {
  const std::string t = "tenant" + std::to_string(r.below(tenants));
  const std::string q = "[ns" + std::to_string(r.below(quals)) + "]";
  switch (r.below(6)) {
    case 0: case 1: return q + t + ":room:" + std::to_string(r.below(100));
    case 2: return q + t + ":*";
    case 3: return q + t + ":*:typing";
    case 4: return "[*]" + t + ":app:" + std::to_string(r.below(20)) + ":*";
    default: return scoped_pattern(r, tenants);
  }
}

// Deep names: 10-30 segments under a tenant, 10 % middle `*`, a trailing `*` 20 % of the time.
std::string deep_pattern(splitmix64& r, std::size_t tenants) {
  std::string p = "tenant" + std::to_string(r.below(tenants));
  const std::size_t segs = 10 + r.below(21);
  for (std::size_t i = 1; i + 1 < segs; ++i)
    p += r.chance(10) ? std::string(":*") : ":d" + std::to_string(i) + "x" + std::to_string(r.below(i < 4 ? 4 : 2));
  p += r.chance(20) ? std::string(":*") : ":leaf" + std::to_string(r.below(10));
  return p;
}

// A 64-hex-digit identifier: the long segments (> 64 bytes) of the longseg family.
std::string long_id(const char* prefix, std::uint64_t id) {
  splitmix64 h{id * 0x9E3779B97F4A7C15ull + 17};
  std::string s = prefix;
  static const char hex[] = "0123456789abcdef";
  for (int i = 0; i < 64; ++i) s += hex[h.below(16)];
  return s;
}

// Tenant and room ids of 65-70 bytes, otherwise the scoped shapes.
std::string longseg_pattern(splitmix64& r, std::size_t tenants) {
  const std::string t = long_id("tenant-", r.below(tenants));
  const std::string room = long_id("room-", r.below(50));
  switch (r.below(6)) {
    case 0: case 1: return t + ":" + room;
    case 2: return t + ":*:" + room;
    case 3: return t + ":" + room + ":*";
    case 4: return "[*]" + t + ":app:*";
    default: return "[queue]" + t + ":jobs:" + room;
  }
}

// A qualifier with `=value` / `?params` on every name (dropped for matching, §6).
std::string with_params(splitmix64& r, const std::string& name) {
  const std::string params = r.chance(50) ? "?rewind=" + std::to_string(r.below(100)) : "?delta=vcdiff&rewind=1";
  if (name[0] != '[') return "[" + params + "]" + name;
  const auto close = name.find(']');
  const std::string inside = name.substr(1, close - 1);
  if (inside.find_first_of("=?") != std::string::npos) return name;
  return "[" + inside + (r.chance(30) ? "=v" + std::to_string(r.below(9)) : std::string()) + params + "]" + name.substr(close + 1);
}

// Adversarial: groups of d = min(N, 16) patterns `*^j:a<g>:*^(d-1-j):x<g>` (j = 0..d-1);
// after k segments the automaton must remember which of them were `a<g>`: 2^k states.
std::vector<std::string> adversarial_patterns(std::size_t n) {
  std::vector<std::string> out;
  const std::size_t d = std::min<std::size_t>(n, 16);
  for (std::size_t g = 0; out.size() < n; ++g)
    for (std::size_t j = 0; j < d && out.size() < n; ++j) {
      // (appended piecewise: g++ 12 -O3 warns falsely on "a" + std::to_string(g) here)
      std::string p;
      for (std::size_t i = 0; i < d; ++i) {
        if (i != 0) p += ':';
        if (i == j) p.append(1, 'a').append(std::to_string(g));
        else p += '*';
      }
      p.append(":x").append(std::to_string(g));
      out.push_back(std::move(p));
    }
  return out;
}

// ---- shapes: capabilities the families above do not generate (a cliff hunt; bench/RESULTS.md,
// session 40). Timed as shape/... beside the grid, not in it, and gated like every family.

// A version-4-like UUID (36 bytes): the client and user ids of real capabilities, segments
// over 16 bytes (hashed and compared in the pool).
std::string uuid_like(splitmix64& r) {
  static const char hex[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 36; ++i) s += (i == 8 || i == 13 || i == 18 || i == 23) ? '-' : hex[r.below(16)];
  return s;
}

// One pattern of shape `shape` for a capability of n patterns over `tenants` tenants.
std::string shape_pattern(const std::string& shape, splitmix64& r, std::size_t n, std::size_t tenants) {
  const std::string t = "tenant" + std::to_string(r.below(tenants));
  if (shape == "mixed") {  // the families' generators in one capability
    const std::size_t k = r.below(100);
    if (k < 5) return leading_pattern(r, 40);
    if (k < 25) return anyq_pattern(r, tenants);
    if (k < 40) return quals_pattern(r, tenants, std::max<std::size_t>(1, n / 16));
    if (k < 60) return deep_pattern(r, tenants);
    return scoped_pattern(r, tenants);
  }
  if (shape == "uuid") {  // per-user channels under tenants
    switch (r.below(5)) {
      case 0: return t + ":user:" + uuid_like(r);
      case 1: return t + ":user:" + uuid_like(r) + ":*";
      case 2: return t + ":room:" + uuid_like(r) + ":presence";
      case 3: return "[*]" + t + ":" + uuid_like(r) + ":*";
      default: return uuid_like(r) + ":" + t;
    }
  }
  // lead50: make_workload's lead branch (the lead families') has made the leading half already
  if (shape == "lead50") return scoped_pattern(r, tenants);
  if (shape == "deepstar") {  // 6-20 segments, 30 % of them `*`, over a 3-word alphabet
    std::string p = t;
    for (std::size_t i = 1, segs = 6 + r.below(15); i < segs; ++i)
      p += r.chance(30) ? std::string(":*") : ":s" + std::to_string(r.below(3));
    return p;
  }
  if (shape == "wide") {  // one namespace, thousands of rooms, a few wildcards across them
    if (r.chance(2)) return "chat:*:typing" + std::to_string(r.below(5));
    return "chat:room" + std::to_string(r.below(8 * n));
  }
  if (shape == "rnd") {  // random paths over a small alphabet and `*` (25 %): no structure at all
    std::string p;
    for (std::size_t i = 0, segs = 2 + r.below(5); i < segs; ++i)
      p += (i ? ":" : "") + (r.chance(25) ? std::string("*") : "k" + std::to_string(r.below(4 + n / 1024)));
    return p;
  }
  if (shape == "qdeep") {  // deep names under many named qualifiers, `[*]*:x` beside them
    if (r.chance(3)) return "[*]*:x" + std::to_string(r.below(10));
    return "[ns" + std::to_string(r.below(std::max<std::size_t>(1, n / 8))) + "]" + deep_pattern(r, tenants);
  }
  // "ably": what Ably's documentation shows, mixed: namespaces, per-client channels, metachannels,
  // queues, channel params, a leading wildcard
  const std::string id = std::to_string(r.below(tenants));
  switch (r.below(8)) {
    case 0: return "chat:" + id + ":*";
    case 1: return "[meta]channel.lifecycle";
    case 2: return "[?rewind=1]" + t + ":*";
    case 3: return "[queue]" + t + ":jobs";
    case 4: return "private:client-" + id;
    case 5: return "presence:client-" + id + ":*";
    case 6: return "*:client-" + id;
    default: return t + ":room:" + std::to_string(r.below(50));
  }
}

struct family_info {
  const char* name;
  std::size_t min_segs, max_segs, min_bytes, max_bytes;  // query filter
};

// Every family: the session 1-3 ones first, then issue 15's.
const family_info families[] = {
    {"scoped", 2, 6, 8, 80},         {"global", 2, 6, 8, 80},         {"lead0.1", 2, 6, 8, 80},
    {"lead1", 2, 6, 8, 80},          {"lead10", 2, 6, 8, 80},         {"anyq", 2, 10, 8, 120},
    {"quals", 2, 6, 8, 80},          {"deep", 10, 40, 8, 400},        {"longseg", 2, 6, 8, 400},
    {"params", 2, 6, 8, 120},        {"adversarial", 2, 20, 4, 200},
};

// The shapes (shape_pattern), each name of up to 40 segments and 400 bytes.
const family_info shapes[] = {
    {"mixed", 1, 40, 1, 400}, {"uuid", 1, 40, 1, 400}, {"lead50", 1, 40, 1, 400}, {"deepstar", 1, 40, 1, 400},
    {"wide", 1, 40, 1, 400},  {"rnd", 1, 40, 1, 400},  {"qdeep", 1, 40, 1, 400},  {"ably", 1, 40, 1, 400},
};

bool is_shape(const std::string& f) {
  for (const auto& fi : shapes)
    if (f == fi.name) return true;
  return false;
}

const family_info& family_of(const std::string& f) {
  for (const auto& fi : families)
    if (f == fi.name) return fi;
  for (const auto& fi : shapes)
    if (f == fi.name) return fi;
  std::abort();
}

workload make_workload(const std::string& family, std::size_t n) {
  workload w;
  w.family = family;
  w.n = n;
  std::uint64_t salt = 0;
  for (char c : family) salt = salt * 131 + static_cast<unsigned char>(c);
  const bool old_family = family == "scoped" || family == "global";
  splitmix64 r{0xC0FFEEull * (n + 1) + (family == "global" ? 7 : old_family ? 0 : salt)};
  std::set<std::string> seen;
  auto add = [&](std::string p) {
    if (w.patterns.size() < n && seen.insert(p).second) w.patterns.push_back(std::move(p));
  };
  if (family == "global") {
    static const char* const globals[] = {"*", "[*]*", "[queue]*", "[meta]*"};
    for (const char* g : globals) add(g);
  }
  const std::size_t tenants = std::max<std::size_t>(1, n / 6);
  if (family.rfind("lead", 0) == 0) {
    // ceil(p N) leading-wildcard patterns (so every size has at least one), the rest scoped.
    const double pct = std::stod(family.substr(4));
    const auto lead = static_cast<std::size_t>(std::ceil(static_cast<double>(n) * pct / 100.0));
    while (w.patterns.size() < lead) add(leading_pattern(r, std::max<std::size_t>(40, lead)));
  }
  if (family == "adversarial")
    for (auto& p : adversarial_patterns(n)) add(std::move(p));
  while (w.patterns.size() < n) {
    if (is_shape(family)) add(shape_pattern(family, r, n, tenants));
    else if (family == "anyq") add(r.chance(50) ? anyq_pattern(r, tenants) : scoped_pattern(r, tenants));
    else if (family == "quals") add(quals_pattern(r, tenants, std::max<std::size_t>(1, n / 4)));
    else if (family == "deep") add(deep_pattern(r, tenants));
    else if (family == "longseg") add(longseg_pattern(r, tenants));
    else add(scoped_pattern(r, tenants));
  }
  // Shuffle the new families' patterns so that leading wildcards are not all first in the document.
  if (!old_family)
    for (std::size_t i = w.patterns.size(); i > 1; --i) std::swap(w.patterns[i - 1], w.patterns[r.below(i)]);
  w.json = "{";
  for (std::size_t i = 0; i < w.patterns.size(); ++i)
{
    w.pattern_ops.push_back(gen_ops(r));
    w.json += (i ? ",\"" : "\"") + w.patterns[i] + "\":" + w.pattern_ops.back();
  }
  w.json += "}";
  const family_info& fi = family_of(family);
  while (w.query_text.size() < 4096) {
    const bool hit = w.query_text.size() % 2 == 0;
    const std::string& pat = w.patterns[r.below(w.patterns.size())];
    std::string fill;
    if (family == "adversarial") fill = pat.substr(pat.find('a'), pat.find(':', pat.find('a')) - pat.find('a'));
    std::string q = old_family ? instantiate(r, pat) : instantiate(r, pat, tenants, fill);
    if (!hit) q = near_miss(r, q);
    if (family == "params") q = with_params(r, q);
    const std::size_t segs = segment_count(q);
    if (segs < fi.min_segs || segs > fi.max_segs || q.size() < fi.min_bytes || q.size() > fi.max_bytes) continue;
    w.query_text.push_back(std::move(q));
    w.is_hit.push_back(hit);
  }
  for (const auto& q : w.query_text) w.queries.push_back(q);
  return w;
}

}  // namespace capmatch_bench
