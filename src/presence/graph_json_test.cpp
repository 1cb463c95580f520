// SPDX-License-Identifier: Apache-2.0
#include "presence/graph_json.h"

#include <gtest/gtest.h>

#include "presence/iso8601.h"

namespace sb::presence {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using A = Availability;
using T = Activity;

constexpr const char* kApp = "22553876-f5ab-4529-bffb-cfe50aa89f87";

TEST(PresenceJsonTest, ResourceShape) {
  Presence p;
  p.user_id = "fa8bf3dc-eca7-46b7-bad1-db199b62afc3";
  p.pair = {A::Busy, T::InACall};
  p.sequence = 7;
  auto expected = json::parse(R"({
    "id": "fa8bf3dc-eca7-46b7-bad1-db199b62afc3",
    "availability": "Busy",
    "activity": "InACall",
    "statusMessage": null,
    "outOfOfficeSettings": {"message": null, "isOutOfOffice": false},
    "sequenceNumber": "00000000000000000007"
  })");
  EXPECT_EQ(toJson(p), expected);
  p.status_message = StatusMessage{.content = "On a customer call",
                                   .published = *parseIsoDateTime("2026-12-08T09:00:00Z")};
  EXPECT_EQ(toJson(p)["statusMessage"], json::parse(R"({
    "message": {"content": "On a customer call", "contentType": "text"},
    "expiryDateTime": null,
    "publishedDateTime": "2026-12-08T09:00:00.0000000Z"})"));
  p.status_message->expiry = *parseIsoDateTime("2026-12-08T17:30:00Z");
  EXPECT_EQ(toJson(p)["statusMessage"]["expiryDateTime"],
            json::parse(R"({"dateTime": "2026-12-08T17:30:00.0000000", "timeZone": "UTC"})"));
  // The stored form reads back as the same message.
  EXPECT_EQ(parseStatusMessage(toJson(*p.status_message)), p.status_message);
  Presence list[] = {p, p};
  auto coll = toJsonCollection(list);
  ASSERT_TRUE(coll["value"].is_array());
  EXPECT_EQ(coll["value"].size(), 2u);
}

TEST(PresenceJsonTest, ErrorBody) {
  auto g = toGraphError(Error(Errc::InvalidArgument, "unknown activity 'Sleeping'", "activity"));
  EXPECT_EQ(toJson(g), json::parse(R"({"error":{"code":"invalidRequest",
      "message":"activity: unknown activity 'Sleeping'"}})"));
}

TEST(SetPresenceParseTest, ReferenceExampleBody) {
  auto body = json::parse(R"({
    "sessionId": "22553876-f5ab-4529-bffb-cfe50aa89f87",
    "availability": "Available",
    "activity": "Available",
    "expirationDuration": "PT1H"
  })");
  auto r = parseSetPresence(body, std::string_view(kApp));
  ASSERT_TRUE(r.has_value()) << r.error().toString();
  EXPECT_EQ(r->session_id, kApp);
  EXPECT_EQ(r->pair, (PresencePair{A::Available, T::Available}));
  EXPECT_EQ(r->expiration, 1h);
}

TEST(SetPresenceParseTest, DefaultExpirationIsFiveMinutes) {
  auto body = json{{"sessionId", kApp}, {"availability", "Busy"}, {"activity", "InACall"}};
  auto r = parseSetPresence(body, std::nullopt);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->expiration, 5min);
}

struct BadCase {
  json body;
  const char* field;
  Errc code;
};

TEST(SetPresenceParseTest, FieldPreciseErrors) {
  auto base = [] {
    return json{{"sessionId", kApp}, {"availability", "Away"}, {"activity", "Away"}};
  };
  std::vector<BadCase> cases;
  auto with = [&](const char* k, json v) {
    json b = base();
    b[k] = std::move(v);
    return b;
  };
  auto without = [&](const char* k) {
    json b = base();
    b.erase(k);
    return b;
  };
  cases.push_back({without("sessionId"), "sessionId", Errc::InvalidArgument});
  cases.push_back({with("sessionId", 5), "sessionId", Errc::InvalidArgument});
  cases.push_back({with("sessionId", "abc"), "sessionId", Errc::InvalidArgument});
  cases.push_back({with("sessionId", "11111111-2222-3333-4444-555555555555"), "sessionId",
                   Errc::PermissionDenied});
  cases.push_back({without("availability"), "availability", Errc::InvalidArgument});
  cases.push_back({with("availability", "Sleepy"), "availability", Errc::InvalidArgument});
  cases.push_back({without("activity"), "activity", Errc::InvalidArgument});
  cases.push_back({with("activity", "InAMeeting"), "activity", Errc::InvalidArgument});
  cases.push_back({with("activity", "Available"), "activity", Errc::InvalidArgument});
  cases.push_back({with("expirationDuration", "PT4M"), "expirationDuration", Errc::InvalidArgument});
  cases.push_back({with("expirationDuration", "PT4H1S"), "expirationDuration", Errc::InvalidArgument});
  cases.push_back({with("expirationDuration", "5 minutes"), "expirationDuration", Errc::InvalidArgument});
  cases.push_back({with("expirationDuration", 300), "expirationDuration", Errc::InvalidArgument});
  cases.push_back({with("mood", "happy"), "mood", Errc::InvalidArgument});
  cases.push_back({json::array(), "", Errc::InvalidArgument});
  for (const auto& c : cases) {
    auto r = parseSetPresence(c.body, std::string_view(kApp));
    ASSERT_FALSE(r.has_value()) << c.body.dump();
    EXPECT_EQ(r.error().field, c.field) << c.body.dump();
    EXPECT_EQ(r.error().code, c.code) << c.body.dump();
  }
  // Bounds are inclusive; @odata annotations are ignored.
  EXPECT_TRUE(parseSetPresence(with("expirationDuration", "PT5M"), std::nullopt).has_value());
  EXPECT_TRUE(parseSetPresence(with("expirationDuration", "PT4H"), std::nullopt).has_value());
  EXPECT_TRUE(parseSetPresence(with("@odata.type", "x"), std::nullopt).has_value());
  // Every allowed pair parses.
  for (auto [a, t] : {std::pair{"Available", "Available"}, {"Busy", "InACall"},
                      {"Busy", "InAConferenceCall"}, {"Away", "Away"}, {"DoNotDisturb", "Presenting"}}) {
    json b = base();
    b["availability"] = a;
    b["activity"] = t;
    EXPECT_TRUE(parseSetPresence(b, std::nullopt).has_value()) << a << "/" << t;
  }
}

TEST(ClearPresenceParseTest, Body) {
  auto r = parseClearPresence(json{{"sessionId", kApp}}, std::string_view(kApp));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->session_id, kApp);
  EXPECT_EQ(parseClearPresence(json::object(), std::nullopt).error().field, "sessionId");
  EXPECT_EQ(parseClearPresence(json{{"sessionId", kApp}, {"x", 1}}, std::nullopt).error().field, "x");
}

TEST(PreferredParseTest, PairsAndDefaults) {
  auto r = parseSetUserPreferredPresence(json::parse(
      R"({"availability":"DoNotDisturb","activity":"DoNotDisturb","expirationDuration":"PT8H"})"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->expiration, 8h);
  EXPECT_EQ(parseSetUserPreferredPresence(json{{"availability", "Busy"}, {"activity", "Busy"}})
                ->expiration,
            24h);
  EXPECT_EQ(parseSetUserPreferredPresence(json{{"availability", "Offline"}, {"activity", "OffWork"}})
                ->expiration,
            168h);
  auto bad = parseSetUserPreferredPresence(json{{"availability", "Busy"}, {"activity", "InACall"}});
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().field, "activity");
  EXPECT_EQ(parseSetUserPreferredPresence(
                json{{"availability", "Away"}, {"activity", "Away"}, {"expirationDuration", "PT0S"}})
                .error()
                .field,
            "expirationDuration");
}

TEST(StatusMessageParseTest, GraphBodyExpiryAndClearing) {
  const WallTime now = *parseIsoDateTime("2026-12-08T09:00:00Z");
  auto r = parseSetStatusMessage(json::parse(R"({"statusMessage": {
      "message": {"content": "Back at 3 <b>pm</b>", "contentType": "html"},
      "expiryDateTime": {"dateTime": "2026-12-08T15:00:00.0000000", "timeZone": "UTC"}}})"),
                                 now);
  ASSERT_TRUE(r) << r.error().toString();
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->content, "Back at 3 <b>pm</b>");
  EXPECT_EQ((*r)->content_type, "html");
  EXPECT_EQ((*r)->expiry, *parseIsoDateTime("2026-12-08T15:00:00Z"));
  EXPECT_EQ((*r)->published, now);

  auto plain = parseSetStatusMessage(
      json::parse(R"({"statusMessage": {"message": {"content": "In training"}}})"), now);
  ASSERT_TRUE(plain && plain->has_value());
  EXPECT_EQ((*plain)->content_type, "text");
  EXPECT_FALSE((*plain)->expiry);

  auto cleared =
      parseSetStatusMessage(json::parse(R"({"statusMessage": {"message": {"content": ""}}})"), now);
  ASSERT_TRUE(cleared);
  EXPECT_FALSE(cleared->has_value());
}

TEST(StatusMessageParseTest, FieldPreciseErrors) {
  const WallTime now = *parseIsoDateTime("2026-12-08T09:00:00Z");
  struct Case {
    const char* body;
    const char* field;
  };
  const Case cases[] = {
      {R"({})", "statusMessage"},
      {R"({"statusMessage": "hi"})", "statusMessage"},
      {R"({"statusMessage": {"message": {"content": "x"}}, "extra": 1})", "extra"},
      {R"({"statusMessage": {}})", "statusMessage.message"},
      {R"({"statusMessage": {"message": {"content": 5}}})", "statusMessage.message.content"},
      {R"({"statusMessage": {"message": {"content": "x", "contentType": "markdown"}}})",
       "statusMessage.message.contentType"},
      {R"({"statusMessage": {"message": {"content": "x"}, "expiryDateTime": {
          "dateTime": "2026-12-08T15:00:00", "timeZone": "Pacific Standard Time"}}})",
       "statusMessage.expiryDateTime.timeZone"},
      {R"({"statusMessage": {"message": {"content": "x"}, "expiryDateTime": {
          "dateTime": "tomorrow", "timeZone": "UTC"}}})",
       "statusMessage.expiryDateTime.dateTime"},
      {R"({"statusMessage": {"message": {"content": "x"}, "expiryDateTime": {
          "dateTime": "2026-12-08T08:00:00", "timeZone": "UTC"}}})",
       "statusMessage.expiryDateTime"},
  };
  for (const auto& c : cases) {
    auto r = parseSetStatusMessage(json::parse(c.body), now);
    ASSERT_FALSE(r) << c.body;
    EXPECT_EQ(r.error().code, Errc::InvalidArgument) << c.body;
    EXPECT_EQ(r.error().field, c.field) << c.body << ": " << r.error().toString();
  }
  // 280 characters is the limit, counted in characters, not bytes.
  std::string ok;
  for (int i = 0; i < 280; ++i) ok += "\xC3\xA9";  // é
  json body = {{"statusMessage", {{"message", {{"content", ok}}}}}};
  EXPECT_TRUE(parseSetStatusMessage(body, now));
  body["statusMessage"]["message"]["content"] = ok + "e";
  auto r = parseSetStatusMessage(body, now);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "statusMessage.message.content");
}

TEST(GetPresencesByUserIdParseTest, Limits) {
  EXPECT_EQ(parseGetPresencesByUserId(json::parse(R"({"ids":["a","b"]})"))->size(), 2u);
  EXPECT_EQ(parseGetPresencesByUserId(json::parse(R"({"ids":[]})")).error().field, "ids");
  EXPECT_EQ(parseGetPresencesByUserId(json::parse(R"({"ids":["a",3]})")).error().field, "ids[1]");
  json many = json{{"ids", json::array()}};
  for (int i = 0; i < 651; ++i) many["ids"].push_back("u" + std::to_string(i));
  EXPECT_EQ(parseGetPresencesByUserId(many).error().field, "ids");
  many["ids"].erase(many["ids"].size() - 1);
  EXPECT_TRUE(parseGetPresencesByUserId(many).has_value());
}

TEST(JsonBodyTest, SyntaxErrorsAreValues) {
  EXPECT_FALSE(parseJsonBody("{\"sessionId\":").has_value());
  EXPECT_TRUE(parseJsonBody("{}").has_value());
}

}  // namespace
}  // namespace sb::presence
