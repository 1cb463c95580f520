// SPDX-License-Identifier: Apache-2.0
// The app-registration request bodies (parseAppCreate, parseAppPatch): every refusal names its
// field.
#include <gtest/gtest.h>

#include "app/routes.h"

namespace sb::app {
namespace {

using nlohmann::json;

TEST(AppCreateTest, AcceptsNameAndRolesDroppingDuplicates) {
  auto r = parseAppCreate(
      {{"displayName", "Presence sync"}, {"roles", {"supervisor", "agent", "agent"}}});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->display_name, "Presence sync");
  EXPECT_EQ(r->roles, (std::vector<api::Role>{api::Role::Supervisor, api::Role::Agent}));
}

TEST(AppCreateTest, RefusalsNameTheField) {
  EXPECT_EQ(parseAppCreate(json::array()).error().field, "body");
  EXPECT_EQ(parseAppCreate({{"roles", {"agent"}}}).error().field, "displayName");
  EXPECT_EQ(parseAppCreate({{"displayName", ""}, {"roles", {"agent"}}}).error().field,
            "displayName");
  EXPECT_EQ(
      parseAppCreate({{"displayName", std::string(257, 'x')}, {"roles", {"agent"}}}).error().field,
      "displayName");
  EXPECT_EQ(parseAppCreate({{"displayName", "x"}}).error().field, "roles");
  EXPECT_EQ(parseAppCreate({{"displayName", "x"}, {"roles", json::array()}}).error().field,
            "roles");
  EXPECT_EQ(parseAppCreate({{"displayName", "x"}, {"roles", {"wizard"}}}).error().field, "roles");
  EXPECT_EQ(parseAppCreate({{"displayName", "x"}, {"roles", {1}}}).error().field, "roles");
  EXPECT_EQ(parseAppCreate({{"displayName", "x"}, {"roles", {"system_operator"}}}).error().field,
            "roles");
  auto unknown = parseAppCreate({{"displayName", "x"}, {"roles", {"agent"}}, {"secret", "s"}});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().field, "secret");
  EXPECT_EQ(unknown.error().code, Errc::InvalidArgument);
}

TEST(AppPatchTest, EachMemberIsOptionalButNotBoth) {
  auto name = parseAppPatch({{"displayName", "Renamed"}});
  ASSERT_TRUE(name) << name.error().message;
  EXPECT_EQ(name->display_name, "Renamed");
  EXPECT_FALSE(name->roles);
  auto roles = parseAppPatch({{"roles", {"agent", "agent"}}});
  ASSERT_TRUE(roles) << roles.error().message;
  EXPECT_FALSE(roles->display_name);
  EXPECT_EQ(*roles->roles, std::vector<api::Role>{api::Role::Agent});
  EXPECT_EQ(parseAppPatch(json::object()).error().field, "body");
  EXPECT_EQ(parseAppPatch(json::array()).error().field, "body");
}

TEST(AppPatchTest, RefusalsNameTheField) {
  EXPECT_EQ(parseAppPatch({{"displayName", ""}}).error().field, "displayName");
  EXPECT_EQ(parseAppPatch({{"displayName", nullptr}}).error().field, "displayName");
  EXPECT_EQ(parseAppPatch({{"roles", json::array()}}).error().field, "roles");
  EXPECT_EQ(parseAppPatch({{"roles", {"system_operator"}}}).error().field, "roles");
  EXPECT_EQ(parseAppPatch({{"roles", "agent"}}).error().field, "roles");
  EXPECT_EQ(parseAppPatch({{"clientId", "x"}}).error().field, "clientId");
  EXPECT_EQ(parseAppPatch({{"roles", {"agent"}}, {"clientSecret", "s"}}).error().field,
            "clientSecret");
}

}  // namespace
}  // namespace sb::app
