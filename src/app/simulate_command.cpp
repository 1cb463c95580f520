// SPDX-License-Identifier: Apache-2.0
// `switchboard simulate`: runs the routing engine on synthetic or replayed traffic in simulated
// time and prints SL, ASA, abandonment and occupancy (docs/metrics.md "Simulator").
#include <cstdint>
#include <fstream>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#ifdef SB_HAVE_SIM
#include "sim/scenario.h"
#include "sim/simulator.h"
#endif

namespace sb::app {
namespace {

struct SimulateFlags {
  int agents = 10;
  double arrivals_per_hour = 100;
  double aht_s = 180;
  double sl_threshold_s = 20;
  double hours = 8;
  std::uint64_t seed = 1;
  double wrap_up_s = 0;
  double patience_s = 0;
  std::string preset = "switchboard";
  std::string scenario;
  std::string journal;
  std::string record_journal;
};

SimulateFlags g_flags;
CLI::App* g_command = nullptr;

}  // namespace

void registerSimulateCommand(CLI::App& cli) {
#ifdef SB_HAVE_SIM
  auto* sim = cli.add_subcommand(
      "simulate",
      "Run the routing engine on synthetic traffic in simulated time and print SL, ASA, "
      "abandonment and occupancy");
  auto& f = g_flags;
  sim->add_option("--agents", f.agents, "Agents (single-queue mode)")->check(CLI::Range(1, 100000));
  sim->add_option("--arrivals-per-hour", f.arrivals_per_hour, "Poisson arrival rate")
      ->check(CLI::Range(0.0, 1e7));
  sim->add_option("--aht-s", f.aht_s, "Mean handle time, exponential (s)")
      ->check(CLI::Range(0.001, 1e7));
  sim->add_option("--sl-threshold-s", f.sl_threshold_s, "Service-level threshold (s)")
      ->check(CLI::Range(0.0, 86400.0));
  sim->add_option("--hours", f.hours, "Simulated hours")->check(CLI::Range(0.001, 1e5));
  sim->add_option("--seed", f.seed, "Random seed (same seed, same output)");
  sim->add_option("--wrap-up-s", f.wrap_up_s, "Wrap-up after each contact (s, single-queue mode)")
      ->check(CLI::Range(0.0, 86400.0));
  sim->add_option("--patience-s", f.patience_s,
                  "Mean caller patience, exponential (s, single-queue mode; 0 = never abandon)")
      ->check(CLI::Range(0.0, 1e7));
  sim->add_option(
      "--preset", f.preset,
      "Metric definitions: switchboard, asterisk-sl, asterisk-sl2, genesys, amazon-connect");
  sim->add_option("--scenario", f.scenario, "YAML scenario (queues, skills, agents, shifts)");
  sim->add_option("--journal", f.journal, "Replay arrivals from a JSON-lines journal");
  sim->add_option("--record-journal", f.record_journal, "Write the arrivals as a journal file");
  g_command = sim;
#else
  (void)cli;
#endif
}

bool simulateCommandParsed() { return g_command != nullptr && g_command->parsed(); }

int runSimulateCommand() {
#ifdef SB_HAVE_SIM
  const auto& f = g_flags;
  sim::Scenario scenario;
  if (!f.scenario.empty()) {
    auto loaded = sim::loadScenarioFile(f.scenario);
    if (!loaded) {
      std::cerr << loaded.error().toString() << "\n";
      return 1;
    }
    scenario = std::move(*loaded);
    // Flags given explicitly override the file's top-level values.
    if (g_command->count("--hours") > 0) scenario.hours = f.hours;
    if (g_command->count("--seed") > 0) scenario.seed = f.seed;
    if (g_command->count("--sl-threshold-s") > 0) {
      scenario.sl_threshold_s = f.sl_threshold_s;
      for (auto& q : scenario.queues) q.sl_threshold_s = f.sl_threshold_s;
    }
    if (g_command->count("--preset") > 0) scenario.preset = f.preset;
  } else {
    scenario = sim::simpleScenario(f.agents, f.arrivals_per_hour, f.aht_s, f.sl_threshold_s,
                                   f.hours, f.seed);
    scenario.preset = f.preset;
    scenario.queues[0].wrap_up_s = f.wrap_up_s;
    if (f.patience_s > 0) {
      scenario.queues[0].patience =
          sim::Distribution{sim::Distribution::Kind::Exponential, f.patience_s, 0};
    }
  }
  std::vector<sim::JournalEntry> journal;
  sim::SimOptions options;
  options.record_journal = !f.record_journal.empty();
  if (!f.journal.empty()) {
    auto loaded = sim::loadJournalFile(f.journal);
    if (!loaded) {
      std::cerr << loaded.error().toString() << "\n";
      return 1;
    }
    journal = std::move(*loaded);
    options.journal = &journal;
    options.journal_name = f.journal;
  }
  auto result = sim::simulate(scenario, options);
  if (!result) {
    std::cerr << result.error().toString() << "\n";
    return 1;
  }
  if (options.record_journal) {
    std::ofstream out(f.record_journal, std::ios::binary | std::ios::trunc);
    out << sim::formatJournal(result->journal);
    if (!out) {
      std::cerr << f.record_journal << ": cannot write journal\n";
      return 1;
    }
  }
  std::cout << sim::formatReport(*result);
  return 0;
#else
  std::cerr << "simulate: this build has no simulator (sb_sim)\n";
  return 2;
#endif
}

}  // namespace sb::app
