// SPDX-License-Identifier: Apache-2.0
// Conformance cases of schema versions 7, 8, 10 and 11, what is kept across restarts, against
// both backends: SIP presence watchers (store::SipWatcherRepository: round trip across
// reopen, route set and listener included, refresh by upsert, expiry, removal, validation, the
// tenant cascade), presence states (store::PresenceStateRepository) and agents' chosen states
// (store::AgentChoiceRepository) and OIDC sign-ins in progress (store::OidcLoginRepository).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store_fixture.h"

namespace sb::store::testing {
namespace {

template <typename Backend>
class StoreWatchersTest : public StoreTest<Backend> {
 protected:
  SipWatcher watcher(const Tenant& t, const std::string& call_id, int expires_s) {
    SipWatcher w;
    w.tenant_id = t.id;
    w.call_id = call_id;
    w.local_tag = "sbtag-" + call_id;
    w.remote_tag = "their-tag";
    w.user = "alice";
    w.entity = "sip:alice@demo.example";
    w.event_id = "";
    w.local_uri = "<sip:alice@demo.example>";
    w.remote_uri = "<sip:dave@demo.example>";
    w.remote_target = "sip:dave@192.0.2.7:5062;transport=tcp";
    w.route_set = {"<sip:edge1.example;lr>", "<sip:edge2.example;lr>"};
    w.local_cseq = 4;
    w.remote_cseq = 2;
    w.transport = "TCP";
    w.address = "192.0.2.7";
    w.port = 5062;
    w.listener = 1;
    w.expires_at = this->at(expires_s);
    return w;
  }
};
TYPED_TEST_SUITE(StoreWatchersTest, Backends, BackendNames);

TYPED_TEST(StoreWatchersTest, UpsertListRemoveAndSurviveReopen) {
  const Tenant t = this->makeTenant("acme");
  auto a = this->watcher(t, "call-a", 600);
  auto b = this->watcher(t, "call-b", 60);
  b.route_set.clear();
  b.event_id = "7";
  b.listener = -1;
  ASSERT_OK(this->store().sipWatchers().upsert(a));
  ASSERT_OK(this->store().sipWatchers().upsert(b));
  // A refresh replaces the row: new remote CSeq, expiry and flow.
  a.remote_cseq = 3;
  a.expires_at = this->at(900);
  a.address = "192.0.2.8";
  ASSERT_OK(this->store().sipWatchers().upsert(a));

  this->reopen();
  auto& repo = this->store().sipWatchers();
  auto all = repo.listActive(this->at(0));
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0], a);  // ordered by call id
  EXPECT_EQ((*all)[1], b);
  auto later = repo.listActive(this->at(60));  // b expires at exactly 60
  ASSERT_OK(later);
  ASSERT_EQ(later->size(), 1u);
  EXPECT_EQ((*later)[0].call_id, "call-a");
  auto purged = repo.purgeExpired(this->at(60));
  ASSERT_OK(purged);
  EXPECT_EQ(*purged, 1u);
  ASSERT_OK(repo.remove(t.id, a.call_id, a.local_tag));
  EXPECT_EQ(repo.remove(t.id, a.call_id, a.local_tag).error().code, Errc::NotFound);
  EXPECT_TRUE(repo.listActive(this->at(0))->empty());
}

TYPED_TEST(StoreWatchersTest, ValidatesAndFollowsTheTenant) {
  const Tenant t = this->makeTenant("acme");
  auto& repo = this->store().sipWatchers();
  auto w = this->watcher(t, "", 600);
  EXPECT_EQ(repo.upsert(w).error().field, "call_id");
  w = this->watcher(t, "c", 600);
  w.local_tag.clear();
  EXPECT_EQ(repo.upsert(w).error().field, "local_tag");
  w = this->watcher(t, "c", 600);
  w.user.clear();
  EXPECT_EQ(repo.upsert(w).error().field, "user");
  w = this->watcher(t, "c", 600);
  w.tenant_id = TenantId("no-such-tenant");
  EXPECT_FALSE(repo.upsert(w));
  ASSERT_OK(repo.upsert(this->watcher(t, "c", 600)));
  ASSERT_OK(this->store().tenants().remove(t.id));
  EXPECT_TRUE(repo.listActive(this->at(0))->empty());
}

TYPED_TEST(StoreWatchersTest, AgentChoicesUpsertGetAndSurviveReopen) {
  const Tenant t = this->makeTenant("acme");
  const Tenant u = this->makeTenant("beta");
  for (const Tenant* owner : {&t, &u}) {
    ASSERT_OK(this->store().users().create(
        User{owner->id, UserId("alice"), "alice", "Alice", "", Role::Agent, "h", true, {}}));
  }
  auto& repo = this->store().agentChoices();
  auto none = repo.get(t.id, UserId("alice"));
  ASSERT_OK(none);
  EXPECT_FALSE(none->has_value());
  AgentChoice alice{t.id, UserId("alice"), "available", "", this->at(1)};
  ASSERT_OK(repo.upsert(alice));
  // Chosen during a call: replaces the earlier choice.
  alice = AgentChoice{t.id, UserId("alice"), "break", "lunch", this->at(2)};
  ASSERT_OK(repo.upsert(alice));
  AgentChoice erin{u.id, UserId("alice"), "away", "", this->at(3)};  // same user id, other tenant
  ASSERT_OK(repo.upsert(erin));
  this->reopen();
  auto& reopened = this->store().agentChoices();
  auto got = reopened.get(t.id, UserId("alice"));
  ASSERT_OK(got);
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, alice);
  EXPECT_EQ(**reopened.get(u.id, UserId("alice")), erin);
  EXPECT_EQ(reopened.upsert(AgentChoice{t.id, UserId(""), "away", "", this->at(0)}).error().field,
            "agent_id");
  EXPECT_EQ(reopened.upsert(AgentChoice{t.id, UserId("x"), "", "", this->at(0)}).error().field,
            "state");
  EXPECT_FALSE(reopened.upsert(
      AgentChoice{TenantId("no-such-tenant"), UserId("x"), "away", "", this->at(0)}));
  // Only a user of the store has a choice, and it goes with the user (or the tenant).
  EXPECT_FALSE(reopened.upsert(AgentChoice{t.id, UserId("nobody"), "away", "", this->at(0)}));
  ASSERT_OK(this->store().users().remove(u.id, UserId("alice")));
  EXPECT_FALSE(reopened.get(u.id, UserId("alice"))->has_value());
  ASSERT_OK(this->store().tenants().remove(t.id));
  EXPECT_FALSE(reopened.get(t.id, UserId("alice"))->has_value());
}

TYPED_TEST(StoreWatchersTest, OidcLoginsAreTakenOnceAndExpire) {
  auto& repo = this->store().oidcLogins();
  const OidcLogin a{"state-a", "nonce-a", "verifier-a", "", "demo", this->at(600)};
  const OidcLogin b{"state-b", "nonce-b", "verifier-b", "acme", "acme", this->at(5)};
  ASSERT_OK(repo.put(a));
  ASSERT_OK(repo.put(b));
  EXPECT_FALSE(repo.put(a));  // a state is unique
  EXPECT_EQ(repo.put(OidcLogin{"", "n", "v", "", "", this->at(1)}).error().field, "state");
  this->reopen();  // the point: a restart between login and callback
  auto& reopened = this->store().oidcLogins();
  auto got = reopened.take("state-a", this->at(10));
  ASSERT_OK(got);
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, a);
  auto again = reopened.take("state-a", this->at(10));  // single use
  ASSERT_OK(again);
  EXPECT_FALSE(again->has_value());
  auto expired = reopened.take("state-b", this->at(10));
  ASSERT_OK(expired);
  EXPECT_FALSE(expired->has_value());
  EXPECT_FALSE(reopened.take("unknown", this->at(0))->has_value());
  ASSERT_OK(reopened.put(OidcLogin{"state-c", "n", "v", "", "", this->at(20)}));
  ASSERT_OK(reopened.put(OidcLogin{"state-d", "n", "v", "", "", this->at(40)}));
  auto purged = reopened.purgeExpired(this->at(30));
  ASSERT_OK(purged);
  EXPECT_EQ(*purged, 1u);
  EXPECT_TRUE(reopened.take("state-d", this->at(30))->has_value());
}

TYPED_TEST(StoreWatchersTest, PresenceStatesUpsertListRemove) {
  const Tenant t = this->makeTenant("acme");
  const Tenant u = this->makeTenant("beta");
  auto& repo = this->store().presenceStates();
  PresenceState alice{t.id, "alice", R"({"preferred":{"availability":"DoNotDisturb"}})",
                      this->at(1)};
  PresenceState bob{t.id, "bob", R"({"sessions":[]})", this->at(2)};
  PresenceState erin{u.id, "erin", R"({"sessions":[1]})", this->at(3)};
  ASSERT_OK(repo.upsert(bob));
  ASSERT_OK(repo.upsert(alice));
  ASSERT_OK(repo.upsert(erin));
  alice.document_json = R"({"sessions":[2]})";
  alice.updated_at = this->at(4);
  ASSERT_OK(repo.upsert(alice));
  this->reopen();
  auto& reopened = this->store().presenceStates();
  auto all = reopened.listAll();
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 3u);
  // Ordered by (tenant id, user id); tenant ids are generated, so only bob after alice is fixed.
  std::vector<PresenceState> of_acme;
  for (const auto& row : *all) {
    if (row.tenant_id == t.id) of_acme.push_back(row);
    if (row.tenant_id == u.id) {
      EXPECT_EQ(row, erin);
    }
  }
  ASSERT_EQ(of_acme.size(), 2u);
  EXPECT_EQ(of_acme[0], alice);
  EXPECT_EQ(of_acme[1], bob);
  ASSERT_OK(reopened.remove(t.id, "bob"));
  ASSERT_OK(reopened.remove(t.id, "bob"));  // none left: still fine
  EXPECT_EQ(reopened.upsert(PresenceState{t.id, "", "{}", this->at(0)}).error().field, "user_id");
  EXPECT_EQ(reopened.upsert(PresenceState{t.id, "x", "", this->at(0)}).error().field,
            "document_json");
  ASSERT_OK(this->store().tenants().remove(u.id));
  all = reopened.listAll();
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].user_id, "alice");
}

TYPED_TEST(StoreWatchersTest, SipPublicationsUpsertListPurgeRemove) {
  const Tenant t = this->makeTenant("acme");
  auto& repo = this->store().sipPublications();
  SipPublication a{t.id, "sip-publish:1", "etag-1", "alice", "Busy", "InACall", this->at(600)};
  SipPublication b{t.id, "sip-publish:2", "etag-2", "bob", "Away", "Away", this->at(60)};
  ASSERT_OK(repo.upsert(a));
  ASSERT_OK(repo.upsert(b));
  a.etag = "etag-3";  // a refresh: same session, new entity-tag
  a.expires_at = this->at(900);
  ASSERT_OK(repo.upsert(a));
  this->reopen();
  auto& reopened = this->store().sipPublications();
  auto all = reopened.listActive(this->at(0));
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0], a);
  EXPECT_EQ((*all)[1], b);
  all = reopened.listActive(this->at(60));  // b expired
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 1u);
  auto purged = reopened.purgeExpired(this->at(60));  // b gone for good
  ASSERT_OK(purged);
  EXPECT_EQ(*purged, 1u);
  EXPECT_TRUE(reopened.listActive(this->at(0))->size() == 1u);
  ASSERT_OK(reopened.remove(t.id, a.session_key));
  ASSERT_OK(reopened.remove(t.id, a.session_key));
  EXPECT_TRUE(reopened.listActive(this->at(0))->empty());
  EXPECT_EQ(reopened.upsert(SipPublication{t.id, "k", "", "u", "Busy", "InACall", this->at(1)})
                .error()
                .field,
            "etag");
}

}  // namespace
}  // namespace sb::store::testing
