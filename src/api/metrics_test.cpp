// SPDX-License-Identifier: Apache-2.0
// Tests for src/common/metrics.h (kept here: src/common's test list belongs to another owner).
#include "common/metrics.h"

#include <limits>
#include <thread>

#include <gtest/gtest.h>

namespace sb::metrics {
namespace {

TEST(MetricsTest, CounterGaugeRenderInExpositionFormat) {
  Registry r;
  r.counter("sb_requests_total", "Requests\nserved", {"route", "status"})
      .with({"/a\"b", "200"})
      .inc(3);
  r.gauge("sb_temp", "A gauge").with({}).set(1.5);
  std::string text = r.renderText();
  EXPECT_NE(text.find("# HELP sb_requests_total Requests\\nserved\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE sb_requests_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("sb_requests_total{route=\"/a\\\"b\",status=\"200\"} 3\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE sb_temp gauge\nsb_temp 1.5\n"), std::string::npos) << text;
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithInf) {
  Registry r;
  auto& h = r.histogram("sb_lat_seconds", "Latency", {"op"}, {0.1, 1}).with({"x"});
  h.observe(0.0625);
  h.observe(0.5);
  h.observe(5);
  std::string text = r.renderText();
  EXPECT_NE(text.find("sb_lat_seconds_bucket{op=\"x\",le=\"0.1\"} 1\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("sb_lat_seconds_bucket{op=\"x\",le=\"1\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("sb_lat_seconds_bucket{op=\"x\",le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("sb_lat_seconds_sum{op=\"x\"} 5.5625\n"), std::string::npos) << text;
  EXPECT_NE(text.find("sb_lat_seconds_count{op=\"x\"} 3\n"), std::string::npos);
}

TEST(MetricsTest, SameNameReturnsSameFamilyAndCountsAcrossThreads) {
  Registry r;
  auto& a = r.counter("sb_x_total", "x", {"k"});
  auto& b = r.counter("sb_x_total", "other help", {"k"});
  EXPECT_EQ(&a, &b);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) r.counter("sb_x_total", "x", {"k"}).with({"v"}).inc();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(a.with({"v"}).value(), 40000);
}

TEST(MetricsTest, CollectorsRunBeforeRender) {
  Registry r;
  int calls = 0;
  r.addCollector([&] {
    ++calls;
    r.gauge("sb_sampled", "sampled").with({}).set(calls);
  });
  EXPECT_NE(r.renderText().find("sb_sampled 1\n"), std::string::npos);
  EXPECT_NE(r.renderText().find("sb_sampled 2\n"), std::string::npos);
}

TEST(MetricsTest, FormatsValues) {
  EXPECT_EQ(formatValue(0.005), "0.005");
  EXPECT_EQ(formatValue(42), "42");
  EXPECT_EQ(formatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(escapeLabelValue("a\\b\n\"c"), "a\\\\b\\n\\\"c");
}

}  // namespace
}  // namespace sb::metrics
