// SPDX-License-Identifier: Apache-2.0
// StrongId<Tag, Rep>: ids that cannot be mixed up (a CallId is not an AgentId), STYLE.md §3.
// Value type; hashable; Rep is usually std::string or an integer.
#pragma once

#include <compare>
#include <functional>
#include <string>
#include <utility>

namespace sb {

template <typename Tag, typename Rep = std::string>
class StrongId {
 public:
  using RepType = Rep;
  StrongId() = default;
  explicit StrongId(Rep value) : value_(std::move(value)) {}

  const Rep& value() const noexcept { return value_; }
  auto operator<=>(const StrongId&) const = default;
  bool operator==(const StrongId&) const = default;

 private:
  Rep value_{};
};

}  // namespace sb

template <typename Tag, typename Rep>
struct std::hash<sb::StrongId<Tag, Rep>> {
  size_t operator()(const sb::StrongId<Tag, Rep>& id) const noexcept {
    return std::hash<Rep>{}(id.value());
  }
};
