// SPDX-License-Identifier: Apache-2.0
#include "analytics/erlang.h"

#include <cmath>

#include <gtest/gtest.h>

namespace sb::analytics {
namespace {

// Textbook form with factorials, for cross-checking the recurrence on small c.
double erlangCTextbook(double a, int n) {
  double sum = 0, term = 1;
  for (int k = 0; k < n; ++k) {
    if (k > 0) term *= a / k;
    sum += term;
  }
  const double top = term * a / n * n / (n - a);  // Aⁿ/n! · n/(n−A)
  return top / (sum + top);
}

TEST(ErlangTest, MatchesTextbookFormula) {
  for (int n : {1, 2, 5, 10, 25}) {
    for (double rho : {0.3, 0.7, 0.95}) {
      const double a = rho * n;
      auto e = erlangC(a / 180.0, 180.0, n);
      ASSERT_TRUE(e.has_value());
      EXPECT_NEAR(e->p_wait, erlangCTextbook(a, n), 1e-12) << n << " " << rho;
    }
  }
}

TEST(ErlangTest, HandComputedSingleServerAndWorkedExample) {
  // M/M/1: P(wait) = ρ. λ = 1/120 s, AHT 60 s → ρ = 0.5; ASA = 0.5 / (1/60 − 1/120) = 60 s;
  // SL(20) = 1 − 0.5·e^{−(1/120)·20} = 1 − 0.5·e^{−1/6}
  auto m1 = erlangC(1.0 / 120.0, 60.0, 1);
  ASSERT_TRUE(m1.has_value());
  EXPECT_NEAR(m1->p_wait, 0.5, 1e-12);
  EXPECT_NEAR(m1->asa_s, 60.0, 1e-9);
  EXPECT_NEAR(m1->serviceLevel(20), 1 - 0.5 * std::exp(-1.0 / 6.0), 1e-12);
  // A = 2 Erlangs on c = 3: P(wait) = (8/6·3) / (1 + 2 + 2 + 8/6·3) = 4 / 9
  auto m3 = erlangC(2.0 / 100.0, 100.0, 3);
  ASSERT_TRUE(m3.has_value());
  EXPECT_NEAR(m3->p_wait, 4.0 / 9.0, 1e-12);
  EXPECT_NEAR(m3->asa_s, (4.0 / 9.0) * 100.0 / (3 - 2), 1e-9);  // P·AHT/(c−A)
  EXPECT_NEAR(m3->occupancy, 2.0 / 3.0, 1e-12);
}

TEST(ErlangTest, RejectsUnstableOrInvalidInput) {
  EXPECT_FALSE(erlangC(10.0 / 100.0, 100.0, 10).has_value());  // A = c
  EXPECT_FALSE(erlangC(0, 100.0, 3).has_value());
  EXPECT_FALSE(erlangC(0.01, 100.0, 0).has_value());
}

}  // namespace
}  // namespace sb::analytics
