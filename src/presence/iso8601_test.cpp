// SPDX-License-Identifier: Apache-2.0
#include "presence/iso8601.h"

#include <gtest/gtest.h>

namespace sb::presence {
namespace {

using namespace std::chrono_literals;

TEST(IsoDurationTest, ParsesGraphExamples) {
  EXPECT_EQ(parseIsoDuration("PT5M").value(), 5min);
  EXPECT_EQ(parseIsoDuration("PT1H30M").value(), 90min);
  EXPECT_EQ(parseIsoDuration("PT4H").value(), 4h);
  EXPECT_EQ(parseIsoDuration("P1D").value(), 24h);
  EXPECT_EQ(parseIsoDuration("P7D").value(), 168h);
  EXPECT_EQ(parseIsoDuration("P1W").value(), 168h);
  EXPECT_EQ(parseIsoDuration("P1DT2H").value(), 26h);
  EXPECT_EQ(parseIsoDuration("PT0.5S").value(), 500ms);
  EXPECT_EQ(parseIsoDuration("PT90S").value(), 90s);
  EXPECT_EQ(parseIsoDuration("pt5m").value(), 5min);
}

TEST(IsoDurationTest, RejectsMalformed) {
  for (const char* bad : {"", "P", "PT", "5M", "PT5", "PTM", "P1Y", "P1M", "PT5X", "PT1M5H",
                          "PT1.5M", "P1DT", "PT5M5M", "P-1D", "PT 5M", "PT5MX"}) {
    EXPECT_FALSE(parseIsoDuration(bad).has_value()) << bad;
  }
}

TEST(IsoDurationTest, FormatsCanonically) {
  EXPECT_EQ(formatIsoDuration(5min), "PT5M");
  EXPECT_EQ(formatIsoDuration(90min), "PT1H30M");
  EXPECT_EQ(formatIsoDuration(26h), "P1DT2H");
  EXPECT_EQ(formatIsoDuration(24h), "P1D");
  EXPECT_EQ(formatIsoDuration(0s), "PT0S");
  EXPECT_EQ(formatIsoDuration(1500ms), "PT1.5S");
  for (auto d : {Duration(5min), Duration(4h), Duration(3723s), Duration(250ms)}) {
    EXPECT_EQ(parseIsoDuration(formatIsoDuration(d)).value(), d);
  }
}

TEST(IsoDateTimeTest, RoundTripsGraphFormat) {
  auto t = parseIsoDateTime("2026-11-25T10:00:00.0000000Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(formatIsoDateTime(*t), "2026-11-25T10:00:00.0000000Z");
  auto u = parseIsoDateTime("2020-09-23T08:06:58.5407829-07:00");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(formatIsoDateTime(*u), "2020-09-23T15:06:58.5407829Z");
  EXPECT_EQ(parseIsoDateTime("2026-11-25T10:00:00Z").value(), *t);
  EXPECT_EQ(*parseIsoDateTime("2026-11-25T11:00:00+01:00"), *t);
  EXPECT_EQ(*parseIsoDateTime("2024-02-29T00:00:00Z") + 24h, *parseIsoDateTime("2024-03-01T00:00:00Z"));
}

TEST(IsoDateTimeTest, RejectsMalformed) {
  for (const char* bad : {"", "2026-11-25", "2026-11-25T10:00:00", "2026-13-01T00:00:00Z",
                          "2025-02-29T00:00:00Z", "2026-11-25T24:00:00Z", "2026-11-25T10:00Z",
                          "2026-11-25T10:00:00.Z", "2026-11-25T10:00:00Zjunk",
                          "2026-11-25 10:00:00Z", "2026-11-25T10:00:00+1:00"}) {
    EXPECT_FALSE(parseIsoDateTime(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace sb::presence
