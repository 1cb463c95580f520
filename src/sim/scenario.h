// SPDX-License-Identifier: Apache-2.0
// Simulation inputs: a Scenario (queues with skills, strategies, arrival rates, handle-time and
// patience distributions; agents with skills and shifts) read from YAML, and an arrival
// Journal (JSON lines) for replaying recorded traffic. Parsers never throw: every problem is
// returned with file, line and reason. Value types; thread-compatible.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "routing/model.h"

namespace sb::sim {

struct InputError {
  std::string file;
  int line = 0;  // 1-based; 0 when the file could not be read
  int column = 0;
  std::string reason;
  std::string toString() const;  // "office.yaml:12:5: unknown key 'arivals'"
};

template <typename T>
using InputResult = std::expected<T, InputError>;

struct Distribution {
  enum class Kind { Constant, Exponential, LogNormal };
  Kind kind = Kind::Exponential;
  double mean_s = 0;
  double sd_s = 0;  // LogNormal only (standard deviation of the value, not of its log)
};

struct QueueScenario {
  std::string id;
  double arrivals_per_hour = 0;  // Poisson arrivals
  routing::Strategy strategy = routing::Strategy::LongestIdle;
  std::vector<routing::SkillRequirement> skills;
  std::vector<std::string> members;  // empty: every agent with the skills
  int priority = 0;
  Distribution handle{Distribution::Kind::Exponential, 180, 0};
  std::optional<Distribution> patience;  // unset: callers never abandon
  double wrap_up_s = 0;
  double max_wait_s = 0;  // 0: no limit; else the contact flows out after this wait
  double sl_threshold_s = 20;
  double short_abandon_s = 0;
};

struct Shift {
  double start_h = 0;
  double end_h = 0;
};

struct AgentScenario {
  std::string id;
  std::vector<std::pair<std::string, int>> skills;
  std::vector<Shift> shifts;  // empty: logged in for the whole run
};

struct Scenario {
  std::uint64_t seed = 1;
  double hours = 8;
  double sl_threshold_s = 20;  // overall line; default of every queue
  double short_abandon_s = 0;  // overall line; default of every queue (switchboard preset)
  std::string preset = "switchboard";
  std::vector<QueueScenario> queues;
  std::vector<AgentScenario> agents;
};

// One queue "default" with `agents` identical agents, exponential handle times, no
// abandonment and no wrap-up (an M/M/c queue).
Scenario simpleScenario(int agents, double arrivals_per_hour, double aht_s, double sl_threshold_s,
                        double hours, std::uint64_t seed);

// YAML; `name` is used in errors. Checks references (members, queue ids) and value ranges.
InputResult<Scenario> parseScenario(const std::string& text, const std::string& name);
InputResult<Scenario> loadScenarioFile(const std::string& path);

// ---- Journal: one JSON object per line; blank lines and lines starting with '#' skipped ----
//   {"t_s": 12.5, "queue": "sales", "id": "c1", "handle_s": 200, "patience_s": 60,
//    "priority": 1, "attributes": {"language": "es"}}
// t_s (seconds since the start, non-decreasing) and queue are required; id defaults to
// "j<line>"; handle_s/patience_s missing = sampled from the queue's distributions.
struct JournalEntry {
  double t_s = 0;
  std::string queue;
  std::string id;
  std::optional<double> handle_s;
  std::optional<double> patience_s;
  int priority = 0;
  std::vector<std::pair<std::string, std::string>> attributes;
  int line = 0;  // where parseJournal() read it (0 for generated entries)
};

InputResult<std::vector<JournalEntry>> parseJournal(const std::string& text,
                                                    const std::string& name);
InputResult<std::vector<JournalEntry>> loadJournalFile(const std::string& path);
// Serialises entries in the format parseJournal() reads (one line each).
std::string formatJournal(const std::vector<JournalEntry>& entries);

}  // namespace sb::sim
