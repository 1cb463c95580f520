// SPDX-License-Identifier: Apache-2.0
// Named, parameterised metric formulas over a Tally, and presets reproducing other vendors'
// definitions (Asterisk SL/SL2, Genesys Cloud, Amazon Connect) so an operator migrating can
// reproduce old numbers. docs/metrics.md is the reference for every formula here.
// Pure functions and value types; thread-compatible.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analytics/tally.h"
#include "common/result.h"

namespace sb::analytics {

// A contact "abandoned short" when it waited strictly less than the short-abandon threshold.
// Waits are compared "answered within threshold" as wait <= threshold.

// SL = met ÷ base.
struct ServiceLevelFormula {
  enum class Base {
    Concluded,  // answered + [abandoned] + [flowed out]  (short abandons never count)
    Enqueued,   // every contact that entered the queue in the period (Amazon Connect)
  };
  Duration threshold = std::chrono::seconds(20);
  Duration short_abandon{};  // abandons with wait < this are ignored entirely
  Base base = Base::Concluded;
  bool abandons_in_base = true;       // Concluded base: add abandons (Asterisk SL: false)
  bool flow_outs_in_base = false;     // Concluded base: add flow-outs (Genesys switch)
  bool abandons_within_met = false;   // abandons with wait <= threshold count as met (SL2)
  bool flow_outs_within_met = false;  // flow-outs with wait <= threshold count as met
};

// Abandon rate = abandoned (not short) ÷ base.
struct AbandonRateFormula {
  enum class Base {
    Enqueued,               // ÷ contacts queued/offered (Genesys, Amazon Connect)
    AnsweredPlusAbandoned,  // ÷ (answered + abandoned, shorts excluded) (Asterisk, CCAI)
  };
  Duration short_abandon{};
  Base base = Base::AnsweredPlusAbandoned;
};

// ASA = Σ wait of answered contacts ÷ answered.
struct AsaFormula {
  bool include_ringing = true;  // wait ends at Answer (true) or at the first Offer (false)
};

// AHT = (talk + [hold] + [wrap-up]) ÷ handled.
struct AhtFormula {
  bool include_hold = true;
  bool include_wrap_up = true;
};

// Occupancy = handle ÷ (handle + available idle), from agent state time:
// handle = Busy [+ WrapUp]; Away and LoggedOut time never count.
struct OccupancyFormula {
  bool wrap_up_is_handle = true;
};

struct MetricPreset {
  std::string name;
  ServiceLevelFormula service_level;
  AbandonRateFormula abandon_rate;
  AsaFormula asa;
  AhtFormula aht;
  OccupancyFormula occupancy;
};

// Counts derived from a tally under one set of parameters.
struct OutcomeCounts {
  std::uint64_t enqueued = 0;
  std::uint64_t answered = 0;
  std::uint64_t answered_within = 0;
  std::uint64_t abandoned = 0;  // all abandons, short ones included
  std::uint64_t short_abandoned = 0;
  std::uint64_t abandoned_within = 0;  // not short, wait <= threshold
  std::uint64_t flowed_out = 0;
  std::uint64_t flowed_out_within = 0;
};
OutcomeCounts countOutcomes(const Tally& t, Duration threshold, Duration short_abandon);

// Each returns nullopt when its denominator is zero (no data is not 0 % or 100 %).
std::optional<double> serviceLevel(const Tally& t, const ServiceLevelFormula& f);
std::optional<double> abandonRate(const Tally& t, const AbandonRateFormula& f);
std::optional<Duration> averageSpeedOfAnswer(const Tally& t, const AsaFormula& f);
std::optional<Duration> averageHandleTime(const Tally& t, const AhtFormula& f);
std::optional<double> occupancy(const Tally& t, const OccupancyFormula& f);

// Presets. `threshold` is the service-level target time (Y of X/Y).
// switchboard:    answered≤T ÷ (answered + abandoned≥S), S = short_abandon (default 5 s)
// asterisk-sl:    answered≤T ÷ answered                          (queues.conf servicelevel)
// asterisk-sl2:   (answered≤T + abandoned≤T) ÷ (answered + abandoned)
// genesys:        answered≤T ÷ (answered + abandoned)  (switches: flow-outs, short abandons)
// amazon-connect: removed-from-queue≤T ÷ contacts queued
MetricPreset switchboardPreset(Duration threshold,
                               Duration short_abandon = std::chrono::seconds(5));
MetricPreset asteriskSlPreset(Duration threshold);
MetricPreset asteriskSl2Preset(Duration threshold);
struct GenesysSwitches {
  bool include_flow_outs = false;
  bool exclude_short_abandons = false;
  Duration short_abandon = std::chrono::seconds(10);
  bool exclude_all_abandons = false;
};
MetricPreset genesysPreset(Duration threshold, GenesysSwitches switches = {});
MetricPreset amazonConnectPreset(Duration threshold);

// Looks a preset up by the names above; InvalidArgument for an unknown name.
Result<MetricPreset> presetByName(std::string_view name, Duration threshold);
std::vector<std::string_view> presetNames();

// Every metric of one tally under one preset (a queue, an agent or everything).
struct Report {
  OutcomeCounts counts;
  std::uint64_t handled = 0;
  std::optional<double> service_level;
  std::optional<double> abandon_rate;
  std::optional<Duration> asa;
  std::optional<Duration> aht;
  std::optional<double> occupancy;
  std::array<Duration, kAgentStateCount> state_time{};
};
Report makeReport(const Tally& t, const MetricPreset& preset);

}  // namespace sb::analytics
