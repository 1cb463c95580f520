// SPDX-License-Identifier: Apache-2.0
#include "app/routes_resources.h"

#include <gtest/gtest.h>

namespace sb::app {
namespace {

using nlohmann::json;

std::string fieldOf(const Status& s) { return s ? std::string("<ok>") : s.error().field; }

TEST(ResourceValidationTest, IdsAreShortAndSafe) {
  EXPECT_TRUE(validateId("support_tier-2.x", "id"));
  EXPECT_EQ(fieldOf(validateId("", "code")), "code");
  EXPECT_EQ(fieldOf(validateId("a b", "id")), "id");
  EXPECT_EQ(fieldOf(validateId(std::string(65, 'a'), "id")), "id");
  EXPECT_TRUE(validateId(std::string(64, 'a'), "id"));
}

TEST(ResourceValidationTest, StringsNameTheirField) {
  json body = {{"name", "x"}, {"n", 3}, {"empty", ""}};
  EXPECT_EQ(*requiredString(body, "name"), "x");
  EXPECT_EQ(requiredString(body, "n").error().field, "n");
  EXPECT_EQ(requiredString(body, "missing").error().field, "missing");
  EXPECT_EQ(requiredString(body, "empty").error().field, "empty");
  EXPECT_EQ(requiredString({{"long", std::string(10, 'a')}}, "long", 5).error().field, "long");
  EXPECT_EQ(*optionalString(body, "missing", "dflt"), "dflt");
  EXPECT_EQ(optionalString(body, "n").error().field, "n");
}

TEST(ResourceValidationTest, FlowDocumentNeedsStepsOrNodes) {
  EXPECT_TRUE(validateFlowDocument(json{{"steps", json::array()}}));
  EXPECT_TRUE(validateFlowDocument(json{{"nodes", json::object()}, {"start", "a"}}));
  EXPECT_EQ(fieldOf(validateFlowDocument(json::array())), "document");
  EXPECT_EQ(fieldOf(validateFlowDocument(json{{"start", "a"}})), "document");
  EXPECT_EQ(fieldOf(validateFlowDocument(json{{"steps", "play"}})), "document.steps");
  EXPECT_EQ(fieldOf(validateFlowDocument(json{{"nodes", 3}})), "document.nodes");
}

TEST(ResourceValidationTest, TimezonesAreIanaNames) {
  EXPECT_TRUE(validateTimezone("UTC"));
  EXPECT_TRUE(validateTimezone("Europe/Paris"));
  EXPECT_TRUE(validateTimezone("America/Argentina/Buenos_Aires"));
  for (const char* bad : {"", "/etc/passwd", "Europe/", "../x", "Europe/../UTC", "Bad Zone",
                          "Europe//Paris"}) {
    EXPECT_EQ(fieldOf(validateTimezone(bad)), "timezone") << bad;
  }
}

TEST(ResourceValidationTest, ClockTimes) {
  EXPECT_EQ(*parseClock("00:00", false), 0);
  EXPECT_EQ(*parseClock("09:30", false), 570);
  EXPECT_EQ(*parseClock("23:59", false), 1439);
  EXPECT_EQ(*parseClock("24:00", true), 1440);
  EXPECT_FALSE(parseClock("24:00", false));
  EXPECT_FALSE(parseClock("24:01", true));
  EXPECT_FALSE(parseClock("9:30", false));
  EXPECT_FALSE(parseClock("12:60", false));
  EXPECT_FALSE(parseClock("ab:cd", false));
}

TEST(ResourceValidationTest, CalendarDefinitions) {
  json good = {{"weekly",
                {{"mon", {{{"start", "09:00"}, {"end", "12:00"}}, {{"start", "13:00"}, {"end", "17:00"}}}},
                 {"sat", json::array()},
                 {"sun", {{{"start", "00:00"}, {"end", "24:00"}}}}}},
               {"holidays", {"2025-12-25", "2024-02-29"}}};
  EXPECT_TRUE(validateCalendarDefinition(good));
  struct Case {
    json def;
    std::string field;
  } cases[] = {
      {json::array(), "definition"},
      {json::object(), "definition.weekly"},
      {{{"weekly", json::object()}, {"extra", 1}}, "definition.extra"},
      {{{"weekly", {{"monday", json::array()}}}}, "definition.weekly.monday"},
      {{{"weekly", {{"tue", "9-5"}}}}, "definition.weekly.tue"},
      {{{"weekly", {{"tue", {"09:00-17:00"}}}}}, "definition.weekly.tue[0]"},
      {{{"weekly", {{"wed", {{{"start", "9:00"}, {"end", "17:00"}}}}}}}, "definition.weekly.wed[0].start"},
      {{{"weekly", {{"wed", {{{"start", "09:00"}}}}}}}, "definition.weekly.wed[0].end"},
      {{{"weekly", {{"thu", {{{"start", "17:00"}, {"end", "09:00"}}}}}}}, "definition.weekly.thu[0].end"},
      {{{"weekly", {{"fri", {{{"start", "09:00"}, {"end", "12:00"}}, {{"start", "11:00"}, {"end", "13:00"}}}}}}},
       "definition.weekly.fri"},
      {{{"weekly", json::object()}, {"holidays", "2025-12-25"}}, "definition.holidays"},
      {{{"weekly", json::object()}, {"holidays", {"2025-02-29"}}}, "definition.holidays[0]"},
      {{{"weekly", json::object()}, {"holidays", {"2025-12-25", "25/12/2025"}}}, "definition.holidays[1]"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(fieldOf(validateCalendarDefinition(c.def)), c.field) << c.def.dump();
  }
}

std::int64_t epochMicros(WallTime t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

TEST(ResourceValidationTest, IsoTimes) {
  EXPECT_EQ(epochMicros(*parseIsoTime("1970-01-01T00:00:00Z", "from")), 0);
  EXPECT_EQ(epochMicros(*parseIsoTime("2025-01-31", "from")), 1738281600LL * 1000000);
  EXPECT_EQ(epochMicros(*parseIsoTime("2025-01-31T10:11:12Z", "from")), 1738318272LL * 1000000);
  EXPECT_EQ(epochMicros(*parseIsoTime("2025-01-31T10:11:12.5Z", "from")),
            1738318272LL * 1000000 + 500000);
  EXPECT_EQ(epochMicros(*parseIsoTime("2025-01-31T10:11:12.123456789Z", "from")),
            1738318272LL * 1000000 + 123456);
  // 12:11:12+02:00 is 10:11:12 UTC.
  EXPECT_EQ(*parseIsoTime("2025-01-31T12:11:12+02:00", "to"),
            *parseIsoTime("2025-01-31T10:11:12Z", "to"));
  EXPECT_EQ(*parseIsoTime("2025-01-31T08:11:12-02:00", "to"),
            *parseIsoTime("2025-01-31T10:11:12Z", "to"));
  for (const char* bad : {"", "yesterday", "2025-13-01", "2025-02-30", "2025-01-31T25:00:00Z",
                          "2025-01-31T10:11:12", "2025-01-31T10:11Z", "2025-01-31T10:11:12.Z",
                          "2025-01-31T10:11:12+0200", "1738318272", "2999-01-01T00:00:00Z",
                          "1899-12-31"}) {
    auto t = parseIsoTime(bad, "from");
    ASSERT_FALSE(t) << bad;
    EXPECT_EQ(t.error().field, "from");
  }
}

}  // namespace
}  // namespace sb::app
