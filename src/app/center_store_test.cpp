// SPDX-License-Identifier: Apache-2.0
#include "app/center_store.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "app/config.h"
#include "app/voice_config.h"
#include "store/sqlite/sqlite_store.h"

namespace sb::app {
namespace {

class CenterStoreTest : public ::testing::Test {
 protected:
  std::filesystem::path dir_ = std::filesystem::temp_directory_path() /
                               ("sb-center-store-" + std::to_string(::getpid()));
  void SetUp() override { std::filesystem::create_directories(dir_); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string db() const { return (dir_ / "sb.db").string(); }

  std::shared_ptr<const center::Directory> demo() {
    auto c = loadConfigFile(std::string(std::getenv("SB_SOURCE_DIR")) + "/examples/demo.yaml");
    EXPECT_TRUE(c);
    return buildDirectory(*c, {});
  }
};

TEST_F(CenterStoreTest, RecordsAndBindingsSurviveAReopen) {
  const WallTime t0 = std::chrono::time_point_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now());
  {
    auto store = store::openSqliteStore(db());
    ASSERT_TRUE(store) << store.error().toString();
    AsyncCenterStore async(**store);
    ASSERT_TRUE(async.seedTenants(*demo()));
    for (int i = 0; i < 50; ++i) {
      center::InteractionRecord r;
      r.id = "i" + std::to_string(i);
      r.tenant = "demo";
      r.queue = "support";
      r.caller = "sip:+15551234@carrier.example";
      r.called = "+15550100";
      r.agent = i % 2 ? "alice" : "";
      r.arrived = t0;
      r.queued = t0 + std::chrono::seconds(1);
      r.ended = t0 + std::chrono::seconds(10);
      r.disposition = i % 2 ? center::Disposition::Answered : center::Disposition::Abandoned;
      r.end_reason = "caller_hangup";
      async.writeRecord(r);
    }
    registrar::Binding b;
    b.tenant = "demo";
    b.user = "alice";
    b.contact = "sip:alice@127.0.0.1:5070";
    b.expires_wall = t0 + std::chrono::hours(1);
    b.call_id = "reg-1";
    b.cseq = 2;
    b.source = {"udp", "::1", 5070};
    async.saveBinding(b);
    async.close();  // drains the queue: a clean shutdown keeps everything
    EXPECT_EQ(async.failedWrites(), 0u);
  }
  auto store = store::openSqliteStore(db());
  ASSERT_TRUE(store);
  auto page = (*store)->interactions().search(store::TenantId("demo"), {});
  ASSERT_TRUE(page) << page.error().toString();
  EXPECT_EQ(page->items.size(), 50u);
  AsyncCenterStore async(**store);
  auto bindings = async.loadBindings();
  ASSERT_EQ(bindings.size(), 1u);
  EXPECT_EQ(bindings[0].user, "alice");
  EXPECT_EQ(bindings[0].source.address, "::1");
  EXPECT_EQ(bindings[0].source.port, 5070);
  EXPECT_EQ(bindings[0].expires_wall, t0 + std::chrono::hours(1));
}

TEST_F(CenterStoreTest, KeptPresenceAndAgentStatesSurviveAReopen) {
  using presence::Activity;
  using presence::Availability;
  const WallTime t0 =
      std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  {
    auto store = store::openSqliteStore(db());
    ASSERT_TRUE(store) << store.error().toString();
    AsyncCenterStore async(**store);
    ASSERT_TRUE(async.seedTenants(*demo()));
    center::SavedPresence alice;
    alice.tenant = "demo";
    alice.user = "alice";
    alice.sessions.push_back({"22553876-f5ab-4529-bffb-cfe50aa89f87",
                              {Availability::Busy, Activity::InAMeeting},
                              t0,
                              t0 + std::chrono::hours(1)});
    alice.preferred = presence::PresencePair{Availability::DoNotDisturb, Activity::DoNotDisturb};
    alice.preferred_expires_at = t0 + std::chrono::hours(8);
    async.savePresence(alice);
    center::SavedPresence bob{"demo", "bob", {}, std::nullopt, {}};
    bob.preferred = presence::PresencePair{Availability::Away, Activity::Away};
    async.savePresence(bob);
    bob.preferred.reset();
    async.savePresence(bob);  // nothing left to keep: bob's row goes
    for (const char* state : {"available", "busy", "break", "reserved"}) {
      routing::AgentStateChanged change;
      change.agent = routing::AgentId("demo/carol");
      change.to = state == std::string("break")      ? routing::AgentState::Break
                  : state == std::string("busy")     ? routing::AgentState::Busy
                  : state == std::string("reserved") ? routing::AgentState::Reserved
                                                     : routing::AgentState::Available;
      change.reason = state == std::string("break") ? "training" : "";
      async.onAgentState(change);
    }
    async.close();
    EXPECT_EQ(async.failedWrites(), 0u);
  }
  auto store = store::openSqliteStore(db());
  ASSERT_TRUE(store);
  AsyncCenterStore async(**store);
  auto kept = async.loadPresence();
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].user, "alice");
  ASSERT_EQ(kept[0].sessions.size(), 1u);
  EXPECT_EQ(kept[0].sessions[0].pair.activity, Activity::InAMeeting);
  EXPECT_EQ(kept[0].sessions[0].updated_at, t0);
  EXPECT_EQ(kept[0].sessions[0].expires_at, t0 + std::chrono::hours(1));
  ASSERT_TRUE(kept[0].preferred);
  EXPECT_EQ(kept[0].preferred->availability, Availability::DoNotDisturb);
  EXPECT_EQ(kept[0].preferred_expires_at, t0 + std::chrono::hours(8));
  // carol's newest chosen state is the break, not the reservation after it.
  auto carol = async.loadAgentState("demo", "carol");
  ASSERT_TRUE(carol);
  EXPECT_EQ(carol->state, routing::AgentState::Break);
  EXPECT_EQ(carol->reason, "training");
  EXPECT_FALSE(async.loadAgentState("demo", "alice"));
  // An unreadable document is dropped, not fatal.
  ASSERT_TRUE((*store)->presenceStates().upsert(
      store::PresenceState{store::TenantId("demo"), "bob", "{\"sessions\": 7}", t0}));
  EXPECT_EQ(async.loadPresence().size(), 1u);
}

TEST(VoiceConfigTest, DemoDirectoryMapsQueuesUsersAndTrunks) {
  auto c = loadConfigFile(std::string(std::getenv("SB_SOURCE_DIR")) + "/examples/demo.yaml");
  ASSERT_TRUE(c);
  auto dir = buildDirectory(*c, {true});
  const auto* support = dir->queue("demo", "support");
  ASSERT_NE(support, nullptr);
  EXPECT_EQ(support->routing.id.value(), "demo/support");
  EXPECT_EQ(support->routing.members.size(), 3u);  // alice, bob, carol
  EXPECT_EQ(support->routing.wrap_up_time, std::chrono::seconds(5));
  EXPECT_EQ(dir->queue("demo", "sales")->routing.strategy, routing::Strategy::BestSkill);
  auto creds = dir->findUser("demo", "alice");
  ASSERT_TRUE(creds);
  EXPECT_EQ(creds->ha1_md5, sip::digestHa1(sip::DigestAlgorithm::Md5, "alice",
                                           "demo.switchboard.test", "alice-demo"));
  EXPECT_FALSE(dir->findUser("demo", "admin"));  // no SIP credentials
  auto match = dir->matchNumber(dir->matchTrunk("127.0.0.1", 5080, center::TrunkTransport::Udp),
                                "+15550101");
  ASSERT_TRUE(match);
  EXPECT_EQ(match->number->queue, "sales");
  // --open-trunk: any loopback port.
  EXPECT_NE(dir->matchTrunk("127.0.0.1", 40000, center::TrunkTransport::Udp), nullptr);
  EXPECT_EQ(buildDirectory(*c, {false})->matchTrunk("127.0.0.1", 40000, center::TrunkTransport::Udp),
            nullptr);
}

}  // namespace
}  // namespace sb::app
