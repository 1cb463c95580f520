// SPDX-License-Identifier: Apache-2.0
// Versioned schema migrations, shared by both SQL backends (the few dialect differences are
// substituted per backend). A schema_version table records the applied versions; migrate()
// applies the missing ones in order in one transaction, and refuses a database whose schema
// is newer than this code knows. Called once at open, from any thread.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "store/sql/database.h"

namespace sb::store::sql {

struct Migration {
  int version;
  std::string description;
  std::vector<std::string> statements;  // already rendered for the dialect
};

// All migrations, ascending by version.
std::vector<Migration> migrations(Dialect dialect);
int latestSchemaVersion();

// Returns the schema version after migrating. Unsupported when the database is newer.
[[nodiscard]] Result<int> migrate(Database& db);

}  // namespace sb::store::sql
