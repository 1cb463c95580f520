// SPDX-License-Identifier: Apache-2.0
// The store conformance suite: the same tests against SQLite and PostgreSQL.
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "store/csv.h"
#include "store/sql/migrations.h"
#include "store_fixture.h"

namespace sb::store::testing {
namespace {

template <typename R>
Errc errcOf(const R& r) {
  return r ? Errc::Internal : r.error().code;
}

TYPED_TEST_SUITE(StoreTest, Backends, BackendNames);

// ---- Migrations ----

TYPED_TEST(StoreTest, FreshDatabaseIsMigratedToLatest) {
  EXPECT_EQ(this->store().schemaVersion(), sql::latestSchemaVersion());
  auto raw = this->backend_.openRaw();
  ASSERT_OK(raw);
  std::vector<std::int64_t> versions;
  ASSERT_OK((*raw)->read([&](sql::Session& s) -> Status {
    auto rows = s.exec("SELECT version FROM schema_version ORDER BY version");
    if (!rows) return std::unexpected(rows.error());
    for (const auto& r : rows->rows) versions.push_back(r.int64(0));
    return {};
  }));
  std::vector<std::int64_t> expected;
  for (const auto& m : sql::migrations(sql::Dialect::Sqlite)) expected.push_back(m.version);
  EXPECT_EQ(versions, expected);
}

TYPED_TEST(StoreTest, ReopenKeepsDataAndAppliesNothingTwice) {
  const Tenant t = this->makeTenant("acme");
  this->reopen();
  EXPECT_EQ(this->store().schemaVersion(), sql::latestSchemaVersion());
  auto got = this->store().tenants().get(t.id);
  ASSERT_OK(got);
  EXPECT_EQ(got->name, "acme");
  auto raw = this->backend_.openRaw();
  ASSERT_OK(raw);
  ASSERT_OK((*raw)->read([&](sql::Session& s) -> Status {
    auto rows = s.exec("SELECT COUNT(*) FROM schema_version");
    if (!rows) return std::unexpected(rows.error());
    EXPECT_EQ(rows->rows.at(0).int64(0), sql::latestSchemaVersion());
    return {};
  }));
}

TYPED_TEST(StoreTest, RefusesDatabaseWithNewerSchema) {
  this->store_.reset();
  {
    auto raw = this->backend_.openRaw();
    ASSERT_OK(raw);
    ASSERT_OK((*raw)->write([](sql::Session& s) -> Status {
      const sql::Value p[] = {std::int64_t{sql::latestSchemaVersion() + 1}};
      SB_TRY(
          s.exec("INSERT INTO schema_version (version, description, applied_at) "
                 "VALUES ($1, 'from the future', 0)",
                 p));
      return {};
    }));
  }
  auto opened = this->backend_.open();
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, Errc::Unsupported);
  EXPECT_NE(opened.error().message.find("newer"), std::string::npos) << opened.error().message;
}

// The writer reuses prepared statements: the same text with new parameters, a statement that
// failed half-way, and a statement prepared before a schema change all behave as if prepared
// afresh.
TYPED_TEST(StoreTest, RepeatedStatementsSeeNewParametersAndSchemaChanges) {
  auto raw = this->backend_.openRaw();
  ASSERT_OK(raw);
  auto& db = **raw;
  const std::string_view insert = "INSERT INTO cache_probe (k, v) VALUES ($1, $2)";
  ASSERT_OK(db.write([](sql::Session& s) -> Status {
    SB_TRY(s.exec("CREATE TABLE cache_probe (k BIGINT PRIMARY KEY, v TEXT)"));
    return {};
  }));
  for (std::int64_t round = 0; round < 3; ++round) {
    ASSERT_OK(db.write([&](sql::Session& s) -> Status {
      for (std::int64_t i = 0; i < 50; ++i) {
        const sql::Value p[] = {round * 50 + i, "v" + std::to_string(round * 50 + i)};
        SB_TRY(s.exec(insert, p));
      }
      return {};
    }));
  }
  // A duplicate key fails; the same statement then works again with fresh parameters.
  auto dup = db.write([&](sql::Session& s) -> Status {
    const sql::Value p[] = {std::int64_t{7}, std::string("again")};
    SB_TRY(s.exec(insert, p));
    return {};
  });
  EXPECT_FALSE(dup);
  ASSERT_OK(db.write([&](sql::Session& s) -> Status {
    const sql::Value p[] = {std::int64_t{1000}, std::string("after-failure")};
    SB_TRY(s.exec(insert, p));
    SB_TRY(s.exec("ALTER TABLE cache_probe ADD COLUMN w TEXT DEFAULT 'w'"));
    const sql::Value q[] = {std::int64_t{1001}, std::string("after-alter")};
    SB_TRY(s.exec(insert, q));
    return {};
  }));
  ASSERT_OK(db.read([&](sql::Session& s) -> Status {
    auto rows = s.exec("SELECT COUNT(*), MAX(v), MIN(w) FROM cache_probe");
    if (!rows) return std::unexpected(rows.error());
    EXPECT_EQ(rows->rows.at(0).int64(0), 152);
    EXPECT_EQ(rows->rows.at(0).text(1), "v99");
    EXPECT_EQ(rows->rows.at(0).text(2), "w");
    return {};
  }));
}

// ---- Tenants and users ----

TYPED_TEST(StoreTest, TenantsCrud) {
  auto& repo = this->store().tenants();
  const Tenant a = this->makeTenant("acme");
  const Tenant b = this->makeTenant("beta");
  EXPECT_FALSE(a.id.value().empty());
  EXPECT_EQ(errcOf(repo.create(Tenant{TenantId(), "acme", true, {}})), Errc::AlreadyExists);
  EXPECT_EQ(errcOf(repo.create(Tenant{a.id, "other", true, {}})), Errc::AlreadyExists);
  EXPECT_EQ(errcOf(repo.create(Tenant{TenantId(), "", true, {}})), Errc::InvalidArgument);

  Tenant changed = a;
  changed.name = "acme corp";
  changed.active = false;
  ASSERT_OK(repo.update(changed));
  auto got = repo.get(a.id);
  ASSERT_OK(got);
  EXPECT_EQ(got->name, "acme corp");
  EXPECT_FALSE(got->active);
  EXPECT_EQ(got->created_at, this->at(0));
  changed.name = "beta";
  EXPECT_EQ(errcOf(repo.update(changed)), Errc::AlreadyExists);

  auto all = repo.list();
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "acme corp");

  // Removing a tenant removes what it owns.
  ASSERT_OK(this->store().queues().create(Queue{b.id, QueueId(), "sales"}));
  ASSERT_OK(repo.remove(b.id));
  EXPECT_EQ(errcOf(repo.get(b.id)), Errc::NotFound);
  EXPECT_EQ(errcOf(repo.remove(b.id)), Errc::NotFound);
  auto queues = this->store().queues().list(b.id);
  ASSERT_OK(queues);
  EXPECT_TRUE(queues->empty());
}

TYPED_TEST(StoreTest, RowsForUnknownTenantAreRejected) {
  EXPECT_EQ(errcOf(this->store().queues().create(Queue{TenantId("nope"), QueueId(), "q"})),
            Errc::InvalidArgument);
  EXPECT_EQ(errcOf(this->store().queues().create(Queue{TenantId(), QueueId(), "q"})),
            Errc::InvalidArgument);
}

TYPED_TEST(StoreTest, UsersCrudWithAgentProfile) {
  auto& users = this->store().users();
  const Tenant a = this->makeTenant("a");
  const Tenant b = this->makeTenant("b");
  User alice;
  alice.tenant_id = a.id;
  alice.username = "alice";
  alice.display_name = "Alice";
  alice.email = "alice@a.example";
  alice.role = Role::Agent;
  alice.password_hash = "$argon2id$v=19$...";
  alice.profile.skills = {{"english", 80}, {"billing", 40}};
  alice.profile.channel_capacity = {{"voice", 1}, {"chat", 3}};
  auto created = users.create(alice);
  ASSERT_OK(created);
  alice.id = created->id;

  User bob{a.id, UserId("u-bob"), "bob", "Bob", "", Role::Supervisor, "h", true, {}};
  bob.profile.skills = {{"english", 50}};
  ASSERT_OK(users.create(bob));
  EXPECT_EQ(
      errcOf(users.create(User{a.id, UserId(), "alice", "dup", "", Role::Agent, "h", true, {}})),
      Errc::AlreadyExists);
  // Same username in another tenant is fine.
  ASSERT_OK(
      users.create(User{b.id, UserId(), "alice", "Other Alice", "", Role::Sme, "h", true, {}}));

  auto got = users.get(a.id, alice.id);
  ASSERT_OK(got);
  EXPECT_EQ(got->username, "alice");
  EXPECT_EQ(got->role, Role::Agent);
  EXPECT_EQ(got->password_hash, alice.password_hash);
  EXPECT_EQ(got->profile, alice.profile);

  alice.role = Role::Admin;
  alice.profile.skills.erase("billing");
  alice.profile.skills["spanish"] = 90;
  alice.profile.channel_capacity.erase("chat");
  ASSERT_OK(users.update(alice));
  got = users.findByUsername(a.id, "alice");
  ASSERT_OK(got);
  EXPECT_EQ(got->role, Role::Admin);
  EXPECT_EQ(got->profile, alice.profile);

  auto english = users.findBySkill(a.id, "english", 60);
  ASSERT_OK(english);
  ASSERT_EQ(english->size(), 1u);
  EXPECT_EQ((*english)[0].username, "alice");
  EXPECT_EQ((*english)[0].profile, alice.profile);
  english = users.findBySkill(a.id, "english", 10);
  ASSERT_OK(english);
  EXPECT_EQ(english->size(), 2u);

  auto listed = users.list(a.id);
  ASSERT_OK(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].username, "alice");
  EXPECT_EQ((*listed)[0].profile, alice.profile);
  EXPECT_EQ((*listed)[1].profile, bob.profile);

  // Tenant isolation.
  EXPECT_EQ(errcOf(users.get(b.id, alice.id)), Errc::NotFound);
  User foreign = alice;
  foreign.tenant_id = b.id;
  EXPECT_EQ(errcOf(users.update(foreign)), Errc::NotFound);
  EXPECT_EQ(errcOf(users.remove(b.id, alice.id)), Errc::NotFound);
  auto b_english = users.findBySkill(b.id, "english", 0);
  ASSERT_OK(b_english);
  EXPECT_TRUE(b_english->empty());

  ASSERT_OK(users.remove(a.id, alice.id));
  EXPECT_EQ(errcOf(users.get(a.id, alice.id)), Errc::NotFound);
  english = users.findBySkill(a.id, "english", 0);
  ASSERT_OK(english);
  EXPECT_EQ(english->size(), 1u);
}

// ---- Configuration repositories share one contract ----

template <typename Fixture, typename Repo, typename R, typename Mutate>
void checkCrud(Fixture& f, Repo& repo, R first, R second, Mutate mutate) {
  const Tenant a = f.makeTenant("a");
  const Tenant b = f.makeTenant("b");
  first.tenant_id = a.id;
  second.tenant_id = a.id;
  auto created = repo.create(first);
  ASSERT_OK(created);
  EXPECT_FALSE(created->id.value().empty());
  first.id = created->id;
  ASSERT_OK(repo.create(second));

  // Unique name/code per tenant, not across tenants.
  R dup = first;
  dup.id = {};
  EXPECT_EQ(errcOf(repo.create(dup)), Errc::AlreadyExists);
  dup.tenant_id = b.id;
  auto other = repo.create(dup);
  ASSERT_OK(other);

  auto got = repo.get(a.id, first.id);
  ASSERT_OK(got);
  EXPECT_EQ(*got, first);

  mutate(first);
  ASSERT_OK(repo.update(first));
  got = repo.get(a.id, first.id);
  ASSERT_OK(got);
  EXPECT_EQ(*got, first);

  auto listed = repo.list(a.id);
  ASSERT_OK(listed);
  ASSERT_EQ(listed->size(), 2u);
  for (const auto& r : *listed) EXPECT_EQ(r.tenant_id, a.id);

  // Tenant isolation: b's view of a's row does not exist.
  EXPECT_EQ(errcOf(repo.get(b.id, first.id)), Errc::NotFound);
  R foreign = first;
  foreign.tenant_id = b.id;
  EXPECT_EQ(errcOf(repo.update(foreign)), Errc::NotFound);
  EXPECT_EQ(errcOf(repo.remove(b.id, first.id)), Errc::NotFound);
  auto b_list = repo.list(b.id);
  ASSERT_OK(b_list);
  ASSERT_EQ(b_list->size(), 1u);
  EXPECT_EQ((*b_list)[0].id, other->id);

  ASSERT_OK(repo.remove(a.id, first.id));
  EXPECT_EQ(errcOf(repo.get(a.id, first.id)), Errc::NotFound);
  EXPECT_EQ(errcOf(repo.remove(a.id, first.id)), Errc::NotFound);
}

TYPED_TEST(StoreTest, QueuesCrud) {
  checkCrud(*this, this->store().queues(),
            Queue{{}, {}, "sales", "skills_based", R"({"sla_seconds":20,"max_wait":600})"},
            Queue{{}, QueueId("q-support"), "support"}, [](Queue& q) {
              q.settings_json = R"({"sla_seconds":30})";
              q.strategy = "round_robin";
            });
}

TYPED_TEST(StoreTest, SkillsCrud) {
  checkCrud(*this, this->store().skills(), Skill{{}, {}, "english", "English speakers"},
            Skill{{}, {}, "billing", ""}, [](Skill& s) { s.description = "EN"; });
}

TYPED_TEST(StoreTest, TrunksCrud) {
  Trunk t{{}, {}, "carrier", "sip.carrier.example", 5061, "tls", "user", "s3cret", true, "{}"};
  checkCrud(*this, this->store().trunks(), t, Trunk{{}, {}, "backup", "10.0.0.1"}, [](Trunk& x) {
    x.enabled = false;
    x.port = 5080;
    x.transport = "tcp";
  });
  const Tenant c = this->makeTenant("c");
  EXPECT_EQ(errcOf(this->store().trunks().create(Trunk{c.id, {}, "bad", "h", 70000})),
            Errc::InvalidArgument);
}

TYPED_TEST(StoreTest, FlowsCrud) {
  checkCrud(*this, this->store().flows(),
            Flow{{},
                 {},
                 "main ivr",
                 1,
                 R"({"start":"menu","nodes":{"menu":{"type":"menu"}}})",
                 this->at(10)},
            Flow{{}, {}, "after hours", 3, "{}", this->at(20)}, [this](Flow& f) {
              f.version = 2;
              f.document_json = R"({"start":"x"})";
              f.updated_at = this->at(30);
            });
}

TYPED_TEST(StoreTest, WrapUpCodesCrud) {
  checkCrud(*this, this->store().wrapUpCodes(), WrapUpCode{{}, {}, "SALE", "Sale made", true},
            WrapUpCode{{}, {}, "NOSALE", "No sale", true}, [](WrapUpCode& w) {
              w.active = false;
              w.label = "Sale (old)";
            });
}

TYPED_TEST(StoreTest, CalendarsCrud) {
  checkCrud(*this, this->store().calendars(),
            Calendar{{}, {}, "office", "Europe/Paris", R"({"mon":["09:00-17:00"]})"},
            Calendar{{}, {}, "support", "UTC", "{}"}, [](Calendar& c) {
              c.timezone = "America/New_York";
              c.definition_json = "{\"holidays\":[]}";
            });
}

// ---- Numbers and API keys ----

TYPED_TEST(StoreTest, NumbersAreGloballyUniqueAndResolveToTheirTenant) {
  auto& numbers = this->store().numbers();
  const Tenant a = this->makeTenant("a");
  const Tenant b = this->makeTenant("b");
  ASSERT_OK(numbers.create(PhoneNumber{"+15550100", a.id, NumberTargetKind::Queue, "q1", "main"}));
  ASSERT_OK(numbers.create(PhoneNumber{"+15550101", a.id, NumberTargetKind::Flow, "f1", ""}));
  EXPECT_EQ(errcOf(numbers.create(PhoneNumber{"+15550100", b.id, NumberTargetKind::User, "u", ""})),
            Errc::AlreadyExists);
  ASSERT_OK(numbers.create(PhoneNumber{"+15550200", b.id, NumberTargetKind::User, "u9", ""}));

  auto resolved = numbers.resolve("+15550101");
  ASSERT_OK(resolved);
  EXPECT_EQ(resolved->tenant_id, a.id);
  EXPECT_EQ(resolved->target_kind, NumberTargetKind::Flow);
  EXPECT_EQ(resolved->target_id, "f1");
  EXPECT_EQ(errcOf(numbers.resolve("+19999999")), Errc::NotFound);

  ASSERT_OK(numbers.update(PhoneNumber{"+15550100", a.id, NumberTargetKind::User, "u1", "direct"}));
  auto got = numbers.get(a.id, "+15550100");
  ASSERT_OK(got);
  EXPECT_EQ(got->target_kind, NumberTargetKind::User);
  EXPECT_EQ(got->label, "direct");

  EXPECT_EQ(errcOf(numbers.get(b.id, "+15550100")), Errc::NotFound);
  EXPECT_EQ(
      errcOf(numbers.update(PhoneNumber{"+15550100", b.id, NumberTargetKind::Queue, "x", ""})),
      Errc::NotFound);
  EXPECT_EQ(errcOf(numbers.remove(b.id, "+15550100")), Errc::NotFound);
  auto listed = numbers.list(a.id);
  ASSERT_OK(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].number, "+15550100");
  ASSERT_OK(numbers.remove(a.id, "+15550100"));
  EXPECT_EQ(errcOf(numbers.resolve("+15550100")), Errc::NotFound);
}

TYPED_TEST(StoreTest, ApiKeysKeepOnlyPrefixAndHash) {
  auto& keys = this->store().apiKeys();
  const Tenant a = this->makeTenant("a");
  const Tenant b = this->makeTenant("b");
  ApiKey k;
  k.tenant_id = a.id;
  k.name = "ci";
  k.prefix = "sbk_ab12";
  k.secret_hash = "sha256:5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8";
  k.role = Role::Supervisor;
  k.created_at = this->at(5);
  k.expires_at = this->at(86400);
  auto created = keys.create(k);
  ASSERT_OK(created);
  k.id = created->id;
  ApiKey dup = k;
  dup.id = {};
  dup.tenant_id = b.id;
  EXPECT_EQ(errcOf(keys.create(dup)), Errc::AlreadyExists);  // prefixes are global

  auto found = keys.findByPrefix("sbk_ab12");
  ASSERT_OK(found);
  EXPECT_EQ(found->id, k.id);
  EXPECT_EQ(found->tenant_id, a.id);
  EXPECT_EQ(found->secret_hash, k.secret_hash);
  EXPECT_EQ(found->role, Role::Supervisor);
  EXPECT_EQ(found->created_at, k.created_at);
  EXPECT_EQ(found->expires_at, k.expires_at);
  EXPECT_FALSE(found->revoked);

  EXPECT_EQ(errcOf(keys.get(b.id, k.id)), Errc::NotFound);
  EXPECT_EQ(errcOf(keys.revoke(b.id, k.id)), Errc::NotFound);
  ASSERT_OK(keys.revoke(a.id, k.id));
  auto got = keys.get(a.id, k.id);
  ASSERT_OK(got);
  EXPECT_TRUE(got->revoked);
  EXPECT_FALSE(got->expires_at->time_since_epoch().count() == 0);

  auto listed = keys.list(b.id);
  ASSERT_OK(listed);
  EXPECT_TRUE(listed->empty());
  ASSERT_OK(keys.remove(a.id, k.id));
  EXPECT_EQ(errcOf(keys.findByPrefix("sbk_ab12")), Errc::NotFound);
}

// ---- Interaction records ----

InteractionRecord makeRecord(const TenantId& tenant, const std::string& id, WallTime arrived,
                             const char* queue, const char* agent, std::optional<Disposition> d) {
  InteractionRecord r;
  r.tenant_id = tenant;
  r.id = InteractionId(id);
  if (queue) r.queue_id = QueueId(queue);
  if (agent) r.agent_id = UserId(agent);
  r.caller = "sip:+1555" + id + "@carrier.example";
  r.callee = "+15550100";
  r.arrived_at = arrived;
  r.queued_at = arrived + std::chrono::seconds(1);
  if (d == Disposition::Answered) {
    r.offered_at = arrived + std::chrono::seconds(2);
    r.answered_at = arrived + std::chrono::seconds(3);
  }
  r.ended_at = arrived + std::chrono::seconds(60);
  r.end_reason = "caller_hangup";
  r.disposition = d;
  return r;
}

TYPED_TEST(StoreTest, InteractionRecordsRoundTripAndUpdate) {
  auto& repo = this->store().interactions();
  const Tenant a = this->makeTenant("a");
  const Tenant b = this->makeTenant("b");
  InteractionRecord r;
  r.tenant_id = a.id;
  r.caller = "sip:alice@example.com";
  r.arrived_at = this->at(100) + std::chrono::microseconds(123456);
  auto created = repo.create(r);
  ASSERT_OK(created);
  r.id = created->id;
  auto got = repo.get(a.id, r.id);
  ASSERT_OK(got);
  EXPECT_EQ(*got, r);
  EXPECT_FALSE(got->disposition.has_value());
  EXPECT_FALSE(got->queue_id.has_value());

  r.queue_id = QueueId("q1");
  r.agent_id = UserId("u1");
  r.answered_at = r.arrived_at + std::chrono::seconds(4);
  r.ended_at = r.arrived_at + std::chrono::seconds(40);
  r.disposition = Disposition::Answered;
  r.wrap_up_code = "SALE";
  ASSERT_OK(repo.update(r));
  got = repo.get(a.id, r.id);
  ASSERT_OK(got);
  EXPECT_EQ(*got, r);

  EXPECT_EQ(errcOf(repo.create(r)), Errc::AlreadyExists);
  EXPECT_EQ(errcOf(repo.get(b.id, r.id)), Errc::NotFound);
  InteractionRecord foreign = r;
  foreign.tenant_id = b.id;
  EXPECT_EQ(errcOf(repo.update(foreign)), Errc::NotFound);
}

TYPED_TEST(StoreTest, InteractionBatchIsAllOrNothing) {
  auto& repo = this->store().interactions();
  const Tenant a = this->makeTenant("a");
  std::vector<InteractionRecord> batch;
  for (int i = 0; i < 20; ++i) {
    batch.push_back(makeRecord(a.id, "b" + std::to_string(i), this->at(10 + i), "q1", "u1",
                               Disposition::Answered));
  }
  ASSERT_OK(repo.createMany(batch));
  for (const auto& r : batch) {
    auto got = repo.get(a.id, r.id);
    ASSERT_OK(got);
    EXPECT_EQ(*got, r);
  }
  // One duplicate id fails the whole batch: the new record beside it is not written either.
  std::vector<InteractionRecord> clash{
      makeRecord(a.id, "fresh", this->at(50), nullptr, nullptr, Disposition::Abandoned),
      batch.front()};
  EXPECT_FALSE(repo.createMany(clash));
  EXPECT_EQ(errcOf(repo.get(a.id, InteractionId("fresh"))), Errc::NotFound);
  ASSERT_OK(repo.createMany({}));
}

TYPED_TEST(StoreTest, InteractionSearchFiltersAndPaginatesStably) {
  auto& repo = this->store().interactions();
  const Tenant a = this->makeTenant("a");
  const Tenant b = this->makeTenant("b");
  const Disposition kinds[] = {Disposition::Answered, Disposition::Abandoned, Disposition::TimedOut,
                               Disposition::Rejected};
  // 40 records; every 4 share one arrival second so the id breaks ties.
  for (int i = 0; i < 40; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "r%02d", 39 - i);  // ids in reverse of arrival within a second
    ASSERT_OK(repo.create(makeRecord(a.id, id, this->at(i / 4), i % 2 ? "q1" : "q2",
                                     i % 3 ? "u1" : nullptr, kinds[i % 4])));
  }
  ASSERT_OK(repo.create(makeRecord(b.id, "other", this->at(1), "q1", "u1", Disposition::Answered)));

  // Walk every page of 7 and check the order is (arrived_at, id) and nothing repeats.
  InteractionQuery q;
  q.limit = 7;
  std::vector<InteractionRecord> all;
  int pages = 0;
  for (;;) {
    auto page = repo.search(a.id, q);
    ASSERT_OK(page);
    ++pages;
    EXPECT_LE(page->items.size(), 7u);
    all.insert(all.end(), page->items.begin(), page->items.end());
    if (page->next.empty()) break;
    q.cursor = page->next;
    ASSERT_LT(pages, 20);
  }
  EXPECT_EQ(pages, 6);  // 7*5 + 5
  ASSERT_EQ(all.size(), 40u);
  std::set<std::string> ids;
  for (std::size_t i = 0; i < all.size(); ++i) {
    ids.insert(all[i].id.value());
    EXPECT_EQ(all[i].tenant_id, a.id);
    if (i > 0) {
      const auto& p = all[i - 1];
      EXPECT_TRUE(p.arrived_at < all[i].arrived_at ||
                  (p.arrived_at == all[i].arrived_at && p.id.value() < all[i].id.value()))
          << i;
    }
  }
  EXPECT_EQ(ids.size(), 40u);

  // An exact multiple of the page size ends with an empty `next`, not an empty page.
  InteractionQuery exact;
  exact.limit = 40;
  auto whole = repo.search(a.id, exact);
  ASSERT_OK(whole);
  EXPECT_EQ(whole->items.size(), 40u);
  EXPECT_TRUE(whole->next.empty());

  // Filters: time range [2 s, 5 s) is records 8..19; then queue, agent, disposition.
  InteractionQuery f;
  f.from = this->at(2);
  f.to = this->at(5);
  f.limit = 100;
  auto r = repo.search(a.id, f);
  ASSERT_OK(r);
  EXPECT_EQ(r->items.size(), 12u);
  f.queue_id = QueueId("q1");
  r = repo.search(a.id, f);
  ASSERT_OK(r);
  EXPECT_EQ(r->items.size(), 6u);
  for (const auto& x : r->items) EXPECT_EQ(x.queue_id, QueueId("q1"));
  f.disposition = Disposition::Abandoned;  // i % 4 == 1: odd, so all in q1
  r = repo.search(a.id, f);
  ASSERT_OK(r);
  EXPECT_EQ(r->items.size(), 3u);
  f.agent_id = UserId("u1");  // of i = 9, 13, 17 those with i % 3 != 0: 13, 17
  r = repo.search(a.id, f);
  ASSERT_OK(r);
  ASSERT_EQ(r->items.size(), 2u);
  for (const auto& x : r->items) {
    EXPECT_EQ(x.disposition, Disposition::Abandoned);
    EXPECT_EQ(x.agent_id, UserId("u1"));
  }

  // Another tenant sees only its own row.
  auto other = repo.search(b.id, InteractionQuery{});
  ASSERT_OK(other);
  ASSERT_EQ(other->items.size(), 1u);
  EXPECT_EQ(other->items[0].id.value(), "other");

  InteractionQuery bad;
  bad.cursor = "not-a-cursor";
  EXPECT_EQ(errcOf(repo.search(a.id, bad)), Errc::InvalidArgument);
  bad.cursor.clear();
  bad.limit = 0;
  EXPECT_EQ(errcOf(repo.search(a.id, bad)), Errc::InvalidArgument);
}

TYPED_TEST(StoreTest, SearchResultsExportAsCsv) {
  auto& repo = this->store().interactions();
  const Tenant a = this->makeTenant("a");
  auto rec = makeRecord(a.id, "x1", this->at(0), "q1", "u1", Disposition::Answered);
  rec.caller = "\"Smith, Jo\" <sip:jo@example.com>";
  ASSERT_OK(repo.create(rec));
  ASSERT_OK(
      repo.create(makeRecord(a.id, "x2", this->at(1), nullptr, nullptr, Disposition::Abandoned)));
  auto page = repo.search(a.id, InteractionQuery{});
  ASSERT_OK(page);
  const std::string csv = interactionsToCsv(page->items);
  EXPECT_EQ(csv, interactionCsvHeader() +
                     "x1,voice,inbound,q1,\"\"\"Smith, Jo\"\" <sip:jo@example.com>\",+15550100,u1,"
                     "2023-11-14T22:13:20Z,2023-11-14T22:13:21Z,2023-11-14T22:13:22Z,"
                     "2023-11-14T22:13:23Z,2023-11-14T22:14:20Z,caller_hangup,answered,\r\n"
                     "x2,voice,inbound,,sip:+1555x2@carrier.example,+15550100,,"
                     "2023-11-14T22:13:21Z,2023-11-14T22:13:22Z,,,2023-11-14T22:14:21Z,"
                     "caller_hangup,abandoned,\r\n");
}

// ---- Logs ----

TYPED_TEST(StoreTest, AgentStateHistoryIsAppendOnlyAndScoped) {
  auto& history = this->store().agentStates();
  const Tenant a = this->makeTenant("a");
  const Tenant b = this->makeTenant("b");
  const char* states[] = {"available", "busy", "wrap_up", "available", "away"};
  std::int64_t last_seq = 0;
  for (int i = 0; i < 5; ++i) {
    auto c = history.append(
        AgentStateChange{a.id, UserId("u1"), states[i], i == 4 ? "lunch" : "", this->at(i * 10)});
    ASSERT_OK(c);
    EXPECT_GT(c->seq, last_seq);
    last_seq = c->seq;
  }
  ASSERT_OK(history.append(AgentStateChange{a.id, UserId("u2"), "available", "", this->at(5)}));
  ASSERT_OK(history.append(AgentStateChange{b.id, UserId("u1"), "offline", "", this->at(5)}));

  auto all = history.list(a.id, UserId("u1"), this->at(0), this->at(1000), 100);
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 5u);
  EXPECT_EQ((*all)[4].state, "away");
  EXPECT_EQ((*all)[4].reason, "lunch");
  EXPECT_EQ((*all)[4].at, this->at(40));
  auto window = history.list(a.id, UserId("u1"), this->at(10), this->at(30), 100);
  ASSERT_OK(window);
  ASSERT_EQ(window->size(), 2u);
  EXPECT_EQ((*window)[0].state, "busy");
  auto limited = history.list(a.id, UserId("u1"), this->at(0), this->at(1000), 2);
  ASSERT_OK(limited);
  EXPECT_EQ(limited->size(), 2u);
  auto other = history.list(b.id, UserId("u1"), this->at(0), this->at(1000), 100);
  ASSERT_OK(other);
  ASSERT_EQ(other->size(), 1u);
  EXPECT_EQ((*other)[0].state, "offline");
}

TYPED_TEST(StoreTest, AgentStateHistoryAppendManyIsOrderedAndAllOrNothing) {
  auto& history = this->store().agentStates();
  const Tenant a = this->makeTenant("a");
  std::vector<AgentStateChange> batch;
  for (int i = 0; i < 3; ++i) {
    batch.push_back(
        AgentStateChange{a.id, UserId("u1"), i % 2 ? "busy" : "available", "", this->at(i)});
  }
  ASSERT_OK(history.appendMany(batch));
  auto all = history.list(a.id, UserId("u1"), this->at(0), this->at(1000), 100);
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[1].state, "busy");
  EXPECT_LT((*all)[0].seq, (*all)[2].seq);
  // An unknown tenant anywhere in the batch writes nothing.
  batch.push_back(AgentStateChange{TenantId("ghost"), UserId("u1"), "away", "", this->at(9)});
  EXPECT_FALSE(history.appendMany(batch));
  auto after = history.list(a.id, UserId("u1"), this->at(0), this->at(1000), 100);
  ASSERT_OK(after);
  EXPECT_EQ(after->size(), 3u);
}

TYPED_TEST(StoreTest, AgentStateHistoryLatestOfSomeStates) {
  auto& history = this->store().agentStates();
  const Tenant a = this->makeTenant("a");
  const Tenant b = this->makeTenant("b");
  const std::vector<std::string> requested = {"available", "away", "break", "offline"};
  auto none = history.latest(a.id, UserId("u1"), requested);
  ASSERT_OK(none);
  EXPECT_FALSE(none->has_value());
  std::vector<AgentStateChange> batch;
  const char* states[] = {"available", "busy", "break", "reserved", "busy", "wrap-up"};
  for (int i = 0; i < 6; ++i) {
    batch.push_back(
        AgentStateChange{a.id, UserId("u1"), states[i], i == 2 ? "lunch" : "", this->at(i)});
  }
  // Two changes in the same microsecond: the later one (seq) wins.
  batch.push_back(AgentStateChange{a.id, UserId("u2"), "away", "", this->at(3)});
  batch.push_back(AgentStateChange{a.id, UserId("u2"), "available", "", this->at(3)});
  batch.push_back(AgentStateChange{b.id, UserId("u1"), "away", "meeting", this->at(9)});
  ASSERT_OK(history.appendMany(batch));
  auto got = history.latest(a.id, UserId("u1"), requested);
  ASSERT_OK(got);
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->state, "break");
  EXPECT_EQ((*got)->reason, "lunch");
  EXPECT_EQ((*got)->at, this->at(2));
  got = history.latest(a.id, UserId("u2"), requested);
  ASSERT_OK(got);
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->state, "available");
  got = history.latest(b.id, UserId("u1"), {"away"});
  ASSERT_OK(got);
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->reason, "meeting");
  got = history.latest(a.id, UserId("u1"), {});
  ASSERT_OK(got);
  EXPECT_FALSE(got->has_value());
}

TYPED_TEST(StoreTest, AuditLogRecordsBeforeAndAfter) {
  auto& audit = this->store().audit();
  const Tenant a = this->makeTenant("a");
  const Tenant b = this->makeTenant("b");
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK(audit.append(AuditEntry{a.id, 0, this->at(i), "u-admin", "update", "queue", "q1",
                                      "{\"sla\":" + std::to_string(i) + "}",
                                      "{\"sla\":" + std::to_string(i + 1) + "}"}));
  }
  ASSERT_OK(
      audit.append(AuditEntry{b.id, 0, this->at(0), "system", "create", "queue", "qb", "", "{}"}));
  auto first = audit.list(a.id, 0, 3);
  ASSERT_OK(first);
  ASSERT_EQ(first->size(), 3u);
  EXPECT_EQ((*first)[0].before_json, "{\"sla\":0}");
  EXPECT_EQ((*first)[0].after_json, "{\"sla\":1}");
  EXPECT_EQ((*first)[0].actor, "u-admin");
  EXPECT_EQ((*first)[0].at, this->at(0));
  auto rest = audit.list(a.id, first->back().seq, 10);
  ASSERT_OK(rest);
  ASSERT_EQ(rest->size(), 2u);
  EXPECT_EQ((*rest)[1].after_json, "{\"sla\":5}");
  auto other = audit.list(b.id, 0, 10);
  ASSERT_OK(other);
  ASSERT_EQ(other->size(), 1u);
  EXPECT_EQ((*other)[0].entity_id, "qb");
}

// ---- Registrar bindings ----

TYPED_TEST(StoreTest, BindingsUpsertLookupAndExpire) {
  auto& bindings = this->store().bindings();
  const Tenant a = this->makeTenant("a");
  const Tenant b = this->makeTenant("b");
  Binding desk{a.id,
               "sip:alice@a.example",
               "sip:alice@10.0.0.5:5060",
               this->at(3600),
               1000,
               "call-1@10.0.0.5",
               1,
               {"<sip:edge1.example;lr>", "<sip:edge2.example;lr>"},
               "10.0.0.5:5060",
               "udp",
               "<urn:uuid:00000000-0000-1000-8000-000A95A0E128>",
               1};
  Binding phone{a.id,
                "sip:alice@a.example",
                "sip:alice@198.51.100.7:5062;transport=tcp",
                this->at(60),
                500,
                "call-2",
                7,
                {},
                "198.51.100.7:5062",
                "tcp",
                "",
                0};
  ASSERT_OK(bindings.upsert(desk));
  ASSERT_OK(bindings.upsert(phone));
  ASSERT_OK(bindings.upsert(Binding{b.id,
                                    "sip:alice@a.example",
                                    "sip:x@192.0.2.1",
                                    this->at(3600),
                                    1000,
                                    "c",
                                    1,
                                    {},
                                    "192.0.2.1:5060",
                                    "udp",
                                    "",
                                    0}));

  auto found = bindings.lookup(a.id, "sip:alice@a.example", this->at(0));
  ASSERT_OK(found);
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ((*found)[0].contact_uri, desk.contact_uri);  // q=1.0 before q=0.5
  EXPECT_EQ((*found)[0].path, desk.path);
  EXPECT_EQ((*found)[0].instance, desk.instance);
  EXPECT_EQ((*found)[0].reg_id, 1);
  EXPECT_EQ((*found)[0].expires_at, desk.expires_at);
  EXPECT_EQ((*found)[1].q_milli, 500);
  EXPECT_TRUE((*found)[1].path.empty());

  // Refresh: same key, new CSeq and expiry replaces the row.
  phone.cseq = 8;
  phone.expires_at = this->at(7200);
  ASSERT_OK(bindings.upsert(phone));
  found = bindings.lookup(a.id, "sip:alice@a.example", this->at(3600));
  ASSERT_OK(found);
  ASSERT_EQ(found->size(), 1u);  // desk expired at exactly 3600
  EXPECT_EQ((*found)[0].cseq, 8u);

  auto active = bindings.listActive(this->at(100));
  ASSERT_OK(active);
  EXPECT_EQ(active->size(), 3u);
  auto purged = bindings.purgeExpired(this->at(3600));
  ASSERT_OK(purged);
  EXPECT_EQ(*purged, 2u);  // desk (a) and the b binding
  active = bindings.listActive(this->at(0));
  ASSERT_OK(active);
  ASSERT_EQ(active->size(), 1u);
  EXPECT_EQ((*active)[0].contact_uri, phone.contact_uri);

  // Survives a restart until it expires.
  this->reopen();
  auto& reopened = this->store().bindings();
  found = reopened.lookup(a.id, "sip:alice@a.example", this->at(7199));
  ASSERT_OK(found);
  EXPECT_EQ(found->size(), 1u);
  EXPECT_EQ(errcOf(reopened.remove(b.id, "sip:alice@a.example", phone.contact_uri)),
            Errc::NotFound);
  ASSERT_OK(reopened.remove(a.id, "sip:alice@a.example", phone.contact_uri));
  ASSERT_OK(reopened.upsert(desk));
  ASSERT_OK(reopened.removeAll(a.id, "sip:alice@a.example"));
  found = reopened.lookup(a.id, "sip:alice@a.example", this->at(0));
  ASSERT_OK(found);
  EXPECT_TRUE(found->empty());
}

// ---- Concurrency ----

TYPED_TEST(StoreTest, ConcurrentWritersAllLand) {
  const Tenant a = this->makeTenant("a");
  constexpr int kThreads = 6;
  constexpr int kPerThread = 40;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string id = "t" + std::to_string(t) + "-" + std::to_string(i);
        auto r = this->store().interactions().create(
            makeRecord(a.id, id, this->at(i), "q1", nullptr, Disposition::Answered));
        if (!r) ++failures;
        // Readers run alongside the writers.
        if (i % 10 == 0 && !this->store().interactions().get(a.id, InteractionId(id))) ++failures;
        if (i % 10 == 5 && !this->store().audit().append(
                               AuditEntry{a.id, 0, this->at(i), "t", "x", "y", id, "", ""})) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  InteractionQuery q;
  q.limit = 1000;
  auto page = this->store().interactions().search(a.id, q);
  ASSERT_OK(page);
  EXPECT_EQ(page->items.size(), static_cast<std::size_t>(kThreads * kPerThread));
  auto audit = this->store().audit().list(a.id, 0, 1000);
  ASSERT_OK(audit);
  EXPECT_EQ(audit->size(), static_cast<std::size_t>(kThreads * kPerThread / 10));
}

}  // namespace
}  // namespace sb::store::testing
