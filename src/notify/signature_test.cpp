// SPDX-License-Identifier: Apache-2.0
#include "notify/signature.h"

#include <gtest/gtest.h>

namespace sb::notify {
namespace {

TEST(SignatureTest, HmacMatchesRfc4231Case2) {
  // RFC 4231 4.3: key "Jefe", data "what do ya want for nothing?".
  EXPECT_EQ(hmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(SignatureTest, HeaderSignsTimestampDotBody) {
  std::string h = signatureHeader("k", 1700000000, "{\"value\":[]}");
  EXPECT_EQ(h, "t=1700000000,v1=" + hmacSha256Hex("k", "1700000000.{\"value\":[]}"));
  EXPECT_TRUE(verifySignatureHeader("k", h, "{\"value\":[]}"));
  EXPECT_FALSE(verifySignatureHeader("k", h, "{\"value\":[1]}"));
  EXPECT_FALSE(verifySignatureHeader("other", h, "{\"value\":[]}"));
  EXPECT_FALSE(verifySignatureHeader("k", "v1=abc", "{}"));
  EXPECT_FALSE(verifySignatureHeader("k", "t=x1,v1=abc", "{}"));
}

TEST(SignatureTest, KeysAndGuidsAreFreshAndWellFormed) {
  auto a = newSigningKey(), b = newSigningKey();
  EXPECT_EQ(a.size(), 64u);
  EXPECT_NE(a, b);
  auto g = newGuid();
  ASSERT_EQ(g.size(), 36u);
  EXPECT_EQ(g[8], '-');
  EXPECT_EQ(g[14], '4');
  EXPECT_NE(newGuid(), g);
}

}  // namespace
}  // namespace sb::notify
