// SPDX-License-Identifier: Apache-2.0
#include "store/csv.h"

#include <chrono>
#include <cstdio>

namespace sb::store {

std::string csvField(std::string_view value) {
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(value);
  std::string out;
  out.reserve(value.size() + 2);
  out.push_back('"');
  for (char c : value) {
    if (c == '"') out.push_back('"');  // RFC 4180 2.7: a quote inside is doubled
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string formatUtc(WallTime t) {
  using namespace std::chrono;
  const auto us = duration_cast<microseconds>(t.time_since_epoch());
  const auto days = floor<std::chrono::days>(us);
  const year_month_day ymd{sys_days{days}};
  const auto in_day = us - days;
  const auto h = duration_cast<hours>(in_day);
  const auto m = duration_cast<minutes>(in_day - h);
  const auto s = duration_cast<seconds>(in_day - h - m);
  const auto frac = (in_day - h - m - s).count();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(h.count()), static_cast<int>(m.count()),
                static_cast<int>(s.count()));
  std::string out(buf);
  if (frac != 0) {
    std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(frac));
    out.insert(out.size() - 1, buf);
  }
  return out;
}

std::string interactionCsvHeader() {
  return "id,channel,direction,queue_id,caller,callee,agent_id,arrived_at,queued_at,"
         "offered_at,answered_at,ended_at,end_reason,disposition,wrap_up_code\r\n";
}

std::string interactionCsvRow(const InteractionRecord& r) {
  auto time = [](const std::optional<WallTime>& t) { return t ? formatUtc(*t) : std::string(); };
  const std::string fields[] = {
      r.id.value(),
      r.channel,
      r.direction,
      r.queue_id ? r.queue_id->value() : std::string(),
      r.caller,
      r.callee,
      r.agent_id ? r.agent_id->value() : std::string(),
      formatUtc(r.arrived_at),
      time(r.queued_at),
      time(r.offered_at),
      time(r.answered_at),
      time(r.ended_at),
      r.end_reason,
      r.disposition ? std::string(dispositionName(*r.disposition)) : std::string(),
      r.wrap_up_code,
  };
  std::string line;
  for (const auto& f : fields) {
    if (!line.empty() || &f != &fields[0]) line.push_back(',');
    line += csvField(f);
  }
  line += "\r\n";
  return line;
}

std::string interactionsToCsv(const std::vector<InteractionRecord>& records) {
  std::string out = interactionCsvHeader();
  for (const auto& r : records) out += interactionCsvRow(r);
  return out;
}

}  // namespace sb::store
