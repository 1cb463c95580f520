// SPDX-License-Identifier: Apache-2.0
#include "sim/scenario.h"

#include <gtest/gtest.h>

namespace sb::sim {
namespace {

constexpr const char* kGood = R"(seed: 7
hours: 4
sl_threshold_s: 30
preset: genesys
queues:
  - id: sales
    arrivals_per_hour: 120
    strategy: round-robin
    skills: {sales: 3}
    handle_time: {distribution: lognormal, mean_s: 200, sd_s: 80}
    patience: {distribution: exponential, mean_s: 90}
    wrap_up_s: 15
    short_abandon_s: 5
  - id: vip
    arrivals_per_hour: 10
    members: [lead]
    max_wait_s: 120
    sl_threshold_s: 10
agents:
  - id: rep
    count: 3
    skills: {sales: 5, support: 2}
    shifts: [{start_h: 0, end_h: 2}, {start_h: 3, end_h: 4}]
  - id: lead
)";

TEST(ScenarioTest, ParsesEveryField) {
  auto s = parseScenario(kGood, "office.yaml");
  ASSERT_TRUE(s.has_value()) << s.error().toString();
  EXPECT_EQ(s->seed, 7u);
  EXPECT_EQ(s->hours, 4);
  EXPECT_EQ(s->preset, "genesys");
  ASSERT_EQ(s->queues.size(), 2u);
  const QueueScenario& sales = s->queues[0];
  EXPECT_EQ(sales.strategy, routing::Strategy::RoundRobinMemory);
  ASSERT_EQ(sales.skills.size(), 1u);
  EXPECT_EQ(sales.skills[0].skill, "sales");
  EXPECT_EQ(sales.skills[0].min_level, 3);
  EXPECT_EQ(sales.handle.kind, Distribution::Kind::LogNormal);
  EXPECT_EQ(sales.handle.sd_s, 80);
  ASSERT_TRUE(sales.patience.has_value());
  EXPECT_EQ(sales.patience->mean_s, 90);
  EXPECT_EQ(sales.wrap_up_s, 15);
  EXPECT_EQ(sales.sl_threshold_s, 30);  // inherited from the top level
  EXPECT_EQ(s->queues[1].sl_threshold_s, 10);
  EXPECT_EQ(s->queues[1].max_wait_s, 120);
  EXPECT_EQ(s->queues[1].members, std::vector<std::string>{"lead"});
  ASSERT_EQ(s->agents.size(), 4u);  // rep-1..rep-3 + lead
  EXPECT_EQ(s->agents[0].id, "rep-1");
  EXPECT_EQ(s->agents[2].id, "rep-3");
  ASSERT_EQ(s->agents[0].shifts.size(), 2u);
  EXPECT_EQ(s->agents[0].shifts[1].start_h, 3);
  EXPECT_EQ(s->agents[3].id, "lead");
}

struct BadCase {
  const char* text;
  int line;
  const char* reason_part;
};

TEST(ScenarioTest, ErrorsNameFileLineAndReason) {
  const BadCase cases[] = {
      {"hours: 2\nqueues:\n  - id: a\n    arivals_per_hour: 3\n", 4,
       "unknown key 'arivals_per_hour'"},
      {"queues:\n  - id: a\n    strategy: fastest\n", 3, "unknown strategy 'fastest'"},
      {"queues:\n  - id: a\n    handle_time: {distribution: gamma, mean_s: 3}\n", 3,
       "distribution must be exponential, lognormal or constant"},
      {"queues:\n  - id: a\n    handle_time: {distribution: lognormal, mean_s: 3}\n", 3,
       "lognormal needs sd_s"},
      {"queues:\n  - id: a\n    arrivals_per_hour: lots\n", 3, "must be a number"},
      {"queues:\n  - id: a\n    wrap_up_s: -4\n", 3, "between 0 and"},
      {"queues:\n  - id: a\n  - id: a\n", 3, "duplicate queue id 'a'"},
      {"queues:\n  - id: a\n    members: [bob]\nagents:\n  - id: alice\n", 3,
       "unknown agent 'bob'"},
      {"queues:\n  - id: a\nagents:\n  - id: x\n    shifts: [{start_h: 5, end_h: 2}]\n", 5,
       "end_h must be after start_h"},
      {"hours: 2\nqueues: []\n", 2, "queues must be a non-empty list"},
      {"queues:\n  - id: a\n    skills: {sales: 11}\n", 3, "between 1 and 10"},
      {"queues: [\n  - id: a\n", 2, "YAML syntax"},
  };
  for (const auto& c : cases) {
    auto s = parseScenario(c.text, "bad.yaml");
    ASSERT_FALSE(s.has_value()) << c.text;
    EXPECT_EQ(s.error().file, "bad.yaml");
    EXPECT_EQ(s.error().line, c.line) << c.text << "\n" << s.error().toString();
    EXPECT_NE(s.error().reason.find(c.reason_part), std::string::npos) << c.text << "\n"
                                                                       << s.error().toString();
    EXPECT_EQ(s.error().toString().rfind("bad.yaml:" + std::to_string(c.line) + ":", 0), 0u);
  }
}

TEST(ScenarioTest, MissingFileIsAnError) {
  auto s = loadScenarioFile("/nonexistent/scenario.yaml");
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().line, 0);
  EXPECT_EQ(s.error().toString(), "/nonexistent/scenario.yaml: cannot read file");
}

TEST(JournalTest, ParsesAndRoundTrips) {
  const std::string text =
      "# recorded 2024-05-01\n"
      "{\"t_s\": 0.5, \"queue\": \"sales\", \"id\": \"a\", \"handle_s\": 120}\n"
      "\n"
      "{\"t_s\": 3, \"queue\": \"vip\", \"patience_s\": 30, \"priority\": 2, "
      "\"attributes\": {\"language\": \"es\"}}\n";
  auto j = parseJournal(text, "day.jsonl");
  ASSERT_TRUE(j.has_value()) << j.error().toString();
  ASSERT_EQ(j->size(), 2u);
  EXPECT_EQ((*j)[0].id, "a");
  EXPECT_EQ((*j)[0].handle_s, 120);
  EXPECT_FALSE((*j)[0].patience_s.has_value());
  EXPECT_EQ((*j)[1].id, "j4");  // default id from the line number
  EXPECT_EQ((*j)[1].priority, 2);
  EXPECT_EQ((*j)[1].attributes.at(0).second, "es");
  auto again = parseJournal(formatJournal(*j), "copy.jsonl");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(formatJournal(*again), formatJournal(*j));
}

TEST(JournalTest, ErrorsNameLine) {
  const std::pair<const char*, const char*> cases[] = {
      {"{\"t_s\": 1, \"queue\": \"q\"}\n{\"t_s\": 2, \"queue\": \"q\"\n", "not a JSON object"},
      {"{\"t_s\": 1, \"queue\": \"q\"}\n{\"queue\": \"q\"}\n", "t_s is required"},
      {"{\"t_s\": 1, \"queue\": \"q\"}\n{\"t_s\": 2}\n", "queue is required"},
      {"{\"t_s\": 5, \"queue\": \"q\"}\n{\"t_s\": 2, \"queue\": \"q\"}\n", "goes backwards"},
      {"{\"t_s\": 1, \"queue\": \"q\"}\n{\"t_s\": 2, \"queue\": \"q\", \"hande_s\": 3}\n",
       "unknown key 'hande_s'"},
      {"{\"t_s\": 1, \"queue\": \"q\"}\n{\"t_s\": -2, \"queue\": \"q\"}\n", "t_s must be >= 0"},
  };
  for (const auto& [text, reason] : cases) {
    auto j = parseJournal(text, "j.jsonl");
    ASSERT_FALSE(j.has_value()) << text;
    EXPECT_EQ(j.error().line, 2) << text;
    EXPECT_NE(j.error().reason.find(reason), std::string::npos) << j.error().toString();
  }
}

}  // namespace
}  // namespace sb::sim
