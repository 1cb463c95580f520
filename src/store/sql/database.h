// SPDX-License-Identifier: Apache-2.0
// sql::Database: the narrow seam between the generic SQL repositories (sql_store.h) and a
// backend driver (store/sqlite, store/postgres). A Database is thread-safe: write() and read()
// may be called from any thread and block until done. The Session passed to the callback is
// only valid inside it, on the calling or a backend-owned thread. SQL uses $1..$n placeholders
// and the common subset of SQLite and PostgreSQL (ON CONFLICT, RETURNING, LIMIT).
#pragma once

#include <charconv>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/result.h"

namespace sb::store::sql {

enum class Dialect { Sqlite, Postgres };

// A bound parameter: NULL, an integer or text.
using Value = std::variant<std::monostate, std::int64_t, std::string>;

// One result row; each column is its text form, or nullopt for NULL.
struct Row {
  std::vector<std::optional<std::string>> cols;

  bool isNull(std::size_t i) const { return !cols[i].has_value(); }
  const std::string& text(std::size_t i) const {
    static const std::string kEmpty;
    return cols[i] ? *cols[i] : kEmpty;
  }
  std::int64_t int64(std::size_t i) const {
    std::int64_t v = 0;
    if (cols[i]) std::from_chars(cols[i]->data(), cols[i]->data() + cols[i]->size(), v);
    return v;
  }
};

struct Rows {
  std::vector<Row> rows;
  std::int64_t affected = 0;  // rows changed by INSERT/UPDATE/DELETE
};

class Session {
 public:
  virtual ~Session() = default;
  // Runs one statement. Errors: AlreadyExists (unique/primary key violation),
  // InvalidArgument (other constraint, e.g. a foreign key), Unavailable (connection lost,
  // busy), Internal (SQL error: a bug).
  [[nodiscard]] virtual Result<Rows> exec(std::string_view sql,
                                          std::span<const Value> params = {}) = 0;
};

class Database {
 public:
  using Work = std::function<Status(Session&)>;
  virtual ~Database() = default;
  // Runs `work` in one write transaction, committed (and durable) iff it returns success.
  [[nodiscard]] virtual Status write(const Work& work) = 0;
  // Runs `work` in a read-only snapshot.
  [[nodiscard]] virtual Status read(const Work& work) = 0;
  virtual Dialect dialect() const = 0;
};

}  // namespace sb::store::sql
