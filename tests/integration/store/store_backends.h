// SPDX-License-Identifier: Apache-2.0
// Backends for the store conformance suite: each opens a fresh, empty store (a temp SQLite
// file, or a new database on a PostgreSQL server this process starts once and stops at exit).
// Used from the test's main thread only.
#pragma once

#include <memory>
#include <string>

#include "common/result.h"
#include "store/sql/database.h"
#include "store/store.h"

namespace sb::store::testing {

class SqliteBackend {
 public:
  static constexpr const char* kName = "Sqlite";
  ~SqliteBackend();
  Status setUp();  // a fresh temp dir
  Result<std::unique_ptr<Store>> open();
  Result<std::unique_ptr<sql::Database>> openRaw();
  std::string describe() const { return path_; }

 private:
  std::string dir_;
  std::string path_;
};

class PostgresBackend {
 public:
  static constexpr const char* kName = "Postgres";
  Status setUp();  // starts the shared server on first use, then creates a fresh database
  Result<std::unique_ptr<Store>> open();
  Result<std::unique_ptr<sql::Database>> openRaw();
  std::string describe() const { return conninfo_; }

 private:
  std::string conninfo_;
};

}  // namespace sb::store::testing
