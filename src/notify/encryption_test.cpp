// SPDX-License-Identifier: Apache-2.0
#include "notify/encryption.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "notify/testing/certificates.h"

namespace sb::notify {
namespace {

using nlohmann::json;
using testing::KeyKind;
using testing::makeCertificate;

WallTime realNow() {
  return std::chrono::time_point_cast<WallTime::duration>(std::chrono::system_clock::now());
}

std::string sha1UpperHex(std::string_view bytes) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(bytes.data(), bytes.size(), d, &n, EVP_sha1(), nullptr);
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    out += kHex[d[i] >> 4];
    out += kHex[d[i] & 0xF];
  }
  return out;
}

TEST(EncryptionTest, ContentDecryptsWithTheSubscribersPrivateKey) {
  auto tc = makeCertificate();
  auto cert = parseEncryptionCertificate(tc.der_base64, realNow());
  ASSERT_TRUE(cert) << cert.error().message;
  std::string plain = R"({"id":"u1","availability":"Busy","activity":"InACall"})";
  auto content = encryptContent(**cert, "cert-7", plain);
  ASSERT_TRUE(content) << content.error().message;
  EXPECT_EQ((*content)["encryptionCertificateId"], "cert-7");
  EXPECT_EQ((*content)["encryptionCertificateThumbprint"],
            sha1UpperHex(*base64Decode(tc.der_base64)));
  // AES-CBC output is whole 16-byte blocks; the wrapped key is one 2048-bit RSA block.
  EXPECT_EQ(base64Decode((*content)["data"].get<std::string>())->size() % 16, 0u);
  EXPECT_EQ(base64Decode((*content)["dataKey"].get<std::string>())->size(), 256u);
  EXPECT_EQ(base64Decode((*content)["dataSignature"].get<std::string>())->size(), 32u);

  auto back = decryptContent(tc.private_key.get(), *content);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, plain);
}

TEST(EncryptionTest, EveryNotificationHasItsOwnKey) {
  auto tc = makeCertificate();
  auto cert = parseEncryptionCertificate(tc.der_base64, std::nullopt);
  ASSERT_TRUE(cert);
  auto a = encryptContent(**cert, "c", "same text");
  auto b = encryptContent(**cert, "c", "same text");
  ASSERT_TRUE(a && b);
  EXPECT_NE((*a)["dataKey"], (*b)["dataKey"]);
  EXPECT_NE((*a)["data"], (*b)["data"]);
  EXPECT_EQ(*decryptContent(tc.private_key.get(), *a), "same text");
  EXPECT_EQ(*decryptContent(tc.private_key.get(), *b), "same text");
}

TEST(EncryptionTest, TamperedDataOrAnotherKeyIsRefused) {
  auto tc = makeCertificate();
  auto other = makeCertificate();
  auto cert = parseEncryptionCertificate(tc.der_base64, std::nullopt);
  ASSERT_TRUE(cert);
  auto content = encryptContent(**cert, "c", R"({"id":"u1"})");
  ASSERT_TRUE(content);

  json tampered = *content;
  std::string data = *base64Decode(tampered["data"].get<std::string>());
  data[0] = static_cast<char>(data[0] ^ 1);
  tampered["data"] = base64Encode(data);
  auto r = decryptContent(tc.private_key.get(), tampered);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::PermissionDenied);
  EXPECT_NE(r.error().message.find("dataSignature"), std::string::npos);

  auto wrong = decryptContent(other.private_key.get(), *content);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, Errc::PermissionDenied);

  auto missing = decryptContent(tc.private_key.get(), json{{"data", "AAAA"}});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::InvalidArgument);
}

TEST(EncryptionTest, PemAndBase64DerGiveTheSameCertificate) {
  auto tc = makeCertificate();
  auto der = parseEncryptionCertificate(tc.der_base64, realNow());
  auto pem = parseEncryptionCertificate(tc.pem, realNow());
  ASSERT_TRUE(der && pem);
  EXPECT_EQ((*der)->thumbprint(), (*pem)->thumbprint());
  EXPECT_EQ((*der)->thumbprint().size(), 40u);
  // Line breaks inside the base64 text (as certutil writes it) are fine.
  std::string wrapped = tc.der_base64;
  for (std::size_t i = 64; i < wrapped.size(); i += 65) wrapped.insert(i, "\n");
  EXPECT_TRUE(parseEncryptionCertificate(wrapped, realNow()));
}

TEST(EncryptionTest, UnusableCertificatesAreRefusedWithTheReason) {
  struct Case {
    std::string text;
    std::optional<WallTime> now;
    std::string reason;
  };
  std::vector<Case> cases = {
      {"not base64 at all!", realNow(), "not an X.509 certificate"},
      {base64Encode("valid base64, not DER"), realNow(), "not an X.509 certificate"},
      {makeCertificate(KeyKind::EcP256).der_base64, realNow(), "must be RSA"},
      {makeCertificate(KeyKind::Rsa1024).der_base64, realNow(), "at least 2048"},
      {makeCertificate(KeyKind::Rsa2048, -7200, -3600).der_base64, realNow(), "expired"},
      {makeCertificate(KeyKind::Rsa2048, 3600, 7200).der_base64, realNow(), "not valid yet"},
  };
  for (const auto& c : cases) {
    auto r = parseEncryptionCertificate(c.text, c.now);
    ASSERT_FALSE(r) << c.reason;
    EXPECT_EQ(r.error().code, Errc::InvalidArgument);
    EXPECT_EQ(r.error().field, "encryptionCertificate");
    EXPECT_NE(r.error().message.find(c.reason), std::string::npos) << r.error().message;
  }
  // A stored subscription's certificate is read back without the validity check.
  auto expired = makeCertificate(KeyKind::Rsa2048, -7200, -3600);
  EXPECT_TRUE(parseEncryptionCertificate(expired.der_base64, std::nullopt));
}

TEST(EncryptionTest, Base64RoundTripsAndRejectsMalformedText) {
  for (const std::string& s :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    auto enc = base64Encode(s);
    if (s.empty()) {
      EXPECT_EQ(enc, "");
      continue;
    }
    auto dec = base64Decode(enc);
    ASSERT_TRUE(dec) << enc;
    EXPECT_EQ(*dec, s);
  }
  EXPECT_EQ(base64Encode("ab"), "YWI=");
  EXPECT_EQ(*base64Decode("YW\nI="), "ab");
  EXPECT_FALSE(base64Decode("YWI"));
  EXPECT_FALSE(base64Decode("Y!I="));
  EXPECT_FALSE(base64Decode(""));
}

}  // namespace
}  // namespace sb::notify
