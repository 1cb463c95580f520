// SPDX-License-Identifier: Apache-2.0
#include "common/result.h"

namespace sb {

const char* errcName(Errc code) noexcept {
  switch (code) {
    case Errc::InvalidArgument: return "invalid_argument";
    case Errc::NotFound: return "not_found";
    case Errc::AlreadyExists: return "already_exists";
    case Errc::OutOfRange: return "out_of_range";
    case Errc::Unsupported: return "unsupported";
    case Errc::PermissionDenied: return "permission_denied";
    case Errc::Unavailable: return "unavailable";
    case Errc::Timeout: return "timeout";
    case Errc::Conflict: return "conflict";
    case Errc::Internal: return "internal";
  }
  return "internal";
}

std::string Error::toString() const {
  std::string out = errcName(code);
  out += ": ";
  if (!field.empty()) {
    out += field;
    out += ": ";
  }
  out += message;
  return out;
}

}  // namespace sb
