// SPDX-License-Identifier: Apache-2.0
// The PostgreSQL backend of the store (libpqxx). Owned by app/. Threading: every call blocks
// its caller (run it on the store thread pool, STYLE.md §7) and is thread-safe: each call
// checks a connection out of a small pool (at most `pool_size`, opened lazily, replaced when
// broken), runs one transaction on it and returns it. A commit that returned success is
// durable (PostgreSQL's synchronous_commit, on by default).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "common/result.h"
#include "store/sql/database.h"
#include "store/store.h"

namespace sb::store {

struct PostgresOptions {
  std::size_t pool_size = 4;
  int acquire_timeout_ms = 10000;  // wait for a free connection before Unavailable
};

// Connects (libpq conninfo: "host=... port=... dbname=... user=..."), migrates and returns
// the Store. Errors: Unavailable (cannot connect), Unsupported (schema newer than this build).
[[nodiscard]] Result<std::unique_ptr<Store>> openPostgresStore(const std::string& conninfo,
                                                               std::size_t pool_size = 4);
[[nodiscard]] Result<std::unique_ptr<Store>> openPostgresStore(const std::string& conninfo,
                                                               const PostgresOptions& options);

// The raw database without migrating (tools and tests; openPostgresStore uses it).
[[nodiscard]] Result<std::unique_ptr<sql::Database>> openPostgresDatabase(
    const std::string& conninfo, const PostgresOptions& options = {});

}  // namespace sb::store
