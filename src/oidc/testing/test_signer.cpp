// SPDX-License-Identifier: Apache-2.0
#include "oidc/testing/test_signer.h"

#include <cstdlib>
#include <vector>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "oidc/jose.h"

namespace sb::oidc::testing {

struct TestSigner::Key {
  EVP_PKEY* pkey = nullptr;
  ~Key() { EVP_PKEY_free(pkey); }
};

namespace {

std::string bnParam(EVP_PKEY* pkey, const char* name, std::size_t pad = 0) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) std::abort();
  std::size_t len = static_cast<std::size_t>(BN_num_bytes(bn));
  std::size_t size = pad > len ? pad : len;
  std::string out(size, '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()) + (size - len));
  BN_free(bn);
  return out;
}

std::string b64json(const nlohmann::json& j) { return base64UrlEncode(j.dump()); }

}  // namespace

TestSigner TestSigner::rsa(std::string kid) {
  TestSigner s;
  s.key_ = std::make_shared<Key>();
  s.key_->pkey = EVP_RSA_gen(2048);
  if (s.key_->pkey == nullptr) std::abort();
  s.kid_ = std::move(kid);
  return s;
}

TestSigner TestSigner::ec(std::string kid) {
  TestSigner s;
  s.key_ = std::make_shared<Key>();
  s.key_->pkey = EVP_EC_gen("P-256");
  if (s.key_->pkey == nullptr) std::abort();
  s.kid_ = std::move(kid);
  s.ec_ = true;
  return s;
}

nlohmann::json TestSigner::jwk() const {
  if (ec_) {
    return {{"kty", "EC"},
            {"crv", "P-256"},
            {"kid", kid_},
            {"use", "sig"},
            {"x", base64UrlEncode(bnParam(key_->pkey, OSSL_PKEY_PARAM_EC_PUB_X, 32))},
            {"y", base64UrlEncode(bnParam(key_->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, 32))}};
  }
  return {{"kty", "RSA"},
          {"kid", kid_},
          {"use", "sig"},
          {"n", base64UrlEncode(bnParam(key_->pkey, OSSL_PKEY_PARAM_RSA_N))},
          {"e", base64UrlEncode(bnParam(key_->pkey, OSSL_PKEY_PARAM_RSA_E))}};
}

std::string TestSigner::publicPem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key_->pkey);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  return out;
}

std::string TestSigner::signClaimingAlg(const nlohmann::json& payload,
                                        const std::string& alg) const {
  return sign(payload, {{"alg", alg}});
}

std::string TestSigner::sign(const nlohmann::json& payload, const nlohmann::json& header) const {
  nlohmann::json h = {{"alg", ec_ ? "ES256" : "RS256"}, {"typ", "JWT"}, {"kid", kid_}};
  if (header.is_object()) {
    for (auto it = header.begin(); it != header.end(); ++it) {
      if (it.value().is_null()) {
        h.erase(it.key());
      } else {
        h[it.key()] = it.value();
      }
    }
  }
  std::string input = b64json(h) + "." + b64json(payload);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t len = 0;
  if (EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_->pkey) != 1 ||
      EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1) {
    std::abort();
  }
  std::vector<unsigned char> sig(len);
  if (EVP_DigestSign(ctx, sig.data(), &len, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1) {
    std::abort();
  }
  EVP_MD_CTX_free(ctx);
  std::string out(reinterpret_cast<const char*>(sig.data()), len);
  if (ec_) {
    // DER -> R || S (RFC 7518 §3.4).
    const unsigned char* p = sig.data();
    ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len));
    std::string raw(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(es), reinterpret_cast<unsigned char*>(raw.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(es), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
    ECDSA_SIG_free(es);
    out = raw;
  }
  return input + "." + base64UrlEncode(out);
}

std::string signHs256(const nlohmann::json& header, const nlohmann::json& payload,
                      const std::string& secret) {
  std::string input = b64json(header) + "." + b64json(payload);
  unsigned char mac[32];
  unsigned len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  return input + "." + base64UrlEncode(std::string(reinterpret_cast<char*>(mac), len));
}

std::string unsignedToken(const nlohmann::json& payload) {
  return b64json({{"alg", "none"}, {"typ", "JWT"}}) + "." + b64json(payload) + ".";
}

}  // namespace sb::oidc::testing
