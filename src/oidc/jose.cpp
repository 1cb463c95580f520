// SPDX-License-Identifier: Apache-2.0
#include "oidc/jose.h"

#include <array>
#include <cstdlib>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "common/c_ptr.h"

namespace sb::oidc {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int decodeChar(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

using PkeyPtr = CPtr<EVP_PKEY, EVP_PKEY_free>;
using PkeyCtxPtr = CPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using MdCtxPtr = CPtr<EVP_MD_CTX, EVP_MD_CTX_free>;
using BnPtr = CPtr<BIGNUM, BN_free>;
using ParamBldPtr = CPtr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using ParamPtr = CPtr<OSSL_PARAM, OSSL_PARAM_free>;
using EcdsaSigPtr = CPtr<ECDSA_SIG, ECDSA_SIG_free>;

// A string member of a JWK, base64url-decoded.
Result<std::string> b64Member(const nlohmann::json& jwk, const char* name) {
  auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string()) {
    return fail(Errc::InvalidArgument, std::string("JWK member ") + name + " is missing", name);
  }
  auto raw = base64UrlDecode(it->get_ref<const std::string&>());
  if (!raw)
    return fail(Errc::InvalidArgument, std::string("JWK member ") + name + " is not base64url",
                name);
  return raw;
}

std::string stringMember(const nlohmann::json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Result<PkeyPtr> keyFromParams(const char* type, OSSL_PARAM* params) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
    return fail(Errc::InvalidArgument, std::string("JWK is not a valid ") + type + " public key");
  }
  PkeyPtr key(raw);
  // fromdata does not check that an EC point lies on the curve; do it, or a crafted point could
  // leak information in an ECDH-style attack and would at least verify nothing meaningful.
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) <= 0) {
    return fail(Errc::InvalidArgument, std::string("JWK is not a valid ") + type + " public key");
  }
  return key;
}

Result<PkeyPtr> rsaKey(const nlohmann::json& jwk) {
  auto n = b64Member(jwk, "n");
  if (!n) return std::unexpected(n.error());
  auto e = b64Member(jwk, "e");
  if (!e) return std::unexpected(e.error());
  BnPtr bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()),
                       static_cast<int>(n->size()), nullptr));
  BnPtr bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()),
                       static_cast<int>(e->size()), nullptr));
  if (!bn_n || !bn_e) return fail(Errc::Internal, "out of memory");
  // RFC 7518 §3.3: keys of 2048 bits or larger MUST be used with RS256.
  if (BN_num_bits(bn_n.get()) < 2048) {
    return fail(Errc::Unsupported, "RSA key shorter than 2048 bits", "n");
  }
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld || !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get())) {
    return fail(Errc::Internal, "out of memory");
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (!params) return fail(Errc::Internal, "out of memory");
  return keyFromParams("RSA", params.get());
}

Result<PkeyPtr> ecKey(const nlohmann::json& jwk) {
  if (stringMember(jwk, "crv") != "P-256") {
    return fail(Errc::Unsupported, "only the P-256 curve is supported", "crv");
  }
  auto x = b64Member(jwk, "x");
  if (!x) return std::unexpected(x.error());
  auto y = b64Member(jwk, "y");
  if (!y) return std::unexpected(y.error());
  if (x->size() != 32 || y->size() != 32) {
    return fail(Errc::InvalidArgument, "P-256 coordinates must be 32 bytes", "x");
  }
  std::string point = "\x04" + *x + *y;  // SEC 1 uncompressed point
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
      !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                        point.size())) {
    return fail(Errc::Internal, "out of memory");
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (!params) return fail(Errc::Internal, "out of memory");
  return keyFromParams("EC", params.get());
}

// RFC 7518 §3.4: ES256 signatures are R || S, 32 bytes each; OpenSSL wants DER.
std::string ecdsaRawToDer(std::string_view raw) {
  if (raw.size() != 64) return {};
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data() + 32), 32, nullptr);
  if (!sig || !r || !s || !ECDSA_SIG_set0(sig.get(), r, s)) {
    BN_free(r);
    BN_free(s);
    return {};
  }
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) return {};
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

}  // namespace

std::string base64UrlEncode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                 (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (rest == 2) {
    unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                 (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

Result<std::string> base64UrlDecode(std::string_view text) {
  if (text.size() % 4 == 1) return fail(Errc::InvalidArgument, "bad base64url length");
  std::string out;
  out.reserve(text.size() * 3 / 4);
  unsigned acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = decodeChar(c);
    if (v < 0) return fail(Errc::InvalidArgument, "bad base64url character");
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  // Leftover bits must be zero (canonical encoding), so one token has one spelling.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
    return fail(Errc::InvalidArgument, "non-canonical base64url");
  }
  return out;
}

std::string sha256(std::string_view data) {
  std::array<unsigned char, 32> digest{};
  unsigned len = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &len, EVP_sha256(), nullptr) != 1) {
    std::abort();  // a digest of memory cannot fail short of OOM
  }
  return std::string(reinterpret_cast<const char*>(digest.data()), len);
}

std::string randomBytes(std::size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    std::abort();
  }
  return out;
}

Result<nlohmann::json> parseJson(std::string_view text, std::string_view field) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return fail(Errc::InvalidArgument, std::string(field) + " is not valid JSON",
                std::string(field));
  }
  return j;
}

Result<CompactJws> splitCompactJws(std::string_view token) {
  auto first = token.find('.');
  auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return fail(Errc::InvalidArgument, "token is not a compact JWS (three parts)", "id_token");
  }
  CompactJws jws;
  auto header = base64UrlDecode(token.substr(0, first));
  auto payload = base64UrlDecode(token.substr(first + 1, second - first - 1));
  auto sig = base64UrlDecode(token.substr(second + 1));
  if (!header || !payload || !sig) {
    return fail(Errc::InvalidArgument, "token part is not base64url", "id_token");
  }
  auto h = parseJson(*header, "id_token");
  auto p = parseJson(*payload, "id_token");
  if (!h || !p || !h->is_object() || !p->is_object()) {
    return fail(Errc::InvalidArgument, "token header or payload is not a JSON object", "id_token");
  }
  jws.header = std::move(*h);
  jws.payload = std::move(*p);
  jws.signing_input = std::string(token.substr(0, second));
  jws.signature = std::move(*sig);
  return jws;
}

struct PublicJwk::Key {
  PkeyPtr pkey;
};

Result<PublicJwk> PublicJwk::fromJson(const nlohmann::json& jwk) {
  if (!jwk.is_object()) return fail(Errc::InvalidArgument, "JWK must be an object", "keys");
  std::string use = stringMember(jwk, "use");
  if (!use.empty() && use != "sig") {
    return fail(Errc::Unsupported, "JWK is not a signing key", "use");
  }
  std::string kty = stringMember(jwk, "kty");
  PublicJwk out;
  Result<PkeyPtr> key = fail(Errc::Unsupported, "unsupported key type '" + kty + "'", "kty");
  if (kty == "RSA") {
    out.type_ = KeyType::Rsa;
    key = rsaKey(jwk);
  } else if (kty == "EC") {
    out.type_ = KeyType::EcP256;
    key = ecKey(jwk);
  }
  if (!key) return std::unexpected(key.error());
  auto k = std::make_shared<Key>();
  k->pkey = std::move(*key);
  out.key_ = std::move(k);
  out.kid_ = stringMember(jwk, "kid");
  out.alg_ = stringMember(jwk, "alg");
  return out;
}

bool PublicJwk::suits(std::string_view alg) const {
  if (!alg_.empty() && alg_ != alg) return false;
  if (alg == "RS256") return type_ == KeyType::Rsa;
  if (alg == "ES256") return type_ == KeyType::EcP256;
  return false;
}

bool PublicJwk::verify(std::string_view alg, std::string_view input,
                       std::string_view signature) const {
  if (!key_ || !suits(alg)) return false;
  std::string der;
  if (type_ == KeyType::EcP256) {
    der = ecdsaRawToDer(signature);
    if (der.empty()) return false;
    signature = der;
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx ||
      EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_->pkey.get()) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(input.data()),
                          input.size()) == 1;
}

std::string PublicJwk::publicPem() const {
  if (!key_) return {};
  CPtr<BIO, BIO_free_all> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_->pkey.get()) != 1) return {};
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

Result<std::vector<PublicJwk>> parseJwks(const nlohmann::json& jwks) {
  if (!jwks.is_object() || !jwks.contains("keys") || !jwks["keys"].is_array()) {
    return fail(Errc::InvalidArgument, "JWK set has no keys array", "keys");
  }
  std::vector<PublicJwk> out;
  for (const auto& k : jwks["keys"]) {
    auto key = PublicJwk::fromJson(k);
    if (key) out.push_back(std::move(*key));
  }
  return out;
}

}  // namespace sb::oidc
