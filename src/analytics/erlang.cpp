// SPDX-License-Identifier: Apache-2.0
#include "analytics/erlang.h"

#include <cmath>

namespace sb::analytics {

double ErlangC::serviceLevel(double threshold_s) const {
  return 1.0 - p_wait * std::exp(-(agents * mu - lambda) * threshold_s);
}

std::optional<ErlangC> erlangC(double lambda_per_s, double aht_s, int agents) {
  if (!(lambda_per_s > 0) || !(aht_s > 0) || agents < 1) return std::nullopt;
  const double a = lambda_per_s * aht_s;
  const double c = agents;
  if (a >= c) return std::nullopt;
  // Erlang B by the stable recurrence B(k) = A·B(k−1) / (k + A·B(k−1)), then
  // C = c·B / (c − A·(1 − B)); avoids the factorials of the textbook form.
  double b = 1.0;
  for (int k = 1; k <= agents; ++k) b = a * b / (k + a * b);
  ErlangC out;
  out.traffic = a;
  out.p_wait = c * b / (c - a * (1.0 - b));
  out.occupancy = a / c;
  out.mu = 1.0 / aht_s;
  out.lambda = lambda_per_s;
  out.agents = agents;
  out.asa_s = out.p_wait / (c * out.mu - lambda_per_s);
  return out;
}

}  // namespace sb::analytics
