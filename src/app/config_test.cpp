// SPDX-License-Identifier: Apache-2.0
#include "app/config.h"

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

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

TEST(ConfigTest, HttpWorkersDefaultToTheCoresAndAreBounded) {
  auto c = loadConfigText("http: {port: 8081}\n", "w.yaml");
  ASSERT_TRUE(c) << c.error().front().toString();
  EXPECT_EQ(c->http.workers, 0u);
  EXPECT_GE(httpWorkerCount(c->http), 1u);
  EXPECT_LE(httpWorkerCount(c->http), 4u);
  auto three = loadConfigText("http:\n  workers: 3\n", "w.yaml");
  ASSERT_TRUE(three) << three.error().front().toString();
  EXPECT_EQ(httpWorkerCount(three->http), 3u);
  auto bad = loadConfigText("http:\n  port: 8081\n  workers: 0\n", "w.yaml");
  ASSERT_FALSE(bad);
  ASSERT_EQ(bad.error().size(), 1u);
  EXPECT_EQ(bad.error()[0].line, 3);
  EXPECT_NE(bad.error()[0].reason.find("workers must be between 1 and 64"), std::string::npos);
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

TEST(ConfigTest, AuthFailureThrottlingIsConfigurable) {
  auto c = loadConfigText("sip:\n  auth_failures: {delay_after: 2, block_after: 4, block_s: 60}\n",
                          "a.yaml");
  ASSERT_TRUE(c) << c.error().front().toString();
  EXPECT_EQ(c->sip.auth_failures.delay_after, 2u);
  EXPECT_EQ(c->sip.auth_failures.block_after, 4u);
  EXPECT_EQ(c->sip.auth_failures.block_s, 60u);
  EXPECT_EQ(c->sip.auth_failures.window_s, 300u);
  auto bad = loadConfigText("sip:\n  auth_failures: {blockafter: 4}\n", "b.yaml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error()[0].reason.find("blockafter"), std::string::npos);
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

namespace sb::app {
namespace {

TEST(ConfigTest, DemoConfigHasTheFixedTenants) {
  auto c = loadConfigFile(std::string(std::getenv("SB_SOURCE_DIR")) + "/examples/demo.yaml");
  ASSERT_TRUE(c) << c.error().front().toString();
  ASSERT_EQ(c->tenants.size(), 2u);
  const auto& demo = c->tenants[0];
  EXPECT_EQ(demo.domain, "demo.switchboard.test");
  ASSERT_EQ(demo.numbers.size(), 3u);
  EXPECT_EQ(demo.numbers[0].number, "+15550100");
  EXPECT_EQ(demo.numbers[0].queue, "support");
  EXPECT_EQ(demo.numbers[1].queue, "sales");
  EXPECT_EQ(demo.numbers[2].user, "dave");  // direct inward dialing
  EXPECT_TRUE(demo.numbers[2].queue.empty());
  ASSERT_EQ(c->trunks.size(), 1u);
  EXPECT_EQ(c->trunks[0].id, "demo-carrier");
  EXPECT_EQ(c->trunks[0].sources[0].port, 5080);
  EXPECT_EQ(c->tenants[1].domain, "acme.switchboard.test");
}

TEST(ConfigTest, PlainPasswordsAreDemoOnly) {
  auto c = loadConfigText(R"(tenants:
  - id: t
    domain: t.example
    users:
      - {id: u, sip_password: secret}
)",
                          "p.yaml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error()[0].line, 5);
  EXPECT_NE(c.error()[0].reason.find("demo-only"), std::string::npos);
}

TEST(ConfigTest, DanglingReferencesAreErrors) {
  auto c = loadConfigText(R"(demo: true
trunks:
  - {id: tr, tenants: [ghost]}
tenants:
  - id: t
    domain: t.example
    queues:
      - {id: q, strategy: telepathy}
      - {id: q2, expression: "skills.spanish >= AND"}
    numbers:
      - {number: "+1", queue: nope}
      - {number: "+2", user: nobody}
      - {number: "+3", user: u, queue: q}
      - {number: "+4"}
    users:
      - {id: u, queues: [q, missing], skills: {x: 11}}
)",
                          "r.yaml");
  ASSERT_FALSE(c);
  std::string all;
  for (const auto& e : c.error()) all += e.toString() + "\n";
  EXPECT_NE(all.find("unknown strategy 'telepathy'"), std::string::npos) << all;
  EXPECT_NE(all.find("skills.x must be an integer between 1 and 10"), std::string::npos) << all;
  EXPECT_NE(all.find("unknown queue 'nope'"), std::string::npos) << all;
  EXPECT_NE(all.find("unknown queue 'missing'"), std::string::npos) << all;
  EXPECT_NE(all.find("unknown user 'nobody'"), std::string::npos) << all;
  EXPECT_NE(all.find("r.yaml:13:"), std::string::npos) << all;  // "+3": both targets
  EXPECT_NE(all.find("r.yaml:14:"), std::string::npos) << all;  // "+4": neither
  EXPECT_NE(all.find("exactly one of queue or user"), std::string::npos) << all;
  EXPECT_NE(all.find("unknown tenant 'ghost'"), std::string::npos) << all;
  EXPECT_NE(all.find("r.yaml:9:"), std::string::npos) << all;  // the expression's line
  EXPECT_NE(all.find("expression: position"), std::string::npos) << all;
}

TEST(ConfigTest, HttpTlsNeedsCertificateAndKey) {
  auto ok = loadConfigText("http: {port: 8443, tls_certificate: c.pem, tls_private_key: k.pem}\n",
                           "t.yaml");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->http.tls_certificate, "c.pem");
  EXPECT_EQ(ok->http.tls_private_key, "k.pem");
  auto half = loadConfigText("http:\n  port: 8443\n  tls_certificate: c.pem\n", "h.yaml");
  ASSERT_FALSE(half);
  EXPECT_EQ(half.error()[0].line, 2);
  EXPECT_NE(half.error()[0].reason.find("both tls_certificate and tls_private_key"),
            std::string::npos);
}

TEST(ConfigTest, WebhooksSectionTunesDeliveryWithDefaultsForTheRest) {
  auto c = loadConfigText(R"(webhooks:
  answer_timeout_ms: 500
  retry_initial_ms: 200
  retry_max_ms: 400
  give_up_after_ms: 2500
  batch_size: 10
  keep_alive: false
  keep_alive_idle_s: 5
)",
                          "w.yaml");
  ASSERT_TRUE(c) << c.error().front().toString();
  EXPECT_FALSE(c->webhooks.keep_alive);
  EXPECT_EQ(c->webhooks.keep_alive_idle_s, 5u);
  EXPECT_EQ(c->webhooks.keep_alive_max_idle, 4u);
  EXPECT_EQ(c->webhooks.answer_timeout_ms, 500u);
  EXPECT_EQ(c->webhooks.retry_initial_ms, 200u);
  EXPECT_EQ(c->webhooks.retry_max_ms, 400u);
  EXPECT_EQ(c->webhooks.give_up_after_ms, 2500u);
  EXPECT_EQ(c->webhooks.batch_size, 10u);
  EXPECT_EQ(c->webhooks.validation_timeout_ms, 10000u);
  EXPECT_EQ(c->webhooks.max_queue, 10000u);
  EXPECT_FALSE(c->webhooks.allow_http_loopback);
  auto d = loadConfigText("demo: true\n", "d.yaml");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->webhooks.give_up_after_ms, 14400000u);
  EXPECT_EQ(d->webhooks.retry_max_ms, 1800000u);
}

TEST(ConfigTest, WebhooksErrorsNameTheKeyAndLine) {
  auto c = loadConfigText(R"(demo: true
webhooks:
  answer_timeout_ms: 0
  batch_size: many
  retry_initial_ms: 5000
  retry_max_ms: 1000
  retries: 3
)",
                          "w.yaml");
  ASSERT_FALSE(c);
  ASSERT_EQ(c.error().size(), 4u);
  EXPECT_EQ(c.error()[0].toString(), "w.yaml:7:3: unknown key 'retries' in webhooks");
  EXPECT_EQ(c.error()[1].line, 3);
  EXPECT_NE(c.error()[1].reason.find("answer_timeout_ms must be between 100 and 60000"),
            std::string::npos);
  EXPECT_EQ(c.error()[2].line, 4);
  EXPECT_EQ(c.error()[2].reason, "batch_size must be an integer");
  EXPECT_EQ(c.error()[3].line, 6);
  EXPECT_EQ(c.error()[3].reason, "retry_max_ms must not be below retry_initial_ms");
  auto not_map = loadConfigText("webhooks: fast\n", "n.yaml");
  ASSERT_FALSE(not_map);
  EXPECT_EQ(not_map.error()[0].toString(), "n.yaml:1:11: webhooks must be a mapping");
}

}  // namespace
}  // namespace sb::app
