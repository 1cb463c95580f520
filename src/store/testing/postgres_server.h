// SPDX-License-Identifier: Apache-2.0
// PostgresServer (tests only): a throw-away PostgreSQL 15 server for hermetic tests. start()
// runs initdb into a fresh temp dir and postgres on a free loopback port (unix socket in the
// temp dir), as an unprivileged user since PostgreSQL refuses root; the destructor stops it
// and deletes the dir. If the owning process dies the server gets SIGKILL (PR_SET_PDEATHSIG).
// Start-up is bounded in time. Not thread-safe: one owner thread (the test's main thread).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "common/result.h"

namespace sb::store::testing {

class PostgresServer {
 public:
  // Errors carry initdb/postgres log tails. Env SB_PG_BIN overrides the binaries' directory
  // (default /usr/lib/postgresql/15/bin), SB_PG_USER the user to run as (default postgres).
  [[nodiscard]] static Result<std::unique_ptr<PostgresServer>> start();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // libpq conninfo for `dbname` over loopback TCP.
  std::string conninfo(const std::string& dbname = "postgres") const;
  // Creates an empty database and returns its conninfo.
  [[nodiscard]] Result<std::string> createDatabase(const std::string& name);
  // Creates an empty schema in database "postgres" and returns a conninfo whose search_path
  // is that schema: a much cheaper fresh namespace than a database (no file copy).
  [[nodiscard]] Result<std::string> createSchema(const std::string& name);
  int port() const { return port_; }

 private:
  PostgresServer(std::string dir, pid_t pid, int port) : dir_(std::move(dir)), pid_(pid), port_(port) {}
  void stop();

  std::string dir_;
  pid_t pid_;
  int port_;
};

}  // namespace sb::store::testing
