// SPDX-License-Identifier: Apache-2.0
// The typed fixture of the store conformance suite: every TYPED_TEST runs once per backend
// on a fresh store. Main thread only.
#pragma once

#include <chrono>
#include <memory>

#include <gtest/gtest.h>

#include "store/store.h"
#include "store_backends.h"

// Fails the current test with the error's text when a store call returns an error.
#define ASSERT_OK(expr)                                                \
  do {                                                                 \
    const auto& sb_ok_ = (expr);                                       \
    ASSERT_TRUE(sb_ok_) << #expr << ": " << sb_ok_.error().toString(); \
  } while (false)

namespace sb::store::testing {

template <typename Backend>
class StoreTest : public ::testing::Test {
 public:
  void SetUp() override {
    auto up = backend_.setUp();
    ASSERT_TRUE(up) << Backend::kName << " backend unavailable: " << up.error().toString();
    reopen();
  }

  void reopen() {
    store_.reset();
    auto opened = backend_.open();
    ASSERT_TRUE(opened) << "open " << backend_.describe() << ": " << opened.error().toString();
    store_ = std::move(*opened);
  }

  Store& store() { return *store_; }

  Tenant makeTenant(const std::string& name) {
    auto t = store_->tenants().create(Tenant{TenantId(), name, true, at(0)});
    EXPECT_TRUE(t) << t.error().toString();
    return t.value_or(Tenant{});
  }

  // A fixed wall-clock origin plus `seconds`: whole microseconds, so round trips compare equal.
  static WallTime at(std::int64_t seconds) {
    return WallTime{std::chrono::seconds(1'700'000'000 + seconds)};
  }

  Backend backend_;
  std::unique_ptr<Store> store_;
};

struct BackendNames {
  template <typename T>
  static std::string GetName(int) {
    return T::kName;
  }
};

using Backends = ::testing::Types<SqliteBackend, PostgresBackend>;

}  // namespace sb::store::testing
