// SPDX-License-Identifier: Apache-2.0
#include "common/http_status.h"

namespace sb {

std::string_view graphCodeFor(int status) noexcept {
  // Codes from the Graph error-code table (learn.microsoft.com/graph/errors).
  switch (status) {
    case 400: return "invalidRequest";
    case 401: return "InvalidAuthenticationToken";
    case 403: return "accessDenied";
    case 404: return "itemNotFound";
    case 405: return "methodNotAllowed";
    case 409: return "nameAlreadyExists";
    case 413: return "requestTooLarge";
    case 429: return "activityLimitReached";
    case 431: return "requestHeaderFieldsTooLarge";
    case 501: return "notSupported";
    case 503: return "serviceNotAvailable";
    case 504: return "timeout";
    default: return status >= 500 ? "generalException" : "invalidRequest";
  }
}

int httpStatusOf(Errc code) noexcept {
  switch (code) {
    case Errc::InvalidArgument:
    case Errc::OutOfRange: return 400;
    case Errc::NotFound: return 404;
    case Errc::AlreadyExists:
    case Errc::Conflict: return 409;
    case Errc::PermissionDenied: return 403;
    case Errc::Unsupported: return 501;
    case Errc::Unavailable: return 503;
    case Errc::Timeout: return 504;
    case Errc::Internal: return 500;
  }
  return 500;
}

}  // namespace sb
