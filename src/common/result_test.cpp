// SPDX-License-Identifier: Apache-2.0
#include "common/result.h"

#include <gtest/gtest.h>

#include "common/clock.h"
#include "common/http_status.h"
#include "common/strong_id.h"

namespace sb {
namespace {

Result<int> parsePositive(int v) {
  if (v <= 0) return fail(Errc::InvalidArgument, "must be positive", "v");
  return v;
}

Result<int> doubled(int v) {
  SB_TRY(parsePositive(v));
  return v * 2;
}

TEST(ResultTest, TryPropagatesTheError) {
  EXPECT_EQ(*doubled(3), 6);
  auto r = doubled(-1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  EXPECT_EQ(r.error().field, "v");
  EXPECT_EQ(r.error().toString(), "invalid_argument: v: must be positive");
}

TEST(ClockTest, ManualClockMovesOnlyWhenAdvanced) {
  ManualClock clock;
  auto t0 = clock.now();
  EXPECT_EQ(clock.now(), t0);
  clock.advance(std::chrono::milliseconds(500));
  EXPECT_EQ(clock.now() - t0, std::chrono::milliseconds(500));
}

TEST(HttpStatusTest, OneTableForStatusAndGraphCode) {
  EXPECT_EQ(httpStatusOf(Errc::InvalidArgument), 400);
  EXPECT_EQ(httpStatusOf(Errc::NotFound), 404);
  EXPECT_EQ(httpStatusOf(Errc::AlreadyExists), 409);
  EXPECT_EQ(httpStatusOf(Errc::Unavailable), 503);
  EXPECT_EQ(graphCodeFor(404), "itemNotFound");
  EXPECT_EQ(graphCodeFor(httpStatusOf(Errc::Conflict)), "nameAlreadyExists");
  EXPECT_EQ(graphCodeFor(500), "generalException");
  EXPECT_EQ(graphCodeFor(418), "invalidRequest");
}

struct FooTag {};
TEST(StrongIdTest, ComparesAndHashes) {
  StrongId<FooTag> a{"x"}, b{"x"}, c{"y"};
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(std::hash<StrongId<FooTag>>{}(a), std::hash<StrongId<FooTag>>{}(b));
}

}  // namespace
}  // namespace sb
