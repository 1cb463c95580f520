// SPDX-License-Identifier: Apache-2.0
// Paging helpers. /api/v1 lists answer {"items":[...],"next":"<cursor>"} and take ?limit and
// ?cursor; /graph/v1.0 lists answer {"value":[...],"@odata.nextLink":"<url>"} and take ?$top
// and ?$skiptoken. A cursor is an opaque base64url wrapping of a JSON position chosen by the
// handler (e.g. the last id seen). Pure functions; any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "api/http_types.h"
#include "common/result.h"

namespace sb::api {

struct PageRequest {
  std::size_t limit = 50;
  std::optional<nlohmann::json> position;  // decoded cursor; empty on the first page
};

std::string encodeCursor(const nlohmann::json& position);
// InvalidArgument (field "cursor") when the text is not a cursor we made.
Result<nlohmann::json> decodeCursor(std::string_view cursor);

// Reads limit/cursor (Api) or $top/$skiptoken (Graph). limit must be 1..max_limit.
Result<PageRequest> pageRequestOf(const HttpRequest& request, std::size_t default_limit = 50,
                                  std::size_t max_limit = 500);

// "http(s)://host" from the Host header (and the TLS flag); base_url overrides when set.
std::string requestBaseUrl(const HttpRequest& request, std::string_view base_url = {});

// Builds the page body for the request's surface. `next` is the position after the last item,
// or nullopt on the last page.
nlohmann::json pageBody(const HttpRequest& request, nlohmann::json items,
                        const std::optional<nlohmann::json>& next,
                        std::string_view base_url = {});

}  // namespace sb::api
