// SPDX-License-Identifier: Apache-2.0
// The one mapping from an expected failure to an HTTP status and a Microsoft Graph error code,
// shared by the API and the Graph-compatible cores (presence). Pure functions.
#pragma once

#include <string_view>

#include "common/result.h"

namespace sb {

// 400 invalid/out of range, 404, 409 exists/conflict, 403, 501 unsupported, 503, 504, 500.
int httpStatusOf(Errc code) noexcept;
// The Graph error-code table (learn.microsoft.com/graph/errors) by HTTP status.
std::string_view graphCodeFor(int status) noexcept;

}  // namespace sb
