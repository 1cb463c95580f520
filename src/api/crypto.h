// SPDX-License-Identifier: Apache-2.0
// Small crypto helpers for the auth layer: argon2id password hashes (libargon2), SHA-256,
// CSPRNG bytes (OpenSSL). Stateless; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace sb::api {

// OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane). Tests may lower the cost.
struct PasswordParams {
  std::uint32_t time_cost = 2;
  std::uint32_t memory_kib = 19 * 1024;
  std::uint32_t parallelism = 1;
};

// Returns the PHC-encoded hash ("$argon2id$v=19$m=...,t=...,p=...$salt$hash") with a fresh
// 16-byte random salt. Fails (Internal) only if libargon2 or the RNG fails.
Result<std::string> hashPassword(std::string_view password, const PasswordParams& params = {});
// True iff `encoded` is an argon2id hash of `password`. Malformed hashes verify false.
bool verifyPassword(std::string_view encoded, std::string_view password);

std::string sha256Hex(std::string_view data);
std::string sha256Raw(std::string_view data);
// n bytes from OpenSSL's CSPRNG; aborts if the RNG fails (cannot continue safely).
std::string randomBytes(std::size_t n);
// Constant-time comparison for secrets of equal length.
bool constantTimeEquals(std::string_view a, std::string_view b);

}  // namespace sb::api
