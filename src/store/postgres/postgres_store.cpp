// SPDX-License-Identifier: Apache-2.0
#include "store/postgres/postgres_store.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <pqxx/pqxx>
#include <vector>

#include "store/sql/sql_store.h"

namespace sb::store {
namespace {

using sql::Rows;
using sql::Session;
using sql::Value;

// SQLSTATE classes: 23 integrity constraint, 08 connection, 57 operator intervention
// (shutdown), 40 transaction rollback (serialization failure, deadlock), 53 resources.
Error sqlError(const pqxx::sql_error& e) {
  const std::string& state = e.sqlstate();
  std::string msg = e.what();
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  if (state == "23505") return Error(Errc::AlreadyExists, std::move(msg));
  const std::string cls = state.substr(0, 2);
  if (cls == "23" || cls == "22") return Error(Errc::InvalidArgument, std::move(msg));
  if (cls == "08" || cls == "57" || cls == "40" || cls == "53") {
    return Error(Errc::Unavailable, std::move(msg));
  }
  return Error(Errc::Internal, std::move(msg));
}

class PgSession final : public Session {
 public:
  explicit PgSession(pqxx::transaction_base& txn) : txn_(txn) {}

  Result<Rows> exec(std::string_view sql, std::span<const Value> params) override {
    try {
      std::vector<std::string> text(params.size());
      std::vector<const char*> values(params.size());
      for (std::size_t i = 0; i < params.size(); ++i) {
        if (std::holds_alternative<std::monostate>(params[i])) {
          values[i] = nullptr;
          continue;
        }
        if (const auto* n = std::get_if<std::int64_t>(&params[i])) {
          text[i] = std::to_string(*n);
        } else {
          text[i] = std::get<std::string>(params[i]);
        }
        values[i] = text[i].c_str();
      }
      const pqxx::result r =
          txn_.exec_params(std::string(sql), pqxx::prepare::make_dynamic_params(values));
      Rows out;
      out.affected = static_cast<std::int64_t>(r.affected_rows());
      out.rows.reserve(r.size());
      for (const auto& row : r) {
        sql::Row converted;
        converted.cols.reserve(row.size());
        for (const auto& field : row) {
          if (field.is_null()) {
            converted.cols.emplace_back(std::nullopt);
          } else {
            converted.cols.emplace_back(std::string(field.c_str(), field.size()));
          }
        }
        out.rows.push_back(std::move(converted));
      }
      return out;
    } catch (const pqxx::broken_connection& e) {
      broken_ = true;
      return fail(Errc::Unavailable, std::string("PostgreSQL connection lost: ") + e.what());
    } catch (const pqxx::sql_error& e) {
      return std::unexpected(sqlError(e));
    } catch (const std::exception& e) {
      return fail(Errc::Internal, e.what());
    }
  }

  bool broken() const { return broken_; }

 private:
  pqxx::transaction_base& txn_;
  bool broken_ = false;
};

class PostgresDatabase final : public sql::Database {
 public:
  PostgresDatabase(std::string conninfo, PostgresOptions options,
                   std::unique_ptr<pqxx::connection> first)
      : conninfo_(std::move(conninfo)), options_(options) {
    idle_.push_back(std::move(first));
    open_ = 1;
  }
  PostgresDatabase(const PostgresDatabase&) = delete;
  PostgresDatabase& operator=(const PostgresDatabase&) = delete;

  Status write(const Work& work) override { return run<pqxx::work>(work); }
  Status read(const Work& work) override {
    // REPEATABLE READ gives multi-statement reads (a user and its profile) one snapshot.
    return run<pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>>(work);
  }
  sql::Dialect dialect() const override { return sql::Dialect::Postgres; }

  static Result<std::unique_ptr<pqxx::connection>> connect(const std::string& conninfo) {
    try {
      auto conn = std::make_unique<pqxx::connection>(conninfo);
      pqxx::nontransaction setup(*conn);
      setup.exec("SET client_min_messages TO WARNING");  // no NOTICE chatter on stderr
      return conn;
    } catch (const std::exception& e) {
      std::string msg = e.what();
      while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
      return fail(Errc::Unavailable, "cannot connect to PostgreSQL: " + msg);
    }
  }

 private:
  template <typename Txn>
  Status run(const Work& work) {
    auto conn = acquire();
    if (!conn) return std::unexpected(conn.error());
    bool broken = false;
    Status st;
    try {
      Txn txn(**conn);
      PgSession session(txn);
      st = work(session);
      broken = session.broken();
      if (st) txn.commit();  // on failure the destructor rolls back
    } catch (const pqxx::in_doubt_error& e) {
      broken = true;
      st = fail(Errc::Unavailable, std::string("commit outcome unknown: ") + e.what());
    } catch (const pqxx::broken_connection& e) {
      broken = true;
      st = fail(Errc::Unavailable, std::string("PostgreSQL connection lost: ") + e.what());
    } catch (const pqxx::sql_error& e) {
      st = std::unexpected(sqlError(e));
    } catch (const std::exception& e) {
      st = fail(Errc::Internal, e.what());
    }
    release(std::move(*conn), broken || !(*conn)->is_open());
    return st;
  }

  Result<std::unique_ptr<pqxx::connection>> acquire() {
    std::unique_lock lock(mu_);
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.acquire_timeout_ms);
    for (;;) {
      if (!idle_.empty()) {
        auto conn = std::move(idle_.back());
        idle_.pop_back();
        return conn;
      }
      if (open_ < options_.pool_size) {
        ++open_;
        lock.unlock();  // connecting is slow: do it without holding the pool
        auto conn = connect(conninfo_);
        if (!conn) {
          lock.lock();
          --open_;
          cv_.notify_one();
        }
        return conn;
      }
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
          open_ >= options_.pool_size) {
        return fail(Errc::Unavailable, "no free PostgreSQL connection in the pool");
      }
    }
  }

  void release(std::unique_ptr<pqxx::connection> conn, bool discard) {
    {
      std::lock_guard lock(mu_);
      if (discard) {
        --open_;  // a fresh one is opened on demand
      } else {
        idle_.push_back(std::move(conn));
      }
    }
    cv_.notify_one();
    // `conn` (when discarded) closes here, outside the lock.
  }

  const std::string conninfo_;
  const PostgresOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;  // GUARDED_BY(mu_)
  std::size_t open_ = 0;  // idle + checked out; GUARDED_BY(mu_)
};

}  // namespace

Result<std::unique_ptr<sql::Database>> openPostgresDatabase(const std::string& conninfo,
                                                            const PostgresOptions& options) {
  if (options.pool_size == 0) return fail(Errc::InvalidArgument, "pool size is 0", "pool_size");
  auto first = PostgresDatabase::connect(conninfo);  // fail fast when the server is down
  if (!first) return std::unexpected(first.error());
  return std::unique_ptr<sql::Database>(
      std::make_unique<PostgresDatabase>(conninfo, options, std::move(*first)));
}

Result<std::unique_ptr<Store>> openPostgresStore(const std::string& conninfo,
                                                 const PostgresOptions& options) {
  auto db = openPostgresDatabase(conninfo, options);
  if (!db) return std::unexpected(db.error());
  return sql::openSqlStore(std::move(*db));
}

Result<std::unique_ptr<Store>> openPostgresStore(const std::string& conninfo,
                                                 std::size_t pool_size) {
  PostgresOptions options;
  options.pool_size = pool_size;
  return openPostgresStore(conninfo, options);
}

}  // namespace sb::store
