// SPDX-License-Identifier: Apache-2.0
#include "api/jwt.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "api/crypto.h"
#include "api/http_types.h"
#include "common/assert.h"

namespace sb::api {

struct KeyRing::Key {
  std::string kid;
  EVP_PKEY* pkey = nullptr;
  MonoTime created{};
  ~Key() { EVP_PKEY_free(pkey); }
};

KeyRing::KeyRing(const Clock& clock, Duration rotation_period, Duration token_lifetime)
    : clock_(clock), rotation_(rotation_period), token_lifetime_(token_lifetime) {}

KeyRing::~KeyRing() = default;

std::shared_ptr<KeyRing::Key> KeyRing::makeKey() {
  auto key = std::make_shared<Key>();
  key->pkey = EVP_EC_gen("P-256");
  SB_RELEASE_ASSERT(key->pkey != nullptr, "P-256 key generation failed");
  key->created = clock_.now();
  key->kid = base64UrlEncode(randomBytes(9)) + "-" + std::to_string(++serial_);
  return key;
}

void KeyRing::rotateLocked(bool force) {
  MonoTime now = clock_.now();
  if (force || keys_.empty() || now - keys_.front()->created >= rotation_) {
    keys_.insert(keys_.begin(), makeKey());
  }
  // A retired key (index >= 1) signed its last token when its successor was created; it must
  // verify until that token expires.
  for (std::size_t i = 1; i < keys_.size();) {
    MonoTime retired_at = keys_[i - 1]->created;
    if (now - retired_at > token_lifetime_) {
      keys_.erase(keys_.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      ++i;
    }
  }
}

void KeyRing::rotateIfDue() {
  std::lock_guard lock(mu_);
  rotateLocked(false);
}

void KeyRing::rotateNow() {
  std::lock_guard lock(mu_);
  rotateLocked(true);
}

void KeyRing::revoke(std::string_view kid) {
  std::lock_guard lock(mu_);
  std::erase_if(keys_, [&](const auto& k) { return k->kid == kid; });
  revocations_.fetch_add(1, std::memory_order_release);
}

namespace {

struct MdCtx {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~MdCtx() { EVP_MD_CTX_free(ctx); }
};

// JWS (RFC 7518 3.4) wants R || S as two 32-byte big-endian integers, not DER.
std::optional<std::string> derToRaw(const unsigned char* der, std::size_t len) {
  const unsigned char* p = der;
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len));
  if (!sig) return std::nullopt;
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig, &r, &s);
  std::string out(64, '\0');
  bool ok = BN_bn2binpad(r, reinterpret_cast<unsigned char*>(out.data()), 32) == 32 &&
            BN_bn2binpad(s, reinterpret_cast<unsigned char*>(out.data()) + 32, 32) == 32;
  ECDSA_SIG_free(sig);
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::string> rawToDer(std::string_view raw) {
  if (raw.size() != 64) return std::nullopt;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (len <= 0) return std::nullopt;
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

}  // namespace

Result<std::string> KeyRing::sign(const nlohmann::json& claims) {
  std::shared_ptr<const Key> key;
  {
    std::lock_guard lock(mu_);
    rotateLocked(false);
    key = keys_.front();
  }
  nlohmann::json header = {{"alg", "ES256"}, {"typ", "JWT"}, {"kid", key->kid}};
  std::string signing_input =
      base64UrlEncode(header.dump()) + "." + base64UrlEncode(claims.dump());
  MdCtx md;
  std::size_t der_len = 0;
  if (!md.ctx || EVP_DigestSignInit(md.ctx, nullptr, EVP_sha256(), nullptr, key->pkey) != 1 ||
      EVP_DigestSign(md.ctx, nullptr, &der_len,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    return fail(Errc::Internal, "ES256 signing failed");
  }
  std::string der(der_len, '\0');
  if (EVP_DigestSign(md.ctx, reinterpret_cast<unsigned char*>(der.data()), &der_len,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    return fail(Errc::Internal, "ES256 signing failed");
  }
  auto raw = derToRaw(reinterpret_cast<const unsigned char*>(der.data()), der_len);
  if (!raw) return fail(Errc::Internal, "ES256 signature conversion failed");
  return signing_input + "." + base64UrlEncode(*raw);
}

Result<nlohmann::json> KeyRing::verify(std::string_view token) const {
  auto dot1 = token.find('.');
  auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return fail(Errc::InvalidArgument, "token is not a compact JWS");
  }
  auto header_json = base64UrlDecode(token.substr(0, dot1));
  auto claims_json = base64UrlDecode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  auto sig = base64UrlDecode(token.substr(dot2 + 1));
  if (!header_json || !claims_json || !sig) {
    return fail(Errc::InvalidArgument, "token is not base64url");
  }
  auto header = nlohmann::json::parse(*header_json, nullptr, false);
  auto claims = nlohmann::json::parse(*claims_json, nullptr, false);
  if (!header.is_object() || !claims.is_object()) {
    return fail(Errc::InvalidArgument, "token header or claims are not JSON objects");
  }
  auto alg = header.value("alg", std::string());
  // Pin the algorithm: "none" and HMAC algorithms are refused before any key lookup.
  if (alg != "ES256") {
    return fail(Errc::PermissionDenied, "token algorithm '" + alg + "' is not accepted");
  }
  auto kid = header.value("kid", std::string());
  std::shared_ptr<const Key> key;
  {
    std::lock_guard lock(mu_);
    for (const auto& k : keys_) {
      if (k->kid == kid) key = k;
    }
  }
  if (!key) return fail(Errc::PermissionDenied, "token signed by an unknown or expired key");
  auto der = rawToDer(*sig);
  if (!der) return fail(Errc::PermissionDenied, "bad ES256 signature encoding");
  MdCtx md;
  std::string_view signing_input = token.substr(0, dot2);
  if (!md.ctx || EVP_DigestVerifyInit(md.ctx, nullptr, EVP_sha256(), nullptr, key->pkey) != 1 ||
      EVP_DigestVerify(md.ctx, reinterpret_cast<const unsigned char*>(der->data()), der->size(),
                       reinterpret_cast<const unsigned char*>(signing_input.data()),
                       signing_input.size()) != 1) {
    return fail(Errc::PermissionDenied, "token signature does not verify");
  }
  return claims;
}

std::vector<std::string> KeyRing::keyIds() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& k : keys_) out.push_back(k->kid);
  return out;
}

std::string KeyRing::currentKeyId() const {
  std::lock_guard lock(mu_);
  return keys_.empty() ? std::string() : keys_.front()->kid;
}

nlohmann::json KeyRing::jwks() const {
  std::vector<std::shared_ptr<const Key>> keys;
  {
    std::lock_guard lock(mu_);
    keys = keys_;
  }
  nlohmann::json out = {{"keys", nlohmann::json::array()}};
  for (const auto& k : keys) {
    BIGNUM* x = nullptr;
    BIGNUM* y = nullptr;
    if (EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
        EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1) {
      std::string xs(32, '\0'), ys(32, '\0');
      BN_bn2binpad(x, reinterpret_cast<unsigned char*>(xs.data()), 32);
      BN_bn2binpad(y, reinterpret_cast<unsigned char*>(ys.data()), 32);
      out["keys"].push_back({{"kty", "EC"},
                             {"crv", "P-256"},
                             {"alg", "ES256"},
                             {"use", "sig"},
                             {"kid", k->kid},
                             {"x", base64UrlEncode(xs)},
                             {"y", base64UrlEncode(ys)}});
    }
    BN_free(x);
    BN_free(y);
  }
  return out;
}

}  // namespace sb::api
