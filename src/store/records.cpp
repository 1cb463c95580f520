// SPDX-License-Identifier: Apache-2.0
#include "store/records.h"

#include <array>
#include <utility>

namespace sb::store {
namespace {

template <typename E, std::size_t N>
std::string_view nameOf(const std::array<std::pair<E, std::string_view>, N>& table, E value) {
  for (const auto& [e, name] : table) {
    if (e == value) return name;
  }
  return "unknown";
}

template <typename E, std::size_t N>
std::optional<E> parse(const std::array<std::pair<E, std::string_view>, N>& table,
                       std::string_view name) {
  for (const auto& [e, n] : table) {
    if (n == name) return e;
  }
  return std::nullopt;
}

constexpr std::array<std::pair<Role, std::string_view>, 5> kRoles{{
    {Role::Agent, "agent"},
    {Role::Supervisor, "supervisor"},
    {Role::Admin, "admin"},
    {Role::Sme, "sme"},
    {Role::SystemOperator, "system_operator"},
}};
constexpr std::array<std::pair<NumberTargetKind, std::string_view>, 3> kTargets{{
    {NumberTargetKind::Queue, "queue"},
    {NumberTargetKind::Flow, "flow"},
    {NumberTargetKind::User, "user"},
}};
constexpr std::array<std::pair<Disposition, std::string_view>, 4> kDispositions{{
    {Disposition::Answered, "answered"},
    {Disposition::Abandoned, "abandoned"},
    {Disposition::TimedOut, "timed_out"},
    {Disposition::Rejected, "rejected"},
}};

}  // namespace

std::string_view roleName(Role role) noexcept { return nameOf(kRoles, role); }
std::optional<Role> parseRole(std::string_view name) noexcept { return parse(kRoles, name); }
std::string_view numberTargetKindName(NumberTargetKind kind) noexcept {
  return nameOf(kTargets, kind);
}
std::optional<NumberTargetKind> parseNumberTargetKind(std::string_view name) noexcept {
  return parse(kTargets, name);
}
std::string_view dispositionName(Disposition d) noexcept { return nameOf(kDispositions, d); }
std::optional<Disposition> parseDisposition(std::string_view name) noexcept {
  return parse(kDispositions, name);
}

}  // namespace sb::store
