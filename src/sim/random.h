// SPDX-License-Identifier: Apache-2.0
// Seeded random streams for the simulator. Sampling is done by hand (not std::*_distribution,
// whose output differs between standard libraries) so a seed gives the same run everywhere.
// One Rng per purpose keeps streams independent. Value type; not thread-safe.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>

#include "sim/scenario.h"

namespace sb::sim {

class Rng {
 public:
  // splitmix64 of (seed, stream, index) so streams do not overlap in practice.
  Rng(std::uint64_t seed, std::uint64_t stream, std::uint64_t index)
      : engine_(mix(mix(mix(seed) ^ stream) ^ index)) {}

  // Uniform in (0, 1].
  double uniform() {
    return (static_cast<double>(engine_() >> 11) + 1.0) * (1.0 / 9007199254740992.0);
  }
  double exponential(double mean) { return -mean * std::log(uniform()); }
  double normal() {  // Box–Muller
    const double u1 = uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }
  // Log-normal with the given mean and standard deviation of the value itself.
  double logNormal(double mean, double sd) {
    const double sigma2 = std::log(1.0 + (sd * sd) / (mean * mean));
    const double mu = std::log(mean) - sigma2 / 2.0;
    return std::exp(mu + std::sqrt(sigma2) * normal());
  }
  double sample(const Distribution& d) {
    switch (d.kind) {
      case Distribution::Kind::Constant:
        return d.mean_s;
      case Distribution::Kind::Exponential:
        return exponential(d.mean_s);
      case Distribution::Kind::LogNormal:
        return logNormal(d.mean_s, d.sd_s);
    }
    return d.mean_s;
  }

 private:
  static std::uint64_t mix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  }
  std::mt19937_64 engine_;
};

}  // namespace sb::sim
