// SPDX-License-Identifier: Apache-2.0
#include "store/sqlite/sqlite_store.h"

#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <sqlite3.h>

#include "store/sql/sql_store.h"

namespace sb::store {
namespace {

using sql::Rows;
using sql::Session;
using sql::Value;

Error sqliteError(sqlite3* db, int rc, std::string_view what) {
  const int ext = db ? sqlite3_extended_errcode(db) : rc;
  std::string msg = std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (ext) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return Error(Errc::AlreadyExists, std::move(msg));
    default:
      break;
  }
  switch (ext & 0xff) {
    case SQLITE_CONSTRAINT:
      return Error(Errc::InvalidArgument, std::move(msg));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
      return Error(Errc::Unavailable, std::move(msg));
    default:
      return Error(Errc::Internal, std::move(msg));
  }
}

// Prepared statements of one connection, by SQL text: the writer runs the same few statements
// (an interaction record, an agent state change, a binding) thousands of times, and preparing
// one costs more than running it. Owned by the connection's thread; bounded.
class StatementCache {
 public:
  StatementCache() = default;
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;
  ~StatementCache() { clear(); }

  // A cached statement (reset, bindings cleared) or nullptr.
  sqlite3_stmt* take(std::string_view sql) {
    auto it = stmts_.find(sql);
    if (it == stmts_.end() || it->second == nullptr) return nullptr;
    return std::exchange(it->second, nullptr);  // in use until give() puts it back
  }
  // Returns stmt to the cache (or finalizes it when the cache is full).
  void give(std::string_view sql, sqlite3_stmt* stmt) {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    auto it = stmts_.find(sql);
    if (it != stmts_.end() && it->second == nullptr) {
      it->second = stmt;
    } else if (it == stmts_.end() && stmts_.size() < kCapacity) {
      stmts_.emplace(std::string(sql), stmt);
    } else {
      sqlite3_finalize(stmt);
    }
  }
  void clear() {
    for (auto& [sql, stmt] : stmts_) sqlite3_finalize(stmt);
    stmts_.clear();
  }

 private:
  static constexpr std::size_t kCapacity = 128;
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, sqlite3_stmt*, Hash, std::equal_to<>> stmts_;
};

class SqliteSession final : public Session {
 public:
  // cache: the connection's statements (nullable: prepare every statement).
  SqliteSession(sqlite3* db, StatementCache* cache) : db_(db), cache_(cache) {}

  Result<Rows> exec(std::string_view sql, std::span<const Value> params) override {
    sqlite3_stmt* stmt = cache_ ? cache_->take(sql) : nullptr;
    if (stmt == nullptr) {
      int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
      if (rc != SQLITE_OK) return std::unexpected(sqliteError(db_, rc, "prepare"));
    }
    struct Release {
      StatementCache* cache;
      std::string_view sql;
      void operator()(sqlite3_stmt* st) const {
        if (cache)
          cache->give(sql, st);
        else
          sqlite3_finalize(st);
      }
    };
    std::unique_ptr<sqlite3_stmt, Release> guard(stmt, Release{cache_, sql});
    int rc = SQLITE_OK;
    // Placeholders are $1..$n (PostgreSQL style); SQLite treats them as named parameters.
    for (std::size_t i = 0; i < params.size(); ++i) {
      const std::string name = "$" + std::to_string(i + 1);
      const int index = sqlite3_bind_parameter_index(stmt, name.c_str());
      if (index == 0) continue;  // a parameter this statement does not use
      const Value& v = params[i];
      if (std::holds_alternative<std::monostate>(v)) {
        rc = sqlite3_bind_null(stmt, index);
      } else if (const auto* n = std::get_if<std::int64_t>(&v)) {
        rc = sqlite3_bind_int64(stmt, index, *n);
      } else {
        const auto& s = std::get<std::string>(v);
        rc = sqlite3_bind_text(stmt, index, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
      }
      if (rc != SQLITE_OK) return std::unexpected(sqliteError(db_, rc, "bind"));
    }
    Rows out;
    const int ncols = sqlite3_column_count(stmt);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      sql::Row row;
      row.cols.reserve(static_cast<std::size_t>(ncols));
      for (int c = 0; c < ncols; ++c) {
        if (sqlite3_column_type(stmt, c) == SQLITE_NULL) {
          row.cols.emplace_back(std::nullopt);
        } else {
          const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
          row.cols.emplace_back(
              std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, c))));
        }
      }
      out.rows.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) return std::unexpected(sqliteError(db_, rc, "step"));
    if (!sqlite3_stmt_readonly(stmt)) out.affected = sqlite3_changes(db_);
    return out;
  }

 private:
  sqlite3* db_;
  StatementCache* cache_;
};

Status execPlain(sqlite3* db, const char* sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  sqlite3_free(err);
  if (rc != SQLITE_OK) return std::unexpected(sqliteError(db, rc, sql));
  return {};
}

Result<sqlite3*> openConnection(const std::string& path, const SqliteOptions& options,
                                bool writer) {
  sqlite3* db = nullptr;
  // NOMUTEX: each connection is used by one thread at a time (the writer thread, or the
  // reader that checked it out of the pool), so SQLite's own locking is redundant.
  const int flags = SQLITE_OPEN_READWRITE | (writer ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Error e(Errc::Unavailable, "cannot open SQLite database " + path + ": " +
                                   (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    sqlite3_close(db);
    return std::unexpected(std::move(e));
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  auto setup = [&]() -> Status {
    SB_TRY(execPlain(db, "PRAGMA foreign_keys = ON"));
    if (writer) {
      SB_TRY(execPlain(db, "PRAGMA journal_mode = WAL"));
      // FULL, not NORMAL: in WAL mode NORMAL survives a process crash but may lose the last
      // commits on power loss, and an acknowledged interaction record or binding must survive
      // both. The cost (one fsync of the WAL per commit) is paid on the writer thread only.
      SB_TRY(execPlain(db, "PRAGMA synchronous = FULL"));
    } else {
      SB_TRY(execPlain(db, "PRAGMA query_only = ON"));
    }
    return {};
  };
  if (auto st = setup(); !st) {
    sqlite3_close(db);
    return std::unexpected(st.error());
  }
  return db;
}

Status runTransaction(sqlite3* db, const char* begin, const sql::Database::Work& work,
                      StatementCache* cache = nullptr) {
  SB_TRY(execPlain(db, begin));
  SqliteSession session(db, cache);
  auto st = work(session);
  if (st) st = execPlain(db, "COMMIT");
  if (!st) {
    // After a failed COMMIT SQLite may already have rolled back; ignore that error.
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  return st;
}

class SqliteDatabase final : public sql::Database {
 public:
  SqliteDatabase(std::string path, SqliteOptions options, sqlite3* writer)
      : path_(std::move(path)), options_(options), writer_db_(writer) {
    writer_thread_ = std::thread([this] { writerLoop(); });
  }
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

  ~SqliteDatabase() override {
    {
      std::lock_guard lock(queue_mu_);
      stopping_ = true;
    }
    queue_cv_.notify_one();
    writer_thread_.join();
    writer_stmts_.clear();
    sqlite3_close(writer_db_);
    for (sqlite3* db : idle_readers_) sqlite3_close(db);
  }

  Status write(const Work& work) override {
    Task task{&work, {}};
    auto done = task.result.get_future();
    {
      std::lock_guard lock(queue_mu_);
      if (stopping_) return fail(Errc::Unavailable, "store is closing");
      queue_.push_back(&task);
    }
    queue_cv_.notify_one();
    return done.get();
  }

  Status read(const Work& work) override {
    auto db = acquireReader();
    if (!db) return std::unexpected(db.error());
    auto st = runTransaction(*db, "BEGIN", work);
    releaseReader(*db);
    return st;
  }

  sql::Dialect dialect() const override { return sql::Dialect::Sqlite; }

 private:
  struct Task {
    const Work* work;
    std::promise<Status> result;
  };

  void writerLoop() {
    for (;;) {
      Task* task = nullptr;
      {
        std::unique_lock lock(queue_mu_);
        queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping and drained
        task = queue_.front();
        queue_.pop_front();
      }
      // IMMEDIATE takes the write lock up front, so a transaction never fails half-way
      // because another process holds it (it waits busy_timeout instead).
      task->result.set_value(
          runTransaction(writer_db_, "BEGIN IMMEDIATE", *task->work, &writer_stmts_));
    }
  }

  Result<sqlite3*> acquireReader() {
    {
      std::lock_guard lock(pool_mu_);
      if (!idle_readers_.empty()) {
        sqlite3* db = idle_readers_.back();
        idle_readers_.pop_back();
        return db;
      }
    }
    return openConnection(path_, options_, /*writer=*/false);
  }

  void releaseReader(sqlite3* db) {
    {
      std::lock_guard lock(pool_mu_);
      if (idle_readers_.size() < options_.max_idle_readers) {
        idle_readers_.push_back(db);
        return;
      }
    }
    sqlite3_close(db);
  }

  const std::string path_;
  const SqliteOptions options_;
  sqlite3* const writer_db_;     // used only by writer_thread_
  StatementCache writer_stmts_;  // writer_db_'s, used only by writer_thread_

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<Task*> queue_;  // GUARDED_BY(queue_mu_)
  bool stopping_ = false;    // GUARDED_BY(queue_mu_)
  std::thread writer_thread_;

  std::mutex pool_mu_;
  std::vector<sqlite3*> idle_readers_;  // GUARDED_BY(pool_mu_)
};

}  // namespace

Result<std::unique_ptr<sql::Database>> openSqliteDatabase(const std::string& path,
                                                          const SqliteOptions& options) {
  auto writer = openConnection(path, options, /*writer=*/true);
  if (!writer) return std::unexpected(writer.error());
  return std::unique_ptr<sql::Database>(std::make_unique<SqliteDatabase>(path, options, *writer));
}

Result<std::unique_ptr<Store>> openSqliteStore(const std::string& path,
                                               const SqliteOptions& options) {
  auto db = openSqliteDatabase(path, options);
  if (!db) return std::unexpected(db.error());
  return sql::openSqlStore(std::move(*db));
}

}  // namespace sb::store
