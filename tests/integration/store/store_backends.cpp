// SPDX-License-Identifier: Apache-2.0
#include "store_backends.h"

#include <filesystem>
#include <optional>

#include <gtest/gtest.h>
#include <stdlib.h>

#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/testing/postgres_server.h"

namespace sb::store::testing {
namespace {

// One server per test process: started by the first PostgreSQL test, stopped by gtest's
// global tear-down. A failed start is remembered so later tests fail fast with the same
// message instead of retrying for minutes.
struct SharedServer {
  std::unique_ptr<PostgresServer> server;
  std::optional<Error> start_error;
  int databases = 0;
};
SharedServer& shared() {
  static SharedServer s;
  return s;
}

class StopServerAtExit : public ::testing::Environment {
 public:
  void TearDown() override { shared().server.reset(); }
};
[[maybe_unused]] const auto* const kRegistered =
    ::testing::AddGlobalTestEnvironment(new StopServerAtExit);

}  // namespace

SqliteBackend::~SqliteBackend() {
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

Status SqliteBackend::setUp() {
  char tmpl[] = "/tmp/sb-sqlite-XXXXXX";
  if (!mkdtemp(tmpl)) return fail(Errc::Internal, "mkdtemp failed");
  dir_ = tmpl;
  path_ = dir_ + "/switchboard.db";
  return {};
}

Result<std::unique_ptr<Store>> SqliteBackend::open() { return openSqliteStore(path_); }
Result<std::unique_ptr<sql::Database>> SqliteBackend::openRaw() {
  return openSqliteDatabase(path_);
}

Status PostgresBackend::setUp() {
  auto& s = shared();
  if (s.start_error) return std::unexpected(*s.start_error);
  if (!s.server) {
    auto server = PostgresServer::start();
    if (!server) {
      s.start_error = server.error();
      return std::unexpected(server.error());
    }
    s.server = std::move(*server);
  }
  auto conninfo = s.server->createSchema("t" + std::to_string(++s.databases));
  if (!conninfo) return std::unexpected(conninfo.error());
  conninfo_ = *conninfo;
  return {};
}

Result<std::unique_ptr<Store>> PostgresBackend::open() { return openPostgresStore(conninfo_, 4); }
Result<std::unique_ptr<sql::Database>> PostgresBackend::openRaw() {
  return openPostgresDatabase(conninfo_);
}

}  // namespace sb::store::testing
