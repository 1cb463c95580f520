// SPDX-License-Identifier: Apache-2.0
// The embedded SQLite backend of the store (the default). Owned by app/. Threading: every
// call blocks its caller (run it on the store thread pool, STYLE.md §7). All writes go through
// one writer thread that owns the only write connection (a FIFO queue: writes are serialized,
// never SQLITE_BUSY among themselves); reads run on the caller's thread on pooled read-only
// connections, which WAL mode lets proceed while the writer commits.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "common/result.h"
#include "store/sql/database.h"
#include "store/store.h"

namespace sb::store {

struct SqliteOptions {
  int busy_timeout_ms = 5000;      // how long a read waits on a checkpoint/lock before Unavailable
  std::size_t max_idle_readers = 4;  // read connections kept open between calls
};

// Opens (creating if needed) the database file at `path`, enables WAL, migrates it and
// returns the Store. Errors: Unavailable (cannot open), Unsupported (schema newer than this
// build).
[[nodiscard]] Result<std::unique_ptr<Store>> openSqliteStore(const std::string& path,
                                                             const SqliteOptions& options = {});

// The raw database without migrating (tools and tests; openSqliteStore uses it).
[[nodiscard]] Result<std::unique_ptr<sql::Database>> openSqliteDatabase(
    const std::string& path, const SqliteOptions& options = {});

}  // namespace sb::store
