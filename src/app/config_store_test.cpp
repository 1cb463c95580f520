// SPDX-License-Identifier: Apache-2.0
#include "app/config_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "sip/auth/digest.h"
#include "store/sqlite/sqlite_store.h"

namespace sb::app {
namespace {

using nlohmann::json;

class ConfigStoreTest : public ::testing::Test {
 protected:
  std::filesystem::path dir_ = std::filesystem::temp_directory_path() /
                               ("sb-config-store-" + std::to_string(::getpid()));
  std::unique_ptr<store::Store> store_;
  Config config_;

  void SetUp() override {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto c = loadConfigFile(std::string(std::getenv("SB_SOURCE_DIR")) + "/examples/demo.yaml");
    ASSERT_TRUE(c);
    config_ = *c;
    reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void reopen() {
    store_.reset();
    auto s = store::openSqliteStore((dir_ / "sb.db").string());
    ASSERT_TRUE(s) << s.error().toString();
    store_ = std::move(*s);
  }
  static WallTime now() { return WallTime{std::chrono::seconds(1'700'000'000)}; }
};

std::vector<std::pair<std::string, int>> sorted(std::vector<std::pair<std::string, int>> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// Every field the voice path reads, compared between two directories.
void expectSameDirectory(const center::Directory& a, const center::Directory& b) {
  ASSERT_EQ(a.tenants().size(), b.tenants().size());
  for (const auto& ta : a.tenants()) {
    const center::TenantSpec* tb = b.tenant(ta.id);
    ASSERT_NE(tb, nullptr) << ta.id;
    EXPECT_EQ(ta.domain, tb->domain);
    EXPECT_EQ(ta.outbound_trunk, tb->outbound_trunk);
    EXPECT_EQ(ta.copy_headers, tb->copy_headers);
    ASSERT_EQ(ta.users.size(), tb->users.size()) << ta.id;
    for (const auto& ua : ta.users) {
      const center::UserSpec* ub = b.user(ta.id, ua.id);
      ASSERT_NE(ub, nullptr) << ua.id;
      EXPECT_EQ(ua.role, ub->role) << ua.id;
      EXPECT_EQ(ua.extension, ub->extension) << ua.id;
      EXPECT_EQ(ua.ha1_md5, ub->ha1_md5) << ua.id;
      EXPECT_EQ(ua.ha1_sha256, ub->ha1_sha256) << ua.id;
      EXPECT_EQ(sorted(ua.skills), sorted(ub->skills)) << ua.id;
      EXPECT_EQ(sorted(ua.capacity), sorted(ub->capacity)) << ua.id;
      EXPECT_EQ(ua.queues, ub->queues) << ua.id;
    }
    ASSERT_EQ(ta.queues.size(), tb->queues.size());
    for (const auto& qa : ta.queues) {
      const center::QueueSpecLite* qb = b.queue(ta.id, qa.id);
      ASSERT_NE(qb, nullptr) << qa.id;
      EXPECT_EQ(qa.timeout_response, qb->timeout_response);
      EXPECT_EQ(qa.overflow_queue, qb->overflow_queue);
      const auto& ra = qa.routing;
      const auto& rb = qb->routing;
      EXPECT_EQ(ra.id, rb.id);
      EXPECT_EQ(ra.strategy, rb.strategy) << qa.id;
      EXPECT_EQ(ra.channels, rb.channels);
      EXPECT_EQ(ra.max_wait, rb.max_wait);
      EXPECT_EQ(ra.service_level_threshold, rb.service_level_threshold);
      EXPECT_EQ(ra.wrap_up_time, rb.wrap_up_time);
      EXPECT_EQ(ra.reservation_timeout, rb.reservation_timeout);
      ASSERT_EQ(ra.skills.size(), rb.skills.size());
      ASSERT_EQ(ra.members.size(), rb.members.size()) << qa.id;
      for (size_t i = 0; i < ra.members.size(); ++i) {
        EXPECT_EQ(ra.members[i].agent, rb.members[i].agent);
        EXPECT_EQ(ra.members[i].position, rb.members[i].position);
      }
    }
    ASSERT_EQ(ta.numbers.size(), tb->numbers.size());
    for (size_t i = 0; i < ta.numbers.size(); ++i) {
      EXPECT_EQ(ta.numbers[i].number, tb->numbers[i].number);
      EXPECT_EQ(ta.numbers[i].queue, tb->numbers[i].queue);
      EXPECT_EQ(ta.numbers[i].user, tb->numbers[i].user);
    }
  }
  ASSERT_EQ(a.trunks().size(), b.trunks().size());
  for (const auto& ka : a.trunks()) {
    const center::TrunkSpec* kb = b.trunk(ka.id);
    ASSERT_NE(kb, nullptr) << ka.id;
    EXPECT_EQ(ka.tenants, kb->tenants);
    EXPECT_EQ(ka.transport, kb->transport);
    EXPECT_EQ(ka.outbound_address, kb->outbound_address);
    EXPECT_EQ(ka.outbound_port, kb->outbound_port);
    ASSERT_EQ(ka.sources.size(), kb->sources.size());
    EXPECT_EQ(ka.sources[0].address, kb->sources[0].address);
    EXPECT_EQ(ka.sources[0].port, kb->sources[0].port);
    EXPECT_EQ(ka.open_loopback, kb->open_loopback);
  }
}

TEST_F(ConfigStoreTest, DemoConfigRoundTripsThroughTheStore) {
  auto imported = importConfig(config_, *store_, now());
  ASSERT_TRUE(imported) << imported.error().toString();
  EXPECT_EQ(*imported, (std::vector<std::string>{"demo", "acme"}));
  // Records use the YAML ids and the conventions' settings documents.
  auto alice = store_->users().get(store::TenantId("demo"), store::UserId("alice"));
  ASSERT_TRUE(alice);
  const json settings = json::parse(alice->settings_json);
  EXPECT_EQ(settings["extension"].get<std::string>(), "1001");
  EXPECT_EQ(settings["queues"], json::array({"support"}));
  EXPECT_EQ(settings["ha1_md5"].get<std::string>().size(), 32u);
  EXPECT_EQ(alice->profile.skills.at("support"), 9);
  auto number = store_->numbers().resolve("+15550101");
  ASSERT_TRUE(number);
  EXPECT_EQ(number->target_id, "sales");
  auto tenant = store_->tenants().get(store::TenantId("demo"));
  ASSERT_TRUE(tenant);
  EXPECT_EQ(json::parse(tenant->settings_json)["domain"].get<std::string>(), "demo.switchboard.test");

  const DirectoryOptions options{true};
  auto from_store = buildDirectoryFromStore(*store_, config_, options);
  ASSERT_TRUE(from_store) << from_store.error().toString();
  expectSameDirectory(*buildDirectory(config_, options), **from_store);
}

TEST_F(ConfigStoreTest, ImportSeedsOnceAndTheStoreWinsAfterwards) {
  ASSERT_TRUE(importConfig(config_, *store_, now()));
  auto q = store_->queues().get(store::TenantId("demo"), store::QueueId("support"));
  ASSERT_TRUE(q);
  q->strategy = "random";
  ASSERT_TRUE(store_->queues().update(*q));
  ASSERT_TRUE(store_->queues().remove(store::TenantId("demo"), store::QueueId("sales")));
  reopen();
  auto again = importConfig(config_, *store_, now());
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->empty());
  auto loaded = configFromStore(*store_, config_);
  ASSERT_TRUE(loaded);
  const auto& demo = loaded->tenants.at(0).id == "demo" ? loaded->tenants[0] : loaded->tenants[1];
  ASSERT_EQ(demo.queues.size(), 1u);
  EXPECT_EQ(demo.queues[0].strategy, "random");
  // carol was in sales too: the deleted queue is dropped from her memberships.
  for (const auto& u : demo.users) {
    if (u.id == "carol") {
      EXPECT_EQ(u.queues, std::vector<std::string>{"support"});
    }
  }
}

TEST_F(ConfigStoreTest, BareTenantRowFromAnOlderVersionIsCompleted) {
  // seedTenants() of earlier versions made rows with only an id and a name.
  ASSERT_TRUE(store_->tenants().create(store::Tenant{store::TenantId("demo"), "Demo", true, now()}));
  auto imported = importConfig(config_, *store_, now());
  ASSERT_TRUE(imported);
  EXPECT_EQ(imported->size(), 2u);
  auto users = store_->users().list(store::TenantId("demo"));
  ASSERT_TRUE(users);
  EXPECT_EQ(users->size(), 6u);
}

TEST_F(ConfigStoreTest, QueueDocumentsAreValidatedByTheYamlRules) {
  const TenantRefs refs{{"support", "sales"}, {}, {}};
  auto ok = validateQueueDocument(
      json{{"id", "billing"}, {"strategy", "best-skill"}, {"max_wait_s", 120},
           {"skills", {{"billing", 3}}}, {"overflow_queue", "support"}},
      refs);
  ASSERT_TRUE(ok) << ok.error().toString();
  EXPECT_EQ(ok->max_wait_s, 120u);
  EXPECT_EQ(ok->overflow_queue, "support");
  EXPECT_EQ(ok->reservation_timeout_s, 15u);  // the loader's default

  struct Case {
    json doc;
    std::string field;
  } cases[] = {
      {{{"id", "q"}, {"strategy", "fastest-first"}}, "strategy"},
      {{{"id", "q"}, {"max_wait_s", 0}}, "max_wait_s"},
      {{{"id", "q"}, {"max_wait_s", "soon"}}, "max_wait_s"},
      {{{"id", "q"}, {"skills", {{"spanish", 11}}}}, "skills.spanish"},
      {{{"id", "q"}, {"overflow_queue", "nowhere"}}, "overflow_queue"},
      {{{"id", "q"}, {"sla", 20}}, "sla"},
      {{{"id", "q"}, {"expression", "skill('x' >"}}, "expression"},
      {{{"id", "q"}, {"channels", "voice"}}, "channels"},
  };
  for (const auto& c : cases) {
    auto r = validateQueueDocument(c.doc, refs);
    ASSERT_FALSE(r) << c.doc.dump();
    EXPECT_EQ(r.error().code, Errc::InvalidArgument);
    EXPECT_EQ(r.error().field, c.field) << c.doc.dump() << ": " << r.error().message;
    EXPECT_FALSE(r.error().message.empty());
  }
}

TEST_F(ConfigStoreTest, UserTenantAndTrunkDocumentsNameTheOffendingField) {
  const TenantRefs refs{{"support"}, {{"demo", "demo.switchboard.test"}}, {"carrier"}};
  auto user = validateUserDocument(
      json{{"id", "frank"}, {"skills", {{"support", 5}}}, {"queues", {"support"}}}, refs);
  ASSERT_TRUE(user) << user.error().toString();
  auto bad = validateUserDocument(json{{"id", "frank"}, {"skills", {{"spanish", 0}}}}, refs);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "skills.spanish");
  bad = validateUserDocument(json{{"id", "frank"}, {"queues", {"sales"}}}, refs);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "queues");
  bad = validateUserDocument(json{{"id", "frank"}, {"role", "boss"}}, refs);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "role");

  auto tenant = validateTenantDocument(
      json{{"id", "beta"}, {"domain", "beta.test"}, {"outbound_trunk", "carrier"}}, refs);
  ASSERT_TRUE(tenant) << tenant.error().toString();
  auto dup = validateTenantDocument(json{{"id", "beta"}, {"domain", "demo.switchboard.test"}}, refs);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().field, "domain");
  auto trunkless =
      validateTenantDocument(json{{"id", "beta"}, {"domain", "b.test"}, {"outbound_trunk", "x"}}, refs);
  ASSERT_FALSE(trunkless);
  EXPECT_EQ(trunkless.error().field, "outbound_trunk");

  auto trunk = validateTrunkDocument(
      json{{"id", "t"}, {"tenants", {"demo"}}, {"sources", {{{"address", "10.0.0.1"}}}}}, {"demo"});
  ASSERT_TRUE(trunk) << trunk.error().toString();
  auto stray = validateTrunkDocument(json{{"id", "t"}, {"tenants", {"demo", "nope"}}}, {"demo"});
  ASSERT_FALSE(stray);
  EXPECT_EQ(stray.error().field, "tenants");
  auto port = validateTrunkDocument(json{{"id", "t"}, {"tenants", {"demo"}}, {"outbound_port", 0}},
                                    {"demo"});
  ASSERT_FALSE(port);
  EXPECT_EQ(port.error().field, "outbound_port");
}

TEST_F(ConfigStoreTest, ServiceAppliesTheStoreAfterAChange) {
  ASSERT_TRUE(importConfig(config_, *store_, now()));
  std::vector<std::shared_ptr<const center::Directory>> applied;
  ConfigService service(*store_, config_, {}, [&](std::shared_ptr<const center::Directory> d) {
    applied.push_back(std::move(d));
  });
  QueueConfig q;
  q.id = "billing";
  q.strategy = "random";
  ASSERT_TRUE(store_->queues().create(queueRecord("demo", q)));
  UserConfig u;
  u.id = "frank";
  u.skills = {{"billing", 4}};
  u.queues = {"billing"};
  u.sip_password = "frank-secret";
  ASSERT_TRUE(store_->users().create(userRecord("demo", "demo.switchboard.test", u)));
  ASSERT_TRUE(service.reload("demo"));
  ASSERT_EQ(applied.size(), 1u);
  EXPECT_EQ(service.reloads(), 1u);
  const auto* billing = applied[0]->queue("demo", "billing");
  ASSERT_NE(billing, nullptr);
  ASSERT_EQ(billing->routing.members.size(), 1u);
  EXPECT_EQ(billing->routing.members[0].agent, center::agentIdFor("demo", "frank"));
  auto creds = applied[0]->findUser("demo", "frank");
  ASSERT_TRUE(creds);
  EXPECT_EQ(creds->ha1_md5,
            sip::digestHa1(sip::DigestAlgorithm::Md5, "frank", "demo.switchboard.test",
                           "frank-secret"));
}

}  // namespace
}  // namespace sb::app
