// SPDX-License-Identifier: Apache-2.0
#include "app/config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace sb::app {
namespace {

TEST(ConfigTest, ReadsListenersAndDefaults) {
  auto c = loadConfigText(R"(demo: true
sip:
  listen:
    - {transport: udp, address: 127.0.0.1, port: 5060}
    - {transport: tcp, address: "::1", port: 5062}
http: {port: 8081}
)",
                          "t.yaml");
  ASSERT_TRUE(c) << c.error().front().toString();
  EXPECT_TRUE(c->demo);
  ASSERT_EQ(c->sip.listen.size(), 2u);
  EXPECT_EQ(c->sip.listen[1].transport, SipTransportKind::Tcp);
  EXPECT_EQ(c->sip.listen[1].address, "::1");
  EXPECT_EQ(c->http.port, 8081);
  EXPECT_EQ(c->http.address, "127.0.0.1");
}

TEST(ConfigTest, UnknownKeyIsAnErrorWithItsLine) {
  auto c = loadConfigText("demo: true\nsip:\n  lisen: []\n", "bad.yaml");
  ASSERT_FALSE(c);
  ASSERT_EQ(c.error().size(), 1u);
  EXPECT_EQ(c.error()[0].line, 3);
  EXPECT_EQ(c.error()[0].toString(), "bad.yaml:3:3: unknown key 'lisen' in sip");
}

TEST(ConfigTest, ReportsEveryErrorNotJustTheFirst) {
  auto c = loadConfigText(
      "sip:\n  listen:\n    - {transport: sctp, port: 99999}\nlog_level: loud\n", "x.yaml");
  ASSERT_FALSE(c);
  ASSERT_EQ(c.error().size(), 3u);
  EXPECT_NE(c.error()[0].reason.find("sctp"), std::string::npos);
  EXPECT_NE(c.error()[1].reason.find("between 0 and 65535"), std::string::npos);
  EXPECT_EQ(c.error()[2].line, 4);
}

TEST(ConfigTest, SyntaxErrorHasPosition) {
  auto c = loadConfigText("sip: [unclosed\n", "s.yaml");
  ASSERT_FALSE(c);
  EXPECT_GT(c.error()[0].line, 0);
  EXPECT_NE(c.error()[0].reason.find("YAML syntax"), std::string::npos);
}

TEST(ConfigTest, TlsListenerNeedsCertificate) {
  auto c = loadConfigText("sip:\n  listen:\n    - {transport: tls, port: 5061}\n", "t.yaml");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error()[0].reason.find("tls_certificate"), std::string::npos);
}

TEST(ConfigTest, DemoConfigIsValid) {
  const char* src = std::getenv("SB_SOURCE_DIR");
  ASSERT_NE(src, nullptr);
  auto c = loadConfigFile(std::string(src) + "/examples/demo.yaml");
  ASSERT_TRUE(c) << c.error().front().toString();
  EXPECT_TRUE(c->demo);
}

}  // namespace
}  // namespace sb::app
