// SPDX-License-Identifier: Apache-2.0
// Transport-neutral HTTP request/response values used by the Router and handlers, plus the
// JSON error shapes of the two API surfaces (/api/v1 and /graph/v1.0). The server converts
// Beast messages to and from these, so handlers and their tests never include Beast.
// Plain values; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/http_status.h"
#include "common/result.h"

namespace sb::api {

// Which error shape and paging style a path uses.
enum class Surface { Api, Graph, Other };
Surface surfaceOf(std::string_view path);

struct HttpRequest {
  std::string method;  // upper case, e.g. "GET"
  std::string target;  // raw request-target: path plus query
  std::string path;    // percent-decoded path, no query
  std::vector<std::pair<std::string, std::string>> query;    // decoded, in order
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  bool tls = false;

  // First value, or nullopt. name must be lower case.
  std::optional<std::string_view> header(std::string_view name) const;
  std::optional<std::string_view> queryParam(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  std::string body;
  std::string route;  // matched route pattern, for metrics; empty when none matched

  static HttpResponse json(int status, const nlohmann::json& body);
  static HttpResponse text(int status, std::string body, std::string content_type);
  HttpResponse& withHeader(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

// Error bodies. On Surface::Api: {"error":{"code","message","field"?}}. On Surface::Graph
// exactly Graph's {"error":{"code","message","innerError":{...}}}: the field, if any, is named
// in the message. `code` is the Api code; graph codes are derived from the status.
HttpResponse errorResponse(Surface surface, int status, std::string_view code,
                           std::string_view message, std::string_view field = {});
// Maps an sb::Error: InvalidArgument 400, NotFound 404, AlreadyExists/Conflict 409,
// PermissionDenied 403, Unavailable 503, Timeout 504, OutOfRange 400, Unsupported 501, else 500.
HttpResponse errorResponse(Surface surface, const Error& error);
using sb::graphCodeFor;  // common/http_status.h: the shared tables
using sb::httpStatusOf;

// Parses a JSON body without throwing. Malformed input fails with InvalidArgument, field
// "body", and a message naming line, column and byte offset of the error.
Result<nlohmann::json> parseJsonBody(std::string_view body);

// URL and encoding helpers. Decoders fail on malformed input instead of guessing.
Result<std::string> percentDecode(std::string_view in, bool plus_is_space);
std::string percentEncode(std::string_view in);
std::vector<std::pair<std::string, std::string>> parseQuery(std::string_view query);
std::string base64UrlEncode(std::string_view bytes);
Result<std::string> base64UrlDecode(std::string_view text);
std::string htmlEscape(std::string_view in);

}  // namespace sb::api
