// SPDX-License-Identifier: Apache-2.0
#include "sip/auth/digest.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

namespace sb::sip {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string toHex(const unsigned char* data, size_t len) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(len * 2, '0');
  for (size_t i = 0; i < len; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xf];
  }
  return out;
}

// Constant-time comparison, so a response check leaks nothing through timing.
bool equalsConstantTime(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string hmacHex(std::string_view key, std::string_view data, size_t bytes) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  return toHex(mac, std::min<size_t>(len, bytes));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' ||
                        s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' ||
                        s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

std::string_view digestAlgorithmName(DigestAlgorithm a) {
  return a == DigestAlgorithm::Sha256 ? "SHA-256" : "MD5";
}

std::optional<DigestAlgorithm> digestAlgorithmFromName(std::string_view name) {
  if (iequals(name, "MD5")) return DigestAlgorithm::Md5;
  if (iequals(name, "SHA-256")) return DigestAlgorithm::Sha256;
  return std::nullopt;
}

std::string digestHash(DigestAlgorithm a, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len,
             a == DigestAlgorithm::Sha256 ? EVP_sha256() : EVP_md5(), nullptr);
  return toHex(md, len);
}

std::string digestHa1(DigestAlgorithm a, std::string_view user, std::string_view realm,
                      std::string_view password) {
  std::string s;
  s.reserve(user.size() + realm.size() + password.size() + 2);
  s.append(user).append(":").append(realm).append(":").append(password);
  return digestHash(a, s);
}

std::string computeDigestResponse(DigestAlgorithm a, std::string_view ha1, std::string_view method,
                                  std::string_view uri, std::string_view nonce, uint32_t nc,
                                  std::string_view cnonce, std::string_view qop) {
  std::string a2;
  a2.append(method).append(":").append(uri);
  const std::string ha2 = digestHash(a, a2);
  std::string kd;
  kd.append(ha1).append(":").append(nonce).append(":");
  if (!qop.empty()) {
    char ncbuf[9];
    std::snprintf(ncbuf, sizeof(ncbuf), "%08x", nc);
    kd.append(ncbuf).append(":").append(cnonce).append(":").append(qop).append(":");
  }
  kd.append(ha2);
  return digestHash(a, kd);
}

Result<DigestResponse> parseDigestResponse(std::string_view value) {
  value = trim(value);
  const auto space = value.find_first_of(" \t");
  if (space == std::string_view::npos || !iequals(value.substr(0, space), "Digest")) {
    return fail(Errc::InvalidArgument, "credentials are not of the Digest scheme", "scheme");
  }
  std::string_view rest = value.substr(space + 1);
  DigestResponse out;
  bool have_nc = false;
  while (true) {
    rest = trim(rest);
    if (rest.empty()) break;
    const auto eq = rest.find('=');
    if (eq == std::string_view::npos) return fail(Errc::InvalidArgument, "parameter without '='");
    const std::string_view name = trim(rest.substr(0, eq));
    rest = trim(rest.substr(eq + 1));
    std::string val;
    if (!rest.empty() && rest.front() == '"') {
      size_t i = 1;
      bool closed = false;
      for (; i < rest.size(); ++i) {
        if (rest[i] == '\\' && i + 1 < rest.size()) {
          val.push_back(rest[++i]);
        } else if (rest[i] == '"') {
          closed = true;
          break;
        } else {
          val.push_back(rest[i]);
        }
      }
      if (!closed) return fail(Errc::InvalidArgument, "unterminated quoted string", std::string(name));
      rest = rest.substr(i + 1);
    } else {
      const auto comma = rest.find(',');
      val = std::string(trim(rest.substr(0, comma)));
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma);
    }
    rest = trim(rest);
    if (!rest.empty()) {
      if (rest.front() != ',') {
        return fail(Errc::InvalidArgument, "expected ',' between parameters", std::string(name));
      }
      rest.remove_prefix(1);
    }
    if (iequals(name, "username")) {
      out.username = std::move(val);
    } else if (iequals(name, "realm")) {
      out.realm = std::move(val);
    } else if (iequals(name, "nonce")) {
      out.nonce = std::move(val);
    } else if (iequals(name, "uri")) {
      out.uri = std::move(val);
    } else if (iequals(name, "response")) {
      out.response = std::move(val);
    } else if (iequals(name, "cnonce")) {
      out.cnonce = std::move(val);
    } else if (iequals(name, "opaque")) {
      out.opaque = std::move(val);
    } else if (iequals(name, "qop")) {
      out.qop = std::move(val);
    } else if (iequals(name, "algorithm")) {
      auto alg = digestAlgorithmFromName(val);
      if (!alg) return fail(Errc::Unsupported, "unsupported algorithm '" + val + "'", "algorithm");
      out.algorithm = *alg;
    } else if (iequals(name, "nc")) {
      uint32_t nc = 0;
      auto [end, ec] = std::from_chars(val.data(), val.data() + val.size(), nc, 16);
      if (val.size() != 8 || ec != std::errc() || end != val.data() + val.size()) {
        return fail(Errc::InvalidArgument, "nc must be 8 hex digits", "nc");
      }
      out.nc = nc;
      have_nc = true;
    }
    // Other parameters (userhash, auth-param extensions) are ignored, as RFC 7616 allows.
  }
  for (auto [field, v] : {std::pair<const char*, const std::string*>{"username", &out.username},
                          {"realm", &out.realm},
                          {"nonce", &out.nonce},
                          {"uri", &out.uri},
                          {"response", &out.response}}) {
    if (v->empty()) return fail(Errc::InvalidArgument, "missing parameter", field);
  }
  if (!out.qop.empty()) {
    if (!iequals(out.qop, "auth")) return fail(Errc::Unsupported, "only qop=auth", "qop");
    if (!have_nc) return fail(Errc::InvalidArgument, "qop=auth needs nc", "nc");
    if (out.cnonce.empty()) return fail(Errc::InvalidArgument, "qop=auth needs cnonce", "cnonce");
  }
  return out;
}

DigestAuthenticator::DigestAuthenticator(DigestConfig config) : config_(std::move(config)) {
  if (config_.secret.empty()) {
    std::array<unsigned char, 32> key{};
    RAND_bytes(key.data(), static_cast<int>(key.size()));
    config_.secret = toHex(key.data(), key.size());
  }
}

std::string DigestAuthenticator::makeNonce(std::string_view realm, MonoTime now) {
  // nonce = hex(issue time) hex(counter) HMAC(secret, time counter realm)[0..16 bytes]
  char head[33];
  std::snprintf(head, sizeof(head), "%016llx%016llx",
                static_cast<unsigned long long>(now.time_since_epoch().count()),
                static_cast<unsigned long long>(++counter_));
  std::string data(head);
  data.append(realm);
  return std::string(head) + hmacHex(config_.secret, data, 16);
}

std::optional<MonoTime> DigestAuthenticator::checkNonce(std::string_view nonce,
                                                        std::string_view realm) const {
  if (nonce.size() != 64) return std::nullopt;
  std::string data(nonce.substr(0, 32));
  data.append(realm);
  if (!equalsConstantTime(hmacHex(config_.secret, data, 16), nonce.substr(32))) {
    return std::nullopt;
  }
  unsigned long long ticks = 0;
  auto [end, ec] = std::from_chars(nonce.data(), nonce.data() + 16, ticks, 16);
  if (ec != std::errc() || end != nonce.data() + 16) return std::nullopt;
  return MonoTime(MonoTime::duration(static_cast<MonoTime::rep>(ticks)));
}

std::vector<std::string> DigestAuthenticator::challenge(std::string_view realm, MonoTime now,
                                                        bool stale) {
  const std::string nonce = makeNonce(realm, now);
  std::vector<std::string> out;
  for (auto alg : config_.algorithms) {
    std::string v = "Digest realm=\"";
    v.append(realm).append("\", nonce=\"").append(nonce).append("\", algorithm=");
    v.append(digestAlgorithmName(alg)).append(", qop=\"auth\"");
    if (stale) v.append(", stale=true");
    out.push_back(std::move(v));
  }
  return out;
}

void DigestAuthenticator::pruneNonces(MonoTime now) {
  if (used_.size() < config_.max_tracked_nonces) return;
  std::erase_if(used_, [now](const auto& kv) { return kv.second.expires <= now; });
  // Forgetting a live nonce would let its nonce-counts be replayed, so when the table is
  // still full verify() refuses to track more and answers Stale (the client gets a new one).
}

DigestVerdict DigestAuthenticator::verify(const DigestResponse& cred, std::string_view method,
                                          std::string_view expected_realm, std::string_view ha1,
                                          MonoTime now) {
  if (cred.realm != expected_realm) return DigestVerdict::Malformed;
  if (std::find(config_.algorithms.begin(), config_.algorithms.end(), cred.algorithm) ==
      config_.algorithms.end()) {
    return DigestVerdict::BadNonce;  // an algorithm we did not offer: challenge again
  }
  const auto issued = checkNonce(cred.nonce, expected_realm);
  if (!issued) return DigestVerdict::BadNonce;
  // The response is checked before staleness, so that stale=true is only ever said to a
  // client that knows the password (RFC 7616 §3.3).
  const std::string expected = computeDigestResponse(cred.algorithm, ha1, method, cred.uri,
                                                     cred.nonce, cred.nc, cred.cnonce, cred.qop);
  if (!equalsConstantTime(expected, cred.response)) return DigestVerdict::BadResponse;
  const MonoTime expires = *issued + config_.nonce_lifetime;
  if (now >= expires) return DigestVerdict::Stale;

  auto it = used_.find(cred.nonce);
  if (it == used_.end()) {
    pruneNonces(now);
    if (used_.size() >= config_.max_tracked_nonces) return DigestVerdict::Stale;
    it = used_.emplace(cred.nonce, NonceState{expires, 0}).first;
  }
  // Without qop there is no nonce-count: a nonce is then good for one request only.
  const uint32_t nc = cred.qop.empty() ? 1 : cred.nc;
  if (nc <= it->second.highest_nc) return DigestVerdict::Replay;
  it->second.highest_nc = nc;
  return DigestVerdict::Ok;
}

AuthFailureLimiter::Decision AuthFailureLimiter::check(const std::string& key, MonoTime now) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return {};
  Entry& e = it->second;
  if (e.blocked_until > now) return {true, Duration{0}};
  if (now - e.window_start > config_.window) {
    entries_.erase(it);
    return {};
  }
  if (e.failures >= config_.delay_after) return {false, config_.delay};
  return {};
}

void AuthFailureLimiter::recordFailure(const std::string& key, MonoTime now) {
  if (entries_.size() >= config_.max_keys && !entries_.contains(key)) {
    std::erase_if(entries_, [&](const auto& kv) {
      return kv.second.blocked_until <= now && now - kv.second.window_start > config_.window;
    });
  }
  auto [it, inserted] = entries_.try_emplace(key, Entry{now, 0, {}});
  Entry& e = it->second;
  if (!inserted && now - e.window_start > config_.window && e.blocked_until <= now) {
    e = Entry{now, 0, {}};
  }
  ++e.failures;
  if (e.failures >= config_.block_after) e.blocked_until = now + config_.block_for;
}

void AuthFailureLimiter::recordSuccess(const std::string& key) {
  auto it = entries_.find(key);
  if (it != entries_.end() && it->second.blocked_until == MonoTime{}) entries_.erase(it);
}

}  // namespace sb::sip
