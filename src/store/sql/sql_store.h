// SPDX-License-Identifier: Apache-2.0
// The generic SQL implementation of every repository, over an sql::Database. Backends call
// openSqlStore() after opening their Database; it migrates then builds the Store. Thread-safe
// as the Database is.
#pragma once

#include <memory>

#include "common/result.h"
#include "store/sql/database.h"
#include "store/store.h"

namespace sb::store::sql {

// Migrates `db` (migrations.h) and returns a Store owning it.
[[nodiscard]] Result<std::unique_ptr<Store>> openSqlStore(std::unique_ptr<Database> db);

}  // namespace sb::store::sql
