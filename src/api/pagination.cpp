// SPDX-License-Identifier: Apache-2.0
#include "api/pagination.h"

#include <charconv>

namespace sb::api {

namespace {
constexpr std::string_view kCursorVersion = "c1:";
}

std::string encodeCursor(const nlohmann::json& position) {
  return base64UrlEncode(std::string(kCursorVersion) + position.dump());
}

Result<nlohmann::json> decodeCursor(std::string_view cursor) {
  auto raw = base64UrlDecode(cursor);
  if (!raw || !raw->starts_with(kCursorVersion)) {
    return fail(Errc::InvalidArgument, "not a valid cursor", "cursor");
  }
  auto j = nlohmann::json::parse(raw->substr(kCursorVersion.size()), nullptr, false);
  if (j.is_discarded()) return fail(Errc::InvalidArgument, "not a valid cursor", "cursor");
  return j;
}

Result<PageRequest> pageRequestOf(const HttpRequest& request, std::size_t default_limit,
                                  std::size_t max_limit) {
  bool graph = surfaceOf(request.path) == Surface::Graph;
  std::string limit_name = graph ? "$top" : "limit";
  std::string cursor_name = graph ? "$skiptoken" : "cursor";
  PageRequest page;
  page.limit = default_limit;
  if (auto l = request.queryParam(limit_name)) {
    std::size_t v = 0;
    auto [ptr, ec] = std::from_chars(l->data(), l->data() + l->size(), v);
    if (ec != std::errc() || ptr != l->data() + l->size() || v == 0 || v > max_limit) {
      return fail(Errc::InvalidArgument,
                  limit_name + " must be an integer from 1 to " + std::to_string(max_limit),
                  limit_name);
    }
    page.limit = v;
  }
  if (auto c = request.queryParam(cursor_name)) {
    auto pos = decodeCursor(*c);
    if (!pos) return fail(Errc::InvalidArgument, "not a valid cursor", cursor_name);
    page.position = std::move(*pos);
  }
  return page;
}

std::string requestBaseUrl(const HttpRequest& request, std::string_view base_url) {
  if (!base_url.empty()) return std::string(base_url);
  std::string host(request.header("host").value_or("localhost"));
  return std::string(request.tls ? "https://" : "http://") + host;
}

nlohmann::json pageBody(const HttpRequest& request, nlohmann::json items,
                        const std::optional<nlohmann::json>& next, std::string_view base_url) {
  if (surfaceOf(request.path) != Surface::Graph) {
    nlohmann::json out = {{"items", std::move(items)}};
    if (next) out["next"] = encodeCursor(*next);
    return out;
  }
  nlohmann::json out = {{"value", std::move(items)}};
  if (next) {
    // Keep the caller's other query options, replace the skip token.
    std::string url = requestBaseUrl(request, base_url) + request.path + "?";
    bool first = true;
    for (const auto& [k, v] : request.query) {
      if (k == "$skiptoken") continue;
      url += (first ? "" : "&") + percentEncode(k) + "=" + percentEncode(v);
      first = false;
    }
    url += std::string(first ? "" : "&") + "$skiptoken=" + encodeCursor(*next);
    out["@odata.nextLink"] = url;
  }
  return out;
}

}  // namespace sb::api
