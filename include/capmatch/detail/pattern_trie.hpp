// capmatch — a trie of a capability's patterns, for finding the entries whose pattern
// contains a given one without comparing every pair (lint's shadowed and implied-op checks).
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "../capability.hpp"
#include "../pattern.hpp"
#include "../version.hpp"

CAPMATCH_NAMESPACE_BEGIN

namespace detail {

/// The ':'-separated segments of all of `cap`'s patterns (qualifiers not counted): the size
/// the tries' work budgets are proportional to.
[[nodiscard]] constexpr std::size_t segment_count(const capability& cap) noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i < cap.size(); ++i)
    n += 1 + static_cast<std::size_t>(std::count(cap.pattern_at(i).body.begin(), cap.pattern_at(i).body.end(), ':'));
  return n;
}

/// The patterns of a capability that can match something, in a trie: one root per qualifier
/// class ("no qualifier", "[*]", "[queue]", ...), then one level per ':'-separated segment.
/// Pattern a contains pattern b (every name b matches, a matches) exactly when a's root is
/// b's or "[*]" and, segment by segment, a's segment is "*" or equal to b's literal segment,
/// a ending either where b ends or with a "*" (which takes the rest). So the containers of b
/// lie on the trie paths that follow, at each level, b's literal segment and "*": a walk
/// visits only those nodes, and skips a subtree that grants too few operations or holds no
/// entry earlier than the best found so far. Built in O(total bytes * log n).
class pattern_trie {
 public:
  static constexpr std::uint32_t none = 0xFFFFFFFFu;

  constexpr explicit pattern_trie(const capability& cap) : cap_(cap) {
    for (std::size_t j = 0; j < cap.size(); ++j)
      if (!cap.pattern_at(j).matches_nothing()) order_.push_back(static_cast<std::uint32_t>(j));
    std::sort(order_.begin(), order_.end(), [&](std::uint32_t x, std::uint32_t y) {
      const int c = compare(cap.pattern_at(x), cap.pattern_at(y));
      return c != 0 ? c < 0 : x < y;
    });
    std::vector<std::uint32_t> path;  // path[d]: the node at depth d (0: the root)
    std::vector<std::uint32_t> parent;
    for (std::size_t k = 0; k < order_.size(); ++k) {
      const pattern p = cap.pattern_at(order_[k]);
      std::size_t pos = 0, depth = 0;  // segments shared with the previous pattern
      if (k != 0 && same_root(p, cap.pattern_at(order_[k - 1]))) {
        const std::string_view prev = cap.pattern_at(order_[k - 1]).body;
        for (; pos <= p.body.size() && pos <= prev.size(); ++depth) {
          const std::string_view s = segment_at(p.body, pos);
          if (s != segment_at(prev, pos)) break;
          pos += s.size() + 1;
        }
        path.resize(depth + 1);
      } else {
        path.assign(1, new_node(parent, none, {}));
        roots_.push_back({p.kind, p.kind == qualifier_kind::named ? p.qualifier : std::string_view(), path[0]});
      }
      for (; pos <= p.body.size(); ++depth) {
        const std::string_view s = segment_at(p.body, pos);
        path.push_back(new_node(parent, path.back(), s));
        pos += s.size() + 1;
      }
      node& n = nodes_[path.back()];
      if (n.ends_begin == n.ends_end) n.ends_begin = static_cast<std::uint32_t>(k);
      n.ends_end = static_cast<std::uint32_t>(k + 1);
    }
    // Children in creation order (which is segment order), grouped by parent; subtree facts.
    std::vector<std::uint32_t> count(nodes_.size() + 1, 0);
    for (std::size_t v = 0; v < nodes_.size(); ++v)
      if (parent[v] != none) ++count[parent[v] + 1];
    for (std::size_t v = 0; v < nodes_.size(); ++v) {
      count[v + 1] += count[v];
      nodes_[v].kids_begin = nodes_[v].kids_end = count[v];
    }
    kids_.assign(nodes_.size(), 0);
    for (std::size_t v = 0; v < nodes_.size(); ++v) {
      if (parent[v] == none) continue;
      kids_[nodes_[parent[v]].kids_end++] = static_cast<std::uint32_t>(v);
      if (nodes_[v].seg == "*") nodes_[parent[v]].star = static_cast<std::uint32_t>(v);
    }
    for (std::size_t v = nodes_.size(); v-- > 0;) {
      node& n = nodes_[v];
      for (std::uint32_t e = n.ends_begin; e < n.ends_end; ++e) {
        n.end_ops |= cap.ops(order_[e]).granted_bits();
        n.sub_min = std::min(n.sub_min, order_[e]);
      }
      n.sub_ops |= n.end_ops;
      if (parent[v] == none) continue;
      node& up = nodes_[parent[v]];
      up.sub_ops |= n.sub_ops;
      up.sub_min = std::min(up.sub_min, n.sub_min);
    }
  }

  /// The least entry index j whose pattern contains `p`, whose operations include every bit
  /// of `need`, and for which accept(j) is true; `none` if there is none, or if the work
  /// budget ran out during this search (then exhausted() is true and the answer unknown).
  template <class Accept>
  [[nodiscard]] constexpr std::uint32_t least_container(const pattern& p, std::uint32_t need, Accept accept) {
    if (p.matches_nothing() || exhausted_) return none;
    std::uint32_t best = none;
    const std::uint32_t mine = find_root(p.kind, p.kind == qualifier_kind::named ? p.qualifier : std::string_view());
    const std::uint32_t any = p.kind == qualifier_kind::any ? none : find_root(qualifier_kind::any, {});
    for (const std::uint32_t r : {mine, any})
      if (r != none) walk(r, p, 0, need, accept, best);
    return exhausted_ ? none : best;
  }

  /// The granted bits of `need` that some entry whose pattern contains `p` grants (the union
  /// over all such entries); stops as soon as all of `need` is found. When the work budget
  /// runs out (exhausted()), the bits found so far: a subset of the exact answer, never more.
  [[nodiscard]] constexpr std::uint32_t granted_over(const pattern& p, std::uint32_t need) {
    if (p.matches_nothing() || need == 0 || exhausted_) return 0;
    std::uint32_t got = 0;
    const std::uint32_t mine = find_root(p.kind, p.kind == qualifier_kind::named ? p.qualifier : std::string_view());
    const std::uint32_t any = p.kind == qualifier_kind::any ? none : find_root(qualifier_kind::any, {});
    for (const std::uint32_t r : {mine, any})
      if (r != none && (got & need) != need) collect(r, p, 0, need, got);
    return got & need;
  }

  /// Stops every search once work() reaches `steps` (see exhausted()).
  constexpr void set_budget(std::size_t steps) noexcept { budget_ = steps; }
  /// True once a search stopped because work() reached the budget; every later search
  /// returns `none` at once.
  [[nodiscard]] constexpr bool exhausted() const noexcept { return exhausted_; }

  /// Nodes visited (and, by least_container, entries examined) so far: the work the budget
  /// bounds and the complexity tests count.
  [[nodiscard]] constexpr std::size_t work() const noexcept { return work_; }

 private:
  struct node {
    std::string_view seg;  // the segment on the edge into this node (empty for a root)
    std::uint32_t kids_begin = 0, kids_end = 0;  // children in kids_, by segment
    std::uint32_t ends_begin = 0, ends_end = 0;  // entries ending here, in order_ (by index)
    std::uint32_t end_ops = 0;                   // granted bits of the entries ending here
    std::uint32_t sub_ops = 0;                   // granted bits of every entry in the subtree
    std::uint32_t sub_min = none;                // least entry index in the subtree
    std::uint32_t star = none;                   // the child whose segment is "*"
  };
  struct root {
    qualifier_kind kind = qualifier_kind::none;
    std::string_view qualifier;
    std::uint32_t node = none;
  };

  [[nodiscard]] static constexpr bool same_root(const pattern& a, const pattern& b) noexcept {
    return a.kind == b.kind && (a.kind != qualifier_kind::named || a.qualifier == b.qualifier);
  }
  // Orders by root (kind, then qualifier), then segment by segment: patterns sharing a root
  // and leading segments are contiguous, and a node's children come in segment order.
  [[nodiscard]] static constexpr int compare(const pattern& a, const pattern& b) noexcept {
    if (a.kind != b.kind) return a.kind < b.kind ? -1 : 1;
    if (a.kind == qualifier_kind::named)
      if (const int c = a.qualifier.compare(b.qualifier); c != 0) return c;
    std::size_t i = 0, j = 0;
    for (;;) {
      const std::string_view sa = segment_at(a.body, i), sb = segment_at(b.body, j);
      if (const int c = sa.compare(sb); c != 0) return c;
      i += sa.size() + 1;
      j += sb.size() + 1;
      const bool end_a = i > a.body.size(), end_b = j > b.body.size();
      if (end_a || end_b) return end_a == end_b ? 0 : end_a ? -1 : 1;
    }
  }
  constexpr std::uint32_t new_node(std::vector<std::uint32_t>& parent, std::uint32_t up, std::string_view seg) {
    node n;
    n.seg = seg;
    nodes_.push_back(n);
    parent.push_back(up);
    return static_cast<std::uint32_t>(nodes_.size() - 1);
  }
  [[nodiscard]] constexpr std::uint32_t find_root(qualifier_kind kind, std::string_view qualifier) const noexcept {
    // roots_ is in compare() order: by kind, then qualifier.
    const auto it = std::lower_bound(roots_.begin(), roots_.end(), root{kind, qualifier, none},
                                     [](const root& x, const root& y) {
                                       return x.kind != y.kind ? x.kind < y.kind : x.qualifier < y.qualifier;
                                     });
    return it != roots_.end() && it->kind == kind && it->qualifier == qualifier ? it->node : none;
  }
  [[nodiscard]] constexpr std::uint32_t child(std::uint32_t v, std::string_view seg) const noexcept {
    const auto b = kids_.begin() + nodes_[v].kids_begin, e = kids_.begin() + nodes_[v].kids_end;
    const auto it = std::lower_bound(b, e, seg, [&](std::uint32_t k, std::string_view s) { return nodes_[k].seg < s; });
    return it != e && nodes_[*it].seg == seg ? *it : none;
  }

  template <class Accept>
  constexpr void walk(std::uint32_t v, const pattern& p, std::size_t pos, std::uint32_t need, Accept& accept,
                      std::uint32_t& best) {
    const std::string_view s = segment_at(p.body, pos);
    const bool last = pos + s.size() == p.body.size();
    // A literal of p is held by the same literal or "*"; p's "*" only by "*" (docs on contains).
    const std::uint32_t next[2] = {s == "*" ? none : child(v, s), nodes_[v].star};
    for (const std::uint32_t c : next) {
      if (c == none) continue;
      if (work_ >= budget_) {
        exhausted_ = true;
        return;
      }
      ++work_;
      const node& n = nodes_[c];
      if ((n.sub_ops & need) != need || n.sub_min >= best) continue;
      if (last || n.seg == "*") {  // the entries ending here contain p
        for (std::uint32_t e = n.ends_begin; e < n.ends_end && order_[e] < best; ++e) {
          if (work_ >= budget_) {
            exhausted_ = true;
            return;
          }
          ++work_;
          const std::uint32_t j = order_[e];
          if ((cap_.ops(j).granted_bits() & need) == need && accept(j)) best = j;
        }
      }
      if (!last) walk(c, p, pos + s.size() + 1, need, accept, best);
      if (exhausted_) return;
    }
  }

  // Like walk(), but ORs the operations of every container into `got` (one step per node:
  // end_ops holds those of the entries ending there), skipping subtrees that grant nothing
  // of `need` not found yet.
  constexpr void collect(std::uint32_t v, const pattern& p, std::size_t pos, std::uint32_t need, std::uint32_t& got) {
    const std::string_view s = segment_at(p.body, pos);
    const bool last = pos + s.size() == p.body.size();
    const std::uint32_t next[2] = {s == "*" ? none : child(v, s), nodes_[v].star};
    // The containers ending at this level first (both children), then deeper ones.
    for (const std::uint32_t c : next) {
      if (c == none) continue;
      if (work_ >= budget_) {
        exhausted_ = true;
        return;
      }
      ++work_;
      const node& n = nodes_[c];
      if (last || n.seg == "*") got |= n.end_ops;
    }
    if ((got & need) == need || last) return;
    for (const std::uint32_t c : next)
      if (c != none && (nodes_[c].sub_ops & need & ~got) != 0) {
        collect(c, p, pos + s.size() + 1, need, got);
        if ((got & need) == need || exhausted_) return;
      }
  }

  const capability& cap_;
  std::vector<std::uint32_t> order_;  // entries that can match, by (root, segments, index)
  std::vector<node> nodes_;
  std::vector<std::uint32_t> kids_;
  std::vector<root> roots_;
  std::size_t work_ = 0;
  std::size_t budget_ = static_cast<std::size_t>(-1);
  bool exhausted_ = false;
};

}  // namespace detail

CAPMATCH_NAMESPACE_END
