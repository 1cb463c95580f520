// SPDX-License-Identifier: Apache-2.0
#include "store/csv.h"

#include <gtest/gtest.h>

#include <chrono>

namespace sb::store {
namespace {

using namespace std::chrono;

TEST(CsvTest, QuotesOnlyWhenNeeded) {
  EXPECT_EQ(csvField("plain"), "plain");
  EXPECT_EQ(csvField(""), "");
  EXPECT_EQ(csvField("a,b"), "\"a,b\"");
  EXPECT_EQ(csvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csvField("line\r\nbreak"), "\"line\r\nbreak\"");
  EXPECT_EQ(csvField("lf\n"), "\"lf\n\"");
}

TEST(CsvTest, FormatsUtcWithMicroseconds) {
  const WallTime t = WallTime{sys_days{2024y / 5 / 1}} + hours(12) + minutes(3) + seconds(4);
  EXPECT_EQ(formatUtc(t), "2024-05-01T12:03:04Z");
  EXPECT_EQ(formatUtc(t + microseconds(123456)), "2024-05-01T12:03:04.123456Z");
  EXPECT_EQ(formatUtc(WallTime{}), "1970-01-01T00:00:00Z");
}

TEST(CsvTest, RowMatchesHeaderColumns) {
  InteractionRecord r;
  r.id = InteractionId("i1");
  r.queue_id = QueueId("q1");
  r.caller = "\"Bob\" <sip:bob@example.com>";
  r.callee = "+15550100";
  r.arrived_at = WallTime{sys_days{2024y / 1 / 2}};
  r.answered_at = r.arrived_at + seconds(5);
  r.end_reason = "caller_hangup, then wrap";
  r.disposition = Disposition::TimedOut;
  const std::string csv = interactionsToCsv({r});
  EXPECT_EQ(csv,
            "id,channel,direction,queue_id,caller,callee,agent_id,arrived_at,queued_at,"
            "offered_at,answered_at,ended_at,end_reason,disposition,wrap_up_code\r\n"
            "i1,voice,inbound,q1,\"\"\"Bob\"\" <sip:bob@example.com>\",+15550100,,"
            "2024-01-02T00:00:00Z,,,2024-01-02T00:00:05Z,,\"caller_hangup, then wrap\","
            "timed_out,\r\n");
}

TEST(RecordsTest, EnumNamesRoundTrip) {
  for (auto d : {Disposition::Answered, Disposition::Abandoned, Disposition::TimedOut,
                 Disposition::Rejected}) {
    EXPECT_EQ(parseDisposition(dispositionName(d)), d);
  }
  for (auto r : {Role::Agent, Role::Supervisor, Role::Admin, Role::Sme}) {
    EXPECT_EQ(parseRole(roleName(r)), r);
  }
  EXPECT_FALSE(parseRole("root").has_value());
  EXPECT_EQ(parseNumberTargetKind("flow"), NumberTargetKind::Flow);
}

}  // namespace
}  // namespace sb::store
