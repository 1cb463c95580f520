// SPDX-License-Identifier: Apache-2.0
// Discrete-event contact-center simulator: runs the real routing engine (sb::routing::Engine)
// on synthetic Poisson traffic or a replayed journal, in simulated time (a priority queue of
// events, no sleeping), feeds the analytics Aggregator and reports SL, ASA, abandonment and
// occupancy. Agents accept every offer at once. A run is a pure function of its inputs
// (same scenario, journal and seed → same output). Not thread-safe; one run per call.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analytics/erlang.h"
#include "analytics/formulas.h"
#include "sim/scenario.h"

namespace sb::sim {

struct SimOptions {
  const std::vector<JournalEntry>* journal = nullptr;  // replaces Poisson arrivals when set
  std::string journal_name = "journal";                // for errors about journal lines
  bool record_journal = false;                         // fill SimResult::journal
};

struct QueueOutcome {
  std::string id;
  analytics::Report report;
  // Present when the queue is an M/M/c queue (exponential handle, no patience, no wrap-up,
  // no max wait, no shifts, every agent eligible) with a steady state.
  std::optional<analytics::ErlangC> erlang;
  double sl_threshold_s = 0;
};

struct SimResult {
  std::vector<QueueOutcome> queues;
  analytics::Report overall;
  std::string preset;
  double hours = 0;
  std::uint64_t seed = 0;
  std::size_t agents = 0;
  std::uint64_t arrivals = 0;
  std::uint64_t blocked = 0;          // refused by the engine (queue full)
  std::uint64_t sim_events = 0;       // events processed, engine ticks included
  std::vector<JournalEntry> journal;  // the arrivals, when SimOptions::record_journal
};

// Errors: unknown preset, a queue/agent the engine refuses, a journal line naming an
// unknown queue (reported with the journal's name and line).
InputResult<SimResult> simulate(const Scenario& scenario, const SimOptions& options = {});

// The text `switchboard simulate` prints: a header, one line per queue, Erlang C lines where
// applicable, and as LAST line exactly
//   sl=<fraction> asa_s=<s> abandon=<fraction> occupancy=<fraction>
// (overall; a metric with no data prints 0).
std::string formatReport(const SimResult& result);
std::string summaryLine(const analytics::Report& overall);

}  // namespace sb::sim
