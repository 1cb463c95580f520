// SPDX-License-Identifier: Apache-2.0
// Webhook request signing (docs/webhooks.md): every delivery carries
//   X-Switchboard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(key, "<t>.<body>")>
// where key is the subscription's signing key (64 hex characters, returned once on create) used
// as the text it is. Stateless functions; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sb::notify {

inline constexpr std::string_view kSignatureHeader = "X-Switchboard-Signature";

// HMAC-SHA256 of data under key: the 32 raw bytes, and as lower-case hex.
std::string hmacSha256(std::string_view key, std::string_view data);
std::string hmacSha256Hex(std::string_view key, std::string_view data);
// Bytes as hex digits (lower case unless upper_case).
std::string hexEncode(std::string_view bytes, bool upper_case = false);
// The header value for body sent at unix time t.
std::string signatureHeader(std::string_view key, int64_t unix_seconds, std::string_view body);
// Receiver side (tests, docs): true when header is a valid signature of body under key.
bool verifySignatureHeader(std::string_view key, std::string_view header, std::string_view body);
// 32 random bytes as 64 hex characters (OpenSSL CSPRNG; aborts if it fails).
std::string newSigningKey();
// A random version-4 GUID, for subscription ids.
std::string newGuid();

}  // namespace sb::notify
