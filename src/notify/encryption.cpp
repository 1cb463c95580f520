// SPDX-License-Identifier: Apache-2.0
#include "notify/encryption.h"

#include <cstdlib>

#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "common/c_ptr.h"
#include "notify/signature.h"

namespace sb::notify {
namespace {

using nlohmann::json;

constexpr int kKeyBytes = 32;  // AES-256
constexpr int kIvBytes = 16;
constexpr int kMinRsaBits = 2048;

using X509Ptr = CPtr<X509, X509_free>;
using BioPtr = CPtr<BIO, BIO_free_all>;
using PkeyCtxPtr = CPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using CipherCtxPtr = CPtr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;

Error badCertificate(std::string why) {
  return Error(Errc::InvalidArgument, std::move(why), "encryptionCertificate");
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// AES-256-CBC with PKCS#7 padding, IV = the key's first 16 bytes (Graph's scheme).
std::optional<std::string> aes(std::string_view key, std::string_view in, bool encrypt) {
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_CipherInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, bytes(key), bytes(key),
                                encrypt ? 1 : 0) != 1) {
    return std::nullopt;
  }
  std::string out(in.size() + kIvBytes, '\0');
  int n = 0;
  int tail = 0;
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (EVP_CipherUpdate(ctx.get(), o, &n, bytes(in), static_cast<int>(in.size())) != 1 ||
      EVP_CipherFinal_ex(ctx.get(), o + n, &tail) != 1) {
    return std::nullopt;
  }
  out.resize(static_cast<std::size_t>(n + tail));
  return out;
}

// RSA-OAEP, SHA-1 digest and MGF1-SHA-1 (Java's "RSA/ECB/OAEPWithSHA1AndMGF1Padding").
std::optional<std::string> rsaOaep(EVP_PKEY* key, std::string_view in, bool encrypt) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new(key, nullptr));
  if (!ctx) return std::nullopt;
  int init = encrypt ? EVP_PKEY_encrypt_init(ctx.get()) : EVP_PKEY_decrypt_init(ctx.get());
  if (init != 1 || EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_sha1()) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha1()) != 1) {
    return std::nullopt;
  }
  auto run = [&](unsigned char* out, std::size_t* len) {
    return encrypt ? EVP_PKEY_encrypt(ctx.get(), out, len, bytes(in), in.size())
                   : EVP_PKEY_decrypt(ctx.get(), out, len, bytes(in), in.size());
  };
  std::size_t len = 0;
  if (run(nullptr, &len) != 1) return std::nullopt;
  std::string out(len, '\0');
  if (run(reinterpret_cast<unsigned char*>(out.data()), &len) != 1) return std::nullopt;
  out.resize(len);
  return out;
}

WallTime timeOf(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return WallTime{};
  return WallTime{} + std::chrono::seconds(timegm(&tm));
}

X509Ptr readCertificate(std::string_view text) {
  if (text.find("-----BEGIN") != std::string_view::npos) {
    BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
    return X509Ptr(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  }
  auto der = base64Decode(text);
  if (!der) return nullptr;
  const unsigned char* p = bytes(*der);
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der->size())));
  // Trailing bytes after the certificate mean the text was not one certificate.
  if (cert && p != bytes(*der) + der->size()) return nullptr;
  return cert;
}

}  // namespace

void PkeyFree::operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }

std::string base64Encode(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes(in),
                          static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> base64Decode(std::string_view text) {
  std::string clean;
  clean.reserve(text.size());
  for (char c : text) {
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') clean += c;
  }
  if (clean.empty() || clean.size() % 4 != 0) return std::nullopt;
  std::string out(clean.size() / 4 * 3, '\0');
  // EVP_DecodeBlock keeps the padding's zero bytes in its count; trim them after.
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes(clean),
                          static_cast<int>(clean.size()));
  if (n < 0) return std::nullopt;
  std::size_t pad = clean.ends_with("==") ? 2 : clean.ends_with('=') ? 1 : 0;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

Result<CertificatePtr> parseEncryptionCertificate(std::string_view text,
                                                  std::optional<WallTime> now) {
  X509Ptr x509 = readCertificate(text);
  if (!x509) {
    return std::unexpected(
        badCertificate("not an X.509 certificate (base64 of its DER encoding, or PEM)"));
  }
  PkeyPtr key(X509_get_pubkey(x509.get()));  // a new reference
  if (!key || EVP_PKEY_base_id(key.get()) != EVP_PKEY_RSA) {
    return std::unexpected(badCertificate("the certificate's public key must be RSA"));
  }
  if (int bits = EVP_PKEY_bits(key.get()); bits < kMinRsaBits) {
    return std::unexpected(badCertificate("the certificate's RSA key has " + std::to_string(bits) +
                                          " bits; at least 2048 are required"));
  }
  WallTime not_after = timeOf(X509_get0_notAfter(x509.get()));
  if (now) {
    if (not_after <= *now) return std::unexpected(badCertificate("the certificate has expired"));
    if (timeOf(X509_get0_notBefore(x509.get())) > *now) {
      return std::unexpected(badCertificate("the certificate is not valid yet"));
    }
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(x509.get(), EVP_sha1(), digest, &len) != 1) {
    return std::unexpected(badCertificate("cannot compute the certificate's thumbprint"));
  }
  std::string thumbprint =
      hexEncode(std::string_view(reinterpret_cast<const char*>(digest), len), /*upper_case=*/true);
  return std::make_shared<const EncryptionCertificate>(std::move(key), std::move(thumbprint),
                                                       not_after);
}

Result<json> encryptContent(const EncryptionCertificate& cert, std::string_view certificate_id,
                            std::string_view plaintext) {
  std::string key(kKeyBytes, '\0');
  // Without randomness the content key would be guessable: stop rather than continue.
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), kKeyBytes) != 1) std::abort();
  auto data = aes(key, plaintext, true);
  auto data_key = rsaOaep(cert.publicKey(), key, true);
  std::string signature = data ? hmacSha256(key, *data) : std::string();
  OPENSSL_cleanse(key.data(), key.size());
  if (!data || !data_key) return fail(Errc::Internal, "encrypting resource data failed");
  return json{{"data", base64Encode(*data)},
              {"dataSignature", base64Encode(signature)},
              {"dataKey", base64Encode(*data_key)},
              {"encryptionCertificateId", std::string(certificate_id)},
              {"encryptionCertificateThumbprint", cert.thumbprint()}};
}

Result<std::string> decryptContent(EVP_PKEY* private_key, const json& content) {
  auto field = [&](const char* name) -> std::optional<std::string> {
    if (!content.is_object() || !content.contains(name) || !content[name].is_string()) {
      return std::nullopt;
    }
    return base64Decode(content[name].get<std::string>());
  };
  auto data = field("data");
  auto signature = field("dataSignature");
  auto wrapped = field("dataKey");
  if (!data || !signature || !wrapped) {
    return fail(Errc::InvalidArgument, "encryptedContent lacks data, dataSignature or dataKey");
  }
  auto key = rsaOaep(private_key, *wrapped, false);
  if (!key || key->size() != kKeyBytes) {
    return fail(Errc::PermissionDenied, "dataKey does not decrypt with this private key");
  }
  std::string expected = hmacSha256(*key, *data);
  if (expected.size() != signature->size() ||
      CRYPTO_memcmp(expected.data(), signature->data(), expected.size()) != 0) {
    return fail(Errc::PermissionDenied, "dataSignature does not match the data");
  }
  auto plain = aes(*key, *data, false);
  if (!plain) return fail(Errc::InvalidArgument, "data does not decrypt");
  return *plain;
}

}  // namespace sb::notify
