// SPDX-License-Identifier: Apache-2.0
// PKCE (RFC 7636, S256), and the pending-login store: what the relying party remembers between
// sending the browser to the provider and the callback (state -> code_verifier, nonce, tenant).
// Entries are single-use and expire; the store is bounded so anonymous login requests cannot
// grow it without limit. PendingLoginStore is thread-safe (one mutex; no I/O under it).
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/result.h"

namespace sb::oidc {

// 32 random bytes, base64url: 43 characters, within RFC 7636 §4.1's 43..128 unreserved chars.
std::string makeCodeVerifier();
// BASE64URL(SHA256(verifier)) (RFC 7636 §4.2, method S256).
std::string codeChallengeS256(std::string_view verifier);
// An unguessable value for state and nonce (128 bits, base64url).
std::string makeRandomToken();

struct PendingLogin {
  std::string state;
  std::string nonce;
  std::string code_verifier;
  std::string provider;  // which configured provider started it ("" = global, else tenant id)
  std::string tenant;    // tenant asked for at login; may be empty with a tenant claim
  MonoTime expires_at{};
};

// Where pending logins are also kept, so that a restart between the login and the callback
// does not lose them (the app's store). Called outside PendingLoginStore's mutex, on the
// caller's thread; may block (the OIDC routes run on a blocking pool). Thread-safe.
class PendingLoginKeeper {
 public:
  struct Kept {
    PendingLogin login;  // its expires_at is not used: the kept expiry is a wall time
    WallTime expires_at{};
  };
  virtual ~PendingLoginKeeper() = default;
  virtual void keep(const PendingLogin& login, WallTime expires_at) = 0;
  // Removes and returns the kept login for state; nullopt when unknown, used or expired at now.
  virtual std::optional<Kept> takeKept(std::string_view state, WallTime now) = 0;
};

class PendingLoginStore {
 public:
  // clock must outlive the store.
  PendingLoginStore(const Clock& clock, Duration ttl = std::chrono::minutes(10),
                    std::size_t max_entries = 10000);
  PendingLoginStore(const PendingLoginStore&) = delete;
  PendingLoginStore& operator=(const PendingLoginStore&) = delete;

  // Creates an entry with fresh state, nonce and code verifier. When full (after dropping
  // expired entries) the oldest entry is evicted.
  PendingLogin begin(std::string provider, std::string tenant);
  // Removes and returns the entry for state. NotFound for an unknown, used or expired state.
  // With a keeper, the kept copy is removed too, and a state this process does not know (it
  // restarted since the login) is looked up there.
  Result<PendingLogin> take(std::string_view state);
  // Set once before use; must outlive the store.
  void setKeeper(PendingLoginKeeper* keeper) { keeper_ = keeper; }
  std::size_t size() const;

 private:
  void dropExpiredLocked(MonoTime now);

  const Clock& clock_;
  PendingLoginKeeper* keeper_ = nullptr;
  Duration ttl_;
  std::size_t max_entries_;
  mutable std::mutex mu_;
  std::map<std::string, PendingLogin, std::less<>> by_state_;  // GUARDED_BY(mu_)
  std::multimap<MonoTime, std::string> by_expiry_;             // GUARDED_BY(mu_)
};

}  // namespace sb::oidc
