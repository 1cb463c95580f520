// SPDX-License-Identifier: Apache-2.0
// SIP digest authentication (RFC 3261 §22.4 with RFC 8760: SHA-256 and MD5, qop=auth).
// DigestAuthenticator issues challenges and verifies responses; nonces are self-validating
// (HMAC over their timestamp), expire, and each nonce-count is accepted once (replay
// protection). Pure: time is passed in. Owned and called by one thread (not thread-safe).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

namespace sb::sip {

enum class DigestAlgorithm { Md5, Sha256 };

std::string_view digestAlgorithmName(DigestAlgorithm a);  // "MD5", "SHA-256"
std::optional<DigestAlgorithm> digestAlgorithmFromName(std::string_view name);  // case-insensitive

// Lower-case hex of H(data) for the algorithm.
std::string digestHash(DigestAlgorithm a, std::string_view data);
// HA1 = H(username ":" realm ":" password), what a user database stores instead of the password.
std::string digestHa1(DigestAlgorithm a, std::string_view user, std::string_view realm,
                      std::string_view password);

// The parameters of an Authorization / Proxy-Authorization "Digest" credential.
struct DigestResponse {
  std::string username;
  std::string realm;
  std::string nonce;
  std::string uri;
  std::string response;
  std::string cnonce;
  std::string opaque;
  std::string qop;  // empty (RFC 2069 compatibility) or "auth"
  uint32_t nc = 0;
  DigestAlgorithm algorithm = DigestAlgorithm::Md5;  // absent parameter means MD5
};

// Parses `Digest username="alice", realm=..., ...`. Errors name the offending parameter.
Result<DigestResponse> parseDigestResponse(std::string_view header_value);

// The `response` a client computes (used by tests and by our own UAC legs towards trunks).
std::string computeDigestResponse(DigestAlgorithm a, std::string_view ha1, std::string_view method,
                                  std::string_view uri, std::string_view nonce, uint32_t nc,
                                  std::string_view cnonce, std::string_view qop);

struct DigestConfig {
  std::string secret;  // HMAC key for nonces; random per process if empty
  Duration nonce_lifetime = std::chrono::minutes(5);
  size_t max_tracked_nonces = 100000;  // bound on replay-protection state
  // Offered in this order (RFC 8760 §2.4: preferred first). Clients that take the first
  // challenge whatever its algorithm (SIPp: MD5 only) need {Md5} here.
  std::vector<DigestAlgorithm> algorithms{DigestAlgorithm::Sha256, DigestAlgorithm::Md5};
};

enum class DigestVerdict {
  Ok,
  Stale,         // well-formed and signed by us but expired: challenge again with stale=true
  BadResponse,   // wrong password (or wrong HA1): counts as a failed attempt
  BadNonce,      // forged or foreign nonce: challenge again
  Replay,        // nonce-count already used
  Malformed,     // realm/uri/qop mismatch or a missing parameter
};

class DigestAuthenticator {
 public:
  explicit DigestAuthenticator(DigestConfig config);
  DigestAuthenticator(const DigestAuthenticator&) = delete;
  DigestAuthenticator& operator=(const DigestAuthenticator&) = delete;

  // The WWW-Authenticate / Proxy-Authenticate values to send, preferred algorithm first
  // (RFC 8760 §2.4): one per algorithm, sharing one fresh nonce.
  std::vector<std::string> challenge(std::string_view realm, MonoTime now, bool stale = false);

  // Checks `cred` for a request with `method`; `ha1` is the stored HA1 for cred.algorithm.
  // Ok consumes the nonce-count.
  DigestVerdict verify(const DigestResponse& cred, std::string_view method,
                       std::string_view expected_realm, std::string_view ha1, MonoTime now);

 private:
  std::string makeNonce(std::string_view realm, MonoTime now);
  // Returns the issue time if the nonce is ours for `realm`.
  std::optional<MonoTime> checkNonce(std::string_view nonce, std::string_view realm) const;
  void pruneNonces(MonoTime now);

  DigestConfig config_;
  uint64_t counter_ = 0;
  struct NonceState {
    MonoTime expires;
    uint32_t highest_nc = 0;
  };
  std::unordered_map<std::string, NonceState> used_;
};

// Counts failed authentications per key (a source address, or user@realm) in a sliding
// window; past `delay_after` failures answers are delayed, past `block_after` the key is
// blocked for `block_for`. Pure; one owner thread.
struct AuthLimiterConfig {
  Duration window = std::chrono::minutes(5);
  uint32_t delay_after = 3;
  Duration delay = std::chrono::seconds(2);
  uint32_t block_after = 10;
  Duration block_for = std::chrono::minutes(15);
  size_t max_keys = 100000;
};

class AuthFailureLimiter {
 public:
  struct Decision {
    bool blocked = false;
    Duration delay{0};  // answer after this long (0 = at once)
  };

  explicit AuthFailureLimiter(AuthLimiterConfig config) : config_(config) {}

  Decision check(const std::string& key, MonoTime now);
  void recordFailure(const std::string& key, MonoTime now);
  void recordSuccess(const std::string& key);

 private:
  struct Entry {
    MonoTime window_start;
    uint32_t failures = 0;
    MonoTime blocked_until{};
  };
  AuthLimiterConfig config_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace sb::sip
