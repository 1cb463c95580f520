// SPDX-License-Identifier: Apache-2.0
#include "analytics/formulas.h"

#include <array>

namespace sb::analytics {

OutcomeCounts countOutcomes(const Tally& t, Duration threshold, Duration short_abandon) {
  OutcomeCounts c;
  c.enqueued = t.enqueued;
  c.answered = t.answered.size();
  for (const auto& a : t.answered) {
    if (a.wait <= threshold) ++c.answered_within;
  }
  c.abandoned = t.abandon_waits.size();
  for (Duration w : t.abandon_waits) {
    if (w < short_abandon) {
      ++c.short_abandoned;
    } else if (w <= threshold) {
      ++c.abandoned_within;
    }
  }
  c.flowed_out = t.flow_out_waits.size();
  for (Duration w : t.flow_out_waits) {
    if (w <= threshold) ++c.flowed_out_within;
  }
  return c;
}

std::optional<double> serviceLevel(const Tally& t, const ServiceLevelFormula& f) {
  const OutcomeCounts c = countOutcomes(t, f.threshold, f.short_abandon);
  const std::uint64_t long_abandons = c.abandoned - c.short_abandoned;
  std::uint64_t met = c.answered_within;
  if (f.abandons_within_met) met += c.abandoned_within;
  if (f.flow_outs_within_met) met += c.flowed_out_within;
  std::uint64_t base = 0;
  if (f.base == ServiceLevelFormula::Base::Enqueued) {
    base = c.enqueued;
  } else {
    base = c.answered;
    if (f.abandons_in_base) base += long_abandons;
    if (f.flow_outs_in_base) base += c.flowed_out;
  }
  if (base == 0) return std::nullopt;
  return static_cast<double>(met) / static_cast<double>(base);
}

std::optional<double> abandonRate(const Tally& t, const AbandonRateFormula& f) {
  const OutcomeCounts c = countOutcomes(t, Duration::zero(), f.short_abandon);
  const std::uint64_t long_abandons = c.abandoned - c.short_abandoned;
  const std::uint64_t base =
      f.base == AbandonRateFormula::Base::Enqueued ? c.enqueued : c.answered + long_abandons;
  if (base == 0) return std::nullopt;
  return static_cast<double>(long_abandons) / static_cast<double>(base);
}

std::optional<Duration> averageSpeedOfAnswer(const Tally& t, const AsaFormula& f) {
  if (t.answered.empty()) return std::nullopt;
  Duration sum{};
  for (const auto& a : t.answered) sum += f.include_ringing ? a.wait : a.offer_wait;
  return sum / static_cast<std::int64_t>(t.answered.size());
}

std::optional<Duration> averageHandleTime(const Tally& t, const AhtFormula& f) {
  if (t.handled == 0) return std::nullopt;
  Duration sum = t.talk;
  if (f.include_hold) sum += t.hold;
  if (f.include_wrap_up) sum += t.wrap_up;
  return sum / static_cast<std::int64_t>(t.handled);
}

std::optional<double> occupancy(const Tally& t, const OccupancyFormula& f) {
  Duration handle = t.stateTime(AgentState::Busy);
  if (f.wrap_up_is_handle) handle += t.stateTime(AgentState::WrapUp);
  const Duration base = handle + t.stateTime(AgentState::Available);
  if (base <= Duration::zero()) return std::nullopt;
  return std::chrono::duration<double>(handle) / std::chrono::duration<double>(base);
}

MetricPreset switchboardPreset(Duration threshold, Duration short_abandon) {
  MetricPreset p;
  p.name = "switchboard";
  p.service_level.threshold = threshold;
  p.service_level.short_abandon = short_abandon;
  p.abandon_rate.short_abandon = short_abandon;
  p.abandon_rate.base = AbandonRateFormula::Base::AnsweredPlusAbandoned;
  return p;
}

MetricPreset asteriskSlPreset(Duration threshold) {
  // app_queue: servicelevel perf = callscompletedinsl / callscompleted; no short-abandon notion.
  MetricPreset p;
  p.name = "asterisk-sl";
  p.service_level.threshold = threshold;
  p.service_level.abandons_in_base = false;
  p.abandon_rate.base = AbandonRateFormula::Base::AnsweredPlusAbandoned;
  p.aht.include_wrap_up = false;  // queue_log talk time runs CONNECT → COMPLETE*; no wrap-up
  p.occupancy.wrap_up_is_handle = false;
  return p;
}

MetricPreset asteriskSl2Preset(Duration threshold) {
  // app_queue SL2 = (callscompletedinsl + callsabandonedinsl) / (callsabandoned + callscompleted)
  MetricPreset p = asteriskSlPreset(threshold);
  p.name = "asterisk-sl2";
  p.service_level.abandons_in_base = true;
  p.service_level.abandons_within_met = true;
  return p;
}

MetricPreset genesysPreset(Duration threshold, GenesysSwitches switches) {
  // (answered − answered late) ÷ (answered + abandoned [+ flow-outs]); abandon rate ÷ offered.
  MetricPreset p;
  p.name = "genesys";
  p.service_level.threshold = threshold;
  p.service_level.flow_outs_in_base = switches.include_flow_outs;
  p.service_level.abandons_in_base = !switches.exclude_all_abandons;
  if (switches.exclude_short_abandons) p.service_level.short_abandon = switches.short_abandon;
  p.abandon_rate.base = AbandonRateFormula::Base::Enqueued;
  return p;
}

MetricPreset amazonConnectPreset(Duration threshold) {
  // Service level X: contacts removed from the queue (answered, abandoned, transferred out)
  // within X ÷ contacts queued. Abandonment rate: abandoned ÷ contacts queued.
  MetricPreset p;
  p.name = "amazon-connect";
  p.service_level.threshold = threshold;
  p.service_level.base = ServiceLevelFormula::Base::Enqueued;
  p.service_level.abandons_within_met = true;
  p.service_level.flow_outs_within_met = true;
  p.abandon_rate.base = AbandonRateFormula::Base::Enqueued;
  return p;
}

std::vector<std::string_view> presetNames() {
  return {"switchboard", "asterisk-sl", "asterisk-sl2", "genesys", "amazon-connect"};
}

Result<MetricPreset> presetByName(std::string_view name, Duration threshold) {
  if (name == "switchboard") return switchboardPreset(threshold);
  if (name == "asterisk-sl") return asteriskSlPreset(threshold);
  if (name == "asterisk-sl2") return asteriskSl2Preset(threshold);
  if (name == "genesys") return genesysPreset(threshold);
  if (name == "amazon-connect") return amazonConnectPreset(threshold);
  return fail(Errc::InvalidArgument,
              "unknown metric preset '" + std::string(name) +
                  "' (switchboard, asterisk-sl, asterisk-sl2, genesys, amazon-connect)",
              "preset");
}

Report makeReport(const Tally& t, const MetricPreset& preset) {
  Report r;
  r.counts = countOutcomes(t, preset.service_level.threshold, preset.service_level.short_abandon);
  r.handled = t.handled;
  r.service_level = serviceLevel(t, preset.service_level);
  r.abandon_rate = abandonRate(t, preset.abandon_rate);
  r.asa = averageSpeedOfAnswer(t, preset.asa);
  r.aht = averageHandleTime(t, preset.aht);
  r.occupancy = occupancy(t, preset.occupancy);
  r.state_time = t.state_time;
  return r;
}

}  // namespace sb::analytics
