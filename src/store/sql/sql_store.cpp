// SPDX-License-Identifier: Apache-2.0
#include "store/sql/sql_store.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string_view>
#include <utility>

#include "store/sql/migrations.h"

namespace sb::store::sql {
namespace {

using Params = std::vector<Value>;

std::int64_t micros(WallTime t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}
WallTime wallFromMicros(std::int64_t us) {
  return WallTime{std::chrono::duration_cast<WallTime::duration>(std::chrono::microseconds(us))};
}
Value optTime(const std::optional<WallTime>& t) {
  return t ? Value{micros(*t)} : Value{std::monostate{}};
}
std::optional<WallTime> optTimeAt(const Row& r, std::size_t i) {
  if (r.isNull(i)) return std::nullopt;
  return wallFromMicros(r.int64(i));
}
Value boolean(bool b) { return std::int64_t{b ? 1 : 0}; }
Value integer(std::int64_t v) { return v; }
template <typename Id>
Value optId(const std::optional<Id>& id) {
  return id ? Value{id->value()} : Value{std::monostate{}};
}

std::string newId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return buf;
}

std::string placeholders(std::size_t n, std::size_t first = 1) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    if (i) out += ", ";
    out += "$" + std::to_string(first + i);
  }
  return out;
}

std::vector<std::string> splitColumns(std::string_view cols) {
  std::vector<std::string> out;
  while (!cols.empty()) {
    auto comma = cols.find(',');
    auto part = cols.substr(0, comma);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    out.emplace_back(part);
    if (comma == std::string_view::npos) break;
    cols.remove_prefix(comma + 1);
  }
  return out;
}

Status requireTenant(const TenantId& tenant) {
  if (tenant.value().empty()) return fail(Errc::InvalidArgument, "tenant id is empty", "tenant_id");
  return {};
}
Status requireNonEmpty(const std::string& value, const char* field) {
  if (value.empty()) return fail(Errc::InvalidArgument, std::string(field) + " is empty", field);
  return {};
}
Status expectOneChanged(const Rows& rows, const char* what) {
  if (rows.affected == 0) return fail(Errc::NotFound, std::string(what) + " not found");
  return {};
}
// One statement in its own write transaction that must change a row (else NotFound: what).
Status writeOne(Database& db, std::string_view sql, std::span<const Value> p, const char* what) {
  return db.write([&](Session& s) -> Status {
    auto rows = s.exec(sql, p);
    if (!rows) return std::unexpected(rows.error());
    return expectOneChanged(*rows, what);
  });
}

// Runs one statement in its own write transaction, however many rows it changes.
Status writeStatement(Database& db, std::string_view sql, std::span<const Value> p) {
  return db.write([&](Session& s) -> Status {
    SB_TRY(s.exec(sql, p));
    return {};
  });
}

// Read/write helpers: run one callback and carry a value out of it.
template <typename T, typename F>
Result<T> readValue(Database& db, F&& f) {
  T out{};
  auto st = db.read([&](Session& s) -> Status {
    auto r = f(s);
    if (!r) return std::unexpected(r.error());
    out = std::move(*r);
    return {};
  });
  if (!st) return std::unexpected(st.error());
  return out;
}
template <typename T, typename F>
Result<T> writeValue(Database& db, F&& f) {
  T out{};
  auto st = db.write([&](Session& s) -> Status {
    auto r = f(s);
    if (!r) return std::unexpected(r.error());
    out = std::move(*r);
    return {};
  });
  if (!st) return std::unexpected(st.error());
  return out;
}

// One read statement; every row mapped by f(const Row&) -> T, in the statement's order.
template <typename T, typename F>
Result<std::vector<T>> selectRows(Database& db, std::string_view sql, std::span<const Value> p,
                                  F&& f) {
  return readValue<std::vector<T>>(db, [&](Session& s) -> Result<std::vector<T>> {
    auto rows = s.exec(sql, p);
    if (!rows) return std::unexpected(rows.error());
    std::vector<T> out;
    out.reserve(rows->rows.size());
    for (const auto& r : rows->rows) out.push_back(f(r));
    return out;
  });
}
// The same for a statement that finds at most one row: nullopt when it finds none.
template <typename T, typename F>
Result<std::optional<T>> selectFirst(Database& db, std::string_view sql, std::span<const Value> p,
                                     F&& f) {
  return readValue<std::optional<T>>(db, [&](Session& s) -> Result<std::optional<T>> {
    auto rows = s.exec(sql, p);
    if (!rows) return std::unexpected(rows.error());
    if (rows->rows.empty()) return std::optional<T>{};
    return std::optional<T>{f(rows->rows.front())};
  });
}

// ---- Generic tenant-scoped CRUD, parameterized by a Traits type describing the table. ----
// Traits: Record, Id, kTable, kColumns (first two are tenant_id, id), kOrder, kWhat,
// params(r) in kColumns order, fromRow(row), validate(r), and optional hooks
// afterWrite(Session&, r) / enrich(Session&, records&).
struct NoHooks {
  template <typename R>
  static Status afterWrite(Session&, const R&) { return {}; }
  template <typename R>
  static Status enrich(Session&, std::vector<R>&) { return {}; }
};

template <typename Traits, typename Base>
class SqlTenantRepo : public Base {
 public:
  using R = typename Traits::Record;
  using Id = typename Traits::Id;

  explicit SqlTenantRepo(Database& db) : db_(db), columns_(splitColumns(Traits::kColumns)) {
    select_ = std::string("SELECT ") + Traits::kColumns + " FROM " + Traits::kTable;
    insert_ = std::string("INSERT INTO ") + Traits::kTable + " (" + Traits::kColumns +
              ") VALUES (" + placeholders(columns_.size()) + ")";
    update_ = std::string("UPDATE ") + Traits::kTable + " SET ";
    for (std::size_t i = 2; i < columns_.size(); ++i) {
      if (i > 2) update_ += ", ";
      update_ += columns_[i] + " = $" + std::to_string(i + 1);
    }
    update_ += " WHERE tenant_id = $1 AND id = $2";
  }

  Result<R> create(R record) override {
    SB_TRY(requireTenant(record.tenant_id));
    SB_TRY(Traits::validate(record));
    if (record.id.value().empty()) record.id = Id(newId());
    auto st = db_.write([&](Session& s) -> Status {
      const Params p = Traits::params(record);
      SB_TRY(s.exec(insert_, p));
      return Traits::afterWrite(s, record);
    });
    if (!st) return std::unexpected(st.error());
    return record;
  }

  Result<R> get(const TenantId& tenant, const Id& id) override {
    return readValue<R>(db_, [&](Session& s) -> Result<R> {
      const Value p[] = {tenant.value(), id.value()};
      auto rows = s.exec(select_ + " WHERE tenant_id = $1 AND id = $2", p);
      if (!rows) return std::unexpected(rows.error());
      if (rows->rows.empty()) return fail(Errc::NotFound, std::string(Traits::kWhat) + " not found");
      std::vector<R> out{Traits::fromRow(rows->rows[0])};
      SB_TRY(Traits::enrich(s, out));
      return std::move(out[0]);
    });
  }

  Status update(const R& record) override {
    SB_TRY(requireTenant(record.tenant_id));
    SB_TRY(Traits::validate(record));
    return db_.write([&](Session& s) -> Status {
      const Params p = Traits::params(record);
      auto rows = s.exec(update_, p);
      if (!rows) return std::unexpected(rows.error());
      SB_TRY(expectOneChanged(*rows, Traits::kWhat));
      return Traits::afterWrite(s, record);
    });
  }

  Status remove(const TenantId& tenant, const Id& id) override {
    const Value p[] = {tenant.value(), id.value()};
    return writeOne(
        db_, std::string("DELETE FROM ") + Traits::kTable + " WHERE tenant_id = $1 AND id = $2", p,
        Traits::kWhat);
  }

  Result<std::vector<R>> list(const TenantId& tenant) override {
    return readValue<std::vector<R>>(db_, [&](Session& s) -> Result<std::vector<R>> {
      const Value p[] = {tenant.value()};
      auto rows = s.exec(select_ + " WHERE tenant_id = $1 ORDER BY " + Traits::kOrder + ", id", p);
      if (!rows) return std::unexpected(rows.error());
      std::vector<R> out;
      for (const auto& row : rows->rows) out.push_back(Traits::fromRow(row));
      SB_TRY(Traits::enrich(s, out));
      return out;
    });
  }

 protected:
  Database& db_;
  std::vector<std::string> columns_;
  std::string select_, insert_, update_;
};

// ---- Traits per table ----

struct UserTraits {
  using Record = User;
  using Id = UserId;
  static constexpr const char* kTable = "users";
  static constexpr const char* kColumns =
      "tenant_id, id, username, display_name, email, role, password_hash, active, settings_json";
  static constexpr const char* kOrder = "username";
  static constexpr const char* kWhat = "user";
  static Params params(const User& u) {
    return {u.tenant_id.value(), u.id.value(), u.username, u.display_name, u.email,
            std::string(roleName(u.role)), u.password_hash, boolean(u.active), u.settings_json};
  }
  static User fromRow(const Row& r) {
    User u;
    u.tenant_id = TenantId(r.text(0));
    u.id = UserId(r.text(1));
    u.username = r.text(2);
    u.display_name = r.text(3);
    u.email = r.text(4);
    u.role = parseRole(r.text(5)).value_or(Role::Agent);
    u.password_hash = r.text(6);
    u.active = r.int64(7) != 0;
    u.settings_json = r.text(8);
    return u;
  }
  static Status validate(const User& u) { return requireNonEmpty(u.username, "username"); }
  // The profile lives in two child tables, rewritten with the user in one transaction.
  static Status afterWrite(Session& s, const User& u) {
    const Value key[] = {u.tenant_id.value(), u.id.value()};
    SB_TRY(s.exec("DELETE FROM user_skills WHERE tenant_id = $1 AND user_id = $2", key));
    SB_TRY(s.exec("DELETE FROM user_channels WHERE tenant_id = $1 AND user_id = $2", key));
    for (const auto& [skill, level] : u.profile.skills) {
      const Value p[] = {u.tenant_id.value(), u.id.value(), skill, integer(level)};
      SB_TRY(s.exec("INSERT INTO user_skills (tenant_id, user_id, skill, level) "
                    "VALUES ($1, $2, $3, $4)",
                    p));
    }
    for (const auto& [channel, capacity] : u.profile.channel_capacity) {
      const Value p[] = {u.tenant_id.value(), u.id.value(), channel, integer(capacity)};
      SB_TRY(s.exec("INSERT INTO user_channels (tenant_id, user_id, channel, capacity) "
                    "VALUES ($1, $2, $3, $4)",
                    p));
    }
    return {};
  }
  static Status enrich(Session& s, std::vector<User>& users) {
    if (users.empty()) return {};
    // One query per child table for the whole tenant when listing many users.
    const bool one = users.size() == 1;
    const std::string where =
        one ? " WHERE tenant_id = $1 AND user_id = $2" : " WHERE tenant_id = $1";
    Params p{users[0].tenant_id.value()};
    if (one) p.push_back(users[0].id.value());
    auto find = [&](const std::string& id) -> User* {
      for (auto& u : users) {
        if (u.id.value() == id) return &u;
      }
      return nullptr;
    };
    auto skills = s.exec("SELECT user_id, skill, level FROM user_skills" + where, p);
    if (!skills) return std::unexpected(skills.error());
    for (const auto& row : skills->rows) {
      if (User* u = find(row.text(0))) u->profile.skills[row.text(1)] = static_cast<int>(row.int64(2));
    }
    auto channels = s.exec("SELECT user_id, channel, capacity FROM user_channels" + where, p);
    if (!channels) return std::unexpected(channels.error());
    for (const auto& row : channels->rows) {
      if (User* u = find(row.text(0))) {
        u->profile.channel_capacity[row.text(1)] = static_cast<int>(row.int64(2));
      }
    }
    return {};
  }
};

class SqlUserRepository final : public SqlTenantRepo<UserTraits, UserRepository> {
 public:
  using SqlTenantRepo::SqlTenantRepo;

  Result<User> findByUsername(const TenantId& tenant, const std::string& username) override {
    return readValue<User>(db_, [&](Session& s) -> Result<User> {
      const Value p[] = {tenant.value(), username};
      auto rows = s.exec(select_ + " WHERE tenant_id = $1 AND username = $2", p);
      if (!rows) return std::unexpected(rows.error());
      if (rows->rows.empty()) return fail(Errc::NotFound, "user not found");
      std::vector<User> out{UserTraits::fromRow(rows->rows[0])};
      SB_TRY(UserTraits::enrich(s, out));
      return std::move(out[0]);
    });
  }

  Result<std::vector<User>> findBySkill(const TenantId& tenant, const std::string& skill,
                                        int min_level) override {
    return readValue<std::vector<User>>(db_, [&](Session& s) -> Result<std::vector<User>> {
      const Value p[] = {tenant.value(), skill, integer(min_level)};
      auto rows = s.exec(select_ +
                             " WHERE tenant_id = $1 AND id IN (SELECT user_id FROM user_skills "
                             "WHERE tenant_id = $1 AND skill = $2 AND level >= $3) "
                             "ORDER BY username, id",
                         p);
      if (!rows) return std::unexpected(rows.error());
      std::vector<User> out;
      for (const auto& row : rows->rows) out.push_back(UserTraits::fromRow(row));
      SB_TRY(UserTraits::enrich(s, out));
      return out;
    });
  }
};

struct QueueTraits : NoHooks {
  using Record = Queue;
  using Id = QueueId;
  static constexpr const char* kTable = "queues";
  static constexpr const char* kColumns = "tenant_id, id, name, strategy, settings";
  static constexpr const char* kOrder = "name";
  static constexpr const char* kWhat = "queue";
  static Params params(const Queue& q) {
    return {q.tenant_id.value(), q.id.value(), q.name, q.strategy, q.settings_json};
  }
  static Queue fromRow(const Row& r) {
    return Queue{TenantId(r.text(0)), QueueId(r.text(1)), r.text(2), r.text(3), r.text(4)};
  }
  static Status validate(const Queue& q) { return requireNonEmpty(q.name, "name"); }
};

struct SkillTraits : NoHooks {
  using Record = Skill;
  using Id = SkillId;
  static constexpr const char* kTable = "skills";
  static constexpr const char* kColumns = "tenant_id, id, name, description";
  static constexpr const char* kOrder = "name";
  static constexpr const char* kWhat = "skill";
  static Params params(const Skill& k) {
    return {k.tenant_id.value(), k.id.value(), k.name, k.description};
  }
  static Skill fromRow(const Row& r) {
    return Skill{TenantId(r.text(0)), SkillId(r.text(1)), r.text(2), r.text(3)};
  }
  static Status validate(const Skill& k) { return requireNonEmpty(k.name, "name"); }
};

struct TrunkTraits : NoHooks {
  using Record = Trunk;
  using Id = TrunkId;
  static constexpr const char* kTable = "trunks";
  static constexpr const char* kColumns =
      "tenant_id, id, name, host, port, transport, username, secret, enabled, settings";
  static constexpr const char* kOrder = "name";
  static constexpr const char* kWhat = "trunk";
  static Params params(const Trunk& t) {
    return {t.tenant_id.value(), t.id.value(), t.name,    t.host,
            integer(t.port),     t.transport,  t.username, t.secret,
            boolean(t.enabled),  t.settings_json};
  }
  static Trunk fromRow(const Row& r) {
    Trunk t;
    t.tenant_id = TenantId(r.text(0));
    t.id = TrunkId(r.text(1));
    t.name = r.text(2);
    t.host = r.text(3);
    t.port = static_cast<int>(r.int64(4));
    t.transport = r.text(5);
    t.username = r.text(6);
    t.secret = r.text(7);
    t.enabled = r.int64(8) != 0;
    t.settings_json = r.text(9);
    return t;
  }
  static Status validate(const Trunk& t) {
    SB_TRY(requireNonEmpty(t.name, "name"));
    if (t.port <= 0 || t.port > 65535) return fail(Errc::InvalidArgument, "port out of range", "port");
    return {};
  }
};

struct FlowTraits : NoHooks {
  using Record = Flow;
  using Id = FlowId;
  static constexpr const char* kTable = "flows";
  static constexpr const char* kColumns = "tenant_id, id, name, version, document, updated_at";
  static constexpr const char* kOrder = "name";
  static constexpr const char* kWhat = "flow";
  static Params params(const Flow& f) {
    return {f.tenant_id.value(), f.id.value(), f.name, integer(f.version), f.document_json,
            micros(f.updated_at)};
  }
  static Flow fromRow(const Row& r) {
    return Flow{TenantId(r.text(0)), FlowId(r.text(1)), r.text(2), r.int64(3), r.text(4),
                wallFromMicros(r.int64(5))};
  }
  static Status validate(const Flow& f) { return requireNonEmpty(f.name, "name"); }
};

struct WrapUpTraits : NoHooks {
  using Record = WrapUpCode;
  using Id = WrapUpCodeId;
  static constexpr const char* kTable = "wrap_up_codes";
  static constexpr const char* kColumns = "tenant_id, id, code, label, active";
  static constexpr const char* kOrder = "code";
  static constexpr const char* kWhat = "wrap-up code";
  static Params params(const WrapUpCode& w) {
    return {w.tenant_id.value(), w.id.value(), w.code, w.label, boolean(w.active)};
  }
  static WrapUpCode fromRow(const Row& r) {
    return WrapUpCode{TenantId(r.text(0)), WrapUpCodeId(r.text(1)), r.text(2), r.text(3),
                      r.int64(4) != 0};
  }
  static Status validate(const WrapUpCode& w) { return requireNonEmpty(w.code, "code"); }
};

struct CalendarTraits : NoHooks {
  using Record = Calendar;
  using Id = CalendarId;
  static constexpr const char* kTable = "calendars";
  static constexpr const char* kColumns = "tenant_id, id, name, timezone, definition";
  static constexpr const char* kOrder = "name";
  static constexpr const char* kWhat = "calendar";
  static Params params(const Calendar& c) {
    return {c.tenant_id.value(), c.id.value(), c.name, c.timezone, c.definition_json};
  }
  static Calendar fromRow(const Row& r) {
    return Calendar{TenantId(r.text(0)), CalendarId(r.text(1)), r.text(2), r.text(3), r.text(4)};
  }
  static Status validate(const Calendar& c) { return requireNonEmpty(c.name, "name"); }
};

// ---- Tenants ----

class SqlTenantRepository final : public TenantRepository {
 public:
  explicit SqlTenantRepository(Database& db) : db_(db) {}

  Result<Tenant> create(Tenant t) override {
    SB_TRY(requireNonEmpty(t.name, "name"));
    if (t.id.value().empty()) t.id = TenantId(newId());
    auto st = db_.write([&](Session& s) -> Status {
      const Value p[] = {t.id.value(), t.name, boolean(t.active), micros(t.created_at),
                         t.settings_json};
      SB_TRY(s.exec("INSERT INTO tenants (id, name, active, created_at, settings_json) "
                    "VALUES ($1, $2, $3, $4, $5)",
                    p));
      return {};
    });
    if (!st) return std::unexpected(st.error());
    return t;
  }
  Result<Tenant> get(const TenantId& id) override {
    return readValue<Tenant>(db_, [&](Session& s) -> Result<Tenant> {
      const Value p[] = {id.value()};
      auto rows = s.exec(std::string(kSelect) + " WHERE id = $1", p);
      if (!rows) return std::unexpected(rows.error());
      if (rows->rows.empty()) return fail(Errc::NotFound, "tenant not found");
      return fromRow(rows->rows[0]);
    });
  }
  Status update(const Tenant& t) override {
    SB_TRY(requireNonEmpty(t.name, "name"));
    const Value p[] = {t.id.value(), t.name, boolean(t.active), micros(t.created_at),
                       t.settings_json};
    return writeOne(
        db_,
        "UPDATE tenants SET name = $2, active = $3, created_at = $4, settings_json = $5 "
        "WHERE id = $1",
        p, "tenant");
  }
  Status remove(const TenantId& id) override {
    const Value p[] = {id.value()};
    return writeOne(db_, "DELETE FROM tenants WHERE id = $1", p, "tenant");
  }
  Result<std::vector<Tenant>> list() override {
    return readValue<std::vector<Tenant>>(db_, [&](Session& s) -> Result<std::vector<Tenant>> {
      auto rows = s.exec(std::string(kSelect) + " ORDER BY name, id");
      if (!rows) return std::unexpected(rows.error());
      std::vector<Tenant> out;
      for (const auto& row : rows->rows) out.push_back(fromRow(row));
      return out;
    });
  }

 private:
  static constexpr const char* kSelect =
      "SELECT id, name, active, created_at, settings_json FROM tenants";
  static Tenant fromRow(const Row& r) {
    return Tenant{TenantId(r.text(0)), r.text(1), r.int64(2) != 0, wallFromMicros(r.int64(3)),
                  r.text(4)};
  }
  Database& db_;
};

// ---- Phone numbers ----

class SqlNumberRepository final : public NumberRepository {
 public:
  explicit SqlNumberRepository(Database& db) : db_(db) {}

  Status create(const PhoneNumber& n) override {
    SB_TRY(validate(n));
    return db_.write([&](Session& s) -> Status {
      const Params p = params(n);
      SB_TRY(s.exec("INSERT INTO phone_numbers (number, tenant_id, target_kind, target_id, label) "
                    "VALUES ($1, $2, $3, $4, $5)",
                    p));
      return {};
    });
  }
  Result<PhoneNumber> get(const TenantId& tenant, const std::string& number) override {
    return one(" WHERE tenant_id = $1 AND number = $2", {tenant.value(), number});
  }
  Status update(const PhoneNumber& n) override {
    SB_TRY(validate(n));
    const Params p = params(n);
    return writeOne(db_,
                    "UPDATE phone_numbers SET target_kind = $3, target_id = $4, label = $5 "
                    "WHERE number = $1 AND tenant_id = $2",
                    p, "number");
  }
  Status remove(const TenantId& tenant, const std::string& number) override {
    const Value p[] = {tenant.value(), number};
    return writeOne(db_, "DELETE FROM phone_numbers WHERE tenant_id = $1 AND number = $2", p,
                    "number");
  }
  Result<std::vector<PhoneNumber>> list(const TenantId& tenant) override {
    return readValue<std::vector<PhoneNumber>>(
        db_, [&](Session& s) -> Result<std::vector<PhoneNumber>> {
          const Value p[] = {tenant.value()};
          auto rows = s.exec(std::string(kSelect) + " WHERE tenant_id = $1 ORDER BY number", p);
          if (!rows) return std::unexpected(rows.error());
          std::vector<PhoneNumber> out;
          for (const auto& row : rows->rows) out.push_back(fromRow(row));
          return out;
        });
  }
  Result<PhoneNumber> resolve(const std::string& number) override {
    return one(" WHERE number = $1", {number});
  }

 private:
  static constexpr const char* kSelect =
      "SELECT number, tenant_id, target_kind, target_id, label FROM phone_numbers";
  static Status validate(const PhoneNumber& n) {
    SB_TRY(requireTenant(n.tenant_id));
    return requireNonEmpty(n.number, "number");
  }
  static Params params(const PhoneNumber& n) {
    return {n.number, n.tenant_id.value(), std::string(numberTargetKindName(n.target_kind)),
            n.target_id, n.label};
  }
  static PhoneNumber fromRow(const Row& r) {
    return PhoneNumber{r.text(0), TenantId(r.text(1)),
                       parseNumberTargetKind(r.text(2)).value_or(NumberTargetKind::Queue),
                       r.text(3), r.text(4)};
  }
  Result<PhoneNumber> one(const std::string& where, Params p) {
    return readValue<PhoneNumber>(db_, [&](Session& s) -> Result<PhoneNumber> {
      auto rows = s.exec(kSelect + where, p);
      if (!rows) return std::unexpected(rows.error());
      if (rows->rows.empty()) return fail(Errc::NotFound, "number not found");
      return fromRow(rows->rows[0]);
    });
  }
  Database& db_;
};

// ---- API keys ----

class SqlApiKeyRepository final : public ApiKeyRepository {
 public:
  explicit SqlApiKeyRepository(Database& db) : db_(db) {}

  Result<ApiKey> create(ApiKey k) override {
    SB_TRY(requireTenant(k.tenant_id));
    SB_TRY(requireNonEmpty(k.prefix, "prefix"));
    SB_TRY(requireNonEmpty(k.secret_hash, "secret_hash"));
    if (k.id.value().empty()) k.id = ApiKeyId(newId());
    auto st = db_.write([&](Session& s) -> Status {
      const Value p[] = {k.id.value(),        k.tenant_id.value(),
                         k.name,              k.prefix,
                         k.secret_hash,       std::string(roleName(k.role)),
                         micros(k.created_at), optTime(k.expires_at),
                         boolean(k.revoked)};
      SB_TRY(s.exec("INSERT INTO api_keys (id, tenant_id, name, prefix, secret_hash, role, "
                    "created_at, expires_at, revoked) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    p));
      return {};
    });
    if (!st) return std::unexpected(st.error());
    return k;
  }
  Result<ApiKey> get(const TenantId& tenant, const ApiKeyId& id) override {
    return one(" WHERE tenant_id = $1 AND id = $2", {tenant.value(), id.value()});
  }
  Status revoke(const TenantId& tenant, const ApiKeyId& id) override {
    return change("UPDATE api_keys SET revoked = 1 WHERE tenant_id = $1 AND id = $2", tenant, id);
  }
  Status remove(const TenantId& tenant, const ApiKeyId& id) override {
    return change("DELETE FROM api_keys WHERE tenant_id = $1 AND id = $2", tenant, id);
  }
  Result<std::vector<ApiKey>> list(const TenantId& tenant) override {
    return readValue<std::vector<ApiKey>>(db_, [&](Session& s) -> Result<std::vector<ApiKey>> {
      const Value p[] = {tenant.value()};
      auto rows = s.exec(std::string(kSelect) + " WHERE tenant_id = $1 ORDER BY name, id", p);
      if (!rows) return std::unexpected(rows.error());
      std::vector<ApiKey> out;
      for (const auto& row : rows->rows) out.push_back(fromRow(row));
      return out;
    });
  }
  Result<ApiKey> findByPrefix(const std::string& prefix) override {
    return one(" WHERE prefix = $1", {prefix});
  }

 private:
  static constexpr const char* kSelect =
      "SELECT id, tenant_id, name, prefix, secret_hash, role, created_at, expires_at, revoked "
      "FROM api_keys";
  static ApiKey fromRow(const Row& r) {
    ApiKey k;
    k.id = ApiKeyId(r.text(0));
    k.tenant_id = TenantId(r.text(1));
    k.name = r.text(2);
    k.prefix = r.text(3);
    k.secret_hash = r.text(4);
    k.role = parseRole(r.text(5)).value_or(Role::Agent);
    k.created_at = wallFromMicros(r.int64(6));
    k.expires_at = optTimeAt(r, 7);
    k.revoked = r.int64(8) != 0;
    return k;
  }
  Result<ApiKey> one(const std::string& where, Params p) {
    return readValue<ApiKey>(db_, [&](Session& s) -> Result<ApiKey> {
      auto rows = s.exec(kSelect + where, p);
      if (!rows) return std::unexpected(rows.error());
      if (rows->rows.empty()) return fail(Errc::NotFound, "api key not found");
      return fromRow(rows->rows[0]);
    });
  }
  Status change(const char* sql, const TenantId& tenant, const ApiKeyId& id) {
    const Value p[] = {tenant.value(), id.value()};
    return writeOne(db_, sql, p, "api key");
  }
  Database& db_;
};

// ---- Interaction records ----

// The cursor is the (arrived_at, id) of the last row returned, hex-encoded so callers treat
// it as opaque: "<micros>:<id>".
std::string encodeCursor(std::int64_t at, const std::string& id) {
  static constexpr char kHex[] = "0123456789abcdef";
  const std::string raw = std::to_string(at) + ":" + id;
  std::string out;
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

Result<std::pair<std::int64_t, std::string>> decodeCursor(std::string_view cursor) {
  auto bad = [] { return fail(Errc::InvalidArgument, "malformed cursor", "cursor"); };
  if (cursor.size() % 2 != 0) return bad();
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string raw;
  for (std::size_t i = 0; i < cursor.size(); i += 2) {
    const int hi = nibble(cursor[i]), lo = nibble(cursor[i + 1]);
    if (hi < 0 || lo < 0) return bad();
    raw.push_back(static_cast<char>(hi * 16 + lo));
  }
  const auto colon = raw.find(':');
  if (colon == std::string::npos || colon == 0) return bad();
  std::int64_t at = 0;
  const auto [ptr, ec] = std::from_chars(raw.data(), raw.data() + colon, at);
  if (ec != std::errc() || ptr != raw.data() + colon) return bad();
  return std::make_pair(at, raw.substr(colon + 1));
}

class SqlInteractionRepository final : public InteractionRecordRepository {
 public:
  explicit SqlInteractionRepository(Database& db) : db_(db) {}

  Result<InteractionRecord> create(InteractionRecord r) override {
    SB_TRY(requireTenant(r.tenant_id));
    if (r.id.value().empty()) r.id = InteractionId(newId());
    auto st = db_.write([&](Session& s) -> Status {
      const Params p = params(r);
      SB_TRY(s.exec(std::string("INSERT INTO interactions (") + kColumns + ") VALUES (" +
                        placeholders(p.size()) + ")",
                    p));
      return {};
    });
    if (!st) return std::unexpected(st.error());
    return r;
  }

  Status createMany(const std::vector<InteractionRecord>& records) override {
    for (const auto& r : records) {
      SB_TRY(requireTenant(r.tenant_id));
      SB_TRY(requireNonEmpty(r.id.value(), "id"));
    }
    if (records.empty()) return {};
    const std::string sql = std::string("INSERT INTO interactions (") + kColumns + ") VALUES (" +
                            placeholders(params(records.front()).size()) + ")";
    return db_.write([&](Session& s) -> Status {
      for (const auto& r : records) SB_TRY(s.exec(sql, params(r)));
      return {};
    });
  }

  Status update(const InteractionRecord& r) override {
    SB_TRY(requireTenant(r.tenant_id));
    const Params p = params(r);
    return writeOne(
        db_,
        "UPDATE interactions SET channel = $3, direction = $4, queue_id = $5, caller = $6, "
        "callee = $7, agent_id = $8, arrived_at = $9, queued_at = $10, offered_at = $11, "
        "answered_at = $12, ended_at = $13, end_reason = $14, disposition = $15, "
        "wrap_up_code = $16 WHERE tenant_id = $1 AND id = $2",
        p, "interaction");
  }

  Result<InteractionRecord> get(const TenantId& tenant, const InteractionId& id) override {
    return readValue<InteractionRecord>(db_, [&](Session& s) -> Result<InteractionRecord> {
      const Value p[] = {tenant.value(), id.value()};
      auto rows = s.exec(std::string("SELECT ") + kColumns +
                             " FROM interactions WHERE tenant_id = $1 AND id = $2",
                         p);
      if (!rows) return std::unexpected(rows.error());
      if (rows->rows.empty()) return fail(Errc::NotFound, "interaction not found");
      return fromRow(rows->rows[0]);
    });
  }

  Result<InteractionPage> search(const TenantId& tenant, const InteractionQuery& q) override {
    if (q.limit == 0 || q.limit > 1000) {
      return fail(Errc::InvalidArgument, "limit must be within 1..1000", "limit");
    }
    std::string sql = std::string("SELECT ") + kColumns +
                      " FROM interactions WHERE tenant_id = $1 AND arrived_at >= $2";
    Params p{tenant.value(), micros(q.from)};
    auto add = [&](const std::string& cond, Value v) {
      p.push_back(std::move(v));
      std::string c = cond;
      const auto pos = c.find('?');
      c.replace(pos, 1, "$" + std::to_string(p.size()));
      sql += " AND " + c;
    };
    if (q.to != WallTime::max()) add("arrived_at < ?", micros(q.to));
    if (q.queue_id) add("queue_id = ?", q.queue_id->value());
    if (q.agent_id) add("agent_id = ?", q.agent_id->value());
    if (q.disposition) add("disposition = ?", std::string(dispositionName(*q.disposition)));
    if (!q.cursor.empty()) {
      auto c = decodeCursor(q.cursor);
      if (!c) return std::unexpected(c.error());
      p.push_back(c->first);
      p.push_back(c->second);
      const auto at = "$" + std::to_string(p.size() - 1);
      const auto id = "$" + std::to_string(p.size());
      sql += " AND (arrived_at > " + at + " OR (arrived_at = " + at + " AND id > " + id + "))";
    }
    // One extra row tells whether another page exists.
    p.push_back(static_cast<std::int64_t>(q.limit + 1));
    sql += " ORDER BY arrived_at, id LIMIT $" + std::to_string(p.size());

    return readValue<InteractionPage>(db_, [&](Session& s) -> Result<InteractionPage> {
      auto rows = s.exec(sql, p);
      if (!rows) return std::unexpected(rows.error());
      InteractionPage page;
      for (const auto& row : rows->rows) {
        if (page.items.size() == q.limit) {
          const auto& last = page.items.back();
          page.next = encodeCursor(micros(last.arrived_at), last.id.value());
          break;
        }
        page.items.push_back(fromRow(row));
      }
      return page;
    });
  }

 private:
  static constexpr const char* kColumns =
      "tenant_id, id, channel, direction, queue_id, caller, callee, agent_id, arrived_at, "
      "queued_at, offered_at, answered_at, ended_at, end_reason, disposition, wrap_up_code";
  static Params params(const InteractionRecord& r) {
    return {r.tenant_id.value(),
            r.id.value(),
            r.channel,
            r.direction,
            optId(r.queue_id),
            r.caller,
            r.callee,
            optId(r.agent_id),
            micros(r.arrived_at),
            optTime(r.queued_at),
            optTime(r.offered_at),
            optTime(r.answered_at),
            optTime(r.ended_at),
            r.end_reason,
            r.disposition ? Value{std::string(dispositionName(*r.disposition))}
                          : Value{std::monostate{}},
            r.wrap_up_code};
  }
  static InteractionRecord fromRow(const Row& row) {
    InteractionRecord r;
    r.tenant_id = TenantId(row.text(0));
    r.id = InteractionId(row.text(1));
    r.channel = row.text(2);
    r.direction = row.text(3);
    if (!row.isNull(4)) r.queue_id = QueueId(row.text(4));
    r.caller = row.text(5);
    r.callee = row.text(6);
    if (!row.isNull(7)) r.agent_id = UserId(row.text(7));
    r.arrived_at = wallFromMicros(row.int64(8));
    r.queued_at = optTimeAt(row, 9);
    r.offered_at = optTimeAt(row, 10);
    r.answered_at = optTimeAt(row, 11);
    r.ended_at = optTimeAt(row, 12);
    r.end_reason = row.text(13);
    if (!row.isNull(14)) r.disposition = parseDisposition(row.text(14));
    r.wrap_up_code = row.text(15);
    return r;
  }
  Database& db_;
};

// ---- Append-only logs ----

class SqlAgentStateHistory final : public AgentStateHistoryRepository {
 public:
  explicit SqlAgentStateHistory(Database& db) : db_(db) {}

  Result<AgentStateChange> append(AgentStateChange c) override {
    SB_TRY(requireTenant(c.tenant_id));
    SB_TRY(requireNonEmpty(c.agent_id.value(), "agent_id"));
    return writeValue<AgentStateChange>(db_, [&](Session& s) -> Result<AgentStateChange> {
      const Value p[] = {c.tenant_id.value(), c.agent_id.value(), c.state, c.reason, micros(c.at)};
      auto rows = s.exec(
          "INSERT INTO agent_state_history (tenant_id, agent_id, state, reason, at) "
          "VALUES ($1, $2, $3, $4, $5) RETURNING seq",
          p);
      if (!rows) return std::unexpected(rows.error());
      c.seq = rows->rows.at(0).int64(0);
      return c;
    });
  }

  Status appendMany(const std::vector<AgentStateChange>& changes) override {
    for (const auto& c : changes) {
      SB_TRY(requireTenant(c.tenant_id));
      SB_TRY(requireNonEmpty(c.agent_id.value(), "agent_id"));
    }
    if (changes.empty()) return {};
    return db_.write([&](Session& s) -> Status {
      for (const auto& c : changes) {
        const Value p[] = {c.tenant_id.value(), c.agent_id.value(), c.state, c.reason,
                           micros(c.at)};
        SB_TRY(s.exec(
            "INSERT INTO agent_state_history (tenant_id, agent_id, state, reason, at) "
            "VALUES ($1, $2, $3, $4, $5)",
            p));
      }
      return {};
    });
  }

  Result<std::optional<AgentStateChange>> latest(const TenantId& tenant, const UserId& agent,
                                                 const std::vector<std::string>& states) override {
    if (states.empty()) return std::optional<AgentStateChange>{};
    // Newest first along the (tenant_id, agent_id, at) index: stops at the first match.
    std::string sql =
        "SELECT tenant_id, agent_id, state, reason, at, seq FROM agent_state_history "
        "WHERE tenant_id = $1 AND agent_id = $2 AND state IN (";
    std::vector<Value> p{tenant.value(), agent.value()};
    for (const auto& state : states) {
      if (p.size() > 2) sql += ", ";
      p.emplace_back(state);
      sql += "$" + std::to_string(p.size());
    }
    sql += ") ORDER BY at DESC, seq DESC LIMIT 1";
    return readValue<std::optional<AgentStateChange>>(
        db_, [&](Session& s) -> Result<std::optional<AgentStateChange>> {
          auto rows = s.exec(sql, p);
          if (!rows) return std::unexpected(rows.error());
          if (rows->rows.empty()) return std::optional<AgentStateChange>{};
          const auto& r = rows->rows[0];
          return AgentStateChange{TenantId(r.text(0)),        UserId(r.text(1)),
                                  std::string(r.text(2)),     std::string(r.text(3)),
                                  wallFromMicros(r.int64(4)), r.int64(5)};
        });
  }

  Result<std::vector<AgentStateChange>> list(const TenantId& tenant, const UserId& agent,
                                             WallTime from, WallTime to,
                                             std::size_t limit) override {
    return readValue<std::vector<AgentStateChange>>(
        db_, [&](Session& s) -> Result<std::vector<AgentStateChange>> {
          const Value p[] = {tenant.value(), agent.value(), micros(from), micros(to),
                             static_cast<std::int64_t>(limit)};
          auto rows = s.exec(
              "SELECT tenant_id, agent_id, state, reason, at, seq FROM agent_state_history "
              "WHERE tenant_id = $1 AND agent_id = $2 AND at >= $3 AND at < $4 "
              "ORDER BY at, seq LIMIT $5",
              p);
          if (!rows) return std::unexpected(rows.error());
          std::vector<AgentStateChange> out;
          for (const auto& r : rows->rows) {
            out.push_back(AgentStateChange{TenantId(r.text(0)), UserId(r.text(1)), r.text(2),
                                           r.text(3), wallFromMicros(r.int64(4)), r.int64(5)});
          }
          return out;
        });
  }

 private:
  Database& db_;
};

class SqlAuditLog final : public AuditLog {
 public:
  explicit SqlAuditLog(Database& db) : db_(db) {}

  Result<AuditEntry> append(AuditEntry e) override {
    SB_TRY(requireTenant(e.tenant_id));
    return writeValue<AuditEntry>(db_, [&](Session& s) -> Result<AuditEntry> {
      const Value p[] = {e.tenant_id.value(), micros(e.at),  e.actor,       e.action,
                         e.entity_type,       e.entity_id,   e.before_json, e.after_json};
      auto rows = s.exec(
          "INSERT INTO audit_log (tenant_id, at, actor, action, entity_type, entity_id, "
          "before_json, after_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING seq",
          p);
      if (!rows) return std::unexpected(rows.error());
      e.seq = rows->rows.at(0).int64(0);
      return e;
    });
  }

  Result<std::vector<AuditEntry>> list(const TenantId& tenant, std::int64_t after_seq,
                                       std::size_t limit) override {
    return readValue<std::vector<AuditEntry>>(
        db_, [&](Session& s) -> Result<std::vector<AuditEntry>> {
          const Value p[] = {tenant.value(), after_seq, static_cast<std::int64_t>(limit)};
          auto rows = s.exec(
              "SELECT tenant_id, seq, at, actor, action, entity_type, entity_id, before_json, "
              "after_json FROM audit_log WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
              p);
          if (!rows) return std::unexpected(rows.error());
          std::vector<AuditEntry> out;
          for (const auto& r : rows->rows) {
            out.push_back(AuditEntry{TenantId(r.text(0)), r.int64(1), wallFromMicros(r.int64(2)),
                                     r.text(3), r.text(4), r.text(5), r.text(6), r.text(7),
                                     r.text(8)});
          }
          return out;
        });
  }

 private:
  Database& db_;
};

// Deletes the rows of `table` (one with an expires_at column) that expired at or before now;
// returns how many.
Result<std::size_t> purgeBefore(Database& db, std::string_view table, WallTime now) {
  return writeValue<std::size_t>(db, [&](Session& s) -> Result<std::size_t> {
    const Value p[] = {micros(now)};
    auto rows = s.exec("DELETE FROM " + std::string(table) + " WHERE expires_at <= $1", p);
    if (!rows) return std::unexpected(rows.error());
    return static_cast<std::size_t>(rows->affected);
  });
}

// ---- Registrar bindings ----

// A URI never holds a raw LF, so route sets and Path lists are stored LF-joined.
std::string joinLines(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out.push_back('\n');
    out += item;
  }
  return out;
}

std::vector<std::string> splitLines(std::string_view text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  std::size_t start = 0;
  for (;;) {
    const auto end = text.find('\n', start);
    out.emplace_back(text.substr(start, end - start));
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

class SqlBindingRepository final : public BindingRepository {
 public:
  explicit SqlBindingRepository(Database& db) : db_(db) {}

  Status upsert(const Binding& b) override {
    SB_TRY(requireTenant(b.tenant_id));
    SB_TRY(requireNonEmpty(b.aor, "aor"));
    SB_TRY(requireNonEmpty(b.contact_uri, "contact_uri"));
    const std::string path = joinLines(b.path);
    const Value p[] = {b.tenant_id.value(),
                       b.aor,
                       b.contact_uri,
                       micros(b.expires_at),
                       integer(b.q_milli),
                       b.call_id,
                       integer(b.cseq),
                       path,
                       b.source,
                       b.transport,
                       b.instance,
                       integer(b.reg_id)};
    return writeStatement(
        db_,
        std::string("INSERT INTO bindings (") + kColumns +
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
            "ON CONFLICT (tenant_id, aor, contact_uri) DO UPDATE SET "
            "expires_at = excluded.expires_at, q_milli = excluded.q_milli, "
            "call_id = excluded.call_id, cseq = excluded.cseq, path = excluded.path, "
            "source = excluded.source, transport = excluded.transport, "
            "instance = excluded.instance, reg_id = excluded.reg_id",
        p);
  }

  Status remove(const TenantId& tenant, const std::string& aor,
                const std::string& contact_uri) override {
    const Value p[] = {tenant.value(), aor, contact_uri};
    return writeOne(db_,
                    "DELETE FROM bindings WHERE tenant_id = $1 AND aor = $2 AND contact_uri = $3",
                    p, "binding");
  }

  Status removeAll(const TenantId& tenant, const std::string& aor) override {
    const Value p[] = {tenant.value(), aor};
    return writeStatement(db_, "DELETE FROM bindings WHERE tenant_id = $1 AND aor = $2", p);
  }

  Result<std::vector<Binding>> lookup(const TenantId& tenant, const std::string& aor,
                                      WallTime now) override {
    return query(" WHERE tenant_id = $1 AND aor = $2 AND expires_at > $3 "
                 "ORDER BY q_milli DESC, contact_uri",
                 {tenant.value(), aor, micros(now)});
  }

  Result<std::vector<Binding>> listActive(WallTime now) override {
    return query(" WHERE expires_at > $1 ORDER BY tenant_id, aor, contact_uri", {micros(now)});
  }

  Result<std::size_t> purgeExpired(WallTime now) override {
    return purgeBefore(db_, "bindings", now);
  }

 private:
  static constexpr const char* kColumns =
      "tenant_id, aor, contact_uri, expires_at, q_milli, call_id, cseq, path, source, "
      "transport, instance, reg_id";
  Result<std::vector<Binding>> query(const std::string& where, Params p) {
    return selectRows<Binding>(db_, std::string("SELECT ") + kColumns + " FROM bindings" + where, p,
                               [](const Row& r) {
                                 Binding b;
                                 b.tenant_id = TenantId(r.text(0));
                                 b.aor = r.text(1);
                                 b.contact_uri = r.text(2);
                                 b.expires_at = wallFromMicros(r.int64(3));
                                 b.q_milli = static_cast<int>(r.int64(4));
                                 b.call_id = r.text(5);
                                 b.cseq = static_cast<std::uint32_t>(r.int64(6));
                                 b.path = splitLines(r.text(7));
                                 b.source = r.text(8);
                                 b.transport = r.text(9);
                                 b.instance = r.text(10);
                                 b.reg_id = static_cast<int>(r.int64(11));
                                 return b;
                               });
  }
  Database& db_;
};

// ---- SIP presence watchers ----

class SqlSipWatcherRepository final : public SipWatcherRepository {
 public:
  explicit SqlSipWatcherRepository(Database& db) : db_(db) {}

  Status upsert(const SipWatcher& w) override {
    SB_TRY(requireTenant(w.tenant_id));
    SB_TRY(requireNonEmpty(w.call_id, "call_id"));
    SB_TRY(requireNonEmpty(w.local_tag, "local_tag"));
    SB_TRY(requireNonEmpty(w.user, "user"));
    const Value p[] = {w.tenant_id.value(),
                       w.call_id,
                       w.local_tag,
                       w.remote_tag,
                       w.user,
                       w.entity,
                       w.event_id,
                       w.local_uri,
                       w.remote_uri,
                       w.remote_target,
                       joinLines(w.route_set),
                       integer(w.local_cseq),
                       integer(w.remote_cseq),
                       w.transport,
                       w.address,
                       integer(w.port),
                       integer(w.listener),
                       micros(w.expires_at)};
    return writeStatement(
        db_,
        std::string("INSERT INTO sip_watchers (") + kColumns +
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, "
            "$15, $16, $17, $18) ON CONFLICT (tenant_id, call_id, local_tag) DO UPDATE "
            "SET remote_tag = excluded.remote_tag, user_id = excluded.user_id, "
            "entity = excluded.entity, event_id = excluded.event_id, "
            "local_uri = excluded.local_uri, remote_uri = excluded.remote_uri, "
            "remote_target = excluded.remote_target, route_set = excluded.route_set, "
            "local_cseq = excluded.local_cseq, remote_cseq = excluded.remote_cseq, "
            "transport = excluded.transport, address = excluded.address, "
            "port = excluded.port, listener = excluded.listener, "
            "expires_at = excluded.expires_at",
        p);
  }

  Status remove(const TenantId& tenant, const std::string& call_id,
                const std::string& local_tag) override {
    const Value p[] = {tenant.value(), call_id, local_tag};
    return writeOne(db_,
                    "DELETE FROM sip_watchers WHERE tenant_id = $1 AND call_id = $2 AND "
                    "local_tag = $3",
                    p, "SIP watcher");
  }

  Result<std::vector<SipWatcher>> listActive(WallTime now) override {
    const Value p[] = {micros(now)};
    return selectRows<SipWatcher>(
        db_,
        std::string("SELECT ") + kColumns +
            " FROM sip_watchers WHERE expires_at > $1 ORDER BY tenant_id, call_id, local_tag",
        p, [](const Row& r) {
          SipWatcher w;
          w.tenant_id = TenantId(r.text(0));
          w.call_id = r.text(1);
          w.local_tag = r.text(2);
          w.remote_tag = r.text(3);
          w.user = r.text(4);
          w.entity = r.text(5);
          w.event_id = r.text(6);
          w.local_uri = r.text(7);
          w.remote_uri = r.text(8);
          w.remote_target = r.text(9);
          w.route_set = splitLines(r.text(10));
          w.local_cseq = static_cast<std::uint32_t>(r.int64(11));
          w.remote_cseq = static_cast<std::uint32_t>(r.int64(12));
          w.transport = r.text(13);
          w.address = r.text(14);
          w.port = static_cast<int>(r.int64(15));
          w.listener = static_cast<int>(r.int64(16));
          w.expires_at = wallFromMicros(r.int64(17));
          return w;
        });
  }

  Result<std::size_t> purgeExpired(WallTime now) override {
    return purgeBefore(db_, "sip_watchers", now);
  }

 private:
  static constexpr const char* kColumns =
      "tenant_id, call_id, local_tag, remote_tag, user_id, entity, event_id, local_uri, "
      "remote_uri, remote_target, route_set, local_cseq, remote_cseq, transport, address, port, "
      "listener, expires_at";
  Database& db_;
};

// ---- SIP PUBLISH state ----

class SqlSipPublicationRepository final : public SipPublicationRepository {
 public:
  explicit SqlSipPublicationRepository(Database& db) : db_(db) {}

  Status upsert(const SipPublication& p) override {
    SB_TRY(requireTenant(p.tenant_id));
    SB_TRY(requireNonEmpty(p.session_key, "session_key"));
    SB_TRY(requireNonEmpty(p.etag, "etag"));
    SB_TRY(requireNonEmpty(p.user_id, "user_id"));
    const Value v[] = {p.tenant_id.value(), p.session_key,       p.etag, p.user_id, p.availability,
                       p.activity,          micros(p.expires_at)};
    return writeStatement(
        db_,
        "INSERT INTO sip_publications (tenant_id, session_key, etag, user_id, "
        "availability, activity, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) "
        "ON CONFLICT (tenant_id, session_key) DO UPDATE SET etag = excluded.etag, "
        "user_id = excluded.user_id, availability = excluded.availability, "
        "activity = excluded.activity, expires_at = excluded.expires_at",
        v);
  }

  Status remove(const TenantId& tenant, const std::string& session_key) override {
    const Value v[] = {tenant.value(), session_key};
    return writeStatement(
        db_, "DELETE FROM sip_publications WHERE tenant_id = $1 AND session_key = $2", v);
  }

  Result<std::vector<SipPublication>> listActive(WallTime now) override {
    const Value v[] = {micros(now)};
    return selectRows<SipPublication>(
        db_,
        "SELECT tenant_id, session_key, etag, user_id, availability, activity, expires_at "
        "FROM sip_publications WHERE expires_at > $1 ORDER BY tenant_id, session_key",
        v, [](const Row& r) {
          return SipPublication{TenantId(r.text(0)),       std::string(r.text(1)),
                                std::string(r.text(2)),    std::string(r.text(3)),
                                std::string(r.text(4)),    std::string(r.text(5)),
                                wallFromMicros(r.int64(6))};
        });
  }

  Result<std::size_t> purgeExpired(WallTime now) override {
    return purgeBefore(db_, "sip_publications", now);
  }

 private:
  Database& db_;
};

// ---- Agents' chosen states ----

class SqlAgentChoiceRepository final : public AgentChoiceRepository {
 public:
  explicit SqlAgentChoiceRepository(Database& db) : db_(db) {}

  Status upsert(const AgentChoice& c) override {
    SB_TRY(requireTenant(c.tenant_id));
    SB_TRY(requireNonEmpty(c.agent_id.value(), "agent_id"));
    SB_TRY(requireNonEmpty(c.state, "state"));
    const Value v[] = {c.tenant_id.value(), c.agent_id.value(), c.state, c.reason,
                       micros(c.chosen_at)};
    return writeStatement(
        db_,
        "INSERT INTO agent_choices (tenant_id, agent_id, state, reason, chosen_at) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, agent_id) DO UPDATE SET "
        "state = excluded.state, reason = excluded.reason, chosen_at = excluded.chosen_at",
        v);
  }

  Result<std::optional<AgentChoice>> get(const TenantId& tenant, const UserId& agent) override {
    const Value v[] = {tenant.value(), agent.value()};
    return selectFirst<AgentChoice>(
        db_,
        "SELECT state, reason, chosen_at FROM agent_choices WHERE tenant_id = $1 AND "
        "agent_id = $2",
        v, [&](const Row& r) {
          return AgentChoice{tenant, agent, std::string(r.text(0)), std::string(r.text(1)),
                             wallFromMicros(r.int64(2))};
        });
  }

 private:
  Database& db_;
};

// ---- OIDC sign-ins in progress ----

class SqlOidcLoginRepository final : public OidcLoginRepository {
 public:
  explicit SqlOidcLoginRepository(Database& db) : db_(db) {}

  Status put(const OidcLogin& l) override {
    SB_TRY(requireNonEmpty(l.state, "state"));
    const Value v[] = {l.state,    l.nonce,  l.code_verifier,
                       l.provider, l.tenant, micros(l.expires_at)};
    return writeStatement(db_,
                          "INSERT INTO oidc_logins (state, nonce, code_verifier, provider, tenant, "
                          "expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                          v);
  }

  Result<std::optional<OidcLogin>> take(const std::string& state, WallTime now) override {
    // One statement: a state is handed out once even if two callbacks race.
    return writeValue<std::optional<OidcLogin>>(
        db_, [&](Session& s) -> Result<std::optional<OidcLogin>> {
          const Value v[] = {state};
          auto rows = s.exec(
              "DELETE FROM oidc_logins WHERE state = $1 "
              "RETURNING nonce, code_verifier, provider, tenant, expires_at",
              v);
          if (!rows) return std::unexpected(rows.error());
          if (rows->rows.empty()) return std::optional<OidcLogin>{};
          const auto& r = rows->rows.front();
          OidcLogin l{state,
                      std::string(r.text(0)),
                      std::string(r.text(1)),
                      std::string(r.text(2)),
                      std::string(r.text(3)),
                      wallFromMicros(r.int64(4))};
          if (l.expires_at <= now) return std::optional<OidcLogin>{};
          return std::optional<OidcLogin>{std::move(l)};
        });
  }

  Result<std::size_t> purgeExpired(WallTime now) override {
    return purgeBefore(db_, "oidc_logins", now);
  }

 private:
  Database& db_;
};

// ---- Presence kept across restarts ----

class SqlPresenceStateRepository final : public PresenceStateRepository {
 public:
  explicit SqlPresenceStateRepository(Database& db) : db_(db) {}

  Status upsert(const PresenceState& p) override {
    SB_TRY(requireTenant(p.tenant_id));
    SB_TRY(requireNonEmpty(p.user_id, "user_id"));
    SB_TRY(requireNonEmpty(p.document_json, "document_json"));
    const Value v[] = {p.tenant_id.value(), p.user_id, p.document_json, micros(p.updated_at)};
    return writeStatement(
        db_,
        "INSERT INTO presence_states (tenant_id, user_id, document_json, updated_at) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, user_id) DO UPDATE SET "
        "document_json = excluded.document_json, updated_at = excluded.updated_at",
        v);
  }

  Status remove(const TenantId& tenant, const std::string& user_id) override {
    const Value v[] = {tenant.value(), user_id};
    return writeStatement(db_, "DELETE FROM presence_states WHERE tenant_id = $1 AND user_id = $2",
                          v);
  }

  Result<std::vector<PresenceState>> listAll() override {
    return selectRows<PresenceState>(
        db_,
        "SELECT tenant_id, user_id, document_json, updated_at FROM presence_states "
        "ORDER BY tenant_id, user_id",
        {}, [](const Row& r) {
          return PresenceState{TenantId(r.text(0)), std::string(r.text(1)), std::string(r.text(2)),
                               wallFromMicros(r.int64(3))};
        });
  }

 private:
  Database& db_;
};

// ---- Webhook subscriptions ----

class SqlSubscriptionRepository final : public SubscriptionRepository {
 public:
  explicit SqlSubscriptionRepository(Database& db) : db_(db) {}

  Result<Subscription> create(Subscription sub) override {
    SB_TRY(requireTenant(sub.tenant_id));
    SB_TRY(requireNonEmpty(sub.resource, "resource"));
    if (sub.id.empty()) sub.id = newId();
    auto st = db_.write([&](Session& s) -> Status {
      const Value p[] = {sub.tenant_id.value(), sub.id, sub.resource, sub.document_json,
                         micros(sub.expires_at)};
      SB_TRY(s.exec(std::string("INSERT INTO subscriptions (") + kColumns +
                        ") VALUES ($1, $2, $3, $4, $5)",
                    p));
      return {};
    });
    if (!st) return std::unexpected(st.error());
    return sub;
  }
  Result<Subscription> get(const TenantId& tenant, const std::string& id) override {
    auto rows = query(" WHERE tenant_id = $1 AND id = $2", {tenant.value(), id});
    if (!rows) return std::unexpected(rows.error());
    if (rows->empty()) return fail(Errc::NotFound, "subscription not found");
    return std::move(rows->front());
  }
  Status update(const Subscription& sub) override {
    SB_TRY(requireTenant(sub.tenant_id));
    SB_TRY(requireNonEmpty(sub.resource, "resource"));
    const Value p[] = {sub.tenant_id.value(), sub.id, sub.resource, sub.document_json,
                       micros(sub.expires_at)};
    return writeOne(db_,
                    "UPDATE subscriptions SET resource = $3, document_json = $4, expires_at = $5 "
                    "WHERE tenant_id = $1 AND id = $2",
                    p, "subscription");
  }
  Status remove(const TenantId& tenant, const std::string& id) override {
    const Value p[] = {tenant.value(), id};
    return writeOne(db_, "DELETE FROM subscriptions WHERE tenant_id = $1 AND id = $2", p,
                    "subscription");
  }
  Result<std::vector<Subscription>> list(const TenantId& tenant) override {
    return query(" WHERE tenant_id = $1 ORDER BY id", {tenant.value()});
  }
  Result<std::vector<Subscription>> listAll() override {
    return query(" ORDER BY tenant_id, id", {});
  }

 private:
  static constexpr const char* kColumns = "tenant_id, id, resource, document_json, expires_at";
  Result<std::vector<Subscription>> query(const std::string& where, Params p) {
    return readValue<std::vector<Subscription>>(
        db_, [&](Session& s) -> Result<std::vector<Subscription>> {
          auto rows = s.exec(std::string("SELECT ") + kColumns + " FROM subscriptions" + where, p);
          if (!rows) return std::unexpected(rows.error());
          std::vector<Subscription> out;
          for (const auto& r : rows->rows) {
            out.push_back(Subscription{TenantId(r.text(0)), r.text(1), r.text(2), r.text(3),
                                       wallFromMicros(r.int64(4))});
          }
          return out;
        });
  }
  Database& db_;
};

// ---- Webhook notifications pending delivery ----

class SqlPendingDeliveryRepository final : public PendingDeliveryRepository {
 public:
  explicit SqlPendingDeliveryRepository(Database& db) : db_(db) {}

  Status apply(const std::vector<PendingDeliveryWrite>& writes) override {
    for (const auto& w : writes) {
      const auto& tenant =
          w.kind == PendingDeliveryWrite::Kind::PutItem ? w.item.tenant_id : w.state.tenant_id;
      const auto& sub = w.kind == PendingDeliveryWrite::Kind::PutItem ? w.item.subscription_id
                                                                      : w.state.subscription_id;
      SB_TRY(requireTenant(tenant));
      SB_TRY(requireNonEmpty(sub, "subscription_id"));
    }
    if (writes.empty()) return {};
    return db_.write([&](Session& s) -> Status {
      for (const auto& w : writes) SB_TRY(applyOne(s, w));
      return {};
    });
  }

  Result<std::vector<PendingNotification>> listItems() override {
    return readValue<std::vector<PendingNotification>>(
        db_, [&](Session& s) -> Result<std::vector<PendingNotification>> {
          auto rows = s.exec(
              "SELECT tenant_id, subscription_id, lifecycle, seq, item_json FROM webhook_pending "
              "ORDER BY tenant_id, subscription_id, lifecycle, seq");
          if (!rows) return std::unexpected(rows.error());
          std::vector<PendingNotification> out;
          out.reserve(rows->rows.size());
          for (const auto& r : rows->rows) {
            out.push_back(PendingNotification{TenantId(r.text(0)), r.text(1), r.int64(2) != 0,
                                              r.int64(3), r.text(4)});
          }
          return out;
        });
  }

  Result<std::vector<PendingDeliveryState>> listStates() override {
    return readValue<std::vector<PendingDeliveryState>>(
        db_, [&](Session& s) -> Result<std::vector<PendingDeliveryState>> {
          auto rows = s.exec(
              "SELECT tenant_id, subscription_id, lifecycle, batch_end, attempts, "
              "first_attempt_at, next_attempt_at, last_error FROM webhook_delivery_state "
              "ORDER BY tenant_id, subscription_id, lifecycle");
          if (!rows) return std::unexpected(rows.error());
          std::vector<PendingDeliveryState> out;
          out.reserve(rows->rows.size());
          for (const auto& r : rows->rows) {
            out.push_back(PendingDeliveryState{TenantId(r.text(0)), r.text(1), r.int64(2) != 0,
                                               r.int64(3), static_cast<int>(r.int64(4)),
                                               wallFromMicros(r.int64(5)),
                                               wallFromMicros(r.int64(6)), r.text(7)});
          }
          return out;
        });
  }

 private:
  static Status applyOne(Session& s, const PendingDeliveryWrite& w) {
    using Kind = PendingDeliveryWrite::Kind;
    switch (w.kind) {
      case Kind::PutItem: {
        const auto& i = w.item;
        const Value p[] = {i.tenant_id.value(), i.subscription_id, boolean(i.lifecycle), i.seq,
                           i.item_json};
        SB_TRY(s.exec(
            "INSERT INTO webhook_pending (tenant_id, subscription_id, lifecycle, seq, item_json) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, subscription_id, lifecycle, "
            "seq) DO UPDATE SET item_json = excluded.item_json",
            p));
        return {};
      }
      case Kind::PutState: {
        const auto& st = w.state;
        const Value p[] = {st.tenant_id.value(),       st.subscription_id,
                           boolean(st.lifecycle),      st.batch_end,
                           integer(st.attempts),       micros(st.first_attempt_at),
                           micros(st.next_attempt_at), st.last_error};
        SB_TRY(s.exec(
            "INSERT INTO webhook_delivery_state (tenant_id, subscription_id, lifecycle, "
            "batch_end, attempts, first_attempt_at, next_attempt_at, last_error) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (tenant_id, subscription_id, "
            "lifecycle) DO UPDATE SET batch_end = excluded.batch_end, attempts = "
            "excluded.attempts, first_attempt_at = excluded.first_attempt_at, "
            "next_attempt_at = excluded.next_attempt_at, last_error = excluded.last_error",
            p));
        return {};
      }
      case Kind::RemoveUpTo: {
        const auto& st = w.state;
        const Value p[] = {st.tenant_id.value(), st.subscription_id, boolean(st.lifecycle),
                           st.batch_end};
        SB_TRY(
            s.exec("DELETE FROM webhook_pending WHERE tenant_id = $1 AND subscription_id = $2 AND "
                   "lifecycle = $3 AND seq <= $4",
                   p));
        SB_TRY(s.exec(
            "DELETE FROM webhook_delivery_state WHERE tenant_id = $1 AND subscription_id = $2 "
            "AND lifecycle = $3",
            std::span(p, 3)));
        return {};
      }
      case Kind::RemoveSubscription: {
        const Value p[] = {w.state.tenant_id.value(), w.state.subscription_id};
        SB_TRY(
            s.exec("DELETE FROM webhook_pending WHERE tenant_id = $1 AND subscription_id = $2", p));
        SB_TRY(s.exec(
            "DELETE FROM webhook_delivery_state WHERE tenant_id = $1 AND subscription_id = $2", p));
        return {};
      }
    }
    return fail(Errc::InvalidArgument, "unknown pending-delivery write", "kind");
  }
  Database& db_;
};

// ---- Refresh tokens ----

class SqlRefreshTokenRepository final : public RefreshTokenRepository {
 public:
  explicit SqlRefreshTokenRepository(Database& db) : db_(db) {}

  Status create(const RefreshToken& t) override {
    SB_TRY(requireNonEmpty(t.hash_hex, "hash_hex"));
    SB_TRY(requireNonEmpty(t.family_id, "family_id"));
    SB_TRY(requireNonEmpty(t.user_id, "user_id"));
    const Value p[] = {t.hash_hex,           t.family_id,     t.user_id,
                       micros(t.expires_at), boolean(t.used), boolean(t.revoked)};
    return writeStatement(
        db_,
        "INSERT INTO refresh_tokens (hash_hex, family_id, user_id, expires_at, used, revoked) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        p);
  }

  Result<RefreshToken> consume(const std::string& hash_hex) override {
    return writeValue<RefreshToken>(db_, [&](Session& s) -> Result<RefreshToken> {
      const Value p[] = {hash_hex};
      // The conditional UPDATE decides who was first: PostgreSQL re-checks `used = 0` after
      // waiting for a concurrent updater's row lock; SQLite has one writer.
      auto marked =
          s.exec("UPDATE refresh_tokens SET used = 1 WHERE hash_hex = $1 AND used = 0", p);
      if (!marked) return std::unexpected(marked.error());
      auto rows = s.exec(
          "SELECT hash_hex, family_id, user_id, expires_at, revoked FROM refresh_tokens "
          "WHERE hash_hex = $1",
          p);
      if (!rows) return std::unexpected(rows.error());
      if (rows->rows.empty()) return fail(Errc::NotFound, "refresh token not found");
      const auto& r = rows->rows[0];
      return RefreshToken{r.text(0),
                          r.text(1),
                          r.text(2),
                          wallFromMicros(r.int64(3)),
                          /*used=*/marked->affected == 0,
                          r.int64(4) != 0};
    });
  }

  Status revokeFamily(const std::string& family_id) override {
    const Value p[] = {family_id};
    return writeStatement(db_, "UPDATE refresh_tokens SET revoked = 1 WHERE family_id = $1", p);
  }

  Result<std::size_t> purgeExpired(WallTime now) override {
    return purgeBefore(db_, "refresh_tokens", now);
  }

 private:
  Database& db_;
};

// ---- App registrations ----

// Roles are kept as a comma-separated list of role names ("admin,agent").
std::string joinRoles(const std::vector<Role>& roles) {
  std::string out;
  for (Role r : roles) {
    if (!out.empty()) out += ',';
    out += roleName(r);
  }
  return out;
}

std::vector<Role> splitRoles(std::string_view text) {
  std::vector<Role> out;
  for (const auto& name : splitColumns(text)) {
    if (auto r = parseRole(name)) out.push_back(*r);
  }
  return out;
}

class SqlAppRegistrationRepository final : public AppRegistrationRepository {
 public:
  explicit SqlAppRegistrationRepository(Database& db) : db_(db) {}

  Result<AppRegistration> create(AppRegistration a) override {
    SB_TRY(requireTenant(a.tenant_id));
    SB_TRY(requireNonEmpty(a.client_id.value(), "client_id"));
    SB_TRY(requireNonEmpty(a.display_name, "display_name"));
    SB_TRY(requireNonEmpty(a.secret_hash, "secret_hash"));
    if (a.roles.empty()) return fail(Errc::InvalidArgument, "roles is empty", "roles");
    auto st = db_.write([&](Session& s) -> Status {
      const Value p[] = {a.client_id.value(), a.tenant_id.value(), a.display_name,
                         a.secret_hash,       joinRoles(a.roles),  a.created_by,
                         micros(a.created_at)};
      SB_TRY(
          s.exec("INSERT INTO app_registrations (client_id, tenant_id, display_name, "
                 "secret_hash, roles, created_by, created_at) "
                 "VALUES ($1, $2, $3, $4, $5, $6, $7)",
                 p));
      return {};
    });
    if (!st) return std::unexpected(st.error());
    return a;
  }
  Result<AppRegistration> get(const TenantId& tenant, const AppClientId& id) override {
    return one(" WHERE tenant_id = $1 AND client_id = $2", {tenant.value(), id.value()});
  }
  Result<AppRegistration> findByClientId(const AppClientId& id) override {
    return one(" WHERE client_id = $1", {id.value()});
  }
  Status remove(const TenantId& tenant, const AppClientId& id) override {
    const Value p[] = {tenant.value(), id.value()};
    return writeOne(db_, "DELETE FROM app_registrations WHERE tenant_id = $1 AND client_id = $2", p,
                    "app registration");
  }
  Status replaceSecret(const TenantId& tenant, const AppClientId& id,
                       const std::string& secret_hash) override {
    SB_TRY(requireNonEmpty(secret_hash, "secret_hash"));
    const Value p[] = {secret_hash, tenant.value(), id.value()};
    return writeOne(db_,
                    "UPDATE app_registrations SET secret_hash = $1 "
                    "WHERE tenant_id = $2 AND client_id = $3",
                    p, "app registration");
  }
  Result<AppRegistration> update(const TenantId& tenant, const AppClientId& id,
                                 std::string display_name, std::vector<Role> roles) override {
    SB_TRY(requireNonEmpty(display_name, "display_name"));
    if (roles.empty()) return fail(Errc::InvalidArgument, "roles is empty", "roles");
    const Value p[] = {display_name, joinRoles(roles), tenant.value(), id.value()};
    SB_TRY(writeOne(db_,
                    "UPDATE app_registrations SET display_name = $1, roles = $2 "
                    "WHERE tenant_id = $3 AND client_id = $4",
                    p, "app registration"));
    return get(tenant, id);
  }
  Result<std::vector<AppRegistration>> list(const TenantId& tenant) override {
    return readValue<std::vector<AppRegistration>>(
        db_, [&](Session& s) -> Result<std::vector<AppRegistration>> {
          const Value p[] = {tenant.value()};
          auto rows = s.exec(std::string(kSelect) + " WHERE tenant_id = $1 ORDER BY client_id", p);
          if (!rows) return std::unexpected(rows.error());
          std::vector<AppRegistration> out;
          for (const auto& row : rows->rows) out.push_back(fromRow(row));
          return out;
        });
  }

 private:
  static constexpr const char* kSelect =
      "SELECT client_id, tenant_id, display_name, secret_hash, roles, created_by, created_at "
      "FROM app_registrations";
  static AppRegistration fromRow(const Row& r) {
    AppRegistration a;
    a.client_id = AppClientId(r.text(0));
    a.tenant_id = TenantId(r.text(1));
    a.display_name = r.text(2);
    a.secret_hash = r.text(3);
    a.roles = splitRoles(r.text(4));
    a.created_by = r.text(5);
    a.created_at = wallFromMicros(r.int64(6));
    return a;
  }
  Result<AppRegistration> one(const std::string& where, Params p) {
    return readValue<AppRegistration>(db_, [&](Session& s) -> Result<AppRegistration> {
      auto rows = s.exec(kSelect + where, p);
      if (!rows) return std::unexpected(rows.error());
      if (rows->rows.empty()) return fail(Errc::NotFound, "app registration not found");
      return fromRow(rows->rows[0]);
    });
  }
  Database& db_;
};

// ---- The facade ----

class SqlStore final : public Store {
 public:
  SqlStore(std::unique_ptr<Database> db, int version)
      : db_(std::move(db)),
        version_(version),
        tenants_(*db_),
        users_(*db_),
        queues_(*db_),
        skills_(*db_),
        trunks_(*db_),
        numbers_(*db_),
        flows_(*db_),
        wrap_up_codes_(*db_),
        calendars_(*db_),
        api_keys_(*db_),
        interactions_(*db_),
        agent_states_(*db_),
        audit_(*db_),
        bindings_(*db_),
        sip_watchers_(*db_),
        presence_states_(*db_),
        agent_choices_(*db_),
        oidc_logins_(*db_),
        sip_publications_(*db_),
        subscriptions_(*db_),
        pending_deliveries_(*db_),
        refresh_tokens_(*db_),
        apps_(*db_) {}
  SqlStore(const SqlStore&) = delete;
  SqlStore& operator=(const SqlStore&) = delete;

  TenantRepository& tenants() override { return tenants_; }
  UserRepository& users() override { return users_; }
  QueueRepository& queues() override { return queues_; }
  SkillRepository& skills() override { return skills_; }
  TrunkRepository& trunks() override { return trunks_; }
  NumberRepository& numbers() override { return numbers_; }
  FlowRepository& flows() override { return flows_; }
  WrapUpCodeRepository& wrapUpCodes() override { return wrap_up_codes_; }
  CalendarRepository& calendars() override { return calendars_; }
  ApiKeyRepository& apiKeys() override { return api_keys_; }
  InteractionRecordRepository& interactions() override { return interactions_; }
  AgentStateHistoryRepository& agentStates() override { return agent_states_; }
  AuditLog& audit() override { return audit_; }
  BindingRepository& bindings() override { return bindings_; }
  SipWatcherRepository& sipWatchers() override { return sip_watchers_; }
  PresenceStateRepository& presenceStates() override { return presence_states_; }
  AgentChoiceRepository& agentChoices() override { return agent_choices_; }
  OidcLoginRepository& oidcLogins() override { return oidc_logins_; }
  SipPublicationRepository& sipPublications() override { return sip_publications_; }
  SubscriptionRepository& subscriptions() override { return subscriptions_; }
  PendingDeliveryRepository& pendingDeliveries() override { return pending_deliveries_; }
  RefreshTokenRepository& refreshTokens() override { return refresh_tokens_; }
  AppRegistrationRepository& apps() override { return apps_; }
  int schemaVersion() const override { return version_; }

 private:
  std::unique_ptr<Database> db_;  // declared first: the repositories refer to it
  int version_;
  SqlTenantRepository tenants_;
  SqlUserRepository users_;
  SqlTenantRepo<QueueTraits, QueueRepository> queues_;
  SqlTenantRepo<SkillTraits, SkillRepository> skills_;
  SqlTenantRepo<TrunkTraits, TrunkRepository> trunks_;
  SqlNumberRepository numbers_;
  SqlTenantRepo<FlowTraits, FlowRepository> flows_;
  SqlTenantRepo<WrapUpTraits, WrapUpCodeRepository> wrap_up_codes_;
  SqlTenantRepo<CalendarTraits, CalendarRepository> calendars_;
  SqlApiKeyRepository api_keys_;
  SqlInteractionRepository interactions_;
  SqlAgentStateHistory agent_states_;
  SqlAuditLog audit_;
  SqlBindingRepository bindings_;
  SqlSipWatcherRepository sip_watchers_;
  SqlPresenceStateRepository presence_states_;
  SqlAgentChoiceRepository agent_choices_;
  SqlOidcLoginRepository oidc_logins_;
  SqlSipPublicationRepository sip_publications_;
  SqlSubscriptionRepository subscriptions_;
  SqlPendingDeliveryRepository pending_deliveries_;
  SqlRefreshTokenRepository refresh_tokens_;
  SqlAppRegistrationRepository apps_;
};

}  // namespace

Result<std::unique_ptr<Store>> openSqlStore(std::unique_ptr<Database> db) {
  auto version = migrate(*db);
  if (!version) return std::unexpected(version.error());
  return std::unique_ptr<Store>(std::make_unique<SqlStore>(std::move(db), *version));
}

}  // namespace sb::store::sql
