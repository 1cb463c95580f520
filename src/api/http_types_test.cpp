// SPDX-License-Identifier: Apache-2.0
#include "api/http_types.h"

#include <gtest/gtest.h>

#include "api/pagination.h"

namespace sb::api {
namespace {

TEST(HttpTypesTest, ApiErrorShapeHasCodeMessageField) {
  auto r = errorResponse(Surface::Api, 400, "invalid_argument", "bad name", "name");
  EXPECT_EQ(r.status, 400);
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j, (nlohmann::json{{"error",
                                {{"code", "invalid_argument"},
                                 {"message", "bad name"},
                                 {"field", "name"}}}}));
}

TEST(HttpTypesTest, GraphErrorShapeIsExactlyGraphs) {
  auto r = errorResponse(Surface::Graph, 404, "not_found", "no call", "id");
  auto j = nlohmann::json::parse(r.body);
  ASSERT_TRUE(j["error"].is_object());
  EXPECT_EQ(j["error"]["code"], "itemNotFound");
  EXPECT_EQ(j["error"]["message"], "no call (field: id)");
  for (auto& [k, v] : j["error"].items()) {
    EXPECT_TRUE(k == "code" || k == "message" || k == "innerError") << k;
  }
}

TEST(HttpTypesTest, MalformedJsonNamesThePosition) {
  auto r = parseJsonBody("{\n  \"a\": 1,\n  \"b\": tru }");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  EXPECT_EQ(r.error().field, "body");
  EXPECT_NE(r.error().message.find("line 3"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("byte"), std::string::npos) << r.error().message;
  EXPECT_TRUE(parseJsonBody("{\"a\":[1,2]}"));
  EXPECT_FALSE(parseJsonBody(""));
  EXPECT_FALSE(parseJsonBody("{} trailing"));
}

TEST(HttpTypesTest, Base64UrlRoundTripsAndRejectsGarbage) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\x00"}) {
    auto enc = base64UrlEncode(s);
    EXPECT_EQ(enc.find_first_of("+/="), std::string::npos);
    EXPECT_EQ(base64UrlDecode(enc).value(), s);
  }
  EXPECT_FALSE(base64UrlDecode("ab!c"));
  EXPECT_FALSE(base64UrlDecode("abcde"));
}

TEST(HttpTypesTest, QueryParsingDecodes) {
  auto q = parseQuery("a=1&b=x%20y&c=a+b&bad=%zz&d");
  ASSERT_EQ(q.size(), 4u);
  EXPECT_EQ(q[1].second, "x y");
  EXPECT_EQ(q[2].second, "a b");
  EXPECT_EQ(q[3].first, "d");
  EXPECT_FALSE(percentDecode("%4", false));
}

TEST(PaginationTest, ApiCursorIsOpaqueAndRoundTrips) {
  HttpRequest req;
  req.path = "/api/v1/tenants/t1/queues";
  auto body = pageBody(req, nlohmann::json::array({1, 2}), nlohmann::json{{"after", "q2"}});
  ASSERT_TRUE(body.contains("next"));
  req.query = {{"cursor", body["next"].get<std::string>()}, {"limit", "2"}};
  auto page = pageRequestOf(req);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->limit, 2u);
  EXPECT_EQ((*page->position)["after"], "q2");
  req.query = {{"cursor", "garbage!"}};
  EXPECT_EQ(pageRequestOf(req).error().field, "cursor");
  req.query = {{"limit", "0"}};
  EXPECT_EQ(pageRequestOf(req).error().field, "limit");
  EXPECT_FALSE(pageBody(HttpRequest{}, nlohmann::json::array(), std::nullopt).contains("next"));
}

TEST(PaginationTest, GraphUsesODataNextLink) {
  HttpRequest req;
  req.path = "/graph/v1.0/communications/calls";
  req.headers = {{"host", "sb.example:8443"}};
  req.tls = true;
  req.query = {{"$top", "2"}, {"$skiptoken", "old"}};
  auto body = pageBody(req, nlohmann::json::array({1, 2}), nlohmann::json(7));
  ASSERT_TRUE(body.contains("value"));
  std::string link = body["@odata.nextLink"];
  EXPECT_TRUE(link.starts_with("https://sb.example:8443/graph/v1.0/communications/calls?$top=2&$skiptoken="))
      << link;
  auto token = link.substr(link.find("$skiptoken=") + 11);
  EXPECT_EQ(decodeCursor(token).value(), 7);
}

}  // namespace
}  // namespace sb::api
