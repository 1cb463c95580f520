// SPDX-License-Identifier: Apache-2.0
#include "sip/transport/sip_metrics.h"

#include <gtest/gtest.h>

namespace sb::sip {
namespace {

constexpr std::string_view kOptions =
    "OPTIONS sip:x@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
    "Max-Forwards: 70\r\nTo: <sip:x@example.com>\r\nFrom: <sip:y@example.com>;tag=1\r\n"
    "Call-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";

TEST(ShardMetricsTest, CountsByDirectionMethodAndCode) {
  metrics::Registry registry;
  ShardMetrics m(&registry, 3);
  auto request = Message::parse(kOptions);
  ASSERT_TRUE(request);
  m.received(*request);
  m.received(*request);
  m.sent("SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n");
  m.sent("SIP/2.0 486 Busy Here\r\n\r\n");
  m.sent("INVITE sip:a@b SIP/2.0\r\n\r\n");
  m.sent("FOO sip:a@b SIP/2.0\r\n\r\n");  // extension methods share one label
  m.sent("SIP/2.0 99x broken\r\n\r\n");   // not a status line we count
  m.transactions(7);
  const std::string text = registry.renderText();
  EXPECT_NE(text.find("sb_sip_requests_received_total{method=\"OPTIONS\"} 2"), std::string::npos)
      << text;
  EXPECT_NE(text.find("sb_sip_responses_sent_total{code=\"200\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("sb_sip_responses_sent_total{code=\"486\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("sb_sip_requests_sent_total{method=\"INVITE\"} 1"), std::string::npos);
  EXPECT_NE(text.find("sb_sip_requests_sent_total{method=\"other\"} 1"), std::string::npos);
  EXPECT_EQ(text.find("FOO"), std::string::npos);
  EXPECT_NE(text.find("sb_sip_transactions_active{shard=\"3\"} 7"), std::string::npos) << text;
}

TEST(ShardMetricsTest, NoRegistryIsANoOp) {
  ShardMetrics m(nullptr, 0);
  m.sent("SIP/2.0 200 OK\r\n\r\n");
  m.transactions(1);
}

}  // namespace
}  // namespace sb::sip
