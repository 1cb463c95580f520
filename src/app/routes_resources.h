// SPDX-License-Identifier: Apache-2.0
// Validation of the /api/v1 configuration resources (skills, flows, wrap-up codes, calendars)
// and of interaction-search input, shared by routes_resources.cpp and routes_records.cpp and
// unit-tested on their own. Pure functions (the timezone check reads the zoneinfo directory
// when it exists); any thread. Errors are InvalidArgument naming the offending field.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/result.h"

namespace sb::app {

// Ids a client may choose: 1..64 of [A-Za-z0-9_.-]. `field` names the field in the error.
Status validateId(std::string_view id, std::string_view field);
// A required string member of `body`, non-empty, at most max_len bytes.
Result<std::string> requiredString(const nlohmann::json& body, const char* name,
                                   std::size_t max_len = 200);
// An optional string member (default when absent), at most max_len bytes.
Result<std::string> optionalString(const nlohmann::json& body, const char* name,
                                   std::string fallback = {}, std::size_t max_len = 2000);

// A flow document: a JSON object with a "steps" or "nodes" member that is an array or an
// object (the interpreter's own checks run when a flow is loaded). Field "document".
Status validateFlowDocument(const nlohmann::json& document);

// IANA timezone name: "UTC" or Area/Location[/Sub] of [A-Za-z0-9_+-]; when the system's
// zoneinfo directory exists the zone must be in it. Field "timezone".
Status validateTimezone(std::string_view tz);

// "HH:MM", 00:00..23:59, or "24:00" when allow_24 (end of day). Minutes since midnight.
Result<int> parseClock(std::string_view text, bool allow_24);

// A calendar definition: {"weekly": {"mon": [{"start": "09:00", "end": "17:00"}, ...], ...},
// "holidays": ["2025-12-25", ...]}. weekly is required, its keys are mon..sun, each a list of
// ranges with start < end (end may be "24:00") that do not overlap; holidays are optional
// YYYY-MM-DD dates. No other members. Field paths like "definition.weekly.mon[0].end".
Status validateCalendarDefinition(const nlohmann::json& definition);

// ISO-8601 / RFC 3339 time: "2025-01-31T12:00:00Z", with optional fraction (up to
// microseconds) and a "Z" or "+hh:mm" offset; a bare date "2025-01-31" means midnight UTC.
// Years 1900..2200 (WallTime's 64-bit nanoseconds end in 2262).
Result<WallTime> parseIsoTime(std::string_view text, std::string_view field);

}  // namespace sb::app
