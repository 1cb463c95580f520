// SPDX-License-Identifier: Apache-2.0
// ISO 8601 helpers for the Graph-shaped APIs: durations (`PT5M`, `PT1H30M`, `P1D`) and UTC
// date-times (`2026-11-25T10:00:00.0000000Z`, Graph's 7-digit fraction). Pure functions over
// value types; never throw; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/result.h"

namespace sb::presence {

// Accepts `P[nW]` or `P[nD][T[nH][nM][n[.f]S]]` (at least one component, `T` only before a
// time component, fraction only on seconds). Years and months are rejected (their length
// depends on the calendar). Negative durations do not exist in this grammar.
// Error: InvalidArgument with a message naming the fault.
[[nodiscard]] Result<Duration> parseIsoDuration(std::string_view text);

// Shortest canonical form: `PT5M`, `PT1H30M`, `P1DT2H`, `PT0.5S`, `PT0S` for zero. A negative
// input is formatted as its absolute value (the grammar has no sign).
std::string formatIsoDuration(Duration d);

// Accepts `YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|±HH:MM)`; `t`/`z` are accepted in lower case.
// The result is the UTC instant. Error: InvalidArgument.
[[nodiscard]] Result<WallTime> parseIsoDateTime(std::string_view text);

// UTC with seven fractional digits and `Z`, as Graph writes it: 2026-11-25T10:00:00.0000000Z.
std::string formatIsoDateTime(WallTime t);

}  // namespace sb::presence
