// SPDX-License-Identifier: Apache-2.0
#include "oidc/pending_logins.h"

#include "oidc/jose.h"

namespace sb::oidc {

std::string makeCodeVerifier() { return base64UrlEncode(randomBytes(32)); }

std::string codeChallengeS256(std::string_view verifier) {
  return base64UrlEncode(sha256(verifier));
}

std::string makeRandomToken() { return base64UrlEncode(randomBytes(16)); }

PendingLoginStore::PendingLoginStore(const Clock& clock, Duration ttl, std::size_t max_entries)
    : clock_(clock), ttl_(ttl), max_entries_(max_entries == 0 ? 1 : max_entries) {}

void PendingLoginStore::dropExpiredLocked(MonoTime now) {
  while (!by_expiry_.empty() && by_expiry_.begin()->first <= now) {
    by_state_.erase(by_expiry_.begin()->second);
    by_expiry_.erase(by_expiry_.begin());
  }
}

PendingLogin PendingLoginStore::begin(std::string provider, std::string tenant) {
  PendingLogin p;
  p.state = makeRandomToken();
  p.nonce = makeRandomToken();
  p.code_verifier = makeCodeVerifier();
  p.provider = std::move(provider);
  p.tenant = std::move(tenant);
  const MonoTime now = clock_.now();
  p.expires_at = now + ttl_;
  std::unique_lock lock(mu_);
  dropExpiredLocked(now);
  while (by_state_.size() >= max_entries_ && !by_expiry_.empty()) {
    by_state_.erase(by_expiry_.begin()->second);
    by_expiry_.erase(by_expiry_.begin());
  }
  by_expiry_.emplace(p.expires_at, p.state);
  by_state_.emplace(p.state, p);
  lock.unlock();
  if (keeper_ != nullptr) keeper_->keep(p, wallOf(p.expires_at, now, clock_.wallNow()));
  return p;
}

Result<PendingLogin> PendingLoginStore::take(std::string_view state) {
  const MonoTime now = clock_.now();
  std::optional<PendingLogin> out;
  {
    std::lock_guard lock(mu_);
    dropExpiredLocked(now);
    if (auto it = by_state_.find(state); it != by_state_.end()) {
      out = std::move(it->second);
      by_state_.erase(it);
      auto [lo, hi] = by_expiry_.equal_range(out->expires_at);
      for (auto e = lo; e != hi; ++e) {
        if (e->second == out->state) {
          by_expiry_.erase(e);
          break;
        }
      }
    }
  }
  if (keeper_ != nullptr) {
    // Always: the kept copy must not outlive its single use.
    const WallTime wall = clock_.wallNow();
    auto kept = keeper_->takeKept(state, wall);
    if (!out && kept) {
      out = std::move(kept->login);
      out->expires_at = monoOf(kept->expires_at, now, wall);
    }
  }
  if (!out) return fail(Errc::NotFound, "unknown or expired login state", "state");
  return std::move(*out);
}

std::size_t PendingLoginStore::size() const {
  std::lock_guard lock(mu_);
  return by_state_.size();
}

}  // namespace sb::oidc
