// SPDX-License-Identifier: Apache-2.0
// CSV export of interaction records (RFC 4180: CRLF line ends, fields holding a comma, quote,
// CR or LF are quoted and inner quotes doubled). Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "store/records.h"

namespace sb::store {

// One field, quoted only when needed.
std::string csvField(std::string_view value);
// "2024-05-01T12:00:00.123456Z" (UTC, microseconds).
std::string formatUtc(WallTime t);
// The header line, CRLF-terminated.
std::string interactionCsvHeader();
// One record as a CRLF-terminated line, columns as in the header; absent values are empty.
std::string interactionCsvRow(const InteractionRecord& record);
// Header plus one row per record.
std::string interactionsToCsv(const std::vector<InteractionRecord>& records);

}  // namespace sb::store
