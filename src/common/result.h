// SPDX-License-Identifier: Apache-2.0
// sb::Error and sb::Result<T>: expected failures as values (STYLE.md §6).
// An Error carries a code, a human-readable message and, where one applies, the offending
// field (a header name, a JSON property, a config key). Value types; thread-compatible.
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace sb {

enum class Errc {
  InvalidArgument,  // malformed input: a SIP message, a JSON body, a config value
  NotFound,
  AlreadyExists,
  OutOfRange,
  Unsupported,
  PermissionDenied,
  Unavailable,  // a peer or a backend cannot be reached now; retrying may help
  Timeout,
  Conflict,
  Internal,
};

const char* errcName(Errc code) noexcept;

struct Error {
  Errc code = Errc::Internal;
  std::string message;
  std::string field;  // empty when no single field is at fault

  Error() = default;
  Error(Errc c, std::string msg, std::string f = {})
      : code(c), message(std::move(msg)), field(std::move(f)) {}

  // "invalid_argument: CSeq: number above 2^32-1"
  std::string toString() const;
};

template <typename T>
using Result = std::expected<T, Error>;

using Status = std::expected<void, Error>;

inline std::unexpected<Error> fail(Errc code, std::string message, std::string field = {}) {
  return std::unexpected<Error>(Error{code, std::move(message), std::move(field)});
}

}  // namespace sb

// Propagates the error of an expression returning sb::Result<...> (Envoy RETURN_IF_ERROR).
#define SB_TRY(expr)                                       \
  do {                                                     \
    auto&& sb_try_result_ = (expr);                        \
    if (!sb_try_result_) {                                 \
      return std::unexpected(std::move(sb_try_result_).error()); \
    }                                                      \
  } while (false)
