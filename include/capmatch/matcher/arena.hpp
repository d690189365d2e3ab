// capmatch — matcher internals: the builder's arena, where a construction's short-lived arrays live
// (docs/matcher.md, "The builder's arena").
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

#include "../version.hpp"
#include "inline.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define CAPMATCH_DETAIL_ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CAPMATCH_DETAIL_ARENA_ASAN 1
#endif
#endif
#ifdef CAPMATCH_DETAIL_ARENA_ASAN
#include <sanitizer/asan_interface.h>
#endif

CAPMATCH_NAMESPACE_BEGIN
namespace detail::cm {

/// Bump allocation for one builder's arrays. A small build was otherwise mostly malloc and free:
/// a one-pattern matcher made 15 short-lived arrays, and their allocations were a fifth of its
/// instructions (docs/matcher.md, "The builder's arena"). The arena hands out the small ones (up
/// to `small_limit` bytes) from a buffer inside the builder, then from heap chunks; a request
/// larger than that goes to the heap as before, so a large build's big arrays are unchanged.
/// Memory is given back only when it is the last taken (an array that grows while another was
/// allocated after it leaves its old block behind): the arena is for arrays made once per pass,
/// never for ones made per item, and each such array leaves less than 2 × small_limit behind
/// (its blocks up to the limit double). Everything is freed with the builder.
///
/// Never used in constant evaluation (bvec takes std::allocator there). Under
/// AddressSanitizer every part of a chunk that is not a live block is poisoned, and each block
/// is followed by a poisoned redzone, as the heap's: a read or write past an array's capacity
/// is still reported.
class build_arena {
 public:
  static constexpr std::size_t small_limit = 1024;  ///< larger requests go to the heap
  static constexpr std::size_t inline_bytes = 4096;  ///< the buffer inside the builder
  static constexpr std::size_t chunk_bytes = 16384;  ///< each heap chunk after it

  constexpr build_arena() noexcept {
    if (!std::is_constant_evaluated()) {
      top_ = first_;
      end_ = first_ + inline_bytes;
      poison(first_, inline_bytes);
    }
  }
  build_arena(const build_arena&) = delete;
  build_arena& operator=(const build_arena&) = delete;
  constexpr ~build_arena() {
    if (std::is_constant_evaluated()) return;
    unpoison(first_, inline_bytes);  // (stack memory: the next frame must find it addressable)
    while (chunks_ != nullptr) {
      chunk* next = chunks_->next;
      ::operator delete(static_cast<void*>(chunks_));
      chunks_ = next;
    }
  }

  /// Every block's alignment: operator new's, as std::allocator's for any builder array.
  static constexpr std::size_t align = __STDCPP_DEFAULT_NEW_ALIGNMENT__;

  /// `bytes` (1 to small_limit), aligned to `align`.
  [[nodiscard]] void* take(std::size_t bytes) {
    const std::size_t size = step(bytes);
    if (static_cast<std::size_t>(end_ - top_) < size) new_chunk();
    std::byte* p = top_;
    top_ += size;
    unpoison(p, bytes);
    return p;
  }
  /// Gives back `bytes` at `p` (a take(bytes)): reused when it is the last block taken.
  void give_back(void* p, std::size_t bytes) noexcept {
    const std::size_t size = step(bytes);
    poison(p, size);
    if (static_cast<std::byte*>(p) + size == top_) top_ = static_cast<std::byte*>(p);
  }

 private:
  struct alignas(align) chunk {
    chunk* next;
  };
#ifdef CAPMATCH_DETAIL_ARENA_ASAN
  static constexpr std::size_t redzone = align;  // poisoned after every block, as the heap's
#else
  static constexpr std::size_t redzone = 0;
#endif
  // The arena's bytes for a block of `bytes`.
  static constexpr std::size_t step(std::size_t bytes) noexcept {
    return ((bytes + align - 1) & ~(align - 1)) + redzone;
  }
  static_assert(small_limit + align + redzone <= inline_bytes && small_limit + align + redzone <= chunk_bytes,
                "every small block (step(small_limit)) fits an empty buffer or chunk");

  CAPMATCH_DETAIL_NOINLINE void new_chunk() {
    void* raw = ::operator new(sizeof(chunk) + chunk_bytes);
    chunks_ = ::new (raw) chunk{chunks_};
    top_ = reinterpret_cast<std::byte*>(chunks_ + 1);
    end_ = top_ + chunk_bytes;
    poison(top_, chunk_bytes);
  }
  static void poison([[maybe_unused]] void* p, [[maybe_unused]] std::size_t n) noexcept {
#ifdef CAPMATCH_DETAIL_ARENA_ASAN
    ASAN_POISON_MEMORY_REGION(p, n);
#endif
  }
  static void unpoison([[maybe_unused]] void* p, [[maybe_unused]] std::size_t n) noexcept {
#ifdef CAPMATCH_DETAIL_ARENA_ASAN
    ASAN_UNPOISON_MEMORY_REGION(p, n);
#endif
  }

  alignas(align) std::byte first_[inline_bytes];
  std::byte* top_ = nullptr;
  std::byte* end_ = nullptr;
  chunk* chunks_ = nullptr;
};

/// One of the builder's arrays: a vector of trivially copyable items whose small blocks come
/// from a build_arena (made with one) and the rest from the heap, as std::allocator's. Not
/// std::vector with an arena allocator: libstdc++ fills, copies and moves a vector's items with
/// memset and memmove only under std::allocator, and item by item under any other (scoped/4096's
/// build, +1.2 % instructions that way). Only what the passes use: append at the end, erase a
/// range, fill, copy, swap. In constant evaluation every item is constructed and destroyed.
template <class T>
class bvec {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);
  static_assert(alignof(T) <= build_arena::align);

 public:
  constexpr bvec() noexcept = default;
  constexpr explicit bvec(build_arena* a) noexcept : arena_(a) {}
  constexpr bvec(std::size_t n, const T& v, build_arena* a = nullptr) : arena_(a) { resize(n, v); }
  constexpr bvec(std::initializer_list<T> items, build_arena* a = nullptr) : arena_(a) {
    append(items.begin(), items.end());
  }
  /// A copy in the same arena.
  constexpr bvec(const bvec& o) : arena_(o.arena_) { append(o.begin(), o.end()); }
  constexpr bvec(bvec&& o) noexcept : arena_(o.arena_), p_(o.p_), n_(o.n_), cap_(o.cap_) { o.forget(); }
  constexpr bvec& operator=(const bvec& o) {
    if (this != &o) {
      shrink_to(0);
      append(o.begin(), o.end());
    }
    return *this;
  }
  /// Takes o's items and its arena.
  constexpr bvec& operator=(bvec&& o) noexcept {
    if (this != &o) {
      release();
      arena_ = o.arena_, p_ = o.p_, n_ = o.n_, cap_ = o.cap_;
      o.forget();
    }
    return *this;
  }
  constexpr ~bvec() { release(); }

  [[nodiscard]] constexpr build_arena* arena() const noexcept { return arena_; }
  [[nodiscard]] constexpr std::size_t size() const noexcept { return n_; }
  [[nodiscard]] constexpr bool empty() const noexcept { return n_ == 0; }
  [[nodiscard]] constexpr std::size_t capacity() const noexcept { return cap_; }
  [[nodiscard]] constexpr T* data() noexcept { return p_; }
  [[nodiscard]] constexpr const T* data() const noexcept { return p_; }
  [[nodiscard]] constexpr T* begin() noexcept { return p_; }
  [[nodiscard]] constexpr T* end() noexcept { return p_ + n_; }
  [[nodiscard]] constexpr const T* begin() const noexcept { return p_; }
  [[nodiscard]] constexpr const T* end() const noexcept { return p_ + n_; }
  [[nodiscard]] constexpr T& operator[](std::size_t i) noexcept { return p_[i]; }
  [[nodiscard]] constexpr const T& operator[](std::size_t i) const noexcept { return p_[i]; }
  [[nodiscard]] constexpr T& front() noexcept { return p_[0]; }
  [[nodiscard]] constexpr T& back() noexcept { return p_[n_ - 1]; }
  [[nodiscard]] constexpr const T& back() const noexcept { return p_[n_ - 1]; }

  constexpr void clear() noexcept { shrink_to(0); }
  constexpr void pop_back() noexcept { shrink_to(n_ - 1); }
  CAPMATCH_DETAIL_INLINE constexpr void push_back(const T& v) {
    const T x = v;  // (a copy: v may be one of this array's items)
    if (n_ == cap_) [[unlikely]]
      grow(n_ + 1);
    std::construct_at(p_ + n_, x);
    ++n_;
  }
  constexpr void reserve(std::size_t c) {
    if (c > cap_) reallocate(c);
  }
  /// n items: the first min(n, size()) kept, the rest T{} (or v).
  constexpr void resize(std::size_t n) { resize(n, T{}); }
  constexpr void resize(std::size_t n, const T& v) {
    if (n <= n_) return shrink_to(n);
    const T x = v;  // (as push_back's)
    if (n > cap_) grow(n);
    fill(p_ + n_, n - n_, x);
    n_ = n;
  }
  /// n copies of v (in a block of exactly n when it needs a new one).
  constexpr void assign(std::size_t n, const T& v) {
    const T x = v;  // (as push_back's)
    shrink_to(0);
    if (n > cap_) reallocate(n);
    resize(n, x);
  }
  /// Appends [first, last) (which must not be this array's items).
  constexpr void append(const T* first, const T* last) {
    const auto k = static_cast<std::size_t>(last - first);
    if (n_ + k > cap_) grow(n_ + k);
    copy(first, k, p_ + n_);
    n_ += k;
  }
  /// Removes [first, last), keeping the order of the rest.
  constexpr T* erase(T* first, T* last) noexcept {
    T* const e = end();
    T* out = first;
    for (T* in = last; in != e; ++in, ++out) *out = *in;
    shrink_to(static_cast<std::size_t>(out - p_));
    return first;
  }
  /// The same items (not the same arena).
  friend constexpr bool operator==(const bvec& a, const bvec& b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!(a[i] == b[i])) return false;
    return true;
  }
  /// Exchanges the items and the arenas.
  constexpr void swap(bvec& o) noexcept {
    std::swap(arena_, o.arena_), std::swap(p_, o.p_), std::swap(n_, o.n_), std::swap(cap_, o.cap_);
  }

 private:
  build_arena* arena_ = nullptr;
  T* p_ = nullptr;
  std::size_t n_ = 0, cap_ = 0;

  constexpr void forget() noexcept { p_ = nullptr, n_ = 0, cap_ = 0; }
  // (The small blocks are the arena's: decided by the size alone, so that a block goes back
  // where it came from.)
  [[nodiscard]] constexpr bool in_arena(std::size_t c) const noexcept {
    return arena_ != nullptr && c <= build_arena::small_limit / sizeof(T);
  }
  constexpr void shrink_to(std::size_t n) noexcept {
    if (std::is_constant_evaluated())
      for (std::size_t i = n; i < n_; ++i) std::destroy_at(p_ + i);
    n_ = n;
  }
  constexpr void release() noexcept {
    if (p_ == nullptr) return;
    shrink_to(0);
    if (std::is_constant_evaluated() || !in_arena(cap_)) std::allocator<T>{}.deallocate(p_, cap_);
    else arena_->give_back(p_, cap_ * sizeof(T));
    forget();
  }
  // Room for `need` items: twice the items, or more when that is not enough, as libstdc++'s
  // vector grows (twice the capacity instead made index_map::reset's table twice the size it
  // asked for after a clear()). (Out of line: push_back's fast path is inlined, as std::vector's.)
  CAPMATCH_DETAIL_NOINLINE constexpr void grow(std::size_t need) {
    const std::size_t twice = n_ < 2 ? 4 : 2 * n_;
    reallocate(need < twice ? twice : need);
  }
  constexpr void reallocate(std::size_t c) {
    T* const q = std::is_constant_evaluated() || !in_arena(c) ? std::allocator<T>{}.allocate(c)
                                                              : static_cast<T*>(arena_->take(c * sizeof(T)));
    const std::size_t n = n_;
    copy(p_, n, q);
    release();
    p_ = q, n_ = n, cap_ = c;
  }
  // (Out of line, as libstdc++'s vector fill: inlined with a constant, g++ makes the loop a
  // memset call, whose `rep stosb` callgrind counts byte by byte: the build's instruction
  // counts would not compare with earlier ones. In time the two are the same.)
  CAPMATCH_DETAIL_NOINLINE static constexpr void fill(T* to, std::size_t k, const T& v) {
    if (std::is_constant_evaluated()) {
      for (std::size_t i = 0; i < k; ++i) std::construct_at(to + i, v);
      return;
    }
    std::fill_n(to, k, v);
  }
  static constexpr void copy(const T* from, std::size_t k, T* to) {
    if (std::is_constant_evaluated()) {
      for (std::size_t i = 0; i < k; ++i) std::construct_at(to + i, from[i]);
      return;
    }
    if (k != 0) std::memcpy(static_cast<void*>(to), from, k * sizeof(T));
  }
};

}  // namespace detail::cm
CAPMATCH_NAMESPACE_END

#undef CAPMATCH_DETAIL_ARENA_ASAN  // (read only above)
