// SPDX-License-Identifier: Apache-2.0
// Encrypted resource data for change notifications (Graph "rich notifications",
// docs/webhooks.md "Resource data"). A subscriber that sets includeResourceData gives its
// X.509 certificate; every notification then carries the resource in `encryptedContent`:
//   - a fresh random 256-bit key per notification;
//   - data      = base64(AES-256-CBC, PKCS#7 padding, IV = the key's first 16 bytes, of the JSON);
//   - dataSignature = base64(HMAC-SHA256 over the encrypted bytes, keyed with the same key);
//   - dataKey   = base64(RSA-OAEP with SHA-1 and MGF1-SHA-1 of the key, with the cert's key);
//   - encryptionCertificateId as the subscriber named it, encryptionCertificateThumbprint the
//     certificate's SHA-1 thumbprint in upper-case hex.
// The same cipher suites as Microsoft Graph, so a Graph receiver's decryption code works
// unchanged. OpenSSL does the cryptography. Stateless functions; an EncryptionCertificate is
// immutable after parsing and may be shared between threads.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/result.h"

typedef struct evp_pkey_st EVP_PKEY;  // NOLINT: OpenSSL's own forward declaration

namespace sb::notify {

struct PkeyFree {
  void operator()(EVP_PKEY* key) const;
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

class EncryptionCertificate {
 public:
  EncryptionCertificate(PkeyPtr key, std::string thumbprint, WallTime not_after)
      : key_(std::move(key)), thumbprint_(std::move(thumbprint)), not_after_(not_after) {}

  const std::string& thumbprint() const { return thumbprint_; }  // SHA-1, upper-case hex
  WallTime notAfter() const { return not_after_; }
  EVP_PKEY* publicKey() const { return key_.get(); }

 private:
  PkeyPtr key_;
  std::string thumbprint_;
  WallTime not_after_{};
};
using CertificatePtr = std::shared_ptr<const EncryptionCertificate>;

// `text` is the certificate as Graph takes it (base64 of the DER encoding, whitespace
// allowed) or in PEM. The key must be RSA of at least 2048 bits. With `now`, a certificate
// that is not yet valid or has expired is refused (creation checks it; a restart does not, so
// a stored subscription keeps its certificate). InvalidArgument, field
// "encryptionCertificate", with the reason.
[[nodiscard]] Result<CertificatePtr> parseEncryptionCertificate(std::string_view text,
                                                                std::optional<WallTime> now);

// The `encryptedContent` object for `plaintext` (the resource as JSON text). Internal only if
// OpenSSL fails.
[[nodiscard]] Result<nlohmann::json> encryptContent(const EncryptionCertificate& cert,
                                                    std::string_view certificate_id,
                                                    std::string_view plaintext);

// Receiver side (tests, docs): decrypts `encrypted_content` with the certificate's private key
// after checking dataSignature. PermissionDenied when the signature does not match.
[[nodiscard]] Result<std::string> decryptContent(EVP_PKEY* private_key,
                                                 const nlohmann::json& encrypted_content);

std::string base64Encode(std::string_view bytes);
// Standard alphabet with padding; whitespace is skipped. nullopt when malformed.
std::optional<std::string> base64Decode(std::string_view text);

}  // namespace sb::notify
