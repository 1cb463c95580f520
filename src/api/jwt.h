// SPDX-License-Identifier: Apache-2.0
// KeyRing: Switchboard's own ES256 (ECDSA P-256, SHA-256) JWT signing keys. A new key is made
// every rotation period; older keys stop signing but still verify until the last token they
// signed has expired. Tokens carry the key id in `kid`; only alg ES256 is accepted (none, HS*,
// RS* are rejected, so a public key cannot be abused as an HMAC secret). Thread-safe: a mutex
// guards the key list; signing and verifying work on a snapshot.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/result.h"

namespace sb::api {

class KeyRing {
 public:
  // clock must outlive the ring. token_lifetime bounds how long a retired key must verify.
  KeyRing(const Clock& clock, Duration rotation_period, Duration token_lifetime);
  ~KeyRing();
  KeyRing(const KeyRing&) = delete;
  KeyRing& operator=(const KeyRing&) = delete;

  // Makes a new signing key now if the current one is older than the rotation period (or
  // none exists) and drops keys that can no longer have live tokens. sign() calls it.
  void rotateIfDue();
  // Forces a new signing key (e.g. suspected compromise of the old one is NOT handled by this:
  // the old key keeps verifying; use revoke for that).
  void rotateNow();
  // Stops a key verifying at once.
  void revoke(std::string_view kid);
  // Grows on every revoke(): caches of verified tokens compare it to drop what they hold.
  std::uint64_t revocations() const { return revocations_.load(std::memory_order_acquire); }

  // Compact JWS over `claims` with header {"alg":"ES256","typ":"JWT","kid":...}.
  Result<std::string> sign(const nlohmann::json& claims);
  // Checks structure, alg == ES256, a known kid and the signature; returns the claims.
  // Does not look at exp/nbf: the TokenService does (it knows the clock and the policy).
  Result<nlohmann::json> verify(std::string_view token) const;

  std::vector<std::string> keyIds() const;  // verifying keys, newest first
  std::string currentKeyId() const;
  nlohmann::json jwks() const;  // public keys as a JWK set (RFC 7517)

 private:
  struct Key;
  std::shared_ptr<Key> makeKey();
  void rotateLocked(bool force);

  const Clock& clock_;
  Duration rotation_;
  Duration token_lifetime_;
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<const Key>> keys_;  // GUARDED_BY(mu_), newest first
  std::uint64_t serial_ = 0;                      // GUARDED_BY(mu_)
  std::atomic<std::uint64_t> revocations_{0};
};

}  // namespace sb::api
