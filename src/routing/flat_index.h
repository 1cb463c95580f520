// SPDX-License-Identifier: Apache-2.0
// Open-addressing hash tables for the routing engine's hot paths (internal to sb_routing):
// HashIndex maps a 64-bit key hash to a dense uint32 index (the caller confirms a match against
// its own record, so string ids are stored once); U64Map maps nonzero uint64 keys to values.
// Linear probing, load <= 1/2, backward-shift deletion (no tombstones). Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace sb::routing::detail {

class HashIndex {
 public:
  static constexpr std::size_t kNpos = SIZE_MAX;
  static constexpr std::uint32_t kEmpty = UINT32_MAX;

  // Slot of the entry whose value satisfies eq(value) among those with this hash, or kNpos.
  template <class Eq>
  std::size_t find(std::uint64_t hash, Eq&& eq) const {
    if (slots_.empty()) return kNpos;
    const auto tag = static_cast<std::uint32_t>(hash);
    for (std::size_t i = tag & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.value == kEmpty) return kNpos;
      if (s.tag == tag && eq(s.value)) return i;
    }
  }
  std::uint32_t value(std::size_t pos) const { return slots_[pos].value; }
  // Adds an entry (the caller has checked that the key is absent); value != kEmpty.
  void insert(std::uint64_t hash, std::uint32_t value) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    place(Slot{static_cast<std::uint32_t>(hash), value});
    ++size_;
  }
  void erase(std::size_t pos) {
    std::size_t i = pos;
    for (std::size_t j = (i + 1) & mask_; slots_[j].value != kEmpty; j = (j + 1) & mask_) {
      std::size_t home = slots_[j].tag & mask_;
      // Entry j may move into the hole at i unless its home lies cyclically in (i, j].
      bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
      if (!stays) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i] = Slot{0, kEmpty};
    --size_;
  }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return slots_.size(); }
  void reserve(std::size_t n) {
    while (slots_.size() < n * 2) grow();
  }

 private:
  struct Slot {
    std::uint32_t tag = 0;  // low 32 bits of the hash (also gives the home slot)
    std::uint32_t value = kEmpty;
  };
  void place(Slot s) {
    std::size_t i = s.tag & mask_;
    while (slots_[i].value != kEmpty) i = (i + 1) & mask_;
    slots_[i] = s;
  }
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 16 : old.size() * 2, Slot{});
    mask_ = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.value != kEmpty) place(s);
    }
  }
  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

// uint64 key (0 is reserved for "empty") -> V.
template <class V>
class U64Map {
 public:
  V* find(std::uint64_t key) {
    std::size_t i = findPos(key);
    return i == kNpos ? nullptr : &slots_[i].val;
  }
  const V* find(std::uint64_t key) const { return const_cast<U64Map*>(this)->find(key); }
  bool contains(std::uint64_t key) const { return findPos(key) != kNpos; }
  // Adds key (nonzero, absent).
  void emplace(std::uint64_t key, V val) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    place(key, std::move(val));
    ++size_;
  }
  bool erase(std::uint64_t key) {
    std::size_t i = findPos(key);
    if (i == kNpos) return false;
    for (std::size_t j = (i + 1) & mask_; slots_[j].key != 0; j = (j + 1) & mask_) {
      std::size_t home = homeOf(slots_[j].key);
      bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
      if (!stays) {
        slots_[i] = std::move(slots_[j]);
        i = j;
      }
    }
    slots_[i].key = 0;
    --size_;
    return true;
  }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return slots_.size(); }

 private:
  static constexpr std::size_t kNpos = SIZE_MAX;
  struct Slot {
    std::uint64_t key = 0;
    V val{};
  };
  std::size_t homeOf(std::uint64_t key) const { return (key * 0x9E3779B97F4A7C15ULL >> 17) & mask_; }
  std::size_t findPos(std::uint64_t key) const {
    if (slots_.empty() || key == 0) return kNpos;
    for (std::size_t i = homeOf(key);; i = (i + 1) & mask_) {
      if (slots_[i].key == key) return i;
      if (slots_[i].key == 0) return kNpos;
    }
  }
  void place(std::uint64_t key, V val) {
    std::size_t i = homeOf(key);
    while (slots_[i].key != 0) i = (i + 1) & mask_;
    slots_[i].key = key;
    slots_[i].val = std::move(val);
  }
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 16 : old.size() * 2, Slot{});
    mask_ = slots_.size() - 1;
    for (Slot& s : old) {
      if (s.key != 0) place(s.key, std::move(s.val));
    }
  }
  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace sb::routing::detail
