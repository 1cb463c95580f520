// SPDX-License-Identifier: Apache-2.0
// Worker expressions (TaskRouter-style) over agent and interaction attributes, e.g.
//   skills.spanish >= 5 AND (team == interaction.team OR interaction.vip == 'yes')
// parsed once into postfix code with interned names, then evaluated without allocation.
// Grammar and semantics: docs/routing.md "Worker expressions". Value types; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"

namespace sb::routing {

// Interns attribute keys and skill names into dense ids. Owned by the engine.
class NameTable {
 public:
  std::uint32_t intern(std::string_view name);
  std::optional<std::uint32_t> find(std::string_view name) const;
  const std::string& name(std::uint32_t id) const { return names_[id]; }
  std::size_t size() const { return names_.size(); }

 private:
  std::unordered_map<std::string, std::uint32_t> ids_;
  std::vector<std::string> names_;
};

// What an expression reads. Implemented by the engine over its compact agent/interaction records.
class AttributeSource {
 public:
  virtual ~AttributeSource() = default;
  virtual std::optional<std::string_view> agentAttribute(std::uint32_t key) const = 0;
  virtual std::optional<std::string_view> interactionAttribute(std::uint32_t key) const = 0;
  virtual int agentSkill(std::uint32_t skill) const = 0;  // 0 = agent lacks the skill
  virtual int agentSkillByName(std::string_view skill) const = 0;  // for `skills HAS 'x'`
};

class Expression {
 public:
  // An empty (or all-blank) text parses to an expression that is always true.
  // Errors: Errc::InvalidArgument, field "expression", message "position <n>: <reason>"
  // (n is the 0-based byte offset of the offending token); errorPosition() recovers n.
  static Result<Expression> parse(std::string_view text, NameTable& names);
  static std::optional<std::size_t> errorPosition(const Error& e);

  bool evaluate(const AttributeSource& src) const;
  bool alwaysTrue() const { return code_.empty(); }
  const std::string& text() const { return text_; }
  // True when the expression reads interaction attributes (cannot be pre-evaluated per agent).
  bool readsInteraction() const { return reads_interaction_; }

  enum class Op : std::uint8_t {
    PushAgentAttr, PushInteractionAttr, PushSkill, PushSkillSet, PushString, PushNumber,
    PushList, Eq, Ne, Lt, Le, Gt, Ge, In, Has, Contains, And, Or, Not,
  };
  struct Instr {
    Op op;
    std::uint32_t arg = 0;  // name id, literal index or list index
  };

 private:
  friend class ExpressionParser;
  std::string text_;
  std::vector<Instr> code_;
  std::vector<std::string> strings_;
  std::vector<double> numbers_;
  std::vector<std::vector<std::uint32_t>> lists_;  // indices into strings_
  bool reads_interaction_ = false;
};

}  // namespace sb::routing
