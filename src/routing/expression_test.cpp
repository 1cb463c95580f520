// SPDX-License-Identifier: Apache-2.0
#include "routing/expression.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace sb::routing {
namespace {

class MapSource final : public AttributeSource {
 public:
  explicit MapSource(NameTable& names) : names_(names) {}
  std::map<std::string, std::string> agent, interaction;
  std::map<std::string, int> skills;

  std::optional<std::string_view> agentAttribute(std::uint32_t key) const override {
    auto it = agent.find(names_.name(key));
    if (it == agent.end()) return std::nullopt;
    return std::string_view(it->second);
  }
  std::optional<std::string_view> interactionAttribute(std::uint32_t key) const override {
    auto it = interaction.find(names_.name(key));
    if (it == interaction.end()) return std::nullopt;
    return std::string_view(it->second);
  }
  int agentSkill(std::uint32_t skill) const override { return agentSkillByName(names_.name(skill)); }
  int agentSkillByName(std::string_view skill) const override {
    auto it = skills.find(std::string(skill));
    return it == skills.end() ? 0 : it->second;
  }

 private:
  NameTable& names_;
};

class ExpressionTest : public ::testing::Test {
 protected:
  bool eval(std::string_view text) {
    auto e = Expression::parse(text, names_);
    EXPECT_TRUE(e.has_value()) << text << ": " << (e ? "" : e.error().toString());
    return e && e->evaluate(src_);
  }
  std::size_t errorAt(std::string_view text) {
    auto e = Expression::parse(text, names_);
    EXPECT_FALSE(e.has_value()) << text;
    if (e) return SIZE_MAX;
    EXPECT_EQ(e.error().code, Errc::InvalidArgument);
    EXPECT_EQ(e.error().field, "expression");
    return Expression::errorPosition(e.error()).value_or(SIZE_MAX);
  }
  NameTable names_;
  MapSource src_{names_};
};

TEST_F(ExpressionTest, EmptyIsAlwaysTrue) {
  auto e = Expression::parse("   ", names_);
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->alwaysTrue());
  EXPECT_TRUE(e->evaluate(src_));
}

TEST_F(ExpressionTest, IssueExampleSkillsAndInteractionAttribute) {
  src_.skills = {{"spanish", 7}};
  src_.agent = {{"team", "blue"}};
  src_.interaction = {{"team", "blue"}};
  EXPECT_TRUE(eval("skills.spanish >= 5 AND team == interaction.team"));
  src_.interaction["team"] = "red";
  EXPECT_FALSE(eval("skills.spanish >= 5 AND team == interaction.team"));
  src_.interaction["team"] = "blue";
  src_.skills["spanish"] = 4;
  EXPECT_FALSE(eval("skills.spanish >= 5 AND team == interaction.team"));
}

TEST_F(ExpressionTest, NumericVersusStringComparison) {
  src_.agent = {{"level", "10"}, {"name", "bob"}};
  EXPECT_TRUE(eval("level > 9"));      // numeric: 10 > 9
  EXPECT_TRUE(eval("level > '9'"));    // both numeric text -> numeric
  EXPECT_TRUE(eval("name < 'carl'"));  // byte order
  EXPECT_TRUE(eval("name != 'alice'"));
  EXPECT_TRUE(eval("level == 10.0"));
  EXPECT_TRUE(eval("level <= 10 && level >= 10"));
}

TEST_F(ExpressionTest, MissingAttributeMakesComparisonsFalse) {
  EXPECT_FALSE(eval("team == 'x'"));
  EXPECT_FALSE(eval("team != 'x'"));
  EXPECT_TRUE(eval("NOT team == 'x'"));
  EXPECT_FALSE(eval("skills.german >= 1"));
}

TEST_F(ExpressionTest, BooleanPrecedenceAndParentheses) {
  src_.agent = {{"a", "1"}, {"b", "0"}, {"c", "1"}};
  EXPECT_TRUE(eval("a == 1 OR b == 1 AND c == 0"));   // AND binds tighter
  EXPECT_FALSE(eval("(a == 1 OR b == 1) AND c == 0"));
  EXPECT_TRUE(eval("NOT (b == 1) AND NOT b == 1"));
  EXPECT_TRUE(eval("not a == 0 and (b == 0 or c == 0)"));  // keywords are case-insensitive
  EXPECT_TRUE(eval("!(a == 0) || b == 1"));
}

TEST_F(ExpressionTest, InListHasContains) {
  src_.agent = {{"languages", "en, es,fr"}, {"team", "support-eu"}};
  src_.interaction = {{"language", "es"}, {"tier", "2"}};
  src_.skills = {{"support", 3}};
  EXPECT_TRUE(eval("interaction.language IN ['en', 'es']"));
  EXPECT_FALSE(eval("interaction.language IN ['de']"));
  EXPECT_TRUE(eval("interaction.tier IN [1, 2, 3]"));
  EXPECT_TRUE(eval("interaction.language IN languages"));
  EXPECT_TRUE(eval("languages HAS 'fr'"));
  EXPECT_FALSE(eval("languages HAS 'f'"));
  EXPECT_TRUE(eval("team CONTAINS 'eu'"));
  EXPECT_TRUE(eval("skills HAS 'support'"));
  EXPECT_FALSE(eval("skills HAS 'sales'"));
  EXPECT_TRUE(eval("worker.team CONTAINS \"support\""));
  EXPECT_TRUE(eval("task.language == 'es'"));
}

TEST_F(ExpressionTest, ReadsInteractionFlag) {
  auto a = Expression::parse("team == 'x'", names_);
  auto b = Expression::parse("team == interaction.team", names_);
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(a->readsInteraction());
  EXPECT_TRUE(b->readsInteraction());
}

TEST_F(ExpressionTest, ParseErrorsCarryPosition) {
  EXPECT_EQ(errorAt("skills.spanish >= "), 18u);          // missing operand at end
  EXPECT_EQ(errorAt("team == 'blue"), 8u);                // unterminated string starts at 8
  EXPECT_EQ(errorAt("(team == 'a'"), 0u);                 // unclosed paren
  EXPECT_EQ(errorAt("team 'a'"), 5u);                     // missing operator
  EXPECT_EQ(errorAt("team == 'a' AND"), 15u);             // dangling AND
  EXPECT_EQ(errorAt("team == 'a' garbage"), 12u);         // trailing token
  EXPECT_EQ(errorAt("lang IN ['a', ]"), 14u);             // empty list item
  EXPECT_EQ(errorAt("lang IN ['a' 'b']"), 13u);
  EXPECT_EQ(errorAt("a == 1 # 2"), 7u);                   // bad character
  EXPECT_EQ(errorAt("skills >= 3"), 0u);                  // skill set needs HAS
  EXPECT_EQ(errorAt("a == 1.2.3"), 5u);                   // malformed number
  EXPECT_EQ(errorAt("()"), 1u);
  EXPECT_EQ(errorAt("interaction == 'x'"), 0u);
  auto e = Expression::parse("team ==", names_);
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("position 7"), std::string::npos);
  EXPECT_NE(e.error().message.find("expected an operand"), std::string::npos);
}

TEST_F(ExpressionTest, TooDeepIsRejected) {
  std::string text;
  for (int i = 0; i < 40; ++i) text += "(a == 1 AND ";
  text += "a == 1";
  for (int i = 0; i < 40; ++i) text += ")";
  auto e = Expression::parse(text, names_);
  EXPECT_FALSE(e);
}

}  // namespace
}  // namespace sb::routing
