// SPDX-License-Identifier: Apache-2.0
#include "oidc/jose.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "oidc/testing/test_signer.h"

namespace sb::oidc {
namespace {

TEST(JoseTest, Base64UrlRoundTripsAndRejectsNonCanonical) {
  // RFC 4648 §10 vectors, unpadded and with the URL alphabet.
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}, {"\xfb\xff", "-_8"}};
  for (auto [plain, encoded] : vectors) {
    EXPECT_EQ(base64UrlEncode(plain), encoded);
    EXPECT_EQ(base64UrlDecode(encoded).value(), plain);
  }
  EXPECT_FALSE(base64UrlDecode("Zg=="));  // padding is not base64url in JWS
  EXPECT_FALSE(base64UrlDecode("Z"));     // impossible length
  EXPECT_FALSE(base64UrlDecode("Zh"));    // non-zero trailing bits
  EXPECT_FALSE(base64UrlDecode("a+b/"));  // standard alphabet
}

TEST(JoseTest, Sha256MatchesKnownDigest) {
  EXPECT_EQ(base64UrlEncode(sha256("abc")), "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
}

TEST(JoseTest, ParsesRsaAndEcJwks) {
  auto rsa = testing::TestSigner::rsa("r1");
  auto ec = testing::TestSigner::ec("e1");
  auto keys = parseJwks({{"keys", {rsa.jwk(), ec.jwk(), {{"kty", "oct"}, {"k", "AAAA"}}}}});
  ASSERT_TRUE(keys);
  ASSERT_EQ(keys->size(), 2u);  // the symmetric key is skipped
  EXPECT_EQ((*keys)[0].kid(), "r1");
  EXPECT_EQ((*keys)[0].type(), KeyType::Rsa);
  EXPECT_TRUE((*keys)[0].suits("RS256"));
  EXPECT_FALSE((*keys)[0].suits("ES256"));
  EXPECT_FALSE((*keys)[0].suits("HS256"));
  EXPECT_EQ((*keys)[1].type(), KeyType::EcP256);
  EXPECT_TRUE((*keys)[1].suits("ES256"));
  EXPECT_EQ((*keys)[0].publicPem(), rsa.publicPem());
  EXPECT_FALSE(parseJwks({{"nokeys", 1}}));
  EXPECT_FALSE(parseJwks(nlohmann::json::array()));
}

TEST(JoseTest, JwkAlgMustAgree) {
  auto rsa = testing::TestSigner::rsa("r1");
  auto j = rsa.jwk();
  j["alg"] = "RS512";
  auto key = PublicJwk::fromJson(j);
  ASSERT_TRUE(key);
  EXPECT_FALSE(key->suits("RS256"));
}

TEST(JoseTest, RejectsUnusableJwks) {
  auto ec = testing::TestSigner::ec("e1");
  auto j = ec.jwk();
  j["use"] = "enc";
  EXPECT_EQ(PublicJwk::fromJson(j).error().code, Errc::Unsupported);
  j = ec.jwk();
  j["crv"] = "P-384";
  EXPECT_EQ(PublicJwk::fromJson(j).error().code, Errc::Unsupported);
  j = ec.jwk();
  // A point that is not on the curve.
  std::string y = base64UrlDecode(j["y"].get<std::string>()).value();
  y[31] = static_cast<char>(y[31] ^ 1);
  j["y"] = base64UrlEncode(y);
  EXPECT_FALSE(PublicJwk::fromJson(j));
  j = ec.jwk();
  j.erase("x");
  EXPECT_FALSE(PublicJwk::fromJson(j));
  EXPECT_FALSE(PublicJwk::fromJson({{"kty", "RSA"}, {"n", "!!"}, {"e", "AQAB"}}));
}

TEST(JoseTest, RejectsShortRsaKeys) {
  EVP_PKEY* small = EVP_RSA_gen(1024);
  ASSERT_NE(small, nullptr);
  BIGNUM* n = nullptr;
  ASSERT_EQ(EVP_PKEY_get_bn_param(small, "n", &n), 1);
  std::string nb(static_cast<std::size_t>(BN_num_bytes(n)), '\0');
  BN_bn2bin(n, reinterpret_cast<unsigned char*>(nb.data()));
  BN_free(n);
  EVP_PKEY_free(small);
  auto key = PublicJwk::fromJson({{"kty", "RSA"}, {"n", base64UrlEncode(nb)}, {"e", "AQAB"}});
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().code, Errc::Unsupported);
}

TEST(JoseTest, SplitsCompactJws) {
  auto ok = splitCompactJws("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.AQID");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->header["alg"], "RS256");
  EXPECT_EQ(ok->payload["sub"], "x");
  EXPECT_EQ(ok->signing_input, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0");
  EXPECT_EQ(ok->signature, "\x01\x02\x03");
  EXPECT_FALSE(splitCompactJws("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0"));
  EXPECT_FALSE(splitCompactJws("bm90anNvbg.eyJzdWIiOiJ4In0.AQID"));  // "notjson"
}

}  // namespace
}  // namespace sb::oidc
