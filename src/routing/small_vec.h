// SPDX-License-Identifier: Apache-2.0
// SmallVec: a vector of trivially copyable values that keeps its first N elements inside the
// object and spills to the heap beyond that (internal to sb_routing: an agent's work slots,
// which the engine reads on every agent change and which usually number 0-2, so they share the
// agent record's cache lines instead of costing a dependent miss). Not thread-safe.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <type_traits>

namespace sb::routing::detail {

template <class T, std::size_t N>
class SmallVec {
  static_assert(std::is_trivially_copyable_v<T> && std::is_default_constructible_v<T>);
  static_assert(N > 0);

 public:
  using iterator = T*;
  using const_iterator = const T*;

  SmallVec() = default;
  SmallVec(const SmallVec& o) { assign(o); }
  SmallVec& operator=(const SmallVec& o) {
    if (this != &o) {
      size_ = 0;
      assign(o);
    }
    return *this;
  }
  SmallVec(SmallVec&& o) noexcept { take(o); }
  SmallVec& operator=(SmallVec&& o) noexcept {
    if (this != &o) {
      heap_.reset();
      heap_cap_ = 0;
      take(o);
    }
    return *this;
  }
  ~SmallVec() = default;

  T* begin() { return data(); }
  T* end() { return data() + size_; }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T& operator[](std::size_t i) { return data()[i]; }
  const T& operator[](std::size_t i) const { return data()[i]; }

  void push_back(const T& v) {
    if (size_ == capacity()) grow();
    data()[size_++] = v;
  }
  // Removes *pos, shifting the tail down; returns the iterator to the next element.
  T* erase(T* pos) {
    T* e = end();
    std::copy(pos + 1, e, pos);
    --size_;
    return pos;
  }
  void clear() { size_ = 0; }

 private:
  T* data() { return heap_ ? heap_.get() : inline_; }
  const T* data() const { return heap_ ? heap_.get() : inline_; }
  std::size_t capacity() const { return heap_ ? heap_cap_ : N; }
  void grow() {
    std::size_t cap = capacity() * 2;
    auto next = std::make_unique<T[]>(cap);
    std::copy(begin(), end(), next.get());
    heap_ = std::move(next);
    heap_cap_ = cap;
  }
  void take(SmallVec& o) noexcept {
    if (o.heap_) {
      heap_ = std::move(o.heap_);
      heap_cap_ = o.heap_cap_;
    } else {
      std::copy(o.inline_, o.inline_ + o.size_, inline_);
    }
    size_ = o.size_;
    o.size_ = 0;
    o.heap_cap_ = 0;
  }
  void assign(const SmallVec& o) {
    for (const T& v : o) push_back(v);
  }

  T inline_[N]{};
  std::unique_ptr<T[]> heap_;
  std::size_t heap_cap_ = 0;
  std::size_t size_ = 0;
};

}  // namespace sb::routing::detail
