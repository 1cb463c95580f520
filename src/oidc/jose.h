// SPDX-License-Identifier: Apache-2.0
// JOSE pieces the OIDC relying party needs (RFC 7515/7517/7518): base64url, compact JWS
// splitting, public JWKs (RSA and EC P-256) held as OpenSSL keys, and signature checks for the
// two algorithms an ID token may use here, RS256 and ES256. Pure functions and immutable
// values (a PublicJwk shares its OpenSSL key read-only); safe from any thread. Never throws.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace sb::oidc {

std::string base64UrlEncode(std::string_view bytes);
// Accepts the unpadded alphabet of RFC 4648 §5 only; anything else fails (InvalidArgument).
Result<std::string> base64UrlDecode(std::string_view text);
// Raw SHA-256 digest (32 bytes).
std::string sha256(std::string_view data);
// n bytes from OpenSSL's CSPRNG; aborts if the RNG fails (no safe way to continue).
std::string randomBytes(std::size_t n);

// Parses JSON without throwing; malformed text fails (InvalidArgument, field).
Result<nlohmann::json> parseJson(std::string_view text, std::string_view field);

// A compact JWS split into its parts; header and payload are decoded JSON objects.
struct CompactJws {
  nlohmann::json header;
  nlohmann::json payload;
  std::string signing_input;  // "<b64 header>.<b64 payload>", the bytes that were signed
  std::string signature;      // decoded signature bytes
};
// Fails on anything but three base64url parts whose first two are JSON objects.
Result<CompactJws> splitCompactJws(std::string_view token);

enum class KeyType { Rsa, EcP256 };

// One public key from a JWK set. Copies share the underlying OpenSSL key.
class PublicJwk {
 public:
  // From a JWK object: kty RSA (n, e; modulus of at least 2048 bits) or kty EC with crv P-256
  // (x, y of 32 bytes, point on the curve). Private members are ignored. Keys whose `use` is
  // not "sig" are refused (Unsupported), as are other key types and curves.
  static Result<PublicJwk> fromJson(const nlohmann::json& jwk);

  const std::string& kid() const { return kid_; }
  const std::string& alg() const { return alg_; }  // the JWK's own `alg`, often empty
  KeyType type() const { return type_; }
  // True when this key may verify `alg` ("RS256" needs RSA, "ES256" needs EC P-256, and the
  // JWK's own alg, if present, must agree).
  bool suits(std::string_view alg) const;
  // Checks `signature` over `input` with `alg` (RS256: PKCS#1 v1.5 SHA-256; ES256: raw r||s of
  // 64 bytes, RFC 7518 §3.4). Any other alg, or a key that does not suit it, verifies false.
  bool verify(std::string_view alg, std::string_view input, std::string_view signature) const;

  // The public key as PEM (SubjectPublicKeyInfo), e.g. for logs and tests.
  std::string publicPem() const;

 private:
  struct Key;
  std::shared_ptr<const Key> key_;
  std::string kid_;
  std::string alg_;
  KeyType type_ = KeyType::Rsa;
};

// Parses a JWK set ({"keys": [...]}); keys that cannot be used (other types, enc keys) are
// skipped. Fails when the document is not a JWK set.
Result<std::vector<PublicJwk>> parseJwks(const nlohmann::json& jwks);

}  // namespace sb::oidc
