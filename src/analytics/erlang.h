// SPDX-License-Identifier: Apache-2.0
// Erlang C (M/M/c queue, no abandonment): probability of waiting, service level and ASA.
// Used to check the simulator and for staffing estimates. Pure functions; thread-safe.
#pragma once

#include <optional>

namespace sb::analytics {

struct ErlangC {
  double traffic = 0;    // A = λ / μ (Erlangs)
  double p_wait = 0;     // P(wait > 0)
  double occupancy = 0;  // A / c
  // SL(T) = 1 − P(wait)·e^{−(cμ−λ)T}
  double serviceLevel(double threshold_s) const;
  double asa_s = 0;  // P(wait) / (cμ − λ)
  double mu = 0;
  double lambda = 0;
  int agents = 0;
};

// lambda_per_s arrivals per second, aht_s mean service time, c agents. nullopt unless
// λ > 0, aht > 0, c ≥ 1 and A < c (otherwise the queue has no steady state).
std::optional<ErlangC> erlangC(double lambda_per_s, double aht_s, int agents);

}  // namespace sb::analytics
