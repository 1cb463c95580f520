// SPDX-License-Identifier: Apache-2.0
// SortedRing: an ordered set of small trivially copyable values kept sorted in one circular
// buffer (internal to sb_routing; the routing engine's per-queue waiting sets). Removing the
// first element and appending after the last are O(1); other inserts and erases move the
// shorter side (O(min(i, n - i)) element copies); lookup is a binary search. Compared with a
// std::set it allocates nothing per element and the head and its successor share cache lines,
// which is what a contact-center queue (served from the head, fed at the tail) touches.
// Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <type_traits>
#include <utility>
#include <vector>

namespace sb::routing::detail {

template <class T, class Less = std::less<T>>
class SortedRing {
  static_assert(std::is_trivially_copyable_v<T>, "elements are moved by plain copies");

 public:
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = const T*;
    using reference = const T&;
    const_iterator() = default;
    const T& operator*() const { return ring_->at(i_); }
    const T* operator->() const { return &ring_->at(i_); }
    const_iterator& operator++() {
      ++i_;
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator old = *this;
      ++i_;
      return old;
    }
    bool operator==(const const_iterator& o) const { return i_ == o.i_; }
    std::size_t index() const { return i_; }

   private:
    friend class SortedRing;
    const_iterator(const SortedRing* r, std::size_t i) : ring_(r), i_(i) {}
    const SortedRing* ring_ = nullptr;
    std::size_t i_ = 0;
  };

  std::size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  // Bytes of the buffer (for memory accounting).
  std::size_t capacityBytes() const { return buf_.capacity() * sizeof(T); }
  // i-th smallest element, i < size().
  const T& at(std::size_t i) const { return buf_[(head_ + i) & mask_]; }
  const T& front() const { return buf_[head_]; }
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, n_}; }

  // Index of the first element not less than v.
  std::size_t lowerBound(const T& v) const {
    // Fast paths for the common queue operations: append at the tail, find the head.
    if (n_ == 0 || less_(at(n_ - 1), v)) return n_;
    std::size_t lo = 0, hi = n_ - 1;  // answer in [lo, hi]
    while (lo < hi) {
      std::size_t mid = lo + (hi - lo) / 2;
      if (less_(at(mid), v)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  const_iterator find(const T& v) const {
    std::size_t i = lowerBound(v);
    return i < n_ && !less_(v, at(i)) ? const_iterator(this, i) : end();
  }
  // Adds v unless an equivalent element is present; returns whether it was added.
  bool insert(const T& v) {
    std::size_t i = lowerBound(v);
    if (i < n_ && !less_(v, at(i))) return false;
    if (n_ == buf_.size()) grow();
    if (i < n_ - i) {
      // Shift [0, i) one slot towards the front.
      head_ = (head_ + mask_) & mask_;
      for (std::size_t k = 0; k < i; ++k) slot(k) = slot(k + 1);
    } else {
      for (std::size_t k = n_; k > i; --k) slot(k) = slot(k - 1);
    }
    slot(i) = v;
    ++n_;
    return true;
  }
  // Removes the element at position `it` (must be valid).
  void erase(const_iterator it) { eraseAt(it.i_); }
  // Removes the element equivalent to v; returns how many were removed (0 or 1).
  std::size_t erase(const T& v) {
    const_iterator it = find(v);
    if (it == end()) return 0;
    eraseAt(it.i_);
    return 1;
  }
  void eraseAt(std::size_t i) {
    if (i < n_ - 1 - i) {
      for (std::size_t k = i; k > 0; --k) slot(k) = slot(k - 1);
      head_ = (head_ + 1) & mask_;
    } else {
      for (std::size_t k = i; k + 1 < n_; ++k) slot(k) = slot(k + 1);
    }
    --n_;
  }
  void clear() {
    n_ = 0;
    head_ = 0;
  }

 private:
  T& slot(std::size_t i) { return buf_[(head_ + i) & mask_]; }
  void grow() {
    std::vector<T> next(buf_.empty() ? 4 : buf_.size() * 2);
    for (std::size_t k = 0; k < n_; ++k) next[k] = at(k);
    buf_ = std::move(next);
    head_ = 0;
    mask_ = buf_.size() - 1;
  }

  std::vector<T> buf_;  // size is a power of two (or 0)
  std::size_t head_ = 0;
  std::size_t mask_ = 0;
  std::size_t n_ = 0;
  [[no_unique_address]] Less less_{};
};

}  // namespace sb::routing::detail
